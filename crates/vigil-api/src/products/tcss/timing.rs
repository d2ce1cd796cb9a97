//! The periodic scan of registry images: `UpdateImageRegistryTimingScanTask` sets (or
//! replaces) the account's one setting, `DescribeImageRegistryTimingScanTask` reads it back
//! with the outcome of the last periodic run.
//!
//! Like the local periodic scan ([`super::settings`]): when enabled, a schedule fires every
//! `ScanPeriod` days at `ScanTime` (`HH:MM` or `HH:MM:SS` in the plan time zone), within the
//! daily window up to `ScanEndTime` when given; periods shorter than the operator's
//! `min_plan_interval_secs` are refused. Each firing is re-derived by the TCSS preflight from
//! the setting and the registry inventory as they are then: the [`Selection`] of
//! `ScanScope` (0 all, 1 `Images` and `Id`, 2 recommended; `All` means 0), `RegistryType`,
//! `Namespace`, `Latest`, `ExcludeImageAssetIds` and `ContainerRunning`, minus images already
//! being scanned, becomes one registry scan task (the fired task becomes its first image's)
//! running the scanners of `ScanType` (`CVE`, `VIRUS`, `RISK`; all when empty). The run records
//! `LastScanTime` and `ScanResult` (`Success`, `ImageNeedIsEmpty`, `InsufficientLicense`,
//! `InternalError`). Images named in the setting that a later sync removed are skipped.

use super::images::Inventory;
use super::registry_scans::{check_registry_types, scope_of, Selection};
use super::scans::{find_by_info, find_registry_image, registry_scanners, ImageInfoReq, ScanPlan};
use super::settings::{
    fire_periodic, parse_time, plan_schedule, read_setting, save_periodic, PeriodicSave,
    ENABLE_DOC, SCAN_END_TIME_DOC, SCAN_PERIOD_DOC, SCAN_TIME_DOC,
};
use super::{CONTAINER_RUNNING_DOC, NAME, SCAN_TYPE_DOC};
use crate::error::{ApiError, ApiResult};
use crate::params::{NoParams, Params};
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use vigil_store::{GroupOrigin, ImageSet, TaskRecord};

/// Setting name of the periodic registry scan.
const SETTING: &str = "registry_timing_scan";
/// Setting name of the last periodic run's outcome.
const LAST_RUN: &str = "registry_timing_scan_last_run";
/// Target of the task a schedule fires, before it is turned into a scan.
pub(super) const FIRED_TARGET: &str = "registry_timing_scan";

/// The stored setting (also what the request carries).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Timing {
    #[param(doc = SCAN_PERIOD_DOC, range(0, 365))]
    scan_period: i64,
    #[param(doc = ENABLE_DOC)]
    enable: bool,
    #[param(doc = SCAN_TIME_DOC, max_len = 8)]
    scan_time: String,
    #[serde(default)]
    #[param(doc = SCAN_TYPE_DOC, max_items = 3)]
    scan_type: Option<Vec<String>>,
    /// Images by registry, namespace, name and tag (ScanScope 1).
    #[serde(default)]
    #[param(max_items = 1000)]
    images: Vec<ImageInfoReq>,
    /// Every registry image (deprecated; ScanScope 0).
    #[serde(default)]
    all: Option<bool>,
    /// Registry image ids (ScanScope 1).
    #[serde(default)]
    #[param(max_items = 1000)]
    id: Vec<i64>,
    /// Only the newest image of each repository.
    #[serde(default)]
    latest: Option<bool>,
    #[serde(default)]
    #[param(doc = CONTAINER_RUNNING_DOC)]
    container_running: Option<bool>,
    #[serde(default)]
    #[param(doc = SCAN_END_TIME_DOC, max_len = 8)]
    scan_end_time: Option<String>,
    /// 0 all images, 1 Images and Id, 2 recommended.
    #[serde(default)]
    #[param(range(0, 2))]
    scan_scope: Option<i64>,
    /// Only registries of these types.
    #[serde(default)]
    #[param(max_items = 16)]
    registry_type: Vec<String>,
    /// Only these namespaces.
    #[serde(default)]
    #[param(max_items = 1000)]
    namespace: Vec<String>,
    /// Registry image ids never scanned periodically.
    #[serde(default)]
    #[param(max_items = 1000)]
    exclude_image_asset_ids: Vec<i64>,
    /// The schedule that fires the runs (Vigil's own field).
    #[serde(default)]
    #[param(skip)]
    schedule_id: Option<i64>,
}

impl Timing {
    fn selection(&self) -> ApiResult<Selection> {
        Ok(Selection {
            scope: scope_of(
                self.scan_scope,
                !self.images.is_empty() || !self.id.is_empty(),
            )?,
            images: self.images.clone(),
            ids: self.id.clone(),
            exclude: self.exclude_image_asset_ids.clone(),
            latest: self.latest.unwrap_or(false),
            registry_types: self.registry_type.clone(),
            namespaces: self.namespace.clone(),
            container_running: self.container_running.unwrap_or(false),
        })
    }
}

/// `ScanType` names of scanners.
fn scan_type_names(scanners: &[String]) -> Vec<String> {
    scanners
        .iter()
        .map(|s| match s.as_str() {
            "vuln" => "CVE".to_string(),
            "virus" => "VIRUS".to_string(),
            _ => "RISK".to_string(),
        })
        .collect()
}

async fn read(st: &Services, account_id: i64) -> ApiResult<Option<Timing>> {
    read_setting(st, account_id, SETTING).await
}

/// `UpdateImageRegistryTimingScanTask`.
pub(super) async fn update(st: &Services, rc: &RequestCtx, mut t: Timing) -> ApiResult {
    t.schedule_id = None;
    let account = rc.account.id;
    parse_time(&t.scan_time, "ScanTime")?;
    if let Some(e) = t.scan_end_time.as_deref().filter(|e| !e.trim().is_empty()) {
        parse_time(e, "ScanEndTime")?;
    }
    // The effective scanners are stored, so the setting reads back as it runs.
    let scanners = registry_scanners(&t.scan_type)?;
    t.scan_type = Some(scan_type_names(&scanners));
    check_registry_types(&t.registry_type)?;
    if t.all == Some(true) && t.scan_scope.is_none() && t.images.is_empty() && t.id.is_empty() {
        t.scan_scope = Some(0);
    }
    let sel = t.selection()?;
    t.scan_scope = Some(sel.scope);
    for info in &t.images {
        info.force()?;
    }
    // Named images must be the account's own now, when the scan is on (turning it off must
    // work after a named image is gone).
    if t.enable {
        let inv = Inventory::load(st, account, ImageSet::Registry).await?;
        for id in &t.id {
            find_registry_image(&inv, *id)?;
        }
        for info in &t.images {
            find_by_info(&inv, info)?;
        }
    }
    let mut plan = None;
    if t.enable {
        if t.scan_period < 1 {
            return Err(ApiError::invalid_value(
                "`ScanPeriod` must be at least 1 day when the scan is enabled.",
            ));
        }
        let (sched, first) = plan_schedule(
            &st.config,
            &t.scan_time,
            t.scan_end_time.as_deref(),
            t.scan_period,
        )?;
        plan = Some((sched, first, scanners));
    }
    let old = read(st, account).await?.and_then(|o| o.schedule_id);
    let save = PeriodicSave {
        key: SETTING,
        fired: FIRED_TARGET,
        plan,
        old_schedule: old,
        audit: "tcss.UpdateImageRegistryTimingScanTask",
        enabled: t.enable,
    };
    save_periodic(st, rc, save, |id| {
        t.schedule_id = id;
        serde_json::to_value(&t).map_err(|e| ApiError::internal(&e))
    })
    .await
}

/// `DescribeImageRegistryTimingScanTask`.
pub(super) async fn describe(st: &Services, rc: &RequestCtx, _p: NoParams) -> ApiResult {
    let t = read(st, rc.account.id).await?.unwrap_or_default();
    let last = st
        .store
        .setting(rc.account.id, NAME, LAST_RUN)
        .await?
        .map(|v| v.value)
        .unwrap_or(Value::Null);
    let images = serde_json::to_value(&t.images).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({
        "Enable": t.enable, "ScanTime": t.scan_time, "ScanPeriod": t.scan_period.max(0),
        "ScanType": t.scan_type.clone().unwrap_or_default(), "All": t.all.unwrap_or(false),
        "Images": images, "Id": t.id, "Latest": t.latest.unwrap_or(false),
        "ScanEndTime": t.scan_end_time.clone().unwrap_or_default(),
        "RegistryType": t.registry_type, "ContainerRunning": t.container_running.unwrap_or(false),
        "ScanScope": t.scan_scope.unwrap_or(0), "Namespace": t.namespace,
        "ExcludeImageAssetIds": t.exclude_image_asset_ids,
        "LastScanTime": last.get("LastScanTime").and_then(Value::as_i64).map(time_str).unwrap_or_default(),
        "ScanResult": last.get("ScanResult").and_then(Value::as_str).unwrap_or(""),
    }))
}

/// Record the outcome of a periodic run.
pub(super) async fn record(st: &Services, account_id: i64, result: &str) {
    let v = json!({"LastScanTime": st.store.now(), "ScanResult": result});
    if let Err(e) = st.store.set_setting(account_id, NAME, LAST_RUN, &v).await {
        tracing::warn!(error = %e, "recording the periodic registry scan outcome failed");
    }
}

/// The run a fired schedule becomes (see the module documentation), or why it is refused
/// and the `ScanResult` to record (none for a run of a setting turned off or replaced).
pub(super) async fn derive(
    st: &Services,
    task: &TaskRecord,
) -> Result<Option<vigil_worker::Prepared>, (String, Option<&'static str>)> {
    let account = task.account_id;
    let internal = |e: ApiError| (e.message, Some("InternalError"));
    let t = read(st, account)
        .await
        .map_err(internal)?
        .filter(|t| t.enable && t.schedule_id.is_some() && t.schedule_id == task.schedule_id)
        .ok_or_else(|| {
            (
                "the periodic registry image scan was turned off or replaced".to_string(),
                None,
            )
        })?;
    let inv = Inventory::load(st, account, ImageSet::Registry)
        .await
        .map_err(internal)?;
    let sel = t.selection().map_err(internal)?;
    let (rows, _) = sel.rows(&inv, false).map_err(internal)?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|i| !inv.view(i).scanning())
        .collect();
    let window = plan_schedule(
        &st.config,
        &t.scan_time,
        t.scan_end_time.as_deref(),
        t.scan_period,
    )
    .map_err(internal)?
    .0;
    let plan = ScanPlan {
        kind: super::groups::REGISTRY,
        one_click: false,
        origin: GroupOrigin::Schedule,
        scanners: registry_scanners(&t.scan_type).map_err(internal)?,
        timeout_secs: t.scan_period.max(1) * 86_400,
        window: window.window.is_some().then_some(window),
    };
    fire_periodic(st, task, &inv, &rows, &plan).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_setting_round_trips() {
        let t: Timing = serde_json::from_value(json!({
            "ScanPeriod": 3, "Enable": true, "ScanTime": "02:00", "Id": [4, 5],
            "Namespace": ["team"], "RegistryType": ["harbor"], "ExcludeImageAssetIds": [5],
        }))
        .unwrap();
        let sel = t.selection().unwrap();
        assert_eq!(sel.scope, 1, "named images default to ScanScope 1");
        assert_eq!(sel.exclude, vec![5]);
        let back: Timing = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        let none: Timing = serde_json::from_value(json!({
            "ScanPeriod": 1, "Enable": true, "ScanTime": "02:00", "ScanScope": 1,
        }))
        .unwrap();
        assert_eq!(
            none.selection().unwrap_err().code,
            "InvalidParameter.MissingParameter"
        );
        assert_eq!(
            scan_type_names(&["vuln".into(), "risk".into()]),
            vec!["CVE", "RISK"]
        );
    }
}
