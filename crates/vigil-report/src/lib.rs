//! Rendering of scan results for people and tools: the one JSON document every `vigil scan`
//! command prints (`{"target", "started", "finished", "components", "findings"}`, and `engine`,
//! the kind and version of the engine that ran, when known), a terminal table, SARIF 2.1.0 for
//! code-scanning dashboards (`sarif.rs`; the engine as an extension of the `vigil` tool), a
//! self-contained HTML page (`html.rs`), and CycloneDX and SPDX SBOMs (`sbom/`). Suppressed findings (ignored, false
//! positive) are left out of counts and the exit status everywhere, and marked as suppressed
//! in SARIF. What legitimately differs between two renderings of one report (an SBOM's serial
//! number, the tool's version) comes from a [`Stamp`], so tests can fix it.

mod html;
mod sarif;
mod sbom;

pub use sbom::PACKAGE_VULN_KIND;

use chrono::{DateTime, Utc};
pub use html::escape;
use serde_json::{json, Value};
pub use vigil_core::Component;
use vigil_core::{Finding, FindingStatus, Severity};

/// What differs between two renderings of one report besides the report itself: the serial
/// number that makes each SBOM document unique (CycloneDX `serialNumber`, SPDX
/// `documentNamespace`) and the version of Vigil named as the producing tool (SARIF,
/// CycloneDX, SPDX). [`ScanReport::render`] takes a fresh one; tests inject a fixed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Serial number of the document.
    pub serial: uuid::Uuid,
    /// Version of the tool that made it.
    pub tool_version: String,
}

impl Stamp {
    /// A random serial number and this build's version.
    pub fn fresh() -> Self {
        Stamp {
            serial: uuid::Uuid::new_v4(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A finding with its triage status, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedFinding {
    /// The finding.
    pub finding: Finding,
    /// Its status (open unless triaged).
    pub status: FindingStatus,
}

/// One scan's results.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanReport {
    /// What was scanned, as given.
    pub target: String,
    /// Start time.
    pub started: DateTime<Utc>,
    /// End time.
    pub finished: DateTime<Utc>,
    /// Inventory.
    pub components: Vec<Component>,
    /// Findings.
    pub findings: Vec<ReportedFinding>,
    /// The engine that produced them, when one run of one engine did.
    pub engine: Option<EngineInfo>,
}

/// Which engine produced a report's results: its kind and version ([`vigil_engine`'s
/// `Engine::kind` and `Engine::version`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// The engine kind (`net`, `web`, `image`).
    pub kind: String,
    /// The engine's version.
    pub version: String,
}

impl EngineInfo {
    /// The SARIF tool component naming the engine (an extension of the `vigil` driver).
    fn sarif_component(&self) -> Value {
        json!({"name": format!("vigil-engine-{}", self.kind), "version": self.version})
    }
}

/// Output format of the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for terminals.
    Table,
    /// The JSON output contract.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// A self-contained HTML page.
    Html,
    /// CycloneDX 1.5 JSON (inventory and package vulnerabilities).
    CycloneDx,
    /// SPDX 2.3 JSON (inventory).
    Spdx,
}

impl ScanReport {
    /// Findings that count (not suppressed).
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| !f.status.is_suppressed())
            .map(|f| &f.finding)
    }

    /// Exit status for `--fail-on`: 1 when an active finding is at least `threshold`, else 0.
    pub fn exit_status(&self, threshold: Option<Severity>) -> i32 {
        match threshold {
            Some(t)
                if self
                    .active()
                    .any(|f| f.severity.unwrap_or(Severity::Info) >= t) =>
            {
                1
            }
            _ => 0,
        }
    }

    /// The JSON output contract.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|rf| {
                let mut v = serde_json::to_value(&rf.finding).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.remove("identity");
                    m.insert("fingerprint".into(), rf.finding.fingerprint().into());
                    m.insert("status".into(), rf.status.as_str().into());
                }
                v
            })
            .collect();
        let mut out = json!({
            "target": self.target,
            "started": self.started.to_rfc3339(),
            "finished": self.finished.to_rfc3339(),
            "components": self.components,
            "findings": findings,
        });
        if let Some(e) = &self.engine {
            out["engine"] = json!({"kind": e.kind, "version": e.version});
        }
        out
    }

    /// Render in a format, with a fresh [`Stamp`].
    pub fn render(&self, format: Format) -> String {
        self.render_with(format, &Stamp::fresh())
    }

    /// Render in a format with the serial number and tool version of `stamp`.
    pub fn render_with(&self, format: Format, stamp: &Stamp) -> String {
        let json = |v: Value| serde_json::to_string_pretty(&v).unwrap_or_default();
        match format {
            Format::Json => json(self.to_json()),
            Format::Sarif => json(self.to_sarif_with(stamp)),
            Format::Table => self.to_table(),
            Format::Html => self.to_html(&format!("Vigil scan of {}", self.target)),
            Format::CycloneDx => json(self.to_cyclonedx_with(stamp)),
            Format::Spdx => json(self.to_spdx_with(stamp)),
        }
    }

    /// A terminal table of active findings, most severe first, and a summary line.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<[String; 4]> = Vec::new();
        let mut active: Vec<&Finding> = self.active().collect();
        active.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(location(a).cmp(&location(b)))
        });
        for f in &active {
            rows.push([
                f.severity.unwrap_or(Severity::Info).as_str().to_uppercase(),
                location(f),
                f.kind.clone(),
                f.title.clone(),
            ]);
        }
        let header = ["SEVERITY", "LOCATION", "KIND", "TITLE"].map(String::from);
        let mut widths = header.clone().map(|h| h.len());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |r: &[String; 4], out: &mut String| {
            let cells: Vec<String> = r
                .iter()
                .zip(widths.iter())
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 3 {
                        c.clone()
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        };
        if !rows.is_empty() {
            line(&header, &mut out);
            for r in &rows {
                line(r, &mut out);
            }
        }
        let suppressed = self.findings.len() - active.len();
        let mut counts = Vec::new();
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ] {
            let n = active
                .iter()
                .filter(|f| f.severity.unwrap_or(Severity::Info) == s)
                .count();
            if n > 0 {
                counts.push(format!("{n} {s}"));
            }
        }
        out.push_str(&format!(
            "{}: {} finding{}{}{}, {} component{}, {:.1}s\n",
            self.target,
            active.len(),
            if active.len() == 1 { "" } else { "s" },
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            },
            if suppressed > 0 {
                format!(", {suppressed} suppressed")
            } else {
                String::new()
            },
            self.components.len(),
            if self.components.len() == 1 { "" } else { "s" },
            (self.finished - self.started).num_milliseconds() as f64 / 1000.0,
        ));
        out
    }
}

/// Where a finding is, in one string: URL, path, or host:port/protocol.
pub(crate) fn location(f: &Finding) -> String {
    if let Some(u) = &f.url {
        return u.clone();
    }
    if let Some(p) = &f.path {
        return p.clone();
    }
    let host = f.host.clone().unwrap_or_default();
    match (f.port, &f.protocol) {
        (Some(p), Some(proto)) => format!("{host}:{p}/{proto}"),
        (Some(p), None) => format!("{host}:{p}"),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> ScanReport {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let f = |kind: &str, sev: Severity, port: u16| Finding {
            kind: kind.into(),
            severity: Some(sev),
            title: format!("{kind} on {port}"),
            host: Some("127.0.0.1".into()),
            port: Some(port),
            protocol: Some("tcp".into()),
            ..Default::default()
        };
        ScanReport {
            target: "127.0.0.1".into(),
            started: t0,
            finished: t0 + chrono::Duration::milliseconds(1500),
            components: vec![Component {
                name: "openssh".into(),
                version: Some("9.2p1".into()),
                kind: "service".into(),
                purl: None,
                path: None,
                detail: None,
            }],
            findings: vec![
                ReportedFinding {
                    finding: f("weak_password", Severity::High, 22),
                    status: FindingStatus::Open,
                },
                ReportedFinding {
                    finding: f("open_port", Severity::Info, 80),
                    status: FindingStatus::Open,
                },
                ReportedFinding {
                    finding: f("exposed_service", Severity::Critical, 6379),
                    status: FindingStatus::FalsePositive,
                },
            ],
            engine: None,
        }
    }

    #[test]
    fn json_contract_fields() {
        let v = report().to_json();
        for k in ["target", "started", "finished", "components", "findings"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        let f = &v["findings"][0];
        assert_eq!(f["kind"], "weak_password");
        assert_eq!(f["severity"], "high");
        assert_eq!(f["port"], 22);
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
        // Fields that do not apply are left out.
        assert!(f.get("url").is_none() && f.get("cve").is_none() && f.get("identity").is_none());
        assert_eq!(v["components"][0]["type"], "service");
        assert!(v["components"][0].get("purl").is_none());
    }

    #[test]
    fn suppression_acts_the_same_everywhere() {
        let r = report();
        // The critical finding is a false positive: it does not fail the run...
        assert_eq!(r.exit_status(Some(Severity::Critical)), 0);
        assert_eq!(r.exit_status(Some(Severity::High)), 1);
        assert_eq!(r.exit_status(None), 0);
        // ...is not in the table or its counts...
        let t = r.to_table();
        assert!(!t.contains("6379"), "{t}");
        assert!(
            t.contains("2 findings (1 high, 1 info), 1 suppressed"),
            "{t}"
        );
        assert!(
            t.lines().nth(1).unwrap().starts_with("HIGH"),
            "most severe first: {t}"
        );
        // ...and is marked suppressed in SARIF.
        let s = r.to_sarif();
        let results = s["runs"][0]["results"].as_array().unwrap();
        let sup: Vec<&Value> = results
            .iter()
            .filter(|x| x.get("suppressions").is_some())
            .collect();
        assert_eq!(sup.len(), 1);
        assert_eq!(sup[0]["ruleId"], "exposed_service");
    }

    #[test]
    fn sarif_shape() {
        let s = report().to_sarif();
        assert_eq!(s["version"], "2.1.0");
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "vigil");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 3);
        let r0 = &run["results"][0];
        assert_eq!(r0["level"], "error");
        assert!(r0["partialFingerprints"]["vigil/v1"].is_string());
        assert_eq!(
            r0["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "127.0.0.1:22/tcp"
        );
    }

    #[test]
    fn the_engine_is_named_in_json_and_sarif() {
        let mut r = report();
        assert!(r.to_json().get("engine").is_none());
        assert!(r.to_sarif()["runs"][0]["tool"].get("extensions").is_none());
        r.engine = Some(EngineInfo {
            kind: "net".into(),
            version: "1.2.3".into(),
        });
        assert_eq!(
            r.to_json()["engine"],
            json!({"kind": "net", "version": "1.2.3"})
        );
        let tool = &r.to_sarif()["runs"][0]["tool"];
        assert_eq!(tool["driver"]["name"], "vigil");
        assert_eq!(
            tool["extensions"],
            json!([{"name": "vigil-engine-net", "version": "1.2.3"}])
        );
    }

    #[test]
    fn empty_report_table() {
        let mut r = report();
        r.findings.clear();
        assert_eq!(r.to_table(), "127.0.0.1: 0 findings, 1 component, 1.5s\n");
    }
}
