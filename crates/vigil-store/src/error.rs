//! Errors of the store; database text stays inside and is only logged by the edges.

/// Something the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused a query.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Bad configuration (URL, key file).
    #[error("{0}")]
    Config(String),
    /// A migration failed.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// Migration number.
        version: i64,
        /// Cause.
        source: sqlx::Error,
    },
    /// The row does not exist for this account.
    #[error("not found")]
    NotFound,
    /// A unique constraint would be violated.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Encryption or decryption failed (wrong key file, tampered value).
    #[error("secret decryption failed: {0}")]
    Crypto(String),
    /// Stored JSON could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Turn a unique-constraint violation into [`StoreError::Conflict`].
    pub(crate) fn conflict_or(e: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(what.to_string());
            }
        }
        StoreError::Database(e)
    }
}
