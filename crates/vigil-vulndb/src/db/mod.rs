//! The advisory database: one SQLite file in `DATA_DIR/vulndb/`.
//!
//! The API is synchronous (async callers wrap it in `spawn_blocking`); a
//! [`Database`] owns one connection and is `Send`, not `Sync`.
//!
//! **Schema** (version 1, kept in `PRAGMA user_version`; migrations are
//! numbered SQL run in order, each in its own transaction; a file from a
//! newer build is refused with [`DbError::SchemaTooNew`]):
//!
//! * `sources` — one row per imported source: name (`local:/path`,
//!   `osv:PyPI`, …), kind, origin path or URL, import time, record count,
//!   skipped count;
//! * `advisories` — one row per (source, id): dates, summary, details,
//!   aliases (JSON), references (JSON), severity label, CVSS vector, score
//!   and version;
//! * `affected` — one row per affected package of an advisory: the
//!   ecosystem as written (`Debian:12`), its base (`Debian`), its release key
//!   (`12`, empty for ecosystem-wide entries, see [`crate::names`]), the
//!   normalised package name and the name as written, ranges and explicit
//!   versions (JSON), and whether the entry says *not affected*. Indexed on
//!   (base, name, release).
//!
//! **Sources.** Importing a source deletes its previous rows and writes the
//! new ones in one transaction: readers see the old or the new set, never a
//! mix, and a failed import leaves the old set. An import that yields no
//! usable record is refused ([`DbError::NothingImported`]) and also leaves
//! the old set.
//!
//! **Same id in several sources.** All copies are kept; matching uses only
//! the copy with the newest `modified` time (ties: the most recently
//! written), so removing or re-importing a source can never lose the other
//! sources' copy.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::error::DbError;

mod import;
mod query;

pub use import::{ImportIssue, ImportLimits, ImportSummary, SourceKind, MAX_ISSUES};
pub use query::{evaluate, Advisory, Assessment, FixStatus, Match, MatchedVia, NotAffected, Query};

/// The folder under the data directory that holds the database.
pub const DB_DIR: &str = "vulndb";
/// The database file name inside [`DB_DIR`].
pub const DB_FILE: &str = "vulndb.sqlite3";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE sources (
        name TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        origin TEXT NOT NULL,
        imported_at INTEGER NOT NULL,
        records INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE advisories (
        pk INTEGER PRIMARY KEY,
        source TEXT NOT NULL REFERENCES sources(name) ON DELETE CASCADE,
        id TEXT NOT NULL,
        modified TEXT,
        modified_us INTEGER,
        published TEXT,
        summary TEXT,
        details TEXT,
        aliases TEXT NOT NULL,
        refs TEXT NOT NULL,
        severity TEXT NOT NULL,
        cvss_vector TEXT,
        cvss_score REAL,
        cvss_version TEXT,
        UNIQUE (source, id)
    );
    CREATE INDEX advisories_by_id ON advisories (id);
    CREATE TABLE affected (
        adv INTEGER NOT NULL REFERENCES advisories(pk) ON DELETE CASCADE,
        ecosystem TEXT NOT NULL,
        base TEXT NOT NULL,
        release TEXT NOT NULL,
        name TEXT NOT NULL,
        package TEXT NOT NULL,
        ranges TEXT NOT NULL,
        versions TEXT NOT NULL,
        not_affected INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX affected_lookup ON affected (base, name, release);
    CREATE INDEX affected_by_adv ON affected (adv);
    "#,
];

/// The path of the database file for a data directory
/// (`DATA_DIR/vulndb/vulndb.sqlite3`).
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_DIR).join(DB_FILE)
}

/// An open advisory database.
pub struct Database {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish()
    }
}

/// What [`Database::status`] reports about one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceStatus {
    /// The source name (`local:/path`, `osv:PyPI`).
    pub name: String,
    /// How it was imported.
    pub kind: SourceKind,
    /// The path or URL it came from.
    pub origin: String,
    /// When it was imported, seconds since the Unix epoch.
    pub imported_at: i64,
    /// Time since the import (zero if the clock went backwards).
    pub age: Duration,
    /// Advisories stored from it.
    pub records: u64,
    /// Records or files rejected during its import.
    pub skipped: u64,
}

/// What [`Database::status`] reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// The database file.
    pub path: PathBuf,
    /// Its schema version.
    pub schema_version: u32,
    /// Its size in bytes (main file only).
    pub size_bytes: u64,
    /// The sources, by name.
    pub sources: Vec<SourceStatus>,
    /// Advisories over all sources (copies of one id in two sources count twice).
    pub advisories: u64,
    /// Affected-package entries over all sources.
    pub affected: u64,
    /// The age of the oldest source, if any (for "refresh your data" hints).
    pub oldest_age: Option<Duration>,
}

impl Database {
    /// Opens the database of `data_dir`, creating `DATA_DIR/vulndb/` and an
    /// empty database when absent, and migrating an older schema.
    pub fn open(data_dir: &Path) -> Result<Database, DbError> {
        let dir = data_dir.join(DB_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| DbError::io(&dir, e))?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path)?;
        Database::init(conn, path)
    }

    /// Opens an existing database; [`DbError::NoDatabase`] (which tells the
    /// user to run `vigil db import PATH` or `vigil db update`) when there is
    /// none.
    pub fn open_existing(data_dir: &Path) -> Result<Database, DbError> {
        let path = db_path(data_dir);
        if !path.is_file() {
            return Err(DbError::NoDatabase { path });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Database::init(conn, path)
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Database, DbError> {
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // WAL lets matching read while an import writes.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(DbError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as u32)?;
            tx.commit()?;
        }
        Ok(Database { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes a source and its records; `false` when there was none.
    pub fn remove_source(&mut self, name: &str) -> Result<bool, DbError> {
        let n = self
            .conn
            .execute("DELETE FROM sources WHERE name = ?1", [name])?;
        Ok(n > 0)
    }

    /// Per-source and total counts (see [`Status`]).
    pub fn status(&self) -> Result<Status, DbError> {
        let now = unix_now();
        let mut stmt = self.conn.prepare(
            "SELECT name, kind, origin, imported_at, records, skipped FROM sources ORDER BY name",
        )?;
        let sources = stmt
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                let imported_at: i64 = r.get(3)?;
                Ok(SourceStatus {
                    name: r.get(0)?,
                    kind: SourceKind::from_str_lossy(&kind),
                    origin: r.get(2)?,
                    imported_at,
                    age: Duration::from_secs(now.saturating_sub(imported_at).max(0) as u64),
                    records: r.get::<_, i64>(4)?.max(0) as u64,
                    skipped: r.get::<_, i64>(5)?.max(0) as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let advisories: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM advisories", [], |r| r.get(0))?;
        let affected: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM affected", [], |r| r.get(0))?;
        let schema_version: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let size_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let oldest_age = sources.iter().map(|s| s.age).max();
        Ok(Status {
            path: self.path.clone(),
            schema_version,
            size_bytes,
            sources,
            advisories: advisories.max(0) as u64,
            affected: affected.max(0) as u64,
            oldest_age,
        })
    }

    /// Whether a source of this name exists.
    pub fn has_source(&self, name: &str) -> Result<bool, DbError> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM sources WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
