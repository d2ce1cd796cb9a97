//! Exports of the TCSS lists as Excel workbooks (`*ListExport`, `Create*ExportJob`), and the
//! export jobs they make (`DescribeExportJobResult`, `DescribeExportJobDownloadURL`).
//!
//! An export takes the same `Filters` (and `By`/`Order`, image selection) as its list and
//! renders its rows with the list's own code, so the file holds exactly the rows the list
//! would show, in the same order; `ExportField` picks and orders the columns (the list's
//! output field names; absent or empty: all, an unknown name is `InvalidParameterValue`).
//! Exports are not paged like the lists: `Limit` absent or 0 means every matching row, up to
//! [`MAX_ROWS`].
//!
//! The file is made when the export is asked for and stored as a snapshot (the job is
//! finished at once: `ExportStatus` `SUCCESS`); it stays for the report link lifetime
//! (`api.link_ttl_secs`), at most a day, and each account holds at most [`MAX_LIVE`] exports
//! and [`MAX_ACCOUNT_BYTES`] of them. `DownloadUrl` is a link signed with a key derived from
//! the master key, valid until the export expires: `GET /exports/tcss/{app_id}/{job_id}`.

use super::images::{local_rows, registry_rows, LOCAL_SPEC, REGISTRY_SPEC};
use super::scans::{self, RegistryResultReq};
use super::{
    export_rows, list_rows, AssetFilter, Key, ListSpec, Page, BY_DOC, FILTERS_DOC, LIMIT_DOC,
    MAX_FILTERS, OFFSET_DOC, ORDER_DOC,
};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use vigil_store::{NewExport, StoreError};

/// Most rows one export holds.
pub(crate) const MAX_ROWS: usize = 50_000;
/// Most rows of `CreateAssetImageVirusExportJob` (its model's documented maximum).
const MAX_VIRUS_JOB_ROWS: usize = 10_000;
/// Largest workbook one export may make.
pub(crate) const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Most unexpired exports an account holds.
pub(crate) const MAX_LIVE: i64 = 100;
/// Most bytes of unexpired exports an account holds.
pub(crate) const MAX_ACCOUNT_BYTES: i64 = 256 * 1024 * 1024;
/// Longest an export is kept, whatever the link lifetime.
const MAX_RETENTION_MS: i64 = 86_400_000;
/// Purpose of download link tags (never valid for report links, nor theirs here).
const LINK_PURPOSE: &str = "tcss-export-link";

/// `ImagesVul` (DescribeAssetImageVulList).
pub(super) const LOCAL_VUL: &[&str] = &[
    "CVEID",
    "Name",
    "Component",
    "Version",
    "Category",
    "CategoryType",
    "Level",
    "Des",
    "OfficialSolution",
    "Reference",
    "DefenseSolution",
    "SubmitTime",
    "CVSSV3Score",
    "CVSSV3Desc",
    "IsSuggest",
    "FixedVersions",
    "Tag",
    "AttackLevel",
];
/// `ImageVirusInfo` (DescribeAssetImageVirusList).
pub(super) const LOCAL_VIRUS: &[&str] = &[
    "Path",
    "RiskLevel",
    "VirusName",
    "Tags",
    "Desc",
    "Solution",
    "Size",
    "FirstScanTime",
    "LatestScanTime",
    "Md5",
    "FileName",
    "CheckPlatform",
];
/// `ImageRiskInfo` / `ImageRisk` (DescribeAssetImageRiskList, ...RegistryRiskInfoList).
pub(super) const RISK: &[&str] = &["Behavior", "Type", "Level", "Desc", "InstructionContent"];
/// `ImagesInfo` (DescribeAssetImageList).
pub(super) const LOCAL_IMAGE: &[&str] = &[
    "ImageID",
    "ImageName",
    "CreateTime",
    "Size",
    "HostCnt",
    "SuperNodeCnt",
    "ContainerCnt",
    "ScanTime",
    "VulCnt",
    "VirusCnt",
    "RiskCnt",
    "IsTrustImage",
    "OsName",
    "AgentError",
    "ScanError",
    "ScanStatus",
    "ScanVirusError",
    "ScanVulError",
    "ScanRiskError",
    "IsSuggest",
    "IsAuthorized",
    "ComponentCnt",
    "CriticalLevelVulCnt",
    "HighLevelVulCnt",
    "MediumLevelVulCnt",
    "LowLevelVulCnt",
    "IsLatestImage",
    "RecommendedFix",
    "Solution",
    "Reason",
];
/// `ImageRepoInfo` (DescribeAssetImageRegistryList).
pub(super) const REGISTRY_IMAGE: &[&str] = &[
    "ImageDigest",
    "ImageRepoAddress",
    "RegistryType",
    "ImageName",
    "ImageTag",
    "ImageSize",
    "ScanTime",
    "ScanStatus",
    "VulCnt",
    "VirusCnt",
    "RiskCnt",
    "SentiveInfoCnt",
    "IsTrustImage",
    "OsName",
    "ScanVirusError",
    "ScanVulError",
    "InstanceId",
    "InstanceName",
    "Namespace",
    "ScanRiskError",
    "ScanVirusProgress",
    "ScanVulProgress",
    "ScanRiskProgress",
    "ScanRemainTime",
    "CveStatus",
    "RiskStatus",
    "VirusStatus",
    "Progress",
    "IsAuthorized",
    "RegistryRegion",
    "Id",
    "ImageId",
    "ImageCreateTime",
    "IsLatestImage",
    "LowLevelVulCnt",
    "MediumLevelVulCnt",
    "HighLevelVulCnt",
    "CriticalLevelVulCnt",
    "ContainerCnt",
    "ComponentCnt",
    "IsRunning",
    "HasNeedFixVul",
    "SensitiveInfoCnt",
    "RecommendedFix",
    "Solution",
    "Reason",
];
/// `ImageVul` (DescribeAssetImageRegistryVulList).
pub(super) const REGISTRY_VUL: &[&str] = &[
    "CVEID",
    "POCID",
    "Name",
    "Components",
    "Category",
    "CategoryType",
    "Level",
    "Des",
    "OfficialSolution",
    "Reference",
    "DefenseSolution",
    "SubmitTime",
    "CvssScore",
    "CvssVector",
    "IsSuggest",
    "FixedVersions",
    "Tag",
    "Component",
    "Version",
    "AttackLevel",
    "LayerInfos",
];
/// `ImageVirus` (DescribeAssetImageRegistryVirusList).
pub(super) const REGISTRY_VIRUS: &[&str] = &[
    "Path",
    "RiskLevel",
    "Category",
    "VirusName",
    "Tags",
    "Desc",
    "Solution",
    "FileType",
    "FileName",
    "FileMd5",
    "FileSize",
    "FirstScanTime",
    "LatestScanTime",
];
/// `VulAffectedImageInfo` (DescribeVulImageList).
pub(super) const VUL_IMAGE: &[&str] = &[
    "ImageID",
    "ImageName",
    "HostCount",
    "SuperNodeCount",
    "ContainerCount",
    "ComponentList",
];

const EXPORT_FIELD_DOC: &str =
    "Columns to export, in this order: output field names of the list (absent or empty: all).";
const EXPORT_LIMIT_DOC: &str = "Rows to export (absent or 0: every matching row; at most 50000). Exports are not paged like the lists.";
const EXPORT_OFFSET_DOC: &str = "Matching rows to skip (default 0).";
const JOB_ID_DOC: &str = "Export job id.";

/// `Limit`, `Offset` and `Filters` of an export.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ExportWindow {
    #[param(doc = EXPORT_LIMIT_DOC, range(0, MAX_ROWS as i64))]
    limit: Option<i64>,
    #[param(doc = EXPORT_OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
}

impl ExportWindow {
    /// The rows to export, sorted as given.
    fn page(self, by: Option<String>, order: Option<String>) -> Page {
        Page::of(self.limit, self.offset, self.filters, by, order)
    }
}

/// What one export is of.
struct Kind {
    /// Stored `source`, also in the file name.
    source: &'static str,
    /// Sheet name.
    sheet: &'static str,
    /// Every column, in the model's order.
    columns: &'static [&'static str],
    /// Filters and sorts of the list.
    spec: &'static ListSpec<'static>,
    /// Most rows.
    max_rows: usize,
}

const K_LOCAL_VUL: Kind = Kind {
    source: "LocalImageVul",
    sheet: "Vulnerabilities",
    columns: LOCAL_VUL,
    spec: &scans::VUL_SPEC,
    max_rows: MAX_ROWS,
};
const K_LOCAL_RISK: Kind = Kind {
    source: "LocalImageRisk",
    sheet: "Risks",
    columns: RISK,
    spec: &scans::RISK_SPEC,
    max_rows: MAX_ROWS,
};
const K_LOCAL_VIRUS: Kind = Kind {
    source: "LocalImageVirus",
    sheet: "Viruses",
    columns: LOCAL_VIRUS,
    spec: &scans::VIRUS_SPEC,
    max_rows: MAX_ROWS,
};
const K_LOCAL_IMAGE: Kind = Kind {
    source: "LocalImage",
    sheet: "Images",
    columns: LOCAL_IMAGE,
    spec: &LOCAL_SPEC,
    max_rows: MAX_ROWS,
};
const K_VUL_IMAGE: Kind = Kind {
    source: "VulImage",
    sheet: "Images",
    columns: VUL_IMAGE,
    spec: &scans::VUL_IMAGE_SPEC,
    max_rows: MAX_ROWS,
};
const K_REGISTRY_IMAGE: Kind = Kind {
    source: "RegistryImage",
    sheet: "Images",
    columns: REGISTRY_IMAGE,
    spec: &REGISTRY_SPEC,
    max_rows: MAX_ROWS,
};
const K_REGISTRY_VUL: Kind = Kind {
    source: "RegistryImageVul",
    sheet: "Vulnerabilities",
    columns: REGISTRY_VUL,
    spec: &scans::REGISTRY_VUL_SPEC,
    max_rows: MAX_ROWS,
};
const K_REGISTRY_RISK: Kind = Kind {
    source: "RegistryImageRisk",
    sheet: "Risks",
    columns: RISK,
    spec: &scans::RISK_SPEC,
    max_rows: MAX_ROWS,
};
const K_REGISTRY_VIRUS: Kind = Kind {
    source: "RegistryImageVirus",
    sheet: "Viruses",
    columns: REGISTRY_VIRUS,
    spec: &scans::REGISTRY_VIRUS_SPEC,
    max_rows: MAX_ROWS,
};

/// The columns `ExportField` asks for (all when empty), in its order without repeats.
fn columns(all: &'static [&'static str], asked: &[String]) -> ApiResult<Vec<&'static str>> {
    let mut out: Vec<&'static str> = Vec::new();
    for a in asked {
        let a = a.trim();
        let Some(c) = all.iter().find(|c| **c == a) else {
            return Err(ApiError::invalid_value(format!(
                "`ExportField` `{}` is not a field of this list; fields are {}.",
                a.chars().take(64).collect::<String>(),
                all.join(", ")
            )));
        };
        if !out.contains(c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        out = all.to_vec();
    }
    Ok(out)
}

fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::LimitExceeded, message)
}

/// The signed download link of an export, valid until `expires` (Unix seconds).
fn link(st: &Services, rc: &RequestCtx, job_id: &str, expires: i64) -> String {
    let app = rc.account.app_id;
    let tag = st
        .store
        .secrets()
        .tag(LINK_PURPOSE, &format!("{app}:{job_id}:{expires}"));
    format!(
        "{}/exports/tcss/{app}/{job_id}?expires={expires}&sig={tag}",
        crate::links::base(&st.config)
    )
}

/// Unix seconds of a time in milliseconds (rounded down, so a link never outlives its export).
fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// A made export: its job id and download link.
struct Made {
    job_id: String,
    url: String,
}

/// Workbooks being built at once, over all accounts.
static BUILDS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Filter, sort and cut `rows` as the list would, write the workbook, store it, and hand
/// out its link.
async fn save(
    st: &Services,
    rc: &RequestCtx,
    kind: &Kind,
    cols: Vec<&'static str>,
    rows: Vec<Value>,
    page: &Page,
) -> ApiResult<Made> {
    // Workbooks are built in memory: a few at a time over the whole process.
    let _build = BUILDS.acquire().await.map_err(|e| ApiError::internal(&e))?;
    let rows = export_rows(rows, page, kind.spec, kind.max_rows)?;
    let now = st.store.now();
    let gone = st.store.delete_expired_exports(now).await?;
    if gone > 0 {
        tracing::debug!(gone, "expired exports removed");
    }
    let (live, used) = st.store.export_usage(rc.account.id, now).await?;
    if live >= MAX_LIVE {
        return Err(limit_exceeded(format!(
            "The account holds {live} unexpired exports, the most it may; wait for older ones to expire."
        )));
    }
    let row_count = rows.len() as i64;
    let sheet = kind.sheet;
    let content = tokio::task::spawn_blocking(move || crate::xlsx::workbook(sheet, &cols, &rows))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    if content.len() > MAX_BYTES {
        return Err(limit_exceeded(format!(
            "The export would be {} bytes, more than the {MAX_BYTES} an export may be; narrow it with Filters, ExportField or Limit.",
            content.len()
        )));
    }
    if used.saturating_add(content.len() as i64) > MAX_ACCOUNT_BYTES {
        return Err(limit_exceeded(format!(
            "The account's unexpired exports would pass {MAX_ACCOUNT_BYTES} bytes; wait for older ones to expire."
        )));
    }
    let retention = i64::try_from(st.config.link_ttl.as_millis())
        .unwrap_or(MAX_RETENTION_MS)
        .clamp(1000, MAX_RETENTION_MS);
    let job_id = uuid::Uuid::new_v4().to_string();
    let stamp = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.format("%Y%m%d%H%M%S").to_string())
        .unwrap_or_default();
    let export = st
        .store
        .create_export(
            rc.account.id,
            &NewExport {
                job_id: job_id.clone(),
                product: super::NAME.into(),
                source: kind.source.into(),
                file_name: format!("vigil-tcss-{}-{stamp}.xlsx", kind.source),
                row_count,
                content,
                expires_at: now + retention,
            },
        )
        .await?;
    crate::products::audit(
        st,
        rc,
        &format!("tcss.{}", rc.action),
        &format!("{job_id} ({} rows of {})", row_count, kind.source),
    )
    .await?;
    Ok(Made {
        url: link(st, rc, &job_id, secs(export.expires_at)),
        job_id,
    })
}

/// `ExportField` and `ImageID` of an export of a local image's results.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ImageExport {
    #[serde(default)]
    #[param(doc = EXPORT_FIELD_DOC, max_items = 100)]
    export_field: Vec<String>,
    /// Image id (sha256:...).
    #[serde(rename = "ImageID")]
    #[param(max_len = 128)]
    image_id: String,
}

#[derive(Deserialize, Params)]
pub(super) struct ImageExportReq {
    #[serde(flatten)]
    image: ImageExport,
    #[serde(flatten)]
    window: ExportWindow,
}

/// An export of a local image's results by `Filters` only.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImageFilterExportReq {
    #[serde(flatten)]
    image: ImageExport,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
}

impl ImageFilterExportReq {
    fn page(self) -> (ImageExport, Page) {
        let page = Page {
            filters: self.filters,
            ..Page::default()
        };
        (self.image, page)
    }
}

pub(super) async fn vul(st: &Services, rc: &RequestCtx, r: ImageExportReq) -> ApiResult {
    let cols = columns(K_LOCAL_VUL.columns, &r.image.export_field)?;
    let rows = scans::local_vul_rows(st, rc.account.id, &r.image.image_id).await?;
    let page = r.window.page(None, None);
    let m = save(st, rc, &K_LOCAL_VUL, cols, rows, &page).await?;
    Ok(json!({"DownloadUrl": m.url}))
}

pub(super) async fn risk(st: &Services, rc: &RequestCtx, r: ImageFilterExportReq) -> ApiResult {
    let (r, page) = r.page();
    let cols = columns(K_LOCAL_RISK.columns, &r.export_field)?;
    let rows = scans::local_risk_rows(st, rc.account.id, &r.image_id).await?;
    let m = save(st, rc, &K_LOCAL_RISK, cols, rows, &page).await?;
    Ok(json!({"DownloadUrl": m.url}))
}

pub(super) async fn virus(st: &Services, rc: &RequestCtx, r: ImageFilterExportReq) -> ApiResult {
    let (r, page) = r.page();
    let cols = columns(K_LOCAL_VIRUS.columns, &r.export_field)?;
    let rows = scans::local_virus_rows(st, rc.account.id, &r.image_id).await?;
    let m = save(st, rc, &K_LOCAL_VIRUS, cols, rows, &page).await?;
    Ok(json!({"DownloadUrl": m.url, "JobId": m.job_id}))
}

/// `CreateAssetImageVirusExportJob`: `Filters` before the paging, a smaller `Limit`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VirusJobReq {
    #[serde(flatten)]
    image: ImageExport,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    /// Rows to export (absent or 0: every matching row; at most 10000).
    #[param(range(0, MAX_VIRUS_JOB_ROWS as i64))]
    limit: Option<i64>,
    #[param(doc = EXPORT_OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
}

pub(super) async fn virus_job(st: &Services, rc: &RequestCtx, r: VirusJobReq) -> ApiResult {
    let cols = columns(K_LOCAL_VIRUS.columns, &r.image.export_field)?;
    let rows = scans::local_virus_rows(st, rc.account.id, &r.image.image_id).await?;
    let kind = Kind {
        max_rows: MAX_VIRUS_JOB_ROWS,
        ..K_LOCAL_VIRUS
    };
    let page = Page::of(r.limit, r.offset, r.filters, r.by, r.order);
    let m = save(st, rc, &kind, cols, rows, &page).await?;
    Ok(json!({"JobId": m.job_id}))
}

/// `CreateImageExportJob`: the local image list's parameters, `Filters` first.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImageJobReq {
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    #[param(doc = EXPORT_OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[param(doc = EXPORT_LIMIT_DOC, range(0, MAX_ROWS as i64))]
    limit: Option<i64>,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
    #[serde(default)]
    #[param(doc = EXPORT_FIELD_DOC, max_items = 100)]
    export_field: Vec<String>,
}

pub(super) async fn image_job(st: &Services, rc: &RequestCtx, r: ImageJobReq) -> ApiResult {
    let cols = columns(K_LOCAL_IMAGE.columns, &r.export_field)?;
    let rows = local_rows(st, rc.account.id).await?;
    let page = Page::of(r.limit, r.offset, r.filters, r.by, r.order);
    let m = save(st, rc, &K_LOCAL_IMAGE, cols, rows, &page).await?;
    Ok(json!({"JobId": m.job_id, "DownloadUrl": m.url}))
}

/// `DescribeAssetImageRegistryListExport`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryListExportReq {
    #[serde(default)]
    #[param(doc = EXPORT_FIELD_DOC, max_items = 100)]
    export_field: Vec<String>,
    #[serde(flatten)]
    window: ExportWindow,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
    /// Only the newest image of each repository.
    only_show_latest: Option<bool>,
}

pub(super) async fn registry(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryListExportReq,
) -> ApiResult {
    let cols = columns(K_REGISTRY_IMAGE.columns, &r.export_field)?;
    let rows = registry_rows(
        st,
        rc.account.id,
        r.only_show_latest.unwrap_or(false),
        false,
    )
    .await?;
    let page = r.window.page(r.by, r.order);
    let m = save(st, rc, &K_REGISTRY_IMAGE, cols, rows, &page).await?;
    Ok(json!({"DownloadUrl": m.url, "JobId": m.job_id}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VulImageReq {
    /// The vulnerability: its CVEID as the vulnerability lists show it (CVE or advisory id).
    #[serde(rename = "PocID")]
    #[param(max_len = 128)]
    poc_id: String,
    #[serde(flatten)]
    window: ExportWindow,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
}

pub(super) async fn vul_image_job(st: &Services, rc: &RequestCtx, r: VulImageReq) -> ApiResult {
    if r.poc_id.trim().is_empty() {
        return Err(ApiError::missing("PocID"));
    }
    let rows = scans::vul_image_rows(st, rc.account.id, &r.poc_id).await?;
    let page = r.window.page(r.by, r.order);
    let m = save(st, rc, &K_VUL_IMAGE, VUL_IMAGE.to_vec(), rows, &page).await?;
    Ok(json!({"JobId": m.job_id}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryExportReq {
    #[serde(default)]
    #[param(doc = EXPORT_FIELD_DOC, max_items = 100)]
    export_field: Vec<String>,
    #[serde(flatten)]
    window: ExportWindow,
    #[serde(flatten)]
    req: RegistryResultReq,
}

/// One of the registry image result exports: the kind's columns, the rows `rows_of` renders
/// for the image, the window asked for.
async fn registry_export(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryExportReq,
    kind: &Kind,
    rows_of: impl AsyncFnOnce(&Services, i64, &RegistryResultReq) -> ApiResult<Vec<Value>>,
) -> ApiResult {
    let cols = columns(kind.columns, &r.export_field)?;
    let rows = rows_of(st, rc.account.id, &r.req).await?;
    let page = r.window.page(None, None);
    let m = save(st, rc, kind, cols, rows, &page).await?;
    Ok(json!({"DownloadUrl": m.url, "JobId": m.job_id}))
}

pub(super) async fn registry_vul(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryExportReq,
) -> ApiResult {
    registry_export(st, rc, r, &K_REGISTRY_VUL, scans::registry_vul_rows_of).await
}

pub(super) async fn registry_risk(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryExportReq,
) -> ApiResult {
    registry_export(st, rc, r, &K_REGISTRY_RISK, scans::registry_risk_rows_of).await
}

pub(super) async fn registry_virus(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryExportReq,
) -> ApiResult {
    registry_export(st, rc, r, &K_REGISTRY_VIRUS, scans::registry_virus_rows_of).await
}

/// The unexpired export job of the caller, or `ResourceNotFound`.
async fn job(st: &Services, rc: &RequestCtx, job_id: &str) -> ApiResult<vigil_store::Export> {
    st.store
        .export(rc.account.id, job_id.trim(), st.store.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found(format!(
                "Export job `{}` does not exist or has expired.",
                job_id.chars().take(128).collect::<String>()
            )),
            other => other.into(),
        })
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResultReq {
    #[param(doc = JOB_ID_DOC, max_len = 128)]
    job_id: String,
}

pub(super) async fn result(st: &Services, rc: &RequestCtx, r: ResultReq) -> ApiResult {
    let e = job(st, rc, &r.job_id).await?;
    Ok(json!({
        "ExportStatus": "SUCCESS", "DownloadURL": link(st, rc, &e.job_id, secs(e.expires_at)),
        "ExportProgress": 100.0, "FailureMsg": "",
    }))
}

const MANAGE_LIST_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("JobID", Key::Text(&["JobID"])),
        ("JobName", Key::Text(&["JobName"])),
        ("Source", Key::Text(&["Source"])),
        ("ExportStatus", Key::Text(&["ExportStatus"])),
    ],
    sorts: &[("InsertTime", "InsertTime"), ("Timeout", "Timeout")],
    default: ("InsertTime", true),
};

/// The export job list's paging: `Filters` first, `Order` before `By`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ManageListReq {
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
    #[param(doc = OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[param(doc = LIMIT_DOC, range(0, 100))]
    limit: Option<i64>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    order: Option<String>,
    #[param(doc = BY_DOC, max_len = 64)]
    by: Option<String>,
}

/// `DescribeExportJobManageList`: the caller's export jobs that have not expired (an export
/// is made when it is requested, so every listed job is `SUCCESS`); `Timeout` is when its
/// file and links expire.
pub(super) async fn manage_list(st: &Services, rc: &RequestCtx, r: ManageListReq) -> ApiResult {
    let now = st.store.now();
    let rows: Vec<Value> = st
        .store
        .exports(rc.account.id, now, MAX_LIVE)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "JobID": e.job_id, "JobName": e.file_name, "Source": e.source,
                "ExportStatus": "SUCCESS", "ExportProgress": 100, "FailureMsg": "",
                "Timeout": time_str(e.expires_at), "InsertTime": time_str(e.created_at),
            })
        })
        .collect();
    let page = Page::of(r.limit, r.offset, r.filters, r.by, r.order);
    let (total, list) = list_rows(rows, &page, &MANAGE_LIST_SPEC)?;
    Ok(json!({"TotalCount": total, "List": list}))
}

#[derive(Deserialize, Params)]
pub(super) struct DownloadReq {
    #[serde(rename = "JobID")]
    #[param(doc = JOB_ID_DOC, max_len = 128)]
    job_id: String,
}

pub(super) async fn download_url(st: &Services, rc: &RequestCtx, r: DownloadReq) -> ApiResult {
    let e = job(st, rc, &r.job_id).await?;
    Ok(json!({"DownloadURL": link(st, rc, &e.job_id, secs(e.expires_at))}))
}

/// Query of a download link.
#[derive(Deserialize)]
pub struct DownloadLink {
    expires: i64,
    sig: String,
}

fn refuse(code: StatusCode, why: &str) -> Response {
    (
        code,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{why}\n"),
    )
        .into_response()
}

/// A file name safe inside a quoted `Content-Disposition` parameter.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(128)
        .collect();
    if s.is_empty() {
        "export.xlsx".into()
    } else {
        s
    }
}

/// `GET /exports/tcss/{app_id}/{job_id}`: the workbook of an export, for holders of a valid
/// link (a tampered or expired link is 403, an export that is gone 404).
pub async fn export_download(
    State(st): State<Arc<crate::AppState>>,
    Path((app_id, job_id)): Path<(i64, String)>,
    Query(q): Query<DownloadLink>,
) -> Response {
    let data = format!("{app_id}:{job_id}:{}", q.expires);
    if !st.store.secrets().verify_tag(LINK_PURPOSE, &data, &q.sig) {
        return refuse(StatusCode::FORBIDDEN, "This download link is not valid.");
    }
    let now = st.store.now();
    if q.expires < secs(now) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This download link has expired; export again.",
        );
    }
    let found = match st.store.account_by_app_id(app_id).await {
        Ok(account) => st.store.export_content(account.id, &job_id, now).await,
        Err(e) => Err(e),
    };
    match found {
        Ok((export, content)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", safe_name(&export.file_name)),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            content,
        )
            .into_response(),
        Err(StoreError::NotFound) => refuse(StatusCode::NOT_FOUND, "No such export."),
        Err(e) => {
            tracing::error!(error = %e, "export download failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The export could not be read; see the server log.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_fields() {
        assert_eq!(columns(RISK, &[]).unwrap(), RISK.to_vec());
        assert_eq!(
            columns(RISK, &["Level".into(), " Desc ".into(), "Level".into()]).unwrap(),
            vec!["Level", "Desc"]
        );
        let e = columns(RISK, &["Level".into(), "level".into()]).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(
            columns(RISK, &["_Id".into()]).is_err(),
            "helper fields are not columns"
        );
    }

    #[test]
    fn file_names_are_header_safe() {
        assert_eq!(
            safe_name("vigil-tcss-LocalImageVul-2026.xlsx"),
            "vigil-tcss-LocalImageVul-2026.xlsx"
        );
        assert_eq!(safe_name("a\"b\r\nc;d.xlsx"), "abcd.xlsx");
        assert_eq!(safe_name("\"\""), "export.xlsx");
    }

    #[test]
    fn links_never_outlive_exports() {
        assert_eq!(secs(1_999), 1);
        assert_eq!(secs(-1), -1);
    }

    #[test]
    fn column_lists_are_the_rendered_fields() {
        // Every column list names distinct fields, none of them helpers.
        for cols in [
            LOCAL_VUL,
            LOCAL_VIRUS,
            RISK,
            LOCAL_IMAGE,
            REGISTRY_IMAGE,
            REGISTRY_VUL,
            REGISTRY_VIRUS,
            VUL_IMAGE,
        ] {
            let mut seen = std::collections::HashSet::new();
            assert!(cols.iter().all(|c| seen.insert(*c) && !c.starts_with('_')));
        }
    }
}
