//! RubyGems version ordering (`Gem::Version#<=>`).
//!
//! A version matches `\d+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
//! (surrounding whitespace allowed; empty means `0`); `-` is read as
//! `.pre.`. It is split into segments of digits and of letters (`1.0.a10`
//! → `1, 0, "a", 10`); trailing zero segments of the release part and of
//! the pre-release part are dropped; segments compare pairwise (missing =
//! 0): numbers numerically, strings by bytes, a string below a number — so
//! any letter makes a pre-release (`1.0.a < 1.0`).
//!
//! **Fallback:** strings `Gem::Version` rejects sort before all valid
//! versions and compare among themselves by bytes.

use std::cmp::Ordering;

use super::num::Digits;
use super::with_fallback;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seg<'a> {
    Str(&'a str),
    Num(Digits<'a>),
}

impl Seg<'_> {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(d) if d.is_zero())
    }
}

fn valid(v: &str) -> bool {
    let (rel, pre) = match v.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (v, None),
    };
    let mut parts = rel.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

fn segments(v: &str) -> Option<Vec<Seg<'_>>> {
    let v = v.trim();
    if v.is_empty() {
        return Some(Vec::new());
    }
    if !valid(v) {
        return None;
    }
    let mut segs = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || c.is_ascii_alphabetic() {
            let digit = c.is_ascii_digit();
            let n = b[i..]
                .iter()
                .take_while(|x| {
                    if digit {
                        x.is_ascii_digit()
                    } else {
                        x.is_ascii_alphabetic()
                    }
                })
                .count();
            let s = v.get(i..i + n).unwrap_or("");
            if c.is_ascii_digit() {
                segs.push(Seg::Num(Digits(s)));
            } else {
                // `-` became `.pre.`: a hyphen starts a "pre" string segment.
                segs.push(Seg::Str(s));
            }
            i += n;
        } else {
            if c == b'-' {
                segs.push(Seg::Str("pre"));
            }
            i += 1;
        }
    }
    // canonical_segments: drop trailing zeros of the release part and of
    // the prerelease part.
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(segs.len());
    let (rel, pre) = segs.split_at(split);
    let trim =
        |p: &[Seg<'_>]| -> usize { p.len() - p.iter().rev().take_while(|s| s.is_zero()).count() };
    let mut out: Vec<Seg<'_>> = rel[..trim(rel)].to_vec();
    out.extend_from_slice(&pre[..trim(pre)]);
    Some(out)
}

#[derive(Debug, PartialEq, Eq)]
struct Key<'a>(Vec<Seg<'a>>);

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        let zero = Seg::Num(Digits(""));
        (0..n)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(zero);
                let b = other.0.get(i).copied().unwrap_or(zero);
                a.cmp(&b)
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two gem versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    with_fallback(a, segments(a).map(Key), b, segments(b).map(Key))
}

/// Whether `Gem::Version` accepts `v`.
pub fn is_valid(v: &str) -> bool {
    segments(v).is_some()
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
    fn gem_semantics() {
        let chain = [
            "1.0.a",
            "1.0.a1",
            "1.0.a2",
            "1.0.a10",
            "1.0.b1",
            "1.0.rc1",
            "1.0",
            "1.0.1",
            "1.1",
            "2.0.0.pre",
            "2.0.0",
            "10",
        ];
        for w in chain.windows(2) {
            check(w[0], Less, w[1]);
        }
        check("1.0", Equal, "1");
        check("1.0.0", Equal, "1.0");
        check("1.0.a.0", Equal, "1.0.a");
        check("1.0-rc1", Equal, "1.0.pre.rc1");
        check("1.0-1", Less, "1.0");
        check("", Equal, "0");
        check("5.2.4.3", Greater, "5.2.4.rc1");
        assert!(!is_valid("1.0 beta"));
        assert!(!is_valid("junk"));
        check("junk", Less, "0");
    }
}
