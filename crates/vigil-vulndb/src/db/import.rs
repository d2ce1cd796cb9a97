//! Importing advisories: OSV JSON files, directories, osv.dev zip archives
//! and Alpine secdb YAML, with every size and count bounded.
//!
//! What the input is, is decided by what it is: a directory is walked
//! (without following symbolic links, `*.json` as OSV, `*.yaml`/`*.yml` as
//! secdb, other files ignored); a file starting with the zip signature is
//! read as an osv.dev `all.zip` (one document per entry, same extension
//! rule); a `*.yaml`/`*.yml` file is secdb; anything else is one OSV JSON
//! document.
//!
//! A bad record or file is counted, reported in [`ImportSummary::issues`]
//! with its reason, and skipped; the import goes on. The import as a whole is
//! refused (and the source left as it was) when a bound on the whole input is
//! exceeded — zip entry count, total uncompressed bytes, file count — or when
//! nothing usable was found.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::{unix_now, Database};
use crate::error::DbError;
use crate::names::{base_of, normalize_name, release_of};
use crate::osv::{self, Record};
use crate::secdb;

/// Bounds on one import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest OSV JSON document (file or zip entry), bytes.
    pub max_json_bytes: u64,
    /// Largest secdb YAML document, bytes.
    pub max_yaml_bytes: u64,
    /// Most entries a zip archive may have.
    pub max_zip_entries: usize,
    /// Most bytes all documents of one import may decompress or read to.
    pub max_total_bytes: u64,
    /// Most files a directory import may read.
    pub max_files: usize,
    /// Deepest directory level walked below the import root.
    pub max_depth: usize,
    /// Largest download accepted by [`crate::update`], bytes.
    pub max_download_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_json_bytes: osv::MAX_RECORD_BYTES as u64,
            max_yaml_bytes: secdb::MAX_SECDB_BYTES as u64,
            max_zip_entries: 1_000_000,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_files: 1_000_000,
            max_depth: 32,
            max_download_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// How a source was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// One OSV JSON file.
    OsvJson,
    /// A directory of OSV JSON and/or secdb YAML files.
    Directory,
    /// A zip archive (osv.dev `all.zip` layout).
    Zip,
    /// One Alpine secdb YAML file.
    AlpineSecdb,
    /// An osv.dev `all.zip` downloaded by [`crate::update`].
    OsvDownload,
    /// A kind this build does not know (written by a newer one).
    Unknown,
}

impl SourceKind {
    /// The stored name (`osv-json`, `directory`, `zip`, `alpine-secdb`,
    /// `osv-download`).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::OsvJson => "osv-json",
            SourceKind::Directory => "directory",
            SourceKind::Zip => "zip",
            SourceKind::AlpineSecdb => "alpine-secdb",
            SourceKind::OsvDownload => "osv-download",
            SourceKind::Unknown => "unknown",
        }
    }

    pub(crate) fn from_str_lossy(s: &str) -> SourceKind {
        match s {
            "osv-json" => SourceKind::OsvJson,
            "directory" => SourceKind::Directory,
            "zip" => SourceKind::Zip,
            "alpine-secdb" => SourceKind::AlpineSecdb,
            "osv-download" => SourceKind::OsvDownload,
            _ => SourceKind::Unknown,
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rejected record or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportIssue {
    /// The file or zip entry (relative to the import root where possible).
    pub file: String,
    /// Why it (or a record in it) was skipped.
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    /// The source name the records were stored under.
    pub source: String,
    /// The kind of input.
    pub kind: SourceKind,
    /// The input path or URL.
    pub origin: String,
    /// Documents read (JSON files, zip entries, YAML files).
    pub files: u64,
    /// Advisories stored.
    pub advisories: u64,
    /// Affected-package entries stored.
    pub affected: u64,
    /// Records, entries or files rejected (malformed, over a bound).
    pub skipped: u64,
    /// Records marked `withdrawn`, not stored.
    pub withdrawn: u64,
    /// Records whose id appeared earlier in the same import; the copy with
    /// the newer `modified` was kept.
    pub duplicates: u64,
    /// The first [`MAX_ISSUES`] rejections, with reasons.
    pub issues: Vec<ImportIssue>,
    /// Wall time of the import.
    pub elapsed: Duration,
}

/// How many issues an [`ImportSummary`] lists (all are counted in `skipped`).
pub const MAX_ISSUES: usize = 1000;

impl ImportSummary {
    fn issue(&mut self, file: &str, reason: impl Into<String>) {
        self.skipped += 1;
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(ImportIssue {
                file: file.to_owned(),
                reason: reason.into(),
            });
        }
    }
}

enum Format {
    Json,
    Yaml,
}

fn format_of(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".json") {
        Some(Format::Json)
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Some(Format::Yaml)
    } else {
        None
    }
}

pub(crate) fn valid_source_name(name: &str) -> bool {
    !name.trim().is_empty() && name.len() <= 1024 && !name.chars().any(char::is_control)
}

impl Database {
    /// Imports `path` as the source `local:<canonical path>` with default
    /// [`ImportLimits`]; re-importing the same path replaces its records.
    pub fn import(&mut self, path: &Path) -> Result<ImportSummary, DbError> {
        let canonical = std::fs::canonicalize(path).map_err(|e| DbError::io(path, e))?;
        let name = format!("local:{}", canonical.display());
        self.import_with(path, &name, &ImportLimits::default())
    }

    /// Imports `path` as the source `source` (replacing its records) with
    /// default [`ImportLimits`].
    pub fn import_as(&mut self, path: &Path, source: &str) -> Result<ImportSummary, DbError> {
        self.import_with(path, source, &ImportLimits::default())
    }

    /// Imports `path` as the source `source` within `limits`.
    pub fn import_with(
        &mut self,
        path: &Path,
        source: &str,
        limits: &ImportLimits,
    ) -> Result<ImportSummary, DbError> {
        self.import_inner(path, source, limits, None)
    }

    pub(crate) fn import_inner(
        &mut self,
        path: &Path,
        source: &str,
        limits: &ImportLimits,
        origin_override: Option<(&str, SourceKind)>,
    ) -> Result<ImportSummary, DbError> {
        if !valid_source_name(source) {
            return Err(DbError::Invalid {
                what: "source name",
                value: source.chars().take(80).collect(),
            });
        }
        let started = Instant::now();
        let meta = std::fs::metadata(path).map_err(|e| DbError::io(path, e))?;
        let kind = if meta.is_dir() {
            SourceKind::Directory
        } else if is_zip(path)? {
            SourceKind::Zip
        } else if matches!(format_of(&path.to_string_lossy()), Some(Format::Yaml)) {
            SourceKind::AlpineSecdb
        } else {
            SourceKind::OsvJson
        };
        if matches!(origin_override, Some((_, SourceKind::OsvDownload))) && kind != SourceKind::Zip
        {
            return Err(DbError::Import {
                path: path.to_owned(),
                reason: "the download is not a zip archive".into(),
            });
        }
        let (origin, stored_kind) = match origin_override {
            Some((o, k)) => (o.to_owned(), k),
            None => (path.display().to_string(), kind),
        };
        let mut summary = ImportSummary {
            source: source.to_owned(),
            kind: stored_kind,
            origin: origin.clone(),
            files: 0,
            advisories: 0,
            affected: 0,
            skipped: 0,
            withdrawn: 0,
            duplicates: 0,
            issues: Vec::new(),
            elapsed: Duration::ZERO,
        };

        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sources WHERE name = ?1", [source])?;
        tx.execute(
            "INSERT INTO sources (name, kind, origin, imported_at) VALUES (?1, ?2, ?3, ?4)",
            params![source, stored_kind.as_str(), origin, unix_now()],
        )?;
        {
            let mut w = Writer {
                tx: &tx,
                source,
                summary: &mut summary,
                limits,
                total_bytes: 0,
            };
            match kind {
                SourceKind::Directory => w.directory(path)?,
                SourceKind::Zip => w.zip(path)?,
                SourceKind::AlpineSecdb | SourceKind::OsvJson => {
                    let label = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| path.display().to_string());
                    let fmt = if kind == SourceKind::AlpineSecdb {
                        Format::Yaml
                    } else {
                        Format::Json
                    };
                    w.file(path, &label, fmt)?;
                }
                SourceKind::OsvDownload | SourceKind::Unknown => {}
            }
        }
        if summary.advisories == 0 {
            // Dropping the transaction rolls back: the source keeps its old records.
            return Err(DbError::NothingImported {
                path: path.to_owned(),
                errors: summary.skipped,
                first: summary
                    .issues
                    .first()
                    .map(|i| format!("{}: {}", i.file, i.reason)),
            });
        }
        tx.execute(
            "UPDATE sources SET records = ?2, skipped = ?3 WHERE name = ?1",
            params![source, summary.advisories as i64, summary.skipped as i64],
        )?;
        tx.commit()?;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }
}

fn is_zip(path: &Path) -> Result<bool, DbError> {
    let mut f = File::open(path).map_err(|e| DbError::io(path, e))?;
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        match f.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DbError::io(path, e)),
        }
    }
    Ok(n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06"))
}

struct Writer<'a, 'c> {
    tx: &'a Transaction<'c>,
    source: &'a str,
    summary: &'a mut ImportSummary,
    limits: &'a ImportLimits,
    total_bytes: u64,
}

impl Writer<'_, '_> {
    fn whole_input_error(&self, path: &Path, reason: String) -> DbError {
        DbError::Import {
            path: path.to_owned(),
            reason,
        }
    }

    fn limit_for(&self, fmt: &Format) -> u64 {
        match fmt {
            Format::Json => self.limits.max_json_bytes,
            Format::Yaml => self.limits.max_yaml_bytes,
        }
    }

    /// Reads at most `limit` bytes; `Err(reason)` when there are more.
    fn read_bounded(
        &mut self,
        r: impl Read,
        limit: u64,
    ) -> Result<Result<Vec<u8>, String>, std::io::Error> {
        let mut buf = Vec::new();
        r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            return Ok(Err(format!("larger than the limit of {limit} bytes")));
        }
        Ok(Ok(buf))
    }

    fn account(&mut self, root: &Path, n: u64) -> Result<(), DbError> {
        self.total_bytes = self.total_bytes.saturating_add(n);
        if self.total_bytes > self.limits.max_total_bytes {
            return Err(self.whole_input_error(
                root,
                format!(
                    "more than {} bytes of documents in total",
                    self.limits.max_total_bytes
                ),
            ));
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, label: &str, fmt: Format) -> Result<(), DbError> {
        self.summary.files += 1;
        let limit = self.limit_for(&fmt);
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.summary.issue(label, format!("cannot open: {e}"));
                return Ok(());
            }
        };
        if let Ok(m) = f.metadata() {
            if m.len() > limit {
                self.summary.issue(
                    label,
                    format!("{} bytes, larger than the limit of {limit} bytes", m.len()),
                );
                return Ok(());
            }
        }
        let bytes = match self.read_bounded(f, limit) {
            Ok(Ok(b)) => b,
            Ok(Err(reason)) => {
                self.summary.issue(label, reason);
                return Ok(());
            }
            Err(e) => {
                self.summary.issue(label, format!("read error: {e}"));
                return Ok(());
            }
        };
        self.account(path, bytes.len() as u64)?;
        self.document(label, &bytes, fmt)
    }

    fn document(&mut self, label: &str, bytes: &[u8], fmt: Format) -> Result<(), DbError> {
        match fmt {
            Format::Json => match osv::parse_record_unbounded(bytes) {
                Ok(r) => self.store(label, &r)?,
                Err(osv::RecordError::Withdrawn(_)) => self.summary.withdrawn += 1,
                Err(e) => self.summary.issue(label, e.to_string()),
            },
            Format::Yaml => match secdb::parse_unbounded(bytes) {
                Ok(db) => {
                    for s in db.skipped {
                        self.summary.issue(label, s);
                    }
                    for r in &db.records {
                        self.store(label, r)?;
                    }
                }
                Err(e) => self.summary.issue(label, e.to_string()),
            },
        }
        Ok(())
    }

    fn directory(&mut self, root: &Path) -> Result<(), DbError> {
        let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_owned(), 0)];
        let mut files_seen = 0usize;
        while let Some((dir, depth)) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    if dir == root {
                        return Err(DbError::io(&dir, e));
                    }
                    let label = rel(root, &dir);
                    self.summary.issue(&label, format!("cannot list: {e}"));
                    continue;
                }
            };
            let mut entries: Vec<PathBuf> = Vec::new();
            for e in rd {
                match e {
                    Ok(e) => entries.push(e.path()),
                    Err(e) => {
                        let label = rel(root, &dir);
                        self.summary.issue(&label, format!("cannot list: {e}"));
                    }
                }
                if entries.len() > self.limits.max_files {
                    return Err(self.whole_input_error(
                        root,
                        format!(
                            "more than {} entries in one directory",
                            self.limits.max_files
                        ),
                    ));
                }
            }
            entries.sort();
            // Directories pushed in reverse so the walk visits them in name order.
            let mut subdirs = Vec::new();
            for p in entries {
                let Ok(m) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                if m.file_type().is_symlink() {
                    continue;
                }
                if m.is_dir() {
                    if depth + 1 > self.limits.max_depth {
                        let label = rel(root, &p);
                        self.summary.issue(
                            &label,
                            format!("deeper than {} levels, not read", self.limits.max_depth),
                        );
                    } else {
                        subdirs.push(p);
                    }
                    continue;
                }
                if !m.is_file() {
                    continue;
                }
                let Some(fmt) = format_of(&p.to_string_lossy()) else {
                    continue;
                };
                files_seen += 1;
                if files_seen > self.limits.max_files {
                    return Err(self.whole_input_error(
                        root,
                        format!("more than {} files", self.limits.max_files),
                    ));
                }
                let label = rel(root, &p);
                self.file(&p, &label, fmt)?;
            }
            for d in subdirs.into_iter().rev() {
                stack.push((d, depth + 1));
            }
        }
        Ok(())
    }

    fn zip(&mut self, path: &Path) -> Result<(), DbError> {
        let f = File::open(path).map_err(|e| DbError::io(path, e))?;
        self.zip_reader(path, BufReader::new(f))
    }

    fn zip_reader<R: Read + Seek>(&mut self, path: &Path, r: R) -> Result<(), DbError> {
        let mut archive = zip::ZipArchive::new(r).map_err(|e| {
            self.whole_input_error(path, format!("not a readable zip archive: {e}"))
        })?;
        if archive.len() > self.limits.max_zip_entries {
            return Err(self.whole_input_error(
                path,
                format!(
                    "{} zip entries, more than the limit of {}",
                    archive.len(),
                    self.limits.max_zip_entries
                ),
            ));
        }
        for i in 0..archive.len() {
            let (name, fmt, bytes) = {
                let entry = match archive.by_index(i) {
                    Ok(e) => e,
                    Err(e) => {
                        self.summary
                            .issue(&format!("entry #{i}"), format!("unreadable: {e}"));
                        continue;
                    }
                };
                if entry.is_dir() {
                    continue;
                }
                let name: String = entry.name().chars().take(512).collect();
                let Some(fmt) = format_of(&name) else {
                    continue;
                };
                self.summary.files += 1;
                let limit = self.limit_for(&fmt);
                match self.read_bounded(entry, limit) {
                    Ok(Ok(b)) => (name, fmt, b),
                    Ok(Err(reason)) => {
                        self.summary.issue(&name, reason);
                        // Count what was inflated before stopping.
                        self.account(path, limit)?;
                        continue;
                    }
                    Err(e) => {
                        self.summary.issue(&name, format!("cannot decompress: {e}"));
                        continue;
                    }
                }
            };
            self.account(path, bytes.len() as u64)?;
            self.document(&name, &bytes, fmt)?;
        }
        Ok(())
    }

    /// Stores one record; within one import, a second copy of an id replaces
    /// the first only when its `modified` is newer.
    fn store(&mut self, label: &str, r: &Record) -> Result<(), DbError> {
        let modified_us = r.modified.as_deref().and_then(parse_time_us);
        let existing: Option<(i64, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT pk, modified_us FROM advisories WHERE source = ?1 AND id = ?2",
                params![self.source, r.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some((pk, old)) = existing {
            self.summary.duplicates += 1;
            if modified_us.unwrap_or(i64::MIN) <= old.unwrap_or(i64::MIN) {
                return Ok(());
            }
            let old_affected: i64 =
                self.tx
                    .query_row("SELECT COUNT(*) FROM affected WHERE adv = ?1", [pk], |r| {
                        r.get(0)
                    })?;
            let removed = self
                .tx
                .execute("DELETE FROM advisories WHERE pk = ?1", [pk])?;
            self.summary.advisories = self.summary.advisories.saturating_sub(removed as u64);
            self.summary.affected = self
                .summary
                .affected
                .saturating_sub(old_affected.max(0) as u64);
        }
        let aliases = to_json(&r.aliases);
        let refs = to_json(&r.references);
        let (cv, cs, cver) = match &r.cvss {
            Some(c) => (
                Some(c.vector.as_str()),
                Some(c.score),
                Some(c.version.as_str()),
            ),
            None => (None, None, None),
        };
        let mut ins = self.tx.prepare_cached(
            "INSERT INTO advisories (source, id, modified, modified_us, published, summary, details,
                aliases, refs, severity, cvss_vector, cvss_score, cvss_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        ins.execute(params![
            self.source,
            r.id,
            r.modified,
            modified_us,
            r.published,
            r.summary,
            r.details,
            aliases,
            refs,
            r.severity.as_str(),
            cv,
            cs,
            cver
        ])?;
        let pk = self.tx.last_insert_rowid();
        let mut aff = self.tx.prepare_cached(
            "INSERT INTO affected (adv, ecosystem, base, release, name, package, ranges, versions, not_affected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut stored = 0u64;
        for a in &r.affected {
            let base = base_of(&a.ecosystem);
            if base.is_empty() {
                continue;
            }
            if a.ranges.is_empty() && a.versions.is_empty() && !a.not_affected {
                continue;
            }
            aff.execute(params![
                pk,
                a.ecosystem,
                base,
                release_of(&a.ecosystem),
                normalize_name(base, &a.name),
                a.name,
                to_json(&a.ranges),
                to_json(&a.versions),
                a.not_affected
            ])?;
            stored += 1;
        }
        if stored == 0 && !r.affected.is_empty() {
            // Nothing matchable (e.g. only GIT ranges): keep the advisory for
            // reference, report it.
            self.summary.issue(
                label,
                format!("{}: no affected entry with versions or ranges", r.id),
            );
        }
        self.summary.advisories += 1;
        self.summary.affected += stored;
        Ok(())
    }
}

/// `serde_json::to_string` for the stored lists (strings, ranges,
/// references), which always serialize.
fn to_json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

/// An RFC 3339 time (or `YYYY-MM-DDTHH:MM:SS[.f]` without zone, taken as
/// UTC, or a bare date) as microseconds since the epoch.
pub(crate) fn parse_time_us(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp_micros());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let a = parse_time_us("2021-06-16T00:03:24.800813Z").expect("rfc3339");
        let b = parse_time_us("2021-06-16T00:03:24Z").expect("rfc3339");
        assert!(a > b);
        assert!(parse_time_us("2021-06-16").is_some());
        assert!(parse_time_us("2021-06-16T00:03:24").is_some());
        assert!(parse_time_us("yesterday").is_none());
    }
}
