//! The `apk` engine's contract: the Android package to read ([`ApkTarget`]: a file Vigil
//! holds, or a URL fetched through the scope guard, with the MD5 the caller promised) and
//! what to look for ([`ApkOptions`]); the evidence of its findings ([`ApkVulnEvidence`],
//! [`ApkVirusEvidence`], [`ApkPackerEvidence`], [`ApkSensitiveEvidence`]); and the details of
//! the components it reports (the app itself [`AppDetail`], each requested permission
//! [`PermissionDetail`], each SDK found [`SdkDetail`]), which products read back.

use serde::{Deserialize, Serialize};

/// Finding kind of a rule hit (a weakness in the manifest, the code, the signing or a native
/// library).
pub const KIND_VULN: &str = "apk-vuln";
/// Finding kind of malware in a member of the package (a YARA rule or a hash list matched a
/// dex, a native library or an asset).
pub const KIND_VIRUS: &str = "apk-virus";
/// Finding kind of a packer or protector recognised from the package's files and classes.
pub const KIND_PACKER: &str = "apk-packer";
/// Finding kind of sensitive information (secrets, URLs, addresses) in one file of the package.
pub const KIND_SENSITIVE: &str = "apk-sensitive";

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

/// Evidence of an [`KIND_VIRUS`] finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApkVirusEvidence {
    /// The rule that matched (a YARA rule name, or `hash:<name>` for a hash list).
    pub rule: String,
    /// The malware's name (family) as Vigil reports it, `Android.Trojan.FakePlayer`.
    pub name: String,
    /// The rule's class (`virus`, `hack-tool`, `miner`, ...), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// What the rule recognises.
    pub description: String,
    /// The member of the package that matched.
    pub file: String,
    /// What matched, short and printable (never a secret).
    pub matched: String,
    /// MD5 of the member, when it was read whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_md5: Option<String>,
    /// SHA-256 of the member, when it was read whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// The package's MD5.
    pub md5: String,
    /// The package's SHA-256.
    pub sha256: String,
}

/// Evidence of an [`KIND_PACKER`] finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApkPackerEvidence {
    /// The packer's stable id (`jiagu`, `bangcle`, ...).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Who makes it.
    pub vendor: String,
    /// What gave it away: `file <path>` and `class <name> (<dex>)`, bounded.
    pub markers: Vec<String>,
    /// The package's MD5.
    pub md5: String,
    /// The package's SHA-256.
    pub sha256: String,
}

/// Evidence of an [`KIND_SENSITIVE`] finding: one category in one file (Tencent MS's
/// `SensitiveInfo`: `WordList`, `FilePath`, `FileSha`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApkSensitiveEvidence {
    /// `secret`, `url`, `ip`, `private-ip` or `email`.
    pub category: String,
    /// The file in the package.
    pub file: String,
    /// The file's SHA-1 (lower-case hex).
    pub file_sha1: String,
    /// What was found, deduplicated and bounded; secrets masked.
    pub words: Vec<String>,
    /// Whether more words were found than are listed.
    pub truncated: bool,
    /// The package's MD5.
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

    #[test]
    fn evidence_round_trips_and_reads_leniently() {
        let v = ApkVirusEvidence {
            rule: "Android_Trojan_FakePlayer".into(),
            name: "Android.Trojan.FakePlayer".into(),
            class: Some("virus".into()),
            file: "classes.dex".into(),
            file_md5: Some("00".into()),
            ..Default::default()
        };
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(serde_json::from_value::<ApkVirusEvidence>(j).unwrap(), v);
        let p = ApkPackerEvidence {
            id: "jiagu".into(),
            markers: vec!["file assets/libjiagu.so".into()],
            ..Default::default()
        };
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(serde_json::from_value::<ApkPackerEvidence>(j).unwrap(), p);
        let s = ApkSensitiveEvidence {
            category: "url".into(),
            file: "resources.arsc".into(),
            file_sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709".into(),
            words: vec!["https://api.example.com/v1".into()],
            truncated: false,
            ..Default::default()
        };
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["file_sha1"], "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            serde_json::from_value::<ApkSensitiveEvidence>(j).unwrap(),
            s
        );
        // Missing fields read as empty.
        let empty: ApkSensitiveEvidence =
            serde_json::from_value(serde_json::json!({"category": "email"})).unwrap();
        assert_eq!(empty.category, "email");
        assert!(empty.words.is_empty());
    }
}
