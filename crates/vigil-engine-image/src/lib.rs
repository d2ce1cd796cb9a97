//! Vigil's container-image engine (task kind `image`). Given a [`Source`] (a `docker save`
//! archive, an OCI image layout as a directory or a tar, an unpacked root filesystem, or an
//! image in a registry), [`read`] returns the image's configuration, its layers and the final
//! filesystem view (every layer applied in order, whiteouts honoured) with the contents of the
//! files a caller-supplied predicate chose, and [`read_inspected`] streams other files through
//! [`Inspector`]s. Nothing is ever unpacked to disk: layer tars are streamed, and every size
//! the input controls is bounded by [`Limits`]. On top: [`sbom`] (installed packages of every
//! supported ecosystem), [`risks`] (configuration risks), [`scan`] (one scan: inventory,
//! vulnerability matching, malware and secret detections, the finding model) and [`engine`]
//! (the [`vigil_engine::Engine`] the workers run).
//!
//! Modules: [`source`] (what to read), [`manifest`] (Docker and OCI manifests, indexes,
//! configs, platform choice, blob digests), [`layers`] (streaming a layer tar into the
//! [`Filesystem`] view), [`dir`] (walking an unpacked root filesystem), [`registry`] (reading
//! through `vigil-registry`), [`archive`] (reading members of a directory or tar without
//! unpacking), [`budget`] (the scan-wide budget of kept bytes, and the cancellable reader of a
//! layer's bytes), and, behind the `testing` feature, the in-memory image builder `testing`.

pub mod archive;
pub mod budget;
pub mod dir;
pub mod engine;
pub mod layers;
pub mod manifest;
pub mod registry;
pub mod risks;
pub mod sbom;
pub mod scan;
pub mod source;
#[cfg(feature = "testing")]
pub mod testing;

use std::io;

pub use budget::KeptBudget;
pub use engine::{ImageEngine, KIND, VERSION};
pub use layers::{FileKind, FileMeta, Filesystem, Inspector, Inspectors, NoInspection, Visitor};
pub use manifest::{ImageConfig, Platform};
pub use registry::{RegistryAccess, RegistryLogin};
pub use source::Source;

/// Why an image could not be read. Every error that comes from a bound names the bound.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The source string has no known scheme.
    #[error(
        "unknown image source {0:?}: expected docker-archive:PATH, oci:PATH, dir:PATH or registry:HOST/REPO:TAG"
    )]
    UnknownSource(String),
    /// A `registry:` reference that does not parse.
    #[error("bad registry reference {0}")]
    BadReference(String),
    /// A registry source was given without registry access (client and runtime).
    #[error("reading {0} needs registry access, which the caller did not set up")]
    NoRegistryAccess(String),
    /// The registry refused or failed a request (authentication, not found, scope, transport,
    /// digest mismatch).
    #[error("registry: {0}")]
    Registry(String),
    /// A source string with a scheme but no path.
    #[error("image source {0:?} has an empty path")]
    EmptyPath(String),
    /// A file or directory of the source could not be read.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A JSON document (manifest, index, config) is malformed.
    #[error("malformed {what}: {source}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The read was cancelled ([`ReadOptions::cancel`]).
    #[error("image read cancelled")]
    Cancelled,
    /// A bound of [`Limits`] was exceeded; `limit` is the field's name.
    #[error("image exceeds limit {limit} ({max})")]
    Limit {
        /// The name of the [`Limits`] field.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// A tar entry's path (or hard link target) is absolute or has a `..` component.
    #[error("refused tar entry {path:?}: {reason}")]
    UnsafePath {
        /// The path as written in the tar (lossily decoded).
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A layer tar is malformed.
    #[error("malformed layer tar: {0}")]
    Tar(io::Error),
    /// A layer is compressed with something other than gzip or zstd.
    #[error("unsupported layer compression: {0}")]
    UnsupportedCompression(&'static str),
    /// A digest string is not `sha256:` followed by 64 lowercase hex digits.
    #[error("unsupported or malformed digest {0:?}")]
    BadDigest(String),
    /// A blob's sha256 differs from its name or descriptor.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// Which blob.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// A blob's size differs from its descriptor.
    #[error("size mismatch for {what}: descriptor says {expected} bytes, blob has {actual}")]
    SizeMismatch {
        /// Which blob.
        what: String,
        /// The descriptor's size.
        expected: u64,
        /// The blob's size.
        actual: u64,
    },
    /// A member the manifest refers to is not in the archive or layout.
    #[error("missing {0} in the image")]
    Missing(String),
    /// No manifest of an image index matches the wanted platform.
    #[error("no image for platform {wanted}; available: {}", available.join(", "))]
    NoMatchingPlatform {
        /// The wanted platform (`os/arch[/variant]`, or `default` for linux/amd64 or the only one).
        wanted: String,
        /// The platforms the index offers.
        available: Vec<String>,
    },
    /// A `--platform` value is not `os/arch[/variant]`.
    #[error("malformed platform {0:?}: expected os/arch[/variant]")]
    BadPlatform(String),
    /// A docker archive holds several images and none (or no single one) was chosen.
    #[error("{0}")]
    AmbiguousImage(String),
    /// The image is structurally wrong (e.g. layer count differs from the config's diff_ids).
    #[error("invalid image: {0}")]
    Invalid(String),
    /// An error while reading one layer.
    #[error("layer {index} ({digest}): {source}")]
    Layer {
        /// Index of the layer (0 = bottom).
        index: usize,
        /// The layer's digest as stored.
        digest: String,
        /// What went wrong.
        source: Box<ImageError>,
    },
}

impl ImageError {
    /// The innermost error (through [`ImageError::Layer`]).
    pub fn root(&self) -> &ImageError {
        match self {
            ImageError::Layer { source, .. } => source.root(),
            e => e,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        ImageError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Bounds on everything the input controls, enforced while streaming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed tar bytes over all layers (counted after decompression, so it bounds
    /// decompression bombs); for `dir:` sources, bytes of kept contents read. Default 8 GiB.
    pub max_total_bytes: u64,
    /// Tar entries read over all layers (whiteouts included); for `dir:` sources, entries
    /// walked. Default 1,000,000.
    pub max_files: u64,
    /// Length in bytes of an entry path or link target as written. Default 4,096.
    pub max_path_len: usize,
    /// Size of one file whose contents the predicate asked to keep. Default 16 MiB.
    pub max_content_bytes: u64,
    /// Number of layers. Default 200.
    pub max_layers: usize,
    /// Size of one JSON document (manifest.json, index.json, manifest, config). Default 8 MiB.
    pub max_json_bytes: u64,
    /// Bytes of one file an [`Inspector`] is given (the first ones; larger files are given
    /// truncated). Default 64 MiB.
    pub max_inspect_bytes: u64,
    /// Bytes of one file streamed on to an inspector that asks for more than that head
    /// ([`Inspector::wants_rest`]). Default 4 GiB.
    pub max_stream_bytes: u64,
    /// Bytes one scan holds in memory or makes up, over all files ([`KeptBudget`]): contents
    /// kept for the analyses (a hard link shares its target's and costs nothing more), bytes
    /// read out of sparse entries beyond what the tar stores, and the packages of the
    /// in-memory inventories (their estimated size). Only grows, so replaced files stay
    /// counted. Default 512 MiB.
    pub max_kept_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 8 << 30,
            max_files: 1_000_000,
            max_path_len: 4096,
            max_content_bytes: 16 << 20,
            max_layers: 200,
            max_json_bytes: 8 << 20,
            max_inspect_bytes: 64 << 20,
            max_stream_bytes: 4 << 30,
            max_kept_bytes: 512 << 20,
        }
    }
}

/// How to read an image.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Which platform of a multi-platform OCI index (`--platform os/arch[/variant]`); `None`
    /// takes linux/amd64, else the only image of the index.
    pub platform: Option<Platform>,
    /// Which image of a docker archive that holds several (one of its `RepoTags`); `None`
    /// takes the only one.
    pub tag: Option<String>,
    /// Bounds.
    pub limits: Limits,
    /// Client and runtime for `registry:` sources.
    pub registry: Option<RegistryAccess>,
    /// When set (by another thread), the read stops with [`ImageError::Cancelled`] at its next
    /// check: the next file, the next chunk of a file streamed on, the next read of a layer's
    /// bytes.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// One layer of an image, bottom first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Digest of the layer blob as stored (compressed if it is): the descriptor's digest in an
    /// OCI layout (verified), the sha256 of the layer file in a docker archive.
    pub digest: String,
    /// sha256 of the uncompressed tar; verified against the config's `rootfs.diff_ids`.
    pub diff_id: String,
    /// Size of the layer blob as stored, in bytes.
    pub size: u64,
    /// The layer's media type, where the manifest gives one.
    pub media_type: Option<String>,
    /// `created_by` of the history entry that made this layer (empty-layer entries skipped).
    pub created_by: Option<String>,
}

/// An image as read.
#[derive(Debug, Clone)]
pub struct Image {
    /// The image configuration.
    pub config: ImageConfig,
    /// The image's identity: the manifest digest for an OCI layout, the image id (config
    /// digest) for a docker archive, empty for a `dir:` source.
    pub digest: String,
    /// sha256 of the config JSON (the image id), empty for a `dir:` source.
    pub config_digest: String,
    /// Tags recorded for the image (docker archive `RepoTags`, OCI
    /// `org.opencontainers.image.ref.name` annotation).
    pub repo_tags: Vec<String>,
    /// Layers, bottom first (one synthetic layer for a `dir:` source, digest empty).
    pub layers: Vec<LayerInfo>,
    /// The final filesystem view.
    pub fs: Filesystem,
}

/// Reads an image: manifest, config, and every layer applied in order into one filesystem view.
/// `keep` is asked once per regular file (and hard link) with its final metadata; the contents
/// of the files it accepts are kept in memory if they survive in the final view. Synchronous:
/// call it from `spawn_blocking` in async code.
pub fn read(
    source: &Source,
    opts: &ReadOptions,
    keep: &dyn Fn(&FileMeta) -> bool,
) -> Result<Image, ImageError> {
    read_inspected(source, opts, keep, &mut NoInspection)
}

/// [`read`], streaming the contents of the files `inspector` wants through it as well, within
/// a fresh [`KeptBudget`] of [`Limits::max_kept_bytes`].
pub fn read_inspected(
    source: &Source,
    opts: &ReadOptions,
    keep: &dyn Fn(&FileMeta) -> bool,
    inspector: &mut dyn Inspector,
) -> Result<Image, ImageError> {
    read_within(source, opts, keep, inspector, &KeptBudget::of(&opts.limits))
}

/// [`read_inspected`], charging `budget` (shared with whatever else the caller's scan keeps
/// in memory, such as the inventory) instead of a fresh one.
pub fn read_within(
    source: &Source,
    opts: &ReadOptions,
    keep: &dyn Fn(&FileMeta) -> bool,
    inspector: &mut dyn Inspector,
    budget: &KeptBudget,
) -> Result<Image, ImageError> {
    let visit = &mut Visitor {
        keep,
        inspector,
        cancel: opts.cancel.as_deref(),
        budget,
    };
    match source {
        Source::Dir(root) => dir::read_dir_image(root, &opts.limits, visit),
        Source::DockerArchive(path) => {
            let archive = archive::Archive::open_tar(path, &opts.limits)?;
            manifest::read_docker_archive(&archive, opts, visit)
        }
        Source::Oci(path) => {
            let archive = archive::Archive::open(path, &opts.limits)?;
            manifest::read_oci_layout(&archive, opts, visit)
        }
        Source::Registry(reference) => {
            let access = opts
                .registry
                .as_ref()
                .ok_or_else(|| ImageError::NoRegistryAccess(reference.to_string()))?;
            registry::read_registry(reference, access, opts, visit)
        }
    }
}
