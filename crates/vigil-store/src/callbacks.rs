//! The callback outbox: POSTs Vigil owes tenants (a finished task's webhook, an app scan's
//! callback) are written here first and delivered by a loop (`vigil_worker::run_callbacks`),
//! so a crash or restart between "the task finished" and "the receiver heard of it" loses
//! nothing. Delivery is at least once: a claim moves the callback's next attempt a lease
//! ahead (a compare-and-set, so two deliverers never take the same attempt), and an attempt
//! that fails is retried later until `max_attempts` is spent. Every "now" is the store's clock.

use crate::{opt_i64, opt_str, Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::Millis;

/// What answer from the receiver counts as delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Any 2xx status.
    Success,
    /// A 2xx status with a JSON body whose `Result` is `ok` (Tencent's callback convention).
    ResultOk,
}

impl Accept {
    fn as_str(self) -> &'static str {
        match self {
            Accept::Success => "success",
            Accept::ResultOk => "result-ok",
        }
    }

    fn parse(s: &str) -> Result<Accept> {
        match s {
            "success" => Ok(Accept::Success),
            "result-ok" => Ok(Accept::ResultOk),
            other => Err(StoreError::Corrupt(format!("callback accept `{other}`"))),
        }
    }
}

/// Where a callback stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackState {
    /// Not delivered yet; tried again at `next_at`.
    Pending,
    /// The receiver accepted it.
    Delivered,
    /// Given up (attempts spent, or refused for good, e.g. by the scope guard).
    Failed,
}

impl CallbackState {
    fn parse(s: &str) -> Result<CallbackState> {
        match s {
            "pending" => Ok(CallbackState::Pending),
            "delivered" => Ok(CallbackState::Delivered),
            "failed" => Ok(CallbackState::Failed),
            other => Err(StoreError::Corrupt(format!("callback state `{other}`"))),
        }
    }
}

/// A callback to owe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback {
    /// The account on whose behalf it is sent (its scope applies).
    pub account_id: i64,
    /// Where to POST.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// What counts as delivered.
    pub accept: Accept,
    /// Attempts before giving up.
    pub max_attempts: i64,
}

/// A stored callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// Id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Where to POST.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// What counts as delivered.
    pub accept: Accept,
    /// Attempts made (a claimed attempt counts).
    pub attempts: i64,
    /// Attempts before giving up.
    pub max_attempts: i64,
    /// When the next attempt is due (while pending).
    pub next_at: Millis,
    /// Where it stands.
    pub state: CallbackState,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was owed.
    pub created_at: Millis,
    /// When the receiver accepted it.
    pub delivered_at: Option<Millis>,
}

fn callback_of(r: &AnyRow) -> Result<Callback> {
    let accept: String = r.try_get("accept")?;
    let state: String = r.try_get("state")?;
    Ok(Callback {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        url: r.try_get("url")?,
        body: r.try_get("body")?,
        accept: Accept::parse(&accept)?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        next_at: r.try_get("next_at")?,
        state: CallbackState::parse(&state)?,
        last_error: opt_str(r, "last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: opt_i64(r, "delivered_at")?,
    })
}

impl Store {
    /// Owe a callback, due now. Returns its id.
    pub async fn enqueue_callback(&self, c: &NewCallback) -> Result<i64> {
        let now = self.now();
        let row = sqlx::query(
            "INSERT INTO callbacks (account_id, url, body, accept, max_attempts, next_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(c.account_id)
        .bind(&c.url)
        .bind(&c.body)
        .bind(c.accept.as_str())
        .bind(c.max_attempts.max(1))
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Claim up to `limit` due callbacks for one delivery attempt each: their attempt count
    /// goes up and their next attempt moves `lease_ms` ahead, so another deliverer does not
    /// take them meanwhile (and a deliverer that dies leaves them due again after the lease).
    pub async fn claim_callbacks(&self, limit: i64, lease_ms: i64) -> Result<Vec<Callback>> {
        let now = self.now();
        let rows = sqlx::query(
            "SELECT * FROM callbacks WHERE state = 'pending' AND next_at <= $1 \
             ORDER BY next_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for r in &rows {
            let mut c = callback_of(r)?;
            let res = sqlx::query(
                "UPDATE callbacks SET attempts = attempts + 1, next_at = $1 \
                 WHERE id = $2 AND state = 'pending' AND next_at = $3 AND attempts = $4",
            )
            .bind(now.saturating_add(lease_ms))
            .bind(c.id)
            .bind(c.next_at)
            .bind(c.attempts)
            .execute(&self.pool)
            .await?;
            if res.rows_affected() == 1 {
                c.attempts += 1;
                c.next_at = now.saturating_add(lease_ms);
                claimed.push(c);
            }
        }
        Ok(claimed)
    }

    /// The receiver accepted callback `id`.
    pub async fn callback_delivered(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE callbacks SET state = 'delivered', delivered_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(self.now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An attempt at callback `id` failed with `error`: try again at `retry_at`, or give up
    /// (`None`, or when its attempts are spent).
    pub async fn callback_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Millis>,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        match retry_at {
            Some(at) => {
                sqlx::query(
                    "UPDATE callbacks SET last_error = $1, next_at = $2, \
                     state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END \
                     WHERE id = $3 AND state = 'pending'",
                )
                .bind(&error)
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE callbacks SET last_error = $1, state = 'failed' WHERE id = $2 AND state = 'pending'",
                )
                .bind(&error)
                .bind(id)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(())
    }

    /// Callbacks of an account, newest first, at most `limit`.
    pub async fn callbacks(&self, account_id: i64, limit: i64) -> Result<Vec<Callback>> {
        let rows =
            sqlx::query("SELECT * FROM callbacks WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(account_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(callback_of).collect()
    }
}

impl Callback {
    /// Whether it is still owed.
    pub fn pending(&self) -> bool {
        self.state == CallbackState::Pending
    }
}
