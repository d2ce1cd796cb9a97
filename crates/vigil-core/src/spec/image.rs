//! The `image` engine's contract: the image to read ([`ImageTarget`], with registry access
//! details when it comes from one) and the scanners to run ([`ImageOptions`]).

use serde::{Deserialize, Serialize};

/// One image to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageTarget {
    /// Source reference (`docker-archive:PATH`, `oci:PATH`, `dir:PATH`,
    /// `registry:HOST/REPO:TAG`).
    pub image: String,
    /// The image id the product knows it by (runs of one id share a scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Registry access, for `registry:` sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryAccess>,
}

/// How to reach a registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryAccess {
    /// The registry's address, for the product's records (the reference names the
    /// registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password, sealed by the service for `purpose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_sealed: Option<String>,
    /// What the password was sealed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Plain HTTP allowed.
    #[serde(default)]
    pub insecure: bool,
    /// TLS certificates not verified.
    #[serde(default)]
    pub skip_tls_verify: bool,
    /// Extra CA certificate (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

/// A scanner of the image engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageScanner {
    /// Vulnerable packages.
    Vuln,
    /// Malware (YARA rules, hash lists).
    Virus,
    /// Secrets, sensitive files, configuration risks.
    Risk,
    /// The inventory alone (components, no findings).
    Sbom,
}

impl ImageScanner {
    /// Every scanner.
    pub const ALL: [ImageScanner; 4] = [
        ImageScanner::Vuln,
        ImageScanner::Virus,
        ImageScanner::Risk,
        ImageScanner::Sbom,
    ];

    /// The scanner's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageScanner::Vuln => "vuln",
            ImageScanner::Virus => "virus",
            ImageScanner::Risk => "risk",
            ImageScanner::Sbom => "sbom",
        }
    }

    /// The scanner called `name`.
    pub fn parse(name: &str) -> Option<ImageScanner> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How to scan an image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageOptions {
    /// Scanners to run (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanners: Option<Vec<ImageScanner>>,
    /// Platform of a multi-platform index (`os/arch[/variant]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}
