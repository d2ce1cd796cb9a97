//! Saved scan definitions ("jobs"): a product's named scan with its own request as given,
//! the task spec each run enqueues, and optionally a schedule that fires runs. Every run is a
//! queue task carrying the job id, so a job's history, status and reports come from its runs.
//! Creating or changing a job, its schedule and an immediate run happen in one transaction.

use crate::queue::{enqueue_on, task_columns, task_from};
use crate::schedules::insert_schedule_on;
use crate::{opt_i64, NewTask, Result, Store, StoreError, TaskRecord};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::{Millis, Schedule, TaskSpec};

/// A saved scan definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Owning product.
    pub product: String,
    /// Display name.
    pub name: String,
    /// The product's own description of the scan (its request fields), for rendering.
    pub definition: Value,
    /// What each run enqueues (its `job_id` is this job's).
    pub spec: TaskSpec,
    /// Schedule firing runs, if any.
    pub schedule_id: Option<i64>,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// What to save: the definition, the spec of its runs, when it runs.
#[derive(Debug, Clone)]
pub struct JobPlan {
    /// Display name.
    pub name: String,
    /// The product's description of the scan.
    pub definition: Value,
    /// What each run enqueues.
    pub spec: TaskSpec,
    /// Schedule and its first fire time, for periodic or timed jobs.
    pub schedule: Option<(Schedule, Option<Millis>)>,
    /// Enqueue a run now.
    pub run_now: bool,
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("job: {e}"))
}

fn job_from(row: &AnyRow) -> Result<Job> {
    let definition: String = row.try_get("definition")?;
    let spec: String = row.try_get("spec")?;
    Ok(Job {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        product: row.try_get("product")?,
        name: row.try_get("name")?,
        definition: serde_json::from_str(&definition).map_err(corrupt)?,
        spec: serde_json::from_str(&spec).map_err(corrupt)?,
        schedule_id: opt_i64(row, "schedule_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Store the plan's schedule and immediate run for job `id` at `now`; returns (schedule id,
/// task id).
async fn plan_runs(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    product: &str,
    id: i64,
    plan: &JobPlan,
    now: Millis,
) -> Result<(Option<i64>, Option<i64>)> {
    let mut spec = plan.spec.clone();
    spec.job_id = Some(id);
    let mut schedule_id = None;
    if let Some((schedule, first)) = &plan.schedule {
        schedule_id = Some(
            insert_schedule_on(conn, account_id, product, schedule, &spec, *first, now).await?,
        );
    }
    sqlx::query("UPDATE scan_jobs SET spec = $1, schedule_id = $2 WHERE id = $3")
        .bind(serde_json::to_string(&spec).map_err(corrupt)?)
        .bind(schedule_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let mut task_id = None;
    if plan.run_now {
        task_id = Some(
            enqueue_on(
                conn,
                &NewTask {
                    account_id,
                    spec,
                    run_after: 0,
                    schedule_id: None,
                },
                now,
            )
            .await?,
        );
    }
    Ok((schedule_id, task_id))
}

impl Store {
    /// Save a job with its schedule and, if asked, a first run. Returns (job id, run id).
    pub async fn create_job(
        &self,
        account_id: i64,
        product: &str,
        plan: &JobPlan,
    ) -> Result<(i64, Option<i64>)> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO scan_jobs (account_id, product, name, definition, spec, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(account_id)
        .bind(product)
        .bind(&plan.name)
        .bind(plan.definition.to_string())
        .bind(serde_json::to_string(&plan.spec).map_err(corrupt)?)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let (_, task) = plan_runs(&mut tx, account_id, product, id, plan, now).await?;
        tx.commit().await?;
        Ok((id, task))
    }

    /// Replace a job's definition and schedule (the old schedule stops firing). Returns the
    /// id of the run started now, if the plan asks for one.
    pub async fn update_job(
        &self,
        account_id: i64,
        product: &str,
        id: i64,
        plan: &JobPlan,
    ) -> Result<Option<i64>> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "UPDATE scan_jobs SET name = $1, definition = $2, updated_at = $3 \
             WHERE account_id = $4 AND product = $5 AND id = $6 AND deleted = 0",
        )
        .bind(&plan.name)
        .bind(plan.definition.to_string())
        .bind(now)
        .bind(account_id)
        .bind(product)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE schedules SET enabled = 0 WHERE id = (SELECT schedule_id FROM scan_jobs WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let (_, task) = plan_runs(&mut tx, account_id, product, id, plan, now).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// A job of an account and product (deleted ones are not found).
    pub async fn job(&self, account_id: i64, product: &str, id: i64) -> Result<Job> {
        let row = sqlx::query(
            "SELECT * FROM scan_jobs WHERE account_id = $1 AND product = $2 AND id = $3 AND deleted = 0",
        )
        .bind(account_id)
        .bind(product)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        job_from(&row)
    }

    /// Jobs of an account and product, newest first.
    pub async fn list_jobs(&self, account_id: i64, product: &str) -> Result<Vec<Job>> {
        let rows = sqlx::query(
            "SELECT * FROM scan_jobs WHERE account_id = $1 AND product = $2 AND deleted = 0 ORDER BY id DESC",
        )
        .bind(account_id)
        .bind(product)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from).collect()
    }

    /// Enqueue a run of a job now; returns the task id.
    pub async fn run_job(&self, account_id: i64, product: &str, id: i64) -> Result<i64> {
        let job = self.job(account_id, product, id).await?;
        let mut spec = job.spec;
        spec.job_id = Some(id);
        self.enqueue(&NewTask {
            account_id,
            spec,
            run_after: 0,
            schedule_id: None,
        })
        .await
    }

    /// Delete jobs: their schedules stop and their unfinished runs are asked to stop. Runs
    /// and findings stay. All ids must exist, or nothing changes.
    pub async fn delete_jobs(&self, account_id: i64, product: &str, ids: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            let res = sqlx::query(
                "UPDATE scan_jobs SET deleted = 1, updated_at = $1 WHERE account_id = $2 AND product = $3 AND id = $4 AND deleted = 0",
            )
            .bind(self.now())
            .bind(account_id)
            .bind(product)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "UPDATE schedules SET enabled = 0 WHERE id = (SELECT schedule_id FROM scan_jobs WHERE id = $1)",
            )
            .bind(*id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        for id in ids {
            self.stop_job_runs(account_id, *id).await?;
        }
        Ok(())
    }

    /// Ask every unfinished run of a job to stop; returns how many were asked.
    pub async fn stop_job_runs(&self, account_id: i64, id: i64) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT id FROM tasks WHERE account_id = $1 AND job_id = $2 AND state IN ('queued', 'running', 'paused')",
        )
        .bind(account_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut n = 0;
        for r in rows {
            self.request_stop(account_id, r.try_get("id")?).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Runs of a job, newest first.
    pub async fn job_runs(&self, account_id: i64, id: i64) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM tasks WHERE account_id = $1 AND job_id = $2 ORDER BY id DESC",
            task_columns()
        ))
        .bind(account_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// Runs of all jobs of an account and product (deleted jobs included), newest first.
    pub async fn product_runs(&self, account_id: i64, product: &str) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM tasks WHERE account_id = $1 AND product = $2 AND job_id IS NOT NULL ORDER BY id DESC",
            task_columns()
        ))
        .bind(account_id)
        .bind(product)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// Every task of an account and product, one-off scans included, newest first.
    pub async fn product_tasks(&self, account_id: i64, product: &str) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM tasks WHERE account_id = $1 AND product = $2 ORDER BY id DESC",
            task_columns()
        ))
        .bind(account_id)
        .bind(product)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// A job by id including deleted ones (for rendering the history of old runs).
    pub async fn job_any(&self, account_id: i64, id: i64) -> Result<Job> {
        let row = sqlx::query("SELECT * FROM scan_jobs WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        job_from(&row)
    }
}
