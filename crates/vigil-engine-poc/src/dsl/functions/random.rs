//! Random helpers for payloads: random characters from a charset, random integers in a range
//! and random IPv4 addresses in a CIDR. Lengths are bounded so that a template cannot make
//! evaluation allocate without limit.

use rand::Rng;
use regex::bytes::Regex;

use super::int_arg;
use crate::dsl::value::Value;

type R = Result<Value, String>;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMBERS: &str = "1234567890";
/// Longest random string a helper makes.
pub const MAX_RANDOM_LEN: usize = 1 << 20;

fn length(v: &Value) -> Result<usize, String> {
    let n = int_arg(v, "length")?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_RANDOM_LEN)
        .ok_or_else(|| format!("length {n} out of range (0..={MAX_RANDOM_LEN})"))
}

fn rand_seq(charset: &[char], n: usize) -> R {
    if charset.is_empty() {
        return Err("empty character set".into());
    }
    let mut rng = rand::thread_rng();
    Ok(Value::from(
        (0..n)
            .map(|_| charset[rng.gen_range(0..charset.len())])
            .collect::<String>(),
    ))
}

fn without(base: &str, bad: Option<&Value>) -> Vec<char> {
    let bad: Vec<char> = bad
        .map(|b| b.to_text().chars().collect())
        .unwrap_or_default();
    base.chars().filter(|c| !bad.contains(c)).collect()
}

fn charset_or_default(v: Option<&Value>) -> Vec<char> {
    match v.map(|v| v.to_text().into_owned()) {
        Some(s) if !s.trim().is_empty() => s.chars().collect(),
        _ => format!("{LETTERS}{NUMBERS}").chars().collect(),
    }
}

pub fn rand_char(a: &[Value], _: Option<&Regex>) -> R {
    rand_seq(&charset_or_default(a.first()), 1)
}

pub fn rand_base(a: &[Value], _: Option<&Regex>) -> R {
    rand_seq(&charset_or_default(a.get(1)), length(&a[0])?)
}

pub fn rand_text_alphanumeric(a: &[Value], _: Option<&Regex>) -> R {
    rand_seq(
        &without(&format!("{LETTERS}{NUMBERS}"), a.get(1)),
        length(&a[0])?,
    )
}

pub fn rand_text_alpha(a: &[Value], _: Option<&Regex>) -> R {
    rand_seq(&without(LETTERS, a.get(1)), length(&a[0])?)
}

pub fn rand_text_numeric(a: &[Value], _: Option<&Regex>) -> R {
    rand_seq(&without(NUMBERS, a.get(1)), length(&a[0])?)
}

/// A random integer in `[min, max)`, by default `[0, 2^31-1)`.
pub fn rand_int(a: &[Value], _: Option<&Regex>) -> R {
    let min = match a.first() {
        Some(v) => int_arg(v, "min")?,
        None => 0,
    };
    let max = match a.get(1) {
        Some(v) => int_arg(v, "max")?,
        None => i64::from(i32::MAX),
    };
    if max <= min {
        return Err(format!("empty range {min}..{max}"));
    }
    Ok(Value::Int(rand::thread_rng().gen_range(min..max)))
}

/// A random IPv4 address inside one of the given CIDRs.
pub fn rand_ip(a: &[Value], _: Option<&Regex>) -> R {
    let mut rng = rand::thread_rng();
    let cidr = a[rng.gen_range(0..a.len())].to_text().into_owned();
    let (addr, bits) = cidr
        .split_once('/')
        .ok_or_else(|| format!("{cidr:?} is not a CIDR"))?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("{cidr:?} is not an IPv4 CIDR"))?;
    let bits: u32 = bits
        .parse()
        .ok()
        .filter(|b| *b <= 32)
        .ok_or_else(|| format!("{cidr:?} has a bad prefix length"))?;
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let host: u32 = rng.gen::<u32>() & !mask;
    Ok(Value::from(
        std::net::Ipv4Addr::from((u32::from(ip) & mask) | host).to_string(),
    ))
}
