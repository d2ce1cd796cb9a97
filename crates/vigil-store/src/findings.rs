//! Findings with dedup across runs: one row per (account, fingerprint) carrying first and last
//! seen, the task that saw it last, and a triage status. A finding seen again reopens if it had
//! been fixed; findings of a scope not seen by a completed run become fixed. Suppressed
//! statuses (ignored, false positive) survive rescans.

use crate::{Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use vigil_core::{Component, Finding, FindingStatus, Millis};

/// A finding as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// Row id.
    pub id: i64,
    /// Owning account.
    pub account_id: i64,
    /// Task that saw it last.
    pub task_id: i64,
    /// Group of targets the finding belongs to (for fixed detection).
    pub scope_key: String,
    /// Dedup fingerprint.
    pub fingerprint: String,
    /// The finding itself.
    pub finding: Finding,
    /// Triage status.
    pub status: FindingStatus,
    /// First time seen.
    pub first_seen: Millis,
    /// Last time seen.
    pub last_seen: Millis,
}

fn finding_from(row: &AnyRow) -> Result<StoredFinding> {
    let data: String = row.try_get("data")?;
    let status: String = row.try_get("status")?;
    Ok(StoredFinding {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        task_id: row.try_get("task_id")?,
        scope_key: row.try_get("scope_key")?,
        fingerprint: row.try_get("fingerprint")?,
        finding: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("finding data: {e}")))?,
        status: FindingStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("finding status `{status}`")))?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
    })
}

impl Store {
    /// Store a finding seen by a task, deduplicating by fingerprint. Returns the row id.
    pub async fn record_finding(
        &self,
        account_id: i64,
        task_id: i64,
        scope_key: &str,
        f: &Finding,
    ) -> Result<i64> {
        let now = self.now();
        let data = serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO findings (account_id, task_id, scope_key, fingerprint, kind, severity, title, data, status, first_seen, last_seen, fixable, sensitive) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $9, $10, $11) \
             ON CONFLICT (account_id, fingerprint) DO UPDATE SET task_id = excluded.task_id, scope_key = excluded.scope_key, \
             severity = excluded.severity, title = excluded.title, data = excluded.data, last_seen = excluded.last_seen, \
             fixable = excluded.fixable, sensitive = excluded.sensitive, \
             status = CASE WHEN findings.status = 'fixed' THEN 'open' ELSE findings.status END \
             RETURNING id",
        )
        .bind(account_id)
        .bind(task_id)
        .bind(scope_key)
        .bind(f.fingerprint())
        .bind(&f.kind)
        .bind(f.severity.unwrap_or(vigil_core::Severity::Info).as_str())
        .bind(&f.title)
        .bind(data)
        .bind(now)
        .bind(i64::from(f.fixable))
        .bind(i64::from(f.sensitive))
        .fetch_one(&self.pool)
        .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO finding_sightings (task_id, finding_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(task_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Open findings of a scope not seen since `since` (a run's start), limited to `kinds`
    /// unless empty: the candidates a successful run may call fixed.
    pub async fn unseen_open_findings(
        &self,
        account_id: i64,
        scope_key: &str,
        since: Millis,
        kinds: &[String],
    ) -> Result<Vec<StoredFinding>> {
        let rows = sqlx::query(
            "SELECT * FROM findings WHERE account_id = $1 AND scope_key = $2 AND status = 'open' AND last_seen < $3 ORDER BY id",
        )
        .bind(account_id)
        .bind(scope_key)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(finding_from)
            .filter(|f| {
                f.as_ref().map_or(true, |f| {
                    kinds.is_empty() || kinds.contains(&f.finding.kind)
                })
            })
            .collect()
    }

    /// Mark findings fixed, except those triaged meanwhile or seen since `since` (by a run
    /// that overlapped this one); returns how many changed.
    pub async fn mark_fixed_unless_seen(
        &self,
        account_id: i64,
        ids: &[i64],
        since: Millis,
    ) -> Result<u64> {
        let mut n = 0;
        for id in ids {
            let res = sqlx::query(
                "UPDATE findings SET status = 'fixed' WHERE account_id = $1 AND id = $2 AND status = 'open' AND last_seen < $3",
            )
            .bind(account_id)
            .bind(*id)
            .bind(since)
            .execute(&self.pool)
            .await?;
            n += res.rows_affected();
        }
        Ok(n)
    }

    /// Change the triage status of findings of an account; returns how many changed.
    pub async fn set_finding_status(
        &self,
        account_id: i64,
        ids: &[i64],
        status: FindingStatus,
    ) -> Result<u64> {
        let mut n = 0;
        for id in ids {
            let res =
                sqlx::query("UPDATE findings SET status = $1 WHERE account_id = $2 AND id = $3")
                    .bind(status.as_str())
                    .bind(account_id)
                    .bind(*id)
                    .execute(&self.pool)
                    .await?;
            n += res.rows_affected();
        }
        Ok(n)
    }

    /// Findings of an account last seen by a task.
    pub async fn findings_of_task(
        &self,
        account_id: i64,
        task_id: i64,
    ) -> Result<Vec<StoredFinding>> {
        let rows = sqlx::query(
            "SELECT * FROM findings WHERE account_id = $1 AND task_id = $2 ORDER BY id",
        )
        .bind(account_id)
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_from).collect()
    }

    /// Findings of an account seen by a task (each run keeps its own list, even after later
    /// runs saw the same findings again).
    pub async fn findings_seen_by(
        &self,
        account_id: i64,
        task_id: i64,
    ) -> Result<Vec<StoredFinding>> {
        let rows = sqlx::query(
            "SELECT f.* FROM findings f JOIN finding_sightings s ON s.finding_id = f.id \
             WHERE f.account_id = $1 AND s.task_id = $2 ORDER BY f.id",
        )
        .bind(account_id)
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_from).collect()
    }

    /// How many findings each of these tasks saw.
    pub async fn sighting_counts(&self, task_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::with_capacity(task_ids.len());
        for id in task_ids {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM finding_sightings WHERE task_id = $1")
                .bind(*id)
                .fetch_one(&self.pool)
                .await?;
            out.push((*id, row.try_get::<i64, _>("n")?));
        }
        Ok(out)
    }

    /// Findings of an account of some kinds, oldest first.
    pub async fn findings_of_kinds(
        &self,
        account_id: i64,
        kinds: &[&str],
    ) -> Result<Vec<StoredFinding>> {
        let mut out = Vec::new();
        for kind in kinds {
            let rows = sqlx::query(
                "SELECT * FROM findings WHERE account_id = $1 AND kind = $2 ORDER BY id",
            )
            .bind(account_id)
            .bind(*kind)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(finding_from(r)?);
            }
        }
        out.sort_by_key(|f| f.id);
        Ok(out)
    }

    /// Findings of an account by row id (ids of other accounts are left out).
    pub async fn findings_by_ids(
        &self,
        account_id: i64,
        ids: &[i64],
    ) -> Result<Vec<StoredFinding>> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = sqlx::query("SELECT * FROM findings WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(*id)
                .fetch_optional(&self.pool)
                .await?
            {
                out.push(finding_from(&r)?);
            }
        }
        Ok(out)
    }

    /// Findings of an account in a scope.
    pub async fn findings_in_scope(
        &self,
        account_id: i64,
        scope_key: &str,
    ) -> Result<Vec<StoredFinding>> {
        let rows = sqlx::query(
            "SELECT * FROM findings WHERE account_id = $1 AND scope_key = $2 ORDER BY id",
        )
        .bind(account_id)
        .bind(scope_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_from).collect()
    }
}

impl Store {
    /// Store an inventory item a task found; the same item reported twice by one task (say,
    /// by a re-run after a lost lease) is kept once.
    pub async fn record_component(
        &self,
        account_id: i64,
        task_id: i64,
        c: &Component,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO components (account_id, task_id, name, version, kind, purl, path, seen_at, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (task_id, kind, name, version, path) DO UPDATE SET purl = excluded.purl, seen_at = excluded.seen_at, detail = excluded.detail",
        )
        .bind(account_id)
        .bind(task_id)
        .bind(&c.name)
        .bind(c.version.clone().unwrap_or_default())
        .bind(&c.kind)
        .bind(c.purl.clone().unwrap_or_default())
        .bind(c.path.clone().unwrap_or_default())
        .bind(self.now())
        .bind(match &c.detail {
            Some(d) => serde_json::to_string(d).map_err(|e| StoreError::Corrupt(format!("component detail: {e}")))?,
            None => String::new(),
        })
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Inventory a task of an account found.
    pub async fn components_of_task(
        &self,
        account_id: i64,
        task_id: i64,
    ) -> Result<Vec<Component>> {
        let rows = sqlx::query(
            "SELECT name, version, kind, purl, path, detail FROM components WHERE account_id = $1 AND task_id = $2 ORDER BY id",
        )
        .bind(account_id)
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        let opt = |s: String| (!s.is_empty()).then_some(s);
        rows.iter()
            .map(|r| {
                Ok(Component {
                    name: r.try_get("name")?,
                    version: opt(r.try_get("version")?),
                    kind: r.try_get("kind")?,
                    purl: opt(r.try_get("purl")?),
                    path: opt(r.try_get("path")?),
                    detail: opt(r.try_get("detail")?)
                        .map(|d| serde_json::from_str(&d))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(format!("component detail: {e}")))?,
                })
            })
            .collect()
    }
}
