//! Image scan tasks and their results. A scan task (local: `CreateAssetImageScanTask`,
//! string `TaskID`; registry: `CreateAssetImageRegistryScanTask`, integer `TaskID`) is a scan
//! group in the store ([`super::groups`]) with one queued task of kind `image` per image:
//!
//! - target `{"image": SOURCE, "image_id": "sha256:...", "registry": {"url", "username",
//!   "password_sealed", "purpose", "insecure", "skip_tls_verify"}}` (`registry` only for
//!   registry images; the password stays sealed, the engine opens it with the master key and
//!   `purpose`; `insecure` is true for `http://` registries, `skip_tls_verify` for `Insecure` 1),
//! - options `{"scanners": [...]}` (a subset of `vuln`, `virus`, `risk`) plus the worker's
//!   `timeout_secs` (the task's `Timeout`), `scope_key` (`tcss:image:<image id>`, so rescans
//!   of an image tell what was fixed) and `finding_kinds`.
//!
//! An image whose latest task is unfinished is "being scanned": a new scan that selects it is
//! refused with `FailedOperation.ErrAlreadyScanning`. Each task counts against the daily scan
//! quota. A task past its `Timeout` is stopped when the account's scans are next read, and
//! reports `SubStatus` `Timeout`.
//!
//! Result lists read the findings the image's latest successful task saw (suppressed ones
//! left out): `image-vuln` → `ImagesVul` / `ImageVul`, `image-virus` → `ImageVirusInfo` /
//! `ImageVirus`, `image-risk` → `ImageRiskInfo` / `ImageRisk`, and the task's components →
//! `ImageComponent`. Levels: 4 critical, 3 high, 2 medium, 1 low (info and unknown too).

use super::groups::{
    self, ended, sub_status, task_status, unfinished, ImageScan, ImageScanItem, ItemFacts,
    NewImageScan, NewScanItem, ScanFacts, LOCAL,
};
use super::images::{find_local, select_local, select_registry, Inventory};
use super::{
    already_scanning, is_all, level, list_rows, missing_sub, numeric_is, rfc3339, AssetFilter, Key,
    ListSpec, Page, Window, BY_DOC, CONTAINER_RUNNING_DOC, FILTERS_DOC, ID_DOC, IMAGE_INFO_DOC,
    MAX_FILTERS, NAME, ORDER_DOC, SCAN_TYPE_DOC, TIMEOUT_DOC,
};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{NoParams, Params};
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use vigil_core::spec::image::{ImageOptions, ImageScanner, ImageTarget, RegistryAccess};
use vigil_core::spec::image_evidence::{
    self, AdvisoryEvidence, RiskEvidence, RiskType, VirusEvidence, VulnEvidence,
};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::{Schedule, TaskSpec, TaskState};
use vigil_store::{
    GroupOrigin, ImageRow, ImageSet, RegistryRow, StopReason, StoredFinding, IMAGE_SCAN_PRODUCT,
};

/// Default `Timeout` of a scan task, seconds.
pub(crate) const DEFAULT_TIMEOUT: i64 = 3600;
/// Longest `Timeout` accepted, seconds (a week).
const MAX_TIMEOUT: i64 = 7 * 86_400;
/// Most images one request may name.
const MAX_IMAGES: usize = 1000;

/// The finding kind a scanner produces.
pub(crate) fn finding_kind(scanner: &str) -> &'static str {
    match scanner {
        "vuln" => "image-vuln",
        "virus" => "image-virus",
        _ => "image-risk",
    }
}

/// The scanners of `ScanVul` / `ScanVirus` / `ScanRisk`; at least one must be on.
pub(crate) fn scanner_list(vul: bool, virus: bool, risk: bool) -> ApiResult<Vec<String>> {
    let out: Vec<String> = [(vul, "vuln"), (virus, "virus"), (risk, "risk")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| s.to_string())
        .collect();
    if out.is_empty() {
        return Err(ApiError::invalid(
            "At least one of `ScanVul`, `ScanVirus` and `ScanRisk` must be true.",
        ));
    }
    Ok(out)
}

/// The queue task that scans one image.
pub(crate) async fn task_spec(
    st: &Services,
    account_id: i64,
    img: &ImageRow,
    registry: Option<&RegistryRow>,
    scanners: &[String],
    timeout_secs: i64,
    window: Option<&Schedule>,
) -> ApiResult<TaskSpec> {
    let registry = match registry {
        Some(reg) => {
            let sealed = st
                .store
                .registry_sealed_password(account_id, reg.id)
                .await?;
            Some(RegistryAccess {
                url: Some(reg.url.clone()),
                username: Some(reg.username.clone()),
                password_sealed: sealed.as_ref().map(|s| s.sealed.clone()),
                purpose: sealed.as_ref().map(|s| s.purpose.clone()),
                insecure: reg.url.to_ascii_lowercase().starts_with("http://"),
                skip_tls_verify: reg.insecure,
                ca_pem: None,
            })
        }
        None => None,
    };
    let engine = EngineSpec::Image(
        ImageTarget {
            image: img.source.clone(),
            image_id: Some(img.image_id.clone()),
            registry,
        },
        ImageOptions {
            scanners: Some(
                scanners
                    .iter()
                    .map(|s| {
                        ImageScanner::parse(s)
                            .ok_or_else(|| ApiError::internal(&format!("no image scanner `{s}`")))
                    })
                    .collect::<ApiResult<_>>()?,
            ),
            platform: None,
        },
    );
    let run = RunOptions {
        timeout_secs: u64::try_from(timeout_secs).ok(),
        scope_key: Some(format!("tcss:image:{}", img.image_id)),
        finding_kinds: Some(
            scanners
                .iter()
                .map(|s| finding_kind(s).to_string())
                .collect(),
        ),
        schedule: window.cloned(),
        ..RunOptions::default()
    };
    let mut spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
    spec.max_attempts = 2;
    Ok(spec)
}

/// What a new scan is made of.
pub(crate) struct ScanPlan<'a> {
    pub(crate) kind: &'a str,
    pub(crate) one_click: bool,
    pub(crate) origin: GroupOrigin,
    pub(crate) scanners: Vec<String>,
    pub(crate) timeout_secs: i64,
    pub(crate) window: Option<Schedule>,
}

/// The scan items of these images; refuses images already being scanned.
pub(crate) async fn build_scan(
    st: &Services,
    account_id: i64,
    inv: &Inventory,
    rows: &[&ImageRow],
    plan: &ScanPlan<'_>,
) -> ApiResult<NewImageScan> {
    let busy: Vec<&str> = rows
        .iter()
        .filter(|r| inv.view(r).scanning())
        .map(|r| r.image_id.as_str())
        .collect();
    if !busy.is_empty() {
        return Err(already_scanning(format!(
            "{} of the selected images are being scanned already (e.g. {}); stop those scans or wait for them.",
            busy.len(),
            busy.iter().take(3).copied().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let spec = task_spec(
            st,
            account_id,
            r,
            inv.registry_of(r),
            &plan.scanners,
            plan.timeout_secs,
            plan.window.as_ref(),
        )
        .await?;
        items.push(NewScanItem {
            subject_row: Some(r.id),
            subject_key: r.image_id.clone(),
            facts: ItemFacts {
                scanners: plan.scanners.clone(),
            },
            spec,
        });
    }
    Ok(NewImageScan {
        product: IMAGE_SCAN_PRODUCT.into(),
        kind: plan.kind.into(),
        origin: plan.origin,
        timeout_secs: plan.timeout_secs,
        facts: ScanFacts {
            one_click: plan.one_click,
            scanners: plan.scanners.clone(),
        },
        items,
    })
}

impl<'a> ScanPlan<'a> {
    /// A scan requested over the API: its own timeout (else the default), no runtime window.
    pub(crate) fn api(
        kind: &'a str,
        one_click: bool,
        scanners: Vec<String>,
        timeout: Option<i64>,
    ) -> Self {
        ScanPlan {
            kind,
            one_click,
            origin: GroupOrigin::Api,
            scanners,
            timeout_secs: timeout.filter(|t| *t > 0).unwrap_or(DEFAULT_TIMEOUT),
            window: None,
        }
    }
}

/// [`start_scan`], audited as `action` with the scan id and image count.
pub(crate) async fn start_audited(
    st: &Services,
    rc: &RequestCtx,
    inv: &Inventory,
    rows: &[&ImageRow],
    plan: &ScanPlan<'_>,
    action: &str,
) -> ApiResult<ImageScan> {
    let scan = start_scan(st, rc.account.id, inv, rows, plan).await?;
    crate::products::audit(
        st,
        rc,
        action,
        &format!("{} ({} images)", scan.id, rows.len()),
    )
    .await?;
    Ok(scan)
}

/// Create a scan of these images (quota checked).
pub(crate) async fn start_scan(
    st: &Services,
    account_id: i64,
    inv: &Inventory,
    rows: &[&ImageRow],
    plan: &ScanPlan<'_>,
) -> ApiResult<ImageScan> {
    let scan = build_scan(st, account_id, inv, rows, plan).await?;
    crate::products::check_quota(st, account_id, NAME, rows.len() as i64).await?;
    Ok(st.store.create_image_scan(account_id, &scan).await?)
}

pub(super) fn no_images() -> ApiError {
    ApiError::not_found(
        "No images to scan: none match the selection (add local images with `vigil image import`, registry images with SyncAssetImageRegistryAsset).",
    )
}

pub(super) fn dedup(rows: Vec<&ImageRow>) -> Vec<&ImageRow> {
    let mut seen = HashSet::new();
    rows.into_iter().filter(|r| seen.insert(r.id)).collect()
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateReq {
    /// Scan all images (deprecated; ScanScope 0).
    all: Option<bool>,
    /// Image ids to scan.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    images: Vec<String>,
    /// Look for vulnerable packages.
    scan_vul: Option<bool>,
    /// Look for viruses and malicious files.
    scan_virus: Option<bool>,
    /// Look for secrets, sensitive files, risky configuration.
    scan_risk: Option<bool>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    /// Image ids left out of a Filters or all-images selection.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    exclude_image_ids: Vec<String>,
    #[param(doc = CONTAINER_RUNNING_DOC)]
    container_running: Option<bool>,
    /// 0 all images, 1 Images, 2 recommended (critical/high vulnerabilities), 3 clusters (not
    /// supported).
    #[param(range(0, 3))]
    scan_scope: Option<i64>,
    #[param(doc = TIMEOUT_DOC, range(0, MAX_TIMEOUT))]
    timeout: Option<i64>,
    /// A one-click scan (what DescribeAssetImageScanTask reports).
    is_one_click_scanning_task: Option<bool>,
    /// Cluster ids (not supported).
    #[serde(default, rename = "ClusterIDs")]
    #[param(max_items = 100)]
    cluster_ids: Vec<String>,
}

/// Local images named by id; an unknown id is `ResourceNotFound`.
fn named_local<'a>(inv: &'a Inventory, ids: &[String]) -> ApiResult<Vec<&'a ImageRow>> {
    ids.iter().map(|i| find_local(inv, i)).collect()
}

/// Local images with critical or high vulnerabilities (a fix available or not).
pub(crate) fn recommended(inv: &Inventory) -> Vec<&ImageRow> {
    inv.images
        .iter()
        .filter(|i| {
            let v = inv.view(i);
            v.is_suggest() || v.recommended_fix()
        })
        .collect()
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, r: CreateReq) -> ApiResult {
    let scanners = scanner_list(
        r.scan_vul.unwrap_or(false),
        r.scan_virus.unwrap_or(false),
        r.scan_risk.unwrap_or(false),
    )?;
    let inv = Inventory::load(st, rc.account.id, ImageSet::Local).await?;
    let all = || inv.images.iter().collect::<Vec<_>>();
    let (mut rows, excludable) = match r.scan_scope {
        Some(1) => {
            if r.images.is_empty() {
                return Err(missing_sub("`ScanScope` 1 needs `Images`."));
            }
            (named_local(&inv, &r.images)?, false)
        }
        Some(2) => (recommended(&inv), true),
        Some(3) => {
            if r.cluster_ids.is_empty() {
                return Err(missing_sub("`ScanScope` 3 needs `ClusterIDs`."));
            }
            return Err(ApiError::unsupported(
                "Vigil does not track clusters; select images with Images or Filters.",
            ));
        }
        Some(_) => (all(), true),
        None if !r.images.is_empty() => (named_local(&inv, &r.images)?, false),
        None if !r.filters.is_empty() => {
            let ids: HashSet<i64> = select_local(&inv, &r.filters)?
                .iter()
                .filter_map(|v| v.get("_Id").and_then(Value::as_i64))
                .collect();
            (
                inv.images.iter().filter(|i| ids.contains(&i.id)).collect(),
                true,
            )
        }
        // `All`, or no selector at all: every image (ScanScope 0).
        None => {
            let _ = r.all;
            (all(), true)
        }
    };
    if excludable {
        rows.retain(|i| !r.exclude_image_ids.contains(&i.image_id));
    }
    if r.container_running.unwrap_or(false) {
        // Vigil knows no containers: no image has a running one.
        rows.clear();
    }
    let rows = dedup(rows);
    if rows.is_empty() {
        return Err(no_images());
    }
    let one_click = r.is_one_click_scanning_task.unwrap_or(false);
    let plan = ScanPlan::api(LOCAL, one_click, scanners, r.timeout);
    let scan = start_audited(st, rc, &inv, &rows, &plan, "tcss.CreateAssetImageScanTask").await?;
    Ok(json!({"TaskID": scan.id.to_string()}))
}

fn task_not_found(raw: &str) -> ApiError {
    ApiError::not_found(format!(
        "Scan task `{}` does not exist.",
        raw.chars().take(64).collect::<String>()
    ))
}

/// A scan of the account by its `TaskID` text.
pub(super) async fn scan_by_id(st: &Services, account_id: i64, raw: &str) -> ApiResult<ImageScan> {
    let id: i64 = raw.trim().parse().map_err(|_| task_not_found(raw))?;
    st.store
        .scan_group(account_id, IMAGE_SCAN_PRODUCT, id)
        .await
        .map_err(|e| match e {
            vigil_store::StoreError::NotFound => task_not_found(raw),
            other => other.into(),
        })
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StatusReq {
    /// Task id; omitted: the latest local scan task.
    #[serde(rename = "TaskID")]
    #[param(max_len = 64)]
    task_id: Option<String>,
}

pub(super) async fn status(st: &Services, rc: &RequestCtx, r: StatusReq) -> ApiResult {
    let account = rc.account.id;
    groups::expire(st, account).await?;
    let scan = match r.task_id.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(raw) => scan_by_id(st, account, raw).await?,
        None => groups::scans(st, account, Some(LOCAL), 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("There is no image scan task yet."))?,
    };
    let items = groups::items(st, account, scan.id).await?;
    let p = progress_of(st, account, &items).await?;
    Ok(json!({
        "ImageTotal": p.total, "ImageScanCnt": p.scanned, "Status": p.status,
        "Schedule": p.schedule, "SuccessCount": p.safe, "RiskCount": p.risky,
        "LeftSeconds": p.left_secs,
    }))
}

/// Progress of a scan's items, as the status actions report it.
pub(super) struct Progress {
    /// Images.
    pub(super) total: u64,
    /// Images whose task ended.
    pub(super) scanned: u64,
    /// `READY`, `SCANNING` or `END`.
    pub(super) status: &'static str,
    /// Percent done.
    pub(super) schedule: u64,
    /// Scanned successfully and nothing found.
    pub(super) safe: u64,
    /// Scanned successfully with vulnerabilities, viruses or risks.
    pub(super) risky: u64,
    /// Estimated seconds left.
    pub(super) left_secs: u64,
}

/// The progress of these scan items (succeeded tasks' summaries read from the store).
pub(super) async fn progress_of(
    st: &Services,
    account: i64,
    items: &[ImageScanItem],
) -> ApiResult<Progress> {
    let total = items.len() as u64;
    let done: Vec<&ImageScanItem> = items.iter().filter(|i| !unfinished(i.task.state)).collect();
    let ok: Vec<i64> = done
        .iter()
        .filter(|i| i.task.state == TaskState::Succeeded)
        .map(|i| i.task.id)
        .collect();
    let sums = st.store.scan_summaries(account, &ok).await?;
    let risky = sums.values().filter(|s| s.has_risk()).count() as u64;
    let status = task_status(items);
    let scanned = done.len() as u64;
    let durations: Vec<i64> = done
        .iter()
        .filter_map(|i| Some(i.task.finished_at? - i.task.started_at?))
        .filter(|d| *d >= 0)
        .collect();
    let per_image = if durations.is_empty() {
        60
    } else {
        (durations.iter().sum::<i64>() / durations.len() as i64 / 1000).max(1)
    };
    let (schedule, left_secs) = if status == "END" {
        (100, 0)
    } else {
        (
            scanned * 100 / total.max(1),
            (total - scanned) * per_image as u64,
        )
    };
    Ok(Progress {
        total,
        scanned,
        status,
        schedule,
        safe: (ok.len() as u64).saturating_sub(risky),
        risky,
        left_secs,
    })
}

pub(super) async fn task(st: &Services, rc: &RequestCtx, _p: NoParams) -> ApiResult {
    let account = rc.account.id;
    groups::expire(st, account).await?;
    let scans = groups::scans(st, account, Some(LOCAL), 50).await?;
    let mut chosen: Option<(ImageScan, Vec<ImageScanItem>)> = None;
    let mut last_one_click = None;
    for s in scans.iter().filter(|s| s.facts.one_click) {
        let items = groups::items(st, account, s.id).await?;
        if !ended(&items) {
            chosen = Some((s.clone(), items));
            break;
        }
        if last_one_click.is_none() {
            last_one_click = Some((s.clone(), items));
        }
    }
    let chosen = match chosen.or(last_one_click) {
        Some(c) => c,
        None => match scans.first() {
            Some(s) => (s.clone(), groups::items(st, account, s.id).await?),
            None => return Err(ApiError::not_found("There is no image scan task yet.")),
        },
    };
    let (scan, items) = chosen;
    Ok(json!({
        "TaskID": scan.id.to_string(), "LastScanTime": time_str(scan.created_at),
        "Status": task_status(&items), "SubStatus": sub_status(&scan, &items),
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StopReq {
    /// Stop this task.
    #[serde(rename = "TaskID")]
    #[param(max_len = 64)]
    task_id: Option<String>,
    /// Stop the scans of these image ids.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    images: Vec<String>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    /// Image ids left out of the Filters selection: a JSON array or a comma list.
    #[param(max_len = 200_000)]
    exclude_image_ids: Option<String>,
}

/// `ExcludeImageIds` of a stop request: a JSON array of ids, or ids separated by commas.
fn parse_excluded(raw: &str) -> ApiResult<Vec<String>> {
    let raw = raw.trim();
    if raw.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(raw).map_err(|e| {
            ApiError::new(
                Code::InvalidFormat,
                format!("`ExcludeImageIds` is not a JSON array of strings: {e}"),
            )
        });
    }
    Ok(raw
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

pub(super) async fn stop(st: &Services, rc: &RequestCtx, r: StopReq) -> ApiResult {
    let account = rc.account.id;
    let detail = if let Some(raw) = r.task_id.as_deref().filter(|t| !t.trim().is_empty()) {
        let scan = scan_by_id(st, account, raw).await?;
        st.store
            .stop_scan_group(account, scan.id, StopReason::Cancel)
            .await?;
        format!("task {}", scan.id)
    } else {
        let inv = Inventory::load(st, account, ImageSet::Local).await?;
        let rows: Vec<&ImageRow> = if !r.images.is_empty() {
            named_local(&inv, &r.images)?
        } else if !r.filters.is_empty() {
            let excluded = parse_excluded(r.exclude_image_ids.as_deref().unwrap_or(""))?;
            let ids: HashSet<i64> = select_local(&inv, &r.filters)?
                .iter()
                .filter_map(|v| v.get("_Id").and_then(Value::as_i64))
                .collect();
            inv.images
                .iter()
                .filter(|i| ids.contains(&i.id) && !excluded.contains(&i.image_id))
                .collect()
        } else {
            return Err(missing_sub(
                "Name what to stop: `TaskID`, `Images` or `Filters`.",
            ));
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let n = st.store.stop_image_tasks(account, &ids).await?;
        format!("{n} image scans")
    };
    crate::products::audit(st, rc, "tcss.ModifyAssetImageScanStop", &detail).await?;
    Ok(json!({"Status": "SUCCESS"}))
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ImageInfoReq {
    /// Registry name.
    #[param(max_len = 256)]
    instance_name: String,
    /// Namespace.
    #[param(max_len = 512)]
    namespace: String,
    /// Repository name (last path component, or the full path).
    #[param(max_len = 512)]
    image_name: String,
    /// Tag.
    #[param(max_len = 256)]
    image_tag: String,
    /// "true": scan even when already scanned; "false": skip images already scanned.
    #[param(max_len = 8)]
    force: String,
    /// Manifest digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(max_len = 128)]
    image_digest: Option<String>,
    /// Registry type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(max_len = 32)]
    registry_type: Option<String>,
    /// Repository address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(max_len = 1024)]
    image_repo_address: Option<String>,
    /// Registry instance id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(max_len = 128)]
    instance_id: Option<String>,
}

impl ImageInfoReq {
    pub(super) fn force(&self) -> ApiResult<bool> {
        match self.force.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" | "" => Ok(false),
            other => Err(ApiError::invalid_value(format!(
                "`Force` must be \"true\" or \"false\", not `{other}`."
            ))),
        }
    }
}

/// The registry image an `ImageInfo` names.
pub(super) fn find_by_info<'a>(inv: &'a Inventory, info: &ImageInfoReq) -> ApiResult<&'a ImageRow> {
    let opt_eq = |want: &Option<String>, have: &str| {
        want.as_deref()
            .map(str::trim)
            .is_none_or(|w| w.is_empty() || w == have)
    };
    inv.images
        .iter()
        .find(|r| {
            let Some(reg) = inv.registry_of(r) else {
                return false;
            };
            let last = r.repository.rsplit('/').next().unwrap_or("");
            let address = format!(
                "{}/{}",
                super::images::registry_host(&reg.url),
                r.repository
            );
            reg.name == info.instance_name
                && r.namespace == info.namespace
                && (last == info.image_name || r.repository == info.image_name)
                && r.tag == info.image_tag
                && opt_eq(&info.image_digest, &r.digest)
                && opt_eq(&info.registry_type, &reg.registry_type)
                && opt_eq(&info.image_repo_address, &address)
                && opt_eq(&info.instance_id, &reg.instance_id)
        })
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No registry image {}/{}/{}:{} (sync the registry first).",
                info.instance_name, info.namespace, info.image_name, info.image_tag
            ))
        })
}

/// A registry image by row id.
pub(super) fn find_registry_image(inv: &Inventory, id: i64) -> ApiResult<&ImageRow> {
    inv.images
        .iter()
        .find(|r| r.id == id && r.registry_id.is_some())
        .ok_or_else(|| ApiError::not_found(format!("Registry image {id} does not exist.")))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryCreateReq {
    /// Scan every registry image.
    all: Option<bool>,
    /// Images by registry, namespace, name and tag.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    images: Vec<ImageInfoReq>,
    #[param(doc = SCAN_TYPE_DOC, max_items = 3)]
    scan_type: Option<Vec<String>>,
    /// Registry image ids.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    id: Vec<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    /// Registry image ids left out.
    #[serde(default)]
    #[param(max_items = MAX_IMAGES)]
    exclude_image_list: Vec<i64>,
    /// Only the newest image of each repository.
    only_scan_latest: Option<bool>,
    #[param(doc = TIMEOUT_DOC, range(0, MAX_TIMEOUT))]
    timeout: Option<i64>,
}

/// Scanners of a registry `ScanType` (absent or empty: all three).
pub(super) fn registry_scanners(types: &Option<Vec<String>>) -> ApiResult<Vec<String>> {
    let types = types.clone().unwrap_or_default();
    if types.is_empty() {
        return Ok(vec!["vuln".into(), "virus".into(), "risk".into()]);
    }
    let mut out: Vec<String> = Vec::new();
    for t in &types {
        let s = match t.trim().to_ascii_uppercase().as_str() {
            "CVE" => "vuln",
            "VIRUS" => "virus",
            "RISK" => "risk",
            _ => {
                return Err(ApiError::invalid_value(format!(
                    "`ScanType` `{t}` is not one of CVE, VIRUS, RISK."
                )))
            }
        };
        if !out.iter().any(|o| o == s) {
            out.push(s.into());
        }
    }
    Ok(out)
}

pub(super) async fn registry_create(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryCreateReq,
) -> ApiResult {
    let scanners = registry_scanners(&r.scan_type)?;
    let inv = Inventory::load(st, rc.account.id, ImageSet::Registry).await?;
    let mut skipped = 0;
    let mut rows: Vec<&ImageRow> = if r.all.unwrap_or(false) {
        inv.images.iter().collect()
    } else if !r.images.is_empty() || !r.id.is_empty() {
        let mut out = Vec::new();
        for id in &r.id {
            out.push(find_registry_image(&inv, *id)?);
        }
        for info in &r.images {
            let force = info.force()?;
            let row = find_by_info(&inv, info)?;
            if !force && inv.view(row).status() == "SCANNED" {
                skipped += 1;
                continue;
            }
            out.push(row);
        }
        out
    } else if !r.filters.is_empty() {
        let ids: HashSet<i64> = select_registry(&inv, &r.filters)?
            .iter()
            .filter_map(|v| v.get("Id").and_then(Value::as_i64))
            .collect();
        inv.images.iter().filter(|i| ids.contains(&i.id)).collect()
    } else {
        return Err(missing_sub(
            "Select images: `All`, `Images`, `Id` or `Filters`.",
        ));
    };
    rows.retain(|i| !r.exclude_image_list.contains(&i.id));
    if r.only_scan_latest.unwrap_or(false) {
        rows.retain(|i| inv.view(i).is_latest());
    }
    let rows = dedup(rows);
    if rows.is_empty() {
        if skipped > 0 {
            // Every named image is scanned already and `Force` is false: nothing to do.
            return Ok(json!({}));
        }
        return Err(no_images());
    }
    let plan = ScanPlan::api("registry", false, scanners, r.timeout);
    let action = "tcss.CreateAssetImageRegistryScanTask";
    let scan = start_audited(st, rc, &inv, &rows, &plan, action).await?;
    Ok(json!({"TaskID": scan.id}))
}

// ------------------------------------------------------------------------------------------
// Result lists

/// The CVE (or advisory) id of a vulnerability finding.
fn cve_id(f: &StoredFinding, adv: &AdvisoryEvidence) -> String {
    if let Some(c) = f.finding.cve.first() {
        return c.clone();
    }
    adv.aliases
        .iter()
        .find(|x| x.starts_with("CVE-"))
        .unwrap_or(&adv.id)
        .clone()
}

/// Whether a package ecosystem is an operating-system package manager.
fn system_package(ecosystem: &str) -> bool {
    matches!(
        ecosystem.to_ascii_lowercase().as_str(),
        "deb" | "apk" | "rpm" | "debian" | "ubuntu" | "alpine" | "os"
    ) || ecosystem.to_ascii_lowercase().starts_with("alpine")
        || ecosystem.to_ascii_lowercase().starts_with("debian")
}

/// Everything a vulnerability row is made of, from the image engine's typed evidence.
struct Vul<'a> {
    f: &'a StoredFinding,
    level: u64,
    cve: String,
    name: String,
    version: String,
    path: String,
    /// The layer that installed the package: its digest and build step, where recorded.
    layer: Option<(String, String)>,
    ecosystem: String,
    fixed: Option<String>,
    score: Option<f64>,
    vector: String,
    references: Vec<String>,
    published: String,
    /// Advisory details, else its summary.
    text: Option<String>,
}

fn vul(f: &StoredFinding) -> Vul<'_> {
    let e: VulnEvidence = image_evidence::read(&f.finding.evidence);
    let pkg = e.package;
    let adv = e.advisory;
    let cvss = adv.cvss.clone().unwrap_or_default();
    let v3 = cvss.version.starts_with('3') || cvss.vector.starts_with("CVSS:3");
    Vul {
        f,
        level: level(f.finding.severity),
        cve: cve_id(f, &adv),
        name: pkg.name,
        version: pkg.version,
        path: match pkg.path.as_str() {
            "" => f.finding.path.clone().unwrap_or_default(),
            _ => pkg.path,
        },
        layer: pkg
            .layer_digest
            .map(|d| (d, pkg.layer_cmd.unwrap_or_default())),
        ecosystem: pkg.ecosystem,
        fixed: e
            .fixed_version
            .filter(|v| !v.is_empty() && f.finding.fixable),
        score: adv.cvss.as_ref().map(|c| c.score).filter(|_| v3),
        vector: if v3 { cvss.vector } else { String::new() },
        references: adv.references,
        published: adv.published.unwrap_or_default(),
        text: [adv.details, adv.summary]
            .into_iter()
            .flatten()
            .find(|d| !d.is_empty()),
    }
}

impl Vul<'_> {
    fn description(&self) -> String {
        self.text
            .clone()
            .or_else(|| self.f.finding.description.clone())
            .unwrap_or_else(|| self.f.finding.title.clone())
    }
    fn solution(&self) -> String {
        match &self.fixed {
            Some(v) => format!("Upgrade {} to {v} or later.", self.name),
            None => format!(
                "No fixed version of {} is available yet; follow advisory {} for a fix or mitigation.",
                self.name, self.cve
            ),
        }
    }
    fn defense(&self) -> String {
        match &self.fixed {
            Some(v) => format!(
                "Rebuild the image with {} {v} or later and redeploy its containers.",
                self.name
            ),
            None => format!(
                "Remove {} from the image if it is not needed, or limit exposure of the affected function until a fix is released.",
                self.name
            ),
        }
    }
    fn suggest(&self) -> bool {
        self.level >= 3 && self.fixed.is_some()
    }
    fn tags(&self) -> Vec<&'static str> {
        if self.fixed.is_some() {
            vec!["CanBeFixed"]
        } else {
            vec![]
        }
    }
    fn category(&self) -> String {
        self.f.finding.cwe.first().cloned().unwrap_or_default()
    }
    fn category_type(&self) -> &'static str {
        if system_package(&self.ecosystem) {
            "SYSTEM"
        } else {
            "WEB"
        }
    }
    fn component_type(&self) -> &'static str {
        self.category_type()
    }
}

/// `YYYY-MM-DD HH:MM:SS` of an RFC 3339 time (as given when it does not parse).
fn plain_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_string())
}

fn local_vul_row(v: &Vul<'_>) -> Value {
    json!({
        "CVEID": v.cve, "Name": v.f.finding.title, "Component": v.name, "Version": v.version,
        "Category": v.category(), "CategoryType": v.category_type(), "Level": v.level,
        "Des": v.description(), "OfficialSolution": v.solution(),
        "Reference": serde_json::to_string(&v.references).unwrap_or_else(|_| "[]".into()),
        "DefenseSolution": v.defense(), "SubmitTime": v.published,
        "CVSSV3Score": v.score.unwrap_or(0.0), "CVSSV3Desc": v.vector, "IsSuggest": v.suggest(),
        "FixedVersions": v.fixed.as_deref().unwrap_or(""), "Tag": v.tags(), "AttackLevel": 0,
        "_Id": v.f.id,
    })
}

fn level_key(row: &Value, v: &str) -> Option<bool> {
    numeric_is(row, "Level", v, true)
}
fn risk_level_key(row: &Value, v: &str) -> Option<bool> {
    numeric_is(row, "RiskLevel", v, true)
}
fn behavior_key(row: &Value, v: &str) -> Option<bool> {
    numeric_is(row, "Behavior", v, false)
}
fn type_key(row: &Value, v: &str) -> Option<bool> {
    match v.trim().parse::<u64>() {
        Ok(1 | 2) => numeric_is(row, "Type", v, false),
        _ => None,
    }
}
fn tag_key(row: &Value, v: &str) -> Option<bool> {
    Some(
        row.get("Tag")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(v.trim()))),
    )
}

/// Filters and sorts of local image vulnerabilities.
pub(crate) const VUL_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("Name", Key::Text(&["Name", "CVEID"])),
        ("Level", Key::Enum(level_key)),
        ("CVEID", Key::Text(&["CVEID"])),
        ("Component", Key::Text(&["Component"])),
        ("Tag", Key::Enum(tag_key)),
    ],
    sorts: &[
        ("Level", "Level"),
        ("CVSSV3Score", "CVSSV3Score"),
        ("SubmitTime", "SubmitTime"),
        ("Name", "Name"),
        ("CVEID", "CVEID"),
        ("Component", "Component"),
    ],
    default: ("Level", true),
};

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResultReq {
    /// Image id (sha256:...).
    #[serde(rename = "ImageID")]
    #[param(max_len = 128)]
    image_id: String,
    #[serde(flatten)]
    page: Page,
}

/// The latest successful scan of a local image and its unsuppressed findings of `kind`.
async fn local_results(
    st: &Services,
    account_id: i64,
    image_id: &str,
    kind: &str,
) -> ApiResult<(Inventory, i64, Option<i64>, Vec<StoredFinding>)> {
    let inv = Inventory::load(st, account_id, ImageSet::Local).await?;
    let row = find_local(&inv, image_id)?.id;
    let (task, findings) = results_of(st, account_id, &inv, row, kind).await?;
    Ok((inv, row, task, findings))
}

async fn results_of(
    st: &Services,
    account_id: i64,
    inv: &Inventory,
    row: i64,
    kind: &str,
) -> ApiResult<(Option<i64>, Vec<StoredFinding>)> {
    let Some(task) = inv.latest_ok(row).map(|i| i.task.id) else {
        return Ok((None, vec![]));
    };
    let findings = st
        .store
        .findings_seen_by(account_id, task)
        .await?
        .into_iter()
        .filter(|f| f.finding.kind == kind && !f.status.is_suppressed())
        .collect();
    Ok((Some(task), findings))
}

/// The vulnerability rows (helpers kept) of a local image, before filtering.
pub(crate) async fn local_vul_rows(
    st: &Services,
    account_id: i64,
    image_id: &str,
) -> ApiResult<Vec<Value>> {
    let (_, _, _, findings) = local_results(st, account_id, image_id, "image-vuln").await?;
    Ok(findings.iter().map(|f| local_vul_row(&vul(f))).collect())
}

pub(super) async fn vul_list(st: &Services, rc: &RequestCtx, r: ResultReq) -> ApiResult {
    let rows = local_vul_rows(st, rc.account.id, &r.image_id).await?;
    let (total, list) = list_rows(rows, &r.page, &VUL_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// Detection platform of a virus finding: `1` the scan engine (YARA rules), `5` threat
/// intelligence (hash lists).
fn platform(source: &str) -> &'static str {
    if source == "hash-list" {
        "5"
    } else {
        "1"
    }
}

/// File type of a path by its extension (`UNKNOWN` otherwise).
fn file_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "php" | "php5" | "phtml" => "PHP",
        "jsp" | "jspx" => "JSP",
        "asp" | "aspx" => "ASP",
        "sh" | "bash" => "SHELL",
        "py" => "PYTHON",
        "pl" => "PERL",
        "js" => "JAVASCRIPT",
        "jar" | "war" => "JAR",
        "so" => "ELF",
        "exe" | "dll" => "PE",
        _ => "UNKNOWN",
    }
}

struct Virus<'a> {
    f: &'a StoredFinding,
    path: String,
    e: VirusEvidence,
}

fn virus(f: &StoredFinding) -> Virus<'_> {
    let e: VirusEvidence = image_evidence::read(&f.finding.evidence);
    let path = match e.file.as_str() {
        "" => f.finding.path.clone().unwrap_or_default(),
        p => p.to_string(),
    };
    Virus { f, path, e }
}

impl Virus<'_> {
    fn name(&self) -> String {
        match self.e.rule.as_str() {
            "" => self.f.finding.title.clone(),
            r => r.to_string(),
        }
    }
    fn desc(&self) -> String {
        match self.e.description.as_str() {
            "" => self
                .f
                .finding
                .description
                .clone()
                .unwrap_or_else(|| self.f.finding.title.clone()),
            d => d.to_string(),
        }
    }
    fn category(&self) -> &str {
        self.e.category.as_deref().unwrap_or("")
    }
    fn tags(&self) -> Vec<String> {
        match self.category() {
            "" => vec![],
            c => vec![c.to_string()],
        }
    }
    fn md5(&self) -> &str {
        self.e.md5.as_deref().unwrap_or("")
    }
}

fn local_virus_row(v: &Virus<'_>) -> Value {
    json!({
        "Path": v.path, "RiskLevel": level(v.f.finding.severity), "VirusName": v.name(),
        "Tags": v.tags(), "Desc": v.desc(), "Solution": v.e.remediation, "Size": v.e.size,
        "FirstScanTime": time_str(v.f.first_seen), "LatestScanTime": time_str(v.f.last_seen),
        "Md5": v.md5(), "FileName": file_name(&v.path),
        "CheckPlatform": [platform(&v.e.source)],
        "_First": v.f.first_seen, "_Last": v.f.last_seen,
    })
}

/// Filters and sorts of local image viruses.
pub(crate) const VIRUS_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("Name", Key::Text(&["VirusName", "FileName", "Path"])),
        ("RiskLevel", Key::Enum(risk_level_key)),
        ("Level", Key::Enum(risk_level_key)),
    ],
    sorts: &[
        ("LatestScanTime", "_Last"),
        ("FirstScanTime", "_First"),
        ("RiskLevel", "RiskLevel"),
        ("Size", "Size"),
        ("VirusName", "VirusName"),
        ("Path", "Path"),
    ],
    default: ("RiskLevel", true),
};

/// Virus scan state of an image: 0 not scanned, 1 scanning, 2 finished, 3 error, 4
/// cancelled (its latest virus scan was stopped).
fn virus_scan_status(inv: &Inventory, row: &ImageRow) -> u64 {
    let v = inv.view(row);
    match v.scanner_status("virus") {
        "SCANNING" => 1,
        "SCANNED" => 2,
        "SCAN_ERR" => 3,
        _ if v.latest_stopped("virus") => 4,
        _ => 0,
    }
}

/// The virus rows (helpers kept) of a local image, before filtering, and its virus scan
/// state.
async fn local_virus_rows_and_status(
    st: &Services,
    account_id: i64,
    image_id: &str,
) -> ApiResult<(Vec<Value>, u64)> {
    let (inv, row, _, findings) = local_results(st, account_id, image_id, "image-virus").await?;
    let rows: Vec<Value> = findings
        .iter()
        .map(|f| local_virus_row(&virus(f)))
        .collect();
    let status = inv
        .images
        .iter()
        .find(|i| i.id == row)
        .map(|i| virus_scan_status(&inv, i))
        .unwrap_or(0);
    Ok((rows, status))
}

/// The virus rows (helpers kept) of a local image, before filtering.
pub(crate) async fn local_virus_rows(
    st: &Services,
    account_id: i64,
    image_id: &str,
) -> ApiResult<Vec<Value>> {
    Ok(local_virus_rows_and_status(st, account_id, image_id)
        .await?
        .0)
}

pub(super) async fn virus_list(st: &Services, rc: &RequestCtx, r: ResultReq) -> ApiResult {
    let (rows, status) = local_virus_rows_and_status(st, rc.account.id, &r.image_id).await?;
    let (total, list) = list_rows(rows, &r.page, &VIRUS_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total, "VirusScanStatus": status}))
}

/// Risk behaviour code: 1 risky configuration, 2 sensitive file, 3 secret or credential.
fn behavior(kind: RiskType) -> u64 {
    match kind {
        RiskType::Config => 1,
        RiskType::SensitiveFile => 2,
        RiskType::Secret => 3,
    }
}

struct Risk<'a> {
    f: &'a StoredFinding,
    e: RiskEvidence,
}

fn risk(f: &StoredFinding) -> Risk<'_> {
    Risk {
        f,
        e: image_evidence::read(&f.finding.evidence),
    }
}

impl Risk<'_> {
    fn file(&self) -> String {
        match self.e.file.as_deref().unwrap_or("") {
            "" => self.f.finding.path.clone().unwrap_or_default(),
            p => p.to_string(),
        }
    }
    /// 1: found in a file of the image; 2: found in the image configuration (history, env).
    fn ty(&self) -> u64 {
        if self.file().is_empty() {
            2
        } else {
            1
        }
    }
    fn desc(&self) -> String {
        match self.e.description.as_str() {
            "" => self.f.finding.title.clone(),
            d => d.to_string(),
        }
    }
    /// Where it is: the masked evidence, prefixed with the file and line.
    fn instruction(&self) -> String {
        let file = self.file();
        let masked = self.e.masked.as_str();
        let at = match self.e.line {
            Some(l) if !file.is_empty() => format!("{file}:{l}"),
            _ => file,
        };
        match (at.is_empty(), masked.is_empty()) {
            (true, _) => masked.to_string(),
            (false, true) => at,
            (false, false) => format!("{at}: {masked}"),
        }
    }
}

fn local_risk_row(r: &Risk<'_>) -> Value {
    json!({
        "Behavior": behavior(r.e.kind), "Type": r.ty(),
        "Level": level(r.f.finding.severity), "Desc": r.desc(),
        "InstructionContent": r.instruction(),
    })
}

/// Filters and sorts of image risks (local and registry).
pub(crate) const RISK_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("Level", Key::Enum(level_key)),
        ("Behavior", Key::Enum(behavior_key)),
        ("Type", Key::Enum(type_key)),
        ("Name", Key::Text(&["Desc", "InstructionContent"])),
    ],
    sorts: &[
        ("Level", "Level"),
        ("Behavior", "Behavior"),
        ("Type", "Type"),
    ],
    default: ("Level", true),
};

/// The risk rows of a local image, before filtering.
pub(crate) async fn local_risk_rows(
    st: &Services,
    account_id: i64,
    image_id: &str,
) -> ApiResult<Vec<Value>> {
    let (_, _, _, findings) = local_results(st, account_id, image_id, "image-risk").await?;
    Ok(findings.iter().map(|f| local_risk_row(&risk(f))).collect())
}

pub(super) async fn risk_list(st: &Services, rc: &RequestCtx, r: ResultReq) -> ApiResult {
    let rows = local_risk_rows(st, rc.account.id, &r.image_id).await?;
    let (total, list) = list_rows(rows, &r.page, &RISK_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

fn has_vul_key(row: &Value, v: &str) -> Option<bool> {
    let n = row.get("VulCount").and_then(Value::as_u64).unwrap_or(0);
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(n > 0),
        "false" | "0" => Some(n == 0),
        _ => None,
    }
}

fn vul_level_key(row: &Value, v: &str) -> Option<bool> {
    let want = super::parse_level(v)?;
    Some(
        row.get("_Levels")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|l| l.as_u64() == Some(want))),
    )
}

const COMPONENT_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("ComponentName", Key::Text(&["Name"])),
        ("ComponentVersion", Key::Text(&["Version"])),
        ("ComponentType", Key::Text(&["Type", "_Kind"])),
        ("VulLevel", Key::Enum(vul_level_key)),
        ("HasVul", Key::Enum(has_vul_key)),
    ],
    sorts: &[
        ("VulCount", "VulCount"),
        ("Name", "Name"),
        ("Version", "Version"),
        ("Type", "Type"),
    ],
    default: ("VulCount", true),
};

pub(super) async fn component_list(st: &Services, rc: &RequestCtx, mut r: ResultReq) -> ApiResult {
    // `ALL` as a text value of these keys means no filter too.
    for f in &mut r.page.filters {
        f.values.retain(|v| !is_all(v));
    }
    let (_, _, task, findings) =
        local_results(st, rc.account.id, &r.image_id, "image-vuln").await?;
    let components = match task {
        Some(t) => st.store.components_of_task(rc.account.id, t).await?,
        None => vec![],
    };
    let vuls: Vec<Vul<'_>> = findings.iter().map(vul).collect();
    let image_id = r.image_id.trim().to_string();
    let rows: Vec<Value> = components
        .iter()
        .filter(|c| c.kind != "os")
        .map(|c| {
            let version = c.version.clone().unwrap_or_default();
            let levels: Vec<u64> = vuls
                .iter()
                .filter(|v| v.name == c.name && v.version == version)
                .map(|v| v.level)
                .collect();
            json!({
                "Name": c.name, "Version": version, "Path": c.path.clone().unwrap_or_default(),
                "Type": if system_package(&c.kind) { "SYSTEM_COMPONENT" } else { "WEB_COMPONENT" },
                "VulCount": levels.len(), "ImageID": image_id,
                "_Levels": levels, "_Kind": c.kind,
            })
        })
        .collect();
    let (total, list) = list_rows(rows, &r.page, &COMPONENT_SPEC)?;
    Ok(json!({"TotalCount": total, "List": list}))
}

/// Which registry image a result request names.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RegistryResultReq {
    #[param(doc = IMAGE_INFO_DOC)]
    image_info: Option<ImageInfoReq>,
    #[param(doc = ID_DOC)]
    id: Option<i64>,
}

/// A registry image's vulnerabilities or viruses: paging (no sort), then the image.
#[derive(Deserialize, Params)]
pub(super) struct RegistryListReq {
    #[serde(flatten)]
    window: Window,
    #[serde(flatten)]
    image: RegistryResultReq,
}

/// A registry image's risks: paging, the image's `ImageInfo`, sorting, the image's `Id`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryRiskReq {
    #[serde(flatten)]
    window: Window,
    #[param(doc = IMAGE_INFO_DOC)]
    image_info: Option<ImageInfoReq>,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
    #[param(doc = ID_DOC)]
    id: Option<i64>,
}

/// The registry image of a result request and its unsuppressed findings of `kind`.
async fn registry_results(
    st: &Services,
    account_id: i64,
    r: &RegistryResultReq,
    kind: &str,
) -> ApiResult<Vec<StoredFinding>> {
    let inv = Inventory::load(st, account_id, ImageSet::Registry).await?;
    let row = match (&r.id, &r.image_info) {
        (Some(id), _) => find_registry_image(&inv, *id)?.id,
        (None, Some(info)) => find_by_info(&inv, info)?.id,
        (None, None) => return Err(missing_sub("Name the image: `Id` or `ImageInfo`.")),
    };
    Ok(results_of(st, account_id, &inv, row, kind).await?.1)
}

/// Registry vulnerability rows: one per vulnerability, with every affected component.
fn registry_vul_rows(findings: &[StoredFinding]) -> Vec<Value> {
    let mut groups: BTreeMap<String, Vec<Vul<'_>>> = BTreeMap::new();
    for f in findings {
        let v = vul(f);
        groups.entry(v.cve.clone()).or_default().push(v);
    }
    groups
        .into_values()
        .filter_map(|vs| {
            let first = vs.iter().max_by_key(|v| v.level)?;
            let components: Vec<Value> = vs
                .iter()
                .map(|v| {
                    json!({"Component": v.name, "Version": v.version,
                           "FixedVersion": v.fixed.as_deref().unwrap_or(""), "Path": v.path,
                           "Type": v.component_type(), "Name": v.name})
                })
                .collect();
            let mut layers: Vec<&(String, String)> =
                vs.iter().filter_map(|v| v.layer.as_ref()).collect();
            layers.dedup();
            let fixed: Vec<&str> = vs.iter().filter_map(|v| v.fixed.as_deref()).collect();
            let mut tags = first.tags();
            if !fixed.is_empty() && tags.is_empty() {
                tags.push("CanBeFixed");
            }
            Some(json!({
                "CVEID": first.cve, "POCID": "", "Name": first.f.finding.title,
                "Components": components, "Category": first.category(),
                "CategoryType": first.category_type(), "Level": first.level.to_string(),
                "Des": first.description(), "OfficialSolution": first.solution(),
                "Reference": serde_json::to_string(&first.references).unwrap_or_else(|_| "[]".into()),
                "DefenseSolution": first.defense(), "SubmitTime": plain_time(&first.published),
                "CvssScore": first.score.map(|s| s.to_string()).unwrap_or_default(),
                "CvssVector": first.vector,
                "IsSuggest": vs.iter().any(|v| v.suggest()).to_string(),
                "FixedVersions": fixed.join(","), "Tag": tags,
                "Component": first.name, "Version": first.version, "AttackLevel": 0,
                "LayerInfos": layers.iter().map(|(id, cmd)| json!({"LayerId": id, "LayerCmd": cmd})).collect::<Vec<_>>(),
            }))
        })
        .collect()
}

/// Filters of registry image vulnerabilities.
pub(crate) const REGISTRY_VUL_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("Level", Key::Enum(level_key)),
        ("RiskLevel", Key::Enum(level_key)),
        ("Name", Key::Text(&["Name", "CVEID"])),
        ("Tag", Key::Enum(tag_key)),
    ],
    sorts: &[],
    default: ("Level", true),
};

/// The vulnerability rows of a registry image, before filtering.
pub(crate) async fn registry_vul_rows_of(
    st: &Services,
    account_id: i64,
    r: &RegistryResultReq,
) -> ApiResult<Vec<Value>> {
    let findings = registry_results(st, account_id, r, "image-vuln").await?;
    Ok(registry_vul_rows(&findings))
}

pub(super) async fn registry_vul_list(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryListReq,
) -> ApiResult {
    let rows = registry_vul_rows_of(st, rc.account.id, &r.image).await?;
    let (total, list) = list_rows(rows, &r.window.page(None, None), &REGISTRY_VUL_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

fn registry_virus_row(v: &Virus<'_>) -> Value {
    json!({
        "Path": v.path, "RiskLevel": level(v.f.finding.severity).to_string(),
        "Category": v.category(), "VirusName": v.name(), "Tags": v.tags(),
        "Desc": v.desc(), "Solution": v.e.remediation, "FileType": file_type(&v.path),
        "FileName": file_name(&v.path), "FileMd5": v.md5(), "FileSize": v.e.size,
        "FirstScanTime": rfc3339(Some(v.f.first_seen)), "LatestScanTime": rfc3339(Some(v.f.last_seen)),
    })
}

/// Filters of registry image viruses.
pub(crate) const REGISTRY_VIRUS_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("RiskLevel", Key::Enum(risk_level_key)),
        ("Level", Key::Enum(risk_level_key)),
        ("Name", Key::Text(&["VirusName", "FileName", "Path"])),
    ],
    sorts: &[],
    default: ("RiskLevel", true),
};

/// The virus rows of a registry image, before filtering.
pub(crate) async fn registry_virus_rows_of(
    st: &Services,
    account_id: i64,
    r: &RegistryResultReq,
) -> ApiResult<Vec<Value>> {
    let findings = registry_results(st, account_id, r, "image-virus").await?;
    Ok(findings
        .iter()
        .map(|f| registry_virus_row(&virus(f)))
        .collect())
}

pub(super) async fn registry_virus_list(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryListReq,
) -> ApiResult {
    let rows = registry_virus_rows_of(st, rc.account.id, &r.image).await?;
    let (total, list) = list_rows(rows, &r.window.page(None, None), &REGISTRY_VIRUS_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

/// The risk rows of a registry image, before filtering.
pub(crate) async fn registry_risk_rows_of(
    st: &Services,
    account_id: i64,
    r: &RegistryResultReq,
) -> ApiResult<Vec<Value>> {
    let findings = registry_results(st, account_id, r, "image-risk").await?;
    Ok(findings
        .iter()
        .map(|f| {
            let mut row = local_risk_row(&risk(f));
            row["Level"] = json!(level(f.finding.severity).to_string());
            row
        })
        .collect())
}

pub(super) async fn registry_risk_list(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryRiskReq,
) -> ApiResult {
    let image = RegistryResultReq {
        image_info: r.image_info,
        id: r.id,
    };
    let page = r.window.page(r.by, r.order);
    let rows = registry_risk_rows_of(st, rc.account.id, &image).await?;
    let (total, list) = list_rows(rows, &page, &RISK_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

// ------------------------------------------------------------------------------------------
// Images affected by one vulnerability (`CreateVulImageExportJob`)

fn newest_key(row: &Value, v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(row.get("_Latest").and_then(Value::as_bool) == Some(true)),
        "0" | "false" => Some(true),
        _ => None,
    }
}

/// Filters and sorts of the images a vulnerability affects. Vigil tracks no hosts: the host
/// keys (`ClientIP`, `PublicIP`, `HostName`) match only an empty value.
pub(crate) const VUL_IMAGE_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("OnlyAffectedNewestImage", Key::Enum(newest_key)),
        ("ImageID", Key::Text(&["ImageID"])),
        ("ImageName", Key::Text(&["ImageName"])),
        ("ClientIP", Key::Text(&["_Host"])),
        ("PublicIP", Key::Text(&["_Host"])),
        ("HostName", Key::Text(&["_Host"])),
        ("ComponentName", Key::Text(&["_ComponentNames"])),
        ("ComponentVersion", Key::Text(&["_ComponentVersions"])),
    ],
    sorts: &[
        ("ImageID", "ImageID"),
        ("ImageName", "ImageName"),
        ("HostCount", "HostCount"),
        ("ContainerCount", "ContainerCount"),
    ],
    default: ("_Id", true),
};

/// `VulAffectedImageInfo` rows (helpers kept): the local images whose latest successful scan
/// found the vulnerability `poc_id` (its CVE id or advisory id, as the vulnerability lists
/// show it in `CVEID`), with the affected components.
pub(crate) async fn vul_image_rows(
    st: &Services,
    account_id: i64,
    poc_id: &str,
) -> ApiResult<Vec<Value>> {
    let poc_id = poc_id.trim();
    let inv = Inventory::load(st, account_id, ImageSet::Local).await?;
    let mut rows = Vec::new();
    for img in &inv.images {
        let (_, findings) = results_of(st, account_id, &inv, img.id, "image-vuln").await?;
        let hits: Vec<Vul<'_>> = findings
            .iter()
            .map(vul)
            .filter(|v| v.cve.eq_ignore_ascii_case(poc_id))
            .collect();
        if hits.is_empty() {
            continue;
        }
        let components: Vec<Value> = hits
            .iter()
            .map(|v| {
                json!({"Name": v.name, "Version": v.version,
                       "FixedVersion": v.fixed.as_deref().unwrap_or(""), "Path": v.path})
            })
            .collect();
        let view = inv.view(img);
        rows.push(json!({
            "ImageID": img.image_id,
            "ImageName": if img.name.is_empty() { "<none>:<none>".to_string() } else { img.name.clone() },
            "HostCount": 0, "SuperNodeCount": 0, "ContainerCount": 0,
            "ComponentList": components,
            "_Id": img.id, "_Latest": view.is_latest(), "_Host": "",
            "_ComponentNames": hits.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join("\n"),
            "_ComponentVersions": hits.iter().map(|v| v.version.as_str()).collect::<Vec<_>>().join("\n"),
        }));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::{Finding, FindingStatus, Severity};

    fn stored(f: Finding) -> StoredFinding {
        StoredFinding {
            id: 1,
            account_id: 1,
            task_id: 1,
            scope_key: "s".into(),
            fingerprint: "f".into(),
            finding: f,
            status: FindingStatus::Open,
            first_seen: 0,
            last_seen: 1_000,
        }
    }

    #[test]
    fn scanners_need_one() {
        assert_eq!(
            scanner_list(false, false, false).unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(
            scanner_list(true, false, true).unwrap(),
            vec!["vuln", "risk"]
        );
        assert_eq!(registry_scanners(&None).unwrap().len(), 3);
        assert_eq!(
            registry_scanners(&Some(vec!["cve".into(), "CVE".into()])).unwrap(),
            vec!["vuln"]
        );
        assert_eq!(
            registry_scanners(&Some(vec!["POC".into()]))
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
    }

    #[test]
    fn excluded_ids_parse_both_ways() {
        assert_eq!(parse_excluded("[\"a\", \"b\"]").unwrap(), vec!["a", "b"]);
        assert_eq!(parse_excluded(" a , b,,").unwrap(), vec!["a", "b"]);
        assert_eq!(parse_excluded("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_excluded("[1, 2]").unwrap_err().code,
            "InvalidParameter.InvalidFormat"
        );
    }

    proptest::proptest! {
        #[test]
        fn excluded_ids_never_panic(raw in ".{0,200}") {
            if let Ok(ids) = parse_excluded(&raw) {
                proptest::prop_assert!(ids.iter().all(|i| !i.is_empty() || raw.trim().starts_with('[')));
            }
        }

        #[test]
        fn findings_with_any_evidence_map(evidence in json_value()) {
            let f = stored(Finding {
                kind: "image-vuln".into(),
                title: "t".into(),
                evidence,
                ..Default::default()
            });
            let row = local_vul_row(&vul(&f));
            proptest::prop_assert!(row["Level"].is_u64());
            let _ = registry_vul_rows(std::slice::from_ref(&f));
            let _ = local_virus_row(&virus(&f));
            let _ = registry_virus_row(&virus(&f));
            let _ = local_risk_row(&risk(&f));
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".{0,10}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let keys = proptest::sample::select(vec![
                "package",
                "name",
                "version",
                "advisory",
                "cvss",
                "score",
                "vector",
                "fixed_version",
                "fix_status",
                "references",
                "aliases",
                "file",
                "line",
                "masked",
                "type",
                "size",
            ]);
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(keys.prop_map(str::to_string), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn vulnerability_mapping() {
        let f = stored(Finding {
            kind: "image-vuln".into(),
            severity: Some(Severity::High),
            title: "openssl: buffer overflow".into(),
            cwe: vec!["CWE-120".into()],
            evidence: json!({
                "package": {"name": "openssl", "version": "3.0.1-r0", "ecosystem": "apk",
                            "path": "/lib/apk/db/installed", "layer": 1, "layer_digest": "sha256:aa",
                            "layer_cmd": "RUN apk add openssl"},
                "fixed_version": "3.0.2-r0", "fix_status": "fixed",
                "advisory": {"id": "GHSA-x", "aliases": ["CVE-2022-0001"], "summary": "overflow",
                             "cvss": {"score": 7.5, "vector": "CVSS:3.1/AV:N", "version": "3.1"},
                             "references": ["https://example/advisory"], "published": "2022-03-15T10:00:00Z"},
            }),
            fixable: true,
            ..Default::default()
        });
        let row = local_vul_row(&vul(&f));
        assert_eq!(row["CVEID"], "CVE-2022-0001");
        assert_eq!(row["Level"], 3);
        assert_eq!(row["Component"], "openssl");
        assert_eq!(row["CategoryType"], "SYSTEM");
        assert_eq!(row["Category"], "CWE-120");
        assert_eq!(row["CVSSV3Score"], 7.5);
        assert_eq!(row["IsSuggest"], true);
        assert_eq!(row["FixedVersions"], "3.0.2-r0");
        assert_eq!(row["Tag"], json!(["CanBeFixed"]));
        assert_eq!(row["Reference"], "[\"https://example/advisory\"]");
        let reg = registry_vul_rows(std::slice::from_ref(&f));
        assert_eq!(reg[0]["Level"], "3");
        assert_eq!(reg[0]["CvssScore"], "7.5");
        assert_eq!(reg[0]["IsSuggest"], "true");
        assert_eq!(reg[0]["SubmitTime"], "2022-03-15 10:00:00");
        assert_eq!(
            reg[0]["LayerInfos"],
            json!([{"LayerId": "sha256:aa", "LayerCmd": "RUN apk add openssl"}])
        );
        assert_eq!(reg[0]["Components"][0]["FixedVersion"], "3.0.2-r0");
        // Without a fix, nothing suggests fixing; a CVSS v2 score is not a v3 score.
        let g = stored(Finding {
            kind: "image-vuln".into(),
            severity: None,
            title: "t".into(),
            evidence: json!({"package": {"name": "requests", "ecosystem": "PyPI"},
                              "fixed_version": null, "fix_status": "not-fixed",
                              "advisory": {"id": "PYSEC-1", "cvss": {"score": 5.0, "vector": "AV:N", "version": "2.0"}}}),
            ..Default::default()
        });
        let row = local_vul_row(&vul(&g));
        assert_eq!(row["CVEID"], "PYSEC-1");
        assert_eq!(row["Level"], 1);
        assert_eq!(row["IsSuggest"], false);
        assert_eq!(row["CVSSV3Score"], 0.0);
        assert_eq!(row["CategoryType"], "WEB");
        assert_eq!(row["Tag"], json!([]));
    }

    /// The export column lists are exactly the fields the lists render (helpers left out).
    #[test]
    fn export_columns_are_the_row_fields() {
        use super::super::exports::{LOCAL_VIRUS, LOCAL_VUL, REGISTRY_VIRUS, REGISTRY_VUL, RISK};
        use std::collections::BTreeSet;
        fn keys(v: Value) -> BTreeSet<String> {
            super::super::strip(v)
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        }
        fn set(cols: &[&str]) -> BTreeSet<String> {
            cols.iter().map(|c| c.to_string()).collect()
        }
        let f = stored(Finding {
            kind: "image-vuln".into(),
            title: "t".into(),
            evidence: json!({"package": {"name": "a", "version": "1"}, "file": "/x"}),
            ..Default::default()
        });
        assert_eq!(keys(local_vul_row(&vul(&f))), set(LOCAL_VUL));
        assert_eq!(
            keys(registry_vul_rows(std::slice::from_ref(&f))[0].clone()),
            set(REGISTRY_VUL)
        );
        assert_eq!(keys(local_virus_row(&virus(&f))), set(LOCAL_VIRUS));
        assert_eq!(keys(registry_virus_row(&virus(&f))), set(REGISTRY_VIRUS));
        assert_eq!(keys(local_risk_row(&risk(&f))), set(RISK));
    }

    #[test]
    fn virus_and_risk_mapping() {
        let f = stored(Finding {
            kind: "image-virus".into(),
            severity: Some(Severity::Critical),
            title: "webshell".into(),
            evidence: json!({"file": "/var/www/a.php", "rule": "Php.Webshell.X", "category": "webshell",
                              "md5": "abc", "size": 40, "source": "yara", "remediation": "delete it"}),
            ..Default::default()
        });
        let row = local_virus_row(&virus(&f));
        assert_eq!(row["RiskLevel"], 4);
        assert_eq!(row["VirusName"], "Php.Webshell.X");
        assert_eq!(row["FileName"], "a.php");
        assert_eq!(row["Tags"], json!(["webshell"]));
        assert_eq!(row["CheckPlatform"], json!(["1"]));
        let reg = registry_virus_row(&virus(&f));
        assert_eq!(reg["RiskLevel"], "4");
        assert_eq!(reg["FileType"], "PHP");
        assert_eq!(reg["LatestScanTime"], "1970-01-01T00:00:01Z");
        let r = stored(Finding {
            kind: "image-risk".into(),
            severity: Some(Severity::High),
            title: "AWS key".into(),
            evidence: json!({"type": "secret", "file": "/app/.env", "line": 3, "masked": "AKIA****"}),
            ..Default::default()
        });
        let row = local_risk_row(&risk(&r));
        assert_eq!(row["Behavior"], 3);
        assert_eq!(row["Type"], 1);
        assert_eq!(row["Level"], 3);
        assert_eq!(row["InstructionContent"], "/app/.env:3: AKIA****");
        let c = stored(Finding {
            kind: "image-risk".into(),
            severity: Some(Severity::Medium),
            title: "runs as root".into(),
            evidence: json!({"type": "config", "masked": "USER root", "line": null}),
            ..Default::default()
        });
        let row = local_risk_row(&risk(&c));
        assert_eq!(row["Behavior"], 1);
        assert_eq!(row["Type"], 2);
        assert_eq!(row["InstructionContent"], "USER root");
    }
}
