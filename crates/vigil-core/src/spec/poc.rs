//! The `poc` engine's contract: the targets to check ([`PocTarget`]: URLs or `host[:port]`)
//! and which templates to run on them ([`PocOptions`]: the catalogue and nuclei's selection
//! by id, tag and severity); the evidence of its findings ([`PocEvidence`]: the template,
//! what matched, what was extracted, and the request and response that prove it).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Finding kind of a template that matched.
pub const KIND: &str = "poc-vuln";

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PocTarget {
    /// `http(s)://host[:port][/path]` or `host[:port]`; each is checked by every selected
    /// template of a protocol it can serve (HTTP templates need a web address, network
    /// templates a host).
    pub targets: Vec<String>,
}

/// Which templates run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PocOptions {
    /// A directory or tar archive of templates; the engine's own catalogue (the data
    /// directory's) when absent. Only the operator's command line sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
    /// Template ids or `*` patterns to run (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Template ids or `*` patterns never run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_ids: Vec<String>,
    /// Run templates with any of these tags (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Never run templates with any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_tags: Vec<String>,
    /// Run templates of these severities (`info`, `low`, `medium`, `high`, `critical`,
    /// `unknown`; all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severities: Vec<String>,
    /// Templates run at once (default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}

/// Proof of a template match.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PocEvidence {
    /// Template id.
    pub template_id: String,
    /// Where the template came from, relative to its catalogue.
    pub template_path: String,
    /// Template severity as nuclei spells it.
    pub template_severity: String,
    /// Protocol (`http`, `tcp`, `dns`, `ssl`).
    pub protocol: String,
    /// The named matcher that matched, when the template names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Where it matched: the URL of the request that proved it, or `tls://host:port` /
    /// `tcp://host:port` for network templates.
    pub matched_at: String,
    /// Values the template's extractors found, by extractor name (`""` for unnamed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extracted: BTreeMap<String, Vec<String>>,
    /// The request that proved it, as sent (bounded; secrets redacted).
    pub request: String,
    /// The response to it, as received (bounded; secrets redacted).
    pub response: String,
    /// CVSS vector and score, when the template gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_metrics: Option<String>,
    /// CVSS base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    /// References.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
}
