//! CWS website scans and their results: `CreateSitesScans` queues one web scan per verified
//! site (mode, exact requests-per-second limit), the site fields that reflect the last scan,
//! the vulnerability views (`DescribeVuls`, `DescribeVulsNumber`, the daily
//! `DescribeVulsNumberTimeline`), false-positive marking, the notice-level configuration and
//! `CreateVulsReport` (a signed link to a self-contained HTML report).

use super::{parse_site_url, status_of, verify_statuses};
use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{NoParams, Params};
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use vigil_core::spec::web::{Mode, SealedCookie, WebOptions, WebTarget, WebTargets};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::{FindingStatus, Severity, TaskSpec, TaskState};
use vigil_store::{Site, StoredFinding, TaskRecord};

/// Product name of CWS tasks.
pub(crate) const NAME: &str = "cws";
/// Scope of every web finding (the engine's coverage is exact per URL and parameter).
pub(crate) const WEB_SCOPE: &str = "web";

/// The scan and vulnerability actions.
pub static ACTIONS: [Action; 8] = [
    action!("CreateSitesScans", create_scans, "Scan verified sites now."),
    action!(
        "DescribeVuls",
        describe_vuls,
        "Vulnerabilities found by the scans."
    ),
    action!(
        "DescribeVulsNumber",
        describe_number,
        "Vulnerability counts over the verified sites."
    ),
    action!(
        "DescribeVulsNumberTimeline",
        describe_timeline,
        "Vulnerability counts day by day."
    ),
    action!(
        "CreateVulsMisinformation",
        misinformation,
        "Mark vulnerabilities as false positives; rescans keep them so."
    ),
    action!(
        "CreateVulsReport",
        create_report,
        "A temporary link to an HTML report."
    ),
    action!(
        "DescribeConfig",
        describe_config,
        "Alert settings of the account."
    ),
    action!(
        "ModifyConfigAttribute",
        modify_config,
        "Change the alert settings."
    ),
];

/// What a task's login cookie is sealed for.
const COOKIE_PURPOSE: &str = "web_task_login_cookie";

/// The web engine's target for a site; its login cookie is sealed (tasks and schedules are
/// stored, and must not hold it in clear).
pub(crate) fn site_target(secrets: &vigil_store::SecretBox, site: &Site) -> ApiResult<WebTarget> {
    let disallow: Vec<String> = site
        .scan_disallow
        .split([',', '\n', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let login_cookie_sealed = match site.login_cookie.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(SealedCookie {
            sealed: secrets.seal(COOKIE_PURPOSE, c)?,
            purpose: COOKIE_PURPOSE.into(),
        }),
        None => None,
    };
    let login_check = !site.login_check_url.is_empty() && !site.login_check_kw.is_empty();
    Ok(WebTarget {
        url: site.url.clone(),
        disallow,
        login_cookie_sealed,
        login_check_url: login_check.then(|| site.login_check_url.clone()),
        login_check_keyword: login_check.then(|| site.login_check_kw.clone()),
        user_agent: Some(site.user_agent.clone()).filter(|u| !u.is_empty()),
        login_cookie: None,
    })
}

/// Checks that an account may scan a site now: verified, and (unless the operator's scope
/// names it) not leading to an internal address. Returns the hosts that must stay public.
pub(crate) async fn check_scannable(
    st: &Services,
    account_id: i64,
    site: &Site,
) -> ApiResult<Option<String>> {
    let mut keys = vec![site.host.clone()];
    if let Ok(u) = url::Url::parse(&site.url) {
        keys.push(crate::products::ownership::site_key(&u));
    }
    let v = st.store.verifications(account_id, &keys).await?;
    // The host's record, or the site's own origin's (a file proof on a non-default port).
    let verified = v
        .iter()
        .any(|v| crate::products::ownership::effective_status(v) == 1);
    if !verified {
        return Err(ApiError::new(
            Code::UnauthorizedOperation,
            format!(
                "Site {} ({}) is not verified: prove ownership of {} with DescribeSitesVerification and VerifySites first.",
                site.id, site.url, site.host
            ),
        ));
    }
    if st.scope.names_trusted(&site.host) {
        return Ok(None);
    }
    let su = parse_site_url(&site.url)?;
    let port = su.url.port_or_known_default().unwrap_or(80);
    match st.scope.resolve(&site.host, port).await {
        Ok(_) => Ok(Some(site.host.clone())),
        Err(e) => Err(ApiError::new(
            Code::UnauthorizedOperation,
            format!("Site {} cannot be scanned: {e}.", site.url),
        )),
    }
}

/// A web scan task of `sites` in `mode` (`normal` or `deep`, checked by the action's
/// schema) at exactly `rate` requests per second; `public` are hosts that must not lead to
/// internal addresses, `meta` the product's record of the run (the site ids).
pub(crate) fn scan_task(
    sites: Vec<WebTarget>,
    mode: &str,
    rate: i64,
    public: Vec<String>,
    meta: Value,
) -> ApiResult<TaskSpec> {
    let mode = match mode {
        "deep" => Mode::Deep,
        _ => Mode::Normal,
    };
    let engine = EngineSpec::Web(
        WebTargets { sites },
        WebOptions {
            mode,
            public_only: public,
            ..WebOptions::default()
        },
    );
    let run = RunOptions {
        rate_per_second: u32::try_from(rate).ok(),
        rate_strict: true,
        meta: Some(meta),
        ..RunOptions::default()
    };
    let mut spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
    spec.max_attempts = 2;
    Ok(spec)
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ScanReq {
    /// Sites to scan.
    #[param(max_items = 50)]
    site_ids: Vec<i64>,
    /// normal or deep.
    #[param(one_of = ["normal", "deep"])]
    scanner_type: String,
    /// Requests per second, 1 to 1000.
    #[param(range(1, 1000))]
    rate_limit: i64,
}

async fn create_scans(st: &Services, rc: &RequestCtx, req: ScanReq) -> ApiResult {
    if req.site_ids.is_empty() {
        return Err(ApiError::invalid_value(
            "`SiteIds` must name at least one site.",
        ));
    }
    let mut ids = req.site_ids.clone();
    ids.sort();
    ids.dedup();
    if ids.len() != req.site_ids.len() {
        return Err(ApiError::new(
            Code::Duplicate,
            "`SiteIds` names a site twice.",
        ));
    }
    let running = running_sites(st, rc.account.id).await?;
    let mut plans = Vec::new();
    for id in &ids {
        let site = st
            .store
            .get_site(rc.account.id, *id)
            .await
            .map_err(|e| match e {
                vigil_store::StoreError::NotFound => {
                    ApiError::not_found(format!("Site {id} does not exist."))
                }
                other => other.into(),
            })?;
        if let Some(task) = running.get(id) {
            return Err(ApiError::new(
                Code::ResourceInUse,
                format!("Site {id} is being scanned (task {task}); wait for that scan to end."),
            ));
        }
        let public = check_scannable(st, rc.account.id, &site).await?;
        plans.push((site, public));
    }
    crate::products::check_quota(st, rc.account.id, NAME, plans.len() as i64)
        .await
        .map_err(|e| e.with_code(super::SCAN_QUOTA))?;
    for (site, public) in &plans {
        let spec = scan_task(
            vec![site_target(st.store.secrets(), site)?],
            &req.scanner_type,
            req.rate_limit,
            public.iter().cloned().collect(),
            json!({"site_ids": [site.id]}),
        )?;
        st.store
            .enqueue(&vigil_store::NewTask {
                account_id: rc.account.id,
                spec,
                run_after: 0,
                schedule_id: None,
            })
            .await?;
    }
    crate::products::audit(
        st,
        rc,
        "cws.CreateSitesScans",
        &crate::products::id_list(&ids),
    )
    .await?;
    Ok(json!({}))
}

/// Sites of a run (from the product's note on the task).
pub(crate) fn run_sites(t: &TaskRecord) -> Vec<i64> {
    t.options
        .get("meta")
        .and_then(|m| m.get("site_ids"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// Sites with a queued or running scan, and that scan's task.
async fn running_sites(st: &Services, account_id: i64) -> ApiResult<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for t in st.store.product_tasks(account_id, NAME).await? {
        if !t.state.is_terminal() {
            for s in run_sites(&t) {
                out.insert(s, t.id);
            }
        }
    }
    Ok(out)
}

/// Scheme, host and port of a URL, for matching findings to sites.
pub(crate) fn origin(u: &str) -> String {
    url::Url::parse(u)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// CWS level of a finding.
fn level(f: &StoredFinding) -> &'static str {
    vigil_engine_web::catalogue::cws_level(f.finding.severity.unwrap_or(Severity::Info))
}

/// Whether a finding counts in totals: not fixed, not marked false positive, not ignored.
fn counts(f: &StoredFinding) -> bool {
    f.status == FindingStatus::Open
}

/// Counts by level of every finding given: (high, middle, low, notice).
fn tally<'a>(fs: impl Iterator<Item = &'a StoredFinding>) -> [i64; 4] {
    let mut n = [0i64; 4];
    for f in fs {
        let i = match level(f) {
            "high" => 0,
            "middle" => 1,
            "low" => 2,
            _ => 3,
        };
        n[i] += 1;
    }
    n
}

/// Counts by level of the findings that count (open ones).
fn by_level<'a>(fs: impl Iterator<Item = &'a StoredFinding>) -> [i64; 4] {
    tally(fs.filter(|f| counts(f)))
}

/// Pages a run fetched (its site map), of one site's origin or of all.
pub(crate) async fn page_count(
    st: &Services,
    account_id: i64,
    task_id: i64,
    of_origin: Option<&str>,
) -> ApiResult<i64> {
    Ok(st
        .store
        .components_of_task(account_id, task_id)
        .await?
        .iter()
        .filter(|c| c.kind == "page")
        .filter(|c| of_origin.is_none_or(|o| c.path.as_deref().map(origin).as_deref() == Some(o)))
        .count() as i64)
}

/// What the last scan of a site found and did.
#[derive(Debug, Clone, Default)]
pub(crate) struct SiteScan {
    /// The run.
    pub task: Option<TaskRecord>,
    /// High, middle, low, notice counts of what the run saw (false positives excluded).
    pub levels: [i64; 4],
    /// Pages fetched.
    pub pages: i64,
    /// The login cookie opened a session for the whole run.
    pub login_ok: Option<bool>,
    /// Some scan of the site succeeded.
    pub had_results: bool,
}

/// The last scan of each site.
pub(crate) async fn site_scans(
    st: &Services,
    account_id: i64,
    sites: &[Site],
) -> ApiResult<HashMap<i64, SiteScan>> {
    let mut runs = st.store.product_tasks(account_id, NAME).await?;
    runs.sort_by_key(|t| std::cmp::Reverse(t.id));
    let mut out = HashMap::new();
    for site in sites {
        let Some(t) = runs.iter().find(|t| run_sites(t).contains(&site.id)) else {
            continue;
        };
        let had_results = runs
            .iter()
            .any(|r| r.state == TaskState::Succeeded && run_sites(r).contains(&site.id));
        let o = origin(&site.url);
        let seen: Vec<StoredFinding> = st
            .store
            .findings_seen_by(account_id, t.id)
            .await?
            .into_iter()
            .filter(|f| f.finding.url.as_deref().map(origin).as_deref() == Some(o.as_str()))
            .collect();
        let pages = page_count(st, account_id, t.id, Some(&o)).await?;
        let has_cookie = site.login_cookie.as_deref().is_some_and(|c| !c.is_empty());
        let login_ok = (has_cookie && t.state == TaskState::Succeeded)
            .then(|| !seen.iter().any(|f| f.finding.kind == "login-session"));
        let levels = by_level(seen.iter().filter(|f| f.finding.kind != "login-session"));
        out.insert(
            site.id,
            SiteScan {
                task: Some(t.clone()),
                levels,
                pages,
                login_ok,
                had_results,
            },
        );
    }
    Ok(out)
}

/// Site fields of the last scan, merged into a rendered site.
pub(crate) fn scan_fields(row: &mut Value, scan: Option<&SiteScan>) {
    let Some(s) = scan else { return };
    let Some(t) = &s.task else { return };
    let status = match t.state {
        TaskState::Queued | TaskState::Running | TaskState::Paused => 1,
        TaskState::Succeeded => 2,
        // A failed or stopped scan: results only if an earlier scan gave some.
        _ if s.had_results => 2,
        _ => 0,
    };
    let [h, m, l, n] = s.levels;
    let rate = t
        .options
        .get("rate_per_second")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mode = t
        .options
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("normal");
    let fields = json!({
        "ScanStatus": status, "LastScanTaskId": t.id,
        "LastScanStartTime": t.started_at.map(time_str).unwrap_or_default(),
        "LastScanFinishTime": if t.state == TaskState::Succeeded { t.finished_at.map(time_str).unwrap_or_default() } else { String::new() },
        "LastScanCancelTime": if t.state == TaskState::Stopped { t.finished_at.map(time_str).unwrap_or_default() } else { String::new() },
        "LastScanPageCount": s.pages, "LastScanScannerType": mode, "LastScanRateLimit": rate,
        "LastScanVulsHighNum": h, "LastScanVulsMiddleNum": m, "LastScanVulsLowNum": l,
        "LastScanVulsNoticeNum": n, "LastScanVulsNum": h + m + l, "LastScanNoticeNum": n,
        "Progress": if status == 1 { t.progress } else { 100 },
        "LoginCookieValid": i64::from(s.login_ok.unwrap_or(false)),
    });
    if let (Value::Object(r), Value::Object(f)) = (row, fields) {
        r.extend(f);
    }
}

/// Web findings of the account that are not fixed, with the site each belongs to.
async fn current_vuls(
    st: &Services,
    account_id: i64,
) -> ApiResult<(Vec<Site>, Vec<(i64, StoredFinding)>)> {
    let sites = super::all_sites(st, account_id).await?;
    let by_origin: HashMap<String, i64> = sites.iter().map(|s| (origin(&s.url), s.id)).collect();
    let vuls = st
        .store
        .findings_in_scope(account_id, WEB_SCOPE)
        .await?
        .into_iter()
        .filter(|f| f.status != FindingStatus::Fixed && f.finding.kind != "login-session")
        .filter_map(|f| {
            let o = f.finding.url.as_deref().map(origin)?;
            by_origin.get(&o).map(|id| (*id, f))
        })
        .collect();
    Ok((sites, vuls))
}

/// Counted vulnerabilities of each site: (high, middle, low, notice).
pub(crate) async fn vul_counts_by_site(
    st: &Services,
    account_id: i64,
) -> ApiResult<HashMap<i64, [i64; 4]>> {
    let (_, vuls) = current_vuls(st, account_id).await?;
    let mut out: HashMap<i64, [i64; 4]> = HashMap::new();
    for (site, f) in &vuls {
        let n = by_level(std::iter::once(f));
        let e = out.entry(*site).or_default();
        for (a, b) in e.iter_mut().zip(n) {
            *a += b;
        }
    }
    Ok(out)
}

/// `GET /reports/cws/{app_id}/{site|monitor}/{id}`: the HTML report, for holders of a valid
/// link from `CreateVulsReport`.
pub async fn report_page(
    axum::extract::State(st): axum::extract::State<std::sync::Arc<crate::AppState>>,
    axum::extract::Path((app_id, what, id)): axum::extract::Path<(i64, String, i64)>,
    axum::extract::Query(q): axum::extract::Query<ReportLink>,
) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let refuse = |code: StatusCode, why: &str| {
        (
            code,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{why}\n"),
        )
            .into_response()
    };
    if what != "site" && what != "monitor" {
        return refuse(StatusCode::NOT_FOUND, "No such report.");
    }
    let data = format!("{app_id}:{what}:{id}:{}", q.expires);
    if !st.store.secrets().verify_tag(LINK_PURPOSE, &data, &q.sig) {
        return refuse(StatusCode::FORBIDDEN, "This report link is not valid.");
    }
    if q.expires < st.store.now() / 1000 {
        return refuse(
            StatusCode::FORBIDDEN,
            "This report link has expired; ask for a new one with CreateVulsReport.",
        );
    }
    match report_html(&st, app_id, &what, id).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            html,
        )
            .into_response(),
        Err(e) if e.code == crate::error::Code::ResourceNotFound => {
            refuse(StatusCode::NOT_FOUND, "No such report.")
        }
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The report could not be produced; see the server log.",
        ),
    }
}

/// Query of a report link.
#[derive(Deserialize)]
pub struct ReportLink {
    expires: i64,
    sig: String,
}

fn render_vul(rc: &RequestCtx, site_id: i64, f: &StoredFinding) -> Value {
    let class = vigil_engine_web::catalogue::class(&f.finding.kind);
    let ev = &f.finding.evidence;
    let html = [
        ev.get("proof").and_then(Value::as_str).unwrap_or(""),
        ev.get("request").and_then(Value::as_str).unwrap_or(""),
        ev.get("response").and_then(Value::as_str).unwrap_or(""),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join("\n\n");
    json!({
        "Id": f.id, "SiteId": site_id, "TaskId": f.task_id, "Level": level(f),
        "Name": class.map(|c| c.name).unwrap_or(&f.finding.kind), "Url": f.finding.url.clone().unwrap_or_default(),
        "Html": html, "Nickname": f.finding.kind, "Harm": class.map(|c| c.harm).unwrap_or(""),
        "Describe": class.map(|c| c.describe).unwrap_or(""), "Solution": class.map(|c| c.solution).unwrap_or(""),
        "From": f.finding.cwe.join(", "), "Parameter": f.finding.parameter.clone().unwrap_or_default(),
        "CreatedAt": time_str(f.first_seen), "UpdatedAt": time_str(f.last_seen),
        "IsReported": i64::from(f.status == FindingStatus::FalsePositive),
        "Appid": rc.account.app_id, "Uin": rc.account.uin,
    })
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct FilterReq {
    /// Level, Nickname, Url, Parameter or IsReported.
    name: String,
    /// Values; any may match.
    #[param(max_items = 50)]
    values: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct VulsReq {
    /// Only this site's vulnerabilities.
    site_id: Option<i64>,
    /// Only this monitor's sites.
    monitor_id: Option<i64>,
    /// Filters.
    #[serde(default)]
    #[param(max_items = 10)]
    filters: Vec<FilterReq>,
    /// Offset.
    #[param(range(0, i64::MAX))]
    offset: Option<i64>,
    /// Page size, at most 100.
    #[param(range(1, 100))]
    limit: Option<i64>,
}

async fn describe_vuls(st: &Services, rc: &RequestCtx, req: VulsReq) -> ApiResult {
    let (_, mut vuls) = current_vuls(st, rc.account.id).await?;
    if let Some(id) = req.site_id {
        st.store
            .get_site(rc.account.id, id)
            .await
            .map_err(|_| ApiError::not_found(format!("Site {id} does not exist.")))?;
        vuls.retain(|(s, _)| *s == id);
    }
    if let Some(m) = req.monitor_id {
        let sites = super::monitors::monitor_sites(st, rc.account.id, m).await?;
        vuls.retain(|(s, _)| sites.contains(s));
    }
    for flt in &req.filters {
        let keep = |f: &StoredFinding| -> ApiResult<bool> {
            Ok(match flt.name.as_str() {
                "Level" => flt.values.iter().any(|v| v == level(f)),
                "Nickname" => flt.values.contains(&f.finding.kind),
                "Url" => flt.values.iter().any(|v| f.finding.url.as_deref().unwrap_or("").contains(v.as_str())),
                "Parameter" => flt.values.iter().any(|v| f.finding.parameter.as_deref() == Some(v.as_str())),
                "IsReported" => {
                    let r = i64::from(f.status == FindingStatus::FalsePositive).to_string();
                    flt.values.contains(&r)
                }
                other => {
                    return Err(ApiError::invalid_value(format!(
                        "`Filters.Name` `{other}` is not a filter; filters are Level, Nickname, Url, Parameter and IsReported."
                    )))
                }
            })
        };
        let mut kept = Vec::new();
        for v in vuls {
            if keep(&v.1)? {
                kept.push(v);
            }
        }
        vuls = kept;
    }
    let rank = |f: &StoredFinding| std::cmp::Reverse(f.finding.severity.unwrap_or(Severity::Info));
    vuls.sort_by(|a, b| rank(&a.1).cmp(&rank(&b.1)).then(a.1.id.cmp(&b.1.id)));
    let total = vuls.len();
    let offset = req.offset.unwrap_or(0).max(0) as usize;
    let limit = req.limit.unwrap_or(10).clamp(1, 100) as usize;
    let page: Vec<Value> = vuls
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(s, f)| render_vul(rc, *s, f))
        .collect();
    Ok(json!({"TotalCount": total, "Vuls": page}))
}

/// Verified sites, the numbers over them, and which are affected.
async fn numbers(st: &Services, rc: &RequestCtx) -> ApiResult<Value> {
    let (sites, vuls) = current_vuls(st, rc.account.id).await?;
    let status = verify_statuses(st, rc, &sites).await?;
    let verified: Vec<&Site> = sites
        .iter()
        .filter(|s| status_of(&status, s) == 1)
        .collect();
    let vuls: Vec<&(i64, StoredFinding)> = vuls
        .iter()
        .filter(|(s, _)| verified.iter().any(|v| v.id == *s))
        .collect();
    let [h, m, l, n] = by_level(vuls.iter().map(|(_, f)| f));
    let mini = |s: &&Site| json!({"SiteId": s.id, "Url": s.url});
    let impacted: Vec<&&Site> = verified
        .iter()
        .filter(|s| {
            vuls.iter()
                .any(|(id, f)| *id == s.id && counts(f) && level(f) != "notice")
        })
        .collect();
    let scans = site_scans(st, rc.account.id, &sites).await?;
    let pages: i64 = verified
        .iter()
        .filter_map(|s| scans.get(&s.id))
        .map(|s| s.pages)
        .sum();
    Ok(json!({
        "ImpactSiteNumber": impacted.len(), "SiteNumber": verified.len(),
        "VulsHighNumber": h, "VulsMiddleNumber": m, "VulsLowNumber": l, "VulsNoticeNumber": n,
        "PageCount": pages, "Sites": verified.iter().map(mini).collect::<Vec<_>>(),
        "ImpactSites": impacted.iter().map(|s| mini(s)).collect::<Vec<_>>(),
    }))
}

async fn describe_number(st: &Services, rc: &RequestCtx, _: NoParams) -> ApiResult {
    numbers(st, rc).await
}

/// One day per entry, from the first web finding to today (at most a year): what existed
/// at the end of that day. A finding existed from its first sighting; a fixed one until its
/// last sighting.
async fn describe_timeline(st: &Services, rc: &RequestCtx, _: NoParams) -> ApiResult {
    let sites = super::all_sites(st, rc.account.id).await?;
    let all: Vec<StoredFinding> = st
        .store
        .findings_in_scope(rc.account.id, WEB_SCOPE)
        .await?
        .into_iter()
        .filter(|f| {
            f.finding.kind != "login-session"
                && f.status != FindingStatus::FalsePositive
                && f.status != FindingStatus::Ignored
        })
        .collect();
    let status = verify_statuses(st, rc, &sites).await?;
    let verified = sites.iter().filter(|s| status_of(&status, s) == 1).count();
    let day = 86_400_000i64;
    let now = st.store.now();
    let today = now - now.rem_euclid(day);
    let Some(first) = all.iter().map(|f| f.first_seen).min() else {
        return Ok(json!({"TotalCount": 0, "VulsTimeline": []}));
    };
    let start = (first - first.rem_euclid(day)).max(today - 364 * day);
    let runs = st.store.product_tasks(rc.account.id, NAME).await?;
    let mut out = Vec::new();
    let mut d = today;
    while d >= start {
        let end = d + day - 1;
        let alive: Vec<&StoredFinding> = all
            .iter()
            .filter(|f| {
                f.first_seen <= end && (f.status == FindingStatus::Open || f.last_seen >= d)
            })
            .collect();
        let n = tally(alive.iter().copied());
        let mut impacted: Vec<String> = alive
            .iter()
            .filter(|f| level(f) != "notice")
            .filter_map(|f| f.finding.url.as_deref().map(origin))
            .collect();
        impacted.sort();
        impacted.dedup();
        let mut pages = 0i64;
        for r in runs
            .iter()
            .filter(|r| r.finished_at.is_some_and(|t| t >= d && t <= end))
        {
            pages += page_count(st, rc.account.id, r.id, None).await?;
        }
        let date = chrono::DateTime::from_timestamp_millis(d)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        out.push(json!({
            "Id": (d / day), "Appid": rc.account.app_id, "Date": date, "PageCount": pages,
            "SiteNum": verified, "ImpactSiteNum": impacted.len(),
            "VulsHighNum": n[0], "VulsMiddleNum": n[1], "VulsLowNum": n[2], "VulsNoticeNum": n[3],
            "CreatedAt": time_str(d), "UpdatedAt": time_str(end.min(now)),
        }));
        d -= day;
    }
    Ok(json!({"TotalCount": out.len(), "VulsTimeline": out}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct VulIdsReq {
    /// Vulnerabilities to mark as false positives.
    #[param(max_items = 100)]
    vul_ids: Vec<i64>,
}

async fn misinformation(st: &Services, rc: &RequestCtx, req: VulIdsReq) -> ApiResult {
    if req.vul_ids.is_empty() {
        return Err(ApiError::invalid_value(
            "`VulIds` must name at least one vulnerability.",
        ));
    }
    let found = st
        .store
        .findings_by_ids(rc.account.id, &req.vul_ids)
        .await?;
    for id in &req.vul_ids {
        if !found
            .iter()
            .any(|f| f.id == *id && vigil_engine_web::catalogue::class(&f.finding.kind).is_some())
        {
            return Err(ApiError::not_found(format!(
                "Vulnerability {id} does not exist."
            )));
        }
    }
    st.store
        .set_finding_status(rc.account.id, &req.vul_ids, FindingStatus::FalsePositive)
        .await?;
    crate::products::audit(
        st,
        rc,
        "cws.CreateVulsMisinformation",
        &crate::products::id_list(&req.vul_ids),
    )
    .await?;
    Ok(json!({}))
}

/// Purpose of report link signatures.
pub(crate) const LINK_PURPOSE: &str = "cws-report";

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ReportReq {
    /// Report of this site.
    site_id: Option<i64>,
    /// Report of this monitor's sites.
    monitor_id: Option<i64>,
}

async fn create_report(st: &Services, rc: &RequestCtx, req: ReportReq) -> ApiResult {
    let (what, id) = match (
        req.site_id.filter(|i| *i > 0),
        req.monitor_id.filter(|i| *i > 0),
    ) {
        (Some(s), None) => {
            st.store
                .get_site(rc.account.id, s)
                .await
                .map_err(|_| ApiError::not_found(format!("Site {s} does not exist.")))?;
            ("site", s)
        }
        (None, Some(m)) => {
            super::monitors::monitor_sites(st, rc.account.id, m).await?;
            ("monitor", m)
        }
        (None, None) => return Err(ApiError::missing("SiteId")),
        _ => {
            return Err(ApiError::invalid_value(
                "Give either `SiteId` or `MonitorId`, not both.",
            ))
        }
    };
    let app = rc.account.app_id;
    let expires = st.store.now() / 1000 + st.config.link_ttl.as_secs() as i64;
    let tag = st
        .store
        .secrets()
        .tag(LINK_PURPOSE, &format!("{app}:{what}:{id}:{expires}"));
    let base = crate::links::base(&st.config);
    Ok(
        json!({"ReportFileUrl": format!("{base}/reports/cws/{app}/{what}/{id}?expires={expires}&sig={tag}")}),
    )
}

/// The HTML report of a site or monitor: its current vulnerabilities (false positives shown
/// as suppressed) and the pages of its last scan.
pub(crate) async fn report_html(
    st: &Services,
    app_id: i64,
    what: &str,
    id: i64,
) -> ApiResult<String> {
    let account = st.store.account_by_app_id(app_id).await?;
    let site_ids: Vec<i64> = match what {
        "site" => vec![st.store.get_site(account.id, id).await?.id],
        _ => super::monitors::monitor_sites(st, account.id, id).await?,
    };
    let (sites, vuls) = current_vuls(st, account.id).await?;
    let chosen: Vec<&Site> = sites.iter().filter(|s| site_ids.contains(&s.id)).collect();
    let findings: Vec<vigil_report::ReportedFinding> = vuls
        .into_iter()
        .filter(|(s, _)| site_ids.contains(s))
        .map(|(_, f)| vigil_report::ReportedFinding {
            finding: f.finding,
            status: f.status,
        })
        .collect();
    let scans = site_scans(st, account.id, &sites).await?;
    let mut components = Vec::new();
    let mut started = None;
    let mut finished = None;
    for s in &chosen {
        if let Some(t) = scans.get(&s.id).and_then(|x| x.task.clone()) {
            started = started.min(t.started_at).or(t.started_at);
            finished = finished.max(t.finished_at);
            let o = origin(&s.url);
            components.extend(
                st.store
                    .components_of_task(account.id, t.id)
                    .await?
                    .into_iter()
                    .filter(|c| c.path.as_deref().map(origin).as_deref() == Some(o.as_str())),
            );
        }
    }
    let at = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .unwrap_or_else(chrono::Utc::now)
    };
    let report = vigil_report::ScanReport {
        target: chosen
            .iter()
            .map(|s| s.url.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        started: at(started),
        finished: at(finished),
        components,
        findings,
        engine: None,
    };
    let title = match what {
        "site" => format!("Vigil website scan report: {}", report.target),
        _ => format!("Vigil monitor {id} report: {}", report.target),
    };
    Ok(report.to_html(&title))
}

const NOTICE_LEVEL: &str = "notice_level";
const DEFAULT_NOTICE_LEVEL: &str = "1111";

async fn describe_config(st: &Services, rc: &RequestCtx, _: NoParams) -> ApiResult {
    let s = st.store.setting(rc.account.id, NAME, NOTICE_LEVEL).await?;
    let (level, created, updated) = match &s {
        Some(s) => (
            s.value.as_str().unwrap_or(DEFAULT_NOTICE_LEVEL).to_string(),
            time_str(s.created_at),
            time_str(s.updated_at),
        ),
        None => (
            DEFAULT_NOTICE_LEVEL.to_string(),
            time_str(rc.account.created_at),
            time_str(rc.account.created_at),
        ),
    };
    Ok(json!({
        "NoticeLevel": level, "Id": rc.account.id, "CreatedAt": created, "UpdatedAt": updated,
        "Appid": rc.account.app_id, "ContentLevel": 0,
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct ConfigReq {
    /// Four digits 0/1: alert on high, middle, low, notice.
    #[param(max_len = 4)]
    notice_level: Option<String>,
}

async fn modify_config(st: &Services, rc: &RequestCtx, req: ConfigReq) -> ApiResult {
    let Some(level) = req.notice_level else {
        return Ok(json!({}));
    };
    if level.len() != 4 || !level.chars().all(|c| c == '0' || c == '1') {
        return Err(ApiError::invalid_value(format!(
            "`NoticeLevel` `{level}` must be four digits 0 or 1 (high, middle, low, notice), e.g. 1100."
        )));
    }
    st.store
        .set_setting(rc.account.id, NAME, NOTICE_LEVEL, &json!(level))
        .await?;
    crate::products::audit(st, rc, "cws.ModifyConfigAttribute", &level).await?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_targets() {
        assert_eq!(origin("http://Shop.test:80/a?b"), "http://shop.test");
        assert_eq!(origin("https://h:8443/"), "https://h:8443");
        let site = Site {
            id: 1,
            account_id: 1,
            url: "http://h/".into(),
            host: "h".into(),
            name: "h".into(),
            need_login: 1,
            login_cookie: Some("s=1".into()),
            login_check_url: "http://h/account".into(),
            login_check_kw: "Welcome".into(),
            scan_disallow: "/admin, /logout\n/delete".into(),
            user_agent: String::new(),
            created_at: 0,
            updated_at: 0,
        };
        let secrets = vigil_store::SecretBox::from_hex(&"11".repeat(32)).unwrap();
        let mut t = serde_json::to_value(site_target(&secrets, &site).unwrap()).unwrap();
        // The cookie is sealed in the task, never in clear, and opens back to itself.
        assert!(!t.to_string().contains("s=1"), "{t}");
        let sealed = t["login_cookie_sealed"].take();
        let opened = secrets
            .open(
                sealed["purpose"].as_str().unwrap(),
                sealed["sealed"].as_str().unwrap(),
            )
            .unwrap();
        assert_eq!(opened, "s=1");
        t.as_object_mut().unwrap().remove("login_cookie_sealed");
        assert_eq!(
            t,
            json!({"url": "http://h/", "disallow": ["/admin", "/logout", "/delete"],
                   "login_check_url": "http://h/account", "login_check_keyword": "Welcome"})
        );
    }
}
