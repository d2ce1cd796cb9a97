//! One Android package read once, the way the rules will see it: the container, the manifest
//! (labels and flags resolved through `resources.arsc`), the network security config the
//! manifest names, and the signatures. Each part that cannot be read is recorded with the
//! reason ([`Package::problems`]) rather than failing the whole package: a malformed
//! resource table still leaves the manifest, a broken manifest still leaves the signatures.
//! Only an archive that cannot be opened at all is an error.

use crate::error::{ApkError, Result};
use crate::res::arsc::ResourceTable;
use crate::res::manifest::Manifest;
use crate::res::nsc::NetworkSecurityConfig;
use crate::sig::{self, Signatures};
use crate::zip::{Archive, ZipLimits};

/// The manifest's path in an APK.
pub const MANIFEST: &str = "AndroidManifest.xml";
/// The resource table's path in an APK.
pub const RESOURCES: &str = "resources.arsc";

/// A part of the package that could not be read, and why.
#[derive(Debug)]
pub struct Problem {
    /// The part (`AndroidManifest.xml`, `resources.arsc`, the config's path, ...).
    pub part: String,
    /// Why.
    pub error: ApkError,
}

/// An Android package as read.
#[derive(Debug)]
pub struct Package<'a> {
    /// The container.
    pub archive: Archive<'a>,
    /// The manifest, when it could be read.
    pub manifest: Option<Manifest>,
    /// The network security config the manifest names, when there is one and it could be read.
    pub network_security: Option<NetworkSecurityConfig>,
    /// The signatures (v1 checked over the archive's own entries).
    pub signatures: Signatures,
    /// Parts that could not be read.
    pub problems: Vec<Problem>,
}

impl<'a> Package<'a> {
    /// Read the package in `data` (the whole APK); `now` (Unix seconds) decides which
    /// certificates have expired.
    pub fn read(data: &'a [u8], limits: &ZipLimits, now: i64) -> Result<Package<'a>> {
        let archive = Archive::new(data, limits)?;
        let mut problems = Vec::new();
        let mut note = |part: &str, error: ApkError| {
            problems.push(Problem {
                part: part.to_string(),
                error,
            })
        };
        let arsc = match archive.read_name(RESOURCES) {
            Ok(bytes) => bytes,
            Err(e) => {
                note(RESOURCES, e);
                None
            }
        };
        let table = match arsc.as_deref().map(ResourceTable::parse).transpose() {
            Ok(t) => t,
            Err(e) => {
                note(RESOURCES, e);
                None
            }
        };
        let manifest = match archive.read_name(MANIFEST) {
            Ok(Some(bytes)) => match Manifest::parse(&bytes, table.as_ref()) {
                Ok(m) => Some(m),
                Err(e) => {
                    note(MANIFEST, e);
                    None
                }
            },
            Ok(None) => {
                note(
                    MANIFEST,
                    ApkError::malformed("package", "no AndroidManifest.xml"),
                );
                None
            }
            Err(e) => {
                note(MANIFEST, e);
                None
            }
        };
        let nsc_path = manifest
            .as_ref()
            .and_then(|m| m.application.network_security_config.clone());
        let network_security = match nsc_path {
            None => None,
            Some(path) => match archive.read_name(&path) {
                Ok(Some(bytes)) => match NetworkSecurityConfig::parse(&bytes, table.as_ref()) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        note(&path, e);
                        None
                    }
                },
                Ok(None) => {
                    note(
                        &path,
                        ApkError::malformed("package", "the network security config is missing"),
                    );
                    None
                }
                Err(e) => {
                    note(&path, e);
                    None
                }
            },
        };
        let signatures = sig::verify(data, Some(&archive), now);
        Ok(Package {
            archive,
            manifest,
            network_security,
            signatures,
            problems,
        })
    }

    /// The `classes*.dex` entries in the order Android loads them (`classes.dex`,
    /// `classes2.dex`, ...), names only.
    pub fn dex_names(&self) -> Vec<String> {
        let mut names: Vec<(u32, String)> = self
            .archive
            .entries()
            .iter()
            .filter_map(|e| Some((crate::dex::multidex_index(&e.name)?, e.name.clone())))
            .collect();
        names.sort();
        names.dedup_by(|a, b| a.0 == b.0);
        names.into_iter().map(|(_, n)| n).collect()
    }
}
