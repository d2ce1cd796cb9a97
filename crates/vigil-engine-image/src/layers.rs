//! Layers: streaming one layer tar (gzip, zstd or uncompressed, told by its magic bytes) into
//! the [`Filesystem`] view without unpacking anything to disk, and applying layers in order
//! (whiteouts, opaque directories, replacement), with every size bounded by [`Limits`].
//!
//! Paths in the view are normalised and absolute (`/etc/passwd`, the root is `/`). A tar entry
//! whose path is absolute or has a `..` component is refused ([`ImageError::UnsafePath`]);
//! `.` components and a leading `./` are dropped. Symbolic and hard links are recorded with
//! their targets and never followed. An entry written *through* a symbolic link of the view
//! (`a -> /etc`, then `a/passwd`) is recorded at the path as written (`/a/passwd`), never at
//! the link's target, and its path is listed in [`Filesystem::through_symlink`]: resolving
//! would let a layer alias any path, and refusing would reject real images built by stacking
//! package tars (a merged-`/usr` `bin -> usr/bin` and a later `bin/...`).
//!
//! Kept contents are [`Bytes`]: a hard link to a kept file shares its target's bytes (one
//! allocation however many links), and what is kept is charged to the scan's [`KeptBudget`]
//! once. A GNU sparse entry reads out its holes as zeros the tar does not store; those bytes
//! are charged to the budget as they are read out. PAX sparse entries (`GNU.sparse.*`
//! records) are not expanded: they read as the bytes the tar stores, under the name it stores.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::archive::read_up_to;
use crate::budget::{Guarded, KeptBudget, SparseCharge};
use crate::{ImageError, Limits};

/// Reads file contents while the layers stream by, for analyses that must look at many files
/// (malware rules, secrets, binaries' embedded build information) without keeping them.
///
/// The reader asks [`Inspector::wants`] once per regular file of every layer (hard links are
/// not inspected: their target is, under its own path) and, if it does, calls
/// [`Inspector::inspect`] with the file's first [`Limits::max_inspect_bytes`] bytes (the whole
/// file when `data.len() as u64 == meta.size`). Files that a later layer replaces or deletes
/// are inspected too; an inspector keys what it records by `(meta.path, meta.layer)` and keeps
/// only what [`Filesystem::holds`] confirms in the final view.
///
/// A file larger than that head is not lost: right after `inspect`, the reader asks
/// [`Inspector::wants_rest`] and, if so, streams the rest through [`Inspector::inspect_rest`]
/// chunk by chunk (never holding it whole) until the file ends, the inspector has enough, or
/// [`Limits::max_stream_bytes`] is reached, then calls [`Inspector::end_rest`].
pub trait Inspector {
    /// Whether to read this file's contents.
    fn wants(&self, meta: &FileMeta) -> bool;
    /// The file's contents (possibly truncated; see the trait documentation).
    fn inspect(&mut self, meta: &FileMeta, data: &[u8]);
    /// Whether to see the rest of the file `inspect` was just given the head of.
    fn wants_rest(&self, _meta: &FileMeta) -> bool {
        false
    }
    /// The next bytes of that file, `offset` being where `chunk` starts in it. Returns
    /// whether to go on; once it returns `false`, `wants_rest` must say `false` for the file.
    fn inspect_rest(&mut self, _meta: &FileMeta, _offset: u64, _chunk: &[u8]) -> bool {
        false
    }
    /// The rest ended: `complete` when the file was read to its end (rather than stopped by
    /// the inspector or the limit).
    fn end_rest(&mut self, _meta: &FileMeta, _complete: bool) {}
}

/// Size of the chunks a file's rest is streamed in.
const REST_CHUNK_BYTES: usize = 1 << 20;

/// Streams the rest of `meta`'s file from `reader` (positioned just after the `head` bytes
/// given to `inspect`) to the visitor's inspector, when it wants it. Returns the bytes read;
/// read errors are [`ImageError::Tar`], a cancellation [`ImageError::Cancelled`].
pub(crate) fn stream_rest(
    visit: &mut Visitor<'_>,
    meta: &FileMeta,
    head: u64,
    reader: &mut dyn Read,
    limits: &Limits,
) -> Result<u64, ImageError> {
    if head >= meta.size || !visit.inspector.wants_rest(meta) {
        return Ok(0);
    }
    let mut buf = vec![0u8; REST_CHUNK_BYTES];
    let mut offset = head;
    let complete = loop {
        if offset >= limits.max_stream_bytes {
            break false;
        }
        if let Err(e) = visit.check_cancelled() {
            visit.inspector.end_rest(meta, false);
            return Err(e);
        }
        let want = (limits.max_stream_bytes - offset).min(REST_CHUNK_BYTES as u64) as usize;
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => break true,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                visit.inspector.end_rest(meta, false);
                return Err(ImageError::Tar(e));
            }
        };
        let more = visit.inspector.inspect_rest(meta, offset, &buf[..n]);
        offset += n as u64;
        if !more {
            break false;
        }
    };
    visit.inspector.end_rest(meta, complete);
    Ok(offset - head)
}

/// The inspector that wants nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoInspection;

impl Inspector for NoInspection {
    fn wants(&self, _meta: &FileMeta) -> bool {
        false
    }
    fn inspect(&mut self, _meta: &FileMeta, _data: &[u8]) {}
}

/// Several inspectors over one read; a file is read once for all that want it.
pub struct Inspectors<'a>(pub Vec<&'a mut dyn Inspector>);

impl Inspector for Inspectors<'_> {
    fn wants(&self, meta: &FileMeta) -> bool {
        self.0.iter().any(|i| i.wants(meta))
    }
    fn inspect(&mut self, meta: &FileMeta, data: &[u8]) {
        for i in self.0.iter_mut() {
            if i.wants(meta) {
                i.inspect(meta, data);
            }
        }
    }
    fn wants_rest(&self, meta: &FileMeta) -> bool {
        self.0.iter().any(|i| i.wants_rest(meta))
    }
    fn inspect_rest(&mut self, meta: &FileMeta, offset: u64, chunk: &[u8]) -> bool {
        let mut more = false;
        for i in self.0.iter_mut() {
            // Each sees the rest until it has enough (then it no longer wants it).
            if i.wants_rest(meta) {
                more |= i.inspect_rest(meta, offset, chunk);
            }
        }
        more
    }
    fn end_rest(&mut self, meta: &FileMeta, complete: bool) {
        for i in self.0.iter_mut() {
            i.end_rest(meta, complete);
        }
    }
}

/// What the reader does with file contents: keep them in the view (`keep`, for small files the
/// analyzers parse afterwards) and stream them through an [`Inspector`].
pub struct Visitor<'a> {
    /// Asked once per regular file (and hard link) with its metadata; the contents of the files
    /// it accepts are kept in [`Filesystem::contents`] if they survive in the final view.
    pub keep: &'a dyn Fn(&FileMeta) -> bool,
    /// Sees the contents of the files it wants, in every layer.
    pub inspector: &'a mut dyn Inspector,
    /// Set from elsewhere to stop the read ([`ImageError::Cancelled`]): checked between two
    /// entries, between two chunks of a file streamed on, and at every read of a layer's bytes.
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// The scan's budget of kept and made-up bytes ([`Limits::max_kept_bytes`]); checked
    /// between two entries, so what an inspector charges stops the read too.
    pub budget: &'a KeptBudget,
}

impl Visitor<'_> {
    /// Fails with [`ImageError::Cancelled`] once the cancel flag is set.
    pub(crate) fn check_cancelled(&self) -> Result<(), ImageError> {
        match self.cancel {
            Some(c) if c.load(std::sync::atomic::Ordering::Relaxed) => Err(ImageError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// What a filesystem entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed), with its target as written.
    Symlink {
        /// The link's target, as written in the layer.
        target: String,
    },
    /// A hard link to another path of the view (normalised, absolute).
    Hardlink {
        /// The linked path.
        target: String,
    },
    /// A device, FIFO or other special file.
    Other,
}

/// One entry of the final filesystem view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Normalised absolute path, without `..` or `.` components.
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Permission bits (and setuid/setgid/sticky), as in the tar header.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Size in bytes (for a hard link, the size of its target when known, else 0).
    pub size: u64,
    /// Index of the layer that last wrote it (0 = bottom).
    pub layer: usize,
    /// Digest of that layer as stored.
    pub layer_digest: String,
}

/// The filesystem view of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filesystem {
    /// Every surviving entry, by path.
    pub entries: BTreeMap<String, FileMeta>,
    /// Contents of the surviving files the caller's predicate chose, by path (a hard link and
    /// its target share one allocation).
    pub contents: HashMap<String, Bytes>,
    /// Surviving paths that a layer wrote below a symbolic link of the view (see the module
    /// documentation); recorded as written, never resolved.
    pub through_symlink: BTreeSet<String>,
    /// Paths that could not be read (only `dir:` sources: permission denied and the like).
    pub unreadable: BTreeSet<String>,
}

impl Filesystem {
    /// Whether the final view still has, at `path`, the regular file that layer `layer` wrote
    /// (what an [`Inspector`] uses to drop results about replaced or deleted files).
    pub fn holds(&self, path: &str, layer: usize) -> bool {
        self.entries
            .get(path)
            .is_some_and(|m| m.layer == layer && m.kind == FileKind::File)
    }

    /// Removes `path` (if `include_self`) and everything below it.
    fn remove_tree(&mut self, path: &str, include_self: bool) {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let below: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .filter(|k| k != "/")
            .collect();
        for k in below
            .iter()
            .map(String::as_str)
            .chain(include_self.then_some(path))
        {
            self.entries.remove(k);
            self.contents.remove(k);
            self.through_symlink.remove(k);
        }
    }
}

/// Running totals shared by all layers of one image.
#[derive(Debug, Default, Clone)]
pub struct Budget {
    /// Uncompressed bytes read so far.
    pub bytes: u64,
    /// Tar entries read so far.
    pub files: u64,
}

/// Digests and sizes of one applied layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDigests {
    /// `sha256:` of the layer as stored.
    pub digest: String,
    /// Bytes of the layer as stored.
    pub size: u64,
    /// `sha256:` of the uncompressed tar (the diff id).
    pub diff_id: String,
}

/// The compression of a layer, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression (a plain tar).
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

/// Tells a layer's compression from its first bytes; refuses bzip2 and xz by name.
pub fn detect_compression(head: &[u8]) -> Result<Compression, ImageError> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Ok(Compression::Zstd)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Err(ImageError::UnsupportedCompression("xz"))
    } else if head.starts_with(b"BZh") {
        Err(ImageError::UnsupportedCompression("bzip2"))
    } else {
        Ok(Compression::None)
    }
}

/// Hashes and counts what passes through.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Hashes and counts decompressed bytes, failing once the image-wide total passes the limit.
struct BoundedReader<R> {
    inner: HashingReader<R>,
    /// Bytes of earlier layers.
    before: u64,
    max: u64,
    exceeded: bool,
}

impl<R: Read> Read for BoundedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.before + self.inner.count > self.max {
            self.exceeded = true;
            return Err(io::Error::other("max_total_bytes exceeded"));
        }
        Ok(n)
    }
}

/// A zstd stream of one or more frames (the `ruzstd` decoder reads one frame at a time).
struct MultiFrameZstd<R: io::BufRead> {
    decoder: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: io::BufRead> MultiFrameZstd<R> {
    fn new(source: R) -> io::Result<Self> {
        let decoder = ruzstd::decoding::StreamingDecoder::new(source).map_err(io::Error::other)?;
        Ok(MultiFrameZstd {
            decoder: Some(decoder),
        })
    }
}

impl<R: io::BufRead> Read for MultiFrameZstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // This frame is done: another frame may follow.
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            let (mut source, frame) = decoder.into_parts();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            // `new_with_decoder` reads the next frame's header.
            self.decoder = Some(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(source, frame)
                    .map_err(io::Error::other)?,
            );
        }
    }
}

/// One layer's changes before they are applied to the lower layers.
#[derive(Default)]
struct Upper {
    entries: BTreeMap<String, FileMeta>,
    contents: HashMap<String, Bytes>,
    through_symlink: BTreeSet<String>,
    /// Paths deleted from lower layers (`.wh.NAME`).
    whiteouts: Vec<String>,
    /// Directories whose lower-layer contents disappear (`.wh..wh..opq`).
    opaque: Vec<String>,
}

/// What one layer is, for the entries it writes.
#[derive(Debug, Clone, Copy)]
pub struct LayerId<'a> {
    /// Index of the layer (0 = bottom).
    pub index: usize,
    /// Its digest as stored.
    pub digest: &'a str,
}

/// Streams one layer (as stored: compressed or not) and applies it to `fs`. Returns the
/// layer's digests once the whole layer (trailing bytes included) has been read. When the
/// layer's own bytes fail (a registry deadline, a broken connection), that error is the one
/// returned, not what the decompressor or the tar reader made of it.
pub fn apply_layer(
    fs: &mut Filesystem,
    raw: impl Read,
    layer: LayerId<'_>,
    limits: &Limits,
    budget: &mut Budget,
    visit: &mut Visitor<'_>,
) -> Result<LayerDigests, ImageError> {
    let mut stored = HashingReader {
        inner: Guarded {
            inner: raw,
            cancel: visit.cancel,
            error: None,
        },
        hasher: Sha256::new(),
        count: 0,
    };
    let read = read_stored(&mut stored, fs, layer, limits, budget, visit).and_then(|read| {
        io::copy(&mut stored, &mut io::sink()).map_err(|e| ImageError::io("reading layer", e))?;
        Ok(read)
    });
    let (upper, diff_id) = match read {
        Ok(read) => read,
        Err(e @ ImageError::Limit { .. }) => return Err(e),
        Err(e) => {
            visit.check_cancelled()?;
            return Err(match stored.inner.error.take() {
                Some(source) => match vigil_registry::RegistryError::from_io(&source) {
                    Some(r) => ImageError::Registry(r.to_string()),
                    None => ImageError::io("reading layer", source),
                },
                None => e,
            });
        }
    };
    let digests = LayerDigests {
        digest: format!("sha256:{}", hex::encode(stored.hasher.finalize())),
        size: stored.count,
        diff_id,
    };
    merge(fs, upper);
    Ok(digests)
}

/// Decompresses and reads the tar of one layer from its stored bytes (up to the end of the
/// compressed stream; the caller reads what follows). Returns the layer's changes and its
/// diff id.
fn read_stored(
    stored: &mut impl Read,
    fs: &Filesystem,
    layer: LayerId<'_>,
    limits: &Limits,
    budget: &mut Budget,
    visit: &mut Visitor<'_>,
) -> Result<(Upper, String), ImageError> {
    let mut head = [0u8; 6];
    let n = read_up_to(&mut *stored, &mut head).map_err(|e| ImageError::io("reading layer", e))?;
    let compression = detect_compression(&head[..n])?;
    let joined = io::Cursor::new(&head[..n]).chain(stored);
    let decompressed: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(joined),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(joined)),
        Compression::Zstd => Box::new(
            MultiFrameZstd::new(io::BufReader::new(joined))
                .map_err(|e| ImageError::Tar(io::Error::other(format!("zstd: {e}"))))?,
        ),
    };
    let mut bounded = BoundedReader {
        inner: HashingReader {
            inner: decompressed,
            hasher: Sha256::new(),
            count: 0,
        },
        before: budget.bytes,
        max: limits.max_total_bytes,
        exceeded: false,
    };
    let result = read_tar(&mut bounded, layer, limits, budget, fs, visit).and_then(|u| {
        // Read what follows the end-of-archive blocks, so the digests cover everything.
        io::copy(&mut bounded, &mut io::sink()).map_err(ImageError::Tar)?;
        Ok(u)
    });
    if bounded.exceeded {
        return Err(ImageError::Limit {
            limit: "max_total_bytes",
            max: limits.max_total_bytes,
        });
    }
    let upper = result?;
    budget.bytes += bounded.inner.count;
    let diff_id = format!("sha256:{}", hex::encode(bounded.inner.hasher.finalize()));
    Ok((upper, diff_id))
}

/// Applies one layer's changes: whiteouts and opaque directories remove lower-layer entries,
/// then the layer's entries replace lower ones (a non-directory hides a lower directory's
/// contents; a directory over a directory merges).
fn merge(fs: &mut Filesystem, upper: Upper) {
    for path in &upper.whiteouts {
        fs.remove_tree(path, true);
    }
    for dir in &upper.opaque {
        fs.remove_tree(dir, false);
    }
    let Upper {
        entries,
        mut contents,
        through_symlink,
        ..
    } = upper;
    for (path, meta) in entries {
        if meta.kind != FileKind::Dir {
            fs.remove_tree(&path, false);
        }
        fs.contents.remove(&path);
        fs.through_symlink.remove(&path);
        if let Some(data) = contents.remove(&path) {
            fs.contents.insert(path.clone(), data);
        }
        if through_symlink.contains(&path) {
            fs.through_symlink.insert(path.clone());
        }
        fs.entries.insert(path, meta);
    }
}

/// Normalises a tar path to an absolute view path; refuses absolute paths and `..`.
pub fn normalise_entry_path(raw: &str) -> Result<String, ImageError> {
    if raw.starts_with('/') {
        return Err(ImageError::UnsafePath {
            path: raw.to_string(),
            reason: "absolute path",
        });
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(ImageError::UnsafePath {
                    path: raw.to_string(),
                    reason: "`..` component",
                })
            }
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether an ancestor of `path` is a symbolic link in this layer or the view below.
fn below_symlink(path: &str, upper: &Upper, fs: &Filesystem) -> bool {
    let mut p = path;
    while p != "/" {
        p = parent_of(p);
        let meta = upper.entries.get(p).or_else(|| fs.entries.get(p));
        if matches!(
            meta,
            Some(FileMeta {
                kind: FileKind::Symlink { .. },
                ..
            })
        ) {
            return true;
        }
    }
    false
}

fn read_tar(
    reader: &mut impl Read,
    layer: LayerId<'_>,
    limits: &Limits,
    budget: &mut Budget,
    fs: &Filesystem,
    visit: &mut Visitor<'_>,
) -> Result<Upper, ImageError> {
    let mut upper = Upper::default();
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(ImageError::Tar)? {
        visit.check_cancelled()?;
        visit.budget.check()?;
        let mut entry = entry.map_err(ImageError::Tar)?;
        budget.files += 1;
        if budget.files > limits.max_files {
            return Err(ImageError::Limit {
                limit: "max_files",
                max: limits.max_files,
            });
        }
        let raw_path = entry.path_bytes();
        if raw_path.len() > limits.max_path_len {
            return Err(ImageError::Limit {
                limit: "max_path_len",
                max: limits.max_path_len as u64,
            });
        }
        let path = normalise_entry_path(&String::from_utf8_lossy(&raw_path))?;
        drop(raw_path);

        // Whiteouts.
        let name = path.rsplit('/').next().unwrap_or("");
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = parent_of(&path).to_string();
            if hidden == ".wh..opq" {
                upper.opaque.push(dir);
            } else if !hidden.is_empty() {
                upper.whiteouts.push(join(&dir, hidden));
            }
            continue;
        }

        let header = entry.header();
        let entry_type = header.entry_type();
        let link_target = || -> Result<String, ImageError> {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if target.len() > limits.max_path_len {
                return Err(ImageError::Limit {
                    limit: "max_path_len",
                    max: limits.max_path_len as u64,
                });
            }
            Ok(target)
        };
        let kind = match entry_type {
            tar::EntryType::Directory => FileKind::Dir,
            tar::EntryType::Symlink => FileKind::Symlink {
                target: link_target()?,
            },
            tar::EntryType::Link => FileKind::Hardlink {
                target: normalise_entry_path(link_target()?.trim_start_matches('/'))?,
            },
            t if t.is_file() || t.is_gnu_sparse() || t == tar::EntryType::Continuous => {
                FileKind::File
            }
            _ => FileKind::Other,
        };
        // Empty or malformed numeric fields read as 0 (as other tar readers do).
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let mut size = if kind == FileKind::File {
            entry.size()
        } else {
            0
        };
        if let FileKind::Hardlink { target } = &kind {
            let linked = upper.entries.get(target).or_else(|| fs.entries.get(target));
            if let Some(t) = linked {
                size = t.size;
            }
        }
        let meta = FileMeta {
            path: path.clone(),
            kind,
            mode,
            uid,
            gid,
            size,
            layer: layer.index,
            layer_digest: layer.digest.to_string(),
        };
        if below_symlink(&path, &upper, fs) {
            upper.through_symlink.insert(path.clone());
        } else {
            upper.through_symlink.remove(&path);
        }
        upper.contents.remove(&path);
        let wanted =
            matches!(meta.kind, FileKind::File | FileKind::Hardlink { .. }) && (visit.keep)(&meta);
        let inspected = meta.kind == FileKind::File && visit.inspector.wants(&meta);
        if inspected && !wanted {
            let budget = visit.budget;
            // A sparse entry's holes are read out as zeros the tar does not store: charged.
            let sparse = entry.header().entry_type().is_gnu_sparse();
            let stored = entry.header().entry_size().unwrap_or(0);
            let mut source: Box<dyn Read + '_> = if sparse {
                Box::new(SparseCharge {
                    inner: &mut entry,
                    stored_left: stored,
                    budget,
                })
            } else {
                Box::new(&mut entry)
            };
            let over = |e: ImageError| match budget.check() {
                Err(limit) => limit,
                Ok(()) => e,
            };
            let mut data = Vec::with_capacity(meta.size.min(1 << 20) as usize);
            (&mut source)
                .take(limits.max_inspect_bytes)
                .read_to_end(&mut data)
                .map_err(|e| over(ImageError::Tar(e)))?;
            visit.inspector.inspect(&meta, &data);
            let head = data.len() as u64;
            drop(data);
            stream_rest(visit, &meta, head, &mut source, limits).map_err(over)?;
        }
        if wanted {
            match meta.kind {
                FileKind::File => {
                    if meta.size > limits.max_content_bytes {
                        return Err(ImageError::Limit {
                            limit: "max_content_bytes",
                            max: limits.max_content_bytes,
                        });
                    }
                    // Charged before it is read, holes of a sparse entry included.
                    visit.budget.charge(meta.size)?;
                    let mut data = Vec::with_capacity(meta.size.min(1 << 20) as usize);
                    (&mut entry)
                        .take(limits.max_content_bytes + 1)
                        .read_to_end(&mut data)
                        .map_err(ImageError::Tar)?;
                    if data.len() as u64 > limits.max_content_bytes {
                        return Err(ImageError::Limit {
                            limit: "max_content_bytes",
                            max: limits.max_content_bytes,
                        });
                    }
                    if inspected {
                        let n = data.len().min(limits.max_inspect_bytes as usize);
                        visit.inspector.inspect(&meta, &data[..n]);
                    }
                    upper.contents.insert(path.clone(), Bytes::from(data));
                }
                FileKind::Hardlink { ref target } => {
                    // The linked file's contents, if they were kept: shared, not copied, and
                    // not charged again.
                    let linked = upper
                        .contents
                        .get(target)
                        .or_else(|| fs.contents.get(target));
                    if let Some(data) = linked.cloned() {
                        upper.contents.insert(path.clone(), data);
                    }
                }
                _ => {}
            }
        }
        if meta.kind != FileKind::Dir {
            // A non-directory written in this layer replaces what this layer wrote below it.
            let prefix = format!("{path}/");
            let below: Vec<String> = upper
                .entries
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in below {
                upper.entries.remove(&k);
                upper.contents.remove(&k);
                upper.through_symlink.remove(&k);
            }
        }
        upper.entries.insert(path, meta);
    }
    Ok(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_paths() {
        assert_eq!(
            normalise_entry_path("./etc//passwd").unwrap(),
            "/etc/passwd"
        );
        assert_eq!(normalise_entry_path("./").unwrap(), "/");
        assert_eq!(normalise_entry_path("usr/bin/").unwrap(), "/usr/bin");
        assert!(normalise_entry_path("../etc/passwd").is_err());
        assert!(normalise_entry_path("a/../../b").is_err());
        assert!(normalise_entry_path("/etc/passwd").is_err());
    }

    #[test]
    fn detects_compression() {
        assert_eq!(
            detect_compression(&[0x1f, 0x8b, 8]).unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            detect_compression(&[0x28, 0xb5, 0x2f, 0xfd]).unwrap(),
            Compression::Zstd
        );
        assert_eq!(detect_compression(b"etc/").unwrap(), Compression::None);
        assert!(detect_compression(b"BZh9").is_err());
    }
}
