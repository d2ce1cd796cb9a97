//! Per-account settings of a product (e.g. CWS's notice level), as JSON values with the
//! times they were first set and last changed.

use crate::{Result, Store, StoreError};
use serde_json::Value;
use sqlx::Row;
use vigil_core::Millis;

/// A stored setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The value.
    pub value: Value,
    /// First set.
    pub created_at: Millis,
    /// Last changed.
    pub updated_at: Millis,
}

impl Store {
    /// A setting of an account for a product, if it was ever set.
    pub async fn setting(
        &self,
        account_id: i64,
        product: &str,
        name: &str,
    ) -> Result<Option<Setting>> {
        let row = sqlx::query(
            "SELECT value, created_at, updated_at FROM account_settings WHERE account_id = $1 AND product = $2 AND name = $3",
        )
        .bind(account_id)
        .bind(product)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let raw: String = r.try_get("value")?;
            Ok(Setting {
                value: serde_json::from_str(&raw)
                    .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}")))?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    /// Set (insert or replace) a setting.
    pub async fn set_setting(
        &self,
        account_id: i64,
        product: &str,
        name: &str,
        value: &Value,
    ) -> Result<()> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO account_settings (account_id, product, name, value, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (account_id, product, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(account_id)
        .bind(product)
        .bind(name)
        .bind(value.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
