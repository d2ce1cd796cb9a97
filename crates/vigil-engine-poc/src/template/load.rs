//! A catalogue of templates read from a directory or a tar archive (plain or gzip, as
//! nuclei-templates releases ship), bounded in files, bytes and depth, symlinks never
//! followed. Each file that is not a template is kept as [`Rejected`] with its reason;
//! one bad file never fails the load. Payload wordlists (`helpers/wordlists/...`) are read
//! from the same source, relative to its root.

use crate::template::model::Template;
use crate::template::parse::{parse_template, PayloadFiles, MAX_TEMPLATE_BYTES};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Bounds on what a load reads.
#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    /// Most files looked at.
    pub max_files: usize,
    /// Most bytes read in all.
    pub max_total_bytes: u64,
    /// Deepest directory nesting.
    pub max_depth: usize,
    /// Largest wordlist read.
    pub max_wordlist_bytes: u64,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_files: 100_000,
            max_total_bytes: 1024 * 1024 * 1024,
            max_depth: 24,
            max_wordlist_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why nothing could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path cannot be read.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        reason: String,
    },
    /// Over a [`LoadLimits`] bound.
    #[error("{0}")]
    TooLarge(String),
}

/// A file that is not a template, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Path relative to the catalogue's root.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The templates of one source.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Templates that parsed, in path order; ids are unique.
    pub templates: Vec<Arc<Template>>,
    /// Files that did not.
    pub rejected: Vec<Rejected>,
}

/// Counts of a catalogue, for `vigil templates status`, benchmarks and run coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Template files seen.
    pub files: usize,
    /// Parsed.
    pub parsed: usize,
    /// Parsed and runnable.
    pub runnable: usize,
    /// Runnable, by protocol.
    pub runnable_by_protocol: BTreeMap<String, usize>,
    /// Parsed, by protocol.
    pub parsed_by_protocol: BTreeMap<String, usize>,
    /// Parsed but skipped, by reason label.
    pub skipped: BTreeMap<String, usize>,
    /// Rejected, by the first words of the reason.
    pub rejected: BTreeMap<String, usize>,
}

impl Catalog {
    /// Loads a directory, a `.tar`, or a `.tar.gz`/`.tgz`.
    pub fn load(path: &Path, limits: LoadLimits) -> Result<Catalog, LoadError> {
        let io = |e: std::io::Error| LoadError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let meta = std::fs::symlink_metadata(path).map_err(io)?;
        if meta.is_dir() {
            let files = walk(path, limits)?;
            let source = DirSource {
                root: path.to_path_buf(),
                limits,
            };
            let mut total = 0u64;
            for rel in &files {
                total = total.saturating_add(
                    std::fs::metadata(path.join(rel))
                        .map(|m| m.len())
                        .unwrap_or(0),
                );
            }
            if total > limits.max_total_bytes {
                return Err(LoadError::TooLarge(format!(
                    "templates exceed {} bytes",
                    limits.max_total_bytes
                )));
            }
            // Each file is read by the thread that parses it, one at a time: the catalogue's
            // text is never all in memory at once.
            let names: Vec<String> = files.iter().map(|r| rel_string(r)).collect();
            let read = |rel: &str| -> Result<String, String> {
                let full = path.join(rel);
                let len = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
                if len > MAX_TEMPLATE_BYTES as u64 {
                    return Err(format!(
                        "template is larger than {MAX_TEMPLATE_BYTES} bytes"
                    ));
                }
                std::fs::read(&full)
                    .map_err(|e| e.to_string())
                    .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8".to_string()))
            };
            Ok(Catalog::from_texts(names, &read, &source))
        } else {
            let mut file = std::fs::File::open(path).map_err(io)?;
            let mut magic = [0u8; 2];
            let gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
            std::io::Seek::rewind(&mut file).map_err(io)?;
            let reader: Box<dyn Read> = if gzip {
                Box::new(flate2::read::GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            Catalog::from_tar(reader, limits)
        }
    }

    /// Loads a tar stream (already decompressed).
    pub fn from_tar(reader: impl Read, limits: LoadLimits) -> Result<Catalog, LoadError> {
        let tar_err = |e: std::io::Error| LoadError::Io {
            path: "archive".into(),
            reason: e.to_string(),
        };
        let mut archive = tar::Archive::new(reader);
        let mut files: HashMap<String, Vec<u8>> = HashMap::new();
        let mut total = 0u64;
        let mut count = 0usize;
        for entry in archive.entries().map_err(tar_err)? {
            let mut entry = entry.map_err(tar_err)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            count += 1;
            if count > limits.max_files {
                return Err(LoadError::TooLarge(format!(
                    "more than {} files",
                    limits.max_files
                )));
            }
            let Ok(p) = entry.path() else { continue };
            let Some(rel) = safe_relative(&p) else {
                continue;
            };
            // Release archives put everything under one top directory: strip it.
            let size = entry.header().size().unwrap_or(0);
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(LoadError::TooLarge(format!(
                    "archive exceeds {} bytes",
                    limits.max_total_bytes
                )));
            }
            let wanted = is_template_name(&rel) || rel.extension().is_some_and(|e| e == "txt");
            if !wanted || size > limits.max_wordlist_bytes.max(MAX_TEMPLATE_BYTES as u64) {
                continue;
            }
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            entry
                .by_ref()
                .take(size)
                .read_to_end(&mut buf)
                .map_err(tar_err)?;
            files.insert(rel_string(&rel), buf);
        }
        let prefix = common_top(files.keys());
        let files: HashMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(k, v)| (strip(&k, prefix.as_deref()), v))
            .collect();
        let mut names: Vec<&String> = files
            .keys()
            .filter(|k| is_template_name(Path::new(k.as_str())))
            .collect();
        names.sort();
        let names: Vec<String> = names.into_iter().cloned().collect();
        let read = |k: &str| -> Result<String, String> {
            files
                .get(k)
                .map(|b| String::from_utf8(b.clone()).map_err(|_| "not UTF-8".to_string()))
                .unwrap_or_else(|| Err("missing".into()))
        };
        let source = MapSource { files: &files };
        Ok(Catalog::from_texts(names, &read, &source))
    }

    /// Reads (`read`: content, or why it could not be read) and parses the named files in
    /// as many threads as there are cores (at most 8).
    fn from_texts(
        texts: Vec<String>,
        read: &(dyn Fn(&str) -> Result<String, String> + Sync),
        files: &(dyn PayloadFiles + Sync),
    ) -> Catalog {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        let chunk = texts.len().div_ceil(threads).max(1);
        let parsed: Vec<Vec<Result<Template, Rejected>>> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|path| match read(path) {
                                Ok(t) => parse_template(&t, path, files).map_err(|e| Rejected {
                                    path: path.clone(),
                                    reason: e.to_string(),
                                }),
                                Err(e) => Err(Rejected {
                                    path: path.clone(),
                                    reason: e,
                                }),
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![Err(Rejected {
                            path: String::new(),
                            reason: "a parser thread failed".into(),
                        })]
                    })
                })
                .collect()
        });
        let mut catalog = Catalog::default();
        let mut seen = HashSet::new();
        for r in parsed.into_iter().flatten() {
            match r {
                Ok(t) if !seen.insert(t.id.clone()) => catalog.rejected.push(Rejected {
                    reason: format!("duplicate id {:?}", t.id),
                    path: t.path,
                }),
                Ok(t) => catalog.templates.push(Arc::new(t)),
                Err(rej) => catalog.rejected.push(rej),
            }
        }
        catalog
    }

    /// Counts by outcome, protocol and reason.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: self.templates.len() + self.rejected.len(),
            parsed: self.templates.len(),
            ..Summary::default()
        };
        for t in &self.templates {
            *s.parsed_by_protocol
                .entry(t.protocol().to_string())
                .or_default() += 1;
            match &t.skip {
                None => {
                    s.runnable += 1;
                    *s.runnable_by_protocol
                        .entry(t.protocol().to_string())
                        .or_default() += 1;
                }
                Some(skip) => *s.skipped.entry(skip.label()).or_default() += 1,
            }
        }
        for r in &self.rejected {
            let key: String = r
                .reason
                .split(" at line ")
                .next()
                .unwrap_or("")
                .chars()
                .take(80)
                .collect();
            *s.rejected.entry(key).or_default() += 1;
        }
        s
    }
}

fn is_template_name(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn rel_string(p: &Path) -> String {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A relative path without `..`, root or prefix components; `None` when it has any.
fn safe_relative(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The one top directory every path shares, if any (release archives have one).
fn common_top<'a>(mut keys: impl Iterator<Item = &'a String>) -> Option<String> {
    let first = keys.next()?;
    let top = first.split_once('/')?.0.to_string();
    let prefix = format!("{top}/");
    keys.all(|k| k.starts_with(&prefix)).then_some(top)
}

fn strip(k: &str, prefix: Option<&str>) -> String {
    match prefix {
        Some(p) => k
            .strip_prefix(p)
            .map(|s| s.trim_start_matches('/'))
            .unwrap_or(k)
            .to_string(),
        None => k.to_string(),
    }
}

/// Template files under `root`, relative, sorted; no symlinks followed, hidden directories
/// (`.git`, `.github`) skipped.
fn walk(root: &Path, limits: LoadLimits) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    let mut stack = vec![(PathBuf::new(), 0usize)];
    let mut seen = 0usize;
    while let Some((rel, depth)) = stack.pop() {
        let dir = root.join(&rel);
        let entries = std::fs::read_dir(&dir).map_err(|e| LoadError::Io {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        for entry in entries.flatten() {
            seen += 1;
            if seen > limits.max_files {
                return Err(LoadError::TooLarge(format!(
                    "more than {} files",
                    limits.max_files
                )));
            }
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let child = rel.join(&name);
            if ft.is_dir() && depth < limits.max_depth {
                stack.push((child, depth + 1));
            } else if ft.is_file() && is_template_name(&child) {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Wordlists read from a directory, within it.
struct DirSource {
    root: PathBuf,
    limits: LoadLimits,
}

impl PayloadFiles for DirSource {
    fn lines(&self, path: &str) -> Result<Vec<String>, String> {
        let rel = safe_relative(Path::new(path))
            .ok_or_else(|| format!("payload file {path} is outside the templates"))?;
        let full = self.root.join(rel);
        let meta = std::fs::symlink_metadata(&full)
            .map_err(|_| format!("payload file {path} not found"))?;
        if !meta.is_file() {
            return Err(format!("payload file {path} is not a regular file"));
        }
        if meta.len() > self.limits.max_wordlist_bytes {
            return Err(format!(
                "payload file {path} is larger than {} bytes",
                self.limits.max_wordlist_bytes
            ));
        }
        let bytes = std::fs::read(&full).map_err(|e| format!("payload file {path}: {e}"))?;
        Ok(lines_of(&bytes))
    }
}

/// Wordlists read from an archive's files.
struct MapSource<'a> {
    files: &'a HashMap<String, Vec<u8>>,
}

impl PayloadFiles for MapSource<'_> {
    fn lines(&self, path: &str) -> Result<Vec<String>, String> {
        let rel = safe_relative(Path::new(path))
            .ok_or_else(|| format!("payload file {path} is outside the templates"))?;
        self.files
            .get(&rel_string(&rel))
            .map(|b| lines_of(b))
            .ok_or_else(|| format!("payload file {path} not found"))
    }
}

fn lines_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect()
}
