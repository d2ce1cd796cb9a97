//! TCSS's image scans as scan groups (`groups.rs`): groups of product
//! [`IMAGE_SCAN_PRODUCT`] whose items' subjects are rows of `images` (the subject key is the
//! image id scanned). Creating one also records each image's latest task
//! (`images.last_task_id`) in the same transaction; deleting images or a registry stops the
//! unfinished scans of those images.
//!
//! Image results are not copied anywhere: the findings and components a task recorded stay
//! where the worker put them (`findings` with their sightings, `components`), and an image
//! shows those of its latest successful task ([`Store::image_scan_state`]).
//! [`Store::scan_summaries`] counts them in the database for many tasks at once.

use crate::groups::{
    item_from, item_select, placeholders, Bookkeeping, GroupItem, NewScanGroup, ScanGroup, Subjects,
};
use crate::{Result, Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;

/// The product whose scan groups scan images: TCSS.
pub const IMAGE_SCAN_PRODUCT: &str = "tcss";
/// Task ids per `IN (...)` list.
const IN_CHUNK: usize = 500;

/// For each image, its latest scan items: the latest of all, the latest finished (succeeded
/// or failed), the latest succeeded. Only items of the image's current id count. `I` is the
/// product's item facts.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageScanState<I> {
    /// Latest item by image row.
    pub latest: HashMap<i64, GroupItem<I>>,
    /// Latest succeeded or failed item by image row.
    pub latest_done: HashMap<i64, GroupItem<I>>,
    /// Latest succeeded item by image row.
    pub latest_ok: HashMap<i64, GroupItem<I>>,
}

impl<I> Default for ImageScanState<I> {
    fn default() -> Self {
        ImageScanState {
            latest: HashMap::new(),
            latest_done: HashMap::new(),
            latest_ok: HashMap::new(),
        }
    }
}

/// Counts of what one task found, suppressed findings (ignored, false positive) left out.
/// Severity arrays are indexed info, low, medium, high, critical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// `image-vuln` findings by severity.
    pub vuln: [i64; 5],
    /// `image-virus` findings by severity.
    pub virus: [i64; 5],
    /// `image-risk` findings by severity.
    pub risk: [i64; 5],
    /// `image-vuln` findings with a fixed version, by severity.
    pub vuln_fixable: [i64; 5],
    /// `image-risk` findings of type `secret` or `sensitive-file`.
    pub sensitive: i64,
    /// Components other than the `os` entry.
    pub components: i64,
    /// The `os` component: (distribution id, version).
    pub os: Option<(String, String)>,
}

impl ScanSummary {
    /// Whether the task found anything (vulnerabilities, viruses or risks).
    pub fn has_risk(&self) -> bool {
        self.vuln
            .iter()
            .chain(&self.virus)
            .chain(&self.risk)
            .sum::<i64>()
            > 0
    }
}

fn severity_index(s: &str) -> usize {
    match s {
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        _ => 0,
    }
}

fn image_group<G, I>(g: &NewScanGroup<G, I>) -> Result<()> {
    if g.product != IMAGE_SCAN_PRODUCT {
        return Err(StoreError::Config(format!(
            "an image scan is a scan group of `{IMAGE_SCAN_PRODUCT}`, not of `{}`",
            g.product
        )));
    }
    Ok(())
}

/// Each image's latest task: the task of its newest item (`tasks` in item order).
pub(crate) async fn set_last_tasks<G, I>(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    g: &NewScanGroup<G, I>,
    tasks: &[i64],
) -> Result<()> {
    for (item, task) in g.items.iter().zip(tasks) {
        let Some(row) = item.subject_row else {
            continue;
        };
        sqlx::query("UPDATE images SET last_task_id = $1 WHERE account_id = $2 AND id = $3")
            .bind(*task)
            .bind(account_id)
            .bind(row)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Create an image scan: [`Store::create_scan_group`] for a group of
    /// [`IMAGE_SCAN_PRODUCT`] whose subject rows are images, and each image's latest task, in
    /// one transaction.
    pub async fn create_image_scan<G, I>(
        &self,
        account_id: i64,
        g: &NewScanGroup<G, I>,
    ) -> Result<ScanGroup<G>>
    where
        G: Serialize + DeserializeOwned,
        I: Serialize,
    {
        image_group(g)?;
        self.create_group_with(account_id, g, Bookkeeping::ImageLastTasks)
            .await
    }

    /// Turn a task a schedule fired into an image scan: [`Store::fan_out_scan_group`] and
    /// each image's latest task, in one transaction. `Ok(None)` when the task was turned
    /// already (a retry of the same run): nothing changes.
    pub async fn fan_out_image_scan<G, I>(
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
        image_group(g)?;
        let fired = (fired_task, fired_target);
        self.fan_out_group_with(account_id, fired, g, Bookkeeping::ImageLastTasks)
            .await
    }

    /// Ask the unfinished scan tasks of these images to stop; returns how many were asked.
    pub async fn stop_image_tasks(&self, account_id: i64, image_rows: &[i64]) -> Result<u64> {
        self.stop_subject_items(account_id, IMAGE_SCAN_PRODUCT, Subjects::Rows(image_rows))
            .await
    }

    /// The latest scan items of every image of an account (see [`ImageScanState`]).
    pub async fn image_scan_state<I: DeserializeOwned>(
        &self,
        account_id: i64,
    ) -> Result<ImageScanState<I>> {
        let latest = |filter: &str| {
            format!(
                "SELECT x.* FROM (SELECT {}, ROW_NUMBER() OVER (PARTITION BY i.subject_row ORDER BY i.task_id DESC) AS rn \
                 FROM scan_group_items i JOIN scan_groups g ON g.id = i.group_id JOIN tasks t ON t.id = i.task_id \
                 JOIN images im ON im.id = i.subject_row AND im.image_id = i.subject_key \
                 WHERE i.account_id = $1 AND g.product = $2 {filter}) x WHERE x.rn = 1",
                item_select()
            )
        };
        let mut out = ImageScanState::default();
        for (filter, map) in [
            ("", &mut out.latest),
            (
                "AND t.state IN ('succeeded', 'failed')",
                &mut out.latest_done,
            ),
            ("AND t.state = 'succeeded'", &mut out.latest_ok),
        ] {
            let rows = sqlx::query(&latest(filter))
                .bind(account_id)
                .bind(IMAGE_SCAN_PRODUCT)
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                let item: GroupItem<I> = item_from(r)?;
                if let Some(row) = item.subject_row {
                    map.insert(row, item);
                }
            }
        }
        Ok(out)
    }

    /// What each of these tasks of an account found, counted in the database (see
    /// [`ScanSummary`]), by the findings' `fixable` and `sensitive` columns.
    pub async fn scan_summaries(
        &self,
        account_id: i64,
        task_ids: &[i64],
    ) -> Result<HashMap<i64, ScanSummary>> {
        let mut out: HashMap<i64, ScanSummary> = task_ids
            .iter()
            .map(|t| (*t, ScanSummary::default()))
            .collect();
        for chunk in task_ids.chunks(IN_CHUNK) {
            let list = placeholders(2, chunk.len());
            let sql = format!(
                "SELECT s.task_id, f.kind, f.severity, \
                 f.fixable, f.sensitive, \
                 CAST(COUNT(*) AS BIGINT) AS n \
                 FROM finding_sightings s JOIN findings f ON f.id = s.finding_id \
                 WHERE f.account_id = $1 AND f.status NOT IN ('ignored', 'false_positive') AND s.task_id IN ({list}) \
                 GROUP BY 1, 2, 3, 4, 5"
            );
            let mut q = sqlx::query(&sql).bind(account_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let task: i64 = r.try_get("task_id")?;
                let kind: String = r.try_get("kind")?;
                let sev = severity_index(&r.try_get::<String, _>("severity")?);
                let n: i64 = r.try_get("n")?;
                let e = out.entry(task).or_default();
                match kind.as_str() {
                    "image-vuln" => {
                        e.vuln[sev] += n;
                        if r.try_get::<i64, _>("fixable")? != 0 {
                            e.vuln_fixable[sev] += n;
                        }
                    }
                    "image-virus" => e.virus[sev] += n,
                    "image-risk" => {
                        e.risk[sev] += n;
                        if r.try_get::<i64, _>("sensitive")? != 0 {
                            e.sensitive += n;
                        }
                    }
                    _ => {}
                }
            }
            let sql = format!(
                "SELECT task_id, CAST(COUNT(*) AS BIGINT) AS n FROM components \
                 WHERE account_id = $1 AND kind <> 'os' AND task_id IN ({list}) GROUP BY task_id"
            );
            let mut q = sqlx::query(&sql).bind(account_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let task: i64 = r.try_get("task_id")?;
                out.entry(task).or_default().components = r.try_get("n")?;
            }
            let sql = format!(
                "SELECT task_id, name, version FROM components \
                 WHERE account_id = $1 AND kind = 'os' AND task_id IN ({list}) ORDER BY id"
            );
            let mut q = sqlx::query(&sql).bind(account_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let task: i64 = r.try_get("task_id")?;
                let e = out.entry(task).or_default();
                if e.os.is_none() {
                    e.os = Some((r.try_get("name")?, r.try_get("version")?));
                }
            }
        }
        Ok(out)
    }
}
