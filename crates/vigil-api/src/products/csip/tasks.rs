//! Risk scan tasks: a saved scan definition (targets, items, mode, plan) whose runs are
//! network-engine tasks. Creating or changing a task first checks that the account may scan
//! every target (operator scope or proof of ownership); otherwise nothing is saved and the
//! response lists the unauthorised assets with `Status` -1.

use super::assets::{parse_asset, AssetKind, ListReq};
use super::listing::{apply, Listing};
use super::{no_members, owner, ASSET_TAG, FILTER_PARAM, MEMBER_ID, NAME, TASK_ID_KEY};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{Check, Param, Ty};
use crate::products::ownership::authorised;
use crate::products::{opt_time_str, params, time_str};
use crate::{ApiConfig, RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_core::spec::net::{ConfigCheck, NetItem, NetOptions, NetTarget, WeakpassService};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::{Schedule, TaskSpec, TaskState, Trigger};
use vigil_store::{Job, JobPlan, StoreError, TaskRecord};

/// Scan items of the CSIP API; those the network engine runs are its [`NetItem`]s.
const ITEMS: &[&str] = &[
    "port",
    "poc",
    "weakpass",
    "webcontent",
    "configrisk",
    "exposedserver",
];
/// Weak-password check item ids of `TaskAdvanceCFG.WeakPwdRisk`, by service.
const WEAKPASS_ITEMS: &[(i64, WeakpassService)] = &[
    (1, WeakpassService::Ssh),
    (2, WeakpassService::Ftp),
    (3, WeakpassService::Mysql),
    (4, WeakpassService::Postgresql),
    (5, WeakpassService::Redis),
    (6, WeakpassService::Mongodb),
    (7, WeakpassService::Http),
    (8, WeakpassService::Smtp),
    (9, WeakpassService::Telnet),
    (10, WeakpassService::Vnc),
];

const TASK_ASSET: &[Param] = &[
    Param::opt("AssetName", Ty::Str, "Display name.").check(Check::MaxLen(256)),
    Param::opt("InstanceType", Ty::Str, "Asset type.").check(Check::MaxLen(64)),
    Param::opt("AssetType", Ty::Str, "Asset class.").check(Check::MaxLen(64)),
    Param::req("Asset", Ty::Str, "A registered address or domain.").check(Check::MaxLen(2048)),
    Param::opt("Region", Ty::Str, "Region (informational).").check(Check::MaxLen(64)),
    Param::opt("Arn", Ty::Str, "Multi-cloud id (informational).").check(Check::MaxLen(256)),
];
const PORT_CFG: &[Param] = &[
    Param::opt(
        "PortSets",
        Ty::Str,
        "Ports, comma separated (ranges a-b allowed).",
    )
    .check(Check::MaxLen(4096)),
    Param::opt("CheckType", Ty::Int, "0 built-in, 1 user-defined.").check(Check::OneOfInt(&[0, 1])),
    Param::opt("Detail", Ty::Str, "Description.").check(Check::MaxLen(512)),
    Param::opt("Enable", Ty::Int, "1 on, 0 off.").check(Check::OneOfInt(&[0, 1])),
];
const VUL_CFG: &[Param] = &[
    Param::opt("RiskId", Ty::Str, "Vulnerability id.").check(Check::MaxLen(128)),
    Param::opt("Enable", Ty::Int, "1 on, 0 off.").check(Check::OneOfInt(&[0, 1])),
];
const WEAKPWD_CFG: &[Param] = &[
    Param::req("CheckItemId", Ty::Int, "1 ssh, 2 ftp, 3 mysql, 4 postgresql, 5 redis, 6 mongodb, 7 http basic, 8 smtp, 9 telnet, 10 vnc.")
        .check(Check::Range(1, 10)),
    Param::opt("Enable", Ty::Int, "1 on, 0 off.").check(Check::OneOfInt(&[0, 1])),
];
const CFG_CFG: &[Param] = &[
    Param::req(
        "ItemId",
        Ty::Str,
        "Check id, e.g. tls_cert_expired or ssh_weak_algorithms.",
    )
    .check(Check::MaxLen(128)),
    Param::opt("Enable", Ty::Int, "1 on, 0 off.").check(Check::OneOfInt(&[0, 1])),
    Param::opt("ResourceType", Ty::Str, "Resource type (informational).").check(Check::MaxLen(64)),
];
const ADVANCE: &[Param] = &[
    Param::opt("PortRisk", Ty::List(&Ty::Obj(PORT_CFG)), "Extra port sets.")
        .check(Check::MaxItems(100)),
    Param::opt(
        "VulRisk",
        Ty::List(&Ty::Obj(VUL_CFG)),
        "Vulnerability checks (scan item poc).",
    )
    .check(Check::MaxItems(1000)),
    Param::opt(
        "WeakPwdRisk",
        Ty::List(&Ty::Obj(WEAKPWD_CFG)),
        "Weak-password services on or off.",
    )
    .check(Check::MaxItems(100)),
    Param::opt(
        "CFGRisk",
        Ty::List(&Ty::Obj(CFG_CFG)),
        "Configuration checks on or off.",
    )
    .check(Check::MaxItems(1000)),
];

const TASK_NAME: Param = Param::req("TaskName", Ty::Str, "Task name.").check(Check::MaxLen(128));
const SCAN_ASSET_TYPE: Param = Param::req("ScanAssetType", Ty::Int, "0 all registered assets, 1 the given Assets, 2 all but the given Assets, 3 SelfDefiningAssets.")
    .check(Check::OneOfInt(&[0, 1, 2, 3]));
const SCAN_ITEM: Param = Param::req(
    "ScanItem",
    Ty::List(&Ty::Str),
    "port, weakpass, configrisk, exposedserver (poc, webcontent not yet).",
)
.check(Check::MaxItems(6));
const SCAN_PLAN_TYPE: Param = Param::req(
    "ScanPlanType",
    Ty::Int,
    "0 periodic, 1 now, 2 once at a time, 3 custom cron; 0, 2, 3 need ScanPlanContent.",
)
.check(Check::OneOfInt(&[0, 1, 2, 3]));
const ASSETS: Param = Param::opt(
    "Assets",
    Ty::List(&Ty::Obj(TASK_ASSET)),
    "Assets for ScanAssetType 1 and 2.",
)
.check(Check::MaxItems(1000));
const PLAN_CONTENT: Param = Param::opt(
    "ScanPlanContent",
    Ty::Str,
    "Cron expression (5, 6 or 7 fields), or for type 2 a time YYYY-MM-DD HH:MM:SS.",
)
.check(Check::MaxLen(256));
const SELF_DEFINING: Param = Param::opt(
    "SelfDefiningAssets",
    Ty::List(&Ty::Str),
    "Addresses, CIDR ranges, domains or URLs for ScanAssetType 3.",
)
.check(Check::MaxItems(1000));
const ADVANCE_CFG: Param = Param::opt("TaskAdvanceCFG", Ty::Obj(ADVANCE), "Advanced settings.");
const TASK_MODE: Param = Param::opt(
    "TaskMode",
    Ty::Int,
    "0 standard (top 1000 ports), 1 quick (top 100), 2 advanced (all ports).",
)
.check(Check::OneOfInt(&[0, 1, 2]));
const WEBHOOK: Param = Param::opt(
    "FinishWebHook",
    Ty::Str,
    "URL receiving a POST when a run ends (through the operator scope).",
)
.check(Check::MaxLen(2048));

pub(super) const CREATE_PARAMS: &[Param] = &[
    TASK_NAME,
    SCAN_ASSET_TYPE,
    SCAN_ITEM,
    SCAN_PLAN_TYPE,
    MEMBER_ID,
    ASSETS,
    PLAN_CONTENT,
    SELF_DEFINING,
    Param::opt("ScanFrom", Ty::Str, "csip or vss (informational).")
        .check(Check::OneOfStr(&["csip", "vss"])),
    ADVANCE_CFG,
    TASK_MODE,
    Param::opt("Tags", Ty::Obj(ASSET_TAG), "Tag of the task."),
    WEBHOOK,
];

pub(super) const MODIFY_PARAMS: &[Param] = &[
    TASK_NAME,
    SCAN_ASSET_TYPE,
    SCAN_ITEM,
    SCAN_PLAN_TYPE,
    Param::req("TaskId", Ty::Str, "Task to change.").check(Check::MaxLen(64)),
    MEMBER_ID,
    ASSETS,
    PLAN_CONTENT,
    SELF_DEFINING,
    ADVANCE_CFG,
    TASK_MODE,
    WEBHOOK,
];

pub(super) const LIST_PARAMS: &[Param] = &[
    MEMBER_ID,
    FILTER_PARAM,
    Param::opt(
        "Tags",
        Ty::List(&Ty::Obj(ASSET_TAG)),
        "Only tasks with one of these tags.",
    )
    .check(Check::MaxItems(50)),
];

pub(super) const STOP_PARAMS: &[Param] = &[
    Param::req("TaskIdList", Ty::List(&Ty::Obj(TASK_ID_KEY)), "Tasks.").check(Check::MaxItems(100)),
    MEMBER_ID,
];

pub(super) const AGAIN_PARAMS: &[Param] = &[
    Param::req("TaskId", Ty::Int, "Task to run again."),
    MEMBER_ID,
    Param::opt(
        "InstanceIDList",
        Ty::List(&Ty::Str),
        "Only these of the task's targets.",
    )
    .check(Check::MaxItems(1000)),
    Param::opt(
        "TimeoutPeriod",
        Ty::Int,
        "Stop the run after this many seconds (at most 7200).",
    ),
];

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct TaskAsset {
    asset: String,
    asset_name: Option<String>,
    instance_type: Option<String>,
    asset_type: Option<String>,
    region: Option<String>,
    arn: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct PortCfg {
    port_sets: Option<String>,
    enable: Option<i64>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct OnOff<K> {
    #[serde(alias = "CheckItemId", alias = "ItemId")]
    id: K,
    enable: Option<i64>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct Advance {
    #[serde(default)]
    port_risk: Vec<PortCfg>,
    #[serde(default)]
    weak_pwd_risk: Vec<OnOff<i64>>,
    #[serde(default, rename = "CFGRisk")]
    cfg_risk: Vec<OnOff<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct TaskReq {
    task_name: String,
    scan_asset_type: i64,
    scan_item: Vec<String>,
    scan_plan_type: i64,
    task_id: Option<String>,
    member_id: Option<Vec<String>>,
    #[serde(default)]
    assets: Vec<TaskAsset>,
    scan_plan_content: Option<String>,
    #[serde(default)]
    self_defining_assets: Vec<String>,
    scan_from: Option<String>,
    #[serde(rename = "TaskAdvanceCFG")]
    task_advance_cfg: Option<Advance>,
    task_mode: Option<i64>,
    tags: Option<Value>,
    finish_web_hook: Option<String>,
}

/// Items Vigil runs, deduplicated, in API order; refuses the ones it cannot run yet.
fn check_items(items: &[String]) -> ApiResult<Vec<NetItem>> {
    if items.is_empty() {
        return Err(ApiError::invalid_value(
            "`ScanItem` must name at least one item.",
        ));
    }
    let mut out: Vec<NetItem> = Vec::new();
    for i in items {
        if !ITEMS.contains(&i.as_str()) {
            return Err(ApiError::invalid_value(format!(
                "`{i}` is not a scan item; items are {}.",
                ITEMS.join(", ")
            )));
        }
        let Some(item) = NetItem::parse(i) else {
            return Err(ApiError::unsupported(format!(
                "Scan item `{i}` is not available yet in Vigil; use port, weakpass, configrisk and exposedserver."
            )));
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// The configuration checks a task turns off (`TaskAdvanceCFG.CfgRisk` entries with `Enable`
/// 0); an id that names no check is refused here, not when the task runs.
fn skip_checks(cfg_risk: &[OnOff<String>]) -> ApiResult<Vec<ConfigCheck>> {
    cfg_risk
        .iter()
        .filter(|c| c.enable == Some(0))
        .map(|c| {
            ConfigCheck::parse(&c.id).ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "`TaskAdvanceCFG.CfgRisk.Id` `{}` is not a configuration check; checks are {}.",
                    c.id,
                    ConfigCheck::ALL.map(ConfigCheck::as_str).join(", ")
                ))
            })
        })
        .collect()
}

/// Finding kinds the items produce (for deciding what a rescan fixed).
fn finding_kinds(items: &[NetItem]) -> Vec<String> {
    // The engine reports open ports whatever the items, so every run can fix them.
    std::iter::once("open_port")
        .chain(items.iter().filter_map(|i| match i {
            NetItem::Port => None,
            NetItem::Weakpass => Some("weak_password"),
            NetItem::Configrisk => Some("config_risk"),
            NetItem::Exposedserver => Some("exposed_service"),
        }))
        .map(str::to_string)
        .collect()
}

/// Targets of the task, with explicit ports from URLs.
async fn targets(
    st: &Services,
    account_id: i64,
    r: &TaskReq,
) -> ApiResult<(Vec<String>, Vec<u16>)> {
    let registered: Vec<String> = st
        .store
        .list_assets(account_id, None)
        .await?
        .into_iter()
        .map(|a| a.value)
        .collect();
    let mut named = Vec::new();
    for a in &r.assets {
        let (v, _, _) = parse_asset(&a.asset, false)?;
        if !registered.contains(&v) {
            return Err(ApiError::invalid_value(format!(
                "`{}` is not a registered asset; register it with CreateDomainAndIp or list it in SelfDefiningAssets with ScanAssetType 3.",
                a.asset
            )));
        }
        named.push(v);
    }
    let mut ports = Vec::new();
    let list: Vec<String> = match r.scan_asset_type {
        0 => registered,
        1 => {
            if named.is_empty() {
                return Err(ApiError::missing("Assets"));
            }
            named
        }
        2 => {
            if named.is_empty() {
                return Err(ApiError::missing("Assets"));
            }
            registered
                .into_iter()
                .filter(|v| !named.contains(v))
                .collect()
        }
        _ => {
            if r.self_defining_assets.is_empty() {
                return Err(ApiError::missing("SelfDefiningAssets"));
            }
            let mut out = Vec::new();
            for raw in &r.self_defining_assets {
                let (v, _, port) = parse_asset(raw, true)?;
                ports.extend(port);
                out.push(v);
            }
            out
        }
    };
    let mut list = list;
    let mut seen = std::collections::HashSet::new();
    list.retain(|t| seen.insert(t.clone()));
    if list.is_empty() {
        return Err(ApiError::invalid_value(
            "The task has no targets: register assets with CreateDomainAndIp, or use ScanAssetType 3 with SelfDefiningAssets.",
        ));
    }
    Ok((list, ports))
}

/// Targets the account may not scan.
async fn unauthorised(
    st: &Services,
    account_id: i64,
    targets: &[String],
) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for t in targets {
        let ok = match parse_asset(t, true)?.1 {
            AssetKind::Net => t
                .parse::<ipnet::IpNet>()
                .is_ok_and(|n| st.scope.trusts_net(&n)),
            _ if st.scope.names_trusted(t) => true,
            // Owned but not operator-trusted; the scope guard refuses internal addresses.
            _ => authorised(st, account_id, t).await?,
        };
        if !ok {
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn check_webhook_shape(raw: &str) -> ApiResult<url::Url> {
    let bad = |why: String| ApiError::invalid_value(format!("`FinishWebHook` `{raw}` {why}."));
    let u = url::Url::parse(raw).map_err(|e| bad(format!("is not a URL: {e}")))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(bad("must use http or https".into()));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not carry credentials".into()));
    }
    Ok(u)
}

async fn check_webhook(st: &Services, raw: &str) -> ApiResult<()> {
    let u = check_webhook_shape(raw)?;
    let host = u.host_str().unwrap_or("");
    let port = u.port_or_known_default().unwrap_or(80);
    // The scope guard refuses internal addresses the operator's scope does not name.
    st.scope
        .resolve(host, port)
        .await
        .map_err(|e| ApiError::invalid_value(format!("`FinishWebHook` cannot be called: {e}.")))?;
    Ok(())
}

/// When the task runs: (schedule and first fire, run now).
/// A schedule with its first fire time (milliseconds).
type Timed = (Schedule, Option<i64>);

/// The schedule of a plan, read in the configured time zone; periodic plans may not fire
/// more often than the configured minimum interval.
fn plan(cfg: &ApiConfig, kind: i64, content: Option<&str>) -> ApiResult<(Option<Timed>, bool)> {
    if kind == 1 {
        return Ok((None, true));
    }
    let zoned = |trigger| Schedule {
        time_zone: cfg.plan_time_zone.clone(),
        ..Schedule::new(trigger)
    };
    let content = content
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::missing("ScanPlanContent"))?;
    let now = chrono::Utc::now();
    let bad = |e: String| ApiError::invalid_value(format!("`ScanPlanContent` `{content}`: {e}."));
    let trigger = if kind == 2 {
        let at = match chrono::NaiveDateTime::parse_from_str(content, "%Y-%m-%d %H:%M:%S") {
            Ok(t) => {
                let tz: chrono_tz::Tz = cfg.plan_time_zone.parse().map_err(|_| {
                    ApiError::internal(&format!("plan time zone `{}`", cfg.plan_time_zone))
                })?;
                use chrono::TimeZone;
                tz.from_local_datetime(&t)
                    .earliest()
                    .ok_or_else(|| bad(format!("the time does not exist in {tz}")))?
                    .with_timezone(&chrono::Utc)
            }
            Err(_) => {
                let cron = zoned(Trigger::Cron {
                    expr: content.to_string(),
                });
                cron.validate().map_err(|e| bad(e.to_string()))?;
                cron.next_fire(now)
                    .map_err(|e| bad(e.to_string()))?
                    .ok_or_else(|| bad("it never fires".into()))?
            }
        };
        if at <= now {
            return Err(bad("the time is in the past".into()));
        }
        Trigger::Once { at }
    } else {
        Trigger::Cron {
            expr: content.to_string(),
        }
    };
    let periodic = matches!(trigger, Trigger::Cron { .. });
    let s = zoned(trigger);
    s.validate().map_err(|e| bad(e.to_string()))?;
    let first = s
        .next_fire(now)
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("it never fires".into()))?;
    if periodic {
        // The closest two of the next fires (a cron expression's gaps vary: `0 0 1,2 * *`).
        let min = chrono::Duration::from_std(cfg.min_plan_interval).unwrap_or_default();
        let mut prev = first;
        for _ in 0..16 {
            let Some(next) = s.next_fire(prev).map_err(|e| bad(e.to_string()))? else {
                break;
            };
            if next - prev < min {
                return Err(bad(format!(
                    "it runs {} s apart, more often than the shortest interval allowed ({} s)",
                    (next - prev).num_seconds(),
                    min.num_seconds()
                )));
            }
            prev = next;
        }
    }
    Ok((Some((s, Some(first.timestamp_millis()))), false))
}

/// When a plan is built: for a request, or for a run its schedule starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Building {
    /// Create or modify: the schedule is read (and must lie in the future).
    Request,
    /// A scheduled run is about to start: targets and authorisation are read again.
    Run,
}

/// The saved scan for a request: its definition (with the raw request, so that each
/// scheduled run can be derived again), the task spec and the schedule; or the targets the
/// account may not scan.
async fn build(
    st: &Services,
    account_id: i64,
    r: &TaskReq,
    raw: &Value,
    when: Building,
) -> ApiResult<Result<JobPlan, Vec<String>>> {
    no_members(&r.member_id)?;
    let items = check_items(&r.scan_item)?;
    let (targets, url_ports) = targets(st, account_id, r).await?;
    if let Some(h) = r.finish_web_hook.as_deref().filter(|h| !h.is_empty()) {
        check_webhook(st, h).await?;
    }
    let (schedule, run_now) = match when {
        Building::Request => plan(&st.config, r.scan_plan_type, r.scan_plan_content.as_deref())?,
        Building::Run => (None, false),
    };
    if run_now || when == Building::Run {
        // A scheduled run is already queued and counts itself.
        crate::products::check_quota(st, account_id, NAME, i64::from(when == Building::Request))
            .await?;
    }
    let denied = unauthorised(st, account_id, &targets).await?;
    if !denied.is_empty() {
        return Ok(Err(denied));
    }
    let mode = r.task_mode.unwrap_or(0);
    let mut ports = match mode {
        1 => "top100".to_string(),
        2 => "all".to_string(),
        _ => "top1000".to_string(),
    };
    let adv = r.task_advance_cfg.clone().unwrap_or_default();
    if mode != 2 {
        for p in adv.port_risk.iter().filter(|p| p.enable.unwrap_or(1) == 1) {
            if let Some(set) = p.port_sets.as_deref().filter(|s| !s.trim().is_empty()) {
                for part in set.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let nums: Vec<Option<u16>> = part
                        .split('-')
                        .map(|n| n.trim().parse::<u16>().ok().filter(|n| *n > 0))
                        .collect();
                    let ok = match nums.as_slice() {
                        [Some(_)] => true,
                        [Some(lo), Some(hi)] => lo <= hi,
                        _ => false,
                    };
                    if !ok {
                        return Err(ApiError::invalid_value(format!(
                            "`TaskAdvanceCFG.PortRisk.PortSets` has `{part}`, which is not a port or range."
                        )));
                    }
                    ports.push(',');
                    ports.push_str(part);
                }
            }
        }
        for p in url_ports {
            ports.push_str(&format!(",{p}"));
        }
    }
    let skip_services: Vec<WeakpassService> = adv
        .weak_pwd_risk
        .iter()
        .filter(|w| w.enable == Some(0))
        .filter_map(|w| {
            WEAKPASS_ITEMS
                .iter()
                .find(|(id, _)| *id == w.id)
                .map(|(_, s)| *s)
        })
        .collect();
    let skip_checks = skip_checks(&adv.cfg_risk)?;
    let public_only: Vec<String> = targets
        .iter()
        .filter(|t| !st.scope.names_trusted(t))
        .cloned()
        .collect();
    let engine = EngineSpec::Net(
        NetTarget {
            targets: targets.clone(),
        },
        NetOptions {
            public_only,
            ports,
            items: items.clone(),
            skip_services,
            skip_checks,
            ..NetOptions::default()
        },
    );
    let run = RunOptions {
        finding_kinds: Some(finding_kinds(&items)),
        finish_webhook: r.finish_web_hook.clone().filter(|h| !h.is_empty()),
        ..RunOptions::default()
    };
    let items: Vec<&str> = items.iter().map(|i| i.as_str()).collect();
    let definition = json!({
        "TaskName": r.task_name, "ScanAssetType": r.scan_asset_type, "ScanItem": items,
        "ScanPlanType": r.scan_plan_type, "ScanPlanContent": r.scan_plan_content.clone().unwrap_or_default(),
        "Assets": r.assets.iter().map(|a| json!({
            "AssetName": a.asset_name.clone().unwrap_or_else(|| a.asset.clone()),
            "InstanceType": a.instance_type.clone().unwrap_or_default(),
            "AssetType": a.asset_type.clone().unwrap_or_default(), "Asset": a.asset,
            "Region": a.region.clone().unwrap_or_default(), "Arn": a.arn.clone().unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "SelfDefiningAssets": r.self_defining_assets, "ScanFrom": r.scan_from.clone().unwrap_or_else(|| "csip".into()),
        "TaskMode": mode, "Tags": r.tags.clone().unwrap_or(Value::Null),
        "FinishWebHook": r.finish_web_hook.clone().unwrap_or_default(), "Targets": targets,
        "Request": raw,
    });
    Ok(Ok(JobPlan {
        name: r.task_name.clone(),
        definition,
        spec: TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?,
        schedule,
        run_now,
    }))
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let r: TaskReq = params(p.clone())?;
    match build(st, rc.account.id, &r, &p, Building::Request).await? {
        Err(denied) => Ok(json!({"TaskId": "", "Status": -1, "UnAuthAsset": denied})),
        Ok(plan) => {
            let (id, _) = st.store.create_job(rc.account.id, NAME, &plan).await?;
            st.store
                .audit(
                    Some(rc.account.id),
                    &rc.request_id,
                    "csip.CreateRiskCenterScanTask",
                    &id.to_string(),
                )
                .await?;
            Ok(json!({"TaskId": id.to_string(), "Status": 0, "UnAuthAsset": []}))
        }
    }
}

fn task_id(raw: &str) -> ApiResult<i64> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("Task `{raw}` does not exist.")))
}

fn not_found(id: &str) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => ApiError::not_found(format!("Task `{id}` does not exist.")),
        other => other.into(),
    }
}

pub(super) async fn modify(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let r: TaskReq = params(p.clone())?;
    let raw = r.task_id.clone().unwrap_or_default();
    let id = task_id(&raw)?;
    st.store
        .job(rc.account.id, NAME, id)
        .await
        .map_err(not_found(&raw))?;
    match build(st, rc.account.id, &r, &p, Building::Request).await? {
        Err(denied) => Ok(json!({"TaskId": raw, "Status": -1, "UnAuthAsset": denied})),
        Ok(mut plan) => {
            if let Some(tags) = st
                .store
                .job(rc.account.id, NAME, id)
                .await?
                .definition
                .get("Tags")
            {
                plan.definition["Tags"] = tags.clone();
            }
            st.store
                .update_job(rc.account.id, NAME, id, &plan)
                .await
                .map_err(not_found(&raw))?;
            st.store
                .audit(
                    Some(rc.account.id),
                    &rc.request_id,
                    "csip.ModifyRiskCenterScanTask",
                    &raw,
                )
                .await?;
            Ok(json!({"TaskId": raw, "Status": 0, "UnAuthAsset": []}))
        }
    }
}

/// CSIP scan status of a run: 0 waiting, 1 scanning, 2 done, 3 error, 4 stopped.
pub(super) fn scan_status(t: &TaskRecord) -> i64 {
    match t.state {
        TaskState::Queued => 0,
        TaskState::Running | TaskState::Paused => 1,
        TaskState::Succeeded => 2,
        TaskState::Failed => 3,
        TaskState::Stopped => 4,
    }
}

/// Days between two consecutive fires of a periodic plan (1 daily, 7 weekly, 30 monthly);
/// 0 for one-off plans.
fn frequency(job: &Job) -> i64 {
    let plan = job
        .definition
        .get("ScanPlanType")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let content = job
        .definition
        .get("ScanPlanContent")
        .and_then(Value::as_str)
        .unwrap_or("");
    if plan == 1 || plan == 2 || content.is_empty() {
        return 0;
    }
    let s = Schedule::new(Trigger::Cron {
        expr: content.to_string(),
    });
    let now = chrono::Utc::now();
    match s.next_fire(now) {
        Ok(Some(a)) => match s.next_fire(a) {
            Ok(Some(b)) => ((b - a).num_hours() as f64 / 24.0).round() as i64,
            _ => 0,
        },
        _ => 0,
    }
}

async fn render(st: &Services, rc: &RequestCtx, job: &Job) -> ApiResult<Value> {
    let runs = st.store.job_runs(rc.account.id, job.id).await?;
    let latest = runs.first();
    let last_done = runs.iter().find(|r| r.state.is_terminal());
    let risks = match last_done {
        Some(r) => st
            .store
            .sighting_counts(&[r.id])
            .await?
            .first()
            .map(|c| c.1)
            .unwrap_or(0),
        None => 0,
    };
    let d = &job.definition;
    let targets = d
        .get("Targets")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    let (app_id, uin, name) = owner(rc);
    let status = latest.map(scan_status).unwrap_or(0);
    let percent = match latest {
        Some(r) if r.state == TaskState::Succeeded => 100.0,
        Some(r) => r.progress as f64,
        None => 0.0,
    };
    let items: Vec<String> = d
        .get("ScanItem")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    Ok(json!({
        "TaskName": job.name, "StartTime": opt_time_str(latest.and_then(|r| r.started_at)),
        "EndTime": opt_time_str(latest.and_then(|r| r.finished_at)),
        "ScanPlanContent": d.get("ScanPlanContent").cloned().unwrap_or(json!("")),
        "TaskType": d.get("ScanPlanType").cloned().unwrap_or(json!(1)),
        "InsertTime": time_str(job.created_at), "TaskId": job.id.to_string(),
        "SelfDefiningAssets": d.get("SelfDefiningAssets").cloned().unwrap_or(json!([])),
        "PredictTime": 0, "PredictEndTime": "",
        "ReportNumber": runs.iter().filter(|r| r.state.is_terminal()).count(),
        "AssetNumber": targets, "ScanStatus": status, "Percent": percent,
        "ScanItem": items.join(","), "ScanAssetType": d.get("ScanAssetType").cloned().unwrap_or(json!(3)),
        "VSSTaskId": "", "CSPMTaskId": "", "CWPPOCId": "", "CWPBlId": "",
        "VSSTaskProcess": 0, "CSPMTaskProcess": 0, "CWPPOCProcess": 0, "CWPBlProcess": 0,
        "ErrorCode": i64::from(status == 3),
        "ErrorInfo": latest.and_then(|r| r.error.clone()).unwrap_or_default(),
        "StartDay": 0, "Frequency": frequency(job),
        "CompleteNumber": runs.iter().filter(|r| r.state == TaskState::Succeeded).count(),
        "CompleteAssetNumber": if status == 2 { targets } else { 0 },
        "RiskCount": risks, "Assets": d.get("Assets").cloned().unwrap_or(json!([])),
        "AppId": app_id, "UIN": uin, "UserName": name,
        "TaskMode": d.get("TaskMode").cloned().unwrap_or(json!(0)),
        "ScanFrom": d.get("ScanFrom").cloned().unwrap_or(json!("csip")),
        "IsFree": 0, "IsDelete": 1, "SourceType": 0,
    }))
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let req: ListReq = params(p)?;
    no_members(&req.member_id)?;
    let wanted = req.tags();
    let mut rows = Vec::new();
    for job in st.store.list_jobs(rc.account.id, NAME).await? {
        if !wanted.is_empty() {
            let t = job.definition.get("Tags");
            let field = |k: &str| {
                t.and_then(|t| t.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            let (key, val) = (field("TagKey"), field("TagValue"));
            let hit = wanted
                .iter()
                .any(|(k, v)| k == key && (v.is_empty() || v == val));
            if !hit {
                continue;
            }
        }
        rows.push(render(st, rc, &job).await?);
    }
    let l = Listing {
        fields: &[
            "TaskName",
            "TaskId",
            "ScanStatus",
            "TaskType",
            "TaskMode",
            "ScanItem",
            "ScanAssetType",
            "InsertTime",
            "StartTime",
            "EndTime",
            "RiskCount",
        ],
        time_field: "InsertTime",
        default_by: "InsertTime",
    };
    let (total, page) = apply(rows, &req.filter, &l)?;
    Ok(json!({
        "TotalCount": total, "Data": page, "UINList": [rc.account.uin],
        "TaskModeList": [
            {"Value": "0", "Text": "standard"}, {"Value": "1", "Text": "quick"}, {"Value": "2", "Text": "advanced"},
        ],
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaskKey {
    task_id: String,
    target_app_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysReq {
    task_id_list: Vec<TaskKey>,
    member_id: Option<Vec<String>>,
}

/// Job ids of the request, all of which must exist and belong to the caller.
async fn job_ids(st: &Services, rc: &RequestCtx, req: &KeysReq) -> ApiResult<Vec<i64>> {
    no_members(&req.member_id)?;
    if req.task_id_list.is_empty() {
        return Err(ApiError::invalid_value(
            "`TaskIdList` must name at least one task.",
        ));
    }
    let mut ids = Vec::new();
    for k in &req.task_id_list {
        if let Some(app) = k.target_app_id.as_deref().filter(|a| !a.is_empty()) {
            if app != rc.account.app_id.to_string() {
                return Err(ApiError::new(
                    Code::UnauthorizedOperation,
                    format!("Task `{}` of AppId {app} is not the caller's.", k.task_id),
                ));
            }
        }
        let id = task_id(&k.task_id)?;
        st.store
            .job(rc.account.id, NAME, id)
            .await
            .map_err(not_found(&k.task_id))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub(super) async fn stop(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let req: KeysReq = params(p)?;
    for id in job_ids(st, rc, &req).await? {
        st.store.stop_job_runs(rc.account.id, id).await?;
    }
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.StopRiskCenterTask",
            "",
        )
        .await?;
    Ok(json!({"Status": 0}))
}

pub(super) async fn delete(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let req: KeysReq = params(p)?;
    let ids = job_ids(st, rc, &req).await?;
    st.store.delete_jobs(rc.account.id, NAME, &ids).await?;
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.DeleteRiskScanTask",
            &list.join(" "),
        )
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AgainReq {
    task_id: i64,
    member_id: Option<Vec<String>>,
    #[serde(default, rename = "InstanceIDList")]
    instance_id_list: Vec<String>,
    timeout_period: Option<i64>,
}

pub(super) async fn again(st: &Services, rc: &RequestCtx, p: Value) -> ApiResult {
    let req: AgainReq = params(p)?;
    no_members(&req.member_id)?;
    let raw = req.task_id.to_string();
    let job = st
        .store
        .job(rc.account.id, NAME, req.task_id)
        .await
        .map_err(not_found(&raw))?;
    let all: Vec<String> = job
        .definition
        .get("Targets")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let targets = if req.instance_id_list.is_empty() {
        all.clone()
    } else {
        let mut out = Vec::new();
        for t in &req.instance_id_list {
            let v = parse_asset(t, true)?.0;
            if !all.contains(&v) {
                return Err(ApiError::invalid_value(format!(
                    "`{t}` is not a target of task {raw}."
                )));
            }
            out.push(v);
        }
        out
    };
    let denied = unauthorised(st, rc.account.id, &targets).await?;
    if !denied.is_empty() {
        return Err(ApiError::new(
            Code::UnauthorizedOperation,
            format!("The account may no longer scan: {}.", denied.join(", ")),
        ));
    }
    crate::products::check_quota(st, rc.account.id, NAME, 1).await?;
    let saved = &job.spec;
    let (Ok(EngineSpec::Net(_, options)), Ok(mut run)) = (saved.engine(), saved.run_options())
    else {
        return Err(ApiError::internal(&format!(
            "the saved scan {} does not hold a network scan",
            job.id
        )));
    };
    if let Some(t) = req.timeout_period.filter(|t| *t != 0) {
        if !(1..=7200).contains(&t) {
            return Err(ApiError::invalid(
                "`TimeoutPeriod` must be between 1 and 7200 seconds.",
            ));
        }
        run.timeout_secs = Some(t as u64);
    }
    let engine = EngineSpec::Net(
        NetTarget {
            targets: targets.clone(),
        },
        options,
    );
    let mut spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
    spec.max_attempts = saved.max_attempts;
    spec.job_id = Some(job.id);
    st.store
        .enqueue(&vigil_store::NewTask {
            account_id: rc.account.id,
            spec,
            run_after: 0,
            schedule_id: None,
        })
        .await?;
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.ScanCSIPTaskAgain",
            &raw,
        )
        .await?;
    Ok(json!({"SuccessCount": targets.len(), "TaskId": req.task_id}))
}

/// Re-derives each scheduled run of a CSIP scan task from its saved request: the registered
/// assets as they are now (for `ScanAssetType` 0 and 2), and every target authorised again.
pub struct CsipPreflight {
    state: std::sync::Arc<Services>,
}

impl CsipPreflight {
    /// The check, reading assets and proofs through `state`.
    pub fn new(state: std::sync::Arc<Services>) -> Self {
        CsipPreflight { state }
    }
}

#[async_trait::async_trait]
impl vigil_worker::Preflight for CsipPreflight {
    async fn prepare(&self, task: &TaskRecord) -> Result<Option<vigil_worker::Prepared>, String> {
        let Some(job_id) = task.job_id else {
            return Ok(None);
        };
        let st = &self.state;
        let job = st
            .store
            .job_any(task.account_id, job_id)
            .await
            .map_err(|e| format!("the scan task {job_id} cannot be read: {e}"))?;
        let Some(raw) = job.definition.get("Request").cloned() else {
            return Ok(None);
        };
        let r: TaskReq = serde_json::from_value(raw.clone())
            .map_err(|e| format!("the saved request of task {job_id} is unreadable: {e}"))?;
        let refused = |why: String| format!("scheduled run refused: {why}");
        match build(st, task.account_id, &r, &raw, Building::Run).await {
            Err(e) => Err(refused(e.message)),
            Ok(Err(denied)) => Err(refused(format!(
                "the account may no longer scan {}",
                denied.join(", ")
            ))),
            Ok(Ok(plan)) => {
                let mut options = plan.spec.options;
                // Run-level settings that the saved scan does not hold.
                for key in ["timeout_secs", "schedule"] {
                    if let Some(v) = task.options.get(key) {
                        options[key] = v.clone();
                    }
                }
                Ok(Some(vigil_worker::Prepared {
                    target: plan.spec.target,
                    options,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let cfg = ApiConfig::default();
        let plan = |k, c| super::plan(&cfg, k, c);
        assert!(plan(1, None).unwrap().1);
        assert_eq!(plan(0, None).unwrap_err().code, "MissingParameter");
        let (s, now) = plan(0, Some("0 0 3 * * ? *")).unwrap();
        assert!(!now && s.is_some());
        assert_eq!(
            plan(2, Some("2001-01-01 00:00:00")).unwrap_err().code,
            "InvalidParameterValue"
        );
        let (s, _) = plan(2, Some("2999-01-01 00:00:00")).unwrap();
        assert!(matches!(s.unwrap().0.trigger, Trigger::Once { .. }));
        assert_eq!(
            plan(3, Some("not cron")).unwrap_err().code,
            "InvalidParameterValue"
        );
        // Too often: every minute, or twice within an hour once a day.
        for busy in ["* * * * *", "0 0,30 3 * * ? *"] {
            let e = plan(0, Some(busy)).unwrap_err();
            assert!(e.message.contains("shortest interval"), "{}", e.message);
        }
        assert!(plan(0, Some("0 0 * * * ? *")).is_ok(), "hourly is allowed");
    }

    #[test]
    fn timed_plans_are_read_in_the_configured_zone() {
        let utc = ApiConfig::default();
        let cst = ApiConfig {
            plan_time_zone: "Asia/Shanghai".into(),
            ..ApiConfig::default()
        };
        let first = |cfg: &ApiConfig| {
            let (s, _) = plan(cfg, 2, Some("2999-01-01 08:00:00")).unwrap();
            s.unwrap().1.unwrap()
        };
        assert_eq!(first(&utc) - first(&cst), 8 * 3_600_000);
        let (s, _) = plan(&cst, 0, Some("0 0 3 * * ? *")).unwrap();
        assert_eq!(s.unwrap().0.time_zone, "Asia/Shanghai");
    }

    #[test]
    fn turned_off_configuration_checks_must_exist() {
        let off = |id: &str| OnOff {
            id: id.to_string(),
            enable: Some(0),
        };
        assert_eq!(
            skip_checks(&[off("tls_weak_cipher")]).unwrap(),
            vec![ConfigCheck::TlsWeakCipher]
        );
        let e = skip_checks(&[off("tls_weak_ciphers")]).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("tls_weak_ciphers"), "{}", e.message);
        // An entry left on is not a skip.
        let on = OnOff {
            id: "tls_weak_cipher".to_string(),
            enable: Some(1),
        };
        assert!(skip_checks(&[on]).unwrap().is_empty());
    }

    #[test]
    fn items() {
        assert_eq!(
            check_items(&["port".into(), "port".into()]).unwrap(),
            vec![NetItem::Port]
        );
        let e = check_items(&["poc".into()]).unwrap_err();
        assert_eq!(e.code, "UnsupportedOperation");
        assert!(e.message.contains("poc"));
        assert_eq!(
            check_items(&["nope".into()]).unwrap_err().code,
            "InvalidParameterValue"
        );
        assert_eq!(check_items(&[]).unwrap_err().code, "InvalidParameterValue");
    }

    #[test]
    fn webhook_shapes() {
        assert!(check_webhook_shape("https://hooks.example/x").is_ok());
        assert!(check_webhook_shape("ftp://hooks.example/x").is_err());
        assert!(check_webhook_shape("http://u:p@hooks.example/x").is_err());
    }
}
