//! Task logs: one report per run of a risk scan task (its lead task with its companions,
//! `runs.rs`; the report's id is the lead's), listed with `DescribeTaskLogList` and
//! handed out by `DescribeTaskLogURL` as a temporary link. The link carries the account, the
//! run, an expiry and a tag made with a key derived from the master key, so only its holder
//! can read the report, only until it expires, and a changed link is refused. The page is
//! self-contained HTML under a restrictive content security policy.

use super::listing::{apply, ListReq, Listing};
use super::tasks::scan_status;
use super::{owner, runs, Members, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::products::{opt_time_str, time_str};
use crate::{RequestCtx, Services};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use vigil_core::TaskState;
use vigil_report::{ReportedFinding, ScanReport};
use vigil_store::TaskRecord;

const LINK_PURPOSE: &str = "csip-report";

fn log_name(job_name: &str, run: &TaskRecord) -> String {
    format!("{job_name} - report {}", run.id)
}

/// Names of jobs (deleted ones included) by id.
async fn job_names(
    st: &Services,
    rc: &RequestCtx,
    runs: &[TaskRecord],
) -> ApiResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for r in runs {
        if let Some(j) = r.job_id {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(j) {
                let name = st
                    .store
                    .job_any(rc.account.id, j)
                    .await
                    .map(|j| j.name)
                    .unwrap_or_default();
                e.insert(name);
            }
        }
    }
    Ok(out)
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, req: ListReq) -> ApiResult {
    req.members.check()?;
    let grouped = runs::group(st.store.product_runs(rc.account.id, NAME).await?);
    let runs: Vec<TaskRecord> = grouped.iter().map(runs::Run::summary).collect();
    let names = job_names(st, rc, &runs).await?;
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for r in &grouped {
        let n = st
            .store
            .sighting_counts(&r.ids())
            .await?
            .iter()
            .map(|c| c.1)
            .sum();
        counts.insert(r.lead.id, n);
    }
    let (app_id, uin, user) = owner(rc);
    let rows: Vec<Value> = runs
        .iter()
        .map(|r| {
            let name = r.job_id.and_then(|j| names.get(&j)).cloned().unwrap_or_default();
            let targets = r.target.get("targets").and_then(Value::as_array).map(Vec::len).unwrap_or(0);
            let status = match r.state {
                TaskState::Paused => 5,
                _ => scan_status(r),
            };
            json!({
                "TaskLogName": log_name(&name, r), "TaskLogId": r.id.to_string(), "AssetsNumber": targets,
                "RiskNumber": counts.get(&r.id).copied().unwrap_or(0),
                "Time": time_str(r.finished_at.unwrap_or(r.created_at)), "Status": status,
                "TaskName": name, "StartTime": opt_time_str(r.started_at),
                "TaskCenterTaskId": r.job_id.map(|j| j.to_string()).unwrap_or_default(),
                "AppId": app_id, "UIN": uin, "UserName": user, "ReportType": 1, "TemplateId": 0,
            })
        })
        .collect();
    let l = Listing {
        fields: &[
            "TaskLogName",
            "TaskLogId",
            "TaskName",
            "Status",
            "TaskCenterTaskId",
            "RiskNumber",
            "AssetsNumber",
            "Time",
            "StartTime",
            "ReportType",
        ],
        time_field: "Time",
        default_by: "Time",
    };
    let (total, page) = apply(rows, &req.filter, &l)?;
    Ok(json!({"TotalCount": total, "Data": page, "NotViewNumber": 0, "ReportTemplateNumber": 0}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct LogKey {
    /// Report ids.
    #[serde(default)]
    #[param(max_items = 100)]
    task_log_list: Vec<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskKeys {
    /// Task ids (their latest finished report).
    #[serde(default)]
    #[param(max_items = 100)]
    task_id_list: Vec<String>,
    /// AppId (must be the caller's).
    #[param(max_len = 32)]
    app_id: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UrlReq {
    /// 0 view in the browser, 1 download.
    #[serde(rename = "Type")]
    #[param(one_of = [0, 1])]
    kind: Option<i64>,
    #[serde(flatten)]
    members: Members,
    /// Reports by id.
    #[serde(default)]
    #[param(max_items = 100)]
    report_item_key_list: Vec<LogKey>,
    /// Reports by task.
    #[serde(default)]
    #[param(max_items = 100)]
    report_task_id_list: Vec<TaskKeys>,
}

pub(super) async fn urls(st: &Services, rc: &RequestCtx, req: UrlReq) -> ApiResult {
    req.members.check()?;
    let bad_id = |s: &str| ApiError::not_found(format!("Report `{s}` does not exist."));
    let mut runs: Vec<TaskRecord> = Vec::new();
    for k in &req.report_item_key_list {
        for s in &k.task_log_list {
            let id = s.trim().parse::<i64>().map_err(|_| bad_id(s))?;
            let run = st
                .store
                .task(rc.account.id, id)
                .await
                .map_err(|_| bad_id(s))?;
            if run.product != NAME || run.job_id.is_none() || runs::lead_of(&run).is_some() {
                return Err(bad_id(s));
            }
            runs.push(run);
        }
    }
    for k in &req.report_task_id_list {
        if let Some(app) = k.app_id.as_deref().filter(|a| !a.is_empty()) {
            if app != rc.account.app_id.to_string() {
                return Err(ApiError::new(
                    Code::UnauthorizedOperation,
                    format!("AppId {app} is not the caller's."),
                ));
            }
        }
        for s in &k.task_id_list {
            let missing = || ApiError::not_found(format!("Task `{s}` has no finished report."));
            let id = s.trim().parse::<i64>().map_err(|_| missing())?;
            let run = runs::job_runs(st, rc.account.id, id)
                .await?
                .into_iter()
                .find(|r| r.state().is_terminal())
                .ok_or_else(missing)?;
            runs.push(run.summary());
        }
    }
    if runs.is_empty() {
        return Err(ApiError::missing("ReportItemKeyList"));
    }
    let names = job_names(st, rc, &runs).await?;
    let expires = st.store.now() / 1000 + st.config.link_ttl.as_secs() as i64;
    let download = req.kind == Some(1);
    let base = crate::links::base(&st.config);
    let data: Vec<Value> = runs
        .iter()
        .map(|r| {
            let app = rc.account.app_id;
            let tag = st.store.secrets().tag(LINK_PURPOSE, &format!("{app}:{}:{expires}:{}", r.id, u8::from(download)));
            let name = r.job_id.and_then(|j| names.get(&j)).cloned().unwrap_or_default();
            json!({
                "URL": format!("{base}/reports/{app}/{}?expires={expires}&download={}&sig={tag}", r.id, u8::from(download)),
                "LogId": r.id.to_string(), "TaskLogName": log_name(&name, r), "AppId": app.to_string(),
            })
        })
        .collect();
    Ok(json!({"Data": data}))
}

/// Query of a report link.
#[derive(Deserialize)]
pub struct LinkQuery {
    expires: i64,
    #[serde(default)]
    download: u8,
    sig: String,
}

fn refuse(code: StatusCode, why: &str) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{why}\n"),
    )
        .into_response()
}

/// `GET /reports/{app_id}/{run_id}`: the HTML report of a run, for holders of a valid link.
pub async fn report_page(
    State(st): State<Arc<crate::AppState>>,
    Path((app_id, run_id)): Path<(i64, i64)>,
    Query(q): Query<LinkQuery>,
) -> Response {
    let data = format!("{app_id}:{run_id}:{}:{}", q.expires, q.download.min(1));
    if !st.store.secrets().verify_tag(LINK_PURPOSE, &data, &q.sig) {
        return refuse(StatusCode::FORBIDDEN, "This report link is not valid.");
    }
    if q.expires < st.store.now() / 1000 {
        return refuse(
            StatusCode::FORBIDDEN,
            "This report link has expired; ask for a new one with DescribeTaskLogURL.",
        );
    }
    match render(&st, app_id, run_id).await {
        Ok(html) => {
            let disposition = if q.download == 1 {
                format!("attachment; filename=\"vigil-report-{run_id}.html\"")
            } else {
                "inline".to_string()
            };
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:".to_string(),
                    ),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                html,
            )
                .into_response()
        }
        Err(e) if e.code == crate::error::Code::ResourceNotFound => {
            refuse(StatusCode::NOT_FOUND, "No such report.")
        }
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The report could not be produced; see the server log.",
        ),
    }
}

async fn render(st: &Services, app_id: i64, run_id: i64) -> ApiResult<String> {
    let account = st.store.account_by_app_id(app_id).await?;
    let lead = st.store.task(account.id, run_id).await?;
    let (job_name, whole) = match lead.job_id {
        Some(j) => (
            st.store
                .job_any(account.id, j)
                .await
                .map(|j| j.name)
                .unwrap_or_default(),
            runs::job_runs(st, account.id, j)
                .await?
                .into_iter()
                .find(|r| r.lead.id == run_id),
        ),
        None => (String::new(), None),
    };
    let whole = whole.unwrap_or(runs::Run {
        lead,
        parts: Vec::new(),
    });
    let run = whole.summary();
    let mut findings = Vec::new();
    let mut components = Vec::new();
    for id in whole.ids() {
        findings.extend(st.store.findings_seen_by(account.id, id).await?);
        components.extend(st.store.components_of_task(account.id, id).await?);
    }
    let at = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .unwrap_or_else(chrono::Utc::now)
    };
    let targets: Vec<String> = run
        .target
        .get("targets")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let report = ScanReport {
        target: targets.join(", "),
        started: at(run.started_at.or(Some(run.created_at))),
        finished: at(run.finished_at),
        components,
        findings: findings
            .into_iter()
            .map(|f| ReportedFinding {
                finding: f.finding,
                status: f.status,
            })
            .collect(),
        engine: None,
    };
    let title = format!(
        "Vigil risk scan report: {} (run {}, {})",
        job_name,
        run.id,
        run.state.as_str()
    );
    Ok(report.to_html(&title))
}
