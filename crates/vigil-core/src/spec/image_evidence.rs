//! The `image` engine's evidence: what a finding of kind [`KIND_VULN`], [`KIND_VIRUS`] or
//! [`KIND_RISK`] carries as proof, as serde structs. The engine writes them and the products
//! read them with [`read`] (TCSS renders its vulnerability, virus and risk rows from them), so
//! a field renamed on one side is a compile error, not a column that silently goes empty.
//! Reading is lenient: evidence stored by an older engine or damaged in the store reads as
//! the default (empty) fields rather than failing a whole list.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Kind of a vulnerable-package finding.
pub const KIND_VULN: &str = "image-vuln";
/// Kind of a malicious-file finding.
pub const KIND_VIRUS: &str = "image-virus";
/// Kind of a risk finding (secrets, sensitive files, risky configuration).
pub const KIND_RISK: &str = "image-risk";

/// Evidence read from a stored finding; any mismatch reads as the default.
pub fn read<T: DeserializeOwned + Default>(evidence: &Value) -> T {
    T::deserialize(evidence).unwrap_or_default()
}

/// Whether an advisory names a fixed version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixStatus {
    /// A fixed version exists.
    Fixed,
    /// No fixed version yet.
    #[default]
    NotFixed,
}

/// Evidence of an [`KIND_VULN`] finding: the installed package, the advisory and the version
/// comparison that matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VulnEvidence {
    /// The package as installed.
    pub package: PackageEvidence,
    /// What the advisory database matched (the package or its source package).
    pub matched: MatchedEvidence,
    /// The first version that fixes it.
    pub fixed_version: Option<String>,
    /// Whether there is a fix.
    pub fix_status: FixStatus,
    /// The advisory.
    pub advisory: AdvisoryEvidence,
}

/// An installed package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PackageEvidence {
    /// Name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Ecosystem (`deb`, `apk`, `rpm`, `PyPI`, `npm`, ...).
    pub ecosystem: String,
    /// Package URL.
    pub purl: String,
    /// File that records it (package database, manifest or lock file).
    pub path: String,
    /// Index of the layer that installed it.
    pub layer: usize,
    /// Digest of that layer's blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// The build step that made that layer (`created_by`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_cmd: Option<String>,
    /// Source package name, for distribution packages built from one.
    pub source_name: Option<String>,
    /// Source package version.
    pub source_version: Option<String>,
}

/// The package, ecosystem and version the advisory matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchedEvidence {
    /// Package name looked up.
    pub package: String,
    /// Ecosystem looked up.
    pub ecosystem: String,
    /// Version compared.
    pub version: String,
}

/// The advisory behind a vulnerability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdvisoryEvidence {
    /// Advisory id (`CVE-...`, `GHSA-...`, `DSA-...`).
    pub id: String,
    /// Other ids of the same advisory.
    pub aliases: Vec<String>,
    /// Related advisories.
    pub related: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Details (at most 4,000 characters).
    pub details: Option<String>,
    /// Severity name.
    pub severity: String,
    /// CVSS score.
    pub cvss: Option<CvssEvidence>,
    /// Reference URLs (at most 50).
    pub references: Vec<String>,
    /// Publication time (RFC 3339).
    pub published: Option<String>,
    /// Last change (RFC 3339).
    pub modified: Option<String>,
    /// Database it came from.
    pub source: String,
}

/// A CVSS score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CvssEvidence {
    /// Base score.
    pub score: f64,
    /// Vector string.
    pub vector: String,
    /// CVSS version (`2.0`, `3.1`, ...).
    pub version: String,
}

/// Evidence of an [`KIND_VIRUS`] finding: the file, the rule that matched and its hashes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VirusEvidence {
    /// The file.
    pub file: String,
    /// Index of the layer that wrote it.
    pub layer: usize,
    /// Rule (YARA rule or hash list entry).
    pub rule: String,
    /// Line of the match, for text files.
    pub line: Option<u32>,
    /// What the rule detects.
    pub description: String,
    /// What to do.
    pub remediation: String,
    /// Detector (`yara`, `hash`, ...).
    pub source: String,
    /// Malware family or class.
    pub category: Option<String>,
    /// sha256 of the file.
    pub sha256: Option<String>,
    /// md5 of the file.
    pub md5: Option<String>,
    /// Where the rule or hash comes from.
    pub reference: Option<String>,
    /// File size in bytes.
    pub size: u64,
    /// The matched bytes, as text.
    pub matched: String,
}

/// What an [`KIND_RISK`] finding is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskType {
    /// A secret (key, token, password) in a file or the configuration.
    Secret,
    /// A file that should not be in an image (private keys, shell history, ...).
    SensitiveFile,
    /// Risky image configuration (root user, exposed ports, ...).
    #[default]
    Config,
}

/// Evidence of an [`KIND_RISK`] finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskEvidence {
    /// What kind of risk.
    #[serde(rename = "type")]
    pub kind: RiskType,
    /// Rule id.
    pub rule: String,
    /// The file, for risks found in one.
    pub file: Option<String>,
    /// Index of the layer that wrote the file.
    pub layer: Option<usize>,
    /// Line in the file.
    pub line: Option<u32>,
    /// The offending text, masked.
    pub masked: String,
    /// What it is.
    pub description: String,
    /// What to do.
    pub remediation: String,
    /// Detector, for risks found by the secret and file detectors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_reads_back_and_damage_reads_as_default() {
        let v = VulnEvidence {
            fixed_version: Some("1.2".into()),
            fix_status: FixStatus::Fixed,
            ..Default::default()
        };
        let stored = serde_json::to_value(&v).unwrap();
        assert_eq!(stored["fix_status"], "fixed");
        assert_eq!(read::<VulnEvidence>(&stored), v);
        assert_eq!(
            read::<VulnEvidence>(&json!({"package": 3})),
            VulnEvidence::default()
        );
        let r: RiskEvidence = read(&json!({"type": "sensitive-file", "line": 4}));
        assert_eq!((r.kind, r.line), (RiskType::SensitiveFile, Some(4)));
    }
}
