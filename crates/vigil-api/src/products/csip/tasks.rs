//! Risk scan tasks: a saved scan definition (targets, items, mode, plan) whose runs are
//! network-engine tasks, `poc`-engine tasks, or both (`runs.rs`: one lead task and its
//! companions make a run). Creating or changing a task first checks that the account may scan
//! every target (operator scope or proof of ownership); otherwise nothing is saved and the
//! response lists the unauthorised assets with `Status` -1.

use super::assets::{parse_asset, AssetKind};
use super::listing::{apply, ListReq, Listing};
use super::runs::{self, COMPANIONS};
use super::{owner, tag_pairs, Members, Tag, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{Params, Raw};
use crate::products::ownership::authorised;
use crate::products::{opt_time_str, time_str};
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

#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskAsset {
    /// Display name.
    #[param(max_len = 256)]
    asset_name: Option<String>,
    /// Asset type.
    #[param(max_len = 64)]
    instance_type: Option<String>,
    /// Asset class.
    #[param(max_len = 64)]
    asset_type: Option<String>,
    /// A registered address or domain.
    #[param(max_len = 2048)]
    asset: String,
    /// Region (informational).
    #[param(max_len = 64)]
    region: Option<String>,
    /// Multi-cloud id (informational).
    #[param(max_len = 256)]
    arn: Option<String>,
}

/// `Enable` of an entry of `TaskAdvanceCFG`.
#[derive(Debug, Deserialize, Params, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct Toggle {
    /// 1 on, 0 off.
    #[param(one_of = [0, 1])]
    enable: Option<i64>,
}

impl Toggle {
    /// Whether the entry turns its setting off (absent is on).
    fn off(&self) -> bool {
        self.enable == Some(0)
    }
}

#[derive(Debug, Deserialize, Params, Clone)]
#[serde(rename_all = "PascalCase")]
struct PortCfg {
    /// Ports, comma separated (ranges a-b allowed).
    #[param(max_len = 4096)]
    port_sets: Option<String>,
    /// 0 built-in, 1 user-defined.
    #[param(one_of = [0, 1])]
    #[allow(dead_code)]
    check_type: Option<i64>,
    /// Description.
    #[param(max_len = 512)]
    #[allow(dead_code)]
    detail: Option<String>,
    #[serde(flatten)]
    toggle: Toggle,
}

/// A vulnerability check (a template of the catalogue) on or off, for scan item `poc`.
#[derive(Debug, Deserialize, Params, Clone)]
#[serde(rename_all = "PascalCase")]
struct VulCfg {
    /// Vulnerability id.
    #[param(max_len = 128)]
    risk_id: Option<String>,
    #[serde(flatten)]
    toggle: Toggle,
}

#[derive(Debug, Deserialize, Params, Clone)]
#[serde(rename_all = "PascalCase")]
struct WeakPwdCfg {
    /// 1 ssh, 2 ftp, 3 mysql, 4 postgresql, 5 redis, 6 mongodb, 7 http basic, 8 smtp, 9
    /// telnet, 10 vnc.
    #[param(range(1, 10))]
    check_item_id: i64,
    #[serde(flatten)]
    toggle: Toggle,
}

#[derive(Debug, Deserialize, Params, Clone)]
#[serde(rename_all = "PascalCase")]
struct CfgCheckCfg {
    /// Check id, e.g. tls_cert_expired or ssh_weak_algorithms.
    #[param(max_len = 128)]
    item_id: String,
    #[serde(flatten)]
    toggle: Toggle,
    /// Resource type (informational).
    #[param(max_len = 64)]
    #[allow(dead_code)]
    resource_type: Option<String>,
}

#[derive(Debug, Deserialize, Params, Default, Clone)]
#[serde(rename_all = "PascalCase")]
struct Advance {
    /// Extra port sets.
    #[serde(default)]
    #[param(max_items = 100)]
    port_risk: Vec<PortCfg>,
    /// Vulnerability checks (scan item poc).
    #[serde(default)]
    #[param(max_items = 1000)]
    vul_risk: Vec<VulCfg>,
    /// Weak-password services on or off.
    #[serde(default)]
    #[param(max_items = 100)]
    weak_pwd_risk: Vec<WeakPwdCfg>,
    /// Configuration checks on or off.
    #[serde(default, rename = "CFGRisk")]
    #[param(max_items = 1000)]
    cfg_risk: Vec<CfgCheckCfg>,
}

// A task's parameters come in runs that creating and changing it share, in the order of the
// official API: `TaskHead`, (`TaskId` to change), `TaskBody`, (`ScanFrom`), `TaskOptions`,
// (`Tags`), `TaskHook`.

/// What a task is: name, targets' kind, scan items, kind of plan.
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskHead {
    /// Task name.
    #[param(max_len = 128)]
    task_name: String,
    /// 0 all registered assets, 1 the given Assets, 2 all but the given Assets, 3
    /// SelfDefiningAssets.
    #[param(one_of = [0, 1, 2, 3])]
    scan_asset_type: i64,
    /// port, poc, weakpass, configrisk, exposedserver (webcontent not yet).
    #[param(max_items = 6)]
    scan_item: Vec<String>,
    /// 0 periodic, 1 now, 2 once at a time, 3 custom cron; 0, 2, 3 need ScanPlanContent.
    #[param(one_of = [0, 1, 2, 3])]
    scan_plan_type: i64,
}

/// Members, the targets and the plan's content.
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskBody {
    #[serde(flatten)]
    members: Members,
    /// Assets for ScanAssetType 1 and 2.
    #[serde(default)]
    #[param(max_items = 1000)]
    assets: Vec<TaskAsset>,
    /// Cron expression (5, 6 or 7 fields), or for type 2 a time YYYY-MM-DD HH:MM:SS.
    #[param(max_len = 256)]
    scan_plan_content: Option<String>,
    /// Addresses, CIDR ranges, domains or URLs for ScanAssetType 3.
    #[serde(default)]
    #[param(max_items = 1000)]
    self_defining_assets: Vec<String>,
}

/// How the scan runs.
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskOptions {
    /// Advanced settings.
    #[serde(rename = "TaskAdvanceCFG")]
    task_advance_cfg: Option<Advance>,
    /// 0 standard (top 1000 ports), 1 quick (top 100), 2 advanced (all ports).
    #[param(one_of = [0, 1, 2])]
    task_mode: Option<i64>,
}

/// Who hears of a finished run.
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskHook {
    /// URL receiving a POST when a run ends (through the operator scope).
    #[param(max_len = 2048)]
    finish_web_hook: Option<String>,
}

/// A task as created (`CreateRiskCenterScanTask`); a change is read into one too, and so is
/// the saved request of each scheduled run.
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TaskReq {
    #[serde(flatten)]
    head: TaskHead,
    #[serde(flatten)]
    body: TaskBody,
    /// csip or vss (informational).
    #[param(one_of = ["csip", "vss"])]
    scan_from: Option<String>,
    #[serde(flatten)]
    options: TaskOptions,
    /// Tag of the task.
    tags: Option<Tag>,
    #[serde(flatten)]
    hook: TaskHook,
}

/// A task as changed (`ModifyRiskCenterScanTask`): no `ScanFrom` or `Tags` (the task keeps
/// its tag).
#[derive(Debug, Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ModifyReq {
    #[serde(flatten)]
    head: TaskHead,
    /// Task to change.
    #[param(max_len = 64)]
    task_id: String,
    #[serde(flatten)]
    body: TaskBody,
    #[serde(flatten)]
    options: TaskOptions,
    #[serde(flatten)]
    hook: TaskHook,
}

/// Items Vigil runs, deduplicated, in API order: the network engine's, and whether `poc` is
/// among them; refuses the ones it cannot run yet.
fn check_items(items: &[String]) -> ApiResult<(Vec<NetItem>, bool)> {
    if items.is_empty() {
        return Err(ApiError::invalid_value(
            "`ScanItem` must name at least one item.",
        ));
    }
    let mut out: Vec<NetItem> = Vec::new();
    let mut poc = false;
    for i in items {
        if !ITEMS.contains(&i.as_str()) {
            return Err(ApiError::invalid_value(format!(
                "`{i}` is not a scan item; items are {}.",
                ITEMS.join(", ")
            )));
        }
        if i == "poc" {
            poc = true;
            continue;
        }
        let Some(item) = NetItem::parse(i) else {
            return Err(ApiError::unsupported(format!(
                "Scan item `{i}` is not available yet in Vigil; use port, poc, weakpass, configrisk and exposedserver."
            )));
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok((out, poc))
}

/// The configuration checks a task turns off (`TaskAdvanceCFG.CfgRisk` entries with `Enable`
/// 0); an id that names no check is refused here, not when the task runs.
fn skip_checks(cfg_risk: &[CfgCheckCfg]) -> ApiResult<Vec<ConfigCheck>> {
    cfg_risk
        .iter()
        .filter(|c| c.toggle.off())
        .map(|c| {
            ConfigCheck::parse(&c.item_id).ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "`TaskAdvanceCFG.CfgRisk.Id` `{}` is not a configuration check; checks are {}.",
                    c.item_id,
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
    for a in &r.body.assets {
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
    let list: Vec<String> = match r.head.scan_asset_type {
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
            if r.body.self_defining_assets.is_empty() {
                return Err(ApiError::missing("SelfDefiningAssets"));
            }
            let mut out = Vec::new();
            for raw in &r.body.self_defining_assets {
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
pub(super) async fn unauthorised(
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
    r.body.members.check()?;
    let (items, poc) = check_items(&r.head.scan_item)?;
    let (targets, url_ports) = targets(st, account_id, r).await?;
    if let Some(h) = r.hook.finish_web_hook.as_deref().filter(|h| !h.is_empty()) {
        check_webhook(st, h).await?;
    }
    let (schedule, run_now) = match when {
        Building::Request => plan(
            &st.config,
            r.head.scan_plan_type,
            r.body.scan_plan_content.as_deref(),
        )?,
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
    let mode = r.options.task_mode.unwrap_or(0);
    let mut ports = match mode {
        1 => "top100".to_string(),
        2 => "all".to_string(),
        _ => "top1000".to_string(),
    };
    let adv = r.options.task_advance_cfg.clone().unwrap_or_default();
    if mode != 2 {
        for p in adv.port_risk.iter().filter(|p| !p.toggle.off()) {
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
        .filter(|w| w.toggle.off())
        .filter_map(|w| {
            WEAKPASS_ITEMS
                .iter()
                .find(|(id, _)| *id == w.check_item_id)
                .map(|(_, s)| *s)
        })
        .collect();
    let skip_checks = skip_checks(&adv.cfg_risk)?;
    let public_only: Vec<String> = targets
        .iter()
        .filter(|t| !st.scope.names_trusted(t))
        .cloned()
        .collect();
    let webhook = r.hook.finish_web_hook.clone().filter(|h| !h.is_empty());
    // A run of one engine is called back by the worker; one of two by `CsipFinisher`.
    let lead_hook = webhook.clone().filter(|_| !poc || items.is_empty());
    let mut specs = Vec::new();
    if !items.is_empty() {
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
            finish_webhook: lead_hook.clone(),
            ..RunOptions::default()
        };
        specs.push(TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?);
    }
    if poc {
        let entries: Vec<(Option<String>, Option<i64>)> = adv
            .vul_risk
            .iter()
            .map(|v| (v.risk_id.clone(), v.toggle.enable))
            .collect();
        let raw: &[String] = if r.head.scan_asset_type == 3 {
            &r.body.self_defining_assets
        } else {
            &[]
        };
        let hook = lead_hook.clone().filter(|_| specs.is_empty());
        specs.push(super::poc::spec(st, &entries, raw, &targets, hook).await?);
    }
    // The first spec leads (schedules fire it); the others are its companions.
    let lead = specs.remove(0);
    let items: Vec<&str> = ITEMS
        .iter()
        .copied()
        .filter(|i| (*i == "poc" && poc) || NetItem::parse(i).is_some_and(|n| items.contains(&n)))
        .collect();
    let definition = json!({
        "TaskName": r.head.task_name, "ScanAssetType": r.head.scan_asset_type, "ScanItem": items,
        "ScanPlanType": r.head.scan_plan_type, "ScanPlanContent": r.body.scan_plan_content.clone().unwrap_or_default(),
        "Assets": r.body.assets.iter().map(|a| json!({
            "AssetName": a.asset_name.clone().unwrap_or_else(|| a.asset.clone()),
            "InstanceType": a.instance_type.clone().unwrap_or_default(),
            "AssetType": a.asset_type.clone().unwrap_or_default(), "Asset": a.asset,
            "Region": a.region.clone().unwrap_or_default(), "Arn": a.arn.clone().unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "SelfDefiningAssets": r.body.self_defining_assets, "ScanFrom": r.scan_from.clone().unwrap_or_else(|| "csip".into()),
        "TaskMode": mode, "Tags": r.tags,
        "FinishWebHook": r.hook.finish_web_hook.clone().unwrap_or_default(), "Targets": targets,
        "Request": raw, COMPANIONS: specs,
    });
    Ok(Ok(JobPlan {
        name: r.head.task_name.clone(),
        definition,
        spec: lead,
        schedule,
        run_now,
    }))
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, raw: Raw<TaskReq>) -> ApiResult {
    match build(st, rc.account.id, &raw.req, &raw.value, Building::Request).await? {
        Err(denied) => Ok(json!({"TaskId": "", "Status": -1, "UnAuthAsset": denied})),
        Ok(plan) => {
            let (id, run) = st.store.create_job(rc.account.id, NAME, &plan).await?;
            if let Some(run) = run {
                let specs = runs::companions(&st.store.job(rc.account.id, NAME, id).await?)?;
                runs::start_companions(st, rc.account.id, id, run, &specs).await?;
            }
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

pub(super) async fn modify(st: &Services, rc: &RequestCtx, req: Raw<ModifyReq>) -> ApiResult {
    let Raw {
        req:
            ModifyReq {
                head,
                task_id: raw,
                body,
                options,
                hook,
            },
        value,
    } = req;
    // What a change leaves out: the task keeps its tag, and `ScanFrom` is csip.
    let r = TaskReq {
        head,
        body,
        scan_from: None,
        options,
        tags: None,
        hook,
    };
    let id = task_id(&raw)?;
    st.store
        .job(rc.account.id, NAME, id)
        .await
        .map_err(not_found(&raw))?;
    match build(st, rc.account.id, &r, &value, Building::Request).await? {
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
            let run = st
                .store
                .update_job(rc.account.id, NAME, id, &plan)
                .await
                .map_err(not_found(&raw))?;
            if let Some(run) = run {
                let specs = runs::companions(&st.store.job(rc.account.id, NAME, id).await?)?;
                runs::start_companions(st, rc.account.id, id, run, &specs).await?;
            }
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
    let grouped = runs::job_runs(st, rc.account.id, job.id).await?;
    let runs: Vec<TaskRecord> = grouped.iter().map(runs::Run::summary).collect();
    let latest = runs.first();
    let last_done = grouped.iter().find(|r| r.state().is_terminal());
    let risks: i64 = match last_done {
        Some(r) => st
            .store
            .sighting_counts(&r.ids())
            .await?
            .iter()
            .map(|c| c.1)
            .sum(),
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

/// The parameters of `DescribeScanTaskList`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TaskListReq {
    #[serde(flatten)]
    list: ListReq,
    /// Only tasks with one of these tags.
    #[serde(default)]
    #[param(max_items = 50)]
    tags: Vec<Tag>,
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, req: TaskListReq) -> ApiResult {
    req.list.members.check()?;
    let wanted = tag_pairs(&req.tags);
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
    let (total, page) = apply(rows, &req.list.filter, &l)?;
    Ok(json!({
        "TotalCount": total, "Data": page, "UINList": [rc.account.uin],
        "TaskModeList": [
            {"Value": "0", "Text": "standard"}, {"Value": "1", "Text": "quick"}, {"Value": "2", "Text": "advanced"},
        ],
    }))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct TaskKey {
    /// Task id.
    #[param(max_len = 64)]
    task_id: String,
    /// AppId owning the task (must be the caller's).
    #[param(max_len = 32)]
    target_app_id: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct KeysReq {
    /// Tasks.
    #[param(max_items = 100)]
    task_id_list: Vec<TaskKey>,
    #[serde(flatten)]
    members: Members,
}

/// Job ids of the request, all of which must exist and belong to the caller.
async fn job_ids(st: &Services, rc: &RequestCtx, req: &KeysReq) -> ApiResult<Vec<i64>> {
    req.members.check()?;
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

pub(super) async fn stop(st: &Services, rc: &RequestCtx, req: KeysReq) -> ApiResult {
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

pub(super) async fn delete(st: &Services, rc: &RequestCtx, req: KeysReq) -> ApiResult {
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

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AgainReq {
    /// Task to run again.
    task_id: i64,
    #[serde(flatten)]
    members: Members,
    /// Only these of the task's targets.
    #[serde(default, rename = "InstanceIDList")]
    #[param(max_items = 1000)]
    instance_id_list: Vec<String>,
    /// Stop the run after this many seconds (at most 7200).
    timeout_period: Option<i64>,
}

pub(super) async fn again(st: &Services, rc: &RequestCtx, req: AgainReq) -> ApiResult {
    req.members.check()?;
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
    let timeout = match req.timeout_period.filter(|t| *t != 0) {
        Some(t) if !(1..=7200).contains(&t) => {
            return Err(ApiError::invalid(
                "`TimeoutPeriod` must be between 1 and 7200 seconds.",
            ))
        }
        t => t.map(|t| t as u64),
    };
    let Some(mut lead) = runs::narrow(&job.spec, &targets, timeout)? else {
        return Err(ApiError::internal(&format!(
            "the saved scan {} has no targets left",
            job.id
        )));
    };
    let mut companions = Vec::new();
    for c in runs::companions(&job)? {
        companions.extend(runs::narrow(&c, &targets, timeout)?);
    }
    lead.job_id = Some(job.id);
    let run = st
        .store
        .enqueue(&vigil_store::NewTask {
            account_id: rc.account.id,
            spec: lead,
            run_after: 0,
            schedule_id: None,
        })
        .await?;
    runs::start_companions(st, rc.account.id, job.id, run, &companions).await?;
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
                let unreadable = |e: vigil_core::spec::SpecError| refused(e.to_string());
                let engine = plan.spec.engine().map_err(unreadable)?;
                let mut run = plan.spec.run_options().map_err(unreadable)?;
                // Run-level settings the saved scan does not hold come from the queued run.
                let queued =
                    vigil_core::spec::run_options(&task.kind, &task.options).map_err(unreadable)?;
                run.timeout_secs = queued.timeout_secs;
                run.schedule = queued.schedule.clone();
                let spec = TaskSpec::new(NAME, &engine, &run).map_err(unreadable)?;
                // The other engines' tasks of the run, derived alike.
                let companions =
                    runs::with_run_of(&plan.definition, &queued).map_err(unreadable)?;
                runs::start_companions(st, task.account_id, job_id, task.id, &companions)
                    .await
                    .map_err(|e| refused(e.message))?;
                Ok(Some(spec.into()))
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
        let entry = |id: &str, enable| CfgCheckCfg {
            item_id: id.to_string(),
            toggle: Toggle { enable },
            resource_type: None,
        };
        let off = |id: &str| entry(id, Some(0));
        assert_eq!(
            skip_checks(&[off("tls_weak_cipher")]).unwrap(),
            vec![ConfigCheck::TlsWeakCipher]
        );
        let e = skip_checks(&[off("tls_weak_ciphers")]).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("tls_weak_ciphers"), "{}", e.message);
        // An entry left on is not a skip.
        let on = entry("tls_weak_cipher", Some(1));
        assert!(skip_checks(&[on]).unwrap().is_empty());
        assert!(skip_checks(&[entry("tls_weak_cipher", None)])
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_saved_change_reads_back_as_a_task() {
        use crate::params::{decode, validate};
        let sent = json!({
            "TaskName": "t", "ScanAssetType": 3, "ScanItem": ["port"], "ScanPlanType": 0,
            "TaskId": "7", "SelfDefiningAssets": ["10.0.0.1"], "ScanPlanContent": "0 0 3 * * ? *",
            "TaskAdvanceCFG": {"WeakPwdRisk": [{"CheckItemId": 1, "Enable": 0}],
                               "CFGRisk": [{"ItemId": "tls_weak_cipher", "Enable": 0}]},
            "TaskMode": 1, "FinishWebHook": "https://hooks.example/x",
        });
        let checked = validate(ModifyReq::PARAMS, &sent, false).unwrap();
        let raw: Raw<ModifyReq> = decode(checked).unwrap();
        assert_eq!(raw.req.task_id, "7");
        // What a scheduled run reads: the saved request, `TaskId` and all.
        let r: TaskReq = serde_json::from_value(raw.value).unwrap();
        assert_eq!(r.head.scan_plan_type, 0);
        assert_eq!(r.body.self_defining_assets, vec!["10.0.0.1".to_string()]);
        let adv = r.options.task_advance_cfg.unwrap();
        assert_eq!(
            (
                adv.weak_pwd_risk[0].check_item_id,
                adv.weak_pwd_risk[0].toggle.off()
            ),
            (1, true)
        );
        assert_eq!(
            skip_checks(&adv.cfg_risk).unwrap(),
            vec![ConfigCheck::TlsWeakCipher]
        );
        assert_eq!(r.options.task_mode, Some(1));
        assert!(r.tags.is_none() && r.scan_from.is_none());
        // ScanFrom and Tags are the creator's only.
        let e = validate(ModifyReq::PARAMS, &json!({"ScanFrom": "csip"}), false).unwrap_err();
        assert_eq!(e.code, "UnknownParameter");
    }

    #[test]
    fn items() {
        assert_eq!(
            check_items(&["port".into(), "port".into()]).unwrap(),
            (vec![NetItem::Port], false)
        );
        assert_eq!(check_items(&["poc".into()]).unwrap(), (vec![], true));
        let e = check_items(&["webcontent".into()]).unwrap_err();
        assert_eq!(e.code, "UnsupportedOperation");
        assert!(e.message.contains("webcontent"));
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
