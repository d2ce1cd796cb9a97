//! Tencent Cloud CSIP (Cloud Security Center, risk center; version 2022-11-21): the account's
//! assets, risk scan tasks (now, timed, periodic), the risks they find (ports, weak
//! passwords, configuration risks, exposed services, vulnerabilities) and a report per run.
//! Shapes follow `tencentcloud-sdk-python-csip` models. Scans run on the network engine and,
//! for scan item `poc`, on the `poc` engine with the data directory's template catalogue
//! (`catalogue.rs`, listed by `DescribeVULRiskAdvanceCFGList`; `poc.rs` builds the task,
//! `vuls.rs` renders its findings, `rescan.rs` checks them again); a run of both is a lead
//! task with companions (`runs.rs`). Scan item `webcontent` is refused with
//! `UnsupportedOperation` until its engine exists.

mod assets;
mod catalogue;
mod listing;
mod poc;
mod reports;
mod rescan;
mod risks;
mod runs;
mod tasks;
mod vuls;

pub use catalogue::Templates;
pub use reports::report_page;
pub use runs::CsipFinisher;
pub use tasks::CsipPreflight;

use crate::action::{action, Action};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::product::Product;
use crate::RequestCtx;
use serde::{Deserialize, Serialize};
use vigil_core::{FindingStatus, Severity};

const VERSION: &str = "2022-11-21";
pub(crate) const NAME: &str = "csip";

/// The CSIP entry of the product registry.
pub static PRODUCT: Product = Product {
    name: NAME,
    versions: &[VERSION],
    dialect: &crate::dialect::tencent::TENCENT,
    actions: &[&ACTIONS],
    unserved: NOT_YET_SERVED,
    preflight: Some(|s| std::sync::Arc::new(CsipPreflight::new(s))),
    finisher: Some(|s| std::sync::Arc::new(runs::CsipFinisher::new(s))),
    routes: Some(|| {
        axum::Router::new().route(
            "/reports/{app_id}/{run_id}",
            axum::routing::get(report_page),
        )
    }),
};

/// CSIP actions of the official SDK that need engines Vigil does not have yet.
pub const NOT_YET_SERVED: &[&str] = &["DescribeRiskCenterWebsiteRiskList"];

/// The CSIP actions.
pub static ACTIONS: [Action; 27] = [
    action!(
        "CreateDomainAndIp",
        assets::create,
        "Register public IP addresses and domain names as assets."
    ),
    action!(
        "DeleteDomainAndIp",
        assets::delete,
        "Remove registered assets."
    ),
    action!(
        "DescribeDomainAssets",
        assets::describe_domains,
        "List registered domain names with their risk counts."
    ),
    action!(
        "DescribePublicIpAssets",
        assets::describe_ips,
        "List registered public IP addresses with their risk counts."
    ),
    action!(
        "CreateRiskCenterScanTask",
        tasks::create,
        "Create a risk scan task (now, timed or periodic)."
    ),
    action!(
        "ModifyRiskCenterScanTask",
        tasks::modify,
        "Change a risk scan task."
    ),
    action!(
        "DescribeScanTaskList",
        tasks::list,
        "List risk scan tasks with the state of their latest run."
    ),
    action!(
        "StopRiskCenterTask",
        tasks::stop,
        "Stop the running scans of tasks."
    ),
    action!(
        "DeleteRiskScanTask",
        tasks::delete,
        "Delete tasks (their schedules stop; risks and reports stay)."
    ),
    action!(
        "ScanCSIPTaskAgain",
        tasks::again,
        "Run a task again now, optionally on some of its targets."
    ),
    action!(
        "DescribeRiskCenterAssetViewPortRiskList",
        risks::asset_ports,
        "Open ports, per asset."
    ),
    action!(
        "DescribeRiskCenterPortViewPortRiskList",
        risks::port_view,
        "Open ports, per port and service."
    ),
    action!(
        "DescribeRiskCenterAssetViewWeakPasswordRiskList",
        risks::weak_passwords,
        "Weak passwords, per asset."
    ),
    action!(
        "DescribeRiskCenterAssetViewCFGRiskList",
        risks::asset_cfg,
        "Configuration risks, per asset."
    ),
    action!(
        "DescribeRiskCenterCFGViewCFGRiskList",
        risks::cfg_view,
        "Configuration risks, per check."
    ),
    action!(
        "DescribeRiskCenterAssetViewVULRiskList",
        vuls::asset_view,
        "Vulnerabilities (scan item poc), per asset."
    ),
    action!(
        "DescribeRiskCenterVULViewVULRiskList",
        vuls::vul_view,
        "Vulnerabilities (scan item poc), per vulnerability."
    ),
    action!(
        "DescribeAssetViewVulRiskList",
        vuls::asset_view_newer,
        "Vulnerabilities (scan item poc), per asset (the newer model: RiskId, CVSS, tags)."
    ),
    action!(
        "DescribeVulViewVulRiskList",
        vuls::vul_view_newer,
        "Vulnerabilities (scan item poc), per vulnerability (the newer model: RiskId, CVSS, tags)."
    ),
    action!(
        "DescribeVULRiskDetail",
        vuls::detail,
        "One vulnerability (scan item poc): fix, references, description, trend."
    ),
    action!(
        "DescribeRiskCenterServerRiskList",
        risks::servers,
        "Services open to anyone (unauthenticated access)."
    ),
    action!(
        "ModifyRiskCenterRiskStatus",
        risks::set_status,
        "Mark risks handled or ignored, or undo that."
    ),
    action!(
        "DescribeVULRiskAdvanceCFGList",
        catalogue::list,
        "The vulnerability checks of scan item poc (the template catalogue), with a task's switches."
    ),
    action!(
        "CreateVulReScan",
        rescan::create,
        "Check vulnerabilities (scan item poc) again: their templates on the targets they matched."
    ),
    action!(
        "DescribeVdbAndPocInfo",
        catalogue::info,
        "When the vulnerability checks (the template catalogue) were last installed."
    ),
    action!(
        "DescribeTaskLogList",
        reports::list,
        "List the reports of task runs."
    ),
    action!(
        "DescribeTaskLogURL",
        reports::urls,
        "Temporary links to run reports (HTML)."
    ),
];

/// `MemberId`, which most CSIP actions take: group-account member ids are refused, since
/// Vigil accounts are separate tenants.
#[derive(Debug, Default, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct Members {
    /// Member accounts of a group account (not supported: each Vigil account is its own
    /// tenant).
    #[param(max_items = 100)]
    member_id: Option<Vec<String>>,
}

impl Members {
    /// Refuse member ids (an empty list is no member).
    fn check(&self) -> ApiResult<()> {
        match &self.member_id {
            Some(m) if !m.is_empty() => Err(ApiError::unsupported(
                "`MemberId` (group accounts) is not supported: each Vigil account is its own tenant; call with that account's keys.",
            )),
            _ => Ok(()),
        }
    }
}

/// A tag of an asset or a task (a task keeps it as sent, hence `Serialize`).
#[derive(Debug, Clone, Deserialize, Serialize, Params)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    /// Tag key.
    #[param(max_len = 128)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_key: Option<String>,
    /// Tag value.
    #[param(max_len = 256)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_value: Option<String>,
}

/// Tags as (key, value), an absent part empty.
fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            (
                t.tag_key.clone().unwrap_or_default(),
                t.tag_value.clone().unwrap_or_default(),
            )
        })
        .collect()
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
