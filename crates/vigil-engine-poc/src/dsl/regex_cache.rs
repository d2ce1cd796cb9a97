//! Regular expressions compiled once per pattern and shared (templates repeat patterns), over
//! bytes so that binary bodies match, with a bound on compiled size. Nuclei's regexes are
//! RE2 syntax, translated where the `regex` crate reads it differently (see `go_regex`).
//! A pattern's syntax is checked when a template is compiled; its automaton is built the
//! first time it is used ([`LazyRegex`]), so a catalogue of thousands of templates holds
//! only the automata its scans reached.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex::bytes::{Regex, RegexBuilder};

use super::error::ParseError;

/// Upper bound on one compiled program, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Patterns kept in the shared cache before it is cleared.
const CACHE_CAP: usize = 50_000;

fn cache() -> &'static Mutex<HashMap<String, LazyRegex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, LazyRegex>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A regex that never matches: what a pattern whose automaton cannot be built (over the size
/// bounds) stands for.
static NEVER: LazyLock<Regex> = LazyLock::new(|| {
    RegexBuilder::new(r"(?-u:[^\x00-\xFF])")
        .build()
        .unwrap_or_else(|_| Regex::new("$^").expect("a constant regex"))
});

/// A checked pattern whose automaton is built on first use and shared by every clone.
#[derive(Clone, Debug)]
pub struct LazyRegex {
    translated: Arc<str>,
    unicode: bool,
    built: Arc<OnceLock<Regex>>,
}

impl LazyRegex {
    fn build(&self) -> Result<Regex, regex::Error> {
        RegexBuilder::new(&self.translated)
            .unicode(self.unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
    }
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.built
            .get_or_init(|| self.build().unwrap_or_else(|_| NEVER.clone()))
    }
}

/// Checks a pattern and returns it ready to build on first use (or the shared copy).
pub fn compile(pattern: &str) -> Result<LazyRegex, ParseError> {
    if let Ok(map) = cache().lock() {
        if let Some(re) = map.get(pattern) {
            return Ok(re.clone());
        }
    }
    let translated = super::go_regex::translate(pattern);
    // Case-insensitive ASCII patterns fold ASCII only: folding the Unicode classes a `.` or
    // `[^"]` stands for costs milliseconds per pattern (most of a catalogue's compile time)
    // and changes nothing for ASCII letters; `.` then steps over bytes, not characters.
    let ascii_fold = translated.contains("(?i") && translated.is_ascii();
    regex_syntax::ParserBuilder::new()
        .unicode(!ascii_fold)
        .utf8(false)
        .build()
        .parse(&translated)
        .map_err(|e| ParseError::Regex {
            pattern: pattern.to_string(),
            reason: first_line(&e.to_string()),
        })?;
    let re = LazyRegex {
        translated: Arc::from(translated),
        unicode: !ascii_fold,
        built: Arc::new(OnceLock::new()),
    };
    if let Ok(mut map) = cache().lock() {
        if map.len() >= CACHE_CAP {
            map.clear();
        }
        map.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| s.lines().next().unwrap_or(""))
        .trim_start_matches("error: ")
        .to_string()
}
