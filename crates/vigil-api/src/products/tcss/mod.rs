//! Tencent Cloud TCSS (container security, version 2020-11-01), its image actions: the image
//! inventory (local images imported with `vigil image import`, and images listed from
//! registries), image scan tasks and what they find (vulnerabilities, viruses, risks,
//! components), image registries, and the periodic scan of local images. Shapes follow
//! `tencentcloud-sdk-python` 3.1.195 (the release the SDK tests pin) `tcss/v20201101/models.py`.
//!
//! A TCSS scan task is a scan group in the store: one queue task of kind `image` per image,
//! run by the image engine. An image shows the state of its latest task and the results of
//! its latest successful one (findings `image-vuln`, `image-virus`, `image-risk` and the
//! task's components). Vigil has no host agents or clusters: host, container and super-node
//! counts are 0, every image counts as authorised, and cluster scopes are refused.
//!
//! Lists share one filter model: `Filters` entries are ANDed, the `Values` of one entry ORed;
//! free-text keys match case-insensitive substrings unless `ExactMatch` is true, enumerated
//! and numeric keys always match exactly and take `all` as "no filter"; an unknown filter
//! name, sort field or order is `InvalidParameter`. `Limit` defaults to 10 (0 too) and may
//! not exceed 100; exports of the lists are not paged that way (see [`exports`]).
//!
//! Modules: [`images`] the inventory and its rows, [`groups`] scan tasks as the store's scan
//! groups, [`scans`] scan tasks and result lists, [`registries`] registries and their sync,
//! [`settings`] the periodic scan and its [`TcssPreflight`], [`registry_scans`] one-key
//! registry scans and stopping registry scans, [`timing`] the periodic registry scan,
//! [`inventory`] detail, summary, namespace, sync status and compact views, [`exports`] the
//! lists as Excel workbooks behind signed download links.

mod exports;
mod groups;
mod images;
mod inventory;
mod registries;
mod registry_scans;
mod scans;
mod settings;
mod timing;
mod unserved;

pub use exports::export_download;
pub use registries::{sync_now, SyncLimits, SyncOutcome};
pub use settings::TcssPreflight;

use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::product::Product;
use serde::Deserialize;
use serde_json::Value;
use std::cmp::Ordering;
use vigil_core::Severity;

pub(crate) const VERSION: &str = "2020-11-01";
pub(crate) const NAME: &str = "tcss";

/// TCSS's own error code for a scan of an image that is being scanned.
pub(crate) const ALREADY_SCANNING: Code = Code::Product("FailedOperation.ErrAlreadyScanning");
/// TCSS's own error code for a parameter a choice of the request makes required.
pub(crate) const PARAMETER_MISSING: Code = Code::Product("InvalidParameter.MissingParameter");

/// The TCSS entry of the product registry.
pub static PRODUCT: Product = Product {
    name: NAME,
    versions: &[VERSION],
    dialect: &crate::dialect::tencent::TENCENT,
    actions: &[&ACTIONS],
    unserved: NOT_YET_SERVED,
    preflight: Some(|s| std::sync::Arc::new(TcssPreflight::new(s))),
    finisher: None,
    routes: Some(|| {
        axum::Router::new()
            .route(
                "/upload/tcss/images",
                axum::routing::put(crate::upload::upload_image),
            )
            .route(
                "/exports/tcss/{app_id}/{job_id}",
                axum::routing::get(export_download),
            )
    }),
};

pub use unserved::NOT_YET_SERVED;

/// Description of a list's `Filters`.
pub(crate) const FILTERS_DOC: &str = "Filters; all must hold.";
/// Most `Filters` entries.
pub(crate) const MAX_FILTERS: usize = 20;
/// Description of a list's `Limit`.
pub(crate) const LIMIT_DOC: &str = "Rows to return (default 10, at most 100).";
/// Description of a list's `Offset`.
pub(crate) const OFFSET_DOC: &str = "Rows to skip (default 0).";
/// Description of a list's `By`.
pub(crate) const BY_DOC: &str = "Sort field.";
/// Description of a list's `Order`.
pub(crate) const ORDER_DOC: &str = "asc or desc (also + and -).";
/// Description of a scan task's `Timeout`.
pub(crate) const TIMEOUT_DOC: &str = "Seconds the task may take (default 3600, at most a week).";
/// Description of `ContainerRunning`.
pub(crate) const CONTAINER_RUNNING_DOC: &str =
    "Only images with running containers (Vigil tracks none).";
/// Description of a registry `ScanType`.
pub(crate) const SCAN_TYPE_DOC: &str = "CVE, VIRUS, RISK (default all).";
/// Description of an `ImageInfo` parameter.
pub(crate) const IMAGE_INFO_DOC: &str = "The image by registry, namespace, name and tag.";
/// Description of a registry image's `Id`.
pub(crate) const ID_DOC: &str = "Registry image id (from DescribeAssetImageRegistryList).";

/// The TCSS actions.
pub static ACTIONS: [Action; 50] = [
    action!(
        "CreateAssetImageScanTask",
        scans::create,
        "Scan local images (vulnerabilities, viruses, risks)."
    ),
    action!(
        "DescribeAssetImageScanStatus",
        scans::status,
        "Progress of a local image scan task."
    ),
    action!(
        "DescribeAssetImageScanTask",
        scans::task,
        "The running (else the latest) one-click image scan task."
    ),
    action!(
        "ModifyAssetImageScanStop",
        scans::stop,
        "Stop a scan task, or the scans of some images."
    ),
    action!(
        "DescribeAssetImageList",
        images::list,
        "Local images with their scan state and counts."
    ),
    action!(
        "DescribeAssetImageDetail",
        images::detail,
        "One local image."
    ),
    action!(
        "DescribeAssetImageVulList",
        scans::vul_list,
        "Vulnerabilities of a local image."
    ),
    action!(
        "DescribeAssetImageVirusList",
        scans::virus_list,
        "Viruses and malicious files of a local image."
    ),
    action!(
        "DescribeAssetImageRiskList",
        scans::risk_list,
        "Risks (secrets, sensitive files, risky configuration) of a local image."
    ),
    action!(
        "DescribeImageComponentList",
        scans::component_list,
        "Components (packages) of a local image."
    ),
    action!(
        "CreateAssetImageScanSetting",
        settings::create,
        "Set the periodic scan of local images."
    ),
    action!(
        "DescribeAssetImageScanSetting",
        settings::describe,
        "The periodic scan of local images."
    ),
    action!(
        "AddAssetImageRegistryRegistryDetail",
        registries::add,
        "Add an image registry (connectivity check and first sync)."
    ),
    action!(
        "DescribeAssetImageRegistryRegistryList",
        registries::list,
        "Image registries (passwords are never returned)."
    ),
    action!(
        "UpdateAssetImageRegistryRegistryDetail",
        registries::update,
        "Replace an image registry's settings."
    ),
    action!(
        "RemoveAssetImageRegistryRegistryDetail",
        registries::remove,
        "Remove an image registry with its images."
    ),
    action!(
        "SyncAssetImageRegistryAsset",
        registries::sync,
        "List registries' repositories and tags into the inventory (inline, bounded)."
    ),
    action!(
        "DescribeAssetImageRegistryList",
        images::registry_list,
        "Registry images with their scan state and counts."
    ),
    action!(
        "CreateAssetImageRegistryScanTask",
        scans::registry_create,
        "Scan registry images."
    ),
    action!(
        "DescribeAssetImageRegistryVulList",
        scans::registry_vul_list,
        "Vulnerabilities of a registry image."
    ),
    action!(
        "DescribeAssetImageRegistryVirusList",
        scans::registry_virus_list,
        "Viruses of a registry image."
    ),
    action!(
        "DescribeAssetImageRegistryRiskInfoList",
        scans::registry_risk_list,
        "Risks of a registry image."
    ),
    action!(
        "CreateAssetImageRegistryScanTaskOneKey",
        registry_scans::create_one_key,
        "One-key scan of registry images (all, chosen or recommended)."
    ),
    action!(
        "DescribeAssetImageRegistryScanStatusOneKey",
        registry_scans::status_one_key,
        "Progress of a registry scan task, per image."
    ),
    action!(
        "ModifyAssetImageRegistryScanStop",
        registry_scans::stop,
        "Stop registry image scans (a task, or images)."
    ),
    action!(
        "ModifyAssetImageRegistryScanStopOneKey",
        registry_scans::stop_one_key,
        "Stop a one-key registry scan (a task, or images)."
    ),
    action!(
        "DescribeAssetImageRegistryDetail",
        inventory::registry_detail,
        "One registry image."
    ),
    action!(
        "DescribeAssetImageRegistrySummary",
        inventory::registry_summary,
        "Registry images not scanned yet."
    ),
    action!(
        "DescribeAssetImageRegistryRegistryDetail",
        inventory::registry_settings,
        "One image registry's settings (never its password)."
    ),
    action!(
        "CheckRepeatAssetImageRegistry",
        inventory::check_repeat,
        "Whether a registry name is taken."
    ),
    action!(
        "DescribeImageRegistryNamespaceList",
        inventory::namespaces,
        "Namespaces of synced registry images."
    ),
    action!(
        "DescribeAssetImageRegistryAssetStatus",
        inventory::asset_status,
        "Sync state of the image registries."
    ),
    action!(
        "DescribeImageRegistryTimingScanTask",
        timing::describe,
        "The periodic scan of registry images."
    ),
    action!(
        "UpdateImageRegistryTimingScanTask",
        timing::update,
        "Set the periodic scan of registry images."
    ),
    action!(
        "DescribeAssetImageSimpleList",
        inventory::asset_simple_list,
        "Local images, compact."
    ),
    action!(
        "DescribeImageSimpleList",
        inventory::image_simple_list,
        "Local images, compact, with container and host counts."
    ),
    action!(
        "DescribeAssetImageHostList",
        inventory::host_list,
        "Hosts holding images (none: Vigil has no host agents)."
    ),
    action!(
        "CreateImageExportJob",
        exports::image_job,
        "Export the local image list (as DescribeAssetImageList filters it) to Excel."
    ),
    action!(
        "DescribeAssetImageVulListExport",
        exports::vul,
        "Export a local image's vulnerabilities to Excel."
    ),
    action!(
        "DescribeAssetImageRiskListExport",
        exports::risk,
        "Export a local image's risks to Excel."
    ),
    action!(
        "DescribeAssetImageVirusListExport",
        exports::virus,
        "Export a local image's viruses to Excel."
    ),
    action!(
        "CreateAssetImageVirusExportJob",
        exports::virus_job,
        "Export a local image's viruses to Excel (a job to follow)."
    ),
    action!(
        "CreateVulImageExportJob",
        exports::vul_image_job,
        "Export the local images one vulnerability affects to Excel."
    ),
    action!(
        "DescribeAssetImageRegistryListExport",
        exports::registry,
        "Export the registry image list to Excel."
    ),
    action!(
        "DescribeAssetImageRegistryVulListExport",
        exports::registry_vul,
        "Export a registry image's vulnerabilities to Excel."
    ),
    action!(
        "DescribeAssetImageRegistryRiskListExport",
        exports::registry_risk,
        "Export a registry image's risks to Excel."
    ),
    action!(
        "DescribeAssetImageRegistryVirusListExport",
        exports::registry_virus,
        "Export a registry image's viruses to Excel."
    ),
    action!(
        "DescribeExportJobManageList",
        exports::manage_list,
        "The caller's export jobs that have not expired."
    ),
    action!(
        "DescribeExportJobResult",
        exports::result,
        "State and download link of an export job."
    ),
    action!(
        "DescribeExportJobDownloadURL",
        exports::download_url,
        "Download link of an export job."
    ),
];

/// One `AssetFilters` entry.
#[derive(Debug, Clone, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssetFilter {
    /// Filter key.
    #[param(max_len = 64)]
    pub(crate) name: String,
    /// Values; any may match.
    #[param(max_items = 100)]
    pub(crate) values: Vec<String>,
    /// True: exact equality for text keys; otherwise case-insensitive substring.
    pub(crate) exact_match: Option<bool>,
}

/// How a filter key matches a rendered row.
#[derive(Clone, Copy)]
pub(crate) enum Key {
    /// Free text over these fields: substring, or equality with `ExactMatch`.
    Text(&'static [&'static str]),
    /// An enumerated or numeric key: `value` (after `all` is dropped) matches the row when
    /// the function says so; `None` means the value is not one of the key's values.
    Enum(fn(&Value, &str) -> Option<bool>),
}

/// What a list may be filtered and sorted by.
pub(crate) struct ListSpec<'a> {
    /// Filter keys.
    pub(crate) keys: &'a [(&'a str, Key)],
    /// Sort names and the row field each sorts by.
    pub(crate) sorts: &'a [(&'a str, &'a str)],
    /// Default sort field and whether it is descending.
    pub(crate) default: (&'a str, bool),
}

/// Paging and sorting of a list request (`Limit`, `Offset`, `Filters`, `By`, `Order`, in the
/// order most lists take them; a request that takes them in another order declares its own
/// and builds a `Page`).
#[derive(Debug, Clone, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Page {
    #[param(doc = LIMIT_DOC, range(0, 100))]
    pub(crate) limit: Option<i64>,
    #[param(doc = OFFSET_DOC, range(0, i64::MAX))]
    pub(crate) offset: Option<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    pub(crate) filters: Vec<AssetFilter>,
    #[param(doc = BY_DOC, max_len = 64)]
    pub(crate) by: Option<String>,
    #[param(doc = ORDER_DOC, max_len = 8)]
    pub(crate) order: Option<String>,
}

/// A request of only `Filters` (a list that is not paged, or a count).
#[derive(Debug, Clone, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FiltersReq {
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    pub(crate) filters: Vec<AssetFilter>,
}

/// `Limit`, `Offset` and `Filters` of a list that takes its sort parameters elsewhere, or
/// none.
#[derive(Debug, Clone, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Window {
    #[param(doc = LIMIT_DOC, range(0, 100))]
    limit: Option<i64>,
    #[param(doc = OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
}

impl Window {
    /// The page of this window, sorted as given.
    pub(crate) fn page(self, by: Option<String>, order: Option<String>) -> Page {
        Page::of(self.limit, self.offset, self.filters, by, order)
    }
}

impl Page {
    /// The page of a request that declares these parameters itself (in another order).
    pub(crate) fn of(
        limit: Option<i64>,
        offset: Option<i64>,
        filters: Vec<AssetFilter>,
        by: Option<String>,
        order: Option<String>,
    ) -> Page {
        Page {
            limit,
            offset,
            filters,
            by,
            order,
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => text(a).cmp(&text(b)),
    }
}

/// Whether a filter value means "no filter" for an enumerated key.
pub(crate) fn is_all(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("all")
}

/// Rows (rendered, with helper fields named `_...`) that pass every filter.
pub(crate) fn filter_rows(
    rows: Vec<Value>,
    filters: &[AssetFilter],
    spec: &ListSpec<'_>,
) -> ApiResult<Vec<Value>> {
    let mut conds: Vec<(Key, Vec<String>, bool)> = Vec::new();
    for f in filters {
        let Some((_, key)) = spec.keys.iter().find(|(n, _)| *n == f.name) else {
            let names: Vec<&str> = spec.keys.iter().map(|(n, _)| *n).collect();
            return Err(ApiError::invalid(format!(
                "`{}` is not a filter of this list; filters are {}.",
                f.name,
                names.join(", ")
            )));
        };
        let values: Vec<String> = match key {
            Key::Enum(_) => f.values.iter().filter(|v| !is_all(v)).cloned().collect(),
            Key::Text(_) => f.values.clone(),
        };
        if values.is_empty() {
            continue;
        }
        if let Key::Enum(m) = key {
            for v in &values {
                if m(&Value::Null, v).is_none() {
                    return Err(ApiError::invalid_value(format!(
                        "`{v}` is not a value of filter `{}`.",
                        f.name
                    )));
                }
            }
        }
        conds.push((*key, values, f.exact_match.unwrap_or(false)));
    }
    Ok(rows
        .into_iter()
        .filter(|row| {
            conds.iter().all(|(key, values, exact)| match key {
                Key::Text(fields) => values.iter().any(|v| {
                    fields.iter().any(|field| {
                        let have = row.get(*field).map(text).unwrap_or_default();
                        if *exact {
                            have == *v
                        } else {
                            have.to_lowercase().contains(&v.to_lowercase())
                        }
                    })
                }),
                Key::Enum(m) => values.iter().any(|v| m(row, v) == Some(true)),
            })
        })
        .collect())
}

/// Whether the order is descending: `desc`/`-` (any case), `asc`/`+`; `None` when absent.
pub(crate) fn descending(order: Option<&str>) -> ApiResult<Option<bool>> {
    match order.map(|o| o.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(None),
        Some("desc") | Some("-") => Ok(Some(true)),
        Some("asc") | Some("+") => Ok(Some(false)),
        Some(o) => Err(ApiError::invalid(format!(
            "`Order` must be asc or desc (or + and -), not `{o}`."
        ))),
    }
}

/// Sort rows as asked (or by the default), stably.
pub(crate) fn sort_rows(rows: &mut [Value], page: &Page, spec: &ListSpec<'_>) -> ApiResult<()> {
    let (field, default_desc) = match page.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => spec.default,
        Some(by) => {
            let Some((_, field)) = spec.sorts.iter().find(|(n, _)| *n == by) else {
                let names: Vec<&str> = spec.sorts.iter().map(|(n, _)| *n).collect();
                return Err(ApiError::invalid(format!(
                    "`By` `{by}` is not a sort field of this list; fields are {}.",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            (*field, true)
        }
    };
    let desc = descending(page.order.as_deref())?.unwrap_or(default_desc);
    rows.sort_by(|a, b| {
        let o = compare(
            a.get(field).unwrap_or(&Value::Null),
            b.get(field).unwrap_or(&Value::Null),
        );
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    Ok(())
}

/// Drop helper fields (`_...`) from a rendered row.
pub(crate) fn strip(mut row: Value) -> Value {
    if let Value::Object(m) = &mut row {
        m.retain(|k, _| !k.starts_with('_'));
    }
    row
}

/// Filter, sort and page rendered rows; returns the total before paging and the page.
pub(crate) fn list_rows(
    rows: Vec<Value>,
    page: &Page,
    spec: &ListSpec<'_>,
) -> ApiResult<(usize, Vec<Value>)> {
    let mut rows = filter_rows(rows, &page.filters, spec)?;
    sort_rows(&mut rows, page, spec)?;
    let total = rows.len();
    let offset = usize::try_from(page.offset.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
    let limit = match page.limit {
        None | Some(0) => 10,
        Some(n) => usize::try_from(n.clamp(1, 100)).unwrap_or(10),
    };
    Ok((
        total,
        rows.into_iter()
            .skip(offset)
            .take(limit)
            .map(strip)
            .collect(),
    ))
}

/// Filter, sort and cut rendered rows for an export: `Offset` is honoured, `Limit` absent or
/// 0 means every row, and no more than `max` rows either way; helper fields are stripped.
pub(crate) fn export_rows(
    rows: Vec<Value>,
    page: &Page,
    spec: &ListSpec<'_>,
    max: usize,
) -> ApiResult<Vec<Value>> {
    let mut rows = filter_rows(rows, &page.filters, spec)?;
    sort_rows(&mut rows, page, spec)?;
    let offset = usize::try_from(page.offset.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
    let limit = match page.limit {
        None | Some(0) => max,
        Some(n) => usize::try_from(n.max(1)).unwrap_or(max).min(max),
    };
    Ok(rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(strip)
        .collect())
}

/// TCSS level of a severity: 4 critical, 3 high, 2 medium, 1 low (and unknown or info).
pub(crate) fn level(s: Option<Severity>) -> u64 {
    match s {
        Some(Severity::Critical) => 4,
        Some(Severity::High) => 3,
        Some(Severity::Medium) => 2,
        _ => 1,
    }
}

/// A level filter value: `1`-`4` or a name (`low`, `medium`/`middle`, `high`, `critical`).
pub(crate) fn parse_level(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.parse::<u64>() {
        Ok(n) if (1..=4).contains(&n) => Some(n),
        Ok(_) => None,
        Err(_) => match v.parse::<Severity>().ok()? {
            Severity::Critical => Some(4),
            Severity::High => Some(3),
            Severity::Medium => Some(2),
            Severity::Low => Some(1),
            Severity::Info => None,
        },
    }
}

/// Enum filter on a numeric field named in the row (`Level`, `RiskLevel`, `Behavior`,
/// `Type`): the value must be a number 1-4 or (for levels) a level name.
pub(crate) fn numeric_is(row: &Value, field: &str, v: &str, names: bool) -> Option<bool> {
    let want = if names {
        parse_level(v)?
    } else {
        match v.trim().parse::<u64>() {
            Ok(n) if (1..=4).contains(&n) => n,
            _ => return None,
        }
    };
    Some(row.get(field).and_then(number) == Some(want as f64))
}

/// An RFC 3339 time (`2021-01-29T04:03:18Z`), empty for none.
pub(crate) fn rfc3339(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// `FailedOperation.ErrAlreadyScanning`.
pub(crate) fn already_scanning(message: impl Into<String>) -> ApiError {
    ApiError::new(ALREADY_SCANNING, message)
}

/// `InvalidParameter.MissingParameter` (a parameter another one makes necessary).
pub(crate) fn missing_sub(message: impl Into<String>) -> ApiError {
    ApiError::new(PARAMETER_MISSING, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Value> {
        vec![
            json!({"Name": "nginx:1.25", "Level": 3, "_Id": 1}),
            json!({"Name": "alpine:3.19", "Level": 1, "_Id": 2}),
            json!({"Name": "NGINX:latest", "Level": 4, "_Id": 3}),
        ]
    }

    fn level_key(row: &Value, v: &str) -> Option<bool> {
        numeric_is(row, "Level", v, true)
    }

    const SPEC: ListSpec = ListSpec {
        keys: &[
            ("Name", Key::Text(&["Name"])),
            ("Level", Key::Enum(level_key)),
        ],
        sorts: &[("Level", "Level"), ("Name", "Name")],
        default: ("_Id", true),
    };

    fn page(v: Value) -> Page {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn filters_sort_and_page() {
        let (n, p) = list_rows(rows(), &page(json!({})), &SPEC).unwrap();
        assert_eq!(n, 3);
        assert_eq!(p[0]["Name"], "NGINX:latest");
        assert!(p[0].get("_Id").is_none(), "helper fields are stripped");
        let (n, _) = list_rows(
            rows(),
            &page(json!({"Filters": [{"Name": "Name", "Values": ["nginx"]}]})),
            &SPEC,
        )
        .unwrap();
        assert_eq!(n, 2, "fuzzy and case-insensitive");
        let (n, _) = list_rows(
            rows(),
            &page(json!({"Filters": [{"Name": "Name", "Values": ["nginx"], "ExactMatch": true}]})),
            &SPEC,
        )
        .unwrap();
        assert_eq!(n, 0, "exact");
        let (n, p) = list_rows(
            rows(),
            &page(
                json!({"Filters": [{"Name": "Level", "Values": ["high", "4"]},
                                     {"Name": "Name", "Values": ["1.25", "latest"]}],
                         "By": "Level", "Order": "+"}),
            ),
            &SPEC,
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(p[0]["Level"], 3);
        let (n, _) = list_rows(
            rows(),
            &page(json!({"Filters": [{"Name": "Level", "Values": ["ALL"]}]})),
            &SPEC,
        )
        .unwrap();
        assert_eq!(n, 3, "`all` is no filter");
        let (n, p) = list_rows(
            rows(),
            &page(json!({"Limit": 1, "Offset": 1, "By": "Name", "Order": "ASC"})),
            &SPEC,
        )
        .unwrap();
        assert_eq!((n, p.len()), (3, 1));
        assert_eq!(p[0]["Name"], "alpine:3.19");
    }

    #[test]
    fn bad_filters_sorts_and_orders() {
        for (p, code) in [
            (
                json!({"Filters": [{"Name": "Nope", "Values": ["1"]}]}),
                "InvalidParameter",
            ),
            (
                json!({"Filters": [{"Name": "Level", "Values": ["9"]}]}),
                "InvalidParameterValue",
            ),
            (json!({"By": "Nope"}), "InvalidParameter"),
            (json!({"Order": "sideways"}), "InvalidParameter"),
        ] {
            assert_eq!(list_rows(rows(), &page(p), &SPEC).unwrap_err().code, code);
        }
    }

    proptest::proptest! {
        #[test]
        fn listing_never_panics(
            name in "[A-Za-z]{0,8}",
            values in proptest::collection::vec(".{0,12}", 0..4),
            exact in proptest::option::of(proptest::bool::ANY),
            by in proptest::option::of("[A-Za-z_]{0,8}"),
            order in proptest::option::of(".{0,6}"),
            limit in proptest::option::of(0i64..=100),
            offset in proptest::option::of(0i64..=i64::MAX),
        ) {
            let page = Page {
                limit,
                offset,
                by,
                order,
                filters: vec![AssetFilter { name, values, exact_match: exact }],
            };
            if let Ok((total, p)) = list_rows(rows(), &page, &SPEC) {
                proptest::prop_assert!(total <= 3 && p.len() <= total);
            }
        }
    }

    #[test]
    fn levels() {
        assert_eq!(level(Some(Severity::Critical)), 4);
        assert_eq!(level(Some(Severity::Info)), 1);
        assert_eq!(level(None), 1);
        assert_eq!(parse_level("MIDDLE"), Some(2));
        assert_eq!(parse_level("HIGH"), Some(3));
        assert_eq!(parse_level("0"), None);
        assert_eq!(parse_level("info"), None);
        assert_eq!(rfc3339(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(None), "");
    }
}
