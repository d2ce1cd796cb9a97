//! The periodic scan of local images: `CreateAssetImageScanSetting` sets (or replaces) the
//! account's one setting, `DescribeAssetImageScanSetting` reads it back with the outcome of
//! the last periodic run. There is no update action: create is the upsert.
//!
//! When enabled, a schedule fires every `ScanPeriod` days at `ScanTime` (`HH:MM` or
//! `HH:MM:SS`, read in the gateway's plan time zone, UTC unless configured otherwise); with
//! `ScanEndTime`, scans run only between `ScanTime` and `ScanEndTime` each day and pause
//! outside that window. Each firing is re-derived by [`TcssPreflight`] from the setting and
//! the inventory as they are then: the selected images (`ScanScope` 0 all, 1 `Images`, 2
//! those with critical or high vulnerabilities; `All` means 0), minus `ExcludeImages` and
//! images already being scanned, become one scan task with a queue task per image (the
//! fired task becomes the first image's). The run records `LastScanTime` and `ScanResult`
//! (`Success`, `ImageNeedIsEmpty` when nothing was selected, `InsufficientLicense` when the
//! daily scan quota is spent, `InternalError`). A scheduled scan may take until the next
//! one is due.

use super::images::Inventory;
use super::scans::{build_scan, recommended, ScanPlan};
use super::{CONTAINER_RUNNING_DOC, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{NoParams, Params};
use crate::products::time_str;
use crate::{ApiConfig, RequestCtx, Services};
use chrono::{NaiveTime, TimeZone};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use vigil_core::{DailyWindow, Schedule, TaskSpec, Trigger};
use vigil_store::{GroupOrigin, ImageRow, ImageSet, TaskRecord};

/// Setting name of the periodic scan.
const SETTING: &str = "image_scan_setting";
/// Setting name of the last periodic run's outcome.
const LAST_RUN: &str = "image_scan_last_run";
/// Target of the task a schedule fires, before it is turned into a scan.
const FIRED_TARGET: &str = "image_scan_setting";
/// Description of a periodic scan's `Enable`.
pub(super) const ENABLE_DOC: &str = "Periodic scan on or off.";
/// Description of a periodic scan's `ScanTime`.
pub(super) const SCAN_TIME_DOC: &str = "Start time HH:MM (plan time zone).";
/// Description of a periodic scan's `ScanPeriod`.
pub(super) const SCAN_PERIOD_DOC: &str = "Days between scans (1-365).";
/// Description of a periodic scan's `ScanEndTime`.
pub(super) const SCAN_END_TIME_DOC: &str = "End of the daily scan window, HH:MM.";

/// The stored setting (also what the request carries).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Setting {
    #[param(doc = ENABLE_DOC)]
    enable: bool,
    #[param(doc = SCAN_TIME_DOC, max_len = 8)]
    scan_time: String,
    #[param(doc = SCAN_PERIOD_DOC, range(0, 365))]
    scan_period: i64,
    /// Look for viruses.
    scan_virus: bool,
    /// Look for secrets, sensitive files, risky configuration.
    scan_risk: bool,
    /// Look for vulnerable packages.
    scan_vul: bool,
    /// All images (deprecated; ScanScope 0).
    #[serde(default)]
    all: Option<bool>,
    /// Image ids for ScanScope 1.
    #[serde(default)]
    #[param(max_items = 1000)]
    images: Vec<String>,
    #[serde(default)]
    #[param(doc = CONTAINER_RUNNING_DOC)]
    container_running: Option<bool>,
    /// 0 all images, 1 Images, 2 recommended, 3 clusters (not supported).
    #[serde(default)]
    #[param(range(0, 3))]
    scan_scope: Option<i64>,
    #[serde(default)]
    #[param(doc = SCAN_END_TIME_DOC, max_len = 8)]
    scan_end_time: Option<String>,
    /// Image ids never scanned periodically.
    #[serde(default)]
    #[param(max_items = 1000)]
    exclude_images: Vec<String>,
    /// Cluster ids (not supported).
    #[serde(default, rename = "ClusterIDs")]
    #[param(max_items = 100)]
    cluster_ids: Vec<String>,
    /// The schedule that fires the runs (Vigil's own field).
    #[serde(default)]
    #[param(skip)]
    schedule_id: Option<i64>,
}

impl Setting {
    fn scope(&self) -> i64 {
        self.scan_scope.unwrap_or(0)
    }
    fn scanners(&self) -> Vec<String> {
        [
            (self.scan_vul, "vuln"),
            (self.scan_virus, "virus"),
            (self.scan_risk, "risk"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| s.to_string())
        .collect()
    }
}

pub(super) fn parse_time(raw: &str, name: &str) -> ApiResult<NaiveTime> {
    let t = raw.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map_err(|_| {
            ApiError::new(
                Code::InvalidFormat,
                format!(
                    "`{name}` must be a time of day HH:MM, not `{}`.",
                    t.chars().take(16).collect::<String>()
                ),
            )
        })
}

/// The schedule of an enabled setting and its first fire time.
fn schedule(cfg: &ApiConfig, s: &Setting) -> ApiResult<(Schedule, i64)> {
    plan_schedule(cfg, &s.scan_time, s.scan_end_time.as_deref(), s.scan_period)
}

/// A schedule firing every `period_days` days at `scan_time` (plan time zone), with a daily
/// window up to `scan_end_time` when given, and its first fire time; refused when more
/// often than the operator's shortest plan interval.
pub(super) fn plan_schedule(
    cfg: &ApiConfig,
    scan_time: &str,
    scan_end_time: Option<&str>,
    period_days: i64,
) -> ApiResult<(Schedule, i64)> {
    let start = parse_time(scan_time, "ScanTime")?;
    let window = match scan_end_time.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            let end = parse_time(e, "ScanEndTime")?;
            if end == start {
                return Err(ApiError::invalid_value(
                    "`ScanEndTime` must differ from `ScanTime`.",
                ));
            }
            Some(DailyWindow { start, end })
        }
        None => None,
    };
    let every = period_days.saturating_mul(86_400);
    if every < 1 || (every as u64) < cfg.min_plan_interval.as_secs() {
        return Err(ApiError::invalid_value(format!(
            "`ScanPeriod` {} is more often than the shortest interval allowed ({} s).",
            period_days,
            cfg.min_plan_interval.as_secs()
        )));
    }
    let tz: chrono_tz::Tz = cfg
        .plan_time_zone
        .parse()
        .map_err(|_| ApiError::internal(&format!("plan time zone `{}`", cfg.plan_time_zone)))?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let mut anchor = None;
    for day in 0..3 {
        let date = today + chrono::Duration::days(day);
        if let Some(t) = tz.from_local_datetime(&date.and_time(start)).earliest() {
            let t = t.with_timezone(&chrono::Utc);
            if t > now {
                anchor = Some(t);
                break;
            }
        }
    }
    let anchor = anchor
        .ok_or_else(|| ApiError::invalid_value("`ScanTime` does not occur in the next days."))?;
    let sched = Schedule {
        time_zone: cfg.plan_time_zone.clone(),
        window,
        ..Schedule::new(Trigger::Interval {
            every_secs: every,
            anchor,
        })
    };
    sched
        .validate()
        .map_err(|e| ApiError::invalid_value(e.to_string()))?;
    let first = sched
        .next_fire(now)
        .map_err(|e| ApiError::invalid_value(e.to_string()))?
        .ok_or_else(|| ApiError::invalid_value("The schedule never fires."))?;
    Ok((sched, first.timestamp_millis()))
}

fn check_ids(ids: &[String], name: &str) -> ApiResult<()> {
    match ids.iter().find(|i| !vigil_store::is_image_id(i.trim())) {
        Some(bad) => Err(ApiError::new(
            Code::InvalidFormat,
            format!(
                "`{name}` holds `{}`, which is not an image id (sha256:<64 hex>).",
                bad.chars().take(80).collect::<String>()
            ),
        )),
        None => Ok(()),
    }
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, mut s: Setting) -> ApiResult {
    s.schedule_id = None;
    if s.all == Some(true) && s.scan_scope.is_none() {
        s.scan_scope = Some(0);
    }
    parse_time(&s.scan_time, "ScanTime")?;
    if let Some(e) = s.scan_end_time.as_deref().filter(|e| !e.trim().is_empty()) {
        parse_time(e, "ScanEndTime")?;
    }
    check_ids(&s.images, "Images")?;
    check_ids(&s.exclude_images, "ExcludeImages")?;
    let account = rc.account.id;
    let mut plan = None;
    if s.enable {
        if s.scanners().is_empty() {
            return Err(ApiError::invalid(
                "At least one of `ScanVul`, `ScanVirus` and `ScanRisk` must be true.",
            ));
        }
        if s.scan_period < 1 {
            return Err(ApiError::invalid_value(
                "`ScanPeriod` must be at least 1 day when the scan is enabled.",
            ));
        }
        match s.scope() {
            1 if s.images.is_empty() => {
                return Err(ApiError::missing("Images"));
            }
            3 if s.cluster_ids.is_empty() => return Err(ApiError::missing("ClusterIDs")),
            3 => {
                return Err(ApiError::unsupported(
                    "Vigil does not track clusters; use ScanScope 0, 1 or 2.",
                ))
            }
            _ => {}
        }
        let (sched, first) = schedule(&st.config, &s)?;
        plan = Some((sched, first, s.scanners()));
    }
    let old = read_setting::<Setting>(st, account, SETTING)
        .await?
        .and_then(|o| o.schedule_id);
    let save = PeriodicSave {
        key: SETTING,
        fired: FIRED_TARGET,
        plan,
        old_schedule: old,
        audit: "tcss.CreateAssetImageScanSetting",
        enabled: s.enable,
    };
    save_periodic(st, rc, save, |id| {
        s.schedule_id = id;
        serde_json::to_value(&s).map_err(|e| ApiError::internal(&e))
    })
    .await
}

async fn read(st: &Services, account_id: i64) -> ApiResult<Option<Setting>> {
    read_setting(st, account_id, SETTING).await
}

/// The product's setting `key` of an account, if stored.
pub(super) async fn read_setting<T: DeserializeOwned>(
    st: &Services,
    account_id: i64,
    key: &str,
) -> ApiResult<Option<T>> {
    match st.store.setting(account_id, NAME, key).await? {
        Some(v) => Ok(Some(
            serde_json::from_value(v.value).map_err(|e| ApiError::internal(&e))?,
        )),
        None => Ok(None),
    }
}

/// What [`save_periodic`] stores.
pub(super) struct PeriodicSave<'a> {
    /// Setting name.
    pub key: &'a str,
    /// `target.scheduled` of the tasks the schedule fires, which the preflight turns into a
    /// scan of the image set as it is then.
    pub fired: &'a str,
    /// The schedule, its first fire time and the scanners of each run; `None` when off.
    pub plan: Option<(Schedule, i64, Vec<String>)>,
    /// The schedule of the setting being replaced.
    pub old_schedule: Option<i64>,
    /// Audit action name.
    pub audit: &'a str,
    /// Whether the periodic scan is on (for the audit record).
    pub enabled: bool,
}

/// Replaces a periodic image scan: creates its schedule (when on), stores the setting that
/// `render` makes with that schedule's id, disables the schedule of the setting it replaces
/// and audits the change.
pub(super) async fn save_periodic(
    st: &Services,
    rc: &RequestCtx,
    p: PeriodicSave<'_>,
    render: impl FnOnce(Option<i64>) -> ApiResult<Value>,
) -> ApiResult {
    let account = rc.account.id;
    let mut schedule_id = None;
    if let Some((sched, first, scanners)) = p.plan {
        let spec = TaskSpec {
            product: NAME.into(),
            kind: "image".into(),
            target: json!({ "scheduled": p.fired }),
            options: json!({ "scanners": scanners }),
            max_attempts: 2,
            job_id: None,
        };
        schedule_id = Some(
            st.store
                .create_schedule(account, NAME, &sched, &spec, Some(first))
                .await?,
        );
    }
    let value = render(schedule_id)?;
    st.store.set_setting(account, NAME, p.key, &value).await?;
    if let Some(old) = p.old_schedule.filter(|o| Some(*o) != schedule_id) {
        match st.store.set_schedule_enabled(account, old, false).await {
            Ok(()) | Err(vigil_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    crate::products::audit(
        st,
        rc,
        p.audit,
        if p.enabled { "enabled" } else { "disabled" },
    )
    .await?;
    Ok(json!({}))
}

pub(super) async fn describe(st: &Services, rc: &RequestCtx, _p: NoParams) -> ApiResult {
    let s = read(st, rc.account.id).await?.unwrap_or_default();
    let last = st
        .store
        .setting(rc.account.id, NAME, LAST_RUN)
        .await?
        .map(|v| v.value)
        .unwrap_or(Value::Null);
    Ok(json!({
        "Enable": s.enable, "ScanTime": s.scan_time, "ScanPeriod": s.scan_period.max(0),
        "ScanVirus": s.scan_virus, "ScanRisk": s.scan_risk, "ScanVul": s.scan_vul,
        "All": s.all.unwrap_or(false), "Images": s.images,
        "ContainerRunning": s.container_running.unwrap_or(false), "ScanScope": s.scope(),
        "ScanEndTime": s.scan_end_time.unwrap_or_default(), "ExcludeImages": s.exclude_images,
        "LastScanTime": last.get("LastScanTime").and_then(Value::as_i64).map(time_str).unwrap_or_default(),
        "ScanResult": last.get("ScanResult").and_then(Value::as_str).unwrap_or(""),
        "ClusterIDs": s.cluster_ids,
    }))
}

/// Re-derives each periodic run of the local image scan (and of the registry image scan,
/// see [`super::timing`]) when its schedule fires: the
/// setting and the inventory as they are then become one scan task (see the module
/// documentation); a run with nothing to scan, over the quota, or of a setting turned off
/// or replaced, is refused with the reason.
pub struct TcssPreflight {
    state: std::sync::Arc<Services>,
}

impl TcssPreflight {
    /// The check, reading the setting and the inventory through `state`.
    pub fn new(state: std::sync::Arc<Services>) -> Self {
        TcssPreflight { state }
    }

    async fn record(&self, account_id: i64, result: &str) {
        let v = json!({"LastScanTime": self.state.store.now(), "ScanResult": result});
        if let Err(e) = self
            .state
            .store
            .set_setting(account_id, NAME, LAST_RUN, &v)
            .await
        {
            tracing::warn!(error = %e, "recording the periodic image scan outcome failed");
        }
    }

    /// The run's target and options, or why it is refused and the `ScanResult` to record
    /// (none for a run of a setting turned off or replaced: it says nothing about the
    /// current setting).
    async fn derive(
        &self,
        task: &TaskRecord,
    ) -> Result<Option<vigil_worker::Prepared>, (String, Option<&'static str>)> {
        let st = &self.state;
        let account = task.account_id;
        let internal = |e: ApiError| (e.message, Some("InternalError"));
        let s = read(st, account)
            .await
            .map_err(internal)?
            .filter(|s| s.enable && s.schedule_id.is_some() && s.schedule_id == task.schedule_id)
            .ok_or_else(|| {
                (
                    "the periodic image scan was turned off or replaced".to_string(),
                    None,
                )
            })?;
        let inv = Inventory::load(st, account, ImageSet::Local)
            .await
            .map_err(internal)?;
        let rows: Vec<&ImageRow> = match s.scope() {
            1 => {
                let wanted: HashSet<&str> = s.images.iter().map(|i| i.trim()).collect();
                inv.images
                    .iter()
                    .filter(|i| wanted.contains(i.image_id.as_str()))
                    .collect()
            }
            2 => recommended(&inv),
            3 => {
                return Err((
                    "Vigil does not track clusters".to_string(),
                    Some("InternalError"),
                ))
            }
            _ => inv.images.iter().collect(),
        };
        let rows: Vec<&ImageRow> = rows
            .into_iter()
            .filter(|i| !s.exclude_images.iter().any(|x| x.trim() == i.image_id))
            .filter(|i| !inv.view(i).scanning())
            .filter(|_| !s.container_running.unwrap_or(false))
            .collect();
        let window = schedule(&st.config, &s).map_err(internal)?.0;
        let plan = ScanPlan {
            kind: super::groups::LOCAL,
            one_click: false,
            origin: GroupOrigin::Schedule,
            scanners: s.scanners(),
            timeout_secs: s.scan_period.max(1) * 86_400,
            window: window.window.is_some().then_some(window),
        };
        fire_periodic(st, task, &inv, &rows, &plan).await
    }
}

/// A periodic image scan's fired task made into its scan: refused when no image is left or
/// the daily quota is used up, else the scan of `rows` is built and fanned out, and the
/// fired task becomes its first image task.
pub(super) async fn fire_periodic(
    st: &Services,
    task: &TaskRecord,
    inv: &Inventory,
    rows: &[&ImageRow],
    plan: &ScanPlan<'_>,
) -> Result<Option<vigil_worker::Prepared>, (String, Option<&'static str>)> {
    let account = task.account_id;
    if rows.is_empty() {
        return Err((
            "no images to scan (ImageNeedIsEmpty)".to_string(),
            Some("ImageNeedIsEmpty"),
        ));
    }
    crate::products::check_quota(st, account, NAME, rows.len() as i64 - 1)
        .await
        .map_err(|e| {
            (
                crate::error::ApiError::from(e).message,
                Some("InsufficientLicense"),
            )
        })?;
    let scan = build_scan(st, account, inv, rows, plan)
        .await
        .map_err(|e| (e.message, Some("InternalError")))?;
    let Some(first) = scan.items.first().map(|i| i.spec.clone()) else {
        return Err(("no images to scan".into(), Some("ImageNeedIsEmpty")));
    };
    match st
        .store
        .fan_out_image_scan(account, task.id, &task.target, &scan)
        .await
    {
        Ok(Some(_)) => Ok(Some(vigil_worker::Prepared {
            target: first.target,
            options: first.options,
        })),
        Ok(None) => Ok(None),
        Err(e) => Err((e.to_string(), Some("InternalError"))),
    }
}

#[async_trait::async_trait]
impl vigil_worker::Preflight for TcssPreflight {
    async fn prepare(&self, task: &TaskRecord) -> Result<Option<vigil_worker::Prepared>, String> {
        // Only the task a schedule fired is turned into a scan; once turned (a retry of the
        // same run), it runs as it is.
        let fired = task.target.get("scheduled").and_then(Value::as_str);
        if task.kind == "image" && fired == Some(super::timing::FIRED_TARGET) {
            return match super::timing::derive(&self.state, task).await {
                Ok(p) => {
                    if p.is_some() {
                        super::timing::record(&self.state, task.account_id, "Success").await;
                    }
                    Ok(p)
                }
                Err((why, result)) => {
                    if let Some(result) = result {
                        super::timing::record(&self.state, task.account_id, result).await;
                    }
                    Err(format!("scheduled registry image scan refused: {why}"))
                }
            };
        }
        if task.kind != "image" || fired != Some(FIRED_TARGET) {
            return Ok(None);
        }
        match self.derive(task).await {
            Ok(p) => {
                if p.is_some() {
                    self.record(task.account_id, "Success").await;
                }
                Ok(p)
            }
            Err((why, result)) => {
                if let Some(result) = result {
                    self.record(task.account_id, result).await;
                }
                Err(format!("scheduled image scan refused: {why}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(time: &str, end: Option<&str>, period: i64) -> Setting {
        Setting {
            enable: true,
            scan_time: time.into(),
            scan_period: period,
            scan_vul: true,
            scan_end_time: end.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn schedules_from_settings() {
        let cfg = ApiConfig::default();
        let (s, first) = schedule(&cfg, &setting("03:30", None, 2)).unwrap();
        assert!(matches!(
            s.trigger,
            Trigger::Interval {
                every_secs: 172_800,
                ..
            }
        ));
        let t = chrono::DateTime::from_timestamp_millis(first).unwrap();
        assert_eq!(t.format("%H:%M:%S").to_string(), "03:30:00");
        assert!(t > chrono::Utc::now());
        let (s, _) = schedule(&cfg, &setting("23:00:00", Some("02:00"), 1)).unwrap();
        let w = s.window.unwrap();
        assert_eq!(w.start, NaiveTime::from_hms_opt(23, 0, 0).unwrap());
        assert_eq!(w.end, NaiveTime::from_hms_opt(2, 0, 0).unwrap());
        assert_eq!(
            schedule(&cfg, &setting("25:00", None, 1)).unwrap_err().code,
            "InvalidParameter.InvalidFormat"
        );
        assert_eq!(
            schedule(&cfg, &setting("01:00", Some("01:00"), 1))
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
        let strict = ApiConfig {
            min_plan_interval: std::time::Duration::from_secs(2 * 86_400),
            ..ApiConfig::default()
        };
        assert_eq!(
            schedule(&strict, &setting("01:00", None, 1))
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
    }

    #[test]
    fn scanners_and_scope() {
        let mut s = setting("01:00", None, 1);
        s.scan_risk = true;
        assert_eq!(s.scanners(), vec!["vuln", "risk"]);
        assert_eq!(s.scope(), 0);
        assert!(check_ids(&[format!("sha256:{}", "a".repeat(64))], "Images").is_ok());
        assert_eq!(
            check_ids(&["nope".into()], "Images").unwrap_err().code,
            "InvalidParameter.InvalidFormat"
        );
    }
}
