//! CWS monitors: periodic scans of a set of sites every `Crontab` hours from
//! `FirstScanStartTime`, through the scheduler. A monitor is a saved scan (job) whose
//! schedule fires one web run over all its sites; each run is derived again when it fires
//! (sites as they are now, verification checked again, daily quota). Pausing a monitor
//! (`MonitorStatus` 2) removes its schedule; resuming restores it.

use super::parse_site_url;
use super::scans::{check_scannable, scan_task, site_target, NAME};
use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::products::time_str;
use crate::{ApiConfig, RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use vigil_core::{Schedule, TaskSpec, TaskState, Trigger};
use vigil_store::{Job, JobPlan, Site, StoreError, TaskRecord};

/// Most monitors per account.
const MONITOR_QUOTA: usize = 100;

/// The monitor actions.
pub static ACTIONS: [Action; 4] = [
    action!("CreateMonitors", create, "Scan sites periodically."),
    action!(
        "DescribeMonitors",
        describe,
        "Monitors with their sites and vulnerability counts."
    ),
    action!("ModifyMonitorAttribute", modify, "Change a monitor."),
    action!(
        "DeleteMonitors",
        delete,
        "Delete monitors (their results stay)."
    ),
];

/// A monitor as created, and as changed by `ModifyMonitorAttribute`.
#[derive(Deserialize, Params, Clone)]
#[serde(rename_all = "PascalCase")]
struct MonitorReq {
    /// Site URLs (registered sites).
    #[param(max_items = 50)]
    urls: Vec<String>,
    /// Monitor name.
    #[param(max_len = 128)]
    name: String,
    /// normal or deep.
    #[param(one_of = ["normal", "deep"])]
    scanner_type: String,
    /// Scan every this many hours.
    #[param(range(1, 8760))]
    crontab: i64,
    /// Requests per second, 1 to 1000.
    #[param(range(1, 1000))]
    rate_limit: i64,
    /// First scan, YYYY-MM-DD HH:MM:SS.
    #[param(max_len = 19)]
    first_scan_start_time: String,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ModifyReq {
    /// Monitor.
    monitor_id: i64,
    #[serde(flatten)]
    monitor: MonitorReq,
    /// 1 monitoring, 2 paused.
    #[param(one_of = [1, 2])]
    monitor_status: i64,
}

/// Monitor jobs of the account (jobs of CWS with a `Monitor` definition).
async fn monitors(st: &Services, account_id: i64) -> ApiResult<Vec<Job>> {
    Ok(st
        .store
        .list_jobs(account_id, NAME)
        .await?
        .into_iter()
        .filter(|j| j.definition.get("Monitor").is_some())
        .collect())
}

fn sites_of(job: &Job) -> Vec<i64> {
    job.definition
        .get("SiteIds")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

fn status_of(job: &Job) -> i64 {
    job.definition
        .get("MonitorStatus")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// The sites of a monitor.
pub(crate) async fn monitor_sites(st: &Services, account_id: i64, id: i64) -> ApiResult<Vec<i64>> {
    let job = st
        .store
        .job(account_id, NAME, id)
        .await
        .ok()
        .filter(|j| j.definition.get("Monitor").is_some())
        .ok_or_else(|| ApiError::not_found(format!("Monitor {id} does not exist.")))?;
    Ok(sites_of(&job))
}

/// For each site in a monitor: the monitor and its status.
pub(crate) async fn site_monitors(
    st: &Services,
    account_id: i64,
) -> ApiResult<HashMap<i64, (i64, i64)>> {
    let mut out = HashMap::new();
    for j in monitors(st, account_id).await? {
        for s in sites_of(&j) {
            out.insert(s, (j.id, status_of(&j)));
        }
    }
    Ok(out)
}

/// Sites named by URL, each registered by the account.
async fn sites_by_url(st: &Services, account_id: i64, urls: &[String]) -> ApiResult<Vec<Site>> {
    if urls.is_empty() {
        return Err(ApiError::invalid_value(
            "`Urls` must name at least one site.",
        ));
    }
    let all = super::all_sites(st, account_id).await?;
    let mut out: Vec<Site> = Vec::new();
    for u in urls {
        let norm = parse_site_url(u)?.url.to_string();
        let site = all.iter().find(|s| s.url == norm).ok_or_else(|| {
            ApiError::new(
                super::PARAMETER_NOT_FOUND,
                format!("`{u}` is not a registered site; add it with CreateSites first."),
            )
        })?;
        if out.iter().any(|s| s.id == site.id) {
            return Err(ApiError::new(
                Code::Duplicate,
                format!("`{u}` is given twice."),
            ));
        }
        out.push(site.clone());
    }
    Ok(out)
}

/// The schedule: every `crontab` hours from the first scan time (read in the plan time zone).
fn schedule(cfg: &ApiConfig, crontab: i64, first: &str) -> ApiResult<(Schedule, Option<i64>)> {
    let every = crontab * 3600;
    if (every as u64) < cfg.min_plan_interval.as_secs() {
        return Err(ApiError::invalid_value(format!(
            "`Crontab` {crontab} h is more often than the shortest interval allowed ({} s).",
            cfg.min_plan_interval.as_secs()
        )));
    }
    let naive =
        chrono::NaiveDateTime::parse_from_str(first.trim(), "%Y-%m-%d %H:%M:%S").map_err(|_| {
            ApiError::invalid_value(format!(
                "`FirstScanStartTime` `{first}` must look like 2026-01-31 23:00:00."
            ))
        })?;
    let tz: chrono_tz::Tz = cfg
        .plan_time_zone
        .parse()
        .map_err(|_| ApiError::internal(&format!("plan time zone `{}`", cfg.plan_time_zone)))?;
    use chrono::TimeZone;
    let anchor = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| {
            ApiError::invalid_value(format!(
                "`FirstScanStartTime` `{first}` does not exist in {tz}."
            ))
        })?
        .with_timezone(&chrono::Utc);
    let s = Schedule {
        time_zone: cfg.plan_time_zone.clone(),
        ..Schedule::new(Trigger::Interval {
            every_secs: every,
            anchor,
        })
    };
    s.validate()
        .map_err(|e| ApiError::invalid_value(e.to_string()))?;
    let next = s
        .next_fire(chrono::Utc::now())
        .map_err(|e| ApiError::invalid_value(e.to_string()))?
        .map(|t| t.timestamp_millis());
    Ok((s, next))
}

/// The saved scan of a monitor request (schedule only while monitoring).
async fn plan(
    st: &Services,
    account_id: i64,
    r: &MonitorReq,
    this: Option<i64>,
    status: i64,
) -> ApiResult<JobPlan> {
    let sites = sites_by_url(st, account_id, &r.urls).await?;
    let taken = site_monitors(st, account_id).await?;
    for s in &sites {
        if let Some((m, _)) = taken.get(&s.id).filter(|(m, _)| Some(*m) != this) {
            return Err(ApiError::invalid_value(format!(
                "Site {} is already in monitor {m}.",
                s.url
            )));
        }
    }
    let mut public = Vec::new();
    for s in &sites {
        public.extend(check_scannable(st, account_id, s).await?);
    }
    let sched = schedule(&st.config, r.crontab, &r.first_scan_start_time)?;
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    Ok(JobPlan {
        name: r.name.clone(),
        definition: json!({
            "Monitor": true, "Name": r.name, "Urls": sites.iter().map(|s| s.url.clone()).collect::<Vec<_>>(),
            "SiteIds": ids, "ScannerType": r.scanner_type, "Crontab": r.crontab, "RateLimit": r.rate_limit,
            "FirstScanStartTime": r.first_scan_start_time, "MonitorStatus": status,
        }),
        spec: scan_task(
            sites
                .iter()
                .map(|s| site_target(st.store.secrets(), s))
                .collect::<Result<Vec<_>, _>>()?,
            &r.scanner_type,
            r.rate_limit,
            public,
            json!({"site_ids": ids}),
        )?,
        schedule: (status == 1).then_some(sched),
        run_now: false,
    })
}

async fn create(st: &Services, rc: &RequestCtx, r: MonitorReq) -> ApiResult {
    if monitors(st, rc.account.id).await?.len() >= MONITOR_QUOTA {
        return Err(ApiError::new(
            super::MONITOR_QUOTA,
            format!("An account may have at most {MONITOR_QUOTA} monitors."),
        ));
    }
    let plan = plan(st, rc.account.id, &r, None, 1).await?;
    let (id, _) = st.store.create_job(rc.account.id, NAME, &plan).await?;
    crate::products::audit(st, rc, "cws.CreateMonitors", &id.to_string()).await?;
    Ok(json!({}))
}

async fn modify(st: &Services, rc: &RequestCtx, r: ModifyReq) -> ApiResult {
    let id = r.monitor_id;
    monitor_sites(st, rc.account.id, id).await?;
    let plan = plan(st, rc.account.id, &r.monitor, Some(id), r.monitor_status).await?;
    st.store
        .update_job(rc.account.id, NAME, id, &plan)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found(format!("Monitor {id} does not exist.")),
            other => other.into(),
        })?;
    crate::products::audit(st, rc, "cws.ModifyMonitorAttribute", &id.to_string()).await?;
    Ok(json!({}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct IdsReq {
    /// Monitors to delete.
    #[param(max_items = 100)]
    monitor_ids: Vec<i64>,
}

async fn delete(st: &Services, rc: &RequestCtx, r: IdsReq) -> ApiResult {
    if r.monitor_ids.is_empty() {
        return Err(ApiError::invalid_value(
            "`MonitorIds` must name at least one monitor.",
        ));
    }
    for id in &r.monitor_ids {
        monitor_sites(st, rc.account.id, *id).await?;
    }
    st.store
        .delete_jobs(rc.account.id, NAME, &r.monitor_ids)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::not_found("One or more of the monitors do not exist.")
            }
            other => other.into(),
        })?;
    crate::products::audit(
        st,
        rc,
        "cws.DeleteMonitors",
        &crate::products::id_list(&r.monitor_ids),
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct FilterReq {
    /// Name or MonitorStatus.
    #[param(one_of = ["Name", "MonitorStatus"])]
    name: String,
    /// Values; any may match.
    #[param(max_items = 50)]
    values: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct DescribeReq {
    /// Only these monitors.
    #[param(max_items = 100)]
    monitor_ids: Option<Vec<i64>>,
    /// Filters.
    #[serde(default)]
    #[param(max_items = 10)]
    filters: Vec<FilterReq>,
    /// Offset.
    #[param(range(0, i64::MAX))]
    offset: Option<i64>,
    /// Page size, at most 100.
    #[param(range(1, 100))]
    limit: Option<i64>,
}

fn basic(rc: &RequestCtx, j: &Job, last: Option<&TaskRecord>) -> Value {
    let d = &j.definition;
    let finished = last
        .filter(|t| t.state == TaskState::Succeeded)
        .and_then(|t| t.finished_at)
        .map(time_str)
        .unwrap_or_default();
    json!({
        "Id": j.id, "Name": j.name, "MonitorStatus": status_of(j),
        "ScanStatus": match last.map(|t| t.state) {
            None => 0,
            Some(TaskState::Queued | TaskState::Running | TaskState::Paused) => 1,
            Some(_) => 2,
        },
        "ScannerType": d.get("ScannerType").and_then(Value::as_str).unwrap_or("normal"),
        "Crontab": d.get("Crontab").and_then(Value::as_i64).unwrap_or(0),
        "IncludedVulsTypes": "100",
        "RateLimit": d.get("RateLimit").and_then(Value::as_i64).unwrap_or(0),
        "FirstScanStartTime": d.get("FirstScanStartTime").and_then(Value::as_str).unwrap_or(""),
        "LastScanFinishTime": finished,
        "CurrentScanStartTime": last.and_then(|t| t.started_at).map(time_str).unwrap_or_default(),
        "CreatedAt": time_str(j.created_at), "UpdatedAt": time_str(j.updated_at),
        "Appid": rc.account.app_id, "ContentScanStatus": 0,
    })
}

async fn describe(st: &Services, rc: &RequestCtx, r: DescribeReq) -> ApiResult {
    let mut jobs = monitors(st, rc.account.id).await?;
    if let Some(ids) = &r.monitor_ids {
        jobs.retain(|j| ids.contains(&j.id));
    }
    for f in &r.filters {
        match f.name.as_str() {
            "Name" => jobs.retain(|j| f.values.iter().any(|v| j.name.contains(v.as_str()))),
            _ => jobs.retain(|j| f.values.contains(&status_of(j).to_string())),
        }
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
    let total = jobs.len();
    let offset = r.offset.unwrap_or(0).max(0) as usize;
    let limit = r.limit.unwrap_or(10).clamp(1, 100) as usize;
    let sites = super::all_sites(st, rc.account.id).await?;
    let numbers = super::scans::vul_counts_by_site(st, rc.account.id).await?;
    let mut out = Vec::new();
    for j in jobs.iter().skip(offset).take(limit) {
        let ids = sites_of(j);
        let mine: Vec<&Site> = sites.iter().filter(|s| ids.contains(&s.id)).collect();
        let runs = st.store.job_runs(rc.account.id, j.id).await?;
        let last = runs.iter().max_by_key(|t| t.id);
        let mut levels = [0i64; 4];
        let mut impacted = Vec::new();
        for s in &mine {
            if let Some(n) = numbers.get(&s.id) {
                for (a, b) in levels.iter_mut().zip(n) {
                    *a += b;
                }
                if n[0] + n[1] + n[2] > 0 {
                    impacted.push(json!({"SiteId": s.id, "Url": s.url}));
                }
            }
        }
        let pages = match last {
            Some(t) => super::scans::page_count(st, rc.account.id, t.id, None).await?,
            None => 0,
        };
        let progress = match last {
            Some(t) if !t.state.is_terminal() => t.progress,
            Some(_) => 100,
            None => 0,
        };
        out.push(json!({
            "Basic": basic(rc, j, last),
            "Sites": mine.iter().map(|s| json!({"SiteId": s.id, "Url": s.url})).collect::<Vec<_>>(),
            "SiteNumber": mine.len(), "ImpactSites": impacted.clone(), "ImpactSiteNumber": impacted.len(),
            "VulsHighNumber": levels[0], "VulsMiddleNumber": levels[1], "VulsLowNumber": levels[2],
            "VulsNoticeNumber": levels[3], "Progress": progress, "PageCount": pages, "ContentNumber": 0,
        }));
    }
    Ok(json!({"Monitors": out, "TotalCount": total}))
}

/// Re-derives each scheduled run of a monitor from its sites as they are now: every site
/// must still be registered and verified (and, unless the operator's scope names it, not
/// lead to an internal address), and the daily quota must allow one more scan.
pub struct CwsPreflight {
    state: std::sync::Arc<Services>,
}

impl CwsPreflight {
    /// The check, reading sites and proofs through `state`.
    pub fn new(state: std::sync::Arc<Services>) -> Self {
        CwsPreflight { state }
    }
}

#[async_trait::async_trait]
impl vigil_worker::Preflight for CwsPreflight {
    async fn prepare(&self, task: &TaskRecord) -> Result<Option<vigil_worker::Prepared>, String> {
        let Some(job_id) = task.job_id else {
            return Ok(None);
        };
        let st = &self.state;
        let refused = |why: String| format!("scheduled run refused: {why}");
        let job = st
            .store
            .job_any(task.account_id, job_id)
            .await
            .map_err(|e| refused(format!("monitor {job_id} cannot be read: {e}")))?;
        let mut targets = Vec::new();
        let mut public = Vec::new();
        for id in sites_of(&job) {
            let site =
                st.store.get_site(task.account_id, id).await.map_err(|_| {
                    refused(format!("site {id} of monitor {job_id} no longer exists"))
                })?;
            public.extend(
                check_scannable(st, task.account_id, &site)
                    .await
                    .map_err(|e| refused(e.message))?,
            );
            targets.push(site_target(st.store.secrets(), &site).map_err(|e| refused(e.message))?);
        }
        if targets.is_empty() {
            return Err(refused(format!("monitor {job_id} has no sites")));
        }
        crate::products::check_quota(st, task.account_id, NAME, 0)
            .await
            .map_err(|e| refused(e.with_code(super::SCAN_QUOTA).message))?;
        // The sites and hosts as they are now; the saved mode, rate and records stay.
        let saved = vigil_core::spec::EngineSpec::parse(&task.kind, &task.target, &task.options);
        let (Ok(vigil_core::spec::EngineSpec::Web(_, mut options)), Ok(run)) = (
            saved,
            vigil_core::spec::run_options(&task.kind, &task.options),
        ) else {
            return Err(refused(format!(
                "the run of monitor {job_id} does not hold a website scan"
            )));
        };
        options.public_only = public;
        let engine = vigil_core::spec::EngineSpec::Web(
            vigil_core::spec::web::WebTargets { sites: targets },
            options,
        );
        let spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| refused(e.to_string()))?;
        Ok(Some(spec.into()))
    }
}
