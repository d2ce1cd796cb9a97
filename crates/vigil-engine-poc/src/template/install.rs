//! Installing a catalogue into the data directory: a tar archive (plain or gzip, such as a
//! nuclei-templates release) is first loaded as a catalogue (so an archive without
//! templates never replaces a working one), then its templates and wordlists are written
//! to a fresh directory beside the destination (regular files only, safe relative paths,
//! the release's top directory stripped, bounded like every load) and swapped in by rename.
//! A `.vigil-source.json` records where it came from and when.

use crate::template::load::{Catalog, LoadLimits};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The record of where the installed catalogue came from.
pub const SOURCE_FILE: &str = ".vigil-source.json";

/// What an install wrote.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// Where the archive came from.
    pub source: String,
    /// When it was installed (RFC 3339).
    pub installed_at: String,
    /// SHA-256 of the archive.
    pub sha256: String,
    /// Template files in it.
    pub files: usize,
    /// Templates that parsed.
    pub parsed: usize,
}

/// Why an install failed; the installed catalogue is then unchanged.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The archive is not a usable catalogue.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing files failed.
    #[error("{0}")]
    Io(String),
}

fn io(e: impl std::fmt::Display) -> InstallError {
    InstallError::Io(e.to_string())
}

/// Installs the archive at `archive` into `dest`, recording `source` and `sha256`.
pub fn install_archive(
    archive: &Path,
    dest: &Path,
    source: &str,
    sha256: &str,
    now_rfc3339: &str,
) -> Result<Source, InstallError> {
    let limits = LoadLimits::default();
    let catalog =
        Catalog::load(archive, limits).map_err(|e| InstallError::Invalid(e.to_string()))?;
    if catalog.templates.is_empty() {
        return Err(InstallError::Invalid(format!(
            "{source} holds no templates ({} files rejected); the installed templates are unchanged",
            catalog.rejected.len()
        )));
    }
    let parent = dest
        .parent()
        .ok_or_else(|| io("the destination has no parent directory"))?;
    std::fs::create_dir_all(parent).map_err(io)?;
    let fresh = parent.join(format!(".templates-new-{}", std::process::id()));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(io)?;
    }
    std::fs::create_dir_all(&fresh).map_err(io)?;
    let written = extract(archive, &fresh, limits);
    let record = Source {
        source: source.to_string(),
        installed_at: now_rfc3339.to_string(),
        sha256: sha256.to_string(),
        files: catalog.templates.len() + catalog.rejected.len(),
        parsed: catalog.templates.len(),
    };
    let finish = written.and_then(|_| {
        let json = serde_json::to_vec_pretty(&record).map_err(io)?;
        std::fs::write(fresh.join(SOURCE_FILE), json).map_err(io)
    });
    if let Err(e) = finish {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    let old = parent.join(format!(".templates-old-{}", std::process::id()));
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(io)?;
    }
    if let Err(e) = std::fs::rename(&fresh, dest) {
        let _ = std::fs::rename(&old, dest);
        return Err(io(e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(record)
}

/// The installed catalogue's record, if any.
pub fn installed_source(dest: &Path) -> Option<Source> {
    let bytes = std::fs::read(dest.join(SOURCE_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn extract(archive: &Path, into: &Path, limits: LoadLimits) -> Result<(), InstallError> {
    let file = std::fs::File::open(archive).map_err(io)?;
    let name = archive.to_string_lossy().to_ascii_lowercase();
    let reader: Box<dyn Read> =
        if name.ends_with(".gz") || name.ends_with(".tgz") || is_gzip(archive) {
            Box::new(flate2::read::GzDecoder::new(file))
        } else {
            Box::new(file)
        };
    let mut tar = tar::Archive::new(reader);
    let mut entries: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut total = 0u64;
    for entry in tar.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Some(rel) = entry.path().ok().and_then(|p| safe(&p)) else {
            continue;
        };
        let keep = rel
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "txt");
        let size = entry.header().size().unwrap_or(0);
        total = total.saturating_add(size);
        if entries.len() >= limits.max_files || total > limits.max_total_bytes {
            return Err(InstallError::Invalid(
                "the archive is over the size or file limits".into(),
            ));
        }
        if !keep || size > limits.max_wordlist_bytes {
            continue;
        }
        let mut buf = Vec::new();
        entry
            .by_ref()
            .take(size)
            .read_to_end(&mut buf)
            .map_err(io)?;
        entries.push((rel, buf));
    }
    let top = entries
        .first()
        .and_then(|(p, _)| match p.components().next() {
            Some(Component::Normal(s)) => Some(s.to_owned()),
            _ => None,
        });
    let strip = top.filter(|t| {
        entries
            .iter()
            .all(|(p, _)| p.starts_with(t) && p.components().count() > 1)
    });
    for (rel, bytes) in entries {
        let rel = match &strip {
            Some(t) => rel.strip_prefix(t).map(Path::to_path_buf).unwrap_or(rel),
            None => rel,
        };
        let path = into.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&path, bytes).map_err(io)?;
    }
    Ok(())
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

fn safe(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) if !s.to_string_lossy().starts_with('.') || s == "." => {
                out.push(s)
            }
            Component::Normal(_) => return None,
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}
