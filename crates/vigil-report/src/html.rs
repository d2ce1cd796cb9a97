//! A self-contained HTML report (no scripts, no external resources): a summary with a bar
//! chart of active findings by severity, the findings most severe first with their evidence,
//! and the inventory. Every value from a scan is HTML-escaped. Block elements and table rows
//! start on their own lines, so that two reports (and the golden file) diff line by line.

use crate::{location, ScanReport};
use std::fmt::Write;
use vigil_core::Severity;

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const LEVELS: [(Severity, &str, &str); 5] = [
    (Severity::Critical, "critical", "#7b1fa2"),
    (Severity::High, "high", "#c62828"),
    (Severity::Medium, "medium", "#ef6c00"),
    (Severity::Low, "low", "#f9a825"),
    (Severity::Info, "info", "#546e7a"),
];

/// Bar chart of counts by level as inline SVG.
fn chart(counts: &[(&str, &str, usize)]) -> String {
    let max = counts.iter().map(|c| c.2).max().unwrap_or(0).max(1);
    let mut svg = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"150\" role=\"img\" aria-label=\"Findings by severity\">",
    );
    for (i, (name, color, n)) in counts.iter().enumerate() {
        let y = 10 + i * 27;
        let w = (*n as f64 / max as f64 * 360.0).round() as usize;
        let _ = write!(
            svg,
            "\n<text x=\"0\" y=\"{}\" font-size=\"13\">{name}</text><rect x=\"80\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{n}</text>",
            y + 14,
            86 + w,
            y + 14
        );
    }
    svg.push_str("\n</svg>");
    svg
}

impl ScanReport {
    /// The report as one self-contained HTML page titled `title`.
    pub fn to_html(&self, title: &str) -> String {
        let mut findings: Vec<_> = self.findings.iter().collect();
        findings.sort_by(|a, b| {
            b.finding
                .severity
                .cmp(&a.finding.severity)
                .then(location(&a.finding).cmp(&location(&b.finding)))
        });
        let counts: Vec<(&str, &str, usize)> = LEVELS
            .iter()
            .map(|(sev, name, color)| {
                let n = self
                    .active()
                    .filter(|f| f.severity.unwrap_or(Severity::Info) == *sev)
                    .count();
                (*name, *color, n)
            })
            .collect();
        let active = self.active().count();
        let suppressed = self.findings.len() - active;
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
             <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;width:100%}}\
             td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}\
             pre{{white-space:pre-wrap;word-break:break-all;max-height:20em;overflow:auto;background:#f6f6f6;margin:0}}\
             .sev{{font-weight:bold}}.suppressed{{color:#888}}</style></head><body>\n\
             <h1>{t}</h1>\n<p>Target: <code>{target}</code><br>Started: {s}<br>Finished: {f}</p>\n\
             <h2>Summary</h2>\n<p>{active} active findings, {suppressed} suppressed, {c} components.</p>\n{chart}\n",
            t = escape(title),
            target = escape(&self.target),
            s = self.started.to_rfc3339(),
            f = self.finished.to_rfc3339(),
            c = self.components.len(),
            chart = chart(&counts),
        );
        h.push_str("<h2>Findings</h2>\n<table>\n<tr><th>Severity</th><th>Finding</th><th>Location</th><th>Status</th><th>Evidence</th></tr>\n");
        for rf in &findings {
            let f = &rf.finding;
            let sev = f.severity.unwrap_or(Severity::Info).as_str();
            let mut refs: Vec<String> = f.cve.clone();
            refs.extend(f.cwe.iter().cloned());
            let evidence =
                serde_json::to_string_pretty(&vigil_core::canonical::sorted(&f.evidence))
                    .unwrap_or_default();
            let _ = writeln!(
                h,
                "<tr class=\"{cls}\"><td class=\"sev\">{sev}</td><td>{title}<br><small>{desc}</small><br><small>{refs}</small></td>\
                 <td>{loc}</td><td>{status}</td><td><pre>{ev}</pre></td></tr>",
                cls = if rf.status.is_suppressed() { "suppressed" } else { "" },
                title = escape(&f.title),
                desc = escape(f.description.as_deref().unwrap_or("")),
                refs = escape(&refs.join(", ")),
                loc = escape(&location(f)),
                status = rf.status.as_str(),
                ev = escape(&evidence),
            );
        }
        h.push_str("</table>\n");
        if !self.components.is_empty() {
            h.push_str("<h2>Inventory</h2>\n<table>\n<tr><th>Name</th><th>Version</th><th>Kind</th><th>Where</th></tr>\n");
            for c in &self.components {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&c.name),
                    escape(c.version.as_deref().unwrap_or("")),
                    escape(&c.kind),
                    escape(c.path.as_deref().unwrap_or(""))
                );
            }
            h.push_str("</table>\n");
        }
        h.push_str("</body></html>\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReportedFinding;
    use vigil_core::{Finding, FindingStatus};

    #[test]
    fn escapes_everything_from_the_scan() {
        let r = ScanReport {
            target: "<script>t</script>".into(),
            started: chrono::Utc::now(),
            finished: chrono::Utc::now(),
            components: vec![],
            findings: vec![ReportedFinding {
                finding: Finding {
                    kind: "x".into(),
                    severity: Some(Severity::High),
                    title: "<img src=x onerror=alert(1)>".into(),
                    evidence: serde_json::json!({"body": "</pre><script>"}),
                    ..Default::default()
                },
                status: FindingStatus::Open,
            }],
            engine: None,
        };
        let html = r.to_html("t\"itle");
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("<title>t&quot;itle</title>"));
        assert!(html.contains(">high</text>"));
    }
}
