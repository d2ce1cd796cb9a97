//! One MS scan as the store keeps it and one app as the actions show it. A scan is a scan
//! group of product [`super::NAME`], kind [`KIND`], with [`ScanFacts`] (the callback URL and
//! scan types) and one item per app with [`AppFacts`] (what the caller said about the app);
//! the item's id is the app's `AppSid`, the group's id the scan's `ItemId`.
//!
//! [`AppView::load`] reads an app's state and results once for every action that renders it:
//! `TaskStatus` (1 done, 2 processing, 3 error, 4 timeout) from its task and group, a status
//! code naming why it failed (1000 download failed, 1001 MD5 mismatch, 1002 size mismatch, 2
//! engine error, 4 timeout), what the package says about itself, its vulnerabilities, virus
//! and packer verdict, SDKs, permissions and sensitive strings. Findings marked false
//! positive or ignored count nowhere.

use crate::error::ApiResult;
use crate::Services;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_core::spec::apk::{
    ApkPackerEvidence, ApkScan, ApkSensitiveEvidence, ApkVirusEvidence, ApkVulnEvidence, AppDetail,
    SdkDetail, COMPONENT_APP, COMPONENT_PERMISSION, COMPONENT_SDK, ERROR_DOWNLOAD, ERROR_MD5,
    ERROR_SIZE, KIND_PACKER, KIND_SENSITIVE, KIND_VIRUS, KIND_VULN,
};
use vigil_core::{FindingStatus, Severity, TaskState};
use vigil_store::{GroupItem, ScanGroup, StopReason, StoredFinding};

/// The kind of group of an MS scan.
pub(crate) const KIND: &str = "app";

/// The scan types of the API, with the engine's scan each asks for.
pub(crate) const SCAN_TYPES: &[(&str, ApkScan)] = &[
    ("VULSCAN", ApkScan::Vul),
    ("VIRUSSCAN", ApkScan::Virus),
    ("ADSCAN", ApkScan::Ad),
    ("PLUGINSCAN", ApkScan::Plugin),
    ("PERMISSION", ApkScan::Permission),
    ("SENSITIVE", ApkScan::Sensitive),
];

/// What MS keeps on a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScanFacts {
    /// Where each finished app is announced (empty: nowhere).
    #[serde(default)]
    pub(crate) callback_url: String,
    /// Scan types asked, as the API names them.
    #[serde(default)]
    pub(crate) scan_types: Vec<String>,
}

/// What MS keeps on one app: what the caller said about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct AppFacts {
    pub(crate) app_url: String,
    /// The file of an uploaded app (`upload:` URL), read instead of downloading.
    pub(crate) app_path: Option<String>,
    pub(crate) app_md5: String,
    pub(crate) app_size: Option<i64>,
    pub(crate) file_name: String,
    pub(crate) app_pkg_name: String,
    pub(crate) app_version: String,
    pub(crate) app_icon_url: String,
    pub(crate) app_name: String,
    /// Scan types asked, as the API names them.
    pub(crate) scan_types: Vec<String>,
}

impl AppFacts {
    /// Whether the scan asked for `t` (`VIRUSSCAN`, ...).
    pub(crate) fn asked(&self, t: &str) -> bool {
        self.scan_types.iter().any(|s| s == t)
    }
}

/// An MS scan.
pub(crate) type Scan = ScanGroup<ScanFacts>;
/// One app of a scan with its queue task.
pub(crate) type AppItem = GroupItem<AppFacts>;

/// `TaskStatus` / `Progress`: done.
pub(crate) const DONE: i64 = 1;
/// Still being fetched or scanned.
pub(crate) const PROCESSING: i64 = 2;
/// Failed (download, digest, not a package, stopped).
pub(crate) const ERROR: i64 = 3;
/// Its scan's time ran out.
pub(crate) const TIMEOUT: i64 = 4;

/// An app's `TaskStatus` from its task and its scan's stop reason.
pub(crate) fn task_status(item: &AppItem, stop: Option<StopReason>) -> i64 {
    match item.task.state {
        TaskState::Queued | TaskState::Running | TaskState::Paused => PROCESSING,
        TaskState::Succeeded => DONE,
        TaskState::Stopped if stop == Some(StopReason::Timeout) => TIMEOUT,
        _ => ERROR,
    }
}

/// `StatusCode` and `StatusDesc` of an app: 0 and empty unless it failed.
pub(crate) fn status_code(item: &AppItem, status: i64) -> (i64, String) {
    let error = item.task.error.clone().unwrap_or_default();
    match status {
        DONE | PROCESSING => (0, String::new()),
        TIMEOUT => (
            4,
            "The scan's time ran out before this app was scanned.".into(),
        ),
        _ if error.contains(ERROR_DOWNLOAD) => (1000, error),
        _ if error.contains(ERROR_MD5) => (1001, error),
        _ if error.contains(ERROR_SIZE) => (1002, error),
        _ if item.task.state == TaskState::Stopped => {
            (3, "The scan of this app was stopped.".into())
        }
        _ => (2, error),
    }
}

/// One vulnerability of an app.
pub(crate) struct Vuln {
    pub(crate) evidence: ApkVulnEvidence,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) severity: Option<Severity>,
}

/// The virus verdict of an app: `SafeType` 0 unknown, 1 safe, 2 risky, 3 virus.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    pub(crate) safe_type: i64,
    pub(crate) name: String,
    pub(crate) description: String,
}

/// Everything the actions show of one app.
pub(crate) struct AppView {
    pub(crate) item: AppItem,
    pub(crate) status: i64,
    pub(crate) status_code: i64,
    pub(crate) status_desc: String,
    /// Package name, version name and what the package says about itself.
    pub(crate) package: Option<(String, Option<String>, AppDetail)>,
    pub(crate) vulns: Vec<Vuln>,
    pub(crate) verdict: Verdict,
    pub(crate) sdks: Vec<(String, SdkDetail)>,
    pub(crate) permissions: Vec<String>,
    /// Sensitive information: (words, file, file SHA-1).
    pub(crate) sensitive: Vec<(Vec<String>, String, String)>,
}

fn counts(f: &StoredFinding) -> bool {
    !matches!(
        f.status,
        FindingStatus::FalsePositive | FindingStatus::Ignored
    )
}

/// A finding's evidence as the engine's contract types it (empty where it does not fit).
fn evidence<T: serde::de::DeserializeOwned + Default>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

impl AppView {
    /// Read one app's state and, once its task succeeded, its results.
    pub(crate) async fn load(
        st: &Services,
        account: i64,
        item: AppItem,
        stop: Option<StopReason>,
    ) -> ApiResult<AppView> {
        let status = task_status(&item, stop);
        let (status_code, status_desc) = status_code(&item, status);
        let mut view = AppView {
            status,
            status_code,
            status_desc,
            package: None,
            vulns: Vec::new(),
            verdict: Verdict::default(),
            sdks: Vec::new(),
            permissions: Vec::new(),
            sensitive: Vec::new(),
            item,
        };
        if status != DONE {
            return Ok(view);
        }
        let task = view.item.task.id;
        for c in st.store.components_of_task(account, task).await? {
            let detail = c.detail.clone().unwrap_or(Value::Null);
            match c.kind.as_str() {
                COMPONENT_APP => {
                    let d: AppDetail = serde_json::from_value(detail).unwrap_or_default();
                    view.package = Some((c.name, c.version, d));
                }
                COMPONENT_PERMISSION => view.permissions.push(c.name),
                COMPONENT_SDK => {
                    let d: SdkDetail = serde_json::from_value(detail).unwrap_or_default();
                    view.sdks.push((c.name, d));
                }
                _ => {}
            }
        }
        let mut packer = None;
        for f in st.store.findings_seen_by(account, task).await? {
            if !counts(&f) {
                continue;
            }
            let e = &f.finding.evidence;
            match f.finding.kind.as_str() {
                KIND_VULN => view.vulns.push(Vuln {
                    evidence: evidence(e),
                    name: f
                        .finding
                        .title
                        .split_once(": ")
                        .map_or(f.finding.title.as_str(), |(n, _)| n)
                        .to_string(),
                    description: f.finding.description.clone().unwrap_or_default(),
                    severity: f.finding.severity,
                }),
                KIND_VIRUS if view.verdict.safe_type < 3 => {
                    view.verdict = Verdict {
                        safe_type: 3,
                        name: evidence::<ApkVirusEvidence>(e).name,
                        description: f.finding.description.clone().unwrap_or_default(),
                    }
                }
                KIND_PACKER => {
                    packer.get_or_insert_with(|| evidence::<ApkPackerEvidence>(e).name);
                }
                KIND_SENSITIVE => {
                    let x: ApkSensitiveEvidence = evidence(e);
                    view.sensitive.push((x.words, x.file, x.file_sha1));
                }
                _ => {}
            }
        }
        if view.item.facts.asked("VIRUSSCAN") && view.verdict.safe_type == 0 {
            view.verdict = match packer {
                Some(name) => Verdict {
                    safe_type: 2,
                    name: String::new(),
                    description: format!("Packed with {name}: its code is hidden from analysis."),
                },
                None => Verdict {
                    safe_type: 1,
                    ..Verdict::default()
                },
            };
        }
        Ok(view)
    }

    /// The app's name: the package's label, else what the caller said.
    pub(crate) fn app_name(&self) -> String {
        self.package
            .as_ref()
            .and_then(|(_, _, d)| d.label.clone())
            .unwrap_or_else(|| self.item.facts.app_name.clone())
    }

    /// The package name: the package's own, else what the caller said.
    pub(crate) fn pkg_name(&self) -> String {
        self.package
            .as_ref()
            .map(|(n, _, _)| n.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.item.facts.app_pkg_name.clone())
    }

    /// The version name: the package's own, else what the caller said.
    pub(crate) fn version(&self) -> String {
        self.package
            .as_ref()
            .and_then(|(_, v, _)| v.clone())
            .unwrap_or_else(|| self.item.facts.app_version.clone())
    }

    /// The size: the package's, else what the caller said.
    pub(crate) fn size(&self) -> i64 {
        self.package
            .as_ref()
            .map(|(_, _, d)| i64::try_from(d.size).unwrap_or(i64::MAX))
            .or(self.item.facts.app_size)
            .unwrap_or(0)
    }

    /// Unix seconds the app was submitted.
    pub(crate) fn task_time(&self) -> i64 {
        self.item.created_at / 1000
    }
}

/// MS's `RiskLevel`: 1 low, 2 medium, 3 high.
pub(crate) fn risk_level(s: Option<Severity>) -> i64 {
    match s {
        Some(Severity::Critical | Severity::High) => 3,
        Some(Severity::Medium) => 2,
        _ => 1,
    }
}

/// The account's scans of this product, by id, for the stop reasons of their apps.
pub(crate) async fn stop_reasons(
    st: &Services,
    account: i64,
) -> ApiResult<std::collections::HashMap<i64, Option<StopReason>>> {
    Ok(st
        .store
        .scan_groups::<ScanFacts>(account, super::NAME, Some(KIND), i64::MAX)
        .await?
        .into_iter()
        .map(|g| (g.id, g.stop_reason))
        .collect())
}

/// Stop the account's scans whose time ran out (their apps report `TaskStatus` 4).
pub(crate) async fn expire(st: &Services, account: i64) -> ApiResult<()> {
    st.store
        .expire_scan_groups(account, super::NAME, st.store.now())
        .await?;
    Ok(())
}
