//! Tencent Cloud CWS (website vulnerability scanning, version 2018-03-12): site management and
//! ownership verification here; scans, vulnerabilities, reports and settings in [`scans`];
//! periodic monitors in [`monitors`]. Shapes follow `tencentcloud-sdk-python-cws` models.

pub mod monitors;
pub mod scans;

use super::ownership::{combined_status, ensure_verification, find_proof, proves_host, site_key};
use super::time_str;
use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{NoParams, Params};
use crate::product::Product;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use vigil_engine::ScopeError;
use vigil_store::{NewSite, Site, SiteFilter, SiteUpdate, Verification};

pub(crate) const VERSION: &str = "2018-03-12";

/// CWS's own error code for the daily scan quota.
pub(crate) const SCAN_QUOTA: Code = Code::Product("LimitExceeded.ScanQuota");
/// CWS's own error code for the number of monitors.
pub(crate) const MONITOR_QUOTA: Code = Code::Product("LimitExceeded.MonitorQuota");
/// CWS's own error code for a referenced resource that does not exist.
pub(crate) const PARAMETER_NOT_FOUND: Code = Code::Product("InvalidParameter.NotFound");

/// The CWS entry of the product registry.
pub static PRODUCT: Product = Product {
    name: scans::NAME,
    versions: &[VERSION],
    dialect: &crate::dialect::tencent::TENCENT,
    actions: &[&ACTIONS, &scans::ACTIONS, &monitors::ACTIONS],
    unserved: NOT_YET_SERVED,
    preflight: Some(|s| std::sync::Arc::new(monitors::CwsPreflight::new(s))),
    finisher: None,
    routes: Some(|| {
        axum::Router::new().route(
            "/reports/cws/{app_id}/{what}/{id}",
            axum::routing::get(scans::report_page),
        )
    }),
};

/// CWS actions of the official SDK that Vigil does not serve (none: every action is served).
pub const NOT_YET_SERVED: &[&str] = &[];

/// The CWS actions.
pub static ACTIONS: [Action; 7] = [
    action!(
        "CreateSites",
        create_sites,
        "Register websites for scanning."
    ),
    action!("DescribeSites", describe_sites, "List registered websites."),
    action!(
        "DeleteSites",
        delete_sites,
        "Delete websites; all ids must exist or nothing is deleted."
    ),
    action!(
        "ModifySiteAttribute",
        modify_site,
        "Change a website's settings."
    ),
    action!(
        "DescribeSiteQuota",
        describe_quota,
        "Scan quota of the account."
    ),
    action!(
        "DescribeSitesVerification",
        describe_verification,
        "How to prove ownership of the sites' hosts."
    ),
    action!(
        "VerifySites",
        verify_sites,
        "Check the ownership proofs of the sites' hosts."
    ),
];

/// A site URL checked and normalised.
pub(crate) struct SiteUrl {
    pub(crate) url: url::Url,
    pub(crate) host: String,
}

pub(crate) fn parse_site_url(raw: &str) -> Result<SiteUrl, ApiError> {
    let bad =
        |why: &str| ApiError::invalid_value(format!("`{raw}` is not a valid site URL: {why}."));
    if raw.len() > 2048 {
        return Err(bad("longer than 2048 characters"));
    }
    let mut url = url::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in URLs are not accepted"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad("it has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    url.set_fragment(None);
    Ok(SiteUrl { url, host })
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct UrlsReq {
    /// Site URLs (http or https).
    #[param(max_items = 50)]
    urls: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct CreateSitesReq {
    #[serde(flatten)]
    sites: UrlsReq,
    /// User-Agent used when visiting the sites.
    #[param(max_len = 512)]
    user_agent: Option<String>,
}

async fn create_sites(st: &Services, rc: &RequestCtx, req: CreateSitesReq) -> ApiResult {
    let urls = &req.sites.urls;
    if urls.is_empty() {
        return Err(ApiError::invalid_value(
            "`Urls` must name at least one site.",
        ));
    }
    let mut new = Vec::new();
    let mut trusted_hosts = Vec::new();
    for raw in urls {
        let su = parse_site_url(raw)?;
        let port = su.url.port_or_known_default().unwrap_or(80);
        match st.scope.resolve(&su.host, port).await {
            Ok(pinned) if pinned.trusted => trusted_hosts.push(su.host.clone()),
            // Registered, never reached: scans and proofs refuse internal addresses.
            Ok(_) | Err(ScopeError::Unresolvable(_) | ScopeError::Internal { .. }) => {}
            Err(e @ ScopeError::Denied { .. }) => {
                return Err(ApiError::new(Code::UnauthorizedOperation, e.to_string()));
            }
        }
        if new.iter().any(|n: &NewSite| n.url == su.url.as_str()) {
            return Err(ApiError::new(
                Code::Duplicate,
                format!("`{raw}` is given twice."),
            ));
        }
        new.push(NewSite {
            url: su.url.to_string(),
            host: su.host.clone(),
            name: su.host,
            user_agent: req.user_agent.clone().unwrap_or_default(),
        });
    }
    let existing = st.store.count_sites(rc.account.id).await?;
    if existing + new.len() as i64 > st.config.max_sites {
        return Err(ApiError::new(
            Code::LimitExceeded,
            format!(
                "An account may register at most {} sites; it has {existing}.",
                st.config.max_sites
            ),
        ));
    }
    let sites = st.store.create_sites(rc.account.id, &new).await?;
    for host in trusted_hosts {
        ensure_verification(st, rc.account.id, &host).await?;
        st.store
            .set_verified(rc.account.id, &host, 1, "scope")
            .await?;
    }
    crate::products::audit(st, rc, "cws.CreateSites", &urls.join(" ")).await?;
    Ok(json!({
        "Number": sites.len(),
        "Sites": sites.iter().map(|s| json!({"SiteId": s.id, "Url": s.url})).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct FilterReq {
    /// Filter key: Url, Name, Domain or VerifyStatus.
    #[param(one_of = ["Url", "Name", "Domain", "VerifyStatus"])]
    name: String,
    /// One or more values; any may match.
    #[param(max_items = 50)]
    values: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct DescribeSitesReq {
    /// Only these site ids.
    #[param(max_items = 100)]
    site_ids: Option<Vec<i64>>,
    /// Filters; all must match.
    #[serde(default)]
    #[param(max_items = 10)]
    filters: Vec<FilterReq>,
    /// Rows to skip (default 0).
    #[param(range(0, i64::MAX))]
    offset: Option<i64>,
    /// Rows to return (default 10, at most 100).
    #[param(range(1, 100))]
    limit: Option<i64>,
}

async fn describe_sites(st: &Services, rc: &RequestCtx, req: DescribeSitesReq) -> ApiResult {
    let mut f = SiteFilter {
        ids: req.site_ids,
        offset: req.offset.unwrap_or(0),
        limit: req.limit.unwrap_or(10),
        ..Default::default()
    };
    let mut verify_filter: Option<Vec<i64>> = None;
    for flt in req.filters {
        match flt.name.as_str() {
            "Url" => f.url_contains = Some(flt.values),
            "Name" => f.name_contains = Some(flt.values),
            "Domain" => f.hosts = Some(flt.values),
            _ => {
                let v: Result<Vec<i64>, _> = flt.values.iter().map(|s| s.parse::<i64>()).collect();
                verify_filter = Some(v.map_err(|_| {
                    ApiError::invalid_value("VerifyStatus filter values must be 0, 1 or 2.")
                })?);
            }
        }
    }
    let (total, sites) = if let Some(wanted) = verify_filter {
        // Verification status lives per host: filter over all matching sites, then page.
        let all = SiteFilter {
            offset: 0,
            limit: i64::MAX / 2,
            ..f.clone()
        };
        let (_, sites) = st.store.list_sites(rc.account.id, &all).await?;
        let status = verify_statuses(st, rc, &sites).await?;
        let kept: Vec<Site> = sites
            .into_iter()
            .filter(|s| wanted.contains(&status_of(&status, s)))
            .collect();
        let total = kept.len() as i64;
        let page = kept
            .into_iter()
            .skip(f.offset as usize)
            .take(f.limit as usize)
            .collect();
        (total, page)
    } else {
        st.store.list_sites(rc.account.id, &f).await?
    };
    let status = verify_statuses(st, rc, &sites).await?;
    let scans = scans::site_scans(st, rc.account.id, &sites).await?;
    let mons = monitors::site_monitors(st, rc.account.id).await?;
    let out: Vec<Value> = sites
        .iter()
        .map(|s| {
            let mut row = render_site(rc, s, status_of(&status, s));
            scans::scan_fields(&mut row, scans.get(&s.id));
            if let Some((m, ms)) = mons.get(&s.id) {
                row["MonitorId"] = json!(m);
                row["MonitorStatus"] = json!(ms);
            }
            row
        })
        .collect();
    Ok(json!({"TotalCount": total, "Sites": out}))
}

/// Every site of an account.
pub(crate) async fn all_sites(st: &Services, account_id: i64) -> ApiResult<Vec<Site>> {
    let all = SiteFilter {
        limit: i64::MAX / 2,
        ..Default::default()
    };
    Ok(st.store.list_sites(account_id, &all).await?.1)
}

/// Verification records of the hosts and the sites' own origins of `sites`, in one query.
pub(crate) async fn verify_statuses(
    st: &Services,
    rc: &RequestCtx,
    sites: &[Site],
) -> ApiResult<HashMap<String, Verification>> {
    let mut keys: Vec<String> = sites
        .iter()
        .flat_map(|s| {
            let origin = url::Url::parse(&s.url).ok().map(|u| site_key(&u));
            std::iter::once(s.host.clone()).chain(origin)
        })
        .collect();
    keys.sort();
    keys.dedup();
    let found = st.store.verifications(rc.account.id, &keys).await?;
    Ok(found.into_iter().map(|v| (v.domain.clone(), v)).collect())
}

/// A site's verification status: proven by its host's record or its own origin's.
pub(crate) fn status_of(status: &HashMap<String, Verification>, s: &Site) -> i64 {
    let origin = url::Url::parse(&s.url)
        .ok()
        .and_then(|u| status.get(&site_key(&u)));
    combined_status(status.get(&s.host), origin)
}

fn render_site(rc: &RequestCtx, s: &Site, verify: i64) -> Value {
    json!({
        "Id": s.id, "MonitorId": 0, "Url": s.url, "Name": s.name, "VerifyStatus": verify,
        "MonitorStatus": 0, "ScanStatus": 0, "LastScanTaskId": 0, "LastScanStartTime": "",
        "LastScanFinishTime": "", "LastScanCancelTime": "", "LastScanPageCount": 0,
        "LastScanScannerType": "", "LastScanVulsHighNum": 0, "LastScanVulsMiddleNum": 0,
        "LastScanVulsLowNum": 0, "LastScanVulsNoticeNum": 0, "CreatedAt": time_str(s.created_at),
        "UpdatedAt": time_str(s.updated_at), "LastScanRateLimit": 0, "LastScanVulsNum": 0,
        "LastScanNoticeNum": 0, "Progress": 0, "Appid": rc.account.app_id, "Uin": rc.account.uin,
        "NeedLogin": s.need_login, "LoginCookie": s.login_cookie.as_deref().map(vigil_engine_web::http::redact_cookie_header).unwrap_or_default(),
        "LoginCookieValid": 0, "LoginCheckUrl": s.login_check_url, "LoginCheckKw": s.login_check_kw,
        "ScanDisallow": s.scan_disallow, "UserAgent": s.user_agent, "ContentStatus": 0,
        "LastScanContentNum": 0,
    })
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct SiteIdsReq {
    /// Sites to delete.
    #[param(max_items = 100)]
    site_ids: Vec<i64>,
}

async fn delete_sites(st: &Services, rc: &RequestCtx, req: SiteIdsReq) -> ApiResult {
    if req.site_ids.is_empty() {
        return Err(ApiError::invalid_value(
            "`SiteIds` must name at least one site.",
        ));
    }
    st.store
        .delete_sites(rc.account.id, &req.site_ids)
        .await
        .map_err(|e| match e {
            vigil_store::StoreError::NotFound => {
                ApiError::not_found("One or more of the sites do not exist.")
            }
            other => other.into(),
        })?;
    crate::products::audit(
        st,
        rc,
        "cws.DeleteSites",
        &crate::products::id_list(&req.site_ids),
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ModifyReq {
    /// Site to change.
    site_id: i64,
    /// Display name.
    #[param(max_len = 256)]
    name: Option<String>,
    /// 0 unknown, -1 no login, 1 login needed.
    #[param(one_of = [-1, 0, 1])]
    need_login: Option<i64>,
    /// Cookie of a logged-in session (stored encrypted).
    #[param(max_len = 8192)]
    login_cookie: Option<String>,
    /// URL that shows whether the cookie works.
    #[param(max_len = 2048)]
    login_check_url: Option<String>,
    /// Keyword present on LoginCheckUrl when logged in.
    #[param(max_len = 256)]
    login_check_kw: Option<String>,
    /// Path keywords the scanner must not visit, separated by ';'.
    #[param(max_len = 2048)]
    scan_disallow: Option<String>,
}

async fn modify_site(st: &Services, rc: &RequestCtx, r: ModifyReq) -> ApiResult {
    if let Some(u) = r.login_check_url.as_deref().filter(|u| !u.is_empty()) {
        parse_site_url(u)?;
    }
    let upd = SiteUpdate {
        name: r.name,
        need_login: r.need_login,
        login_cookie: r.login_cookie,
        login_check_url: r.login_check_url,
        login_check_kw: r.login_check_kw,
        scan_disallow: r.scan_disallow,
    };
    st.store
        .update_site(rc.account.id, r.site_id, &upd)
        .await
        .map_err(|e| match e {
            vigil_store::StoreError::NotFound => {
                ApiError::not_found(format!("Site {} does not exist.", r.site_id))
            }
            other => other.into(),
        })?;
    Ok(json!({}))
}

async fn describe_quota(st: &Services, rc: &RequestCtx, _: NoParams) -> ApiResult {
    let used = st
        .store
        .count_tasks_since(rc.account.id, "cws", st.store.now() - 86_400_000)
        .await?;
    let total = st.config.scan_quota;
    Ok(json!({"Total": total, "Used": used, "Available": (total - used).max(0)}))
}

fn proof_url(su: &SiteUrl, v: &Verification) -> String {
    let mut u = su.url.clone();
    u.set_path(&super::ownership::proof_path(v));
    u.set_query(None);
    u.to_string()
}

/// The record of a site's own origin (site-level file proofs), if there is one.
async fn site_record(
    st: &Services,
    account_id: i64,
    su: &SiteUrl,
) -> ApiResult<Option<Verification>> {
    let key = site_key(&su.url);
    Ok(st
        .store
        .verifications(account_id, std::slice::from_ref(&key))
        .await?
        .into_iter()
        .next())
}

async fn describe_verification(st: &Services, rc: &RequestCtx, req: UrlsReq) -> ApiResult {
    let mut out = Vec::new();
    for raw in &req.urls {
        let su = parse_site_url(raw)?;
        let v = ensure_verification(st, rc.account.id, &su.host).await?;
        let site = site_record(st, rc.account.id, &su).await?;
        out.push(json!({
            "Domain": v.domain, "TxtName": format!("_vigil-verify.{}", v.domain), "TxtText": v.token,
            "ValidTo": time_str(v.valid_to), "VerifyStatus": combined_status(Some(&v), site.as_ref()),
            "CreatedAt": time_str(v.created_at), "UpdatedAt": time_str(v.updated_at), "Id": v.id,
            "Appid": rc.account.app_id, "VerifyUrl": proof_url(&su, &v),
            "VerifyFileUrl": proof_url(&su, &v),
        }));
    }
    Ok(json!({"TotalCount": out.len(), "SitesVerification": out}))
}

async fn verify_sites(st: &Services, rc: &RequestCtx, req: UrlsReq) -> ApiResult {
    let (mut ok, mut failed) = (0, 0);
    for raw in &req.urls {
        let su = parse_site_url(raw)?;
        let v = ensure_verification(st, rc.account.id, &su.host).await?;
        let port = su.url.port_or_known_default().unwrap_or(80);
        let in_trusted_scope = matches!(st.scope.resolve(&su.host, port).await, Ok(p) if p.trusted);
        if in_trusted_scope {
            st.store
                .set_verified(rc.account.id, &su.host, 1, "scope")
                .await?;
            ok += 1;
        } else if let Some(method) = find_proof(st, &su.host, &[proof_url(&su, &v)], &v).await {
            // A file on another port proves that site only, not the host.
            let subject = if method == "file" && !proves_host(&su.url) {
                let key = site_key(&su.url);
                st.store
                    .verification(rc.account.id, &key, &v.token, v.valid_to)
                    .await?;
                key
            } else {
                su.host.clone()
            };
            st.store
                .set_verified(rc.account.id, &subject, 1, method)
                .await?;
            crate::products::audit(st, rc, "cws.VerifySites", &subject).await?;
            ok += 1;
        } else {
            failed += 1;
        }
    }
    Ok(json!({"SuccessNumber": ok, "FailNumber": failed}))
}
