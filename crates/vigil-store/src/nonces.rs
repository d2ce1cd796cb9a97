//! Replay protection for v1-signed requests: a (SecretId, Nonce) pair is accepted once while
//! its timestamp is inside the skew window; shared through the database so that several
//! `serve` processes refuse the same replay.

use crate::{Result, Store, StoreError};
use vigil_core::Millis;

impl Store {
    /// Record a nonce; `false` when it was already used and has not expired.
    pub async fn use_nonce(
        &self,
        secret_id: &str,
        nonce: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<bool> {
        sqlx::query("DELETE FROM request_nonces WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let res = sqlx::query(
            "INSERT INTO request_nonces (secret_id, nonce, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(secret_id)
        .bind(nonce)
        .bind(expires_at)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) => match StoreError::conflict_or(e, "nonce") {
                StoreError::Conflict(_) => Ok(false),
                other => Err(other),
            },
        }
    }
}
