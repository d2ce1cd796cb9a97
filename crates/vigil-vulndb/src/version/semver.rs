//! Semantic Versioning 2.0.0 precedence (npm, crates.io, Go modules, …).
//!
//! Precedence follows SemVer 2.0.0 §11: major, minor and patch compare
//! numerically; a version with a pre-release is lower than the same version
//! without; pre-release identifiers compare one by one — numeric identifiers
//! numerically, alphanumeric ones by ASCII, numeric below alphanumeric, and a
//! shorter list below a longer one it prefixes. Build metadata (`+…`,
//! including Go's `+incompatible`) is ignored.
//!
//! Accepted leniently: a leading `v`/`V` (Go) or `=`, surrounding
//! whitespace, missing minor/patch (`1.2` = `1.2.0`), more than three
//! numeric components (compared with zero padding), leading zeros.
//!
//! **Fallback:** a string whose core is not dot-separated decimal numbers,
//! or with an empty pre-release identifier, is malformed; malformed versions
//! sort before all well-formed ones and compare among themselves by bytes.

use std::cmp::Ordering;

use super::num::Digits;
use super::with_fallback;

/// A parsed SemVer version (borrowing from the input).
#[derive(Debug, Clone)]
pub struct SemVer<'a> {
    release: Vec<Digits<'a>>,
    pre: Vec<&'a str>,
}

impl<'a> SemVer<'a> {
    /// Parses leniently (see the module documentation); `None` if malformed.
    pub fn parse(v: &'a str) -> Option<SemVer<'a>> {
        let v = v.trim();
        let v = v.strip_prefix('=').unwrap_or(v).trim_start();
        let v = v
            .strip_prefix('v')
            .or_else(|| v.strip_prefix('V'))
            .unwrap_or(v);
        let (v, build) = match v.split_once('+') {
            Some((v, b)) => (v, Some(b)),
            None => (v, None),
        };
        if let Some(b) = build {
            if b.split('.').any(|id| !valid_ident(id)) {
                return None;
            }
        }
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        let mut release = Vec::new();
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            release.push(Digits(part));
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<&str> = p.split('.').collect();
                if ids.iter().any(|id| !valid_ident(id)) {
                    return None;
                }
                ids
            }
        };
        Some(SemVer { release, pre })
    }
}

fn valid_ident(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn is_numeric(id: &str) -> bool {
    id.bytes().all(|c| c.is_ascii_digit())
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => Digits(a).cmp(&Digits(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

impl Ord for SemVer<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.release.len().max(other.release.len());
        for i in 0..n {
            let a = self.release.get(i).copied().unwrap_or(Digits(""));
            let b = other.release.get(i).copied().unwrap_or(Digits(""));
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            match cmp_ident(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for SemVer<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer<'_> {}

/// Compares two SemVer versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    with_fallback(a, SemVer::parse(a), b, SemVer::parse(b))
}

/// Whether `v` parses (leniently) as SemVer.
pub fn is_valid(v: &str) -> bool {
    SemVer::parse(v).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[track_caller]
    fn check(a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(a, b), op, "{a} vs {b}");
        assert_eq!(compare(b, a), op.reverse(), "{b} vs {a}");
    }

    /// The precedence example from SemVer 2.0.0 §11.
    #[test]
    fn spec_chain() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for b in &chain[i + 1..] {
                check(a, Less, b);
            }
        }
    }

    #[test]
    fn lenient_and_go() {
        check("1.2", Equal, "1.2.0");
        check("1", Equal, "1.0.0");
        check("v1.2.3", Equal, "1.2.3");
        check("v2.0.0+incompatible", Equal, "2.0.0");
        check("v2.0.1+incompatible", Greater, "v2.0.0");
        check("1.0.0+build.1", Equal, "1.0.0+build.2");
        check("v0.0.0-20210101000000-abcdef123456", Less, "v0.0.0");
        check(
            "v0.0.0-20210101000000-abcdef123456",
            Less,
            "v0.0.0-20220101000000-abcdef123456",
        );
        check("1.2.3.4", Greater, "1.2.3");
        check("1.10.0", Greater, "1.9.0");
        check("0", Less, "0.0.1");
        check("1.0.0-1", Less, "1.0.0-a");
        check("1.0.0-2", Less, "1.0.0-10");
    }

    #[test]
    fn fallback() {
        assert!(!is_valid("1.x"));
        assert!(!is_valid("1.0.0-"));
        assert!(!is_valid("1.0.0-a..b"));
        assert!(!is_valid(""));
        check("1.x", Less, "0.0.0-alpha");
        check("1.x", Greater, "1.a");
    }
}
