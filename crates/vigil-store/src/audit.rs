//! Append-only audit events: who did what to which account.

use crate::{Result, Store};

impl Store {
    /// Record an audit event.
    pub async fn audit(
        &self,
        account_id: Option<i64>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_events (account_id, actor, action, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Count audit events of an account with an action name (for tests and reports).
    pub async fn count_audit(&self, account_id: i64, action: &str) -> Result<i64> {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_events WHERE account_id = $1 AND action = $2",
        )
        .bind(account_id)
        .bind(action)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
