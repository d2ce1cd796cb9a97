//! SARIF 2.1.0 for code-scanning dashboards: one run, one rule per finding kind, a result per
//! finding with a partial fingerprint for dedup, suppressed findings marked as suppressed.
//! A finding's URL or file path becomes the artifact location; SARIF requires a URI reference
//! there, so characters a URI may not hold are percent-encoded (a path such as
//! `/app/my notes#1.txt` would otherwise be invalid, or mean a fragment). Checked against the
//! official OASIS schema by the compatibility suite (`tests/compat/test_report_schemas.py`).

use serde_json::{json, Value};
use vigil_core::{Finding, Severity};

use crate::{location, ScanReport, Stamp};

impl ScanReport {
    /// SARIF 2.1.0 with a fresh [`Stamp`].
    pub fn to_sarif(&self) -> Value {
        self.to_sarif_with(&Stamp::fresh())
    }

    /// SARIF 2.1.0 naming the tool version of `stamp`.
    pub fn to_sarif_with(&self, stamp: &Stamp) -> Value {
        let mut kinds: Vec<&str> = self
            .findings
            .iter()
            .map(|f| f.finding.kind.as_str())
            .collect();
        kinds.sort();
        kinds.dedup();
        let rules: Vec<Value> = kinds
            .iter()
            .map(|k| json!({"id": k, "name": k, "shortDescription": {"text": k.replace('_', " ")}}))
            .collect();
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|rf| {
                let f = &rf.finding;
                let mut r = json!({
                    "ruleId": f.kind,
                    "level": level(f.severity.unwrap_or(Severity::Info)),
                    "message": {"text": match &f.description { Some(d) => format!("{}: {d}", f.title), None => f.title.clone() }},
                    "partialFingerprints": {"vigil/v1": f.fingerprint()},
                    "properties": {"severity": f.severity.unwrap_or(Severity::Info).as_str(), "cve": f.cve, "cwe": f.cwe},
                });
                r["locations"] = json!([artifact_location(f)]);
                if rf.status.is_suppressed() {
                    r["suppressions"] = json!([{"kind": "external", "justification": rf.status.as_str()}]);
                }
                r
            })
            .collect();
        let mut tool =
            json!({"driver": {"name": "vigil", "version": stamp.tool_version, "rules": rules}});
        if let Some(e) = &self.engine {
            tool["extensions"] = json!([e.sarif_component()]);
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": tool,
                "invocations": [{"executionSuccessful": true,
                                 "startTimeUtc": self.started.to_rfc3339(), "endTimeUtc": self.finished.to_rfc3339()}],
                "results": results,
            }],
        })
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The location of a result: the URL or file as an artifact, else host and port as a
/// logical location.
fn artifact_location(f: &Finding) -> Value {
    let uri = match (&f.url, &f.path) {
        (Some(u), _) => url_reference(u),
        (None, Some(p)) => path_reference(p),
        _ => {
            return json!({"logicalLocations": [{"fullyQualifiedName": location(f), "kind": "module"}]})
        }
    };
    json!({"physicalLocation": {"artifactLocation": {"uri": uri}}})
}

/// RFC 3986 unreserved characters.
fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// RFC 3986 sub-delimiters.
fn sub_delim(c: char) -> bool {
    matches!(
        c,
        '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '='
    )
}

/// `c` as percent-encoded UTF-8, appended to `out`.
fn encode_into(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!("%{b:02X}"));
    }
}

/// A URL as a URI reference: kept as it is where it is one already (its reserved characters
/// and valid percent-escapes keep their meaning), any other character percent-encoded.
fn url_reference(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for (i, c) in url.char_indices() {
        let escape = c == '%'
            && url
                .get(i + 1..i + 3)
                .is_some_and(|h| h.chars().all(|d| d.is_ascii_hexdigit()));
        if escape
            || unreserved(c)
            || sub_delim(c)
            || matches!(c, ':' | '/' | '?' | '#' | '[' | ']' | '@')
        {
            out.push(c);
        } else {
            encode_into(&mut out, c);
        }
    }
    out
}

/// A file path as a URI reference: `/` separates segments, and every character a path
/// segment may not hold as data (including `%`, `?`, `#` and `:`, which could read as a
/// scheme) is percent-encoded.
fn path_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if unreserved(c) || sub_delim(c) || matches!(c, '/' | '@') {
            out.push(c);
        } else {
            encode_into(&mut out, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_uri_references() {
        assert_eq!(
            path_reference("/app/my notes#1 100%.txt"),
            "/app/my%20notes%231%20100%25.txt"
        );
        assert_eq!(
            path_reference("/app/app.war!/WEB-INF/lib/a.jar"),
            "/app/app.war!/WEB-INF/lib/a.jar"
        );
        assert_eq!(path_reference("C:x/é"), "C%3Ax/%C3%A9");
        assert_eq!(
            url_reference("https://h.test/a%20b/c d?q=<x>&r=%zz#f"),
            "https://h.test/a%20b/c%20d?q=%3Cx%3E&r=%25zz#f"
        );
        assert_eq!(url_reference("http://[::1]:8080/p"), "http://[::1]:8080/p");
    }
}
