//! `CreateScanInstances`, `DescribeScanInstances` and `DeleteScanInstances`: apps are checked
//! as the request arrives (an http(s) `AppUrl`, a 32-digit `AppMd5`, known scan types, at
//! most 20 apps, the account's quota) and queued as one scan group; the download itself goes
//! through the tenant's scope guard when the app's task runs, so an address the account may
//! not reach fails that app with its reason, never the others.

use super::apps::{self, AppFacts, AppItem, AppView, ScanFacts, KIND, PROCESSING, SCAN_TYPES};
use super::{
    COEXIST, INVALID_FILTER, INVALID_ITEM_IDS, INVALID_LIMIT, INVALID_OFFSET,
    INVALID_ORDER_DIRECTION, INVALID_ORDER_FIELD, MISSING_APP_INFO, NAME,
};
use crate::error::{ApiError, ApiResult};
use crate::params::{IntText, Params};
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_core::spec::apk::{ApkOptions, ApkSource, ApkTarget};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::TaskSpec;
use vigil_store::{GroupOrigin, NewGroupItem, NewScanGroup};

/// Most apps per call.
pub(crate) const MAX_APPS: usize = 20;
/// Time a scan may take (seconds): every app fetched and scanned.
pub(crate) const SCAN_TIMEOUT_SECS: i64 = 4 * 3600;
/// Time one app may take (seconds), download included.
const APP_TIMEOUT_SECS: u64 = 3600;
/// Most recent apps a listing looks through.
const MAX_LISTED: i64 = 5_000;

/// One app to scan.
#[derive(Debug, Clone, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AppInfo {
    /// Where the app is downloaded from (http or https, no authentication), or the AppUrl
    /// `PUT /upload/ms/apps` answered (`upload:<sha256>`).
    #[param(max_len = 2048)]
    app_url: String,
    /// The app's MD5 (32 hex digits); a file with another digest is not scanned.
    #[param(max_len = 64)]
    app_md5: String,
    /// The app's size in bytes; a file of another size is not scanned.
    app_size: Option<IntText>,
    /// File name.
    #[param(max_len = 256)]
    file_name: Option<String>,
    /// Package name.
    #[param(max_len = 256)]
    app_pkg_name: Option<String>,
    /// Version.
    #[param(max_len = 128)]
    app_version: Option<String>,
    /// Icon URL.
    #[param(max_len = 2048)]
    app_icon_url: Option<String>,
    /// App name.
    #[param(max_len = 256)]
    app_name: Option<String>,
}

/// What to scan for and whom to tell.
#[derive(Debug, Clone, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ScanInfo {
    /// Called (POST) once per finished app; empty for none.
    #[param(max_len = 2048)]
    callback_url: String,
    /// VULSCAN, VIRUSSCAN, ADSCAN, PLUGINSCAN, PERMISSION, SENSITIVE.
    #[param(max_items = 6)]
    scan_types: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateReq {
    /// The apps (at most 20).
    #[serde(default)]
    #[param(max_items = MAX_APPS)]
    app_infos: Vec<AppInfo>,
    /// Scan types and callback.
    scan_info: ScanInfo,
}

fn bad(msg: String) -> ApiError {
    ApiError::invalid_value(msg)
}

/// An http(s) URL with a host, or why not.
pub(super) fn check_url(name: &str, raw: &str) -> ApiResult<String> {
    let u = url::Url::parse(raw.trim()).map_err(|e| bad(format!("`{name}` is not a URL: {e}.")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(bad(format!(
            "`{name}` must be an http or https URL with a host."
        )));
    }
    Ok(u.to_string())
}

/// Where an app comes from: an http(s) URL, or `upload:<sha256>` naming a package the
/// account uploaded (`PUT /upload/ms/apps`), resolved to its file. Returns the URL as kept
/// and the file, if it is an upload.
pub(super) async fn source_of(
    st: &Services,
    app_id: i64,
    name: &str,
    raw: &str,
) -> ApiResult<(String, Option<String>)> {
    let raw = raw.trim();
    let Some(rest) = raw
        .strip_prefix(crate::upload::apps::SCHEME)
        .and_then(|r| r.strip_prefix(':'))
    else {
        return Ok((check_url(name, raw)?, None));
    };
    let no_upload = || {
        bad(format!(
            "`{name}` names no package this account uploaded (PUT /upload/ms/apps answers the AppUrl)."
        ))
    };
    let dir = st.upload_dir.as_deref().ok_or_else(no_upload)?;
    let path = crate::upload::apps::path_of(dir, app_id, rest).ok_or_else(no_upload)?;
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(no_upload());
    }
    Ok((raw.to_string(), Some(path.to_string_lossy().into_owned())))
}

/// A 32-digit MD5, lower-cased, or why not.
pub(super) fn check_md5(name: &str, raw: &str) -> ApiResult<String> {
    let m = raw.trim();
    if m.len() != 32 || !m.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!("`{name}` must be an MD5 of 32 hex digits.")));
    }
    Ok(m.to_ascii_lowercase())
}

/// The task that fetches and scans one app.
pub(super) fn app_task(facts: &AppFacts) -> ApiResult<TaskSpec> {
    let scans = SCAN_TYPES
        .iter()
        .filter(|(n, _)| facts.asked(n))
        .map(|(_, s)| *s)
        .collect();
    let engine = EngineSpec::Apk(
        ApkTarget {
            source: match &facts.app_path {
                Some(p) => ApkSource::Path(p.clone()),
                None => ApkSource::Url(facts.app_url.clone()),
            },
            md5: Some(facts.app_md5.clone()),
            size: facts.app_size.and_then(|s| u64::try_from(s).ok()),
        },
        ApkOptions {
            scans,
            max_bytes: None,
        },
    );
    let run = RunOptions {
        timeout_secs: Some(APP_TIMEOUT_SECS),
        ..RunOptions::default()
    };
    let mut spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
    spec.max_attempts = 2;
    Ok(spec)
}

/// Queue a scan of these apps (quota checked); returns it with the accepted MD5s.
pub(super) async fn start(
    st: &Services,
    account: i64,
    facts: ScanFacts,
    apps: Vec<AppFacts>,
) -> ApiResult<apps::Scan> {
    crate::products::check_quota(st, account, NAME, apps.len() as i64).await?;
    let mut items = Vec::with_capacity(apps.len());
    for a in apps {
        items.push(NewGroupItem {
            subject_row: None,
            subject_key: a.app_md5.clone(),
            spec: app_task(&a)?,
            facts: a,
        });
    }
    let group = NewScanGroup {
        product: NAME.into(),
        kind: KIND.into(),
        origin: GroupOrigin::Api,
        timeout_secs: SCAN_TIMEOUT_SECS,
        facts,
        items,
    };
    Ok(st.store.create_scan_group(account, &group).await?)
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, r: CreateReq) -> ApiResult {
    if r.app_infos.is_empty() {
        return Err(ApiError::new(
            MISSING_APP_INFO,
            "`AppInfos` must name at least one app.",
        ));
    }
    let mut types: Vec<String> = Vec::new();
    for t in &r.scan_info.scan_types {
        let t = t.trim().to_ascii_uppercase();
        if !SCAN_TYPES.iter().any(|(n, _)| *n == t) {
            return Err(bad(format!(
                "`ScanInfo.ScanTypes` has `{}`; use {}.",
                t.chars().take(32).collect::<String>(),
                SCAN_TYPES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        return Err(bad(
            "`ScanInfo.ScanTypes` must name at least one scan type.".into(),
        ));
    }
    let callback = r.scan_info.callback_url.trim();
    let callback_url = if callback.is_empty() {
        String::new()
    } else {
        check_url("ScanInfo.CallbackUrl", callback)?
    };
    let mut apps: Vec<AppFacts> = Vec::new();
    for (i, a) in r.app_infos.iter().enumerate() {
        let md5 = check_md5(&format!("AppInfos.{i}.AppMd5"), &a.app_md5)?;
        let (url, path) = source_of(
            st,
            rc.account.app_id,
            &format!("AppInfos.{i}.AppUrl"),
            &a.app_url,
        )
        .await?;
        if let Some(IntText(s)) = a.app_size {
            if s < 0 {
                return Err(bad(format!("`AppInfos.{i}.AppSize` must not be negative.")));
            }
        }
        if apps.iter().any(|x| x.app_md5 == md5) {
            continue;
        }
        apps.push(AppFacts {
            app_url: url,
            app_path: path,
            app_md5: md5,
            app_size: a.app_size.map(|s| s.0).filter(|s| *s > 0),
            file_name: a.file_name.clone().unwrap_or_default(),
            app_pkg_name: a.app_pkg_name.clone().unwrap_or_default(),
            app_version: a.app_version.clone().unwrap_or_default(),
            app_icon_url: a.app_icon_url.clone().unwrap_or_default(),
            app_name: a.app_name.clone().unwrap_or_default(),
            scan_types: types.clone(),
        });
    }
    let md5s: Vec<String> = apps.iter().map(|a| a.app_md5.clone()).collect();
    let account = rc.account.id;
    let facts = ScanFacts {
        callback_url,
        scan_types: types,
    };
    let scan = start(st, account, facts, apps).await?;
    crate::products::audit(
        st,
        rc,
        "ms.CreateScanInstances",
        &format!("{} ({} apps)", scan.id, md5s.len()),
    )
    .await?;
    let now = st.store.now();
    let used = st
        .store
        .count_tasks_since(account, NAME, now - 86_400_000)
        .await?;
    Ok(json!({
        "ItemId": scan.id.to_string(),
        "Progress": PROCESSING,
        "AppMd5s": md5s,
        "LimitCount": (st.config.scan_quota - used).max(0),
        "LimitTime": now / 1000 + 86_400,
    }))
}

/// A filter of `DescribeScanInstances`.
#[derive(Debug, Clone, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Filter {
    /// AppPkgName or AppName.
    #[param(max_len = 64)]
    name: String,
    /// Text the field contains (case-insensitive).
    #[param(max_len = 256)]
    value: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListReq {
    /// Filters by AppPkgName or AppName; all must hold.
    #[serde(default)]
    #[param(max_items = 10)]
    filters: Vec<Filter>,
    /// Rows to skip (default 0).
    offset: Option<IntText>,
    /// Rows to return (default 20, at most 100).
    limit: Option<IntText>,
    /// Scans (ItemId) whose apps to list; not with Filters.
    #[serde(default)]
    #[param(max_items = 100)]
    item_ids: Vec<String>,
    /// TaskTime.
    #[param(max_len = 32)]
    order_field: Option<String>,
    /// asc or desc (default desc).
    #[param(max_len = 8)]
    order_direction: Option<String>,
}

/// An app as `DescribeScanInstances` lists it (`AppScanSet`).
fn scan_set(v: &AppView) -> Value {
    json!({
        "ItemId": v.item.group_id.to_string(),
        "AppName": v.app_name(),
        "AppPkgName": v.pkg_name(),
        "AppVersion": v.version(),
        "AppMd5": v.item.facts.app_md5,
        "AppSize": v.size(),
        "ScanCode": v.status_code,
        "TaskStatus": v.status,
        "TaskTime": v.task_time(),
        "AppIconUrl": v.item.facts.app_icon_url,
        "AppSid": v.item.id.to_string(),
        "SafeType": v.verdict.safe_type,
        "VulCount": v.vulns.len(),
    })
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, r: ListReq) -> ApiResult {
    let account = rc.account.id;
    let offset = r.offset.map_or(0, |o| o.0);
    if offset < 0 {
        return Err(ApiError::new(
            INVALID_OFFSET,
            "`Offset` must not be negative.",
        ));
    }
    let limit = match r.limit.map_or(0, |l| l.0) {
        0 => 20,
        l @ 1..=100 => l,
        _ => return Err(ApiError::new(INVALID_LIMIT, "`Limit` must be 1 to 100.")),
    };
    if !r.filters.is_empty() && !r.item_ids.is_empty() {
        return Err(ApiError::new(
            COEXIST,
            "`ItemIds` and `Filters` may not be combined.",
        ));
    }
    if let Some(f) = r.order_field.as_deref().filter(|f| *f != "TaskTime") {
        return Err(ApiError::new(
            INVALID_ORDER_FIELD,
            format!(
                "`OrderField` `{}` is not TaskTime.",
                f.chars().take(32).collect::<String>()
            ),
        ));
    }
    let asc = match r
        .order_direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => {
            return Err(ApiError::new(
                INVALID_ORDER_DIRECTION,
                "`OrderDirection` must be asc or desc.",
            ))
        }
    };
    let mut filters: Vec<(bool, String)> = Vec::new();
    for f in &r.filters {
        let pkg = match f.name.as_str() {
            "AppPkgName" => true,
            "AppName" => false,
            other => {
                return Err(ApiError::new(
                    INVALID_FILTER,
                    format!(
                        "Filter `{}` is not AppPkgName or AppName.",
                        other.chars().take(32).collect::<String>()
                    ),
                ))
            }
        };
        filters.push((pkg, f.value.clone().unwrap_or_default().to_lowercase()));
    }
    let mut groups: Vec<i64> = Vec::new();
    for id in &r.item_ids {
        let n: i64 = id.trim().parse().map_err(|_| {
            ApiError::new(
                INVALID_ITEM_IDS,
                format!(
                    "`{}` is not an ItemId.",
                    id.chars().take(64).collect::<String>()
                ),
            )
        })?;
        groups.push(n);
    }
    apps::expire(st, account).await?;
    let stops = apps::stop_reasons(st, account).await?;
    let mut items: Vec<AppItem> = st.store.product_items(account, NAME, MAX_LISTED).await?;
    if !groups.is_empty() {
        items.retain(|i| groups.contains(&i.group_id));
    }
    if asc {
        items.reverse();
    }
    let load = |i: AppItem| {
        let stop = stops.get(&i.group_id).copied().flatten();
        AppView::load(st, account, i, stop)
    };
    let (total, rows) = if filters.is_empty() {
        let total = items.len();
        let mut rows = Vec::new();
        for i in items.into_iter().skip(offset as usize).take(limit as usize) {
            rows.push(scan_set(&load(i).await?));
        }
        (total, rows)
    } else {
        let mut matched = Vec::new();
        for i in items {
            let v = load(i).await?;
            let ok = filters.iter().all(|(pkg, want)| {
                let have = if *pkg { v.pkg_name() } else { v.app_name() };
                have.to_lowercase().contains(want.as_str())
            });
            if ok {
                matched.push(scan_set(&v));
            }
        }
        let total = matched.len();
        let rows = matched
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        (total, rows)
    };
    Ok(json!({"TotalCount": total, "ScanSet": rows}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteReq {
    /// Apps to delete (AppSid from DescribeScanInstances), at most 20.
    #[param(max_items = MAX_APPS)]
    app_sids: Vec<String>,
}

/// Deletes the apps that exist (others in the list are skipped); `ResourceNotFound` when
/// none does.
pub(super) async fn delete(st: &Services, rc: &RequestCtx, r: DeleteReq) -> ApiResult {
    let account = rc.account.id;
    if r.app_sids.is_empty() {
        return Err(ApiError::missing("AppSids"));
    }
    let not_found = |s: &str| {
        ApiError::not_found(format!(
            "App `{}` does not exist.",
            s.chars().take(64).collect::<String>()
        ))
    };
    let mut ids = Vec::new();
    for s in &r.app_sids {
        ids.push(s.trim().parse::<i64>().map_err(|_| not_found(s))?);
    }
    let deleted = st.store.delete_group_items(account, NAME, &ids).await?;
    if deleted.is_empty() {
        return Err(not_found(&r.app_sids[0]));
    }
    crate::products::audit(
        st,
        rc,
        "ms.DeleteScanInstances",
        &crate::products::id_list(&deleted),
    )
    .await?;
    Ok(json!({"Progress": apps::DONE}))
}
