//! What a package is and holds, as components in the one inventory model: the app itself
//! ([`COMPONENT_APP`]: package name, version name, label, SDK levels, digests, signers),
//! each permission it requests with its protection level ([`COMPONENT_PERMISSION`]), and each
//! SDK its classes show ([`COMPONENT_SDK`]: ad networks with their ad forms, trackers and other
//! libraries). Which of these a run reports follows its scan types: permissions for
//! `permission`, ad SDKs for `ad`, the others for `plugin`; the app always.

use crate::dex::DexSummary;
use crate::package::Package;
use crate::permissions;
use crate::sdks::{Kind, Signatures};
use vigil_core::spec::apk::{
    ApkOptions, ApkScan, AppDetail, PermissionDetail, SdkDetail, COMPONENT_APP,
    COMPONENT_PERMISSION, COMPONENT_SDK,
};
use vigil_core::Component;

/// The package's digests and size.
#[derive(Debug, Clone, Copy)]
pub struct Digests<'a> {
    /// MD5, lower-case hex.
    pub md5: &'a str,
    /// SHA-256, lower-case hex.
    pub sha256: &'a str,
    /// Bytes.
    pub size: u64,
}

fn detail<T: serde::Serialize>(d: &T) -> Option<serde_json::Value> {
    serde_json::to_value(d).ok()
}

/// The components of one package, in order: the app, then permissions in request order, then
/// SDKs as the signature set lists them.
pub fn components(
    package: &Package<'_>,
    dex: &[(String, DexSummary)],
    sdks: &Signatures,
    options: &ApkOptions,
    digests: Digests<'_>,
) -> Vec<Component> {
    let mut out = Vec::new();
    let m = package.manifest.as_ref();
    let app = AppDetail {
        label: m.and_then(|m| m.application.label.clone()),
        version_code: m.and_then(|m| m.version_code),
        min_sdk: m.map_or(0, |m| m.min_sdk),
        target_sdk: m.map_or(0, |m| m.target_sdk),
        size: digests.size,
        md5: digests.md5.to_string(),
        sha256: digests.sha256.to_string(),
        signers: package
            .signatures
            .certificates
            .iter()
            .map(|c| c.sha256.clone())
            .collect(),
    };
    out.push(Component {
        name: m.map(|m| m.package.clone()).unwrap_or_default(),
        version: m.and_then(|m| m.version_name.clone()),
        kind: COMPONENT_APP.into(),
        purl: None,
        path: Some(format!("sha256:{}", digests.sha256)),
        detail: detail(&app),
    });
    if let (Some(m), true) = (m, options.wants(ApkScan::Permission)) {
        for p in permissions::classify(m) {
            let d = PermissionDetail {
                protection: p.level.as_str().to_string(),
                platform: p.platform,
                declared_by_app: p.declared_by_app,
                group: p.group,
                max_sdk: p.max_sdk,
            };
            out.push(Component {
                name: p.name,
                version: None,
                kind: COMPONENT_PERMISSION.into(),
                purl: None,
                path: Some(crate::package::MANIFEST.into()),
                detail: detail(&d),
            });
        }
    }
    let (ads, others) = (options.wants(ApkScan::Ad), options.wants(ApkScan::Plugin));
    if ads || others {
        let classes = dex
            .iter()
            .flat_map(|(_, s)| s.classes.iter().map(|c| &*c.descriptor));
        for s in sdks.detect(classes) {
            let is_ad = s.kind == Kind::Ad || !s.forms.is_empty();
            if (is_ad && !ads) || (!is_ad && !others) {
                continue;
            }
            let d = SdkDetail {
                id: s.id,
                vendor: s.vendor,
                purpose: s.kind.as_str().to_string(),
                ad_forms: s.forms.iter().map(|f| f.plugin_type()).collect(),
                classes: s.count,
                examples: s.examples,
                source: s.source.as_str().to_string(),
            };
            out.push(Component {
                name: s.name,
                version: None,
                kind: COMPONENT_SDK.into(),
                purl: None,
                path: None,
                detail: detail(&d),
            });
        }
    }
    out
}
