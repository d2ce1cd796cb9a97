//! Exported files (e.g. a TCSS list as an Excel workbook): made when the export is asked for
//! and kept, as a snapshot, until they expire. Every query takes the account id; an expired
//! export reads as missing, and [`Store::delete_expired_exports`] removes the rows.

use crate::{Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::Millis;

/// An export to store.
#[derive(Debug, Clone)]
pub struct NewExport {
    /// The caller-visible job id (unique per account).
    pub job_id: String,
    /// Product that made it, e.g. `tcss`.
    pub product: String,
    /// What was exported, e.g. `LocalImageVul`.
    pub source: String,
    /// File name offered for download.
    pub file_name: String,
    /// Data rows in the file (the header left out).
    pub row_count: i64,
    /// The file.
    pub content: Vec<u8>,
    /// When it stops being available.
    pub expires_at: Millis,
}

/// A stored export, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Row id.
    pub id: i64,
    /// Owner.
    pub account_id: i64,
    /// The caller-visible job id.
    pub job_id: String,
    /// Product that made it.
    pub product: String,
    /// What was exported.
    pub source: String,
    /// File name offered for download.
    pub file_name: String,
    /// Data rows in the file.
    pub row_count: i64,
    /// Size of the file in bytes.
    pub size_bytes: i64,
    /// When it was made.
    pub created_at: Millis,
    /// When it stops being available.
    pub expires_at: Millis,
}

const COLUMNS: &str =
    "id, account_id, job_id, product, source, file_name, row_count, size_bytes, created_at, expires_at";

fn export_of(r: &AnyRow) -> Result<Export> {
    Ok(Export {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        job_id: r.try_get("job_id")?,
        product: r.try_get("product")?,
        source: r.try_get("source")?,
        file_name: r.try_get("file_name")?,
        row_count: r.try_get("row_count")?,
        size_bytes: r.try_get("size_bytes")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

impl Store {
    /// Store an export of an account; a job id the account already has is a conflict.
    pub async fn create_export(&self, account_id: i64, new: &NewExport) -> Result<Export> {
        let now = self.now();
        let size = i64::try_from(new.content.len())
            .map_err(|_| StoreError::Corrupt("export larger than i64::MAX bytes".into()))?;
        let row = sqlx::query(&format!(
            "INSERT INTO exports (account_id, job_id, product, source, file_name, row_count, size_bytes, content, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
        ))
        .bind(account_id)
        .bind(&new.job_id)
        .bind(&new.product)
        .bind(&new.source)
        .bind(&new.file_name)
        .bind(new.row_count)
        .bind(size)
        .bind(new.content.clone())
        .bind(now)
        .bind(new.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::conflict_or(e, "export job id"))?;
        export_of(&row)
    }

    /// An export of an account that has not expired at `now`, else [`StoreError::NotFound`].
    pub async fn export(&self, account_id: i64, job_id: &str, now: Millis) -> Result<Export> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM exports WHERE account_id = $1 AND job_id = $2 AND expires_at > $3"
        ))
        .bind(account_id)
        .bind(job_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        export_of(&row)
    }

    /// An export of an account with its file, if it has not expired at `now`.
    pub async fn export_content(
        &self,
        account_id: i64,
        job_id: &str,
        now: Millis,
    ) -> Result<(Export, Vec<u8>)> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, content FROM exports WHERE account_id = $1 AND job_id = $2 AND expires_at > $3"
        ))
        .bind(account_id)
        .bind(job_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let content: Vec<u8> = row.try_get("content")?;
        Ok((export_of(&row)?, content))
    }

    /// The unexpired exports of an account (without their files), newest first, at most
    /// `limit`.
    pub async fn exports(&self, account_id: i64, now: Millis, limit: i64) -> Result<Vec<Export>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM exports WHERE account_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(account_id)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(export_of).collect()
    }

    /// How many unexpired exports an account holds and their bytes in total.
    pub async fn export_usage(&self, account_id: i64, now: Millis) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS bytes FROM exports WHERE account_id = $1 AND expires_at > $2",
        )
        .bind(account_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("bytes")?))
    }

    /// Remove every export (of any account) that expired at or before `now`; returns how
    /// many went.
    pub async fn delete_expired_exports(&self, now: Millis) -> Result<u64> {
        let done = sqlx::query("DELETE FROM exports WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
