//! Scan groups: one request of a product that scans many subjects at once, kept as a group of
//! queue tasks with one item per subject. TCSS's image scans are groups (a subject is an
//! image row, its key the image id); MS's app scans are groups too (a subject is an app, its
//! key the app's MD5). A group has a deadline (creation time plus its timeout) after which
//! [`Store::expire_scan_groups`] stops it with [`StopReason::Timeout`], and may be stopped as
//! a whole ([`Store::stop_scan_group`]) or item by item. Each item's status is its task's;
//! per-part errors (a scanner that failed while the others succeeded) are kept on the item.
//!
//! What a product keeps beyond the common columns (TCSS: one-click, scanners) is its own
//! serde type, stored as JSON text in `facts` on the group and on each item and read back
//! into that type; the store never looks inside. Groups belong to a product: reads of one
//! group or a list take the product so that one product never finds another's groups.

use crate::queue::{enqueue_on, task_columns, task_from};
use crate::{opt_i64, opt_str, NewTask, Result, Store, StoreError, TaskRecord};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;
use vigil_core::{Millis, TaskSpec};

/// Subjects per `IN (...)` list.
const IN_CHUNK: usize = 500;
/// Longest error message kept per part of an item.
const MAX_ERROR: usize = 64 * 1024;
/// Longest part name of an item's errors.
const MAX_PART: usize = 32;
/// Task states that have not ended.
const UNFINISHED: &str = "('queued', 'running', 'paused')";

/// Who started a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOrigin {
    /// A request over the API.
    Api,
    /// A schedule's firing.
    Schedule,
    /// A registry or inventory sync.
    Sync,
}

impl GroupOrigin {
    /// The stored name: `api`, `schedule`, `sync`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupOrigin::Api => "api",
            GroupOrigin::Schedule => "schedule",
            GroupOrigin::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "api" => Ok(GroupOrigin::Api),
            "schedule" => Ok(GroupOrigin::Schedule),
            "sync" => Ok(GroupOrigin::Sync),
            other => Err(corrupt("group origin", other)),
        }
    }
}

/// Why a group was stopped as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The account asked.
    Cancel,
    /// Its deadline passed.
    Timeout,
}

impl StopReason {
    /// The stored name: `cancel`, `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Cancel => "cancel",
            StopReason::Timeout => "timeout",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "cancel" => Ok(StopReason::Cancel),
            "timeout" => Ok(StopReason::Timeout),
            other => Err(corrupt("group stop reason", other)),
        }
    }
}

/// One subject of a group to create, with the queue task that scans it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGroupItem<I> {
    /// The subject's row in a product table (TCSS: `images.id`), if it has one.
    pub subject_row: Option<i64>,
    /// The subject's key (TCSS: the image id; MS: the app's MD5).
    pub subject_key: String,
    /// What the product keeps on the item.
    pub facts: I,
    /// What the task runs.
    pub spec: TaskSpec,
}

/// A group to create (see [`Store::create_scan_group`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewScanGroup<G, I> {
    /// Owning product (`tcss`, `ms`).
    pub product: String,
    /// The product's kind of group (TCSS: `local` or `registry`).
    pub kind: String,
    /// Who started it.
    pub origin: GroupOrigin,
    /// Time allowed for the whole group; the deadline is creation time plus this.
    pub timeout_secs: i64,
    /// What the product keeps on the group.
    pub facts: G,
    /// The subjects, in order.
    pub items: Vec<NewGroupItem<I>>,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanGroup<G> {
    /// Group id (TCSS `TaskID`).
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Owning product.
    pub product: String,
    /// The product's kind of group.
    pub kind: String,
    /// Who started it.
    pub origin: GroupOrigin,
    /// Time allowed.
    pub timeout_secs: i64,
    /// Creation time plus the time allowed.
    pub deadline_at: Millis,
    /// Why it was stopped as a whole, once it was.
    pub stop_reason: Option<StopReason>,
    /// When it was stopped as a whole.
    pub stopped_at: Option<Millis>,
    /// Creation time.
    pub created_at: Millis,
    /// What the product keeps on the group.
    pub facts: G,
}

/// One item of a group with the record of its task.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupItem<I> {
    /// Item id.
    pub id: i64,
    /// The group it belongs to.
    pub group_id: i64,
    /// The subject's row, if it has one.
    pub subject_row: Option<i64>,
    /// The subject's key.
    pub subject_key: String,
    /// What the product keeps on the item.
    pub facts: I,
    /// Errors per part of the scan (TCSS: per scanner) recorded for the task.
    pub errors: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: Millis,
    /// The queue task.
    pub task: TaskRecord,
}

/// Subjects whose items to stop across the groups of a product (see
/// [`Store::stop_subject_items`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subjects<'a> {
    /// By row in the product's table.
    Rows(&'a [i64]),
    /// By key.
    Keys(&'a [String]),
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn to_json<T: Serialize>(what: &str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt(what, e))
}

fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(what, e))
}

fn group_from<G: DeserializeOwned>(row: &AnyRow) -> Result<ScanGroup<G>> {
    let facts: String = row.try_get("facts")?;
    Ok(ScanGroup {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        product: row.try_get("product")?,
        kind: row.try_get("kind")?,
        origin: GroupOrigin::parse(&row.try_get::<String, _>("origin")?)?,
        timeout_secs: row.try_get("timeout_secs")?,
        deadline_at: row.try_get("deadline_at")?,
        stop_reason: opt_str(row, "stop_reason")?
            .as_deref()
            .map(StopReason::parse)
            .transpose()?,
        stopped_at: opt_i64(row, "stopped_at")?,
        created_at: row.try_get("created_at")?,
        facts: from_json("group facts", &facts)?,
    })
}

/// Decode an item selected with [`item_select`].
pub(crate) fn item_from<I: DeserializeOwned>(row: &AnyRow) -> Result<GroupItem<I>> {
    let facts: String = row.try_get("item_facts")?;
    let errors: String = row.try_get("item_errors")?;
    Ok(GroupItem {
        id: row.try_get("item_id")?,
        group_id: row.try_get("group_id")?,
        subject_row: opt_i64(row, "subject_row")?,
        subject_key: row.try_get("subject_key")?,
        facts: from_json("item facts", &facts)?,
        errors: from_json("item errors", &errors)?,
        created_at: row.try_get("item_created_at")?,
        task: task_from(row)?,
    })
}

/// The columns of an item (alias `i`) and its task (alias `t`), for [`item_from`].
pub(crate) fn item_select() -> String {
    let cols: Vec<String> = task_columns()
        .split(',')
        .map(|c| format!("t.{}", c.trim()))
        .collect();
    format!(
        "i.id AS item_id, i.group_id, i.subject_row, i.subject_key, i.facts AS item_facts, \
         i.errors AS item_errors, i.created_at AS item_created_at, {}",
        cols.join(", ")
    )
}

/// `$from, $from+1, ...` for `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", from + i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    s[..s.floor_char_boundary(max)].to_string()
}

async fn insert_group<G: Serialize, I>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    g: &NewScanGroup<G, I>,
    now: Millis,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO scan_groups (account_id, product, kind, origin, facts, timeout_secs, deadline_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account_id)
    .bind(&g.product)
    .bind(&g.kind)
    .bind(g.origin.as_str())
    .bind(to_json("group facts", &g.facts)?)
    .bind(g.timeout_secs)
    .bind(now.saturating_add(g.timeout_secs.saturating_mul(1000)))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

async fn insert_item<I: Serialize>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    group_id: i64,
    item: &NewGroupItem<I>,
    task_id: i64,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO scan_group_items (account_id, group_id, subject_row, subject_key, task_id, facts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(account_id)
    .bind(group_id)
    .bind(item.subject_row)
    .bind(&item.subject_key)
    .bind(task_id)
    .bind(to_json("item facts", &item.facts)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn enqueue_item<I: Serialize>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    group_id: i64,
    item: &NewGroupItem<I>,
    now: Millis,
) -> Result<i64> {
    let task = enqueue_on(
        &mut *conn,
        &NewTask {
            account_id,
            spec: item.spec.clone(),
            run_after: 0,
            schedule_id: None,
        },
        now,
    )
    .await?;
    insert_item(conn, account_id, group_id, item, task, now).await?;
    Ok(task)
}

/// What the table of a group's subjects records in the transaction that creates the group,
/// once every item has its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bookkeeping {
    /// Nothing: the subjects keep nothing of their scans.
    Nothing,
    /// Each image's latest task (`images.last_task_id`).
    ImageLastTasks,
}

impl Bookkeeping {
    async fn record<G, I>(
        self,
        conn: &mut sqlx::AnyConnection,
        account_id: i64,
        g: &NewScanGroup<G, I>,
        tasks: &[i64],
    ) -> Result<()> {
        match self {
            Bookkeeping::Nothing => Ok(()),
            Bookkeeping::ImageLastTasks => {
                crate::image_scans::set_last_tasks(conn, account_id, g, tasks).await
            }
        }
    }
}

/// Create a group on `conn` (inside the caller's transaction): the group row, one queued task
/// per item and the items. Returns the group id and each item's task, in item order.
async fn create_on<G: Serialize, I: Serialize>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    g: &NewScanGroup<G, I>,
    now: Millis,
) -> Result<(i64, Vec<i64>)> {
    let id = insert_group(conn, account_id, g, now).await?;
    let mut tasks = Vec::with_capacity(g.items.len());
    for item in &g.items {
        tasks.push(enqueue_item(conn, account_id, id, item, now).await?);
    }
    Ok((id, tasks))
}

/// [`Store::fan_out_scan_group`] on `conn` (inside the caller's transaction). `Ok(None)` when
/// the fired task was turned already.
async fn fan_out_on<G: Serialize, I: Serialize>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    fired_task: i64,
    fired_target: &Value,
    g: &NewScanGroup<G, I>,
    now: Millis,
) -> Result<Option<(i64, Vec<i64>)>> {
    let Some(first) = g.items.first() else {
        return Err(StoreError::Config("a scan group needs items".into()));
    };
    let res = sqlx::query(
        "UPDATE tasks SET target = $1, options = $2, updated_at = $3 \
         WHERE account_id = $4 AND id = $5 AND target = $6",
    )
    .bind(first.spec.target.to_string())
    .bind(first.spec.options.to_string())
    .bind(now)
    .bind(account_id)
    .bind(fired_task)
    .bind(fired_target.to_string())
    .execute(&mut *conn)
    .await?;
    if res.rows_affected() != 1 {
        return Ok(None);
    }
    let id = insert_group(conn, account_id, g, now).await?;
    insert_item(conn, account_id, id, first, fired_task, now).await?;
    let mut tasks = vec![fired_task];
    for item in &g.items[1..] {
        tasks.push(enqueue_item(conn, account_id, id, item, now).await?);
    }
    Ok(Some((id, tasks)))
}

impl Store {
    /// [`Store::create_scan_group`] with the subjects' `keep`ing in the same transaction.
    pub(crate) async fn create_group_with<G, I>(
        &self,
        account_id: i64,
        g: &NewScanGroup<G, I>,
        keep: Bookkeeping,
    ) -> Result<ScanGroup<G>>
    where
        G: Serialize + DeserializeOwned,
        I: Serialize,
    {
        let mut tx = self.pool.begin().await?;
        let (id, tasks) = create_on(&mut tx, account_id, g, self.now()).await?;
        keep.record(&mut tx, account_id, g, &tasks).await?;
        tx.commit().await?;
        self.scan_group(account_id, &g.product, id).await
    }

    /// [`Store::fan_out_scan_group`] with the subjects' `keep`ing in the same transaction.
    pub(crate) async fn fan_out_group_with<G, I>(
        &self,
        account_id: i64,
        fired: (i64, &Value),
        g: &NewScanGroup<G, I>,
        keep: Bookkeeping,
    ) -> Result<Option<ScanGroup<G>>>
    where
        G: Serialize + DeserializeOwned,
        I: Serialize,
    {
        let mut tx = self.pool.begin().await?;
        let Some((id, tasks)) =
            fan_out_on(&mut tx, account_id, fired.0, fired.1, g, self.now()).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        keep.record(&mut tx, account_id, g, &tasks).await?;
        tx.commit().await?;
        Ok(Some(self.scan_group(account_id, &g.product, id).await?))
    }

    /// Create a group: the group row, one queued task per item, and the items, in one
    /// transaction.
    pub async fn create_scan_group<G, I>(
        &self,
        account_id: i64,
        g: &NewScanGroup<G, I>,
    ) -> Result<ScanGroup<G>>
    where
        G: Serialize + DeserializeOwned,
        I: Serialize,
    {
        self.create_group_with(account_id, g, Bookkeeping::Nothing)
            .await
    }

    /// Turn a task a schedule fired into a group: the fired task becomes the task of the
    /// first item (its target and options are replaced, provided its target is still
    /// `fired_target`), the other items get new tasks. `Ok(None)` when the task was turned
    /// already (a retry of the same run): nothing changes. A group without items is refused.
    pub async fn fan_out_scan_group<G, I>(
        &self,
        account_id: i64,
        fired_task: i64,
        fired_target: &Value,
        g: &NewScanGroup<G, I>,
    ) -> Result<Option<ScanGroup<G>>>
    where
        G: Serialize + DeserializeOwned,
        I: Serialize,
    {
        self.fan_out_group_with(
            account_id,
            (fired_task, fired_target),
            g,
            Bookkeeping::Nothing,
        )
        .await
    }

    /// A group of an account and product; `NotFound` for another account's or product's.
    pub async fn scan_group<G: DeserializeOwned>(
        &self,
        account_id: i64,
        product: &str,
        id: i64,
    ) -> Result<ScanGroup<G>> {
        let row = sqlx::query(
            "SELECT * FROM scan_groups WHERE account_id = $1 AND product = $2 AND id = $3",
        )
        .bind(account_id)
        .bind(product)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        group_from(&row)
    }

    /// Groups of an account and product (of one kind, or all), newest first, at most `limit`.
    pub async fn scan_groups<G: DeserializeOwned>(
        &self,
        account_id: i64,
        product: &str,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ScanGroup<G>>> {
        let rows = sqlx::query(
            "SELECT * FROM scan_groups WHERE account_id = $1 AND product = $2 \
             AND ($3 = '' OR kind = $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(account_id)
        .bind(product)
        .bind(kind.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_from).collect()
    }

    /// Items of the account with their tasks where the item's `column` is `value`, in
    /// creation order.
    async fn items_where<I: DeserializeOwned>(
        &self,
        account_id: i64,
        column: &str,
        value: i64,
    ) -> Result<Vec<GroupItem<I>>> {
        let sql = format!(
            "SELECT {} FROM scan_group_items i JOIN tasks t ON t.id = i.task_id \
             WHERE i.account_id = $1 AND i.{column} = $2 ORDER BY i.id",
            item_select()
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(item_from).collect()
    }

    /// The items of a group with their tasks, in creation order (none for another account's).
    pub async fn group_items<I: DeserializeOwned>(
        &self,
        account_id: i64,
        group_id: i64,
    ) -> Result<Vec<GroupItem<I>>> {
        self.items_where(account_id, "group_id", group_id).await
    }

    /// The items of an account's groups of `product` with their tasks, newest first, at most
    /// `limit`.
    pub async fn product_items<I: DeserializeOwned>(
        &self,
        account_id: i64,
        product: &str,
        limit: i64,
    ) -> Result<Vec<GroupItem<I>>> {
        let sql = format!(
            "SELECT {} FROM scan_group_items i JOIN tasks t ON t.id = i.task_id \
             JOIN scan_groups g ON g.id = i.group_id \
             WHERE i.account_id = $1 AND g.product = $2 ORDER BY i.id DESC LIMIT $3",
            item_select()
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(product)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(item_from).collect()
    }

    /// Delete items of an account's groups of `product`: their unfinished tasks are asked to
    /// stop, the items are removed, and groups left without items are removed with them (the
    /// tasks and what they found stay, as for every task). Returns the ids deleted, in the
    /// order asked; ids of no such item are skipped.
    pub async fn delete_group_items(
        &self,
        account_id: i64,
        product: &str,
        ids: &[i64],
    ) -> Result<Vec<i64>> {
        let mut deleted = Vec::new();
        for &id in ids {
            let row = sqlx::query(
                "SELECT i.task_id, i.group_id FROM scan_group_items i \
                 JOIN scan_groups g ON g.id = i.group_id \
                 WHERE i.account_id = $1 AND g.product = $2 AND i.id = $3",
            )
            .bind(account_id)
            .bind(product)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { continue };
            let (task_id, group_id): (i64, i64) =
                (row.try_get("task_id")?, row.try_get("group_id")?);
            let task = self.task(account_id, task_id).await?;
            if !task.state.is_terminal() {
                self.request_stop(account_id, task_id).await?;
            }
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM scan_group_items WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM scan_groups WHERE account_id = $1 AND id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM scan_group_items WHERE group_id = $2)",
            )
            .bind(account_id)
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            deleted.push(id);
        }
        Ok(deleted)
    }

    /// The item whose task this is, if the task belongs to a group.
    pub async fn group_item_of_task<I: DeserializeOwned>(
        &self,
        account_id: i64,
        task_id: i64,
    ) -> Result<Option<GroupItem<I>>> {
        Ok(self
            .items_where(account_id, "task_id", task_id)
            .await?
            .into_iter()
            .next())
    }

    /// Stop a group as a whole: its unfinished tasks are asked to stop and the group records
    /// `reason` unless it has one already (the first reason stays). Returns how many tasks
    /// were asked.
    pub async fn stop_scan_group(
        &self,
        account_id: i64,
        group_id: i64,
        reason: StopReason,
    ) -> Result<u64> {
        let res = sqlx::query(
            "UPDATE scan_groups SET stop_reason = COALESCE(stop_reason, $1), stopped_at = COALESCE(stopped_at, $2) \
             WHERE account_id = $3 AND id = $4",
        )
        .bind(reason.as_str())
        .bind(self.now())
        .bind(account_id)
        .bind(group_id)
        .execute(&self.pool)
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let sql = format!(
            "SELECT i.task_id FROM scan_group_items i JOIN tasks t ON t.id = i.task_id \
             WHERE i.account_id = $1 AND i.group_id = $2 AND t.state IN {UNFINISHED}"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(group_id)
            .fetch_all(&self.pool)
            .await?;
        self.stop_item_tasks(account_id, &rows).await
    }

    /// Stop one item of a group (the group goes on): its task is asked to stop unless it
    /// has ended. Returns whether it was asked; `NotFound` for no such item of the account.
    pub async fn stop_group_item(&self, account_id: i64, item_id: i64) -> Result<bool> {
        let row =
            sqlx::query("SELECT task_id FROM scan_group_items WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(item_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        let task = self.task(account_id, row.try_get("task_id")?).await?;
        if task.state.is_terminal() {
            return Ok(false);
        }
        self.request_stop(account_id, task.id).await?;
        Ok(true)
    }

    /// Stop the unfinished items of these subjects in every group of a product. Returns how
    /// many tasks were asked.
    pub async fn stop_subject_items(
        &self,
        account_id: i64,
        product: &str,
        subjects: Subjects<'_>,
    ) -> Result<u64> {
        let (column, n) = match subjects {
            Subjects::Rows(rows) => ("subject_row", rows.len()),
            Subjects::Keys(keys) => ("subject_key", keys.len()),
        };
        let mut stopped = 0;
        for start in (0..n).step_by(IN_CHUNK) {
            let len = IN_CHUNK.min(n - start);
            let sql = format!(
                "SELECT i.task_id FROM scan_group_items i JOIN tasks t ON t.id = i.task_id \
                 JOIN scan_groups g ON g.id = i.group_id \
                 WHERE i.account_id = $1 AND g.product = $2 AND t.state IN {UNFINISHED} \
                 AND i.{column} IN ({})",
                placeholders(3, len)
            );
            let mut q = sqlx::query(&sql).bind(account_id).bind(product);
            match subjects {
                Subjects::Rows(rows) => {
                    for r in &rows[start..start + len] {
                        q = q.bind(*r);
                    }
                }
                Subjects::Keys(keys) => {
                    for k in &keys[start..start + len] {
                        q = q.bind(k.as_str());
                    }
                }
            }
            let rows = q.fetch_all(&self.pool).await?;
            stopped += self.stop_item_tasks(account_id, &rows).await?;
        }
        Ok(stopped)
    }

    async fn stop_item_tasks(&self, account_id: i64, rows: &[AnyRow]) -> Result<u64> {
        let mut n = 0;
        for r in rows {
            self.request_stop(account_id, r.try_get("task_id")?).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Stop the groups of an account and product whose time ran out (deadline before `now`,
    /// tasks still unfinished) with [`StopReason::Timeout`]. Returns their ids.
    pub async fn expire_scan_groups(
        &self,
        account_id: i64,
        product: &str,
        now: Millis,
    ) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT DISTINCT g.id FROM scan_groups g JOIN scan_group_items i ON i.group_id = g.id \
             JOIN tasks t ON t.id = i.task_id WHERE g.account_id = $1 AND g.product = $2 \
             AND g.stop_reason IS NULL AND g.deadline_at < $3 AND t.state IN {UNFINISHED}"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(product)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            self.stop_scan_group(account_id, id, StopReason::Timeout)
                .await?;
            out.push(id);
        }
        Ok(out)
    }

    /// Record errors per part (TCSS: per scanner) of the item whose task this is, e.g. a
    /// scanner that failed while the others succeeded; merged with earlier ones. `NotFound`
    /// when the task belongs to no group of the account.
    pub async fn record_group_item_errors(
        &self,
        account_id: i64,
        task_id: i64,
        errors: &BTreeMap<String, String>,
    ) -> Result<()> {
        let item = self
            .group_item_of_task::<Value>(account_id, task_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut merged = item.errors;
        for (k, v) in errors {
            merged.insert(k.chars().take(MAX_PART).collect(), clip(v, MAX_ERROR));
        }
        sqlx::query(
            "UPDATE scan_group_items SET errors = $1 WHERE account_id = $2 AND task_id = $3",
        )
        .bind(to_json("item errors", &merged)?)
        .bind(account_id)
        .bind(task_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
