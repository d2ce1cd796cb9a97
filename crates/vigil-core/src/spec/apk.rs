//! The `apk` engine's contract: the Android package to read ([`ApkTarget`]: a file Vigil
//! holds, or a URL fetched through the scope guard, with the MD5 the caller promised) and
//! what to look for ([`ApkOptions`]); the evidence of its findings ([`ApkVulnEvidence`]); and
//! the details of the components it reports (the app itself [`AppDetail`], each requested
//! permission [`PermissionDetail`], each SDK found [`SdkDetail`]), which products read back.

use serde::{Deserialize, Serialize};

/// Finding kind of a rule hit (a weakness in the manifest, the code, the signing or a native
/// library).
pub const KIND_VULN: &str = "apk-vuln";

/// How the engine's error begins when the package could not be downloaded (products tell
/// this failure apart by it).
pub const ERROR_DOWNLOAD: &str = "the app could not be downloaded";
/// How the engine's error begins when the package's MD5 is not the promised one.
pub const ERROR_MD5: &str = "the app's MD5 differs";
/// How the engine's error begins when the package's size is not the promised one.
pub const ERROR_SIZE: &str = "the app's size differs";

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

/// Component kind of the package itself: name the package name, version its `versionName`,
/// detail an [`AppDetail`].
pub const COMPONENT_APP: &str = "android-app";
/// Component kind of a requested permission: name the permission, detail a
/// [`PermissionDetail`].
pub const COMPONENT_PERMISSION: &str = "android-permission";
/// Component kind of an SDK found in the code: name the SDK's name, detail an [`SdkDetail`].
pub const COMPONENT_SDK: &str = "android-sdk";

/// What the package says about itself, and what it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppDetail {
    /// The application's label, resolved through the resources (the default configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `android:versionCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_code: Option<i64>,
    /// Minimum SDK level.
    pub min_sdk: u32,
    /// Target SDK level.
    pub target_sdk: u32,
    /// Size of the package in bytes.
    pub size: u64,
    /// MD5 of the package (lower-case hex).
    pub md5: String,
    /// SHA-256 of the package (lower-case hex).
    pub sha256: String,
    /// SHA-256 fingerprints of the signing certificates (lower-case hex), empty when unsigned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<String>,
}

/// A requested permission, classified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PermissionDetail {
    /// `dangerous`, `normal`, `signature`, `signature|privileged` or `unknown`.
    pub protection: String,
    /// The platform defines it.
    pub platform: bool,
    /// The app declares it itself.
    pub declared_by_app: bool,
    /// Permission group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `android:maxSdkVersion` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sdk: Option<u32>,
}

/// An SDK (library, tracker, ad network) found by its classes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SdkDetail {
    /// Stable id of its signature (`gdt`, `exodus:312`).
    pub id: String,
    /// Vendor, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// What it is for: `ad`, `analytics`, `profiling`, `location`, `identification`,
    /// `crash-reporting`, `other`.
    pub purpose: String,
    /// Ad forms its classes show, numbered as Tencent MS's `PluginType` (1 notification bar,
    /// 2 offer wall, 3 banner, 4 floating icon, 5 recommendation list, 6 interstitial).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ad_forms: Vec<u8>,
    /// Classes that matched.
    pub classes: usize,
    /// A few of them (descriptors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Where the signature comes from: `builtin` or `exodus` (Exodus Privacy, ODbL 1.0).
    pub source: String,
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

    #[test]
    fn component_details_read_back() {
        let d = SdkDetail {
            id: "gdt".into(),
            purpose: "ad".into(),
            ad_forms: vec![3, 6],
            classes: 2,
            source: "builtin".into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["ad_forms"], serde_json::json!([3, 6]));
        assert!(v.get("vendor").is_none());
        assert_eq!(serde_json::from_value::<SdkDetail>(v).unwrap(), d);
        let a: AppDetail = serde_json::from_value(serde_json::json!({"label": "X"})).unwrap();
        assert_eq!(a.label.as_deref(), Some("X"));
    }
}
