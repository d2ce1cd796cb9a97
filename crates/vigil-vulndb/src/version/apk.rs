//! Alpine (apk-tools) version ordering.
//!
//! A port of apk-tools' version comparison (`src/version.c`, apk-tools 3;
//! it agrees with apk-tools 2.14 on all of 2.14's test vectors). The grammar
//! is `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`:
//!
//! * pre-release suffixes `_alpha < _beta < _pre < _rc` sort before the plain
//!   version, post-release suffixes `_cvs < _svn < _git < _hg < _p` after it;
//! * `~hash` is a commit hash (lowercase hex), compared as a string;
//! * `-rN` is the package revision;
//! * a `.`-component with a leading zero on either side is compared as a
//!   string (Gentoo rule: `1.01 < 1.1`, `8.2.0 < 8.2.001`), other numbers
//!   numerically (of any length).
//!
//! Versions are compared token by token. When the values so far agree but
//! one version ends or continues with a different kind of token, the one
//! that continues wins (`1.0.1 > 1.0a > 1.0_p1 > 1.0-r1 > 1.0`) unless it
//! continues with a pre-release suffix (`1.0_rc1 < 1.0`).
//!
//! **Malformed versions** are ordered as apk-tools orders them: comparison
//! runs up to the first token that does not fit the grammar; a version whose
//! remainder is malformed sorts below every well-formed continuation
//! (including the end of the string) except a pre-release suffix, and two
//! versions that become malformed at the same point are equal (`1.0bc` =
//! `1.0bd`). This is a total preorder over all strings.

use std::cmp::Ordering;

use super::num::cmp_digits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `NONE` (no suffix) separates pre- from post-release.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const SUFFIX_NONE: usize = 4;

struct Lexer<'a> {
    rest: &'a [u8],
    tok: Tok,
    value: &'a [u8],
    suffix: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        let mut l = Lexer {
            rest: s.as_bytes(),
            tok: Tok::InitialDigit,
            value: &[],
            suffix: 0,
        };
        l.digits();
        l
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|&&c| f(c)).count();
        let (v, r) = self.rest.split_at(n);
        self.rest = r;
        v
    }

    fn digits(&mut self) {
        self.value = self.take_while(|c| c.is_ascii_digit());
        if self.value.is_empty() {
            self.tok = Tok::Invalid;
        }
    }

    fn advance(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.tok = Tok::End;
            return;
        };
        let t = self.tok;
        match c {
            b'a'..=b'z' => {
                if t > Tok::Digit {
                    return self.invalid();
                }
                self.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                self.tok = Tok::Letter;
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if t > Tok::Digit {
                        return self.invalid();
                    }
                    self.rest = &self.rest[1..];
                }
                self.tok = match t {
                    Tok::InitialDigit | Tok::Digit => Tok::Digit,
                    Tok::Suffix => Tok::SuffixNo,
                    _ => return self.invalid(),
                };
                self.digits();
            }
            b'_' => {
                if t > Tok::SuffixNo {
                    return self.invalid();
                }
                self.rest = &self.rest[1..];
                self.value = self.take_while(|c| c.is_ascii_lowercase());
                match SUFFIXES.iter().position(|s| s.as_bytes() == self.value) {
                    Some(k) => {
                        self.suffix = if k < SUFFIX_NONE { k } else { k + 1 };
                        self.tok = Tok::Suffix;
                    }
                    None => self.invalid(),
                }
            }
            b'~' => {
                if t >= Tok::CommitHash {
                    return self.invalid();
                }
                self.rest = &self.rest[1..];
                self.value = self.take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
                if self.value.is_empty() {
                    return self.invalid();
                }
                self.tok = Tok::CommitHash;
            }
            b'-' => {
                if t >= Tok::RevisionNo || !self.rest.starts_with(b"-r") {
                    return self.invalid();
                }
                self.rest = &self.rest[2..];
                self.tok = Tok::RevisionNo;
                self.digits();
            }
            _ => self.invalid(),
        }
    }

    fn invalid(&mut self) {
        self.tok = Tok::Invalid;
    }

    fn is_pre_suffix(&self) -> bool {
        self.tok == Tok::Suffix && self.suffix < SUFFIX_NONE
    }
}

fn as_str(b: &[u8]) -> &str {
    // Only ever called on ASCII digit runs.
    std::str::from_utf8(b).unwrap_or("")
}

/// Compares two tokens of the same kind.
fn token_cmp(a: &Lexer<'_>, b: &Lexer<'_>) -> Ordering {
    match a.tok {
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => {
            cmp_digits(as_str(a.value), as_str(b.value))
        }
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Compares two Alpine package versions (total order, never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut ta, mut tb) = (Lexer::new(a), Lexer::new(b));
    while ta.tok == tb.tok && ta.tok < Tok::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.advance();
        tb.advance();
    }
    if ta.tok == tb.tok {
        return Ordering::Equal;
    }
    if ta.is_pre_suffix() {
        return Ordering::Less;
    }
    if tb.is_pre_suffix() {
        return Ordering::Greater;
    }
    // A token kind further along the grammar (or the end, or garbage) means
    // the version continued with something smaller.
    tb.tok.cmp(&ta.tok)
}

/// Whether apk-tools accepts `v` as a version (`apk_version_validate`).
pub fn is_valid(v: &str) -> bool {
    let mut t = Lexer::new(v);
    while t.tok < Tok::End {
        t.advance();
    }
    t.tok == Tok::End
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
        let chain = [
            "1.0_alpha1",
            "1.0_beta",
            "1.0_pre",
            "1.0_rc1",
            "1.0",
            "1.0_p1",
        ];
        for w in chain.windows(2) {
            check(w[0], Less, w[1]);
        }
        check("1.2.3-r0", Less, "1.2.3-r1");
        check("2.0a", Greater, "2.0");
    }

    /// apk-tools' own test vectors (`test/unit/version.data` at commit
    /// fcd4defc, a superset of 2.14's `test/version.data`): every ordering
    /// line (`<`, `>`, `=`) and every validity line (`v` / `!v`). The fuzzy
    /// (`~`) lines test prefix matching, which is not part of ordering.
    #[test]
    fn apk_tools_vectors() {
        let data = include_str!("../../tests/data/apk-version.data");
        let (mut n_cmp, mut n_valid) = (0, 0);
        for line in data.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts[..] {
                [a, op, b] => {
                    let want = match op {
                        "<" => Less,
                        ">" => Greater,
                        "=" => Equal,
                        _ => continue,
                    };
                    check(a, want, b);
                    n_cmp += 1;
                }
                [v] => {
                    match v.strip_prefix('!') {
                        Some(bad) => assert!(!is_valid(bad), "{bad} should be invalid"),
                        None => assert!(is_valid(v), "{v} should be valid"),
                    }
                    n_valid += 1;
                }
                _ => {}
            }
        }
        assert!(n_cmp > 700, "only {n_cmp} comparison vectors");
        assert!(n_valid > 30, "only {n_valid} validity vectors");
    }

    #[test]
    fn edge_cases() {
        check("1.01", Less, "1.1");
        check("1.0.1", Greater, "1.0a");
        check("1.0a", Greater, "1.0_p1");
        check("1.0_p1", Greater, "1.0-r1");
        check("1.0-r1", Greater, "1.0");
        check("1.0~abc", Greater, "1.0");
        check("1.0~abc", Greater, "1.0-r9");
        check("1.0_git20240101", Greater, "1.0");
        check("1.0_alpha_pre2", Less, "1.0_alpha");
        check("1.0bc", Equal, "1.0bd");
        check("1.0bc", Greater, "1.0");
        check("1.0-foo", Less, "1.0");
        check("1.0_rc1", Less, "1.0-foo");
        check("", Equal, "x");
        check("", Less, "0");
        check(
            "1.123456789012345678901234567890",
            Less,
            "1.123456789012345678901234567891",
        );
    }
}
