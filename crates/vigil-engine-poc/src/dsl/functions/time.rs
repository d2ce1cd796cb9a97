//! Time helpers: the current Unix time, `date_time` with nuclei's `%Y-%M-%D %H:%m:%S` form or a
//! Go reference layout (`2006-01-02`, `Jan 2, 2006`), and `to_unix_time` of a number or an
//! RFC 3339 / common date text. Times are UTC.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use regex::bytes::Regex;

use super::int_arg;
use crate::dsl::value::Value;

type R = Result<Value, String>;

fn now() -> DateTime<Utc> {
    Utc::now()
}

pub fn unix_time(a: &[Value], _: Option<&Regex>) -> R {
    let offset = match a.first() {
        Some(v) => int_arg(v, "seconds")?,
        None => 0,
    };
    Ok(Value::Int(now().timestamp().saturating_add(offset)))
}

fn at(v: Option<&Value>) -> Result<DateTime<Utc>, String> {
    match v {
        None => Ok(now()),
        Some(v) => {
            let secs = int_arg(v, "unix time")?;
            DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("time {secs} out of range"))
        }
    }
}

/// Go reference-layout tokens and their chrono equivalents, longest first.
const GO_LAYOUT: &[(&str, &str)] = &[
    ("January", "%B"),
    ("Monday", "%A"),
    ("2006", "%Y"),
    ("Z07:00", "%:z"),
    ("-0700", "%z"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("MST", "UTC"),
    ("01", "%m"),
    ("02", "%d"),
    ("15", "%H"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("06", "%y"),
    ("PM", "%p"),
    ("_2", "%e"),
    ("1", "%-m"),
    ("2", "%-d"),
    ("3", "%-I"),
    ("4", "%-M"),
    ("5", "%-S"),
];

fn go_layout_to_chrono(layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (go, fmt) in GO_LAYOUT {
            if let Some(r) = rest.strip_prefix(go) {
                out.push_str(fmt);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `date_time(format[, unix_time])`.
pub fn date_time(a: &[Value], _: Option<&Regex>) -> R {
    let format = a[0].to_text().into_owned();
    let t = at(a.get(1))?;
    if format.contains('%') {
        let mut out = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let Some(spec) = chars.next() else {
                out.push('%');
                break;
            };
            match spec {
                'Y' | 'y' => out.push_str(&format!("{:02}", t.year())),
                'M' => out.push_str(&format!("{:02}", t.month())),
                'D' | 'd' => out.push_str(&format!("{:02}", t.day())),
                'H' | 'h' => out.push_str(&format!("{:02}", t.hour())),
                'm' => out.push_str(&format!("{:02}", t.minute())),
                'S' | 's' => out.push_str(&format!("{:02}", t.second())),
                other => return Err(format!("invalid date time format string: %{other}")),
            }
        }
        return Ok(Value::from(out));
    }
    let fmt = go_layout_to_chrono(&format);
    let mut out = String::new();
    use std::fmt::Write as _;
    write!(out, "{}", t.format(&fmt)).map_err(|_| format!("bad layout {format:?}"))?;
    Ok(Value::from(out))
}

/// `to_unix_time(text[, layout])`: a number is taken as is; else RFC 3339 or a common layout.
pub fn to_unix_time(a: &[Value], _: Option<&Regex>) -> R {
    let s = a[0].to_text();
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        if f.is_finite() && f.abs() < 9.0e18 {
            return Ok(Value::Int(f as i64));
        }
    }
    if let Some(layout) = a.get(1) {
        let fmt = go_layout_to_chrono(&layout.to_text());
        return NaiveDateTime::parse_from_str(s, &fmt)
            .map(|d| d.and_utc())
            .or_else(|_| {
                NaiveDate::parse_from_str(s, &fmt).map(|d| d.and_time(Default::default()).and_utc())
            })
            .map(|d| Value::Int(d.timestamp()))
            .map_err(|_| {
                format!(
                    "could not parse {s:?} with the layout {:?}",
                    layout.to_text()
                )
            });
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(Value::Int(d.timestamp()));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Ok(Value::Int(d.timestamp()));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Value::Int(d.and_utc().timestamp()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Value::Int(
            d.and_time(Default::default()).and_utc().timestamp(),
        ));
    }
    Err(format!("could not parse {s:?} with the default layouts"))
}
