//! Inventory views: one registry image (`DescribeAssetImageRegistryDetail`), the count of
//! registry images not scanned yet (`DescribeAssetImageRegistrySummary`), one registry's
//! settings (`DescribeAssetImageRegistryRegistryDetail`: never the password, which reads
//! back empty, and no webhook, which Vigil does not receive), whether a registry name is
//! taken (`CheckRepeatAssetImageRegistry`), the namespaces of synced registry images
//! (`DescribeImageRegistryNamespaceList`: repositories without a namespace are left out),
//! the sync state of the account's registries (`DescribeAssetImageRegistryAssetStatus`),
//! compact lists of local images (`DescribeAssetImageSimpleList`, `DescribeImageSimpleList`)
//! and the hosts holding an image (`DescribeAssetImageHostList`: Vigil has no host agents,
//! so no image is on a known host and the list is empty, as every `HostCnt` is 0).
//!
//! Lists use the module's shared filter model; the compact lists filter, sort and page
//! exactly like `DescribeAssetImageList`, so their rows are that list's rows.

use super::images::{select_registry, Inventory, LOCAL_SPEC};
use super::registries::{registry_not_found, registry_row};
use super::scans::find_registry_image;
use super::{
    filter_rows, list_rows, missing_sub, AssetFilter, FiltersReq, Key, ListSpec, Page, FILTERS_DOC,
    ID_DOC, LIMIT_DOC, MAX_FILTERS, OFFSET_DOC,
};
use crate::error::{ApiError, ApiResult};
use crate::params::{NoParams, Params};
use crate::products::opt_time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use vigil_store::ImageSet;

/// Field names of `DescribeAssetImageRegistryDetailResponse` found in a registry image row.
const DETAIL_FIELDS: &[&str] = &[
    "ImageDigest",
    "ImageRepoAddress",
    "RegistryType",
    "ImageName",
    "ImageTag",
    "ScanTime",
    "ScanStatus",
    "VulCnt",
    "VirusCnt",
    "RiskCnt",
    "SentiveInfoCnt",
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
    "ImageSize",
    "ImageId",
    "RegistryRegion",
    "ImageCreateTime",
    "SensitiveInfoCnt",
    "Id",
    "Solution",
    "Reason",
];

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryDetailReq {
    #[param(doc = ID_DOC)]
    id: Option<i64>,
    /// Image id (sha256:...).
    #[param(max_len = 128)]
    image_id: Option<String>,
}

/// `DescribeAssetImageRegistryDetail`: the registry image by `Id`, else the newest recorded
/// registry image with `ImageId` (both must hold when both are given). `LayerInfo` is the
/// image's build history, one step per line.
pub(super) async fn registry_detail(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryDetailReq,
) -> ApiResult {
    let image_id = r
        .image_id
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let inv = Inventory::load(st, rc.account.id, ImageSet::Registry).await?;
    let row = match (r.id, image_id) {
        (Some(id), want) => {
            let row = find_registry_image(&inv, id)?;
            if want.is_some_and(|w| w != row.image_id) {
                return Err(ApiError::not_found(format!(
                    "Registry image {id} does not have image id `{}`.",
                    want.unwrap_or("").chars().take(80).collect::<String>()
                )));
            }
            row
        }
        (None, Some(want)) => inv
            .images
            .iter()
            .filter(|i| i.image_id == want)
            .max_by_key(|i| i.id)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "No registry image has image id `{}`.",
                    want.chars().take(80).collect::<String>()
                ))
            })?,
        (None, None) => return Err(missing_sub("Name the image: `Id` or `ImageId`.")),
    };
    let full = inv.view(row).registry_row();
    let mut out = serde_json::Map::new();
    for f in DETAIL_FIELDS {
        out.insert(
            (*f).to_string(),
            full.get(*f).cloned().unwrap_or(Value::Null),
        );
    }
    out.insert("LayerInfo".into(), Value::String(row.history.clone()));
    Ok(Value::Object(out))
}

/// `DescribeAssetImageRegistrySummary`: registry images (passing `Filters`, those of
/// `DescribeAssetImageRegistryList`) never scanned.
pub(super) async fn registry_summary(st: &Services, rc: &RequestCtx, r: FiltersReq) -> ApiResult {
    let inv = Inventory::load(st, rc.account.id, ImageSet::Registry).await?;
    let n = select_registry(&inv, &r.filters)?
        .iter()
        .filter(|v| v.get("ScanStatus").and_then(Value::as_str) == Some("NOT_SCAN"))
        .count();
    Ok(json!({ "UnScannedImageCnt": n }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryIdReq {
    /// The registry.
    registry_id: i64,
}

/// `DescribeAssetImageRegistryRegistryDetail`.
pub(super) async fn registry_settings(
    st: &Services,
    rc: &RequestCtx,
    r: RegistryIdReq,
) -> ApiResult {
    let reg = st
        .store
        .registry(rc.account.id, r.registry_id)
        .await
        .map_err(|e| registry_not_found(e, r.registry_id))?;
    let row = registry_row(&reg);
    Ok(json!({
        "Name": reg.name, "Username": reg.username,
        // Passwords are sealed at rest and never returned.
        "Password": "",
        "Url": reg.url, "RegistryType": reg.registry_type,
        "RegistryVersion": reg.registry_version, "NetType": reg.net_type,
        "RegistryRegion": reg.registry_region, "SpeedLimit": reg.speed_limit.max(0),
        "Insecure": u8::from(reg.insecure), "ConnDetectDetail": row["ConnDetectDetail"],
        "InstanceID": reg.instance_id, "SyncMode": reg.sync_mode.max(0),
        "NeedScan": reg.need_scan,
        // Vigil does not receive registry webhooks.
        "WebhookUrl": "", "WebhookToken": "",
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameReq {
    /// Registry name.
    #[param(max_len = 128)]
    name: String,
}

/// `CheckRepeatAssetImageRegistry`: whether one of the account's registries has this name
/// (compared as `AddAssetImageRegistryRegistryDetail` does, trimmed).
pub(super) async fn check_repeat(st: &Services, rc: &RequestCtx, r: NameReq) -> ApiResult {
    let name = r.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_value("`Name` must not be empty."));
    }
    let repeat = st
        .store
        .registries(rc.account.id)
        .await?
        .iter()
        .any(|g| g.name == name);
    Ok(json!({ "IsRepeat": repeat }))
}

/// One namespace: its repositories (registry, path), images, and risky images.
type NamespaceCounts<'a> = (HashSet<(i64, &'a str)>, u64, u64);

const NAMESPACE_SPEC: ListSpec<'static> = ListSpec {
    keys: &[("Namespace", Key::Text(&["Namespace"]))],
    sorts: &[],
    default: ("Namespace", false),
};

/// Paging of the namespace list: `Offset` first, no sort.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NamespaceReq {
    #[param(doc = OFFSET_DOC, range(0, i64::MAX))]
    offset: Option<i64>,
    #[param(doc = LIMIT_DOC, range(0, 100))]
    limit: Option<i64>,
    #[serde(default)]
    #[param(doc = FILTERS_DOC, max_items = MAX_FILTERS)]
    filters: Vec<AssetFilter>,
}

/// `DescribeImageRegistryNamespaceList`: the namespaces of the account's registry images,
/// by name, with their repositories, images, and images whose latest scan found something.
pub(super) async fn namespaces(st: &Services, rc: &RequestCtx, r: NamespaceReq) -> ApiResult {
    let inv = Inventory::load(st, rc.account.id, ImageSet::Registry).await?;
    let mut groups: BTreeMap<&str, NamespaceCounts<'_>> = BTreeMap::new();
    for img in inv.images.iter().filter(|i| !i.namespace.is_empty()) {
        let g = groups.entry(img.namespace.as_str()).or_default();
        g.0.insert((img.registry_id.unwrap_or(0), img.repository.as_str()));
        g.1 += 1;
        let v = inv.view(img);
        if v.vul_cnt() + v.virus_cnt() + v.risk_cnt() > 0 {
            g.2 += 1;
        }
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(ns, (repos, images, risky))| {
            json!({"Namespace": ns, "RegistryCnt": repos.len(), "ImageCnt": images,
                   "RiskImageCnt": risky})
        })
        .collect();
    let page = Page::of(r.limit, r.offset, r.filters, None, None);
    let (total, detail) = list_rows(rows, &page, &NAMESPACE_SPEC)?;
    let names: Vec<Value> = detail.iter().map(|d| d["Namespace"].clone()).collect();
    Ok(json!({"TotalCount": total, "NamespaceList": names, "NamespaceDetail": detail}))
}

/// `DescribeAssetImageRegistryAssetStatus`: `doing` while a registry syncs, else `failed`
/// when a registry's last sync failed (`Err` names them), else `success` once any sync
/// succeeded; empty before the first sync. `LatestSyncSuccessTime`: the latest successful
/// sync of any registry.
pub(super) async fn asset_status(st: &Services, rc: &RequestCtx, _p: NoParams) -> ApiResult {
    let regs = st.store.registries(rc.account.id).await?;
    let failed: Vec<String> = regs
        .iter()
        .filter(|g| g.sync_status == "failed")
        .map(|g| format!("{}: {}", g.name, g.sync_error))
        .collect();
    let status = if regs.iter().any(|g| g.sync_status == "doing") {
        "doing"
    } else if !failed.is_empty() {
        "failed"
    } else if regs.iter().any(|g| g.sync_status == "success") {
        "success"
    } else {
        ""
    };
    let latest = regs.iter().filter_map(|g| g.synced_at).max();
    Ok(json!({
        "Status": status,
        "Err": if status == "failed" { failed.join("; ") } else { String::new() },
        "LatestSyncSuccessTime": opt_time_str(latest),
    }))
}

/// Filters of `DescribeAssetImageSimpleList`: `Keywords` (image name or id) and those of
/// the local image list.
const ASSET_SIMPLE_SPEC: ListSpec<'static> = ListSpec {
    keys: &[("Keywords", Key::Text(&["ImageName", "ImageID"]))],
    sorts: LOCAL_SPEC.sorts,
    default: LOCAL_SPEC.default,
};

/// The local image rows of a compact list: rendered, filtered (`extra` keys first, then
/// the local list's), sorted and paged.
fn simple_rows(
    inv: &Inventory,
    page: &Page,
    extra: &ListSpec<'_>,
) -> ApiResult<(usize, Vec<Value>)> {
    let (mine, theirs): (Vec<AssetFilter>, Vec<AssetFilter>) = page
        .filters
        .iter()
        .cloned()
        .partition(|f| extra.keys.iter().any(|(n, _)| *n == f.name));
    let rows: Vec<Value> = inv.images.iter().map(|i| inv.view(i).local_row()).collect();
    // Names neither list knows are refused by the local list's filter check.
    let rows = filter_rows(rows, &mine, extra)?;
    let page = Page {
        filters: theirs,
        ..page.clone()
    };
    list_rows(rows, &page, &LOCAL_SPEC)
}

/// `DescribeAssetImageSimpleList`: local images, compact.
pub(super) async fn asset_simple_list(st: &Services, rc: &RequestCtx, page: Page) -> ApiResult {
    let inv = Inventory::load(st, rc.account.id, ImageSet::Local).await?;
    let (total, rows) = simple_rows(&inv, &page, &ASSET_SIMPLE_SPEC)?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"ImageID": r["ImageID"], "ImageName": r["ImageName"],
                   "ContainerCnt": r["ContainerCnt"], "ScanTime": r["ScanTime"], "Size": r["Size"]})
        })
        .collect();
    Ok(json!({"List": list, "TotalCount": total}))
}

fn authorized_is(_row: &Value, v: &str) -> Option<bool> {
    // Every image counts as authorised in Vigil.
    match v.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// Filters of `DescribeImageSimpleList`: `IsAuthorized` and those of the local image list.
const IMAGE_SIMPLE_SPEC: ListSpec<'static> = ListSpec {
    keys: &[("IsAuthorized", Key::Enum(authorized_is))],
    sorts: LOCAL_SPEC.sorts,
    default: LOCAL_SPEC.default,
};

/// `DescribeImageSimpleList`: local images (`ImageType` `local`: imported, not listed from a
/// registry), compact, with their container and host counts (0: Vigil tracks neither).
pub(super) async fn image_simple_list(st: &Services, rc: &RequestCtx, page: Page) -> ApiResult {
    let inv = Inventory::load(st, rc.account.id, ImageSet::Local).await?;
    let (total, rows) = simple_rows(&inv, &page, &IMAGE_SIMPLE_SPEC)?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"ImageID": r["ImageID"], "ImageName": r["ImageName"], "Size": r["Size"],
                   "ImageType": "local", "ContainerCnt": r["ContainerCnt"], "HostCnt": r["HostCnt"]})
        })
        .collect();
    Ok(json!({"ImageList": list, "ImageCnt": total}))
}

const HOST_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("ImageID", Key::Text(&["ImageID"])),
        ("HostID", Key::Text(&["HostID"])),
    ],
    sorts: &[],
    default: ("ImageID", false),
};

/// `DescribeAssetImageHostList`: images by host. Vigil has no host agents: no image is on a
/// known host, so the list is empty (filters are still checked).
pub(super) async fn host_list(_st: &Services, _rc: &RequestCtx, r: FiltersReq) -> ApiResult {
    let rows = filter_rows(Vec::new(), &r.filters, &HOST_SPEC)?;
    Ok(json!({"List": rows, "TotalCount": rows.len()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_filters_are_checked() {
        let page: FiltersReq =
            serde_json::from_value(json!({"Filters": [{"Name": "HostID", "Values": ["h"]}]}))
                .unwrap();
        assert!(filter_rows(Vec::new(), &page.filters, &HOST_SPEC)
            .unwrap()
            .is_empty());
        let bad: FiltersReq =
            serde_json::from_value(json!({"Filters": [{"Name": "Nope", "Values": ["h"]}]}))
                .unwrap();
        assert_eq!(
            filter_rows(Vec::new(), &bad.filters, &HOST_SPEC)
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
    }

    #[test]
    fn keywords_match_the_image_name_or_id() {
        let rows = vec![
            json!({"ImageID": "sha256:aa", "ImageName": "shop/web:1.0", "_Status": "notScan", "_Id": 1}),
            json!({"ImageID": "sha256:bb", "ImageName": "shop/db:2", "_Status": "scanned", "_Id": 2}),
        ];
        let f = |n: &str, v: &str| AssetFilter {
            name: n.into(),
            values: vec![v.into()],
            exact_match: None,
        };
        let got = filter_rows(rows.clone(), &[f("Keywords", "BB")], &ASSET_SIMPLE_SPEC).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["_Id"], 2);
        let got = filter_rows(rows, &[f("Keywords", "web")], &ASSET_SIMPLE_SPEC).unwrap();
        assert_eq!(got[0]["_Id"], 1);
    }
}
