//! [`Binaries`]: the [`Inspector`] that finds packages recorded inside files that are not
//! found by path (Go build information and `cargo auditable` data in ELF executables, Java
//! archives), keyed by `(path, layer)` for [`super::inventory`]. What it records is charged
//! to the scan's [`KeptBudget`] when it has one ([`Binaries::within`]).

use std::collections::BTreeMap;

use super::{cargo, cargo_purl, elf, golang, golang_purl, java, maven_purl, Package};
use super::{MAX_BINARY_PACKAGES, MIN_BINARY_BYTES};
use crate::{FileKind, FileMeta, Inspector, KeptBudget};

/// The [`Inspector`] for packages recorded inside files that are not found by path:
/// - ELF executables (regular files of at least [`MIN_BINARY_BYTES`] with an execute bit, or
///   in a `bin`, `sbin`, `libexec` or `cli-plugins` directory, starting with the ELF magic):
///   Go build information ([`golang`]) and `cargo auditable` data ([`cargo`]);
/// - Java archives (by extension, [`java`]).
///
/// Files larger than [`crate::Limits::max_inspect_bytes`] are read on as they stream by
/// ([`Inspector::wants_rest`]): an executable is searched for Go build information
/// ([`golang::StreamSearch`]; `cargo auditable` data, in a section the file's end locates, is
/// not read); an archive is copied to a private temporary file (at most [`MAX_SPOOL_BYTES`])
/// and read from its central directory, then the copy is removed.
///
/// Results are keyed by `(path, layer)`; [`inventory`] keeps those the final view still holds.
#[derive(Debug, Default)]
pub struct Binaries {
    /// By path, then layer.
    pub(super) found: BTreeMap<String, BTreeMap<usize, Found>>,
    packages: usize,
    /// The large file being read on, if any.
    rest: Option<Rest>,
    /// Charged for every package recorded; once it is spent nothing more is recorded (and the
    /// reader, checking the same budget, stops).
    budget: Option<KeptBudget>,
}

/// Largest Java archive copied to a temporary file to be read.
pub const MAX_SPOOL_BYTES: u64 = 2 << 30;

/// A large file read on past its head.
#[derive(Debug)]
struct Rest {
    /// The file (its path and layer key what is found).
    meta: FileMeta,
    kind: RestKind,
}

#[derive(Debug)]
enum RestKind {
    Go(Box<golang::StreamSearch>),
    Archive(Spool),
}

/// A private temporary copy of a file, removed when dropped.
#[derive(Debug)]
struct Spool {
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl Spool {
    fn create() -> std::io::Result<Spool> {
        use std::os::unix::fs::OpenOptionsExt;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("vigil-archive-{}-{n}.zip", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        Ok(Spool { file, path })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Debug, Default)]
pub(super) struct Found {
    pub(super) packages: Vec<Package>,
    pub(super) notes: Vec<String>,
}

/// Directory names whose files [`Binaries`] reads even without an execute bit.
const BIN_DIRS: [&str; 4] = ["bin", "sbin", "libexec", "cli-plugins"];

impl Binaries {
    /// An inspector charging what it records to `budget` (the scan's).
    pub fn within(budget: KeptBudget) -> Binaries {
        Binaries {
            budget: Some(budget),
            ..Binaries::default()
        }
    }

    /// Whether `meta` is a possible executable (see the type documentation).
    pub fn is_executable_candidate(meta: &FileMeta) -> bool {
        meta.kind == FileKind::File
            && meta.size >= MIN_BINARY_BYTES
            && (meta.mode & 0o111 != 0
                || meta
                    .path
                    .rsplit('/')
                    .skip(1)
                    .any(|dir| BIN_DIRS.contains(&dir)))
    }

    fn slot(&mut self, meta: &FileMeta) -> &mut Found {
        self.found
            .entry(meta.path.clone())
            .or_default()
            .entry(meta.layer)
            .or_default()
    }

    fn add(&mut self, meta: &FileMeta, p: Package) {
        if self.packages >= MAX_BINARY_PACKAGES {
            return;
        }
        if let Some(budget) = &self.budget {
            if budget.charge(p.approx_bytes()).is_err() {
                return;
            }
        }
        self.packages += 1;
        if self.packages == MAX_BINARY_PACKAGES {
            let note = format!("package limit of {MAX_BINARY_PACKAGES} for binaries reached");
            self.slot(meta).notes.push(note);
        }
        self.slot(meta).packages.push(p);
    }

    fn note(&mut self, meta: &FileMeta, note: String) {
        self.slot(meta).notes.push(note);
    }

    fn inspect_java(&mut self, meta: &FileMeta, data: &[u8]) {
        if (data.len() as u64) < meta.size {
            self.spool_archive(meta, data);
            return;
        }
        let file_name = meta.path.rsplit('/').next().unwrap_or(&meta.path);
        let scan = java::scan(data, file_name);
        self.add_java(meta, scan);
    }

    /// Starts copying a Java archive too large to hold to a temporary file.
    fn spool_archive(&mut self, meta: &FileMeta, head: &[u8]) {
        if meta.size > MAX_SPOOL_BYTES {
            self.note(
                meta,
                format!(
                    "Java archive of {} bytes is larger than {MAX_SPOOL_BYTES} bytes; not read",
                    meta.size
                ),
            );
            return;
        }
        let spool = Spool::create().and_then(|mut s| {
            use std::io::Write;
            s.file.write_all(head)?;
            Ok(s)
        });
        match spool {
            Ok(spool) => {
                self.rest = Some(Rest {
                    meta: meta.clone(),
                    kind: RestKind::Archive(spool),
                })
            }
            Err(e) => self.note(
                meta,
                format!(
                    "Java archive of {} bytes: no temporary copy ({e}); not read",
                    meta.size
                ),
            ),
        }
    }

    fn add_java(&mut self, meta: &FileMeta, scan: java::ArchiveScan) {
        for j in scan.packages {
            let path = if j.inner.is_empty() {
                meta.path.clone()
            } else {
                format!("{}!/{}", meta.path, j.inner)
            };
            let name = match &j.group {
                Some(g) => format!("{g}:{}", j.artifact),
                None => j.artifact.clone(),
            };
            let purl = maven_purl(j.group.as_deref(), &j.artifact, &j.version);
            let p = Package::new(name, j.version, "maven", purl, path, meta.layer);
            self.add(meta, p);
        }
        for n in scan.notes {
            self.note(meta, n);
        }
    }

    fn add_go(&mut self, meta: &FileMeta, info: &golang::BuildInfo) {
        for c in info.components() {
            let purl = golang_purl(&c.name, &c.version);
            let p = Package::new(
                c.name,
                c.version,
                "golang",
                purl,
                meta.path.clone(),
                meta.layer,
            );
            self.add(meta, p);
        }
    }

    fn inspect_elf(&mut self, meta: &FileMeta, data: &[u8]) {
        let mut found = false;
        if let Some(info) = golang::read(data) {
            found = true;
            self.add_go(meta, &info);
        }
        match cargo::read_auditable(data) {
            Some(Ok(crates)) => {
                found = true;
                for c in crates {
                    let purl = cargo_purl(&c.name, &c.version);
                    let mut p = Package::new(
                        c.name,
                        c.version,
                        "cargo",
                        purl,
                        meta.path.clone(),
                        meta.layer,
                    );
                    p.dev = c.build;
                    self.add(meta, p);
                }
            }
            Some(Err(e)) => self.note(meta, e.to_string()),
            None => {}
        }
        if !found && (data.len() as u64) < meta.size {
            self.rest = Some(Rest {
                meta: meta.clone(),
                kind: RestKind::Go(Box::new(golang::StreamSearch::after(data))),
            });
        }
    }

    /// Finishes the large file being read on: what it held, or why it could not be read.
    fn finish_rest(&mut self, complete: bool) {
        let Some(rest) = self.rest.take() else {
            return;
        };
        let meta = &rest.meta;
        match rest.kind {
            RestKind::Go(search) => match search.finish() {
                Some(info) => self.add_go(meta, &info),
                None => self.note(
                    meta,
                    format!(
                        "ELF file of {} bytes: no Go build information in it{}",
                        meta.size,
                        if complete {
                            ""
                        } else {
                            " (not read to its end)"
                        }
                    ),
                ),
            },
            RestKind::Archive(mut spool) => {
                use std::io::Seek;
                if !complete {
                    self.note(
                        meta,
                        format!(
                            "Java archive of {} bytes not read to its end; not read",
                            meta.size
                        ),
                    );
                    return;
                }
                let file = match spool.file.rewind().and_then(|()| spool.file.try_clone()) {
                    Ok(f) => f,
                    Err(e) => {
                        self.note(
                            meta,
                            format!("Java archive: temporary copy unreadable ({e})"),
                        );
                        return;
                    }
                };
                let file_name = meta.path.rsplit('/').next().unwrap_or(&meta.path);
                let scan = java::scan_file(file, file_name);
                drop(spool);
                self.add_java(meta, scan);
            }
        }
    }

    fn is_rest_of(&self, meta: &FileMeta) -> bool {
        self.rest
            .as_ref()
            .is_some_and(|r| r.meta.path == meta.path && r.meta.layer == meta.layer)
    }
}

impl Inspector for Binaries {
    fn wants(&self, meta: &FileMeta) -> bool {
        meta.kind == FileKind::File
            && ((java::is_java_archive(&meta.path) && meta.size >= 22)
                || Binaries::is_executable_candidate(meta))
    }

    fn inspect(&mut self, meta: &FileMeta, data: &[u8]) {
        // A layer that writes the same path twice: the last write is what the layer holds.
        if let Some(old) = self
            .found
            .get_mut(meta.path.as_str())
            .and_then(|by_layer| by_layer.remove(&meta.layer))
        {
            self.packages = self.packages.saturating_sub(old.packages.len());
        }
        // A file left unfinished (its reader stopped early) says so; this one starts afresh.
        self.finish_rest(false);
        if java::is_java_archive(&meta.path) {
            self.inspect_java(meta, data);
        } else if data.starts_with(elf::MAGIC) {
            self.inspect_elf(meta, data);
        }
    }

    fn wants_rest(&self, meta: &FileMeta) -> bool {
        self.is_rest_of(meta)
    }

    fn inspect_rest(&mut self, meta: &FileMeta, offset: u64, chunk: &[u8]) -> bool {
        if !self.is_rest_of(meta) {
            return false;
        }
        let more = match self.rest.as_mut().map(|r| &mut r.kind) {
            Some(RestKind::Go(search)) => search.feed(offset, chunk),
            Some(RestKind::Archive(spool)) => {
                use std::io::Write;
                match spool.file.write_all(chunk) {
                    Ok(()) => true,
                    Err(e) => {
                        self.rest = None;
                        self.note(
                            meta,
                            format!("Java archive: temporary copy failed ({e}); not read"),
                        );
                        return false;
                    }
                }
            }
            None => false,
        };
        if !more {
            // Only the Go search stops early, having found the block or given up on the
            // file: finish now so `wants_rest` turns false.
            self.finish_rest(true);
        }
        more
    }

    fn end_rest(&mut self, meta: &FileMeta, complete: bool) {
        if self.is_rest_of(meta) {
            self.finish_rest(complete);
        }
    }
}
