//! `compare_versions(version, constraint...)` with the semantics of hashicorp/go-version, which
//! nuclei uses: versions are any number of numeric segments (padded to three) with an optional
//! `v` prefix, `-prerelease` and `+metadata`; constraints are comma-separated
//! `= != > < >= <= ~>` clauses that must all hold, and a prerelease version only satisfies an
//! ordering constraint that itself names a prerelease of the same segments.

use std::cmp::Ordering;

use regex::bytes::Regex;

use crate::dsl::value::Value;

/// A parsed version.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    segments: Vec<u64>,
    /// How many segments were written.
    written: usize,
    pre: String,
}

fn parse_version(s: &str) -> Option<Version> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let s = s.split_once('+').map_or(s, |(a, _)| a);
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (nums, rest) = s.split_at(num_end);
    if nums.is_empty() || nums.ends_with('.') && !rest.is_empty() {
        return None;
    }
    let nums = nums.trim_end_matches('.');
    let mut segments = Vec::new();
    for part in nums.split('.') {
        segments.push(part.parse::<u64>().ok()?);
    }
    let pre = rest.strip_prefix('-').unwrap_or(rest);
    let pre_ok = pre
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '~' | '.'));
    if !pre_ok || (rest.is_empty() != pre.is_empty() && pre.is_empty()) {
        return None;
    }
    let written = segments.len();
    while segments.len() < 3 {
        segments.push(0);
    }
    Some(Version {
        segments,
        written,
        pre: pre.to_string(),
    })
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

fn compare(a: &Version, b: &Version) -> Ordering {
    let n = a.segments.len().max(b.segments.len());
    for i in 0..n {
        let (x, y) = (
            a.segments.get(i).copied().unwrap_or(0),
            b.segments.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    cmp_pre(&a.pre, &b.pre)
}

fn prerelease_ok(v: &Version, c: &Version) -> bool {
    match (v.pre.is_empty(), c.pre.is_empty()) {
        (false, false) => v.segments == c.segments,
        (false, true) => false,
        _ => true,
    }
}

fn check(v: &Version, op: &str, c: &Version) -> bool {
    let o = compare(v, c);
    match op {
        "" | "=" => o == Ordering::Equal,
        "!=" => o != Ordering::Equal,
        ">" => prerelease_ok(v, c) && o == Ordering::Greater,
        "<" => prerelease_ok(v, c) && o == Ordering::Less,
        ">=" => prerelease_ok(v, c) && o != Ordering::Less,
        "<=" => prerelease_ok(v, c) && o != Ordering::Greater,
        _ => {
            // "~>": at least c, and the same leading segments except the last written one.
            if !prerelease_ok(v, c) || o == Ordering::Less {
                return false;
            }
            let keep = c.written.saturating_sub(1).max(1).min(c.segments.len());
            if c.written == 1 {
                return true;
            }
            v.segments.get(..keep) == c.segments.get(..keep)
        }
    }
}

fn parse_clause(clause: &str) -> Option<(&'static str, Version)> {
    let t = clause.trim();
    for op in ["~>", ">=", "<=", "!=", ">", "<", "="] {
        if let Some(rest) = t.strip_prefix(op) {
            return Some((op, parse_version(rest)?));
        }
    }
    Some(("=", parse_version(t)?))
}

pub fn compare_versions(a: &[Value], _: Option<&Regex>) -> Result<Value, String> {
    let text = a[0].to_text();
    let v = parse_version(&text).ok_or_else(|| format!("malformed version: {text}"))?;
    let joined: Vec<String> = a[1..].iter().map(|c| c.to_text().into_owned()).collect();
    let joined = joined.join(",");
    let mut ok = true;
    for clause in joined.split(',') {
        let (op, c) =
            parse_clause(clause).ok_or_else(|| format!("malformed constraint: {joined}"))?;
        ok &= check(&v, op, &c);
    }
    Ok(Value::Bool(ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cv(v: &str, cs: &[&str]) -> Option<bool> {
        let mut args = vec![Value::from(v)];
        args.extend(cs.iter().map(|c| Value::from(*c)));
        compare_versions(&args, None).ok().and_then(|v| v.as_bool())
    }

    #[test]
    fn go_version_semantics() {
        assert_eq!(cv("v1.0.0", &[">v0.0.1"]), Some(true));
        assert_eq!(cv("2.3.0", &["< 2.3.1"]), Some(true));
        assert_eq!(cv("2.3.1", &["< 2.3.1"]), Some(false));
        assert_eq!(cv("1.2", &[">= 1.0", "< 2.0"]), Some(true));
        assert_eq!(cv("1.2", &[">= 1.0, < 1.1"]), Some(false));
        assert_eq!(cv("1.2.3.4", &["> 1.2.3"]), Some(true));
        assert_eq!(cv("1.2.3-beta", &["< 1.2.3"]), Some(false));
        assert_eq!(cv("1.2.3-beta", &["< 1.2.3-rc1"]), Some(true));
        assert_eq!(cv("1.2.9", &["~> 1.2.3"]), Some(true));
        assert_eq!(cv("1.3.0", &["~> 1.2.3"]), Some(false));
        assert_eq!(cv("1.9", &["~> 1.2"]), Some(true));
        assert_eq!(cv("garbage", &["< 1"]), None);
        assert_eq!(cv("1.0", &["<< 1"]), None);
    }
}
