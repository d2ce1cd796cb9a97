//! Assets an account registers for scanning (public IP addresses and domain names), with
//! key/value tags. Registering an asset does not authorise scanning it: that takes a proof of
//! ownership or the operator's scope, checked when a scan is created.

use crate::{Result, Store, StoreError};
use sqlx::Row;

/// A registered asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// Row id.
    pub id: i64,
    /// `ip` or `domain`.
    pub kind: String,
    /// The address or name.
    pub value: String,
    /// Tags as (key, value).
    pub tags: Vec<(String, String)>,
    /// Registration time.
    pub created_at: i64,
}

impl Store {
    /// Register assets (kind, value) with tags; already registered ones are kept as they
    /// are. Returns how many were new.
    pub async fn add_assets(
        &self,
        account_id: i64,
        assets: &[(String, String)],
        tags: &[(String, String)],
    ) -> Result<u64> {
        let tags = serde_json::to_string(tags).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for (kind, value) in assets {
            let res = sqlx::query(
                "INSERT INTO assets (account_id, kind, value, tags, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (account_id, kind, value) DO NOTHING",
            )
            .bind(account_id)
            .bind(kind)
            .bind(value)
            .bind(&tags)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            n += res.rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Remove assets by value, or all of the account's when `values` is `None`. Returns how
    /// many were removed.
    pub async fn remove_assets(&self, account_id: i64, values: Option<&[String]>) -> Result<u64> {
        let Some(values) = values else {
            let res = sqlx::query("DELETE FROM assets WHERE account_id = $1")
                .bind(account_id)
                .execute(&self.pool)
                .await?;
            return Ok(res.rows_affected());
        };
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for v in values {
            let res = sqlx::query("DELETE FROM assets WHERE account_id = $1 AND value = $2")
                .bind(account_id)
                .bind(v)
                .execute(&mut *tx)
                .await?;
            n += res.rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Assets of an account, of one kind or all, oldest first.
    pub async fn list_assets(&self, account_id: i64, kind: Option<&str>) -> Result<Vec<Asset>> {
        let rows = match kind {
            Some(k) => {
                sqlx::query("SELECT * FROM assets WHERE account_id = $1 AND kind = $2 ORDER BY id")
                    .bind(account_id)
                    .bind(k)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM assets WHERE account_id = $1 ORDER BY id")
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                let tags: String = r.try_get("tags")?;
                Ok(Asset {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    value: r.try_get("value")?,
                    tags: serde_json::from_str(&tags)
                        .map_err(|e| StoreError::Corrupt(format!("asset tags: {e}")))?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
