//! Stored schedules and their exactly-once firing: a schedule's next fire time is advanced with
//! a compare-and-set in the same transaction that enqueues the task, so when several processes
//! share one database only one of them fires each occurrence.

use crate::queue::enqueue_on;
use crate::{opt_i64, NewTask, Result, Store, StoreError};
use sqlx::Row;
use vigil_core::{Millis, Schedule, TaskSpec};

/// A schedule as stored.
#[derive(Debug, Clone)]
pub struct ScheduleRecord {
    /// Schedule id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Owning product.
    pub product: String,
    /// When it fires.
    pub schedule: Schedule,
    /// What each firing enqueues.
    pub task_spec: TaskSpec,
    /// Next fire time; `None` when it will not fire again.
    pub next_fire_at: Option<Millis>,
    /// Last fire time.
    pub last_fired_at: Option<Millis>,
    /// Whether it is active.
    pub enabled: bool,
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("schedule: {e}"))
}

/// Insert an enabled schedule on a connection (possibly inside a transaction), created at
/// `now`; returns its id.
pub(crate) async fn insert_schedule_on(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    product: &str,
    schedule: &Schedule,
    spec: &TaskSpec,
    first_fire: Option<Millis>,
    now: Millis,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO schedules (account_id, product, schedule, task_spec, next_fire_at, enabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(product)
    .bind(serde_json::to_string(schedule).map_err(corrupt)?)
    .bind(serde_json::to_string(spec).map_err(corrupt)?)
    .bind(first_fire)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

impl Store {
    /// Store a schedule with its first fire time.
    pub async fn create_schedule(
        &self,
        account_id: i64,
        product: &str,
        schedule: &Schedule,
        spec: &TaskSpec,
        first_fire: Option<Millis>,
    ) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        let now = self.now();
        insert_schedule_on(
            &mut conn, account_id, product, schedule, spec, first_fire, now,
        )
        .await
    }

    /// Get a schedule of an account.
    pub async fn schedule(&self, account_id: i64, id: i64) -> Result<ScheduleRecord> {
        let row = sqlx::query("SELECT * FROM schedules WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let schedule: String = row.try_get("schedule")?;
        let spec: String = row.try_get("task_spec")?;
        Ok(ScheduleRecord {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            product: row.try_get("product")?,
            schedule: serde_json::from_str(&schedule).map_err(corrupt)?,
            task_spec: serde_json::from_str(&spec).map_err(corrupt)?,
            next_fire_at: opt_i64(&row, "next_fire_at")?,
            last_fired_at: opt_i64(&row, "last_fired_at")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
        })
    }

    /// Enable or disable a schedule of an account.
    pub async fn set_schedule_enabled(
        &self,
        account_id: i64,
        id: i64,
        enabled: bool,
    ) -> Result<()> {
        let res =
            sqlx::query("UPDATE schedules SET enabled = $1 WHERE account_id = $2 AND id = $3")
                .bind(enabled as i64)
                .bind(account_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Fire every due schedule (at most `batch`): enqueue its task and advance its next fire
    /// time with `next` (given the schedule and the fire time just used). Returns the ids of the
    /// tasks this call enqueued; occurrences fired by another process are skipped.
    pub async fn fire_due_schedules(
        &self,
        now: Millis,
        batch: i64,
        next: &(dyn Fn(&Schedule, Millis) -> Option<Millis> + Sync),
    ) -> Result<Vec<i64>> {
        let due = sqlx::query(
            "SELECT id, account_id, next_fire_at FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2",
        )
        .bind(now)
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        let mut fired = Vec::new();
        for row in due {
            let id: i64 = row.try_get("id")?;
            let account_id: i64 = row.try_get("account_id")?;
            // The occurrence to fire is the one seen as due; if another process fired it
            // meanwhile, the compare-and-set below finds a later time and skips.
            let fire_at: i64 = row.try_get("next_fire_at")?;
            let rec = self.schedule(account_id, id).await?;
            let following = next(&rec.schedule, fire_at.max(now));
            let mut tx = self.pool.begin().await?;
            let res = sqlx::query(
                "UPDATE schedules SET next_fire_at = $1, last_fired_at = $2 WHERE id = $3 AND next_fire_at = $4 AND enabled = 1",
            )
            .bind(following)
            .bind(fire_at)
            .bind(id)
            .bind(fire_at)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                tx.rollback().await?;
                continue;
            }
            let task_id = enqueue_on(
                &mut tx,
                &NewTask {
                    account_id,
                    spec: rec.task_spec.clone(),
                    run_after: fire_at,
                    schedule_id: Some(id),
                },
                self.now(),
            )
            .await?;
            tx.commit().await?;
            fired.push(task_id);
        }
        Ok(fired)
    }
}
