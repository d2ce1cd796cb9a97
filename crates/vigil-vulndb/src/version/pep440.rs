//! PEP 440 version ordering (PyPI), matching Python's `packaging.version`.
//!
//! Grammar (case-insensitive, surrounding whitespace and a leading `v`
//! allowed), with the spellings PEP 440 normalizes:
//!
//! ```text
//! [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
//! ```
//!
//! * pre-releases: `a`/`alpha`, `b`/`beta`, `rc`/`c`/`pre`/`preview`, with
//!   optional `.`/`-`/`_` separators and an implicit number 0;
//! * post-releases: `.postN`, `postN`, `-N`, `revN`, `rN` (implicit 0);
//! * dev-releases: `.devN` (implicit 0);
//! * local versions: `+` then alphanumeric segments separated by `.-_`.
//!
//! Ordering: epoch, release (zero-padded, `1.0 == 1.0.0`), then
//! `X.devN < XaN.devM < XaN < XaN.postM.devK < XaN.postM < … < X <
//! X+local < X.postN.devM < X.postN`. Local segments compare numerically if
//! numeric, lexicographically otherwise, numeric above alphanumeric.
//!
//! **Fallback:** strings `packaging` rejects (`InvalidVersion`) sort before
//! every valid version and compare among themselves by bytes.

use std::cmp::Ordering;

use super::num::{digit_prefix_len, Digits};
use super::with_fallback;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    /// A dev release of the final version (`1.0.dev1`).
    NegInf,
    /// `(a=0 | b=1 | rc=2, number)`.
    Pre(u8, Digits<'a>),
    /// No pre-release.
    PosInf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DevKey<'a> {
    Dev(Digits<'a>),
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum LocalSeg<'a> {
    Alpha(&'a str),
    Num(Digits<'a>),
}

/// A parsed PEP 440 version. It borrows from a **lowercased** input; use
/// [`compare`] unless you manage that yourself.
#[derive(Debug, Clone)]
pub struct Pep440<'a> {
    epoch: Digits<'a>,
    release: Vec<Digits<'a>>,
    pre: Option<(u8, Digits<'a>)>,
    post: Option<Digits<'a>>,
    dev: Option<Digits<'a>>,
    local: Option<Vec<LocalSeg<'a>>>,
}

type Alt<'a, T> = Vec<(Option<T>, &'a str)>;

fn seps(s: &str) -> Vec<&str> {
    // Regex `[-_.]?` is greedy: the "separator consumed" branch first.
    match s.as_bytes().first() {
        Some(b'-' | b'_' | b'.') => vec![&s[1..], s],
        _ => vec![s],
    }
}

fn number(s: &str) -> (Digits<'_>, &str) {
    let n = digit_prefix_len(s);
    (Digits(&s[..n]), &s[n..])
}

fn labelled<'a>(s: &'a str, labels: &[(&str, u8)]) -> Alt<'a, (u8, Digits<'a>)> {
    let mut out = Vec::new();
    for r in seps(s) {
        for &(label, kind) in labels {
            if let Some(r) = r.strip_prefix(label) {
                for r in seps(r) {
                    let (n, r) = number(r);
                    out.push((Some((kind, n)), r));
                }
            }
        }
    }
    out
}

const PRE_LABELS: [(&str, u8); 8] = [
    ("a", 0),
    ("b", 1),
    ("c", 2),
    ("rc", 2),
    ("alpha", 0),
    ("beta", 1),
    ("pre", 2),
    ("preview", 2),
];
const POST_LABELS: [(&str, u8); 3] = [("post", 0), ("rev", 0), ("r", 0)];
const DEV_LABELS: [(&str, u8); 1] = [("dev", 0)];

fn parse_local(s: &str) -> Option<Option<Vec<LocalSeg<'_>>>> {
    if s.is_empty() {
        return Some(None);
    }
    let l = s.strip_prefix('+')?;
    let mut segs = Vec::new();
    for seg in l.split(['-', '_', '.']) {
        if seg.is_empty()
            || !seg
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return None;
        }
        segs.push(if seg.bytes().all(|c| c.is_ascii_digit()) {
            LocalSeg::Num(Digits(seg))
        } else {
            LocalSeg::Alpha(seg)
        });
    }
    Some(Some(segs))
}

impl<'a> Pep440<'a> {
    /// Parses an already lowercased version string; `None` if `packaging`
    /// would reject it.
    pub fn parse_lowercase(v: &'a str) -> Option<Pep440<'a>> {
        let v = v.trim();
        let v = v.strip_prefix('v').unwrap_or(v);
        let (epoch, v) = match v.split_once('!') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                (Digits(e), rest)
            }
            None => (Digits(""), v),
        };
        let mut release = Vec::new();
        let mut r = v;
        loop {
            let n = digit_prefix_len(r);
            if n == 0 {
                return None;
            }
            release.push(Digits(&r[..n]));
            r = &r[n..];
            match r.strip_prefix('.') {
                Some(rest) if digit_prefix_len(rest) > 0 => r = rest,
                _ => break,
            }
        }
        let mut pres: Alt<'a, (u8, Digits<'a>)> = labelled(r, &PRE_LABELS);
        pres.push((None, r));
        for (pre, r) in pres {
            let mut posts: Alt<'a, Digits<'a>> = Vec::new();
            if let Some(rest) = r.strip_prefix('-') {
                let n = digit_prefix_len(rest);
                if n > 0 {
                    posts.push((Some(Digits(&rest[..n])), &rest[n..]));
                }
            }
            posts.extend(
                labelled(r, &POST_LABELS)
                    .into_iter()
                    .map(|(p, r)| (p.map(|(_, n)| n), r)),
            );
            posts.push((None, r));
            for (post, r) in posts {
                let mut devs: Alt<'a, Digits<'a>> = labelled(r, &DEV_LABELS)
                    .into_iter()
                    .map(|(d, r)| (d.map(|(_, n)| n), r))
                    .collect();
                devs.push((None, r));
                for (dev, r) in devs {
                    if let Some(local) = parse_local(r) {
                        return Some(Pep440 {
                            epoch,
                            release,
                            pre,
                            post,
                            dev,
                            local,
                        });
                    }
                }
            }
        }
        None
    }

    fn pre_key(&self) -> PreKey<'a> {
        match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => PreKey::NegInf,
            (None, _, _) => PreKey::PosInf,
            (Some((k, n)), _, _) => PreKey::Pre(k, n),
        }
    }

    fn dev_key(&self) -> DevKey<'a> {
        self.dev.map_or(DevKey::None, DevKey::Dev)
    }

    /// The normalized form of the version, as `str(packaging.version.Version(v))`.
    pub fn normalized(&self) -> String {
        let num = |d: Digits<'_>| {
            let s = d.0.trim_start_matches('0');
            if s.is_empty() {
                "0".to_string()
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        if !self.epoch.is_zero() {
            out.push_str(&num(self.epoch));
            out.push('!');
        }
        let rel: Vec<String> = self.release.iter().map(|d| num(*d)).collect();
        out.push_str(&rel.join("."));
        if let Some((k, n)) = self.pre {
            out.push_str(["a", "b", "rc"][usize::from(k.min(2))]);
            out.push_str(&num(n));
        }
        if let Some(n) = self.post {
            out.push_str(".post");
            out.push_str(&num(n));
        }
        if let Some(n) = self.dev {
            out.push_str(".dev");
            out.push_str(&num(n));
        }
        if let Some(local) = &self.local {
            let segs: Vec<String> = local
                .iter()
                .map(|s| match s {
                    LocalSeg::Alpha(a) => a.to_string(),
                    LocalSeg::Num(d) => num(*d),
                })
                .collect();
            out.push('+');
            out.push_str(&segs.join("."));
        }
        out
    }
}

impl Ord for Pep440<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| {
                let n = self.release.len().max(other.release.len());
                (0..n)
                    .map(|i| {
                        let a = self.release.get(i).copied().unwrap_or(Digits(""));
                        let b = other.release.get(i).copied().unwrap_or(Digits(""));
                        a.cmp(&b)
                    })
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| self.dev_key().cmp(&other.dev_key()))
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Pep440<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440<'_> {}

/// Compares two PEP 440 versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (la, lb) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    with_fallback(
        a,
        Pep440::parse_lowercase(&la),
        b,
        Pep440::parse_lowercase(&lb),
    )
}

/// Whether `v` is a valid PEP 440 version.
pub fn is_valid(v: &str) -> bool {
    Pep440::parse_lowercase(&v.to_ascii_lowercase()).is_some()
}

/// The PEP 440 normal form of `v` (`None` if invalid).
pub fn normalize(v: &str) -> Option<String> {
    Pep440::parse_lowercase(&v.to_ascii_lowercase()).map(|p| p.normalized())
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
    fn brief_chain() {
        let chain = [
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1.dev1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1.dev1",
            "1.0.post1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for b in &chain[i + 1..] {
                check(a, Less, b);
            }
        }
    }

    #[test]
    fn spellings_and_normalization() {
        let cases = [
            ("1.0ALPHA1", "1.0a1"),
            ("1.0-beta.2", "1.0b2"),
            ("1.0c1", "1.0rc1"),
            ("1.0pre", "1.0rc0"),
            ("1.0preview_3", "1.0rc3"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev2", "1.0.post2"),
            ("1.0r", "1.0.post0"),
            ("1.0.dev", "1.0.dev0"),
            ("v1.0", "1.0"),
            ("  1.0  ", "1.0"),
            ("0!1.0", "1.0"),
            ("2!1.0", "2!1.0"),
            ("1.0+ubuntu-1", "1.0+ubuntu.1"),
            ("1.0+01", "1.0+1"),
            ("01.002", "1.2"),
            ("1.0a.", "1.0a0"),
        ];
        for (raw, norm) in cases {
            assert_eq!(normalize(raw).as_deref(), Some(norm), "{raw}");
            check(raw, Equal, norm);
        }
        check("1.0", Equal, "1.0.0");
        check("1!0.1", Greater, "2.0");
        check("1.0+abc", Less, "1.0+1");
        check("1.0+1", Less, "1.0+1.0");
        check("1.0+a.b", Greater, "1.0+a");
    }

    #[test]
    fn invalid() {
        for v in [
            "", "1.0-", "1.0+", "a1.0", "1..0", "1.0.", "1.0+a+b", "1.0 a", "1.0dev1a",
        ] {
            assert!(!is_valid(v), "{v}");
        }
        check("foo", Less, "0.dev0");
        check("bar", Less, "foo");
    }
}
