//! Errors of the advisory database.

use std::path::PathBuf;

/// An error of the advisory database (open, import, match, status, update).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `open_existing` found no database.
    #[error(
        "no vulnerability database at {}: run `vigil db import PATH` or `vigil db update` first",
        path.display()
    )]
    NoDatabase {
        /// The database file that was looked for.
        path: PathBuf,
    },
    /// SQLite failed.
    #[error("vulnerability database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database was written by a newer Vigil.
    #[error("vulnerability database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// The version found in the file.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The input as a whole was refused (not a known format, a bound
    /// exceeded: zip entry count, total uncompressed size, file count).
    #[error("cannot import {}: {reason}", path.display())]
    Import {
        /// The input path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The input held no usable record; the source was left unchanged.
    #[error("nothing imported from {}: {errors} record(s) or file(s) rejected{}", path.display(), first.as_deref().map(|f| format!(", first: {f}")).unwrap_or_default())]
    NothingImported {
        /// The input path.
        path: PathBuf,
        /// How many records or files were rejected.
        errors: u64,
        /// The first rejection, if any.
        first: Option<String>,
    },
    /// A source name, ecosystem name or URL is unusable.
    #[error("invalid {what}: {value:?}")]
    Invalid {
        /// What was invalid (`source name`, `ecosystem`, `base URL`).
        what: &'static str,
        /// The value.
        value: String,
    },
    /// A download failed or exceeded its bound.
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A stored row could not be decoded.
    #[error("corrupt vulnerability database row: {0}")]
    Corrupt(String),
}

impl DbError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> DbError {
        DbError::Io {
            path: path.into(),
            source,
        }
    }
}
