//! Regular expressions compiled once per pattern and shared (templates repeat patterns), over
//! bytes so that binary bodies match, with a bound on compiled size. Nuclei's regexes are
//! RE2 syntax, translated where the `regex` crate reads it differently (see `go_regex`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::bytes::{Regex, RegexBuilder};

use super::error::ParseError;

/// Upper bound on one compiled program, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Patterns kept in the shared cache before it is cleared.
const CACHE_CAP: usize = 50_000;

fn cache() -> &'static Mutex<HashMap<String, Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Compiles a pattern (or returns the shared compiled copy).
pub fn compile(pattern: &str) -> Result<Regex, ParseError> {
    if let Ok(map) = cache().lock() {
        if let Some(re) = map.get(pattern) {
            return Ok(re.clone());
        }
    }
    let re = RegexBuilder::new(&super::go_regex::translate(pattern))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ParseError::Regex {
            pattern: pattern.to_string(),
            reason: first_line(&e.to_string()),
        })?;
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
