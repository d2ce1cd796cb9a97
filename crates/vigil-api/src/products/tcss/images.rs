//! The image inventory as TCSS shows it: local images (`DescribeAssetImageList`,
//! `DescribeAssetImageDetail`) and registry images (`DescribeAssetImageRegistryList`), each
//! with the state of its latest scan task and the counts of its latest successful one.
//!
//! An image's `ScanStatus` is `SCANNING` while its latest task is unfinished, else `SCANNED`
//! or `SCAN_ERR` after its latest succeeded or failed task (a stopped task leaves the image as
//! it was before), else `NOT_SCAN`. Counts leave out suppressed findings. `IsSuggest` marks
//! images with critical or high vulnerabilities, `RecommendedFix` (and `HasNeedFixVul`) those
//! with a critical or high vulnerability that has a fixed version. `IsLatestImage`: the
//! newest build (config `created`) of its repository. The default order is newest recorded
//! first.

use super::groups::{self, unfinished, ImageScanItem, ItemFacts};
use super::{list_rows, rfc3339, AssetFilter, Key, ListSpec, Page};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use vigil_core::TaskState;
use vigil_store::{ImageRow, ImageScanState, ImageSet, RegistryRow, ScanSummary};

/// Assumed duration of one image scan before any has been measured.
const DEFAULT_SCAN_SECS: i64 = 60;

/// Everything needed to render a set of images: the rows, their registries, their latest
/// scan items and the counts of their latest successful tasks.
pub(crate) struct Inventory {
    pub(crate) images: Vec<ImageRow>,
    pub(crate) registries: HashMap<i64, RegistryRow>,
    state: ImageScanState<ItemFacts>,
    sums: HashMap<i64, ScanSummary>,
    latest_rows: HashSet<i64>,
    avg_secs: i64,
}

/// The repository an image belongs to, for "latest version" (local: the name before the tag).
fn repo_key(img: &ImageRow) -> (i64, String) {
    match img.registry_id {
        Some(r) => (r, img.repository.clone()),
        None => match img.name.rsplit_once(':') {
            Some((repo, _)) if !img.name.starts_with("<none>") && !repo.is_empty() => {
                (0, repo.to_string())
            }
            _ => (0, format!("\u{0}{}", img.id)),
        },
    }
}

fn latest_rows(images: &[ImageRow]) -> HashSet<i64> {
    let mut groups: HashMap<(i64, String), Vec<&ImageRow>> = HashMap::new();
    for img in images {
        groups.entry(repo_key(img)).or_default().push(img);
    }
    let mut out = HashSet::new();
    for rows in groups.values() {
        match rows.iter().filter_map(|r| r.image_created_at).max() {
            Some(newest) => out.extend(
                rows.iter()
                    .filter(|r| r.image_created_at == Some(newest))
                    .map(|r| r.id),
            ),
            None => {
                let pick = rows
                    .iter()
                    .find(|r| r.tag == "latest" || r.name.ends_with(":latest"))
                    .or_else(|| rows.iter().max_by_key(|r| r.id));
                out.extend(pick.map(|r| r.id));
            }
        }
    }
    out
}

impl Inventory {
    /// Load the images of `set` (scans past their deadline are stopped first).
    pub(crate) async fn load(st: &Services, account_id: i64, set: ImageSet) -> ApiResult<Self> {
        groups::expire(st, account_id).await?;
        let images = st.store.images(account_id, set).await?;
        let registries = if set == ImageSet::Local {
            HashMap::new()
        } else {
            st.store
                .registries(account_id)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect()
        };
        let state = st.store.image_scan_state(account_id).await?;
        let rows: HashSet<i64> = images.iter().map(|i| i.id).collect();
        let tasks: Vec<i64> = state
            .latest_ok
            .values()
            .filter(|i| i.subject_row.is_some_and(|r| rows.contains(&r)))
            .map(|i| i.task.id)
            .collect();
        let sums = st.store.scan_summaries(account_id, &tasks).await?;
        let durations: Vec<i64> = state
            .latest_done
            .values()
            .filter_map(|i| Some(i.task.finished_at? - i.task.started_at?))
            .filter(|d| *d >= 0)
            .collect();
        let avg_secs = if durations.is_empty() {
            DEFAULT_SCAN_SECS
        } else {
            (durations.iter().sum::<i64>() / durations.len() as i64 / 1000).max(1)
        };
        Ok(Inventory {
            latest_rows: latest_rows(&images),
            images,
            registries,
            state,
            sums,
            avg_secs,
        })
    }

    /// The view of one image of this inventory.
    pub(crate) fn view<'a>(&'a self, row: &'a ImageRow) -> View<'a> {
        let ok = self.state.latest_ok.get(&row.id);
        View {
            inv: self,
            row,
            latest: self.state.latest.get(&row.id),
            done: self.state.latest_done.get(&row.id),
            sum: ok.and_then(|i| self.sums.get(&i.task.id)),
        }
    }

    /// The latest succeeded scan item of an image row.
    pub(crate) fn latest_ok(&self, row: i64) -> Option<&ImageScanItem> {
        self.state.latest_ok.get(&row)
    }

    /// The registry of a registry image.
    pub(crate) fn registry_of(&self, row: &ImageRow) -> Option<&RegistryRow> {
        row.registry_id.and_then(|r| self.registries.get(&r))
    }
}

/// One image with its scan state.
pub(crate) struct View<'a> {
    inv: &'a Inventory,
    pub(crate) row: &'a ImageRow,
    latest: Option<&'a ImageScanItem>,
    done: Option<&'a ImageScanItem>,
    sum: Option<&'a ScanSummary>,
}

impl View<'_> {
    /// Whether a scan of the image is waiting or running.
    pub(crate) fn scanning(&self) -> bool {
        self.latest.is_some_and(|i| unfinished(i.task.state))
    }

    /// `NOT_SCAN`, `SCANNING`, `SCANNED` or `SCAN_ERR`.
    pub(crate) fn status(&self) -> &'static str {
        if self.scanning() {
            return "SCANNING";
        }
        match self.done.map(|d| d.task.state) {
            Some(TaskState::Succeeded) => "SCANNED",
            Some(_) => "SCAN_ERR",
            None => "NOT_SCAN",
        }
    }

    /// The status as the list filter spells it.
    fn status_filter(&self) -> &'static str {
        match self.status() {
            "SCANNING" => "scanning",
            "SCANNED" => "scanned",
            "SCAN_ERR" => "scanErr",
            _ => "notScan",
        }
    }

    /// Numeric status (detail `Status`): 0 not scanned, 1 scanning, 2 scanned, 3 error.
    fn status_number(&self) -> u64 {
        match self.status() {
            "SCANNING" => 1,
            "SCANNED" => 2,
            "SCAN_ERR" => 3,
            _ => 0,
        }
    }

    /// Whether a scanner ran, is running or failed on the image: `NOT_SCAN`, `SCANNING`,
    /// `SCANNED`, `SCAN_ERR`.
    pub(crate) fn scanner_status(&self, scanner: &str) -> &'static str {
        if self.latest.is_some_and(|l| {
            unfinished(l.task.state) && l.facts.scanners.iter().any(|s| s == scanner)
        }) {
            return "SCANNING";
        }
        match self
            .done
            .filter(|d| d.facts.scanners.iter().any(|s| s == scanner))
        {
            Some(d) if d.task.state == TaskState::Succeeded => {
                if d.errors.get(scanner).is_some_and(|e| !e.is_empty()) {
                    "SCAN_ERR"
                } else {
                    "SCANNED"
                }
            }
            Some(_) => "SCAN_ERR",
            None => "NOT_SCAN",
        }
    }

    /// Whether the latest scan that ran `scanner` was stopped.
    pub(crate) fn latest_stopped(&self, scanner: &str) -> bool {
        self.latest.is_some_and(|l| {
            l.task.state == TaskState::Stopped && l.facts.scanners.iter().any(|s| s == scanner)
        })
    }

    /// Last scan end (succeeded or failed), `YYYY-MM-DD HH:MM:SS`.
    pub(crate) fn scan_time(&self) -> String {
        self.done
            .and_then(|d| d.task.finished_at)
            .map(time_str)
            .unwrap_or_default()
    }

    /// [`View::scan_time`] as RFC 3339 (registry rows).
    fn scan_time_rfc3339(&self) -> String {
        rfc3339(self.done.and_then(|d| d.task.finished_at))
    }

    /// Why the latest finished scan failed.
    pub(crate) fn scan_error(&self) -> String {
        match self.done {
            Some(d) if d.task.state == TaskState::Failed => {
                d.task.error.clone().unwrap_or_else(|| "scan failed".into())
            }
            _ => String::new(),
        }
    }

    /// The error of one scanner in the latest finished scan.
    pub(crate) fn scanner_error(&self, scanner: &str) -> String {
        let Some(d) = self
            .done
            .filter(|d| d.facts.scanners.iter().any(|s| s == scanner))
        else {
            return String::new();
        };
        if let Some(e) = d.errors.get(scanner).filter(|e| !e.is_empty()) {
            return e.clone();
        }
        self.scan_error()
    }

    /// Progress of one scanner (or overall), percent.
    pub(crate) fn progress(&self, scanner: Option<&str>) -> u64 {
        let includes =
            |i: &ImageScanItem| scanner.is_none_or(|s| i.facts.scanners.iter().any(|x| x == s));
        match self.latest.filter(|l| includes(l)) {
            Some(l) if unfinished(l.task.state) => l.task.progress.clamp(0, 100) as u64,
            Some(_) => 100,
            None => 0,
        }
    }

    /// Estimated seconds left of the running scan.
    pub(crate) fn remain_secs(&self) -> u64 {
        match self.latest {
            Some(l) if unfinished(l.task.state) => {
                let left = (100 - l.task.progress.clamp(0, 100)) * self.inv.avg_secs / 100;
                left.max(0) as u64
            }
            _ => 0,
        }
    }

    fn counts(&self) -> ScanSummary {
        self.sum.cloned().unwrap_or_default()
    }

    /// Vulnerabilities by level: low (with info and unknown), medium, high, critical.
    pub(crate) fn vul_levels(&self) -> [i64; 4] {
        let v = self.counts().vuln;
        [v[0] + v[1], v[2], v[3], v[4]]
    }

    /// Vulnerabilities.
    pub(crate) fn vul_cnt(&self) -> i64 {
        self.counts().vuln.iter().sum()
    }

    /// Viruses and malicious files.
    pub(crate) fn virus_cnt(&self) -> i64 {
        self.counts().virus.iter().sum()
    }

    /// Risks (secrets, sensitive files, configuration).
    pub(crate) fn risk_cnt(&self) -> i64 {
        self.counts().risk.iter().sum()
    }

    /// Secrets and sensitive files among the risks.
    pub(crate) fn sensitive_cnt(&self) -> i64 {
        self.counts().sensitive
    }

    /// Components (the OS entry left out).
    pub(crate) fn component_cnt(&self) -> i64 {
        self.counts().components
    }

    /// Critical or high vulnerabilities present.
    pub(crate) fn is_suggest(&self) -> bool {
        let l = self.vul_levels();
        l[2] + l[3] > 0
    }

    /// A critical or high vulnerability with a fixed version present.
    pub(crate) fn recommended_fix(&self) -> bool {
        let f = self.counts().vuln_fixable;
        f[3] + f[4] > 0
    }

    /// Newest build of its repository.
    pub(crate) fn is_latest(&self) -> bool {
        self.inv.latest_rows.contains(&self.row.id)
    }

    /// `distro:version` from the scan, else what the inventory says.
    pub(crate) fn os_name(&self) -> String {
        match &self.counts().os {
            Some((name, version)) if !version.is_empty() => format!("{name}:{version}"),
            Some((name, _)) => name.clone(),
            None => self.row.os_name.clone(),
        }
    }

    /// `SecurityRisk` filter values that hold.
    fn security(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let l = self.vul_levels();
        if self.vul_cnt() > 0 {
            out.push("VulCnt");
        }
        if self.virus_cnt() > 0 {
            out.push("VirusCnt");
        }
        if self.risk_cnt() > 0 {
            out.push("RiskCnt");
        }
        for (n, name) in l.iter().zip([
            "LowLevelVul",
            "MediumLevelVul",
            "HighLevelVul",
            "CriticalLevelVul",
        ]) {
            if *n > 0 {
                out.push(name);
            }
        }
        out
    }

    /// (Reason, Solution) of a failed scan.
    pub(crate) fn reason_solution(&self) -> (String, String) {
        let e = self.scan_error();
        if e.is_empty() {
            return (String::new(), String::new());
        }
        (
            e,
            "Check that the Vigil worker can read the image source (file path, registry address, credentials, network), then scan again.".into(),
        )
    }

    /// `ImagesInfo` with helper fields for filters and sorting.
    pub(crate) fn local_row(&self) -> Value {
        let r = self.row;
        let l = self.vul_levels();
        let (reason, solution) = self.reason_solution();
        json!({
            "ImageID": r.image_id,
            "ImageName": if r.name.is_empty() { "<none>:<none>".to_string() } else { r.name.clone() },
            "CreateTime": rfc3339(r.image_created_at), "Size": r.size.max(0),
            "HostCnt": 0, "SuperNodeCnt": 0, "ContainerCnt": 0,
            "ScanTime": self.scan_time(), "VulCnt": self.vul_cnt(), "VirusCnt": self.virus_cnt(),
            "RiskCnt": self.risk_cnt(), "IsTrustImage": false, "OsName": self.os_name(),
            "AgentError": "", "ScanError": self.scan_error(), "ScanStatus": self.status(),
            "ScanVirusError": self.scanner_error("virus"), "ScanVulError": self.scanner_error("vuln"),
            "ScanRiskError": self.scanner_error("risk"), "IsSuggest": u64::from(self.is_suggest()),
            "IsAuthorized": 1, "ComponentCnt": self.component_cnt(),
            "CriticalLevelVulCnt": l[3], "HighLevelVulCnt": l[2], "MediumLevelVulCnt": l[1],
            "LowLevelVulCnt": l[0], "IsLatestImage": self.is_latest(),
            "RecommendedFix": self.recommended_fix(), "Solution": solution, "Reason": reason,
            "_Id": r.id, "_Status": self.status_filter(), "_Security": self.security(),
            "_Create": r.image_created_at.unwrap_or(0),
            "_ScanTime": self.done.and_then(|d| d.task.finished_at).unwrap_or(0),
        })
    }

    /// `ImageRepoInfo` with helper fields.
    pub(crate) fn registry_row(&self) -> Value {
        let r = self.row;
        let reg = self.inv.registry_of(r);
        let l = self.vul_levels();
        let (reason, solution) = self.reason_solution();
        let name = r.repository.rsplit('/').next().unwrap_or("").to_string();
        let host = reg.map(|g| registry_host(&g.url)).unwrap_or_default();
        let mut row = json!({
            "ImageDigest": r.digest, "ImageRepoAddress": format!("{host}/{}", r.repository),
            "RegistryType": reg.map(|g| g.registry_type.clone()).unwrap_or_default(),
            "ImageName": name, "ImageTag": r.tag, "ImageSize": r.size.max(0),
            "ScanTime": self.scan_time_rfc3339(), "ScanStatus": self.status(),
            "VulCnt": self.vul_cnt(), "VirusCnt": self.virus_cnt(), "RiskCnt": self.risk_cnt(),
            "SentiveInfoCnt": self.sensitive_cnt(), "IsTrustImage": false, "OsName": self.os_name(),
            "ScanVirusError": self.scanner_error("virus"), "ScanVulError": self.scanner_error("vuln"),
            "InstanceId": reg.map(|g| g.instance_id.clone()).unwrap_or_default(),
            "InstanceName": reg.map(|g| g.name.clone()).unwrap_or_default(),
            "Namespace": r.namespace, "ScanRiskError": self.scanner_error("risk"),
            "ScanVirusProgress": self.progress(Some("virus")), "ScanVulProgress": self.progress(Some("vuln")),
            "ScanRiskProgress": self.progress(Some("risk")), "ScanRemainTime": self.remain_secs(),
            "CveStatus": self.scanner_status("vuln"), "RiskStatus": self.scanner_status("risk"),
            "VirusStatus": self.scanner_status("virus"), "Progress": self.progress(None),
            "IsAuthorized": 1,
            "RegistryRegion": reg.map(|g| g.registry_region.clone()).unwrap_or_default(),
        });
        // Two halves: one `json!` of every field passes the macro recursion limit.
        let rest = json!({
            "Id": r.id, "ImageId": r.image_id, "ImageCreateTime": rfc3339(r.image_created_at),
            "IsLatestImage": self.is_latest(), "LowLevelVulCnt": l[0], "MediumLevelVulCnt": l[1],
            "HighLevelVulCnt": l[2], "CriticalLevelVulCnt": l[3], "ContainerCnt": 0,
            "ComponentCnt": self.component_cnt(), "IsRunning": false,
            "HasNeedFixVul": self.recommended_fix(), "SensitiveInfoCnt": self.sensitive_cnt(),
            "RecommendedFix": self.recommended_fix(), "Solution": solution, "Reason": reason,
            "_Id": r.id, "_Status": self.status_filter(),
            "_Create": r.image_created_at.unwrap_or(0),
            "_ScanTime": self.done.and_then(|d| d.task.finished_at).unwrap_or(0),
        });
        if let (Value::Object(a), Value::Object(b)) = (&mut row, rest) {
            a.extend(b);
        }
        row
    }
}

/// `host[:port]` of a registry URL.
pub(crate) fn registry_host(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

fn status_is(row: &Value, v: &str) -> Option<bool> {
    let want = match v.trim().to_ascii_lowercase().replace('_', "").as_str() {
        "notscan" => "notScan",
        "scanning" => "scanning",
        "scanned" => "scanned",
        "scanerr" => "scanErr",
        _ => return None,
    };
    Some(row.get("_Status").and_then(Value::as_str) == Some(want))
}

fn security_is(row: &Value, v: &str) -> Option<bool> {
    const KNOWN: [&str; 8] = [
        "VulCnt",
        "VirusCnt",
        "RiskCnt",
        "IsTrustImage",
        "CriticalLevelVul",
        "HighLevelVul",
        "MediumLevelVul",
        "LowLevelVul",
    ];
    let v = v.trim();
    let key = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(v))?;
    if *key == "IsTrustImage" {
        return Some(row.get("IsTrustImage").and_then(Value::as_bool) == Some(true));
    }
    Some(
        row.get("_Security")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(key))),
    )
}

/// Filters of the local image list (also the `Filters` of scan and stop requests).
pub(crate) const LOCAL_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("ImageName", Key::Text(&["ImageName"])),
        ("ScanStatus", Key::Enum(status_is)),
        ("ImageID", Key::Text(&["ImageID"])),
        ("SecurityRisk", Key::Enum(security_is)),
    ],
    sorts: &[
        ("HostCnt", "HostCnt"),
        ("ContainerCnt", "ContainerCnt"),
        ("CreateTime", "_Create"),
        ("ComponentCnt", "ComponentCnt"),
        ("SensitiveCount", "RiskCnt"),
        ("ScanTime", "_ScanTime"),
        ("Size", "Size"),
        ("VulCnt", "VulCnt"),
        ("VirusCnt", "VirusCnt"),
        ("RiskCnt", "RiskCnt"),
        ("ImageName", "ImageName"),
        ("ImageID", "ImageID"),
    ],
    default: ("_Id", true),
};

fn authorized_is(_row: &Value, v: &str) -> Option<bool> {
    // Every image counts as authorised in Vigil.
    match v.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

fn latest_is(row: &Value, v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(row.get("IsLatestImage").and_then(Value::as_bool) == Some(true)),
        "0" | "false" => Some(true),
        _ => None,
    }
}

fn asset_id_is(row: &Value, v: &str) -> Option<bool> {
    let id = v.trim().parse::<i64>().ok()?;
    Some(row.get("Id").and_then(Value::as_i64) == Some(id))
}

/// Filters of the registry image list (also the `Filters` of registry scan requests).
pub(crate) const REGISTRY_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("IsAuthorized", Key::Enum(authorized_is)),
        ("ScanStatus", Key::Enum(status_is)),
        ("OnlyShowLatest", Key::Enum(latest_is)),
        ("ImageAssetIds", Key::Enum(asset_id_is)),
        ("ImageName", Key::Text(&["ImageName"])),
        ("ImageTag", Key::Text(&["ImageTag"])),
        ("Namespace", Key::Text(&["Namespace"])),
        ("InstanceName", Key::Text(&["InstanceName"])),
        ("ImageRepoAddress", Key::Text(&["ImageRepoAddress"])),
        ("ImageId", Key::Text(&["ImageId"])),
        ("ImageDigest", Key::Text(&["ImageDigest"])),
        ("RegistryType", Key::Text(&["RegistryType"])),
    ],
    sorts: &[
        ("ScanTime", "_ScanTime"),
        ("VirusCount", "VirusCnt"),
        ("SensitiveCount", "SensitiveInfoCnt"),
        ("ImageCreateTime", "_Create"),
        ("ContainerCount", "ContainerCnt"),
        ("VulCount", "VulCnt"),
        ("RiskCount", "RiskCnt"),
        ("ImageSize", "ImageSize"),
        ("ImageName", "ImageName"),
        ("ImageTag", "ImageTag"),
        ("Id", "Id"),
    ],
    default: ("_Id", true),
};

/// The local image rows (rendered, helpers kept) that pass `filters`.
pub(crate) fn select_local(inv: &Inventory, filters: &[AssetFilter]) -> ApiResult<Vec<Value>> {
    let rows: Vec<Value> = inv.images.iter().map(|i| inv.view(i).local_row()).collect();
    super::filter_rows(rows, filters, &LOCAL_SPEC)
}

/// The registry image rows (rendered, helpers kept) that pass `filters`.
pub(crate) fn select_registry(inv: &Inventory, filters: &[AssetFilter]) -> ApiResult<Vec<Value>> {
    let rows: Vec<Value> = inv
        .images
        .iter()
        .map(|i| inv.view(i).registry_row())
        .collect();
    super::filter_rows(rows, filters, &REGISTRY_SPEC)
}

/// The local image rows (helpers kept) of an account, before filtering.
pub(crate) async fn local_rows(st: &Services, account_id: i64) -> ApiResult<Vec<Value>> {
    let inv = Inventory::load(st, account_id, ImageSet::Local).await?;
    Ok(inv.images.iter().map(|i| inv.view(i).local_row()).collect())
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, page: Page) -> ApiResult {
    let rows = local_rows(st, rc.account.id).await?;
    let (total, list) = list_rows(rows, &page, &LOCAL_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DetailReq {
    /// Image id (sha256:...).
    #[serde(rename = "ImageID")]
    #[param(max_len = 128)]
    image_id: String,
}

/// The local image with this id, or `ResourceNotFound`.
pub(crate) fn find_local<'a>(inv: &'a Inventory, image_id: &str) -> ApiResult<&'a ImageRow> {
    inv.images
        .iter()
        .find(|i| i.registry_id.is_none() && i.image_id == image_id.trim())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Image `{}` is not in the inventory; add it with `vigil image import`.",
                image_id.chars().take(100).collect::<String>()
            ))
        })
}

pub(super) async fn detail(st: &Services, rc: &RequestCtx, r: DetailReq) -> ApiResult {
    let inv = Inventory::load(st, rc.account.id, ImageSet::Local).await?;
    let img = find_local(&inv, &r.image_id)?;
    let v = inv.view(img);
    let (reason, solution) = v.reason_solution();
    Ok(json!({
        "ImageID": img.image_id,
        "ImageName": if img.name.is_empty() { "<none>:<none>".to_string() } else { img.name.clone() },
        "ImageDigest": if img.digest.is_empty() { img.image_id.clone() } else { img.digest.clone() },
        "CreateTime": rfc3339(img.image_created_at), "Size": img.size.max(0),
        "HostCnt": 0, "ContainerCnt": 0, "SuperNodeCnt": 0, "ScanTime": v.scan_time(),
        "VulCnt": v.vul_cnt(), "RiskCnt": v.risk_cnt(), "SensitiveInfoCnt": v.sensitive_cnt(),
        "IsTrustImage": false, "OsName": v.os_name(), "AgentError": "", "ScanError": v.scan_error(),
        "Architecture": img.architecture, "Author": img.author, "BuildHistory": img.history,
        "ScanVirusProgress": v.progress(Some("virus")), "ScanVulProgress": v.progress(Some("vuln")),
        "ScanRiskProgress": v.progress(Some("risk")), "ScanVirusError": v.scanner_error("virus"),
        "ScanVulError": v.scanner_error("vuln"), "ScanRiskError": v.scanner_error("risk"),
        "ScanStatus": v.status(), "VirusCnt": v.virus_cnt(), "Status": v.status_number(),
        "RemainScanTime": v.remain_secs(), "IsAuthorized": 1, "Solution": solution,
        "Reason": reason, "RepoDigests": img.repo_digests,
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegistryListReq {
    #[serde(flatten)]
    page: Page,
    /// Only the newest image of each repository.
    only_show_latest: Option<bool>,
    /// Only images with running containers (Vigil tracks none).
    is_running: Option<bool>,
}

/// The registry image rows (helpers kept) of an account, before filtering: only the newest
/// of each repository with `only_latest`, none with `is_running` (Vigil knows no
/// containers).
pub(crate) async fn registry_rows(
    st: &Services,
    account_id: i64,
    only_latest: bool,
    is_running: bool,
) -> ApiResult<Vec<Value>> {
    let inv = Inventory::load(st, account_id, ImageSet::Registry).await?;
    Ok(inv
        .images
        .iter()
        .map(|i| inv.view(i))
        .filter(|v| !only_latest || v.is_latest())
        // No image has running containers in Vigil.
        .filter(|_| !is_running)
        .map(|v| v.registry_row())
        .collect())
}

pub(super) async fn registry_list(st: &Services, rc: &RequestCtx, r: RegistryListReq) -> ApiResult {
    let rows = registry_rows(
        st,
        rc.account.id,
        r.only_show_latest.unwrap_or(false),
        r.is_running.unwrap_or(false),
    )
    .await?;
    let (total, list) = list_rows(rows, &r.page, &REGISTRY_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: i64, name: &str, created: Option<i64>) -> ImageRow {
        ImageRow {
            id,
            account_id: 1,
            registry_id: None,
            image_id: format!("sha256:{}", "0".repeat(64)),
            digest: String::new(),
            source: "oci:/x".into(),
            name: name.into(),
            repository: String::new(),
            tag: String::new(),
            namespace: String::new(),
            size: 0,
            os_name: String::new(),
            architecture: String::new(),
            author: String::new(),
            history: String::new(),
            repo_digests: vec![],
            image_created_at: created,
            first_seen: 0,
            last_seen: 0,
            last_task_id: None,
        }
    }

    #[test]
    fn latest_of_each_repository() {
        let rows = vec![
            img(1, "app:1", Some(10)),
            img(2, "app:2", Some(20)),
            img(3, "app:latest", Some(20)),
            img(4, "other:x", None),
            img(5, "other:latest", None),
            img(6, "<none>:<none>", None),
            img(7, "<none>:<none>", None),
        ];
        let l = latest_rows(&rows);
        let mut got: Vec<i64> = l.into_iter().collect();
        got.sort();
        assert_eq!(got, vec![2, 3, 5, 6, 7]);
    }

    #[test]
    fn hosts_of_registry_urls() {
        assert_eq!(registry_host("https://harbor.example"), "harbor.example");
        assert_eq!(registry_host("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(registry_host("nope"), "");
    }

    #[test]
    fn status_and_security_filters() {
        let row = json!({"_Status": "scanErr", "_Security": ["VulCnt", "HighLevelVul"], "IsTrustImage": false});
        assert_eq!(status_is(&row, "scanErr"), Some(true));
        assert_eq!(status_is(&row, "SCAN_ERR"), Some(true));
        assert_eq!(status_is(&row, "scanned"), Some(false));
        assert_eq!(status_is(&row, "bogus"), None);
        assert_eq!(security_is(&row, "HighLevelVul"), Some(true));
        assert_eq!(security_is(&row, "VirusCnt"), Some(false));
        assert_eq!(security_is(&row, "IsTrustImage"), Some(false));
        assert_eq!(security_is(&row, "Bogus"), None);
    }
}
