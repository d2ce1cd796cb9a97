//! One-key scans of registry images and stopping registry scans:
//! `CreateAssetImageRegistryScanTaskOneKey`, `DescribeAssetImageRegistryScanStatusOneKey`,
//! `ModifyAssetImageRegistryScanStop` and `ModifyAssetImageRegistryScanStopOneKey`.
//!
//! A one-key scan is a registry scan task like `CreateAssetImageRegistryScanTask`'s (integer
//! `TaskID`), marked one-click. Its images: `ScanScope` 0 every registry image, 1 the images
//! named by `Images` and `Id` (the default when either is given), 2 the recommended ones
//! (critical or high vulnerabilities); then narrowed by `RegistryType` (the registry's type),
//! `Namespace` (exact), `IsLatest` (newest of each repository), `ExcludeIDs`, and
//! `ContainerRunning` (Vigil tracks no containers: nothing has a running one). The same
//! selection ([`Selection`]) serves the periodic registry scan in [`super::timing`].
//!
//! The status of a one-key scan (`TaskID`, else the account's latest one-click registry scan,
//! else its latest registry scan) counts like `DescribeAssetImageScanStatus` and lists each
//! image's progress (`ImageStatus`); `Images` or `Id` narrow it to those images.
//!
//! Stopping: `TaskID` alone stops that task; images named by `All`, `Images`, `Id` or (for
//! `ModifyAssetImageRegistryScanStop`) `Filters` minus `ExcludeImageList`, optionally only
//! the newest of each repository (`OnlyScanLatest`), have their unfinished scans stopped,
//! within the task `TaskID` when it is given too.

use super::groups::{self, unfinished, ImageScan, ImageScanItem, REGISTRY};
use super::images::{select_registry, Inventory};
use super::registries::REGISTRY_TYPES;
use super::scans::{
    dedup, find_by_info, find_registry_image, no_images, progress_of, recommended,
    registry_scanners, scan_by_id, start_audited, ImageInfoReq, ScanPlan,
};
use super::{
    missing_sub, AssetFilter, CONTAINER_RUNNING_DOC, FILTERS_DOC, MAX_FILTERS, SCAN_TYPE_DOC,
    TIMEOUT_DOC,
};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use vigil_core::TaskState;
use vigil_store::{ImageRow, ImageSet, StopReason};

/// Most images one request may name.
const MAX_IMAGES: usize = 1000;

/// Description of a registry request's `Images`.
pub(super) const IMAGES_DOC: &str = "Images by registry, namespace, name and tag.";
/// Description of a registry request's `Id`.
const IDS_DOC: &str = "Registry image ids.";
/// Description of a registry request's `TaskID`.
const TASK_ID_DOC: &str = "Registry scan task id.";
/// Description of `All` in a stop request.
const STOP_ALL_DOC: &str = "Every registry image.";

/// Which registry images a one-key or periodic scan covers.
#[derive(Debug, Clone, Default)]
pub(super) struct Selection {
    /// 0 all, 1 named, 2 recommended.
    pub(super) scope: i64,
    /// Named by registry, namespace, name and tag.
    pub(super) images: Vec<ImageInfoReq>,
    /// Named by row id.
    pub(super) ids: Vec<i64>,
    /// Row ids left out.
    pub(super) exclude: Vec<i64>,
    /// Only the newest of each repository.
    pub(super) latest: bool,
    /// Only registries of these types (empty: any).
    pub(super) registry_types: Vec<String>,
    /// Only these namespaces (empty: any).
    pub(super) namespaces: Vec<String>,
    /// Only images with running containers (none in Vigil).
    pub(super) container_running: bool,
}

/// Refuse registry types Vigil does not know.
pub(super) fn check_registry_types(types: &[String]) -> ApiResult<()> {
    match types
        .iter()
        .find(|t| !REGISTRY_TYPES.contains(&t.trim().to_ascii_lowercase().as_str()))
    {
        Some(bad) => Err(ApiError::invalid_value(format!(
            "`RegistryType` `{}` is not one of {}.",
            bad.chars().take(40).collect::<String>(),
            REGISTRY_TYPES.join(", ")
        ))),
        None => Ok(()),
    }
}

impl Selection {
    /// The images selected now. With `strict`, an image named by `Images` or `Id` that is not
    /// in the inventory is `ResourceNotFound` (a request); otherwise it is skipped (a periodic
    /// run, when a sync may have removed it). `Force` "false" in `Images` skips images
    /// already scanned; the second value counts them.
    pub(super) fn rows<'a>(
        &self,
        inv: &'a Inventory,
        strict: bool,
    ) -> ApiResult<(Vec<&'a ImageRow>, usize)> {
        let mut skipped = 0;
        let mut rows: Vec<&ImageRow> = match self.scope {
            1 => {
                let mut out = Vec::new();
                for id in &self.ids {
                    match find_registry_image(inv, *id) {
                        Ok(r) => out.push(r),
                        Err(e) if strict => return Err(e),
                        Err(_) => {}
                    }
                }
                for info in &self.images {
                    let force = info.force()?;
                    match find_by_info(inv, info) {
                        Ok(r) if !force && inv.view(r).status() == "SCANNED" => skipped += 1,
                        Ok(r) => out.push(r),
                        Err(e) if strict => return Err(e),
                        Err(_) => {}
                    }
                }
                out
            }
            2 => recommended(inv),
            _ => inv.images.iter().collect(),
        };
        let types: HashSet<String> = self
            .registry_types
            .iter()
            .map(|t| t.trim().to_ascii_lowercase())
            .collect();
        rows.retain(|r| {
            (types.is_empty()
                || inv
                    .registry_of(r)
                    .is_some_and(|g| types.contains(&g.registry_type.to_ascii_lowercase())))
                && (self.namespaces.is_empty() || self.namespaces.contains(&r.namespace))
                && !self.exclude.contains(&r.id)
                && (!self.latest || inv.view(r).is_latest())
                // Vigil knows no containers: no image has a running one.
                && !self.container_running
        });
        Ok((dedup(rows), skipped))
    }
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OneKeyReq {
    /// Every registry image (deprecated; ScanScope 0).
    all: Option<bool>,
    #[serde(default)]
    #[param(doc = IMAGES_DOC, max_items = MAX_IMAGES)]
    images: Vec<ImageInfoReq>,
    #[param(doc = SCAN_TYPE_DOC, max_items = 3)]
    scan_type: Option<Vec<String>>,
    #[serde(default)]
    #[param(doc = IDS_DOC, max_items = MAX_IMAGES)]
    id: Vec<i64>,
    /// Registry image ids left out.
    #[serde(default, rename = "ExcludeIDs")]
    #[param(max_items = MAX_IMAGES)]
    exclude_ids: Vec<i64>,
    /// Only the newest image of each repository.
    is_latest: Option<bool>,
    /// 0 all images, 1 Images and Id, 2 recommended (critical/high vulnerabilities).
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
    #[param(doc = CONTAINER_RUNNING_DOC)]
    container_running: Option<bool>,
    #[param(doc = TIMEOUT_DOC, range(0, 7 * 86_400))]
    timeout: Option<i64>,
}

/// `ScanScope` of a request: as given, else 1 when images are named, else 0.
pub(super) fn scope_of(scope: Option<i64>, named: bool) -> ApiResult<i64> {
    let scope = scope.unwrap_or(if named { 1 } else { 0 });
    if scope == 1 && !named {
        return Err(missing_sub("`ScanScope` 1 needs `Images` or `Id`."));
    }
    Ok(scope)
}

/// `CreateAssetImageRegistryScanTaskOneKey`.
pub(super) async fn create_one_key(st: &Services, rc: &RequestCtx, r: OneKeyReq) -> ApiResult {
    let scanners = registry_scanners(&r.scan_type)?;
    check_registry_types(&r.registry_type)?;
    let _ = r.all;
    let sel = Selection {
        scope: scope_of(r.scan_scope, !r.images.is_empty() || !r.id.is_empty())?,
        images: r.images,
        ids: r.id,
        exclude: r.exclude_ids,
        latest: r.is_latest.unwrap_or(false),
        registry_types: r.registry_type,
        namespaces: r.namespace,
        container_running: r.container_running.unwrap_or(false),
    };
    let inv = Inventory::load(st, rc.account.id, ImageSet::Registry).await?;
    let (rows, skipped) = sel.rows(&inv, true)?;
    if rows.is_empty() {
        if skipped > 0 {
            return Err(ApiError::new(
                Code::FailedOperation,
                "Every selected image is scanned already and `Force` is \"false\": nothing to scan.",
            ));
        }
        return Err(no_images());
    }
    let plan = ScanPlan::api(REGISTRY, true, scanners, r.timeout);
    let action = "tcss.CreateAssetImageRegistryScanTaskOneKey";
    let scan = start_audited(st, rc, &inv, &rows, &plan, action).await?;
    Ok(json!({"TaskID": scan.id}))
}

/// A registry scan of the account by id.
async fn registry_scan(st: &Services, account: i64, id: i64) -> ApiResult<ImageScan> {
    let scan = scan_by_id(st, account, &id.to_string()).await?;
    if scan.kind != REGISTRY {
        return Err(ApiError::not_found(format!(
            "Registry scan task `{id}` does not exist."
        )));
    }
    Ok(scan)
}

/// The row ids named by `Images` and `Id` (unknown ones are `ResourceNotFound`).
fn named_rows(inv: &Inventory, images: &[ImageInfoReq], ids: &[i64]) -> ApiResult<Vec<i64>> {
    let mut out = Vec::new();
    for id in ids {
        out.push(find_registry_image(inv, *id)?.id);
    }
    for info in images {
        out.push(find_by_info(inv, info)?.id);
    }
    Ok(out)
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StatusReq {
    #[serde(default)]
    #[param(doc = IMAGES_DOC, max_items = MAX_IMAGES)]
    images: Vec<ImageInfoReq>,
    /// Every image of the task.
    all: Option<bool>,
    #[serde(default)]
    #[param(doc = IDS_DOC, max_items = MAX_IMAGES)]
    id: Vec<i64>,
    #[serde(rename = "TaskID")]
    #[param(doc = TASK_ID_DOC)]
    task_id: Option<i64>,
}

/// `ScanStatus` of one image in one task.
fn item_status(item: &ImageScanItem, inv: &Inventory, row: Option<&ImageRow>) -> &'static str {
    match item.task.state {
        s if unfinished(s) => "SCANNING",
        TaskState::Succeeded => "SCANNED",
        TaskState::Failed => "SCAN_ERR",
        // A stopped scan leaves the image as it was before.
        _ => row.map(|r| inv.view(r).status()).unwrap_or("NOT_SCAN"),
    }
}

/// Progress of one scanner of one item, percent.
fn item_progress(item: &ImageScanItem, scanner: &str) -> u64 {
    if !item.facts.scanners.iter().any(|s| s == scanner) {
        return 0;
    }
    if unfinished(item.task.state) {
        item.task.progress.clamp(0, 100) as u64
    } else {
        100
    }
}

/// `ImageProgress` of one item.
fn image_progress(item: &ImageScanItem, inv: &Inventory) -> Value {
    let row = inv.images.iter().find(|r| item.subject_row == Some(r.id));
    let base = row.map(|r| inv.view(r).registry_row());
    let field = |k: &str| {
        base.as_ref()
            .and_then(|b| b.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    json!({
        "ImageId": item.subject_key, "RegistryType": field("RegistryType"),
        "ImageRepoAddress": field("ImageRepoAddress"), "InstanceId": field("InstanceId"),
        "InstanceName": field("InstanceName"), "Namespace": field("Namespace"),
        "ImageName": field("ImageName"), "ImageTag": field("ImageTag"),
        "ScanStatus": item_status(item, inv, row),
        "CveProgress": item_progress(item, "vuln"), "RiskProgress": item_progress(item, "risk"),
        "VirusProgress": item_progress(item, "virus"),
    })
}

/// `DescribeAssetImageRegistryScanStatusOneKey`.
pub(super) async fn status_one_key(st: &Services, rc: &RequestCtx, r: StatusReq) -> ApiResult {
    let account = rc.account.id;
    groups::expire(st, account).await?;
    let scan = match r.task_id {
        Some(id) => registry_scan(st, account, id).await?,
        None => {
            let scans = groups::scans(st, account, Some(REGISTRY), 50).await?;
            scans
                .iter()
                .find(|s| s.facts.one_click)
                .or_else(|| scans.first())
                .cloned()
                .ok_or_else(|| ApiError::not_found("There is no registry image scan task yet."))?
        }
    };
    let inv = Inventory::load(st, account, ImageSet::Registry).await?;
    let mut items = groups::items(st, account, scan.id).await?;
    if !r.all.unwrap_or(false) && (!r.images.is_empty() || !r.id.is_empty()) {
        let wanted = named_rows(&inv, &r.images, &r.id)?;
        items.retain(|i| i.subject_row.is_some_and(|r| wanted.contains(&r)));
    }
    let p = progress_of(st, account, &items).await?;
    let list: Vec<Value> = items.iter().map(|i| image_progress(i, &inv)).collect();
    Ok(json!({
        "ImageTotal": p.total, "ImageScanCnt": p.scanned, "ImageStatus": list,
        "SuccessCount": p.safe, "RiskCount": p.risky, "Schedule": p.schedule,
        "Status": p.status, "ScanRemainTime": p.left_secs,
    }))
}

#[derive(Deserialize, Params, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StopReq {
    #[param(doc = STOP_ALL_DOC)]
    all: Option<bool>,
    #[serde(default)]
    #[param(doc = IMAGES_DOC, max_items = MAX_IMAGES)]
    images: Vec<ImageInfoReq>,
    #[serde(default)]
    #[param(doc = IDS_DOC, max_items = MAX_IMAGES)]
    id: Vec<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    /// Registry image ids left out of a Filters or All selection.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    exclude_image_list: Vec<i64>,
    /// Only the newest image of each repository.
    only_scan_latest: Option<bool>,
    #[serde(rename = "TaskID")]
    #[param(doc = TASK_ID_DOC)]
    task_id: Option<i64>,
}

/// A one-key stop: a task, or images (no `Filters` selection).
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StopOneKeyReq {
    #[param(doc = STOP_ALL_DOC)]
    all: Option<bool>,
    #[serde(default)]
    #[param(doc = IMAGES_DOC, max_items = MAX_IMAGES)]
    images: Vec<ImageInfoReq>,
    #[serde(default)]
    #[param(doc = IDS_DOC, max_items = MAX_IMAGES)]
    id: Vec<i64>,
    #[serde(rename = "TaskID")]
    #[param(doc = TASK_ID_DOC)]
    task_id: Option<i64>,
}

async fn stop_registry(st: &Services, rc: &RequestCtx, r: StopReq, action: &str) -> ApiResult {
    let account = rc.account.id;
    let scan = match r.task_id {
        Some(id) => Some(registry_scan(st, account, id).await?),
        None => None,
    };
    let inv = Inventory::load(st, account, ImageSet::Registry).await?;
    let mut rows: Option<Vec<i64>> = if r.all.unwrap_or(false) {
        Some(inv.images.iter().map(|i| i.id).collect())
    } else if !r.images.is_empty() || !r.id.is_empty() {
        Some(named_rows(&inv, &r.images, &r.id)?)
    } else if !r.filters.is_empty() {
        Some(
            select_registry(&inv, &r.filters)?
                .iter()
                .filter_map(|v| v.get("Id").and_then(Value::as_i64))
                .collect(),
        )
    } else {
        None
    };
    if let Some(rows) = rows.as_mut() {
        rows.retain(|id| !r.exclude_image_list.contains(id));
        if r.only_scan_latest.unwrap_or(false) {
            rows.retain(|id| {
                inv.images
                    .iter()
                    .find(|i| i.id == *id)
                    .is_some_and(|i| inv.view(i).is_latest())
            });
        }
    }
    let detail = match (scan, rows) {
        (Some(scan), None) => {
            let n = st
                .store
                .stop_scan_group(account, scan.id, StopReason::Cancel)
                .await?;
            format!("task {} ({n} image scans)", scan.id)
        }
        (Some(scan), Some(rows)) => {
            // Only this scan's tasks of those images: their scans in other tasks go on.
            let chosen: HashSet<i64> = rows.into_iter().collect();
            let mut n = 0;
            for item in groups::items(st, account, scan.id).await? {
                let mine = item.subject_row.is_some_and(|r| chosen.contains(&r));
                if mine && st.store.stop_group_item(account, item.id).await? {
                    n += 1;
                }
            }
            format!("task {}: {n} image scans", scan.id)
        }
        (None, Some(rows)) => {
            let n = st.store.stop_image_tasks(account, &rows).await?;
            format!("{n} image scans")
        }
        (None, None) => {
            return Err(missing_sub(
                "Name what to stop: `TaskID`, `All`, `Images`, `Id` or `Filters`.",
            ))
        }
    };
    crate::products::audit(st, rc, action, &detail).await?;
    Ok(json!({}))
}

/// `ModifyAssetImageRegistryScanStop`.
pub(super) async fn stop(st: &Services, rc: &RequestCtx, r: StopReq) -> ApiResult {
    stop_registry(st, rc, r, "tcss.ModifyAssetImageRegistryScanStop").await
}

/// `ModifyAssetImageRegistryScanStopOneKey`.
pub(super) async fn stop_one_key(st: &Services, rc: &RequestCtx, r: StopOneKeyReq) -> ApiResult {
    let r = StopReq {
        all: r.all,
        images: r.images,
        id: r.id,
        task_id: r.task_id,
        ..StopReq::default()
    };
    stop_registry(st, rc, r, "tcss.ModifyAssetImageRegistryScanStopOneKey").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_types() {
        assert_eq!(scope_of(None, false).unwrap(), 0);
        assert_eq!(scope_of(None, true).unwrap(), 1);
        assert_eq!(scope_of(Some(2), false).unwrap(), 2);
        assert_eq!(
            scope_of(Some(1), false).unwrap_err().code,
            "InvalidParameter.MissingParameter"
        );
        assert!(check_registry_types(&["Harbor".into(), "tcr".into()]).is_ok());
        assert_eq!(
            check_registry_types(&["gitlab".into()]).unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
