//! Secrets in text: private keys, cloud and SaaS credentials, passwords in configuration files
//! and credentials hard-coded in program code. This is Vigil's one secret detector: the image
//! engine runs it on files, the web engine on response bodies.
//!
//! Every rule has an id, a title, a severity and a remediation ([`rules`]); a match carries its
//! 1-based line and **masked** evidence ([`crate::mask`]: at most the first four characters, never
//! more than a quarter, then `****`). The full secret is never put in a [`Detection`]; callers
//! that must hide it in text they show (a web page kept as evidence) get its byte ranges from
//! [`Secrets::find`] ([`Found::parts`]). Matches are validated beyond their shape where the format
//! allows it: PEM, OpenSSH and OpenPGP key bodies must decode as base64 into a key structure
//! ([`keys`]), PuTTY keys must have the announced number of base64 lines, token prefixes must be
//! followed by enough random-looking characters ([`tokens`], [`cloud`]), and well-known
//! placeholders (documentation keys containing `EXAMPLE`, `changeme`, `${VAR}`, `<password>`,
//! `xxx`, empty values, ...) are skipped.
//!
//! What else applies depends on the [`Context`]: configuration files (by name) are read for
//! `password = ...` lines, program code for `password: "..."`-style literals ([`assign`]).
//! Binary data (a NUL byte within the first 8 KiB) is searched for private keys only. At most
//! [`Secrets::max_bytes`] bytes are searched and at most [`MAX_FINDINGS`] matches are reported
//! per text.

mod assign;
mod cloud;
mod keys;
pub(crate) mod rules;
mod tokens;

use std::collections::HashSet;
use std::ops::Range;

use crate::text::{self, line_of};
use crate::{Category, Detection, RuleText, Severity};

pub use assign::is_config_file;
pub(crate) use keys::pem_body;

/// Most matches reported for one file.
pub const MAX_FINDINGS: usize = 50;

/// The ids of every secret rule (a [`Detection::rule`] of a secret is one of them).
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    rules::ALL.iter().map(|r| r.id)
}

/// What the searched text is; decides the rules beyond keys and tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context<'a> {
    /// The file's path when the text is a file: configuration files (by name, see
    /// [`is_config_file`]) are read for literal passwords.
    pub path: Option<&'a str>,
    /// The text is program code whose string literals are values (JavaScript a web site
    /// serves, an application's sources): `password = "..."`, `apiKey: '...'` and similar
    /// assignments of literals are reported as hard-coded credentials.
    pub code: bool,
}

impl<'a> Context<'a> {
    /// A file at `path`.
    pub fn file(path: &'a str) -> Context<'a> {
        Context {
            path: Some(path),
            code: false,
        }
    }

    /// Program code (no file path).
    pub fn code() -> Context<'a> {
        Context {
            path: None,
            code: true,
        }
    }

    /// Text of no particular kind (a web page, a log): keys and tokens only.
    pub fn text() -> Context<'a> {
        Context::default()
    }
}

/// One value that makes up a found secret, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What it is (`access key id`, `secret access key`, `SecretId`, `token`, `key body`, ...).
    pub label: &'static str,
    /// Byte range of the value in the searched data.
    pub span: Range<usize>,
}

/// A secret with where its values are: for callers that show the searched text and must mask
/// them in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The detection (rule, severity, line, masked evidence).
    pub detection: Detection,
    /// Byte offset of the match.
    pub offset: usize,
    /// The secret's values: one for a token or key, two for a key id with its secret.
    pub parts: Vec<Part>,
}

/// The secret rules, compiled once.
#[derive(Debug)]
pub struct Secrets {
    max_bytes: usize,
    keys: keys::Keys,
    cloud: cloud::Cloud,
    tokens: tokens::Tokens,
    assign: assign::Assignments,
}

/// A built-in pattern; the patterns are constants of this module and a test compiles every one.
pub(crate) fn re(pattern: &str) -> regex::bytes::Regex {
    match regex::bytes::Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("built-in secret pattern {pattern:?} does not compile: {e}"),
    }
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets::new(4 << 20)
    }
}

impl Secrets {
    /// The rules, searching at most `max_bytes` bytes of each text.
    pub fn new(max_bytes: usize) -> Secrets {
        Secrets {
            max_bytes,
            keys: keys::Keys::new(),
            cloud: cloud::Cloud::new(),
            tokens: tokens::Tokens::new(),
            assign: assign::Assignments::new(),
        }
    }

    /// One rule set with the default byte cap, compiled on first use and shared by the
    /// process (the web engine searches every page with it).
    pub fn shared() -> &'static Secrets {
        static SHARED: std::sync::OnceLock<Secrets> = std::sync::OnceLock::new();
        SHARED.get_or_init(Secrets::default)
    }

    /// Bytes of a text that are searched.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Searches one file. `path` decides whether configuration-file password rules apply.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Detection> {
        self.find(data, Context::file(path))
            .into_iter()
            .map(|f| f.detection)
            .collect()
    }

    /// Searches `data` as `ctx` says it is: every secret with the byte ranges of its values.
    pub fn find(&self, data: &[u8], ctx: Context<'_>) -> Vec<Found> {
        let data = &data[..data.len().min(self.max_bytes)];
        let mut out = Out::default();
        let binary = text::is_binary(data);
        if !binary {
            // First, so that the key inside a service-account file is not reported again as
            // a PEM key.
            self.keys.gcp(data, &mut out);
        }
        self.keys.private_keys(data, binary, &mut out);
        self.keys.putty_keys(data, &mut out);
        if binary {
            return out.found;
        }
        self.keys.pgp_keys(data, &mut out);
        self.cloud.aws(data, &mut out);
        self.cloud.tencent(data, &mut out);
        self.cloud.alibaba(data, &mut out);
        self.cloud.azure(data, &mut out);
        self.tokens.scan(data, &mut out);
        if ctx.path.is_some_and(is_config_file) {
            self.assign.config_passwords(data, &mut out);
        }
        if ctx.code {
            self.assign.code_literals(data, &mut out);
        }
        out.found
    }
}

/// Collected matches of one text, bounded and deduplicated.
#[derive(Default)]
pub(crate) struct Out {
    found: Vec<Found>,
    seen: HashSet<(String, u32, String)>,
    covered: Vec<(usize, usize)>,
}

impl Out {
    pub(crate) fn full(&self) -> bool {
        self.found.len() >= MAX_FINDINGS
    }

    /// Marks a byte range as reported by a more specific rule (a service-account JSON's key).
    pub(crate) fn cover(&mut self, start: usize, end: usize) {
        self.covered.push((start, end));
    }

    /// Records a match of `rule` at `offset` with its rule's own severity.
    pub(crate) fn push(
        &mut self,
        rule: &RuleText,
        data: &[u8],
        offset: usize,
        evidence: String,
        parts: Vec<Part>,
    ) {
        self.push_with(rule, rule.severity, data, offset, evidence, parts);
    }

    /// Records a match of `rule` at `offset` with a severity of its own.
    pub(crate) fn push_with(
        &mut self,
        rule: &RuleText,
        severity: Severity,
        data: &[u8],
        offset: usize,
        evidence: String,
        parts: Vec<Part>,
    ) {
        if self.full() || self.covered.iter().any(|&(s, e)| offset >= s && offset < e) {
            return;
        }
        let line = line_of(data, offset);
        if !self
            .seen
            .insert((rule.id.to_string(), line, evidence.clone()))
        {
            return;
        }
        self.found.push(Found {
            detection: Detection::builtin(Category::Secret, rule, severity, Some(line), evidence),
            offset,
            parts,
        });
    }
}

/// The rule ids found in a text of no particular kind, for the rules' tests.
#[cfg(test)]
pub(crate) fn rules_in(text: &str) -> Vec<String> {
    Secrets::shared()
        .find(text.as_bytes(), Context::text())
        .into_iter()
        .map(|f| f.detection.rule)
        .collect()
}

/// A part of a found secret.
pub(crate) fn part(label: &'static str, span: Range<usize>) -> Part {
    Part { label, span }
}

/// The bytes as text (lossy) for masking.
pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether a token looks generated: mixed character classes and enough entropy.
pub(crate) fn random_secret(s: &[u8]) -> bool {
    let digits = s.iter().any(u8::is_ascii_digit);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let classes = usize::from(digits) + usize::from(lower) + usize::from(upper);
    classes >= 2 && !text::low_entropy(s) && text::entropy(s) >= 3.5
}

/// The first occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `hay` contains `needle`, ASCII case-insensitively.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One rule set for all property cases (compiling the patterns per case is slow).
    fn shared() -> &'static Secrets {
        Secrets::shared()
    }

    #[test]
    fn every_pattern_compiles() {
        let _ = Secrets::default();
    }

    #[test]
    fn rule_ids_are_unique() {
        let ids: HashSet<&str> = rule_ids().collect();
        assert_eq!(ids.len(), rules::ALL.len());
    }

    #[test]
    fn parts_point_at_the_values() {
        let id = ["AKIA", "Y3VIGILFIXTURE7Q"].concat();
        let secret = ["q9Xw", "Lr2VigilFixtureNotARealSecret0kT4mPz"].concat();
        let text = format!("id = {id}\nsecret = {secret}\n");
        let found = shared().find(text.as_bytes(), Context::text());
        assert_eq!(found.len(), 1, "{found:#?}");
        let spans: Vec<&str> = found[0]
            .parts
            .iter()
            .map(|p| &text[p.span.clone()])
            .collect();
        assert_eq!(spans, vec![id.as_str(), secret.as_str()]);
        assert_eq!(found[0].detection.rule, "aws-access-key");
        assert!(!found[0].detection.evidence.contains(&secret));
    }

    #[test]
    fn context_decides_the_assignment_rules() {
        let js = r#"var config = { apiKey: "k3y-9f8e7d6c5b", password: 'hunter2hunter2!' };"#;
        let rules = |ctx| -> Vec<String> {
            shared()
                .find(js.as_bytes(), ctx)
                .into_iter()
                .map(|f| f.detection.rule)
                .collect()
        };
        assert_eq!(rules(Context::code()), vec!["hard-coded-credential"; 2]);
        assert!(rules(Context::text()).is_empty());
        assert!(rules(Context::file("app/config.js")).is_empty());
        let env = "DB_PASSWORD=Tr0ub4dor&3\n";
        let found = shared().find(env.as_bytes(), Context::file("app/.env"));
        assert_eq!(found[0].detection.rule, "config-password");
        assert!(shared().find(env.as_bytes(), Context::text()).is_empty());
    }

    proptest! {
        #[test]
        fn scanning_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..4096), config in any::<bool>(), code in any::<bool>()) {
            let s = shared();
            let path = if config { "app/.env" } else { "bin/tool" };
            for f in s.find(&data, Context { path: Some(path), code }) {
                prop_assert!(f.detection.line.is_some());
                for p in &f.parts {
                    prop_assert!(p.span.start <= p.span.end && p.span.end <= data.len());
                }
            }
        }

        #[test]
        fn scanning_arbitrary_text_never_panics(text in "(\\PC|\n){0,600}") {
            let _ = shared().scan("config.yaml", text.as_bytes());
            let _ = shared().find(text.as_bytes(), Context::code());
        }

        #[test]
        fn key_fragments_never_panic(prefix in "(-----BEGIN (RSA |OPENSSH |PGP )?PRIVATE KEY( BLOCK)?-----\n|PuTTY-User-Key-File-3: ssh-ed25519\n|\"type\": \"service_account\"|AKIA|A3T|AKID|LTAI|ghp_|glpat-|xoxb-|sk_live_|AIza|AccountKey=|password: ')", body in "[A-Za-z0-9+/=:\\-\n ]{0,300}") {
            let _ = shared().scan(".env", format!("{prefix}{body}").as_bytes());
            let _ = shared().find(format!("{prefix}{body}").as_bytes(), Context::code());
        }
    }
}
