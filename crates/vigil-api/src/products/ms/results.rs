//! `DescribeScanResults` (per app of one scan: details read from the package itself, the
//! vulnerability list, the virus verdict, ad SDKs by MS's six ad forms, permissions and
//! sensitive strings) and `DescribeApkDetectionResult` (one app's verdict by URL and MD5:
//! the latest scan of that MD5 that looked at everything answers, finished or failed; without
//! one a scan of everything is started and the caller asks again, as the cloud's polled
//! detection does).
//!
//! Ad SDKs are listed under the ad forms their classes show (`PluginType` 1 notification
//! bar, 2 offer wall, 3 banner, 4 floating icon, 5 recommendation list, 6 interstitial); an
//! ad SDK whose form cannot be told is in none of the six lists, and the detection's flags
//! say `-1` (uncertain) for it. `VulFileScore` is 100 less 20 per high, 10 per medium and 2
//! per low vulnerability, at least 0.

use super::apps::{
    self, risk_level, AppFacts, AppItem, AppView, ScanFacts, DONE, PROCESSING, SCAN_TYPES,
};
use super::scans::{check_md5, source_of, start};
use super::{ITEM_ID_NOT_FOUND, MISSING_ITEM_ID, NAME};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_core::Severity;

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeReq {
    /// The scan (ItemId from CreateScanInstances).
    #[param(max_len = 64)]
    item_id: Option<String>,
    /// Only these apps of the scan (MD5s); all without.
    #[serde(default)]
    #[param(max_items = 100)]
    app_md5s: Vec<String>,
}

/// `VulFileScore` of these vulnerabilities.
fn file_score(v: &AppView) -> i64 {
    let lost: i64 = v
        .vulns
        .iter()
        .map(|x| match x.severity {
            Some(Severity::Critical | Severity::High) => 20,
            Some(Severity::Medium) => 10,
            Some(Severity::Low) => 2,
            _ => 0,
        })
        .sum();
    (100 - lost).max(0)
}

/// The SDKs of an app showing ad form `form`, as `PluginInfo`s.
fn plugins(v: &AppView, form: u8) -> Vec<Value> {
    v.sdks
        .iter()
        .filter(|(_, d)| d.ad_forms.contains(&form))
        .map(|(name, d)| plugin(i64::from(form), name, d))
        .collect()
}

fn plugin(kind: i64, name: &str, d: &vigil_core::spec::apk::SdkDetail) -> Value {
    let vendor = d.vendor.as_deref().unwrap_or("unknown vendor");
    json!({
        "PluginType": kind,
        "PluginName": name,
        "PluginDesc": format!("{} SDK by {vendor}: {} classes, e.g. {}", d.purpose, d.classes,
            d.examples.first().map(String::as_str).unwrap_or("")),
    })
}

/// One app as `DescribeScanResults` shows it (`ScanSetInfo`).
fn scan_set_info(v: &AppView) -> Value {
    let f = &v.item.facts;
    let vul_list: Vec<Value> = v
        .vulns
        .iter()
        .map(|x| {
            json!({
                "VulId": x.evidence.ms_id,
                "VulName": x.name,
                "VulCode": x.evidence.code,
                "VulDesc": x.description,
                "VulSolution": x.evidence.solution,
                "VulSrcType": i64::from(x.evidence.third_party),
                "VulFilepath": x.evidence.file,
                "RiskLevel": risk_level(x.severity),
            })
        })
        .collect();
    json!({
        "TaskStatus": v.status,
        "AppDetailInfo": {
            "AppName": v.app_name(),
            "AppPkgName": v.pkg_name(),
            "AppVersion": v.version(),
            "AppSize": v.size(),
            "AppMd5": f.app_md5,
            "AppIconUrl": f.app_icon_url,
            "FileName": f.file_name,
        },
        "VirusInfo": {
            "SafeType": v.verdict.safe_type,
            "VirusName": v.verdict.name,
            "VirusDesc": v.verdict.description,
        },
        "VulInfo": {"VulList": vul_list, "VulFileScore": if v.status == DONE && f.asked("VULSCAN") { file_score(v) } else { 0 }},
        "AdInfo": {
            "Spots": plugins(v, 6),
            "BoutiqueRecommands": plugins(v, 5),
            "FloatWindowses": plugins(v, 4),
            "Banners": plugins(v, 3),
            "IntegralWalls": plugins(v, 2),
            "NotifyBars": plugins(v, 1),
        },
        "TaskTime": v.task_time(),
        "StatusCode": v.status_code,
        "StatusDesc": v.status_desc,
        "StatusRef": "",
        "PermissionInfo": {
            "PermissionList": v.permissions.iter().map(|p| json!({"Permission": p})).collect::<Vec<_>>(),
        },
        "SensitiveInfo": {
            "SensitiveList": v.sensitive.iter().map(|(words, file, sha)| json!({
                "WordList": words, "FilePath": file, "FileSha": sha,
            })).collect::<Vec<_>>(),
        },
    })
}

pub(super) async fn describe(st: &Services, rc: &RequestCtx, r: DescribeReq) -> ApiResult {
    let account = rc.account.id;
    let raw = r.item_id.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(ApiError::new(MISSING_ITEM_ID, "`ItemId` names no scan."));
    }
    let not_found = || {
        ApiError::new(
            ITEM_ID_NOT_FOUND,
            format!(
                "Scan `{}` does not exist.",
                raw.chars().take(64).collect::<String>()
            ),
        )
    };
    let id: i64 = raw.parse().map_err(|_| not_found())?;
    apps::expire(st, account).await?;
    let scan = st
        .store
        .scan_group::<ScanFacts>(account, NAME, id)
        .await
        .map_err(|e| match e {
            vigil_store::StoreError::NotFound => not_found(),
            other => other.into(),
        })?;
    let want: Vec<String> = r
        .app_md5s
        .iter()
        .map(|m| m.trim().to_ascii_lowercase())
        .collect();
    let items: Vec<AppItem> = st.store.group_items(account, scan.id).await?;
    let mut rows = Vec::new();
    for i in items {
        if !want.is_empty() && !want.contains(&i.facts.app_md5) {
            continue;
        }
        rows.push(scan_set_info(
            &AppView::load(st, account, i, scan.stop_reason).await?,
        ));
    }
    Ok(json!({"ScanSet": rows, "TotalCount": rows.len()}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DetectionReq {
    /// Where the app is downloaded from (or an `upload:` AppUrl).
    #[param(max_len = 2048)]
    apk_url: String,
    /// The app's MD5.
    #[param(max_len = 64)]
    apk_md5: String,
}

/// `-1` uncertain, `0` no, `1` yes: whether the app shows ads of `form`.
fn ad_flag(v: &AppView, form: u8) -> &'static str {
    let ads = v.sdks.iter().filter(|(_, d)| d.purpose == "ad");
    let mut uncertain = false;
    for (_, d) in ads {
        if d.ad_forms.contains(&form) {
            return "1";
        }
        uncertain |= d.ad_forms.is_empty();
    }
    if uncertain {
        "-1"
    } else {
        "0"
    }
}

/// One app as `DescribeApkDetectionResult` shows it (`ResultListItem`, all strings).
fn result_item(v: &AppView) -> Value {
    let (ads, others): (Vec<_>, Vec<_>) = v.sdks.iter().partition(|(_, d)| d.purpose == "ad");
    let list = |sdks: Vec<&(String, vigil_core::spec::apk::SdkDetail)>| -> Vec<Value> {
        sdks.into_iter()
            .map(|(name, d)| plugin(d.ad_forms.first().map_or(0, |f| i64::from(*f)), name, d))
            .collect()
    };
    let errno = if v.status == DONE { 0 } else { v.status_code };
    json!({
        "Banner": ad_flag(v, 3),
        "BoutiqueRecommand": ad_flag(v, 5),
        "FloatWindows": ad_flag(v, 4),
        "IntegralWall": ad_flag(v, 2),
        "NotifyBar": ad_flag(v, 1),
        "Spot": ad_flag(v, 6),
        "Md5": v.item.facts.app_md5,
        "Official": "0",
        "PluginList": list(ads),
        "OptPluginList": list(others),
        "SafeType": v.verdict.safe_type.to_string(),
        "Sid": v.item.id.to_string(),
        "SoftName": v.app_name(),
        "VirusName": v.verdict.name,
        "VirusDesc": v.verdict.description,
        "RepackageStatus": "",
        "Errno": errno.to_string(),
        "ErrMsg": v.status_desc,
    })
}

pub(super) async fn detection(st: &Services, rc: &RequestCtx, r: DetectionReq) -> ApiResult {
    let account = rc.account.id;
    let md5 = check_md5("ApkMd5", &r.apk_md5)?;
    let (url, path) = source_of(st, rc.account.app_id, "ApkUrl", &r.apk_url).await?;
    apps::expire(st, account).await?;
    let stops = apps::stop_reasons(st, account).await?;
    let latest = st
        .store
        .product_items::<AppFacts>(account, NAME, 5_000)
        .await?
        .into_iter()
        .find(|i| i.facts.app_md5 == md5 && SCAN_TYPES.iter().all(|(t, _)| i.facts.asked(t)));
    let view = match latest {
        Some(i) => {
            let stop = stops.get(&i.group_id).copied().flatten();
            Some(AppView::load(st, account, i, stop).await?)
        }
        None => None,
    };
    match view {
        Some(v) if v.status != PROCESSING => Ok(json!({
            "Result": if v.status == DONE { "ok" } else { "error" },
            "Reason": v.status_desc,
            "ResultList": [result_item(&v)],
        })),
        Some(_) => Ok(json!({
            "Result": "ok",
            "Reason": "The app is being scanned; ask again.",
            "ResultList": [],
        })),
        None => {
            let facts = AppFacts {
                app_url: url,
                app_path: path,
                app_md5: md5,
                scan_types: SCAN_TYPES.iter().map(|(t, _)| t.to_string()).collect(),
                ..AppFacts::default()
            };
            let scan = start(
                st,
                account,
                ScanFacts {
                    callback_url: String::new(),
                    scan_types: facts.scan_types.clone(),
                },
                vec![facts],
            )
            .await?;
            crate::products::audit(
                st,
                rc,
                "ms.DescribeApkDetectionResult",
                &scan.id.to_string(),
            )
            .await?;
            Ok(json!({
                "Result": "ok",
                "Reason": "The app is being scanned; ask again.",
                "ResultList": [],
            }))
        }
    }
}
