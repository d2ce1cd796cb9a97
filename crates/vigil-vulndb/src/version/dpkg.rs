//! Debian / Ubuntu version ordering, exactly as `dpkg --compare-versions`.
//!
//! A version is `[epoch:]upstream[-revision]`:
//!
//! * the epoch is the text before the **first** `:`, compared as an unsigned
//!   integer of any length (leading zeros ignored); a missing epoch is 0;
//! * the revision is the text after the **last** `-` (none means empty);
//! * upstream and revision are compared with dpkg's `verrevcmp`: alternating
//!   non-digit and digit runs; in a non-digit run `~` sorts before
//!   everything (even the end of the string), then the end / a digit, then
//!   letters (by ASCII), then every other byte; digit runs compare as
//!   numbers, leading zeros ignored.
//!
//! Malformed input (which `dpkg` itself rejects) still gets a total order:
//! if the text before the first `:` is not a non-empty run of digits, there
//! is no epoch (0) and the whole text up to the last `-` is the upstream
//! part. Bytes ≥ 0x80 are ordered as dpkg on a signed-`char` platform
//! (amd64) does: after letters, before ASCII punctuation. Surrounding
//! whitespace is ignored, as dpkg does.

use std::cmp::Ordering;

use super::num::cmp_digits;

/// The three parts of a dpkg version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    /// Epoch digits (empty when absent, meaning 0).
    pub epoch: &'a str,
    /// Upstream version.
    pub upstream: &'a str,
    /// Debian revision (empty when absent).
    pub revision: &'a str,
}

impl<'a> DpkgVersion<'a> {
    /// Splits `v` into epoch, upstream and revision (never fails; see the
    /// module documentation for the fallback).
    pub fn split(v: &'a str) -> DpkgVersion<'a> {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => (e, rest),
            _ => ("", v),
        };
        let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
        DpkgVersion {
            epoch,
            upstream,
            revision,
        }
    }
}

impl Ord for DpkgVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.epoch, other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

impl PartialOrd for DpkgVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two Debian versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    DpkgVersion::split(a).cmp(&DpkgVersion::split(b))
}

/// Whether `v` is a version dpkg accepts: optional numeric epoch, a
/// non-empty upstream part starting with a digit and made of alphanumerics
/// and `.+~-:`, and (after the last `-`) a non-empty revision made of
/// alphanumerics and `.+~`.
pub fn is_valid(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return false;
    }
    if let Some((e, _)) = t.split_once(':') {
        if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let p = DpkgVersion::split(t);
    let rest = t.split_once(':').map_or(t, |(_, r)| r);
    let has_rev = rest.contains('-');
    let up_ok = p
        .upstream
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        && p.upstream
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".+~-:".contains(&c))
        && (!p.upstream.contains(':') || !p.epoch.is_empty());
    let rev_ok = !has_rev
        || (!p.revision.is_empty()
            && p.revision
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".+~".contains(&c)));
    up_ok && rev_ok
}

/// dpkg's `order()`: weight of a byte in a non-digit run (`None` = end).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        // `char` is signed on the platforms dpkg is compared with here.
        Some(c) => i32::from(c as i8) + 256,
    }
}

/// dpkg's `verrevcmp` on an upstream version or a revision.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let (i0, j0) = (i.min(a.len()), j.min(b.len()));
        let si = i0 + a[i0..].iter().take_while(|c| c.is_ascii_digit()).count();
        let sj = j0 + b[j0..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Digit runs are ASCII, so these slices are valid UTF-8.
        let da = std::str::from_utf8(&a[i0..si]).unwrap_or("");
        let db = std::str::from_utf8(&b[j0..sj]).unwrap_or("");
        let c = cmp_digits(da, db);
        if c != Ordering::Equal {
            return c;
        }
        i = si;
        j = sj;
    }
    Ordering::Equal
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
    fn brief_cases() {
        check("1.0~rc1", Less, "1.0");
        check("1:0.9", Greater, "2.0");
        check("2.36-9+deb12u4", Less, "2.36-9+deb12u10");
        check("1.2.3-1", Less, "1.2.3-1.1");
    }

    #[test]
    fn dpkg_semantics() {
        check("1.0", Equal, "1.00");
        check("1.0", Equal, "0:1.0");
        check("1.0", Equal, "1.0-0");
        check("1.0~", Less, "1.0");
        check("1.0~~", Less, "1.0~");
        check("1.0~~a", Less, "1.0~");
        check("1.0a", Greater, "1.0");
        check("1.0a", Less, "1.0.");
        check("1.0+", Greater, "1.0a");
        check("1.0-1", Less, "1.0-2");
        check("1.0-a-1", Greater, "1.0-1");
        check("2:1.0", Greater, "1:9.9");
        check("10:1", Greater, "9:1");
        check("1.2.10", Greater, "1.2.9");
        check("7.88.1-10+deb12u5", Greater, "7.88.1-10+deb12u4");
        check("1:2.38.1-5+deb12u1", Greater, "1:2.38.1-5");
        check("3.0.11-1~deb12u2", Less, "3.0.11-1");
        check("3.0.11-1~deb12u2", Greater, "3.0.11-1~deb12u1");
        check("5.15.0-91.101", Less, "5.15.0-101.111");
        check("2.35-0ubuntu3.6", Greater, "2.35-0ubuntu3.1");
        check("", Equal, "0");
    }

    #[test]
    fn fallback_is_total() {
        check("a:1.0", Greater, "1.0");
        check("é", Greater, "z");
        check("é", Less, ".");
    }

    #[test]
    fn validity() {
        assert!(is_valid("1:2.36-9+deb12u4"));
        assert!(is_valid("1.0~rc1"));
        assert!(is_valid("1:2.0:1-1")); // colon in upstream needs an epoch
        assert!(!is_valid("2.0:1-1"));
        assert!(!is_valid("1:2.0-1:1"));
        assert!(!is_valid(""));
        assert!(!is_valid("a1.0"));
        assert!(!is_valid("1.0-"));
        assert!(!is_valid("x:1.0"));
    }
}
