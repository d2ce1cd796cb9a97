//! Text helpers: case, trimming, searching, splitting and joining, regex, conversions between
//! numbers and text. They work on bytes where nuclei's Go code does (`contains` on a binary
//! body) and on text where case or characters matter.

use memchr::memmem;
use regex::bytes::Regex;

use super::{bytes_of, int_arg, too_large};
use crate::dsl::eval::dynamic_regex;
use crate::dsl::value::Value;
use crate::dsl::MAX_VALUE_LEN;

type R = Result<Value, String>;

/// Most items `split` makes.
const MAX_LIST_LEN: usize = 1 << 20;

fn text(v: &Value) -> String {
    v.to_text().into_owned()
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    memmem::find(hay, needle).is_some()
}

pub fn len(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::Int(match &a[0] {
        Value::List(l) => l.len(),
        v => bytes_of(v).len(),
    } as i64))
}

pub fn to_upper(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::from(a[0].to_text().to_uppercase()))
}

pub fn to_lower(a: &[Value], _: Option<&Regex>) -> R {
    Ok(match &a[0] {
        Value::Bytes(b) => Value::from_bytes(b.to_ascii_lowercase()),
        v => Value::from(v.to_text().to_lowercase()),
    })
}

pub fn to_title(a: &[Value], _: Option<&Regex>) -> R {
    let s = a[0].to_text();
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace();
    }
    Ok(Value::from(out))
}

pub fn index(a: &[Value], _: Option<&Regex>) -> R {
    let i = int_arg(&a[1], "index")?;
    match &a[0] {
        Value::List(l) => usize::try_from(i)
            .ok()
            .and_then(|i| l.get(i).cloned())
            .ok_or_else(|| format!("index {i} out of range")),
        v => {
            let b = bytes_of(v);
            usize::try_from(i)
                .ok()
                .and_then(|i| b.get(i).copied())
                .map(|c| Value::from_bytes(vec![c]))
                .ok_or_else(|| format!("index {i} out of range"))
        }
    }
}

pub fn repeat(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    let n = usize::try_from(int_arg(&a[1], "count")?).map_err(|_| "negative count".to_string())?;
    if s.len().saturating_mul(n) > MAX_VALUE_LEN {
        return Err(too_large());
    }
    Ok(Value::from_bytes(s.repeat(n)))
}

pub fn replace(a: &[Value], _: Option<&Regex>) -> R {
    let (s, from, to) = (text(&a[0]), text(&a[1]), text(&a[2]));
    if from.is_empty() {
        // Go inserts `to` around every character; bound it like any other result.
        let n = s.chars().count() + 1;
        if to.len().saturating_mul(n).saturating_add(s.len()) > MAX_VALUE_LEN {
            return Err(too_large());
        }
    } else if s.len() / from.len() * to.len() > MAX_VALUE_LEN {
        return Err(too_large());
    }
    Ok(Value::from(s.replace(&from, &to)))
}

pub fn replace_regex(a: &[Value], re: Option<&Regex>) -> R {
    let owned;
    let re = match re {
        Some(r) => r,
        None => {
            owned = dynamic_regex(&a[1]).map_err(|e| e.to_string())?;
            &owned
        }
    };
    let (s, rep) = (bytes_of(&a[0]), bytes_of(&a[2]));
    if !rep.is_empty() {
        let matches = re.find_iter(&s).take(MAX_VALUE_LEN / rep.len() + 1).count();
        if matches.saturating_mul(rep.len()).saturating_add(s.len()) > MAX_VALUE_LEN {
            return Err(too_large());
        }
    }
    let out = re.replace_all(&s, rep.as_ref()).into_owned();
    if out.len() > MAX_VALUE_LEN {
        return Err(too_large());
    }
    Ok(Value::from_bytes(out))
}

fn cutset(v: &Value) -> Vec<char> {
    v.to_text().chars().collect()
}

pub fn trim(a: &[Value], _: Option<&Regex>) -> R {
    let set = cutset(&a[1]);
    Ok(Value::from(
        a[0].to_text()
            .trim_matches(|c| set.contains(&c))
            .to_string(),
    ))
}

pub fn trim_left(a: &[Value], _: Option<&Regex>) -> R {
    let set = cutset(&a[1]);
    Ok(Value::from(
        a[0].to_text()
            .trim_start_matches(|c| set.contains(&c))
            .to_string(),
    ))
}

pub fn trim_right(a: &[Value], _: Option<&Regex>) -> R {
    let set = cutset(&a[1]);
    Ok(Value::from(
        a[0].to_text()
            .trim_end_matches(|c| set.contains(&c))
            .to_string(),
    ))
}

pub fn trim_space(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::from(a[0].to_text().trim().to_string()))
}

pub fn trim_prefix(a: &[Value], _: Option<&Regex>) -> R {
    let (s, p) = (bytes_of(&a[0]), bytes_of(&a[1]));
    Ok(Value::from_bytes(
        s.strip_prefix(p.as_ref()).unwrap_or(&s).to_vec(),
    ))
}

pub fn trim_suffix(a: &[Value], _: Option<&Regex>) -> R {
    let (s, p) = (bytes_of(&a[0]), bytes_of(&a[1]));
    Ok(Value::from_bytes(
        s.strip_suffix(p.as_ref()).unwrap_or(&s).to_vec(),
    ))
}

pub fn reverse(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::from(
        a[0].to_text().chars().rev().collect::<String>(),
    ))
}

pub fn contains(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::Bool(has(&bytes_of(&a[0]), &bytes_of(&a[1]))))
}

pub fn contains_all(a: &[Value], _: Option<&Regex>) -> R {
    let hay = bytes_of(&a[0]);
    Ok(Value::Bool(a[1..].iter().all(|v| has(&hay, &bytes_of(v)))))
}

pub fn contains_any(a: &[Value], _: Option<&Regex>) -> R {
    let hay = bytes_of(&a[0]);
    Ok(Value::Bool(a[1..].iter().any(|v| has(&hay, &bytes_of(v)))))
}

pub fn equals_any(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    Ok(Value::Bool(a[1..].iter().any(|v| bytes_of(v) == s)))
}

pub fn starts_with(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    Ok(Value::Bool(
        a[1..].iter().any(|v| s.starts_with(&bytes_of(v))),
    ))
}

pub fn ends_with(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    Ok(Value::Bool(
        a[1..].iter().any(|v| s.ends_with(&bytes_of(v))),
    ))
}

pub fn line_starts_with(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    Ok(Value::Bool(s.split(|&c| c == b'\n').any(|line| {
        a[1..].iter().any(|v| line.starts_with(&bytes_of(v)))
    })))
}

pub fn line_ends_with(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    Ok(Value::Bool(s.split(|&c| c == b'\n').any(|line| {
        a[1..].iter().any(|v| line.ends_with(&bytes_of(v)))
    })))
}

pub fn concat(a: &[Value], _: Option<&Regex>) -> R {
    let mut out = Vec::new();
    for v in a {
        out.extend_from_slice(&bytes_of(v));
        if out.len() > MAX_VALUE_LEN {
            return Err(too_large());
        }
    }
    Ok(Value::from_bytes(out))
}

/// `split(s, n)` cuts into pieces of `n` characters; `split(s, sep[, n])` splits on `sep`
/// into at most `n` pieces (all when `n` is absent or negative).
pub fn split(a: &[Value], _: Option<&Regex>) -> R {
    let s = text(&a[0]);
    if a.len() == 2 {
        if let Value::Int(n) = a[1] {
            let n = usize::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .ok_or("chunk size must be positive")?;
            let chars: Vec<char> = s.chars().collect();
            if chars.len() / n > MAX_LIST_LEN {
                return Err(too_large());
            }
            return Ok(Value::list_of_strings(
                chars.chunks(n).map(|c| c.iter().collect::<String>()),
            ));
        }
    }
    let sep = text(&a[1]);
    let limit = match a.get(2) {
        Some(v) => int_arg(v, "limit")?,
        None => -1,
    };
    let pieces = if sep.is_empty() {
        s.chars().count()
    } else {
        memmem::find_iter(s.as_bytes(), sep.as_bytes()).count()
    };
    if pieces > MAX_LIST_LEN {
        return Err(too_large());
    }
    let parts: Vec<String> = if limit < 0 {
        if sep.is_empty() {
            s.chars().map(String::from).collect()
        } else {
            s.split(sep.as_str()).map(String::from).collect()
        }
    } else if limit == 0 {
        Vec::new()
    } else {
        s.splitn(limit as usize, sep.as_str())
            .map(String::from)
            .collect()
    };
    Ok(Value::list_of_strings(parts))
}

/// `join(sep, a, b, ...)` or `join(sep, list)`.
pub fn join(a: &[Value], _: Option<&Regex>) -> R {
    let sep = text(&a[0]);
    let items: Vec<String> = match &a[1..] {
        [Value::List(l)] => l.iter().map(text).collect(),
        rest => rest.iter().map(text).collect(),
    };
    Ok(Value::from(items.join(&sep)))
}

fn pattern<'a>(
    a: &[Value],
    re: Option<&'a Regex>,
    owned: &'a mut Option<crate::dsl::LazyRegex>,
) -> Result<&'a Regex, String> {
    match re {
        Some(r) => Ok(r),
        None => {
            let compiled = dynamic_regex(&a[0]).map_err(|e| e.to_string())?;
            Ok(&**owned.insert(compiled))
        }
    }
}

pub fn regex(a: &[Value], re: Option<&Regex>) -> R {
    let mut owned = None;
    let re = pattern(a, re, &mut owned)?;
    Ok(Value::Bool(re.is_match(&bytes_of(&a[1]))))
}

pub fn regex_all(a: &[Value], re: Option<&Regex>) -> R {
    let mut owned = None;
    let re = pattern(a, re, &mut owned)?;
    Ok(Value::Bool(
        a[1..].iter().all(|v| re.is_match(&bytes_of(v))),
    ))
}

pub fn regex_any(a: &[Value], re: Option<&Regex>) -> R {
    let mut owned = None;
    let re = pattern(a, re, &mut owned)?;
    Ok(Value::Bool(
        a[1..].iter().any(|v| re.is_match(&bytes_of(v))),
    ))
}

pub fn remove_bad_chars(a: &[Value], _: Option<&Regex>) -> R {
    let bad = cutset(&a[1]);
    Ok(Value::from(
        a[0].to_text()
            .chars()
            .filter(|c| !bad.contains(c))
            .collect::<String>(),
    ))
}

pub fn substr(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    if s.is_empty() {
        return Err("empty string".into());
    }
    let start = usize::try_from(int_arg(&a[1], "start")?).map_err(|_| "negative start")?;
    let end = match a.get(2) {
        Some(v) => usize::try_from(int_arg(v, "end")?).map_err(|_| "negative end position")?,
        None => s.len(),
    };
    if start > s.len() || end > s.len() || end < start {
        return Err(format!("positions {start}..{end} out of range"));
    }
    Ok(Value::from_bytes(s[start..end].to_vec()))
}

pub fn count(a: &[Value], _: Option<&Regex>) -> R {
    let (s, sub) = (bytes_of(&a[0]), bytes_of(&a[1]));
    let n = if sub.is_empty() {
        a[0].to_text().chars().count() + 1
    } else {
        memmem::find_iter(&s, sub.as_ref()).count()
    };
    Ok(Value::Int(n as i64))
}

fn items(a: &[Value]) -> Vec<String> {
    match a {
        [Value::List(l)] => l.iter().map(text).collect(),
        rest => rest.iter().map(text).collect(),
    }
}

/// `sort(s)` sorts the characters of one string; `sort(a, b, ...)` or `sort(list)` the items.
pub fn sort(a: &[Value], _: Option<&Regex>) -> R {
    if let [v] = a {
        if !matches!(v, Value::List(_)) {
            let mut c: Vec<char> = v.to_text().chars().collect();
            c.sort_unstable();
            return Ok(Value::from(c.into_iter().collect::<String>()));
        }
    }
    let mut v = items(a);
    v.sort();
    Ok(Value::list_of_strings(v))
}

/// `uniq(s)` drops repeated characters of one string; `uniq(a, b, ...)` repeated items.
pub fn uniq(a: &[Value], _: Option<&Regex>) -> R {
    if let [v] = a {
        if !matches!(v, Value::List(_)) {
            let mut seen = std::collections::HashSet::new();
            let out: String = v.to_text().chars().filter(|c| seen.insert(*c)).collect();
            return Ok(Value::from(out));
        }
    }
    let mut seen = std::collections::HashSet::new();
    let out: Vec<String> = items(a)
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect();
    Ok(Value::list_of_strings(out))
}

/// `padding(data, byte, length, "prefix"|"suffix")`.
pub fn padding(a: &[Value], _: Option<&Regex>) -> R {
    let want = usize::try_from(int_arg(&a[2], "padding length")?)
        .ok()
        .filter(|n| *n > 0 && *n <= MAX_VALUE_LEN)
        .ok_or("invalid padding length")?;
    let pad = bytes_of(&a[1]);
    if pad.is_empty() {
        return Err("invalid padding byte".into());
    }
    let data = bytes_of(&a[0]).into_owned();
    if data.len() >= want {
        return Ok(Value::from_bytes(data));
    }
    let fill: Vec<u8> = pad
        .iter()
        .copied()
        .cycle()
        .take(want - data.len())
        .collect();
    match &*a[3].to_text() {
        "prefix" => Ok(Value::from_bytes([fill, data].concat())),
        "suffix" => Ok(Value::from_bytes([data, fill].concat())),
        _ => Err("padding mode must be 'prefix' or 'suffix'".into()),
    }
}

pub fn to_string(a: &[Value], _: Option<&Regex>) -> R {
    Ok(match &a[0] {
        v @ (Value::Str(_) | Value::Bytes(_)) => v.clone(),
        v => Value::from(text(v)),
    })
}

pub fn to_number(a: &[Value], _: Option<&Regex>) -> R {
    a[0].to_number()
        .ok_or_else(|| format!("{} could not be converted to int", a[0].to_text()))
}

pub fn to_bool(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::Bool(match &a[0] {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        v => matches!(
            &*v.to_text().to_ascii_lowercase(),
            "true" | "1" | "t" | "yes" | "y"
        ),
    }))
}

pub fn dec_to_hex(a: &[Value], _: Option<&Regex>) -> R {
    let n = int_arg(&a[0], "number")?;
    let s = if n < 0 {
        format!("-{:x}", n.unsigned_abs())
    } else {
        format!("{n:x}")
    };
    Ok(Value::from(s))
}

fn to_dec(v: &Value, prefix: &str, radix: u32) -> R {
    let s = v.to_text();
    let digits = s.trim().trim_start_matches(prefix);
    i64::from_str_radix(digits, radix)
        .map(Value::Int)
        .map_err(|e| format!("{s:?}: {e}"))
}

pub fn hex_to_dec(a: &[Value], _: Option<&Regex>) -> R {
    to_dec(&a[0], "0x", 16)
}

pub fn oct_to_dec(a: &[Value], _: Option<&Regex>) -> R {
    to_dec(&a[0], "0o", 8)
}

pub fn bin_to_dec(a: &[Value], _: Option<&Regex>) -> R {
    to_dec(&a[0], "0b", 2)
}

pub fn print_debug(_: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::Bool(true))
}

pub fn json_minify(a: &[Value], _: Option<&Regex>) -> R {
    let v: serde_json::Value =
        serde_json::from_slice(&bytes_of(&a[0])).map_err(|e| e.to_string())?;
    Ok(Value::from(v.to_string()))
}

pub fn json_prettify(a: &[Value], _: Option<&Regex>) -> R {
    let v: serde_json::Value =
        serde_json::from_slice(&bytes_of(&a[0])).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&v)
        .map(Value::from)
        .map_err(|e| e.to_string())
}
