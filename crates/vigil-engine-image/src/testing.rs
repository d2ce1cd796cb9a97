//! Test images built from in-memory files (behind the `testing` cargo feature; this crate's own
//! tests enable it through a dev-dependency on itself, and other crates' tests can do the same):
//! layer tars (plain, gzip or zstd, compressed with the pure-Rust `flate2` and `ruzstd`
//! encoders), a `docker save` archive, an OCI layout directory (one image, or an index of
//! several platforms) and a tar of it. Hostile entries (names with `..`, absolute names) are
//! written with raw headers, as the `tar` builder refuses them; so are sparse files, in the GNU
//! form (type `S`) and the PAX 1.0 form (`GNU.sparse.*` records, the map before the data).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use crate::layers::Compression;

/// One entry of a test layer.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A regular file (mode 0644).
    File {
        /// Path inside the layer (`etc/passwd`).
        path: String,
        /// Contents.
        data: Vec<u8>,
    },
    /// A regular file with the given permission bits (setuid, world-writable, ...).
    FileMode {
        /// Path inside the layer.
        path: String,
        /// Contents.
        data: Vec<u8>,
        /// Mode bits (e.g. `0o4755`).
        mode: u32,
    },
    /// A directory.
    Dir {
        /// Path inside the layer.
        path: String,
        /// Permission bits (0755 from [`dir`]).
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// Path of the link.
        path: String,
        /// Its target.
        target: String,
    },
    /// A hard link.
    Hardlink {
        /// Path of the link.
        path: String,
        /// The linked path (as in a tar: relative to the layer root).
        target: String,
    },
    /// A regular file whose header name is written byte for byte (at most 100 bytes), so it
    /// may be absolute or hold `..`.
    Raw {
        /// The header's name field.
        name: Vec<u8>,
        /// Contents.
        data: Vec<u8>,
    },
    /// A sparse file of `real_size` bytes whose only data is `data` at `offset` (holes
    /// elsewhere), mode 0755.
    Sparse {
        /// Path inside the layer.
        path: String,
        /// Where the data starts in the file.
        offset: u64,
        /// The only stored bytes.
        data: Vec<u8>,
        /// The file's size with its holes (what the entry claims).
        real_size: u64,
        /// PAX 1.0 sparse (`GNU.sparse.*` records) rather than a GNU type `S` header.
        pax: bool,
    },
}

/// A regular file.
pub fn file(path: &str, data: impl Into<Vec<u8>>) -> Entry {
    Entry::File {
        path: path.into(),
        data: data.into(),
    }
}

/// A regular file with the given mode bits.
pub fn file_mode(path: &str, data: impl Into<Vec<u8>>, mode: u32) -> Entry {
    Entry::FileMode {
        path: path.into(),
        data: data.into(),
        mode,
    }
}

/// A directory.
pub fn dir(path: &str) -> Entry {
    dir_mode(path, 0o755)
}

/// A directory with permission bits `mode` (e.g. 0o1777 for a sticky shared directory).
pub fn dir_mode(path: &str, mode: u32) -> Entry {
    Entry::Dir {
        path: path.into(),
        mode,
    }
}

/// A symbolic link.
pub fn symlink(path: &str, target: &str) -> Entry {
    Entry::Symlink {
        path: path.into(),
        target: target.into(),
    }
}

/// A hard link.
pub fn hardlink(path: &str, target: &str) -> Entry {
    Entry::Hardlink {
        path: path.into(),
        target: target.into(),
    }
}

/// A GNU sparse file (type `S`) claiming `real_size` bytes, storing only `data` at `offset`.
pub fn gnu_sparse(path: &str, offset: u64, data: impl Into<Vec<u8>>, real_size: u64) -> Entry {
    Entry::Sparse {
        path: path.into(),
        offset,
        data: data.into(),
        real_size,
        pax: false,
    }
}

/// A PAX 1.0 sparse file claiming `real_size` bytes, storing only `data` at `offset`.
pub fn pax_sparse(path: &str, offset: u64, data: impl Into<Vec<u8>>, real_size: u64) -> Entry {
    Entry::Sparse {
        path: path.into(),
        offset,
        data: data.into(),
        real_size,
        pax: true,
    }
}

/// A whiteout deleting `path` (`dir/.wh.name`).
pub fn whiteout(path: &str) -> Entry {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), path),
    };
    file(&format!("{dir}.wh.{name}"), Vec::new())
}

/// The opaque marker of directory `dir` (`dir/.wh..wh..opq`).
pub fn opaque(dir: &str) -> Entry {
    file(&format!("{dir}/.wh..wh..opq"), Vec::new())
}

/// A file whose tar header name is written as is.
pub fn raw(name: &[u8], data: impl Into<Vec<u8>>) -> Entry {
    Entry::Raw {
        name: name.to_vec(),
        data: data.into(),
    }
}

/// A test layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Entries, in tar order.
    pub entries: Vec<Entry>,
    /// How the layer blob is compressed.
    pub compression: Compression,
    /// `created_by` of its history entry.
    pub created_by: String,
}

impl Layer {
    /// An uncompressed layer.
    pub fn new(entries: Vec<Entry>) -> Layer {
        Layer {
            entries,
            compression: Compression::None,
            created_by: "test layer".into(),
        }
    }

    /// The same layer with another compression.
    pub fn compressed(mut self, compression: Compression) -> Layer {
        self.compression = compression;
        self
    }

    /// The uncompressed tar.
    pub fn tar(&self) -> io::Result<Vec<u8>> {
        build_tar(&self.entries)
    }

    /// The layer blob as stored.
    pub fn blob(&self) -> io::Result<Vec<u8>> {
        compress(&self.tar()?, self.compression)
    }

    fn media_type(&self) -> &'static str {
        match self.compression {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// Builds an uncompressed tar of `entries`.
pub fn build_tar(entries: &[Entry]) -> io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            Entry::File { path, data } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, data.as_slice())?;
            }
            Entry::FileMode { path, data, mode } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, data.as_slice())?;
            }
            Entry::Dir { path, mode } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                h.set_size(0);
                b.append_data(&mut h, path, io::empty())?;
            }
            Entry::Symlink { path, target } => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, path, target)?;
            }
            Entry::Hardlink { path, target } => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_link(&mut h, path, target)?;
            }
            Entry::Raw { name, data } => {
                let field = &mut h.as_old_mut().name;
                if name.len() > field.len() {
                    return Err(io::Error::other("raw name longer than 100 bytes"));
                }
                field[..name.len()].copy_from_slice(name);
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                h.set_cksum();
                b.append(&h, data.as_slice())?;
            }
            Entry::Sparse {
                path,
                offset,
                data,
                real_size,
                pax: false,
            } => {
                h.set_path(path)?;
                h.set_entry_type(tar::EntryType::GNUSparse);
                h.set_mode(0o755);
                h.set_size(data.len() as u64);
                let gnu = h
                    .as_gnu_mut()
                    .ok_or_else(|| io::Error::other("not a GNU header"))?;
                gnu.sparse[0].set_offset(*offset);
                gnu.sparse[0].set_length(data.len() as u64);
                // A hole at the end is an empty block at the end (as GNU tar writes it).
                let end = offset.saturating_add(data.len() as u64);
                if end < *real_size {
                    gnu.sparse[1].set_offset(*real_size);
                    gnu.sparse[1].set_length(0);
                }
                gnu.set_real_size(*real_size);
                h.set_cksum();
                b.append(&h, data.as_slice())?;
            }
            Entry::Sparse {
                path,
                offset,
                data,
                real_size,
                pax: true,
            } => {
                // GNU tar's layout: the records name the real file, the entry itself is
                // `DIR/GNUSparseFile.0/NAME`, its data the map (padded to a block) and the data.
                let (dir, name) = match path.rsplit_once('/') {
                    Some((d, n)) => (format!("{d}/"), n),
                    None => (String::new(), path.as_str()),
                };
                let mut records = Vec::new();
                for (k, v) in [
                    ("GNU.sparse.major", "1".to_string()),
                    ("GNU.sparse.minor", "0".to_string()),
                    ("GNU.sparse.name", path.clone()),
                    ("GNU.sparse.realsize", real_size.to_string()),
                ] {
                    records.extend(pax_record(k, &v));
                }
                let mut x = tar::Header::new_ustar();
                x.set_path(format!("{dir}PaxHeaders.0/{name}"))?;
                x.set_entry_type(tar::EntryType::XHeader);
                x.set_mode(0o644);
                x.set_size(records.len() as u64);
                x.set_cksum();
                b.append(&x, records.as_slice())?;
                let mut stored = format!("1\n{offset}\n{}\n", data.len()).into_bytes();
                stored.resize(512, 0);
                stored.extend_from_slice(data);
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o755);
                h.set_size(stored.len() as u64);
                b.append_data(
                    &mut h,
                    format!("{dir}GNUSparseFile.0/{name}"),
                    stored.as_slice(),
                )?;
            }
        }
    }
    b.into_inner()
}

/// One PAX extended-header record: `LEN KEY=VALUE\n`, LEN counting itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len = len.to_string().len() + body.len();
    }
    format!("{len}{body}").into_bytes()
}

/// Compresses a tar as a layer blob.
pub fn compress(tar: &[u8], compression: Compression) -> io::Result<Vec<u8>> {
    match compression {
        Compression::None => Ok(tar.to_vec()),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(tar)?;
            enc.finish()
        }
        Compression::Zstd => Ok(ruzstd::encoding::compress_to_vec(
            tar,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

/// `sha256:` digest of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn to_json(v: &Value) -> io::Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(io::Error::other)
}

/// A test image.
#[derive(Debug, Clone)]
pub struct TestImage {
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// `os` of the config.
    pub os: String,
    /// `architecture` of the config.
    pub architecture: String,
    /// `variant` of the config.
    pub variant: Option<String>,
    /// `config.User`.
    pub user: Option<String>,
    /// `config.Env`.
    pub env: Vec<String>,
    /// `config.Cmd`.
    pub cmd: Vec<String>,
    /// Tags (docker archive `RepoTags`, OCI `org.opencontainers.image.ref.name`).
    pub repo_tags: Vec<String>,
}

impl TestImage {
    /// A linux/amd64 image of these layers.
    pub fn new(layers: Vec<Layer>) -> TestImage {
        TestImage {
            layers,
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            user: Some("app".into()),
            env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into()],
            cmd: vec!["/bin/sh".into()],
            repo_tags: vec!["example/test:1".into()],
        }
    }

    /// The same image for another platform.
    pub fn platform(mut self, os: &str, architecture: &str, variant: Option<&str>) -> TestImage {
        self.os = os.into();
        self.architecture = architecture.into();
        self.variant = variant.map(str::to_string);
        self
    }

    /// The config JSON (with an empty-layer history entry first, as real images have).
    pub fn config_json(&self) -> io::Result<Vec<u8>> {
        let mut diff_ids = Vec::new();
        let mut history = vec![json!({"created_by": "ENV A=1", "empty_layer": true})];
        for l in &self.layers {
            diff_ids.push(sha256(&l.tar()?));
            history.push(json!({"created_by": l.created_by}));
        }
        let mut v = json!({
            "os": self.os,
            "architecture": self.architecture,
            "config": {"User": self.user, "Env": self.env, "Cmd": self.cmd},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        to_json(&v)
    }

    /// Writes a `docker save` archive (`manifest.json`, `<id>.json`, `<n>/layer.tar`).
    pub fn write_docker_archive(&self, path: &Path) -> io::Result<()> {
        let config = self.config_json()?;
        let config_name = format!("{}.json", &sha256(&config)[7..]);
        let mut b = tar::Builder::new(std::fs::File::create(path)?);
        append_bytes(&mut b, &config_name, &config)?;
        let mut names = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let name = format!("layer{i}/layer.tar");
            append_bytes(&mut b, &name, &l.blob()?)?;
            names.push(name);
        }
        let manifest = json!([{
            "Config": config_name,
            "RepoTags": self.repo_tags,
            "Layers": names,
        }]);
        append_bytes(&mut b, "manifest.json", &to_json(&manifest)?)?;
        b.into_inner()?.flush()
    }

    /// Writes this image's blobs into an OCI layout directory; returns the manifest's
    /// descriptor (with platform and ref name) for `index.json`.
    fn write_oci_blobs(&self, dir: &Path) -> io::Result<Value> {
        let config = self.config_json()?;
        let config_digest = write_blob(dir, &config)?;
        let mut layers = Vec::new();
        for l in &self.layers {
            let blob = l.blob()?;
            let digest = write_blob(dir, &blob)?;
            layers.push(json!({"mediaType": l.media_type(), "digest": digest, "size": blob.len()}));
        }
        let manifest = to_json(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config.len(),
            },
            "layers": layers,
        }))?;
        let digest = write_blob(dir, &manifest)?;
        let mut platform = json!({"os": self.os, "architecture": self.architecture});
        if let Some(v) = &self.variant {
            platform["variant"] = json!(v);
        }
        let mut desc = json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": manifest.len(),
            "platform": platform,
        });
        if let Some(tag) = self.repo_tags.first() {
            desc["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        }
        Ok(desc)
    }

    /// Writes an OCI layout directory holding this image; returns the manifest digest.
    pub fn write_oci_dir(&self, dir: &Path) -> io::Result<String> {
        let digests = write_oci_index(dir, &[self])?;
        Ok(digests.into_iter().next().unwrap_or_default())
    }
}

/// Writes an OCI layout directory whose `index.json` lists one manifest per image (each with
/// its platform); returns the manifest digests in order.
pub fn write_oci_index(dir: &Path, images: &[&TestImage]) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir.join("blobs/sha256"))?;
    let mut descs = Vec::new();
    let mut digests = Vec::new();
    for img in images {
        let d = img.write_oci_blobs(dir)?;
        digests.push(d["digest"].as_str().unwrap_or_default().to_string());
        descs.push(d);
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": descs,
    });
    std::fs::write(dir.join("index.json"), to_json(&index)?)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(digests)
}

/// Writes a tar of an OCI layout directory (what `oci:FILE.tar` reads).
pub fn tar_dir(dir: &Path, out: &Path) -> io::Result<()> {
    let mut b = tar::Builder::new(std::fs::File::create(out)?);
    b.append_dir_all(".", dir)?;
    b.into_inner()?.flush()
}

/// Path of a blob in an OCI layout directory.
pub fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

fn write_blob(dir: &Path, bytes: &[u8]) -> io::Result<String> {
    let digest = sha256(bytes);
    std::fs::write(blob_path(dir, &digest), bytes)?;
    Ok(digest)
}

fn append_bytes<W: Write>(b: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    b.append_data(&mut h, name, data)
}

/// A directory under the system temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory.
    pub fn new() -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "vigil-image-test-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
