//! Manifests and configs: the `manifest.json` of a `docker save` archive, an OCI layout's
//! `index.json` and the manifests or image indexes it leads to (choosing one platform), the
//! image config, and the digest check of every blob read from an OCI layout (its sha256 must
//! equal its name, its size the descriptor's). Then the layers, in order, into one view.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::archive::{read_bounded_json, Archive};
use crate::layers::{apply_layer, Budget, Filesystem, LayerId, Visitor};
use crate::{Image, ImageError, LayerInfo, Limits, ReadOptions};

/// Nesting of image indexes followed before giving up.
/// How deep image indexes may nest.
pub(crate) const MAX_INDEX_DEPTH: usize = 4;

const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// One entry of a `docker save` `manifest.json`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DockerManifestEntry {
    /// Archive member holding the config JSON.
    #[serde(rename = "Config")]
    pub config: String,
    /// Tags of the image (may be absent or null for an untagged image).
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    /// Archive members holding the layer tars, bottom first.
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

/// An OCI content descriptor.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: Option<String>,
    /// `sha256:...`.
    pub digest: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Platform, in an image index.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
}

/// An OCI image index (also `index.json` of a layout) or Docker manifest list.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Media type, when given.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The manifests (or nested indexes).
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// An OCI (or Docker v2 schema 2) image manifest.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Media type, when given.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layer blobs, bottom first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// An OS and CPU architecture (`os/arch[/variant]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Platform {
    /// Operating system (`linux`).
    pub os: String,
    /// Architecture (`amd64`, `arm64`, ...).
    pub architecture: String,
    /// Variant (`v7`, `v8`), if any.
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || ImageError::BadPlatform(s.to_string());
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [os, arch] => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(bad()),
        }
    }

    /// Whether an offered platform satisfies this wanted one: same OS and architecture, and
    /// the same variant if this one names a variant (`arm64` without variant counts as `v8`).
    pub fn matches(&self, offered: &Platform) -> bool {
        if self.os != offered.os || self.architecture != offered.architecture {
            return false;
        }
        match &self.variant {
            None => true,
            Some(v) => {
                let theirs = offered
                    .variant
                    .as_deref()
                    .or(match offered.architecture.as_str() {
                        "arm64" => Some("v8"),
                        _ => None,
                    });
                theirs == Some(v.as_str())
            }
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The runtime part of an image config (`config` in the JSON).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ContainerConfig {
    /// `User`.
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    /// `Env` (`NAME=value`).
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    /// `Cmd`.
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
    /// `Entrypoint`.
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
    /// `WorkingDir`.
    #[serde(rename = "WorkingDir", default)]
    pub working_dir: Option<String>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct RootFs {
    /// `type` (`layers`).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// sha256 of each uncompressed layer tar, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct History {
    /// When the step ran.
    #[serde(default)]
    pub created: Option<String>,
    /// The build step (`/bin/sh -c apt-get install ...`).
    #[serde(default)]
    pub created_by: Option<String>,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// True when the step made no layer.
    #[serde(default)]
    pub empty_layer: bool,
}

/// An image config (OCI and Docker share this shape).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ImageConfig {
    /// When the image was built (RFC 3339), if recorded.
    #[serde(default)]
    pub created: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// Architecture variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Runtime configuration.
    #[serde(default)]
    pub config: ContainerConfig,
    /// Layers' diff ids.
    #[serde(default)]
    pub rootfs: RootFs,
    /// Build history.
    #[serde(default)]
    pub history: Vec<History>,
}

impl ImageConfig {
    /// `created_by` of the history entry of each layer (empty-layer entries skipped).
    pub fn layer_history(&self) -> Vec<Option<String>> {
        self.history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .collect()
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
        what: what.to_string(),
        source,
    })
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a `sha256:` digest, checked to be 64 lowercase hex digits (so it is safe as
/// a file name).
pub fn digest_hex(digest: &str) -> Result<&str, ImageError> {
    let bad = || ImageError::BadDigest(digest.to_string());
    let hex = digest.strip_prefix("sha256:").ok_or_else(bad)?;
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad());
    }
    Ok(hex)
}

fn blob_path(digest: &str) -> Result<String, ImageError> {
    Ok(format!("blobs/sha256/{}", digest_hex(digest)?))
}

/// Reads a JSON blob of an OCI layout, verifying its digest and size against the descriptor.
fn read_verified_json(
    archive: &Archive,
    desc: &Descriptor,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let name = blob_path(&desc.digest)?;
    let (reader, size) = archive.open_member(&name)?;
    let bytes = read_bounded_json(reader, size, limits, &name)?;
    let actual = sha256_digest(&bytes);
    if actual != desc.digest {
        return Err(ImageError::DigestMismatch {
            what: name,
            expected: desc.digest.clone(),
            actual,
        });
    }
    check_size(desc, bytes.len() as u64, &name)?;
    Ok(bytes)
}

fn check_size(desc: &Descriptor, actual: u64, what: &str) -> Result<(), ImageError> {
    match desc.size {
        Some(expected) if expected != actual => Err(ImageError::SizeMismatch {
            what: what.to_string(),
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// Whether a descriptor is an image index rather than a manifest.
fn is_index(desc: &Descriptor) -> bool {
    matches!(
        desc.media_type.as_deref(),
        Some(MEDIA_OCI_INDEX) | Some(MEDIA_DOCKER_LIST)
    )
}

/// Whether a descriptor is an attestation or other non-image entry (BuildKit's
/// `unknown/unknown` attestation manifests).
fn is_attestation(desc: &Descriptor) -> bool {
    let annotated = desc
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
    let unknown = desc
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
    annotated || unknown
}

/// Chooses one manifest of an index: the wanted platform, or by default linux/amd64, else the
/// only one. Entries without a platform match any wanted platform.
pub fn choose_manifest<'a>(
    index: &'a ImageIndex,
    wanted: Option<&Platform>,
) -> Result<&'a Descriptor, ImageError> {
    let candidates: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    let available = || -> Vec<String> {
        candidates
            .iter()
            .map(|d| match &d.platform {
                Some(p) => p.to_string(),
                None => format!("(no platform: {})", d.digest),
            })
            .collect()
    };
    if candidates.is_empty() {
        return Err(ImageError::Invalid("the image index lists no image".into()));
    }
    let matching = |p: &Platform| {
        candidates
            .iter()
            .copied()
            .find(|d| d.platform.as_ref().is_none_or(|o| p.matches(o)))
    };
    match wanted {
        Some(p) => matching(p).ok_or_else(|| ImageError::NoMatchingPlatform {
            wanted: p.to_string(),
            available: available(),
        }),
        None => {
            let amd64 = Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
            };
            let with_amd64 = candidates
                .iter()
                .copied()
                .find(|d| d.platform.as_ref().is_some_and(|o| amd64.matches(o)));
            match (with_amd64, candidates.as_slice()) {
                (Some(d), _) => Ok(d),
                (None, [only]) => Ok(only),
                (None, _) => Err(ImageError::NoMatchingPlatform {
                    wanted: "default (linux/amd64, or the only image)".into(),
                    available: available(),
                }),
            }
        }
    }
}

/// Refuses a config whose platform is not the wanted one (when one is wanted).
pub(crate) fn check_platform(
    config: &ImageConfig,
    wanted: Option<&Platform>,
) -> Result<(), ImageError> {
    if let Some(wanted) = wanted {
        let offered = Platform {
            os: config.os.clone().unwrap_or_default(),
            architecture: config.architecture.clone().unwrap_or_default(),
            variant: config.variant.clone(),
        };
        if !wanted.matches(&offered) {
            return Err(ImageError::NoMatchingPlatform {
                wanted: wanted.to_string(),
                available: vec![offered.to_string()],
            });
        }
    }
    Ok(())
}

/// Applies every layer in order; `open(i)` gives layer `i` as stored. Checks the layer count
/// against the limit and the config's diff ids.
pub(crate) fn apply_layers<'a>(
    config: &ImageConfig,
    count: usize,
    digest_of: impl Fn(usize) -> Option<String>,
    media_type_of: impl Fn(usize) -> Option<String>,
    mut open: impl FnMut(usize) -> Result<Box<dyn std::io::Read + 'a>, ImageError>,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<(Vec<LayerInfo>, Filesystem), ImageError> {
    if count > limits.max_layers {
        return Err(ImageError::Limit {
            limit: "max_layers",
            max: limits.max_layers as u64,
        });
    }
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != count {
        return Err(ImageError::Invalid(format!(
            "the manifest lists {count} layers but the config has {} diff_ids",
            diff_ids.len()
        )));
    }
    let history = config.layer_history();
    let mut fs = Filesystem::default();
    let mut budget = Budget::default();
    let mut infos = Vec::with_capacity(count);
    for (index, want_diff_id) in diff_ids.iter().enumerate() {
        let known = digest_of(index);
        let label = known.clone().unwrap_or_else(|| want_diff_id.clone());
        let wrap = |source: ImageError| match source {
            // Not about this layer.
            ImageError::Cancelled => ImageError::Cancelled,
            source => ImageError::Layer {
                index,
                digest: label.clone(),
                source: Box::new(source),
            },
        };
        let reader = open(index).map_err(wrap)?;
        let got = apply_layer(
            &mut fs,
            reader,
            LayerId {
                index,
                digest: &label,
            },
            limits,
            &mut budget,
            visit,
        )
        .map_err(wrap)?;
        if let Some(expected) = &known {
            if &got.digest != expected {
                return Err(wrap(ImageError::DigestMismatch {
                    what: format!("layer {index}"),
                    expected: expected.clone(),
                    actual: got.digest,
                }));
            }
        }
        if &got.diff_id != want_diff_id {
            return Err(wrap(ImageError::DigestMismatch {
                what: format!("uncompressed layer {index} (config diff_id)"),
                expected: want_diff_id.clone(),
                actual: got.diff_id,
            }));
        }
        infos.push(LayerInfo {
            digest: got.digest,
            diff_id: got.diff_id,
            size: got.size,
            media_type: media_type_of(index),
            created_by: history.get(index).cloned().flatten(),
        });
    }
    // In a docker archive the layer digest is only known once read; stamp it on the entries.
    for meta in fs.entries.values_mut() {
        if let Some(info) = infos.get(meta.layer) {
            if meta.layer_digest != info.digest {
                meta.layer_digest = info.digest.clone();
            }
        }
    }
    Ok((infos, fs))
}

/// Reads the image of a `docker save` archive (the one chosen by `opts.tag`, or the only one).
pub fn read_docker_archive(
    archive: &Archive,
    opts: &ReadOptions,
    visit: &mut Visitor<'_>,
) -> Result<Image, ImageError> {
    let limits = &opts.limits;
    let bytes = archive.read_json_member("manifest.json", limits)?;
    let entries: Vec<DockerManifestEntry> = parse_json(&bytes, "manifest.json")?;
    let entry = match (&opts.tag, entries.as_slice()) {
        (None, [only]) => only,
        (None, []) => return Err(ImageError::Invalid("manifest.json lists no image".into())),
        (None, _) => {
            let tags: Vec<String> = entries
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(ImageError::AmbiguousImage(format!(
                "the archive holds {} images; choose one by tag: {}",
                entries.len(),
                tags.join(", ")
            )));
        }
        (Some(tag), _) => entries
            .iter()
            .find(|e| e.repo_tags.as_ref().is_some_and(|t| t.contains(tag)))
            .ok_or_else(|| ImageError::AmbiguousImage(format!("no image tagged {tag}")))?,
    };
    let config_bytes = archive.read_json_member(&entry.config, limits)?;
    let config: ImageConfig = parse_json(&config_bytes, "image config")?;
    let config_digest = sha256_digest(&config_bytes);
    let (layers, fs) = apply_layers(
        &config,
        entry.layers.len(),
        |_| None,
        |_| None,
        |i| Ok(archive.open_member(&entry.layers[i])?.0),
        limits,
        visit,
    )?;
    Ok(Image {
        config,
        digest: config_digest.clone(),
        config_digest,
        repo_tags: entry.repo_tags.clone().unwrap_or_default(),
        layers,
        fs,
    })
}

/// Reads the image of an OCI layout (choosing a platform of an image index by
/// `opts.platform`), verifying the digest of every blob read.
pub fn read_oci_layout(
    archive: &Archive,
    opts: &ReadOptions,
    visit: &mut Visitor<'_>,
) -> Result<Image, ImageError> {
    let limits = &opts.limits;
    let bytes = archive.read_json_member("index.json", limits)?;
    let mut index: ImageIndex = parse_json(&bytes, "index.json")?;
    let mut repo_tags = Vec::new();
    let mut depth = 0;
    let (manifest_desc, manifest_bytes) = loop {
        let desc = choose_manifest(&index, opts.platform.as_ref())?.clone();
        if let Some(name) = desc
            .annotations
            .as_ref()
            .and_then(|a| a.get("org.opencontainers.image.ref.name"))
        {
            repo_tags.push(name.clone());
        }
        let bytes = read_verified_json(archive, &desc, limits)?;
        // A descriptor without a media type is told apart by its content.
        let nested = is_index(&desc)
            || (desc.media_type.is_none()
                && serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .is_some_and(|v| v.get("manifests").is_some()));
        if !nested {
            break (desc, bytes);
        }
        depth += 1;
        if depth > MAX_INDEX_DEPTH {
            return Err(ImageError::Invalid(
                "image indexes nested too deeply".into(),
            ));
        }
        index = parse_json(&bytes, "image index")?;
    };
    let manifest: ImageManifest = parse_json(&manifest_bytes, "image manifest")?;
    let config_bytes = read_verified_json(archive, &manifest.config, limits)?;
    let config: ImageConfig = parse_json(&config_bytes, "image config")?;
    check_platform(&config, opts.platform.as_ref())?;
    // Check every layer name before reading any.
    for layer in &manifest.layers {
        digest_hex(&layer.digest)?;
    }
    let (layers, fs) = apply_layers(
        &config,
        manifest.layers.len(),
        |i| manifest.layers.get(i).map(|d| d.digest.clone()),
        |i| manifest.layers.get(i).and_then(|d| d.media_type.clone()),
        |i| {
            let desc = &manifest.layers[i];
            let name = blob_path(&desc.digest)?;
            let (reader, size) = archive.open_member(&name)?;
            check_size(desc, size, &name)?;
            Ok(reader)
        },
        limits,
        visit,
    )?;
    Ok(Image {
        config,
        digest: manifest_desc.digest,
        config_digest: manifest.config.digest,
        repo_tags,
        layers,
        fs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_platforms() {
        let p = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
        let arm64 = Platform::parse("linux/arm64").unwrap();
        assert!(p.matches(&arm64), "arm64 without variant is v8");
        assert!(arm64.matches(&p));
        assert!(!Platform::parse("linux/arm/v7")
            .unwrap()
            .matches(&Platform::parse("linux/arm/v6").unwrap()));
    }

    #[test]
    fn parses_docker_config() {
        let json = br#"{"architecture":"amd64","os":"linux",
            "config":{"User":"app","Env":["PATH=/usr/bin"],"Cmd":null,"Entrypoint":["/app"]},
            "rootfs":{"type":"layers","diff_ids":["sha256:aa"]},
            "history":[{"created_by":"ADD x /","empty_layer":false},{"created_by":"ENV a=b","empty_layer":true}]}"#;
        let c: ImageConfig = parse_json(json, "config").unwrap();
        assert_eq!(c.config.user.as_deref(), Some("app"));
        assert_eq!(c.config.cmd, None);
        assert_eq!(c.config.entrypoint, Some(vec!["/app".to_string()]));
        assert_eq!(c.layer_history(), vec![Some("ADD x /".to_string())]);
    }

    #[test]
    fn digest_names_are_checked() {
        assert!(digest_hex("sha256:../../etc/passwd").is_err());
        assert!(digest_hex("sha512:00").is_err());
        assert!(digest_hex(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(digest_hex(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }
}
