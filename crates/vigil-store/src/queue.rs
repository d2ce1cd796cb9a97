//! The durable task queue. Tasks are rows; a worker claims one with a lease (owner and expiry),
//! renews it with heartbeats that also carry progress and bring back stop requests, and
//! finishes it only while it still holds the lease, so a task completes exactly once even when
//! a worker thought dead comes back. The rescuer returns expired leases to the queue (or fails
//! the task after its last attempt). Every attempt is recorded.

use crate::{opt_i64, opt_str, Backend, Result, Store, StoreError};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::{Millis, TaskSpec, TaskState};

/// A task to enqueue.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Owning account.
    pub account_id: i64,
    /// What to run.
    pub spec: TaskSpec,
    /// Not before this time.
    pub run_after: Millis,
    /// Schedule that created it, if any.
    pub schedule_id: Option<i64>,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// Task id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Owning product.
    pub product: String,
    /// Engine kind.
    pub kind: String,
    /// Engine target.
    pub target: Value,
    /// Engine options.
    pub options: Value,
    /// State.
    pub state: TaskState,
    /// Progress 0-100.
    pub progress: i64,
    /// Attempts started so far.
    pub attempts: i64,
    /// Attempt budget.
    pub max_attempts: i64,
    /// Whether a stop was requested.
    pub cancel_requested: bool,
    /// Schedule that created it.
    pub schedule_id: Option<i64>,
    /// Saved scan definition this run belongs to.
    pub job_id: Option<i64>,
    /// Last error, if any.
    pub error: Option<String>,
    /// Earliest start.
    pub run_after: Millis,
    /// Creation time.
    pub created_at: Millis,
    /// First start.
    pub started_at: Option<Millis>,
    /// End time.
    pub finished_at: Option<Millis>,
}

/// One attempt at a task, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Attempt number, from 1.
    pub attempt: i64,
    /// Worker that ran it.
    pub worker_id: String,
    /// How it ended (`succeeded`, `failed`, `lost`, `paused`, ...); `None` while running.
    pub outcome: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Engine kind that ran it.
    pub engine_kind: Option<String>,
    /// That engine's version.
    pub engine_version: Option<String>,
}

/// A claimed task and the lease over it.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The task (state `Running`).
    pub task: TaskRecord,
    /// Worker holding the lease.
    pub worker_id: String,
    /// Attempt number of this run (1-based).
    pub attempt: i64,
}

pub(crate) fn task_from(row: &AnyRow) -> Result<TaskRecord> {
    let state: String = row.try_get("state")?;
    let parse = |col: &str| -> Result<Value> {
        let s: String = row.try_get(col)?;
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("task {col}: {e}")))
    };
    Ok(TaskRecord {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        product: row.try_get("product")?,
        kind: row.try_get("kind")?,
        target: parse("target")?,
        options: parse("options")?,
        state: TaskState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("task state `{state}`")))?,
        progress: row.try_get("progress")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        schedule_id: opt_i64(row, "schedule_id")?,
        job_id: opt_i64(row, "job_id")?,
        error: opt_str(row, "error")?,
        run_after: row.try_get("run_after")?,
        created_at: row.try_get("created_at")?,
        started_at: opt_i64(row, "started_at")?,
        finished_at: opt_i64(row, "finished_at")?,
    })
}

/// The task columns every task query selects.
pub(crate) fn task_columns() -> &'static str {
    TASK_COLUMNS
}

const TASK_COLUMNS: &str = "id, account_id, product, kind, target, options, state, progress, attempts, max_attempts, cancel_requested, schedule_id, job_id, error, run_after, created_at, started_at, finished_at";

impl Store {
    /// Enqueue a task; returns its id.
    pub async fn enqueue(&self, t: &NewTask) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        enqueue_on(&mut conn, t, self.now()).await
    }

    /// Get a task of an account.
    pub async fn task(&self, account_id: i64, task_id: i64) -> Result<TaskRecord> {
        let row = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(task_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        task_from(&row)
    }

    /// Claim the next ready task of one of `kinds` for `worker_id`, with a lease of `lease_ms`,
    /// interleaving accounts and without a cap on running tasks (see [`Store::claim_fair`]).
    pub async fn claim(
        &self,
        worker_id: &str,
        kinds: &[String],
        lease_ms: i64,
    ) -> Result<Option<Lease>> {
        self.claim_fair(worker_id, kinds, lease_ms, 0).await
    }

    /// Claim the next ready task of one of `kinds` for `worker_id`, with a lease of `lease_ms`.
    ///
    /// Fair between accounts: among accounts with a ready task, the one with the fewest
    /// running tasks goes first, then the one served longest ago, so one account that
    /// enqueues many tasks cannot starve the others; within an account, tasks run in order.
    /// An account already running `max_running_per_account` tasks (0: no cap) is skipped.
    pub async fn claim_fair(
        &self,
        worker_id: &str,
        kinds: &[String],
        lease_ms: i64,
        max_running_per_account: i64,
    ) -> Result<Option<Lease>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let now = self.now();
        let kinds_in = |first: usize| {
            (0..kinds.len())
                .map(|i| format!("${}", i + first))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let candidates_sql = format!(
            "SELECT q.account_id AS account_id, a.claim_seq AS claim_seq, \
             (SELECT COUNT(*) FROM tasks r WHERE r.account_id = q.account_id AND r.state = 'running') AS running \
             FROM (SELECT DISTINCT account_id FROM tasks WHERE state IN ('queued', 'paused') AND run_after <= $1 \
             AND kind IN ({})) q JOIN accounts a ON a.id = q.account_id \
             ORDER BY running, claim_seq, account_id LIMIT 64",
            kinds_in(2)
        );
        let mut q = sqlx::query(&candidates_sql).bind(now);
        for k in kinds {
            q = q.bind(k.clone());
        }
        let candidates = q.fetch_all(&self.pool).await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // One statement claims the task and checks the cap, so on SQLite the transaction
        // writes first and waits for the lock instead of failing to upgrade a read.
        let claim_sql = format!(
            "UPDATE tasks SET state = 'running', lease_owner = $1, lease_expires_at = $2, heartbeat_at = $3, \
             attempts = attempts + 1, started_at = COALESCE(started_at, $3), updated_at = $3 \
             WHERE id = (SELECT id FROM tasks WHERE account_id = $4 AND state IN ('queued', 'paused') AND run_after <= $3 \
             AND kind IN ({}) ORDER BY run_after, id LIMIT 1{lock}) \
             AND ($5 <= 0 OR (SELECT COUNT(*) FROM tasks r WHERE r.account_id = $4 AND r.state = 'running') < $5) \
             RETURNING {TASK_COLUMNS}",
            kinds_in(6)
        );
        for c in candidates {
            let account_id: i64 = c.try_get("account_id")?;
            let running: i64 = c.try_get("running")?;
            if max_running_per_account > 0 && running >= max_running_per_account {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            if max_running_per_account > 0 && self.backend == Backend::Postgres {
                // Claims for one account take turns, so the cap holds across processes.
                sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut q = sqlx::query(&claim_sql)
                .bind(worker_id)
                .bind(now + lease_ms)
                .bind(now)
                .bind(account_id)
                .bind(max_running_per_account);
            for k in kinds {
                q = q.bind(k.clone());
            }
            let Some(row) = q.fetch_optional(&mut *tx).await? else {
                tx.commit().await?;
                continue;
            };
            let task = task_from(&row)?;
            // A strictly increasing sequence, not the clock: claims in the same millisecond
            // must not tie (ties would always favour the oldest account).
            sqlx::query(
                "UPDATE accounts SET claim_seq = (SELECT COALESCE(MAX(claim_seq), 0) + 1 FROM accounts) WHERE id = $1",
            )
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO task_attempts (task_id, attempt, worker_id, started_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(task.id)
            .bind(task.attempts)
            .bind(worker_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Some(Lease {
                attempt: task.attempts,
                task,
                worker_id: worker_id.to_string(),
            }));
        }
        Ok(None)
    }

    /// Renew a lease and record progress. `Ok(Some(stop_requested))` while the lease is held,
    /// `Ok(None)` once it is lost (the worker must abandon the run).
    pub async fn heartbeat(
        &self,
        lease: &Lease,
        progress: i64,
        lease_ms: i64,
    ) -> Result<Option<bool>> {
        let now = self.now();
        let row = sqlx::query(
            "UPDATE tasks SET lease_expires_at = $1, heartbeat_at = $2, progress = $3, updated_at = $2 \
             WHERE id = $4 AND lease_owner = $5 AND state = 'running' RETURNING cancel_requested",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(progress.clamp(0, 100))
        .bind(lease.task.id)
        .bind(&lease.worker_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<i64, _>("cancel_requested")? != 0),
            None => None,
        })
    }

    /// Replace the target and options of a task about to run (a scheduled run re-derived
    /// from its saved scan); reports then show what was really scanned.
    pub async fn set_task_input(
        &self,
        task_id: i64,
        target: &Value,
        options: &Value,
    ) -> Result<()> {
        sqlx::query("UPDATE tasks SET target = $1, options = $2, updated_at = $3 WHERE id = $4")
            .bind(target.to_string())
            .bind(options.to_string())
            .bind(self.now())
            .bind(task_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finish a run. `outcome` is the final state for success and stop; for failure pass
    /// `Failed` and the task is retried after `retry_after_ms` while attempts remain. Returns
    /// `false` if the lease was lost (another worker owns the task now; nothing is written).
    pub async fn finish(
        &self,
        lease: &Lease,
        outcome: TaskState,
        error: Option<&str>,
        retry_after_ms: i64,
    ) -> Result<bool> {
        let now = self.now();
        let retry = outcome == TaskState::Failed && lease.attempt < lease.task.max_attempts;
        let state = if retry { TaskState::Queued } else { outcome };
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "UPDATE tasks SET state = $1, error = $2, lease_owner = NULL, lease_expires_at = NULL, \
             progress = CASE WHEN $1 = 'succeeded' THEN 100 ELSE progress END, \
             run_after = CASE WHEN $1 = 'queued' THEN $3 ELSE run_after END, \
             finished_at = CASE WHEN $1 = 'queued' THEN NULL ELSE $4 END, updated_at = $4 \
             WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(now + retry_after_ms)
        .bind(now)
        .bind(lease.task.id)
        .bind(&lease.worker_id)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        finish_attempt(
            &mut tx,
            lease.task.id,
            lease.attempt,
            outcome.as_str(),
            error,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Put a running task back to wait for its runtime window; the attempt does not count.
    pub async fn pause(&self, lease: &Lease, resume_at: Millis) -> Result<bool> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "UPDATE tasks SET state = 'paused', lease_owner = NULL, lease_expires_at = NULL, attempts = attempts - 1, \
             run_after = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(resume_at)
        .bind(now)
        .bind(lease.task.id)
        .bind(&lease.worker_id)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        finish_attempt(&mut tx, lease.task.id, lease.attempt, "paused", None, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ask a task of an account to stop. A waiting task stops at once; a running one is told
    /// by its next heartbeat. Returns the state after the request.
    pub async fn request_stop(&self, account_id: i64, task_id: i64) -> Result<TaskState> {
        let now = self.now();
        let task = self.task(account_id, task_id).await?;
        if task.state.is_terminal() {
            return Ok(task.state);
        }
        sqlx::query(
            "UPDATE tasks SET cancel_requested = 1, \
             state = CASE WHEN state IN ('queued', 'paused') THEN 'stopped' ELSE state END, \
             finished_at = CASE WHEN state IN ('queued', 'paused') THEN $1 ELSE finished_at END, updated_at = $1 \
             WHERE account_id = $2 AND id = $3",
        )
        .bind(now)
        .bind(account_id)
        .bind(task_id)
        .execute(&self.pool)
        .await?;
        Ok(self.task(account_id, task_id).await?.state)
    }

    /// Return tasks whose lease expired to the queue (or fail/stop them); returns how many.
    pub async fn rescue_expired(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "UPDATE tasks SET \
             state = CASE WHEN cancel_requested = 1 THEN 'stopped' WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
             error = CASE WHEN cancel_requested = 1 THEN error ELSE 'worker lost (lease expired)' END, \
             finished_at = CASE WHEN cancel_requested = 0 AND attempts < max_attempts THEN NULL ELSE $1 END, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
             WHERE state = 'running' AND lease_expires_at < $1 RETURNING id, attempts",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let attempt: i64 = r.try_get("attempts")?;
            finish_attempt(&mut tx, id, attempt, "lost", Some("lease expired"), now).await?;
        }
        tx.commit().await?;
        if !rows.is_empty() {
            tracing::warn!(count = rows.len(), "rescued tasks with expired leases");
        }
        Ok(rows.len() as u64)
    }

    /// On graceful shutdown: give this worker's running tasks back without spending an attempt.
    pub async fn release_leases(&self, worker_id: &str) -> Result<u64> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, attempts = attempts - 1, \
             updated_at = $1 WHERE lease_owner = $2 AND state = 'running' RETURNING id, attempts",
        )
        .bind(now)
        .bind(worker_id)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let attempt: i64 = r.try_get("attempts")?;
            finish_attempt(&mut tx, id, attempt + 1, "released", None, now).await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    /// Attempts of a task, in order.
    pub async fn task_attempts(&self, task_id: i64) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(
            "SELECT attempt, worker_id, outcome, error, engine_kind, engine_version \
             FROM task_attempts WHERE task_id = $1 ORDER BY id",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attempt {
                    attempt: r.try_get("attempt")?,
                    worker_id: r.try_get("worker_id")?,
                    outcome: opt_str(r, "outcome")?,
                    error: opt_str(r, "error")?,
                    engine_kind: opt_str(r, "engine_kind")?,
                    engine_version: opt_str(r, "engine_version")?,
                })
            })
            .collect()
    }

    /// Record which engine (kind and version) runs the leased attempt. Nothing is written if the
    /// lease was lost; returns whether the attempt was recorded.
    pub async fn record_attempt_engine(
        &self,
        lease: &Lease,
        kind: &str,
        version: &str,
    ) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE task_attempts SET engine_kind = $1, engine_version = $2 \
             WHERE task_id = $3 AND attempt = $4 AND worker_id = $5 AND finished_at IS NULL",
        )
        .bind(kind)
        .bind(version)
        .bind(lease.task.id)
        .bind(lease.attempt)
        .bind(&lease.worker_id)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() > 0)
    }
}

/// Insert a task on an open connection or transaction, created at `now`.
pub(crate) async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    t: &NewTask,
    now: Millis,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO tasks (account_id, product, kind, target, options, state, max_attempts, run_after, schedule_id, job_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $10, $9, $9) RETURNING id",
    )
    .bind(t.account_id)
    .bind(&t.spec.product)
    .bind(&t.spec.kind)
    .bind(t.spec.target.to_string())
    .bind(t.spec.options.to_string())
    .bind(t.spec.max_attempts.max(1))
    .bind(t.run_after)
    .bind(t.schedule_id)
    .bind(now)
    .bind(t.spec.job_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

async fn finish_attempt(
    conn: &mut sqlx::AnyConnection,
    task_id: i64,
    attempt: i64,
    outcome: &str,
    error: Option<&str>,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE task_attempts SET finished_at = $1, outcome = $2, error = $3 \
         WHERE task_id = $4 AND attempt = $5 AND finished_at IS NULL",
    )
    .bind(now)
    .bind(outcome)
    .bind(error)
    .bind(task_id)
    .bind(attempt)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Tasks of a product an account created since a time (quota accounting).
    pub async fn count_tasks_since(
        &self,
        account_id: i64,
        product: &str,
        since: Millis,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM tasks WHERE account_id = $1 AND product = $2 AND created_at >= $3",
        )
        .bind(account_id)
        .bind(product)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}

/// Counts of tasks by state and the durations of finished runs, for metrics.
#[derive(Debug, Clone, Default)]
pub struct TaskStats {
    /// (state, count) for every state present.
    pub by_state: Vec<(String, i64)>,
    /// Finished tasks with a start time.
    pub finished: i64,
    /// Sum of their run durations in milliseconds.
    pub finished_ms: i64,
}

impl Store {
    /// Task counts by state and finished-run durations.
    pub async fn task_stats(&self) -> Result<TaskStats> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        let by_state = rows
            .iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect::<Result<Vec<_>>>()?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(finished_at - started_at), 0) AS BIGINT) AS ms FROM tasks \
             WHERE finished_at IS NOT NULL AND started_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(TaskStats {
            by_state,
            finished: row.try_get("n")?,
            finished_ms: row.try_get("ms")?,
        })
    }
}
