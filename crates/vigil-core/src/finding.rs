//! The normalised finding model every engine reports in, its severity scale, its triage status,
//! and the fingerprint that identifies "the same issue" across runs for deduplication.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, not a risk by itself.
    Info,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical: exploitable with severe impact.
    Critical,
}

impl Severity {
    /// Lower-case name as used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a severity name that is not one of info, low, medium, high, critical.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity `{0}` (expected info, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "informational" | "notice" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" | "middle" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_string())),
        }
    }
}

/// Triage status of a finding; `FalsePositive` and `Ignored` suppress it everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Seen in the latest run and not triaged away.
    Open,
    /// Not seen any more by a later run of the same scope.
    Fixed,
    /// Accepted risk, suppressed.
    Ignored,
    /// Marked as not a real issue, suppressed.
    FalsePositive,
}

impl FindingStatus {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Fixed => "fixed",
            FindingStatus::Ignored => "ignored",
            FindingStatus::FalsePositive => "false_positive",
        }
    }

    /// Parse a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => FindingStatus::Open,
            "fixed" => FindingStatus::Fixed,
            "ignored" => FindingStatus::Ignored,
            "false_positive" => FindingStatus::FalsePositive,
            _ => return None,
        })
    }

    /// Whether a finding in this status is hidden from counts, exit codes and reports.
    pub fn is_suppressed(self) -> bool {
        matches!(self, FindingStatus::Ignored | FindingStatus::FalsePositive)
    }
}

/// One issue found by an engine, with its proof. Fields that do not apply stay `None` and are
/// left out of JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Finding {
    /// Machine-readable category, e.g. `open_port`, `weak_password`, `xss`, `vulnerable_package`.
    pub kind: String,
    /// Severity.
    pub severity: Option<Severity>,
    /// One-line human title.
    pub title: String,
    /// Longer explanation and remediation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Host name or address the finding is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Transport protocol (`tcp`, `udp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Service name (`ssh`, `http`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// URL for web findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Vulnerable parameter for web findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// File path for image and app findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// CVE identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve: Vec<String>,
    /// CWE identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// Proof: request and response, banner, advisory and version comparison, as structured data.
    #[serde(skip_serializing_if = "serde_json::Value::is_null", default)]
    pub evidence: serde_json::Value,
    /// Extra identity parts that distinguish two findings of one kind at one place
    /// (e.g. the user name of a weak password); part of the fingerprint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<String>,
    /// A fixed version exists (vulnerable packages): stored as a column the store filters
    /// and counts on, never searched for in the evidence.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fixable: bool,
    /// The finding exposes a secret or a sensitive file: stored as a column like `fixable`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Finding {
    /// Stable fingerprint: SHA-256 over the kind and the location fields (never over evidence,
    /// which changes between runs), so the same issue found again dedups to one record.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        let port = self.port.map(|p| p.to_string());
        let parts: [Option<&str>; 8] = [
            Some(self.kind.as_str()),
            self.host.as_deref().map(str::trim),
            port.as_deref(),
            self.protocol.as_deref(),
            self.url.as_deref(),
            self.parameter.as_deref(),
            self.path.as_deref(),
            self.cve.first().map(String::as_str),
        ];
        for p in parts {
            h.update(p.unwrap_or("").as_bytes());
            h.update([0x1f]);
        }
        for extra in &self.identity {
            h.update(extra.as_bytes());
            h.update([0x1e]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// An inventory item (package, library, service) an engine found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Name.
    pub name: String,
    /// Version, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Kind (`deb`, `apk`, `python`, `service`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Where it was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What the engine knows beyond name and version, typed by the engine's contract in
    /// [`crate::spec`] for the component's kind (an app's label and SDK levels, a permission's
    /// protection level, an SDK's category and ad forms); products read it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Finding {
        Finding {
            kind: "weak_password".into(),
            severity: Some(Severity::High),
            title: "weak ssh password".into(),
            host: Some("127.0.0.1".into()),
            port: Some(22),
            protocol: Some("tcp".into()),
            identity: vec!["root".into()],
            ..Default::default()
        }
    }

    #[test]
    fn fingerprint_ignores_evidence_and_title() {
        let a = sample();
        let mut b = sample();
        b.title = "other wording".into();
        b.evidence = serde_json::json!({"banner": "SSH-2.0-x"});
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn fingerprint_distinguishes_location_and_identity() {
        let a = sample();
        let mut b = sample();
        b.port = Some(2222);
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = sample();
        c.identity = vec!["admin".into()];
        assert_ne!(a.fingerprint(), c.fingerprint());
        // Field boundaries matter: moving text between fields changes the fingerprint.
        let mut d = sample();
        d.host = Some("127.0.0.12".into());
        d.port = None;
        let mut e = sample();
        e.host = Some("127.0.0.1".into());
        e.port = Some(2);
        assert_ne!(d.fingerprint(), e.fingerprint());
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        assert_eq!("MIDDLE".parse::<Severity>().unwrap(), Severity::Medium);
        assert!("bad".parse::<Severity>().is_err());
    }

    #[test]
    fn suppressed_statuses() {
        assert!(FindingStatus::FalsePositive.is_suppressed());
        assert!(FindingStatus::Ignored.is_suppressed());
        assert!(!FindingStatus::Open.is_suppressed());
        for s in ["open", "fixed", "ignored", "false_positive"] {
            assert_eq!(FindingStatus::parse(s).unwrap().as_str(), s);
        }
    }
}
