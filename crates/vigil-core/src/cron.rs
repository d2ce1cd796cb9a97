//! Cron expressions in the three forms schedulers meet in practice, and the search for the next
//! fire time in a time zone.
//!
//! * 5 fields, Unix: `min hour day-of-month month day-of-week`, day-of-week 0-7 (0 and 7 = Sunday).
//! * 6 fields, Quartz without year: `sec min hour day-of-month month day-of-week`.
//! * 7 fields, Quartz with year: `... day-of-week year` (1970-2199).
//!
//! In the Quartz forms day-of-week numbers are 1-7 with 1 = Sunday, as in the Tencent consoles.
//! Names (`JAN`-`DEC`, `SUN`-`SAT`) work everywhere. Supported syntax: `*`, `?`, lists, ranges
//! (wrapping, e.g. `FRI-MON`), steps (`*/5`, `3/10`, `1-30/2`), and the Quartz specials `L`,
//! `L-n`, `nW`, `LW` (day-of-month) and `nL`, `n#k` (day-of-week). When both day fields are
//! restricted a day matches if either does (Unix semantics).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use std::fmt;

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression `{expr}`: {reason}")]
pub struct CronError {
    /// The expression as given.
    pub expr: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A set of small integers (0..=63) as a bit mask.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Bits(u64);

impl Bits {
    fn has(self, v: u32) -> bool {
        v < 64 && self.0 & (1u64 << v) != 0
    }
    fn set(&mut self, v: u32) {
        self.0 |= 1u64 << v;
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<u32> = (0..64).filter(|i| self.has(*i)).collect();
        write!(f, "{v:?}")
    }
}

/// Day-of-month rule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DomRule {
    Any,
    Days(Bits),
    /// Last day of the month minus an offset (`L`, `L-3`).
    Last(u32),
    /// Weekday nearest to the given day, never leaving the month (`15W`).
    NearestWeekday(u32),
    /// Last weekday of the month (`LW`).
    LastWeekday,
}

/// Day-of-week rule; weekdays are numbered 0 = Sunday .. 6 = Saturday internally.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DowRule {
    Any,
    Days(Bits),
    /// Last given weekday of the month (`5L` Quartz = last Thursday).
    LastOf(u32),
    /// k-th given weekday of the month (`6#3` Quartz = third Friday).
    Nth(u32, u32),
}

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    source: String,
    seconds: Bits,
    minutes: Bits,
    hours: Bits,
    dom: DomRule,
    months: Bits,
    dow: DowRule,
    /// Allowed years as inclusive ranges; empty means every year.
    years: Vec<(i32, i32, i32)>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// Last year a fire time is searched in.
const MAX_YEAR: i32 = 2199;

impl CronExpr {
    /// Parse a 5-, 6- or 7-field expression.
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        let err = |reason: String| CronError {
            expr: expr.to_string(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let (sec, rest, quartz) = match fields.len() {
            5 => ("0", &fields[..], false),
            6 | 7 => (fields[0], &fields[1..], true),
            n => {
                return Err(err(format!(
                    "expected 5, 6 or 7 fields separated by spaces, found {n}"
                )))
            }
        };
        let seconds = parse_plain(sec, 0, 59, &[], 0).map_err(|e| err(format!("seconds: {e}")))?;
        let minutes =
            parse_plain(rest[0], 0, 59, &[], 0).map_err(|e| err(format!("minutes: {e}")))?;
        let hours = parse_plain(rest[1], 0, 23, &[], 0).map_err(|e| err(format!("hours: {e}")))?;
        let dom = parse_dom(rest[2]).map_err(|e| err(format!("day-of-month: {e}")))?;
        let months =
            parse_plain(rest[3], 1, 12, &MONTHS, 1).map_err(|e| err(format!("month: {e}")))?;
        let dow = parse_dow(rest[4], quartz).map_err(|e| err(format!("day-of-week: {e}")))?;
        let years = match rest.get(5) {
            Some(y) => parse_years(y).map_err(|e| err(format!("year: {e}")))?,
            None => Vec::new(),
        };
        Ok(CronExpr {
            source: expr.to_string(),
            seconds,
            minutes,
            hours,
            dom,
            months,
            dow,
            years,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn year_ok(&self, y: i32) -> bool {
        self.years.is_empty()
            || self
                .years
                .iter()
                .any(|&(a, b, step)| y >= a && y <= b && (y - a) % step == 0)
    }

    fn day_ok(&self, d: NaiveDate) -> bool {
        if !self.months.has(d.month()) || !self.year_ok(d.year()) {
            return false;
        }
        let dom_any = self.dom == DomRule::Any;
        let dow_any = self.dow == DowRule::Any;
        match (dom_any, dow_any) {
            (true, true) => true,
            (false, true) => dom_matches(&self.dom, d),
            (true, false) => dow_matches(&self.dow, d),
            (false, false) => dom_matches(&self.dom, d) || dow_matches(&self.dow, d),
        }
    }

    /// First time strictly after `after` that matches, in time zone `tz`; `None` if there is
    /// none before the end of year 2199. Local times skipped by a DST gap do not fire; a local
    /// time repeated by a DST fold fires once, at its first occurrence.
    pub fn next_after<Tz: TimeZone>(&self, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        let tz = after.timezone();
        let local = after.naive_local();
        let mut day = local.date();
        // Earliest local time-of-day that may fire on the first day examined.
        let mut from = Some(local.time());
        loop {
            if day.year() > MAX_YEAR {
                return None;
            }
            if !self.year_ok(day.year()) {
                day = NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?;
                from = None;
                continue;
            }
            if !self.months.has(day.month()) {
                day = first_of_next_month(day)?;
                from = None;
                continue;
            }
            if self.day_ok(day) {
                for t in self.times_of_day() {
                    if let Some(f) = from {
                        if t <= f {
                            continue;
                        }
                    }
                    let candidate = NaiveDateTime::new(day, t);
                    match tz.from_local_datetime(&candidate) {
                        chrono::LocalResult::Single(dt) => return Some(dt),
                        chrono::LocalResult::Ambiguous(first, _) => {
                            if first > *after {
                                return Some(first);
                            }
                        }
                        chrono::LocalResult::None => {}
                    }
                }
            }
            day = day.succ_opt()?;
            from = None;
        }
    }

    fn times_of_day(&self) -> impl Iterator<Item = NaiveTime> + '_ {
        (0..24u32)
            .filter(|h| self.hours.has(*h))
            .flat_map(move |h| {
                (0..60u32)
                    .filter(|m| self.minutes.has(*m))
                    .flat_map(move |m| {
                        (0..60u32)
                            .filter(|s| self.seconds.has(*s))
                            .filter_map(move |s| NaiveTime::from_hms_opt(h, m, s))
                    })
            })
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn first_of_next_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    first_of_next_month(d)
        .and_then(|n| n.pred_opt())
        .map(|l| l.day())
        .unwrap_or(28)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn dom_matches(rule: &DomRule, d: NaiveDate) -> bool {
    let last = last_day_of_month(d);
    match rule {
        DomRule::Any => true,
        DomRule::Days(b) => b.has(d.day()),
        DomRule::Last(off) => last > *off && d.day() == last - off,
        DomRule::NearestWeekday(target) => {
            let target = (*target).min(last);
            let Some(t) = d.with_day(target) else {
                return false;
            };
            let fire = match t.weekday() {
                Weekday::Sat if target == 1 => t.with_day(3),
                Weekday::Sat => t.with_day(target - 1),
                Weekday::Sun if target == last => t.with_day(target - 2),
                Weekday::Sun => t.with_day(target + 1),
                _ => Some(t),
            };
            fire == Some(d)
        }
        DomRule::LastWeekday => {
            let mut l = d.with_day(last);
            while let Some(x) = l {
                if !is_weekend(x) {
                    break;
                }
                l = x.pred_opt();
            }
            l == Some(d)
        }
    }
}

fn dow_matches(rule: &DowRule, d: NaiveDate) -> bool {
    let wd = d.weekday().num_days_from_sunday();
    match rule {
        DowRule::Any => true,
        DowRule::Days(b) => b.has(wd),
        DowRule::LastOf(w) => wd == *w && d.day() + 7 > last_day_of_month(d),
        DowRule::Nth(w, k) => wd == *w && (d.day() - 1) / 7 + 1 == *k,
    }
}

fn parse_number(s: &str, names: &[&str], name_base: u32) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    let upper = s.to_ascii_uppercase();
    names
        .iter()
        .position(|n| *n == upper)
        .map(|i| i as u32 + name_base)
        .ok_or_else(|| format!("`{s}` is not a number or a known name"))
}

/// Parse a field of plain values: `*`, `?`, lists, ranges and steps. `?` is accepted here only
/// for the day fields, whose callers check for it first.
fn parse_plain(
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    name_base: u32,
) -> Result<Bits, String> {
    let mut bits = Bits::default();
    for item in field.split(',') {
        if item.is_empty() {
            return Err("empty list item".into());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("step `{s}` is not a number"))?;
                if step == 0 {
                    return Err("step must be at least 1".into());
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                parse_number(a, names, name_base)?,
                parse_number(b, names, name_base)?,
            )
        } else {
            let v = parse_number(range, names, name_base)?;
            // `5/15` means from 5 to the end in steps of 15.
            (v, if item.contains('/') { max } else { v })
        };
        for v in [lo, hi] {
            if v < min || v > max {
                return Err(format!("value {v} out of range {min}-{max}"));
            }
        }
        // A wrapping range (e.g. 22-2 hours) runs to max and on from min.
        let span = if hi >= lo {
            hi - lo
        } else {
            (max - lo) + (hi - min) + 1
        };
        let width = max - min + 1;
        let mut k = 0;
        while k <= span {
            let v = min + (lo - min + k) % width;
            bits.set(v);
            k += step;
        }
    }
    Ok(bits)
}

fn parse_dom(field: &str) -> Result<DomRule, String> {
    let f = field.to_ascii_uppercase();
    if f == "*" || f == "?" {
        return Ok(DomRule::Any);
    }
    if f == "L" {
        return Ok(DomRule::Last(0));
    }
    if f == "LW" {
        return Ok(DomRule::LastWeekday);
    }
    if let Some(off) = f.strip_prefix("L-") {
        let n: u32 = off
            .parse()
            .map_err(|_| format!("`{field}`: offset after L- must be a number"))?;
        if n > 30 {
            return Err(format!("`{field}`: offset must be 0-30"));
        }
        return Ok(DomRule::Last(n));
    }
    if let Some(day) = f.strip_suffix('W') {
        let n: u32 = day
            .parse()
            .map_err(|_| format!("`{field}`: W needs a single day before it"))?;
        if !(1..=31).contains(&n) {
            return Err(format!("`{field}`: day must be 1-31"));
        }
        return Ok(DomRule::NearestWeekday(n));
    }
    Ok(DomRule::Days(parse_plain(field, 1, 31, &[], 0)?))
}

fn parse_dow(field: &str, quartz: bool) -> Result<DowRule, String> {
    let f = field.to_ascii_uppercase();
    if f == "*" || f == "?" {
        return Ok(DowRule::Any);
    }
    // Map a single weekday token to 0 = Sunday .. 6 = Saturday.
    let one = |s: &str| -> Result<u32, String> {
        let n = parse_number(s, &DAYS, if quartz { 1 } else { 0 })?;
        to_sunday_zero(n, quartz)
    };
    if quartz && f == "L" {
        return Ok(DowRule::Days(single(6)));
    }
    if let Some(day) = f.strip_suffix('L') {
        return Ok(DowRule::LastOf(one(day)?));
    }
    if let Some((day, nth)) = f.split_once('#') {
        let k: u32 = nth
            .parse()
            .map_err(|_| format!("`{field}`: after # comes 1-5"))?;
        if !(1..=5).contains(&k) {
            return Err(format!("`{field}`: after # comes 1-5"));
        }
        return Ok(DowRule::Nth(one(day)?, k));
    }
    let (min, max, base) = if quartz { (1, 7, 1) } else { (0, 7, 0) };
    let raw = parse_plain(field, min, max, &DAYS, base)?;
    let mut bits = Bits::default();
    for v in min..=max {
        if raw.has(v) {
            bits.set(to_sunday_zero(v, quartz)?);
        }
    }
    Ok(DowRule::Days(bits))
}

fn single(v: u32) -> Bits {
    let mut b = Bits::default();
    b.set(v);
    b
}

fn to_sunday_zero(n: u32, quartz: bool) -> Result<u32, String> {
    if quartz {
        if (1..=7).contains(&n) {
            Ok(n - 1)
        } else {
            Err(format!("weekday {n} out of range 1-7 (1 = Sunday)"))
        }
    } else if n <= 7 {
        Ok(n % 7)
    } else {
        Err(format!("weekday {n} out of range 0-7 (0 and 7 = Sunday)"))
    }
}

fn parse_years(field: &str) -> Result<Vec<(i32, i32, i32)>, String> {
    if field == "*" || field == "?" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<i32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step `{s}`"))?,
            ),
            None => (item, 1),
        };
        let num = |s: &str| -> Result<i32, String> {
            let y: i32 = s.parse().map_err(|_| format!("`{s}` is not a year"))?;
            if (1970..=MAX_YEAR).contains(&y) {
                Ok(y)
            } else {
                Err(format!("year {y} out of range 1970-{MAX_YEAR}"))
            }
        };
        let (a, b) = if range == "*" {
            (1970, MAX_YEAR)
        } else if let Some((a, b)) = range.split_once('-') {
            (num(a)?, num(b)?)
        } else {
            let y = num(range)?;
            (y, if item.contains('/') { MAX_YEAR } else { y })
        };
        if b < a {
            return Err(format!("year range {a}-{b} is backwards"));
        }
        out.push((a, b, step));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Timelike, Utc};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str) -> String {
        CronExpr::parse(expr)
            .unwrap()
            .next_after(&utc(after))
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn unix_five_fields() {
        assert_eq!(
            next("*/15 * * * *", "2026-01-01T00:00:00Z"),
            "2026-01-01T00:15:00+00:00"
        );
        assert_eq!(
            next("30 2 * * *", "2026-01-01T03:00:00Z"),
            "2026-01-02T02:30:00+00:00"
        );
        // 2026-01-04 is a Sunday; 0 and 7 both mean Sunday.
        assert_eq!(
            next("0 9 * * 0", "2026-01-01T00:00:00Z"),
            "2026-01-04T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 7", "2026-01-01T00:00:00Z"),
            "2026-01-04T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * MON-FRI", "2026-01-02T10:00:00Z"),
            "2026-01-05T09:00:00+00:00"
        );
    }

    #[test]
    fn quartz_forms_used_by_consoles() {
        assert_eq!(
            next("0 0 12 * * ?", "2026-01-01T12:00:00Z"),
            "2026-01-02T12:00:00+00:00"
        );
        assert_eq!(
            next("0 15 10 ? * *", "2026-01-01T00:00:00Z"),
            "2026-01-01T10:15:00+00:00"
        );
        // Quartz numbering: 2 = Monday.
        assert_eq!(
            next("0 0 8 ? * 2", "2026-01-01T00:00:00Z"),
            "2026-01-05T08:00:00+00:00"
        );
        assert_eq!(
            next("0 15 10 * * ? 2027", "2026-05-01T00:00:00Z"),
            "2027-01-01T10:15:00+00:00"
        );
        assert_eq!(
            next("*/20 * * * * ?", "2026-01-01T00:00:05Z"),
            "2026-01-01T00:00:20+00:00"
        );
    }

    #[test]
    fn quartz_specials() {
        // Last day of February 2028 (leap year).
        assert_eq!(
            next("0 0 0 L * ?", "2028-02-02T00:00:00Z"),
            "2028-02-29T00:00:00+00:00"
        );
        assert_eq!(
            next("0 0 0 L-2 * ?", "2026-01-01T00:00:00Z"),
            "2026-01-29T00:00:00+00:00"
        );
        // 2026-08-15 is a Saturday -> Friday 14th.
        assert_eq!(
            next("0 0 0 15W * ?", "2026-08-01T00:00:00Z"),
            "2026-08-14T00:00:00+00:00"
        );
        // 2026-11-01 is a Sunday -> Monday 2nd; 1W never moves back into October.
        assert_eq!(
            next("0 0 0 1W * ?", "2026-10-05T00:00:00Z"),
            "2026-11-02T00:00:00+00:00"
        );
        // Last weekday of January 2026 is Friday 30th (31st is Saturday).
        assert_eq!(
            next("0 0 0 LW * ?", "2026-01-01T00:00:00Z"),
            "2026-01-30T00:00:00+00:00"
        );
        // Third Friday (6#3) of January 2026 is the 16th.
        assert_eq!(
            next("0 0 0 ? * 6#3", "2026-01-01T00:00:00Z"),
            "2026-01-16T00:00:00+00:00"
        );
        // Last Thursday (5L) of January 2026 is the 29th.
        assert_eq!(
            next("0 0 0 ? * 5L", "2026-01-01T00:00:00Z"),
            "2026-01-29T00:00:00+00:00"
        );
    }

    #[test]
    fn time_zones_and_dst() {
        let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        let after = utc("2026-01-01T00:00:00Z").with_timezone(&tz);
        let n = CronExpr::parse("0 2 * * *")
            .unwrap()
            .next_after(&after)
            .unwrap();
        assert_eq!(
            n.with_timezone(&Utc).to_rfc3339(),
            "2026-01-01T18:00:00+00:00"
        );
        // 02:30 does not exist in New York on 2026-03-08; the next fire is a day later.
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let after = ny.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap();
        let n = CronExpr::parse("30 2 * * *")
            .unwrap()
            .next_after(&after)
            .unwrap();
        assert_eq!(n.to_rfc3339(), "2026-03-09T02:30:00-04:00");
    }

    #[test]
    fn rejects_bad_expressions() {
        for bad in [
            "* * * *",
            "61 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "0 0 0 32W * ?",
            "0 0 0 ? * 8",
            "0 0 0 ? * 2#6",
            "0 0 0 * * ? 1800",
            "a b c d e",
            "1,,2 * * * *",
        ] {
            assert!(CronExpr::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn impossible_dates_end() {
        // February 30th never happens.
        let e = CronExpr::parse("0 0 30 2 *").unwrap();
        assert!(e.next_after(&utc("2026-01-01T00:00:00Z")).is_none());
    }

    proptest::proptest! {
        #[test]
        fn next_is_strictly_later_and_matches(min in 0u32..60, hour in 0u32..24, secs in 0i64..4_000_000_000) {
            let e = CronExpr::parse(&format!("{min} {hour} * * *")).unwrap();
            let after = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
            let n = e.next_after(&after).unwrap();
            proptest::prop_assert!(n > after);
            proptest::prop_assert!(n - after <= chrono::Duration::days(1));
            proptest::prop_assert_eq!((n.hour(), n.minute(), n.second()), (hour, min, 0));
        }
    }
}
