//! The `apk` engine's contract: the Android package to read ([`ApkTarget`]: a file Vigil
//! holds, or a URL fetched through the scope guard, with the MD5 the caller promised) and
//! what to look for ([`ApkOptions`]); and the evidence of its findings ([`ApkVulnEvidence`]),
//! which products read back.

use serde::{Deserialize, Serialize};

/// Finding kind of a rule hit (a weakness in the manifest, the code, the signing or a native
/// library).
pub const KIND_VULN: &str = "apk-vuln";

/// Where the package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApkSource {
    /// A file Vigil holds (an upload, or a path the operator gave `vigil scan apk`).
    Path(String),
    /// An `http` or `https` URL, downloaded through the scope guard.
    Url(String),
}

/// One package to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApkTarget {
    /// Where it is.
    pub source: ApkSource,
    /// The MD5 the caller promised (lower-case hex); a file with another digest is never
    /// scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// The size the caller promised, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What a scan looks for (Tencent MS's scan types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApkScan {
    /// Weaknesses: manifest, code, signing, native libraries.
    Vul,
    /// Malware and packers.
    Virus,
    /// Ad SDKs.
    Ad,
    /// Other SDKs and plugins.
    Plugin,
    /// Requested permissions.
    Permission,
    /// Sensitive information in code and resources.
    Sensitive,
}

/// How to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApkOptions {
    /// What to look for; empty means everything the engine can.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scans: Vec<ApkScan>,
    /// Largest package downloaded or read, in bytes (the engine's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
}

impl ApkOptions {
    /// Whether the scan looks for `s`.
    pub fn wants(&self, s: ApkScan) -> bool {
        self.scans.is_empty() || self.scans.contains(&s)
    }
}

/// Evidence of an [`KIND_VULN`] finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApkVulnEvidence {
    /// The rule's stable id.
    pub rule: String,
    /// Tencent MS's `VulId` for the rule.
    pub ms_id: String,
    /// The file in the package.
    pub file: String,
    /// The element, component, method or entry.
    pub code: String,
    /// Whether the place is a third-party library's.
    pub third_party: bool,
    /// What triggered it.
    pub proof: String,
    /// How to fix it.
    pub solution: String,
    /// OWASP MASVS control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masvs: Option<String>,
    /// The package's MD5 and SHA-256.
    pub md5: String,
    /// The package's SHA-256.
    pub sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_reads_back_and_refuses_typos() {
        let t = ApkTarget {
            source: ApkSource::Url("https://example.com/a.apk".into()),
            md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
            size: None,
        };
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["source"]["url"], "https://example.com/a.apk");
        assert_eq!(serde_json::from_value::<ApkTarget>(v).unwrap(), t);
        let o: ApkOptions = serde_json::from_value(serde_json::json!({"scans": ["vul"]})).unwrap();
        assert!(o.wants(ApkScan::Vul) && !o.wants(ApkScan::Ad));
        assert!(ApkOptions::default().wants(ApkScan::Ad));
        assert!(serde_json::from_value::<ApkOptions>(serde_json::json!({"scan": []})).is_err());
    }
}
