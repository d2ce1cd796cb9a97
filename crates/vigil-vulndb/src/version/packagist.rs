//! Packagist / Composer version ordering.
//!
//! Versions are first normalized like Composer's `VersionParser::normalize`
//! (classic form): an optional `v`, one to four numeric components padded
//! to four (`1.2` → `1.2.0.0`), then an optional stability modifier —
//! `alpha`/`a`, `beta`/`b`, `RC`/`rc`, `patch`/`pl`/`p`, `stable` (dropped)
//! — with an optional number (`-beta.2`, `beta2`), and an optional `-dev`.
//! Normalized strings are compared with PHP's `version_compare` rules:
//! `dev < alpha < beta < RC < (number / release) < patch`, numbers
//! numerically; a missing trailing component loses against a number and
//! against `patch`, and wins against a pre-release modifier.
//!
//! Kept simple: date versions with more than four numeric components and
//! branch names (`dev-main`, `1.x-dev`) are treated as malformed.
//!
//! **Fallback:** malformed versions sort before all valid ones and compare
//! among themselves by bytes.

use std::cmp::Ordering;

use super::num::{digit_prefix_len, Digits};
use super::with_fallback;

/// Parts of a normalized Composer version, as PHP `version_compare` sees
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Num(Digits<'a>),
    /// Special form rank: dev=0, alpha=1, beta=2, RC=3, patch=5 (a number
    /// ranks 4).
    Special(u8),
}

fn rank(p: &Part<'_>) -> u8 {
    match p {
        Part::Num(_) => 4,
        Part::Special(r) => *r,
    }
}

fn normalize(v: &str) -> Option<Vec<Part<'_>>> {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let mut parts = Vec::new();
    let mut r = v;
    for k in 0..4 {
        if k > 0 {
            match r.strip_prefix('.') {
                Some(rest) if digit_prefix_len(rest) > 0 => r = rest,
                _ => break,
            }
        }
        let n = digit_prefix_len(r);
        if n == 0 {
            return None;
        }
        parts.push(Part::Num(Digits(&r[..n])));
        r = &r[n..];
    }
    while parts.len() < 4 {
        parts.push(Part::Num(Digits("0")));
    }
    let lower = r.to_ascii_lowercase();
    let mut rest = lower.as_str();
    rest = rest.strip_prefix(['.', '_', '-']).unwrap_or(rest);
    const MODS: [(&str, u8); 9] = [
        ("stable", 9),
        ("alpha", 1),
        ("beta", 2),
        ("patch", 5),
        ("rc", 3),
        ("pl", 5),
        ("a", 1),
        ("b", 2),
        ("p", 5),
    ];
    if let Some(&(m, rk)) = MODS.iter().find(|(m, _)| rest.starts_with(m)) {
        rest = &rest[m.len()..];
        if rk != 9 {
            parts.push(Part::Special(rk));
        }
        // Stability number: groups of `[.-]?\d+`.
        loop {
            let t = rest.strip_prefix(['.', '-']).unwrap_or(rest);
            let n = digit_prefix_len(t);
            if n == 0 {
                break;
            }
            // Borrow digits from the original string at the same offset.
            let off = r.len() - t.len();
            parts.push(Part::Num(Digits(r.get(off..off + n)?)));
            rest = &t[n..];
        }
    }
    let rest = rest.strip_prefix(['.', '-']).unwrap_or(rest);
    match rest {
        "" => {}
        "dev" => parts.push(Part::Special(0)),
        _ => return None,
    }
    Some(parts)
}

#[derive(Debug, PartialEq, Eq)]
struct Key<'a>(Vec<Part<'a>>);

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let r = match (a, b) {
                (Part::Num(x), Part::Num(y)) => x.cmp(y),
                _ => rank(a).cmp(&rank(b)),
            };
            if r != Ordering::Equal {
                return r;
            }
        }
        let n = self.0.len().min(other.0.len());
        // A leftover part is compared with "#" (a number's rank) unless it
        // is a number itself, which always wins.
        match (self.0.get(n), other.0.get(n)) {
            (Some(Part::Num(_)), _) => Ordering::Greater,
            (_, Some(Part::Num(_))) => Ordering::Less,
            (Some(p), None) => rank(p).cmp(&4),
            (None, Some(p)) => 4.cmp(&rank(p)),
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two Composer versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    with_fallback(a, normalize(a).map(Key), b, normalize(b).map(Key))
}

/// Whether `v` normalizes as a classic Composer version.
pub fn is_valid(v: &str) -> bool {
    normalize(v).is_some()
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

    #[test]
    fn composer_semantics() {
        let chain = [
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.1",
            "1.1",
            "v2.0",
        ];
        for w in chain.windows(2) {
            check(w[0], Less, w[1]);
        }
        check("1.0", Equal, "1.0.0.0");
        check("v1.2.3", Equal, "1.2.3");
        check("1.0.0-a1", Equal, "1.0.0-alpha1");
        check("1.0.0-b2", Equal, "1.0.0beta2");
        check("1.0.0-pl1", Equal, "1.0.0-patch1");
        check("1.0.0-stable", Equal, "1.0.0");
        check("1.0.0-beta2-dev", Less, "1.0.0-beta2");
        check("1.0.0-beta2-dev", Greater, "1.0.0-beta1");
        check("1.10.0", Greater, "1.9.9");
        assert!(!is_valid("dev-main"));
        assert!(!is_valid("1.x-dev"));
        check("dev-main", Less, "0.0.1-dev");
    }
}
