//! SQL injection, three ways. Error-based: a quote makes a database error appear (recognised
//! by DBMS-specific messages) and the same quote doubled, which SQL reads as an escaped quote,
//! makes it go away again. Boolean-based: an always-true condition leaves the page as it was
//! and an always-false one changes it, twice in a row. Time-based (deep mode): a requested
//! sleep delays the answer by the requested time, a sleep of zero does not, and a second
//! request is slow again.

use super::{delay_proven, report, send, timings};
use crate::endpoint::{Endpoint, Point};
use crate::http::{Request, Response};
use crate::Scan;
use rand::Rng;
use regex::Regex;
use serde_json::json;
use std::collections::HashSet;
use std::sync::OnceLock;
use vigil_engine::EngineError;

/// Database error messages, by DBMS.
const ERRORS: &[(&str, &str)] = &[
    (
        "SQLite",
        r"(?i)sqlite3?\.OperationalError|SQLITE_ERROR|SQLite3::SQLException|unrecognized token: |near \S+: syntax error|SQLiteException",
    ),
    (
        "MySQL",
        r"(?i)You have an error in your SQL syntax|mysql_fetch_|Warning: mysqli?_|MySQLSyntaxErrorException|check the manual that corresponds to your (MySQL|MariaDB) server version",
    ),
    (
        "PostgreSQL",
        r"(?i)PG::SyntaxError|ERROR:\s+syntax error at or near|unterminated quoted string at or near|PSQLException|pg_query\(\)",
    ),
    (
        "Microsoft SQL Server",
        r"(?i)Unclosed quotation mark after the character string|Microsoft OLE DB Provider for SQL Server|SqlException \(0x|Incorrect syntax near",
    ),
    (
        "Oracle",
        r"ORA-0\d{4}|ORA-1\d{4}|quoted string not properly terminated",
    ),
];

fn error_rules() -> &'static Vec<(&'static str, Regex)> {
    static RULES: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    RULES.get_or_init(|| {
        ERRORS
            .iter()
            .filter_map(|(db, p)| Regex::new(p).ok().map(|r| (*db, r)))
            .collect()
    })
}

/// The DBMS whose error message `text` shows.
pub fn dbms_error(text: &str) -> Option<(&'static str, String)> {
    error_rules().iter().find_map(|(db, r)| {
        r.find(text)
            .map(|m| (*db, m.as_str().chars().take(120).collect()))
    })
}

/// Lines of a body with `remove` strings (and their HTML-escaped forms) taken out.
fn lines(r: &Response, remove: &[&str]) -> Vec<String> {
    let mut t = r.text();
    for p in remove.iter().filter(|p| !p.is_empty()) {
        t = t.replace(*p, "");
        let escaped = p
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;");
        t = t.replace(&escaped, "");
        t = t.replace(&p.replace('\'', "&#39;"), "");
    }
    t.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// How alike two answers are, 0 to 1: same status, and the share of lines they have in common.
pub fn similarity(a: &Response, b: &Response, remove: &[&str]) -> f64 {
    if a.status != b.status {
        return 0.0;
    }
    let (la, lb) = (lines(a, remove), lines(b, remove));
    if la.is_empty() && lb.is_empty() {
        return 1.0;
    }
    let sa: HashSet<&String> = la.iter().collect();
    let sb: HashSet<&String> = lb.iter().collect();
    let common = sa.intersection(&sb).count();
    common as f64 / sa.len().max(sb.len()).max(1) as f64
}

const SAME: f64 = 0.98;
const DIFFERENT: f64 = 0.9;

async fn error_based(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<bool, EngineError> {
    if dbms_error(&base.text()).is_some() {
        return Ok(false);
    }
    let o = &pt.original;
    for q in ["'", "\""] {
        let req = ep.inject(pt, &format!("{o}{q}"));
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        let Some((db, msg)) = dbms_error(&resp.text()) else {
            continue;
        };
        // The quote doubled is an escaped quote in SQL: the error must go away.
        let Some(balanced) = send(scan, &ep.inject(pt, &format!("{o}{q}{q}"))).await? else {
            continue;
        };
        if dbms_error(&balanced.text()).is_some() {
            continue;
        }
        let proof = json!({
            "technique": "error",
            "payload": format!("{o}{q}"),
            "dbms": db,
            "proof": format!("`{o}{q}` makes the {db} error `{msg}` appear; `{o}{q}{q}` (an escaped quote) does not"),
        });
        report(scan, "sqli", ep, pt, &req, &resp, Some(&msg), proof).await?;
        return Ok(true);
    }
    Ok(false)
}

async fn boolean_based(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<bool, EngineError> {
    let o = &pt.original;
    let n: u32 = rand::thread_rng().gen_range(100..999);
    let mut pairs = Vec::new();
    if !o.is_empty() && o.chars().all(|c| c.is_ascii_digit()) {
        pairs.push((format!("{o} AND {n}={n}"), format!("{o} AND {n}={}", n + 1)));
    }
    pairs.push((
        format!("{o}' AND '{n}'='{n}"),
        format!("{o}' AND '{n}'='{}", n + 1),
    ));
    pairs.push((
        format!("{o}\" AND \"{n}\"=\"{n}"),
        format!("{o}\" AND \"{n}\"=\"{}", n + 1),
    ));
    for (t, f) in pairs {
        let strip = [t.as_str(), f.as_str()];
        let mut proof: Option<(Request, Response, f64, f64)> = None;
        for round in 0..2 {
            let (Some(tr), Some(fr)) = (
                send(scan, &ep.inject(pt, &t)).await?,
                send(scan, &ep.inject(pt, &f)).await?,
            ) else {
                proof = None;
                break;
            };
            let st = similarity(&tr, base, &strip);
            let sf = similarity(&fr, base, &strip);
            let stf = similarity(&tr, &fr, &strip);
            if !(st >= SAME && sf < DIFFERENT && stf < DIFFERENT) {
                proof = None;
                break;
            }
            if round == 0 {
                proof = Some((ep.inject(pt, &f), fr, st, sf));
            }
        }
        if let Some((req, resp, st, sf)) = proof {
            let ev = json!({
                "technique": "boolean",
                "payload_true": t,
                "payload_false": f,
                "proof": format!(
                    "`{t}` answers like the normal request (similarity {st:.2}) and `{f}` differs (similarity {sf:.2}), twice in a row"
                ),
            });
            report(scan, "sqli", ep, pt, &req, &resp, None, ev).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

async fn time_based(scan: &Scan<'_>, ep: &Endpoint, pt: &Point) -> Result<bool, EngineError> {
    let Some(normal) = timings(scan, &ep.request(), 3).await? else {
        return Ok(false);
    };
    let o = pt.original.clone();
    let numeric = !o.is_empty() && o.chars().all(|c| c.is_ascii_digit());
    type Template = fn(&str, f64) -> String;
    let mut templates: Vec<(&str, Template)> = Vec::new();
    if numeric {
        templates.push(("SLEEP", |o, s| format!("{o} AND sleep({s})")));
        templates.push(("pg_sleep", |o, s| {
            format!("{o} AND 1=(SELECT 1 FROM pg_sleep({s}))")
        }));
    }
    templates.push(("SLEEP", |o, s| format!("{o}' AND sleep({s}) AND '1'='1")));
    templates.push(("pg_sleep", |o, s| format!("{o}';SELECT pg_sleep({s})--")));
    templates.push(("WAITFOR", |o, s| format!("{o}';WAITFOR DELAY '0:0:{s}'--")));
    for (func, tpl) in templates {
        let secs = 3.0;
        let found = delay_proven(scan, &normal, secs, |s| ep.inject(pt, &tpl(&o, s))).await?;
        if let Some((req, resp, times)) = found {
            let ev = json!({
                "technique": "time",
                "payload": tpl(&o, secs),
                "function": func,
                "normal_seconds": normal,
                "delayed_seconds": [times[0], times[2]],
                "zero_delay_seconds": times[1],
                "proof": format!(
                    "asking for {secs} s with {func} took {:.2} s and {:.2} s; asking for 0 s took {:.2} s; normal requests took at most {:.2} s",
                    times[0], times[2], times[1], normal.iter().cloned().fold(0.0, f64::max)
                ),
            });
            report(scan, "sqli", ep, pt, &req, &resp, None, ev).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    if error_based(scan, ep, pt, base).await? || boolean_based(scan, ep, pt, base).await? {
        return Ok(());
    }
    if scan.deep {
        time_based(scan, ep, pt).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn dbms_errors() {
        for (text, db) in [
            (
                "sqlite3.OperationalError: unrecognized token: \"'\"",
                "SQLite",
            ),
            (
                "You have an error in your SQL syntax; check the manual",
                "MySQL",
            ),
            ("ERROR:  syntax error at or near \"'\"", "PostgreSQL"),
            (
                "Unclosed quotation mark after the character string ''.",
                "Microsoft SQL Server",
            ),
            ("ORA-01756: quoted string not properly terminated", "Oracle"),
        ] {
            assert_eq!(dbms_error(text).map(|x| x.0), Some(db), "{text}");
        }
        for safe in [
            "No products match your search.",
            "syntax is important",
            "ORA-1 tickets",
            "SQL tutorial: SELECT",
        ] {
            assert_eq!(dbms_error(safe), None, "{safe}");
        }
    }

    #[test]
    fn similarity_ignores_the_payload() {
        let a = resp(200, "<h1>Results</h1>\n<p>for 1 AND 5=5</p>\n<li>Lamp</li>");
        let b = resp(200, "<h1>Results</h1>\n<p>for </p>\n<li>Lamp</li>");
        assert!(similarity(&a, &b, &["1 AND 5=5"]) >= SAME);
        let c = resp(200, "<h1>Results</h1>\n<p>for </p>\n<li>none</li>");
        assert!(similarity(&b, &c, &[]) < DIFFERENT);
        assert_eq!(similarity(&b, &resp(500, "<h1>Results</h1>"), &[]), 0.0);
    }
}
