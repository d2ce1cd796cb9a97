//! Tencent Cloud CSIP (Cloud Security Center, risk center; version 2022-11-21): the account's
//! assets, risk scan tasks (now, timed, periodic), the risks they find (ports, weak
//! passwords, configuration risks, exposed services) and a report per run. Shapes follow
//! `tencentcloud-sdk-python-csip` models. Scans run on the network engine; scan items `poc`
//! and `webcontent` are refused with `UnsupportedOperation` until their engines exist.

mod assets;
mod listing;
mod reports;
mod risks;
mod tasks;

pub use reports::report_page;
pub use tasks::CsipPreflight;

use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult};
use crate::params::{Check, Param, Ty};
use crate::product::Product;
use crate::RequestCtx;
use listing::FILTER;
use vigil_core::{FindingStatus, Severity};

const VERSION: &str = "2022-11-21";
pub(crate) const NAME: &str = "csip";

const ASSET_TAG: &[Param] = &[
    Param::opt("TagKey", Ty::Str, "Tag key.").check(Check::MaxLen(128)),
    Param::opt("TagValue", Ty::Str, "Tag value.").check(Check::MaxLen(256)),
];
const MEMBER_ID: Param = Param::opt(
    "MemberId",
    Ty::List(&Ty::Str),
    "Member accounts of a group account (not supported: each Vigil account is its own tenant).",
)
.check(Check::MaxItems(100));
const FILTER_PARAM: Param = Param::opt("Filter", Ty::Obj(FILTER), "Paging, sorting, conditions.");
const TAGS_PARAM: Param = Param::opt(
    "Tags",
    Ty::List(&Ty::Obj(ASSET_TAG)),
    "Only assets carrying one of these tags.",
)
.check(Check::MaxItems(50));
const TASK_ID_KEY: &[Param] = &[
    Param::req("TaskId", Ty::Str, "Task id.").check(Check::MaxLen(64)),
    Param::opt(
        "TargetAppId",
        Ty::Str,
        "AppId owning the task (must be the caller's).",
    )
    .check(Check::MaxLen(32)),
];
const RISK_LIST_PARAMS: &[Param] = &[MEMBER_ID, FILTER_PARAM, TAGS_PARAM];

/// The CSIP entry of the product registry.
pub static PRODUCT: Product = Product {
    name: NAME,
    versions: &[VERSION],
    dialect: &crate::dialect::tencent::TENCENT,
    actions: &[&ACTIONS],
    unserved: NOT_YET_SERVED,
    preflight: Some(|s| std::sync::Arc::new(CsipPreflight::new(s))),
    routes: Some(|| {
        axum::Router::new().route(
            "/reports/{app_id}/{run_id}",
            axum::routing::get(report_page),
        )
    }),
};

/// CSIP actions of the official SDK that need engines Vigil does not have yet.
pub const NOT_YET_SERVED: &[&str] = &[
    "DescribeRiskCenterAssetViewVULRiskList",
    "DescribeRiskCenterVULViewVULRiskList",
    "DescribeRiskCenterWebsiteRiskList",
    "DescribeAssetViewVulRiskList",
    "DescribeVULRiskAdvanceCFGList",
];

/// The CSIP actions.
pub static ACTIONS: [Action; 19] = [
    action!(
        "CreateDomainAndIp",
        assets::CREATE_PARAMS,
        assets::create,
        "Register public IP addresses and domain names as assets."
    ),
    action!(
        "DeleteDomainAndIp",
        assets::DELETE_PARAMS,
        assets::delete,
        "Remove registered assets."
    ),
    action!(
        "DescribeDomainAssets",
        RISK_LIST_PARAMS,
        assets::describe_domains,
        "List registered domain names with their risk counts."
    ),
    action!(
        "DescribePublicIpAssets",
        RISK_LIST_PARAMS,
        assets::describe_ips,
        "List registered public IP addresses with their risk counts."
    ),
    action!(
        "CreateRiskCenterScanTask",
        tasks::CREATE_PARAMS,
        tasks::create,
        "Create a risk scan task (now, timed or periodic)."
    ),
    action!(
        "ModifyRiskCenterScanTask",
        tasks::MODIFY_PARAMS,
        tasks::modify,
        "Change a risk scan task."
    ),
    action!(
        "DescribeScanTaskList",
        tasks::LIST_PARAMS,
        tasks::list,
        "List risk scan tasks with the state of their latest run."
    ),
    action!(
        "StopRiskCenterTask",
        tasks::STOP_PARAMS,
        tasks::stop,
        "Stop the running scans of tasks."
    ),
    action!(
        "DeleteRiskScanTask",
        tasks::STOP_PARAMS,
        tasks::delete,
        "Delete tasks (their schedules stop; risks and reports stay)."
    ),
    action!(
        "ScanCSIPTaskAgain",
        tasks::AGAIN_PARAMS,
        tasks::again,
        "Run a task again now, optionally on some of its targets."
    ),
    action!(
        "DescribeRiskCenterAssetViewPortRiskList",
        RISK_LIST_PARAMS,
        risks::asset_ports,
        "Open ports, per asset."
    ),
    action!(
        "DescribeRiskCenterPortViewPortRiskList",
        RISK_LIST_PARAMS,
        risks::port_view,
        "Open ports, per port and service."
    ),
    action!(
        "DescribeRiskCenterAssetViewWeakPasswordRiskList",
        RISK_LIST_PARAMS,
        risks::weak_passwords,
        "Weak passwords, per asset."
    ),
    action!(
        "DescribeRiskCenterAssetViewCFGRiskList",
        RISK_LIST_PARAMS,
        risks::asset_cfg,
        "Configuration risks, per asset."
    ),
    action!(
        "DescribeRiskCenterCFGViewCFGRiskList",
        &[MEMBER_ID, FILTER_PARAM],
        risks::cfg_view,
        "Configuration risks, per check."
    ),
    action!(
        "DescribeRiskCenterServerRiskList",
        RISK_LIST_PARAMS,
        risks::servers,
        "Services open to anyone (unauthenticated access)."
    ),
    action!(
        "ModifyRiskCenterRiskStatus",
        risks::STATUS_PARAMS,
        risks::set_status,
        "Mark risks handled or ignored, or undo that."
    ),
    action!(
        "DescribeTaskLogList",
        &[MEMBER_ID, FILTER_PARAM],
        reports::list,
        "List the reports of task runs."
    ),
    action!(
        "DescribeTaskLogURL",
        reports::URL_PARAMS,
        reports::urls,
        "Temporary links to run reports (HTML)."
    ),
];

/// Refuse group-account member ids: Vigil accounts are separate tenants.
fn no_members(members: &Option<Vec<String>>) -> ApiResult<()> {
    match members {
        Some(m) if !m.is_empty() => Err(ApiError::unsupported(
            "`MemberId` (group accounts) is not supported: each Vigil account is its own tenant; call with that account's keys.",
        )),
        _ => Ok(()),
    }
}

/// CSIP risk level of a severity.
fn level(s: Option<Severity>) -> &'static str {
    match s.unwrap_or(Severity::Info) {
        Severity::Critical => "extreme",
        Severity::High => "high",
        Severity::Medium => "middle",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// CSIP risk status: 0 not handled, 1 handled, 2 ignored.
fn status_code(s: FindingStatus) -> i64 {
    match s {
        FindingStatus::Open => 0,
        FindingStatus::Fixed => 1,
        FindingStatus::Ignored | FindingStatus::FalsePositive => 2,
    }
}

/// CSIP asset type of a host.
fn instance_type(host: &str) -> &'static str {
    if host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
    {
        "PublicIp"
    } else {
        "Domain"
    }
}

/// Labels for FilterDataObject menus.
fn label(field: &str, v: &str) -> String {
    match (field, v) {
        ("Status", "0") => "not handled".into(),
        ("Status", "1") => "handled".into(),
        ("Status", "2") => "ignored".into(),
        ("Level", "extreme") => "critical".into(),
        ("Level", "middle") => "medium".into(),
        _ => v.to_string(),
    }
}

/// The caller's account fields every row carries.
fn owner(rc: &RequestCtx) -> (String, String, String) {
    (
        rc.account.app_id.to_string(),
        rc.account.uin.clone(),
        rc.account.name.clone(),
    )
}
