//! Image registries: add, list, update, remove, and sync their contents into the inventory.
//!
//! A registry's URL is `http(s)://host[:port]`. Adding or changing one checks the host
//! against the operator's scope: a denied host is refused, and so is a host that resolves to
//! an internal address (loopback, private, link-local, ...) unless an operator allow rule
//! names it. Connectivity problems are not API errors: the registry is saved and the problem
//! comes back in `HealthCheckErr` (and later as `ConnectMsg` and `ConnDetectDetail`). Vigil
//! has no host agents: connectivity is always checked from the Vigil server (`backend`);
//! agent hosts named in `ConnDetectConfig` are reported offline. Passwords are sealed at rest
//! and never returned. `Insecure` 1 skips TLS certificate verification (for a registry with a
//! self-signed certificate; scope checks still apply); an `http://` URL reaches a registry
//! without TLS.
//!
//! A sync runs inside the request (the cloud runs it in the background): it lists the
//! catalog and every repository's tags, reads each tag's manifest (for an index, the
//! linux/amd64 image, else the first real platform) and image config, and records one
//! registry image per repository and tag, with at most [`SyncLimits::max_images`] images and
//! within [`SyncLimits::deadline`] (`VIGIL_TCSS_SYNC_MAX_IMAGES`,
//! `VIGIL_TCSS_SYNC_DEADLINE_SECS`; defaults 1000 and 45 s, under the SDKs' default 60 s
//! request timeout); the registries of one request share the deadline. A sync cut short
//! says so in `SyncMessage`; a registry the request had no time left for records a failed
//! sync saying so. Changing a registry's address drops the images listed from the old one. Full sync (`SyncMode` 0) also removes images whose tags are gone (only
//! after a complete listing); incremental sync (1) only adds tags not seen before. With
//! `NeedScan`, the new images (full sync: the newest of each repository among them) are
//! scanned right after the sync.

use super::images::{registry_host, Inventory};
use super::scans::{start_scan, ScanPlan, DEFAULT_TIMEOUT};
use super::{list_rows, missing_sub, Key, ListSpec, Page};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::products::opt_time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use vigil_engine::ScopeError;
use vigil_registry::{Client, ClientConfig, Credentials, Digest, Reference};
use vigil_store::{ImageRow, ImageSet, NewImage, NewRegistry, RegistryRow, StoreError};

/// Registry types accepted.
pub(super) const REGISTRY_TYPES: &[&str] = &[
    "harbor",
    "quay",
    "jfrog",
    "aws",
    "azure",
    "other-tcr",
    "tcr",
    "ccr",
];
/// Largest image config read during a sync.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// Build history kept per image.
const MAX_HISTORY_BYTES: usize = 16 * 1024;
/// Names per catalog and tag-list page.
const PAGE_SIZE: usize = 100;
/// Unreadable tags named in a sync message.
const MAX_ERRORS_SHOWN: usize = 3;

/// Bounds of one registry sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Most images recorded per registry per sync.
    pub max_images: usize,
    /// Time allowed per registry per sync.
    pub deadline: Duration,
}

impl Default for SyncLimits {
    fn default() -> Self {
        SyncLimits {
            max_images: 1000,
            deadline: Duration::from_secs(45),
        }
    }
}

impl SyncLimits {
    /// The defaults, overridden by `VIGIL_TCSS_SYNC_MAX_IMAGES` and
    /// `VIGIL_TCSS_SYNC_DEADLINE_SECS` when they hold positive numbers.
    pub fn from_env() -> Self {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        let d = SyncLimits::default();
        SyncLimits {
            max_images: num("VIGIL_TCSS_SYNC_MAX_IMAGES")
                .map(|n| n.min(1_000_000) as usize)
                .unwrap_or(d.max_images),
            deadline: num("VIGIL_TCSS_SYNC_DEADLINE_SECS")
                .map(|s| Duration::from_secs(s.min(86_400)))
                .unwrap_or(d.deadline),
        }
    }
}

#[derive(Deserialize, Params, Clone, Default)]
#[serde(rename_all = "PascalCase")]
struct ConnDetect {
    /// Host QUUID, or `backend`.
    #[param(max_len = 128)]
    quuid: Option<String>,
    /// Host UUID, or `backend`.
    #[param(max_len = 128)]
    uuid: Option<String>,
}

/// A registry's settings, as added and as updated.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct RegistryReq {
    /// Registry name (unique).
    #[param(max_len = 128)]
    name: String,
    /// User name (empty: anonymous).
    #[param(max_len = 256)]
    username: String,
    /// Password (stored encrypted, never returned).
    #[param(max_len = 1024)]
    password: String,
    /// http(s)://host[:port].
    #[param(max_len = 2048)]
    url: String,
    /// harbor, quay, jfrog, aws, azure, other-tcr (also tcr, ccr).
    #[param(one_of = REGISTRY_TYPES)]
    registry_type: String,
    /// public or private.
    #[param(one_of = ["public", "private"])]
    net_type: String,
    /// Registry API version, e.g. V2.
    #[param(max_len = 32)]
    registry_version: Option<String>,
    /// Region, e.g. default.
    #[param(max_len = 64)]
    registry_region: Option<String>,
    /// Pull rate limit (recorded).
    #[param(range(0, i64::MAX))]
    speed_limit: Option<i64>,
    /// 1: skip TLS certificate verification.
    #[param(one_of = [0, 1])]
    insecure: Option<i64>,
    /// Hosts checking connectivity (Vigil: backend only).
    #[serde(default)]
    #[param(max_items = 100)]
    conn_detect_config: Vec<ConnDetect>,
    /// Scan new images after each sync.
    need_scan: Option<bool>,
    /// 0 full sync, 1 incremental sync.
    #[param(one_of = [0, 1])]
    sync_mode: Option<i64>,
    /// Registry instance id (TCR).
    #[param(max_len = 128)]
    instance_id: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddReq {
    #[serde(flatten)]
    registry: RegistryReq,
    /// Not supported: Vigil does not receive registry webhooks.
    #[param(max_len = 2048)]
    webhook_url: Option<String>,
    /// Not supported.
    #[param(max_len = 1024)]
    webhook_token: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateReq {
    #[serde(flatten)]
    registry: RegistryReq,
    /// The registry to change.
    registry_id: Option<i64>,
}

/// Check a registry URL: `http(s)://host[:port]`, no credentials, path, query or fragment.
fn parse_url(raw: &str) -> ApiResult<url::Url> {
    let bad = |why: &str| {
        ApiError::invalid_value(format!(
            "`Url` `{}` {why}.",
            raw.chars().take(200).collect::<String>()
        ))
    };
    let u = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(bad("must use http or https"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "must not carry credentials (use Username and Password)",
        ));
    }
    if (u.path() != "/" && !u.path().is_empty()) || u.query().is_some() || u.fragment().is_some() {
        return Err(bad("must be scheme://host[:port] without a path"));
    }
    Ok(u)
}

/// Whether the registry host may be reached: `Err` when the operator's scope denies it or it
/// leads to an internal address the scope does not name; `Ok(Some(problem))` when it cannot
/// be resolved now (a connectivity problem, not a refusal).
async fn scope_check(st: &Services, u: &url::Url) -> ApiResult<Option<String>> {
    let host = u.host_str().unwrap_or("");
    let port = u.port_or_known_default().unwrap_or(443);
    match st.scope.resolve(host, port).await {
        Ok(_) => Ok(None),
        Err(ScopeError::Denied { reason, .. }) => Err(ApiError::invalid_value(format!(
            "The registry host {host} is outside the operator's scope: {reason}."
        ))),
        Err(ScopeError::Internal { .. }) => Err(ApiError::invalid_value(format!(
            "The registry host {host} is or resolves to an internal address; registries on internal addresses are reachable only inside the operator's allowed scope (--scope-allow)."
        ))),
        Err(ScopeError::Unresolvable(_)) => Ok(Some(format!("cannot resolve {host}"))),
    }
}

/// A registry client for a saved registry.
fn client(
    st: &Services,
    reg: &RegistryRow,
    password: &str,
    timeout: Duration,
) -> Result<Client, String> {
    let mut cfg = ClientConfig::new(&registry_host(&reg.url), st.scope.clone());
    cfg.insecure_http = reg.url.to_ascii_lowercase().starts_with("http://");
    cfg.skip_tls_verify = reg.insecure;
    cfg.timeout = timeout;
    if !reg.username.is_empty() {
        cfg.credentials = Some(Credentials::Basic {
            username: reg.username.clone(),
            password: password.to_string(),
        });
    }
    Client::new(cfg).map_err(|e| e.to_string())
}

/// Connectivity check from the Vigil server: the scope, then `GET /v2/` with the
/// credentials. Empty when the registry answers.
async fn health(st: &Services, reg: &RegistryRow) -> ApiResult<String> {
    let u = parse_url(&reg.url)?;
    if let Some(problem) = match scope_check(st, &u).await {
        Ok(p) => p,
        Err(e) => Some(e.message),
    } {
        return Ok(problem);
    }
    let password = st.store.registry_password(reg.account_id, reg.id).await?;
    let c = match client(st, reg, &password, st.config.fetch_timeout) {
        Ok(c) => c,
        Err(e) => return Ok(e),
    };
    Ok(match c.ping().await {
        Ok(()) => String::new(),
        Err(e) => e.to_string(),
    })
}

fn new_registry(r: &RegistryReq) -> ApiResult<NewRegistry> {
    let name = r.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_value("`Name` must not be empty."));
    }
    let url = parse_url(&r.url)?;
    let conn: Vec<Value> = r
        .conn_detect_config
        .iter()
        .map(|c| {
            json!({"Quuid": c.quuid.clone().unwrap_or_default(), "Uuid": c.uuid.clone().unwrap_or_default()})
        })
        .collect();
    Ok(NewRegistry {
        name: name.to_string(),
        url: url.as_str().trim_end_matches('/').to_string(),
        registry_type: r.registry_type.clone(),
        username: r.username.clone(),
        password: r.password.clone(),
        net_type: r.net_type.clone(),
        registry_version: r.registry_version.clone().unwrap_or_default(),
        registry_region: r.registry_region.clone().unwrap_or_default(),
        speed_limit: r.speed_limit.unwrap_or(0),
        insecure: r.insecure == Some(1),
        conn_detect: Value::Array(conn),
        instance_id: r.instance_id.clone().unwrap_or_default(),
        need_scan: r.need_scan.unwrap_or(false),
        sync_mode: r.sync_mode.unwrap_or(0),
    })
}

fn name_repeat(name: &str) -> String {
    format!("A registry named `{name}` already exists.")
}

/// Check a registry request, save it (new, or over `existing`), check connectivity and sync
/// when the registry answers.
async fn save_and_check(
    st: &Services,
    rc: &RequestCtx,
    r: &RegistryReq,
    existing: Option<i64>,
) -> ApiResult {
    let new = new_registry(r)?;
    let url = parse_url(&new.url)?;
    scope_check(st, &url).await?;
    let taken = st
        .store
        .registries(rc.account.id)
        .await?
        .iter()
        .any(|g| g.name == new.name && Some(g.id) != existing);
    if taken {
        return Ok(
            json!({"HealthCheckErr": "", "NameRepeatErr": name_repeat(&new.name), "RegistryId": null}),
        );
    }
    let saved = match existing {
        None => st.store.create_registry(rc.account.id, &new).await,
        Some(id) => st.store.update_registry(rc.account.id, id, &new).await,
    };
    let reg = match saved {
        Ok(reg) => reg,
        Err(StoreError::Conflict(_)) => {
            return Ok(
                json!({"HealthCheckErr": "", "NameRepeatErr": name_repeat(&new.name), "RegistryId": null}),
            )
        }
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(format!(
                "Registry {} does not exist.",
                existing.unwrap_or(0)
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let started = Instant::now();
    let problem = health(st, &reg).await?;
    st.store
        .set_registry_health(rc.account.id, reg.id, &problem)
        .await?;
    let limits = SyncLimits::from_env();
    let left = limits.deadline.saturating_sub(started.elapsed());
    if problem.is_empty() && !left.is_zero() {
        let first = SyncLimits {
            deadline: left,
            ..limits
        };
        sync_registry(st, rc.account.id, &reg, &first).await?;
    }
    Ok(json!({"HealthCheckErr": problem, "NameRepeatErr": "", "RegistryId": reg.id}))
}

pub(super) async fn add(st: &Services, rc: &RequestCtx, r: AddReq) -> ApiResult {
    if r.webhook_url.as_deref().is_some_and(|w| !w.is_empty())
        || r.webhook_token.as_deref().is_some_and(|w| !w.is_empty())
    {
        return Err(ApiError::unsupported(
            "Vigil does not receive registry webhooks; sync with SyncAssetImageRegistryAsset instead.",
        ));
    }
    let out = save_and_check(st, rc, &r.registry, None).await?;
    if let Some(id) = out.get("RegistryId").and_then(Value::as_i64) {
        crate::products::audit(
            st,
            rc,
            "tcss.AddAssetImageRegistryRegistryDetail",
            &id.to_string(),
        )
        .await?;
    }
    Ok(out)
}

pub(super) async fn update(st: &Services, rc: &RequestCtx, r: UpdateReq) -> ApiResult {
    let id = r
        .registry_id
        .ok_or_else(|| missing_sub("`RegistryId` names the registry to update."))?;
    let before = st
        .store
        .registry(rc.account.id, id)
        .await
        .map_err(|e| registry_not_found(e, id))?;
    let out = save_and_check(st, rc, &r.registry, Some(id)).await?;
    if out.get("RegistryId").and_then(Value::as_i64).is_some() {
        let after = st.store.registry(rc.account.id, id).await?;
        if registry_host(&after.url) != registry_host(&before.url) {
            // Another registry now: what was listed from the old one is not in it.
            let gone: Vec<i64> = st
                .store
                .images(rc.account.id, ImageSet::OfRegistry(id))
                .await?
                .iter()
                .filter(|i| {
                    !i.source
                        .starts_with(&format!("registry:{}/", registry_host(&after.url)))
                })
                .map(|i| i.id)
                .collect();
            st.store.delete_images(rc.account.id, &gone).await?;
        }
        crate::products::audit(
            st,
            rc,
            "tcss.UpdateAssetImageRegistryRegistryDetail",
            &id.to_string(),
        )
        .await?;
    }
    Ok(out)
}

pub(super) fn registry_not_found(e: StoreError, id: i64) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found(format!("Registry {id} does not exist.")),
        other => other.into(),
    }
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RemoveReq {
    /// The registry to remove.
    registry_id: i64,
}

pub(super) async fn remove(st: &Services, rc: &RequestCtx, r: RemoveReq) -> ApiResult {
    let images = st
        .store
        .delete_registry(rc.account.id, r.registry_id)
        .await
        .map_err(|e| registry_not_found(e, r.registry_id))?;
    crate::products::audit(
        st,
        rc,
        "tcss.RemoveAssetImageRegistryRegistryDetail",
        &format!("{} ({} images)", r.registry_id, images.len()),
    )
    .await?;
    Ok(json!({}))
}

fn is_backend(c: &Value) -> bool {
    let f = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
    (f("Quuid").is_empty() || f("Quuid") == "backend")
        && (f("Uuid").is_empty() || f("Uuid") == "backend")
}

/// `ImageRepoRegistryInfo` of a registry.
pub(super) fn registry_row(r: &RegistryRow) -> Value {
    let entries: Vec<Value> = match r.conn_detect.as_array() {
        Some(a) if !a.is_empty() => a.clone(),
        _ => vec![json!({"Quuid": "backend", "Uuid": "backend"})],
    };
    let checked = r.health_checked_at.is_some();
    let details: Vec<Value> = entries
        .iter()
        .map(|c| {
            let id = |k: &str| match c.get(k).and_then(Value::as_str).unwrap_or("") {
                "" => "backend".to_string(),
                v => v.to_string(),
            };
            let (status, message, reason, solution) = if !is_backend(c) {
                (
                    "status_agent_offline",
                    "AgentOffline".to_string(),
                    "Vigil has no host agents; connectivity is checked from the Vigil server (backend).".to_string(),
                    "Use backend connectivity detection.".to_string(),
                )
            } else if !checked {
                ("status_unknown", String::new(), String::new(), String::new())
            } else if r.health_error.is_empty() {
                ("status_connected", "success".to_string(), String::new(), String::new())
            } else {
                let auth = r.health_error.contains("authentication failed")
                    || r.health_error.contains("access denied");
                (
                    if auth { "status_auth_failed" } else { "status_failed" },
                    r.health_error.clone(),
                    r.health_error.clone(),
                    if auth {
                        "Check the registry user name and password.".to_string()
                    } else {
                        "Check that the Vigil server can reach the registry address (network, TLS certificate, operator scope).".to_string()
                    },
                )
            };
            json!({"Quuid": id("Quuid"), "Uuid": id("Uuid"), "ConnDetectStatus": status,
                   "ConnDetectMessage": message, "Solution": solution, "FailReason": reason})
        })
        .collect();
    let agent = entries.iter().any(|c| !is_backend(c));
    json!({
        "RegistryId": r.id, "Name": r.name, "RegistryType": r.registry_type, "Url": r.url,
        "NetType": r.net_type, "RegistryRegion": r.registry_region,
        "RegistryVersion": r.registry_version, "ConnectMsg": r.health_error,
        "ConnDetectType": if agent { "agent" } else { "backend" },
        "ConnDetectHostCount": entries.len(), "ConnDetectDetail": details,
        "InstanceID": r.instance_id, "LatestSyncTime": opt_time_str(r.synced_at),
        "SyncStatus": r.sync_status, "SyncFailReason": r.sync_error,
        "SyncSolution": if r.sync_status == "failed" {
            "Check the registry address and credentials, and that the account may list the registry's catalog (GET /v2/_catalog)."
        } else { "" },
        "SyncMessage": r.sync_message, "SyncMode": r.sync_mode.max(0),
        "_Created": r.created_at, "_Synced": r.synced_at.unwrap_or(0),
    })
}

fn authorized_is(_row: &Value, v: &str) -> Option<bool> {
    // Registries, like images, count as authorised.
    match v.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

const LIST_SPEC: ListSpec<'static> = ListSpec {
    keys: &[
        ("IsAuthorized", Key::Enum(authorized_is)),
        ("Name", Key::Text(&["Name"])),
        ("Url", Key::Text(&["Url"])),
        ("RegistryType", Key::Text(&["RegistryType"])),
    ],
    sorts: &[
        ("InsertTime", "_Created"),
        ("Name", "Name"),
        ("RegistryId", "RegistryId"),
        ("LatestSyncTime", "_Synced"),
    ],
    default: ("_Created", true),
};

pub(super) async fn list(st: &Services, rc: &RequestCtx, page: Page) -> ApiResult {
    let rows: Vec<Value> = st
        .store
        .registries(rc.account.id)
        .await?
        .iter()
        .map(registry_row)
        .collect();
    let (total, list) = list_rows(rows, &page, &LIST_SPEC)?;
    Ok(json!({"List": list, "TotalCount": total}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SyncReq {
    /// Sync every registry.
    all: Option<bool>,
    /// Registries to sync.
    #[serde(default)]
    #[param(max_items = 100)]
    registry_ids: Vec<i64>,
}

pub(super) async fn sync(st: &Services, rc: &RequestCtx, r: SyncReq) -> ApiResult {
    let regs = if r.all.unwrap_or(false) {
        st.store.registries(rc.account.id).await?
    } else if !r.registry_ids.is_empty() {
        let mut out = Vec::new();
        for id in &r.registry_ids {
            out.push(
                st.store
                    .registry(rc.account.id, *id)
                    .await
                    .map_err(|e| registry_not_found(e, *id))?,
            );
        }
        out
    } else {
        return Err(missing_sub("Name the registries: `All` or `RegistryIds`."));
    };
    // The request's registries share one deadline, so the answer comes within it.
    let limits = SyncLimits::from_env();
    let started = Instant::now();
    let mut done = Vec::new();
    for reg in &regs {
        if done.contains(&reg.id) {
            continue;
        }
        let left = limits.deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            st.store
                .set_registry_sync(
                    rc.account.id,
                    reg.id,
                    "failed",
                    "not synced: the time of this sync request ran out before this registry; sync it on its own",
                    "",
                )
                .await?;
        } else {
            let mine = SyncLimits {
                deadline: left,
                ..limits
            };
            sync_registry(st, rc.account.id, reg, &mine).await?;
        }
        done.push(reg.id);
    }
    crate::products::audit(
        st,
        rc,
        "tcss.SyncAssetImageRegistryAsset",
        &crate::products::id_list(&done),
    )
    .await?;
    Ok(json!({}))
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Images recorded (new or refreshed).
    pub recorded: usize,
    /// Row ids of the images new in this sync.
    pub new: Vec<i64>,
    /// Images removed (full sync).
    pub removed: usize,
    /// Stopped at the image limit or the deadline.
    pub truncated: bool,
    /// Why the listing failed as a whole.
    pub failed: Option<String>,
}

/// Sync one registry of an account now, with these bounds (what `SyncAssetImageRegistryAsset`
/// does per registry; also for the command line and tests). The outcome is recorded on the
/// registry as well.
pub async fn sync_now(
    st: &Services,
    account_id: i64,
    registry_id: i64,
    limits: &SyncLimits,
) -> ApiResult<SyncOutcome> {
    let reg = st
        .store
        .registry(account_id, registry_id)
        .await
        .map_err(|e| registry_not_found(e, registry_id))?;
    sync_registry(st, account_id, &reg, limits).await
}

/// Sync one registry (see the module documentation); the outcome is also recorded on the
/// registry (`SyncStatus` and the rest).
pub(crate) async fn sync_registry(
    st: &Services,
    account_id: i64,
    reg: &RegistryRow,
    limits: &SyncLimits,
) -> ApiResult<SyncOutcome> {
    st.store
        .set_registry_sync(account_id, reg.id, "doing", "", "")
        .await?;
    let mut notes = Vec::new();
    let outcome = match parse_url(&reg.url) {
        Err(e) => SyncOutcome {
            failed: Some(e.message),
            ..Default::default()
        },
        Ok(u) => match scope_check(st, &u).await {
            Err(e) => SyncOutcome {
                failed: Some(e.message),
                ..Default::default()
            },
            Ok(Some(problem)) => SyncOutcome {
                failed: Some(problem),
                ..Default::default()
            },
            Ok(None) => {
                // A request in flight when the deadline passes may take its own timeout more.
                let budget = limits.deadline + Duration::from_secs(5);
                match tokio::time::timeout(
                    budget,
                    list_and_record(st, account_id, reg, limits, &mut notes),
                )
                .await
                {
                    Ok(r) => r?,
                    Err(_) => SyncOutcome {
                        truncated: true,
                        ..Default::default()
                    },
                }
            }
        },
    };
    if outcome.truncated {
        notes.insert(
            0,
            format!(
                "stopped early (at most {} images and {} s per sync)",
                limits.max_images,
                limits.deadline.as_secs()
            ),
        );
    }
    let mut message = format!(
        "{} images recorded, {} new, {} removed",
        outcome.recorded,
        outcome.new.len(),
        outcome.removed
    );
    for n in &notes {
        message.push_str("; ");
        message.push_str(n);
    }
    match &outcome.failed {
        Some(why) => {
            st.store
                .set_registry_sync(account_id, reg.id, "failed", why, "")
                .await?
        }
        None => {
            if reg.need_scan && !outcome.new.is_empty() {
                match scan_new(st, account_id, reg, &outcome.new).await {
                    Ok(Some(id)) => message.push_str(&format!("; new images scanned by task {id}")),
                    Ok(None) => {}
                    Err(e) => message.push_str(&format!("; new images not scanned: {}", e.message)),
                }
            }
            st.store
                .set_registry_sync(account_id, reg.id, "success", "", &message)
                .await?
        }
    }
    Ok(outcome)
}

/// `NeedScan`: scan the new images (full sync: the newest of each repository among them).
async fn scan_new(
    st: &Services,
    account_id: i64,
    reg: &RegistryRow,
    new: &[i64],
) -> ApiResult<Option<i64>> {
    let inv = Inventory::load(st, account_id, ImageSet::OfRegistry(reg.id)).await?;
    let rows: Vec<&ImageRow> = inv
        .images
        .iter()
        .filter(|i| new.contains(&i.id))
        .filter(|i| reg.sync_mode == 1 || inv.view(i).is_latest())
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let plan = ScanPlan {
        kind: super::groups::REGISTRY,
        one_click: false,
        origin: vigil_store::GroupOrigin::Sync,
        scanners: vec!["vuln".into(), "virus".into(), "risk".into()],
        timeout_secs: DEFAULT_TIMEOUT,
        window: None,
    };
    Ok(Some(
        start_scan(st, account_id, &inv, &rows, &plan).await?.id,
    ))
}

async fn list_and_record(
    st: &Services,
    account_id: i64,
    reg: &RegistryRow,
    limits: &SyncLimits,
    notes: &mut Vec<String>,
) -> ApiResult<SyncOutcome> {
    let started = Instant::now();
    let late = || started.elapsed() >= limits.deadline;
    let password = st.store.registry_password(account_id, reg.id).await?;
    let timeout = limits.deadline.min(Duration::from_secs(30));
    let mut out = SyncOutcome::default();
    let c = match client(st, reg, &password, timeout) {
        Ok(c) => c,
        Err(e) => {
            out.failed = Some(e);
            return Ok(out);
        }
    };
    let mut repos = match c.catalog(PAGE_SIZE).await {
        Ok(r) => r,
        Err(e) => {
            out.failed = Some(e.to_string());
            return Ok(out);
        }
    };
    repos.sort();
    repos.dedup();
    let known: HashMap<(String, String), i64> = st
        .store
        .images(account_id, ImageSet::OfRegistry(reg.id))
        .await?
        .into_iter()
        .map(|i| ((i.repository, i.tag), i.id))
        .collect();
    let host = registry_host(&reg.url);
    let mut listed: HashSet<i64> = HashSet::new();
    let mut errors: Vec<String> = Vec::new();
    let mut failed_tags = 0usize;
    let mut count = 0usize;
    'repos: for repo in &repos {
        if late() {
            out.truncated = true;
            break;
        }
        let mut tags = match c.tags(repo, Some(PAGE_SIZE)).await {
            Ok(t) => t,
            Err(e) => {
                failed_tags += 1;
                errors.push(format!("{repo}: {e}"));
                continue;
            }
        };
        tags.sort();
        tags.dedup();
        for tag in tags {
            if count >= limits.max_images || late() {
                out.truncated = true;
                break 'repos;
            }
            count += 1;
            let key = (repo.clone(), tag.clone());
            if let Some(id) = known.get(&key) {
                listed.insert(*id);
                if reg.sync_mode == 1 {
                    continue;
                }
            }
            match describe(&c, &host, repo, &tag, reg.id).await {
                Ok(img) => {
                    let row = st.store.upsert_image(account_id, &img).await?;
                    listed.insert(row.id);
                    out.recorded += 1;
                    if !known.contains_key(&key) {
                        out.new.push(row.id);
                    }
                }
                Err(e) => {
                    failed_tags += 1;
                    errors.push(format!("{repo}:{tag}: {e}"));
                }
            }
        }
    }
    if !out.truncated && reg.sync_mode == 0 {
        let gone: Vec<i64> = known
            .values()
            .copied()
            .filter(|id| !listed.contains(id))
            .collect();
        if !gone.is_empty() {
            out.removed = st.store.delete_images(account_id, &gone).await? as usize;
        }
    }
    if failed_tags > 0 {
        notes.push(format!(
            "{failed_tags} repositories or tags could not be read ({})",
            errors
                .iter()
                .take(MAX_ERRORS_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(out)
}

/// Choose the image of an index: linux/amd64, else the first entry with a real platform,
/// else the first entry.
fn pick_from_index(index: &Value) -> Option<String> {
    let entries = index["manifests"].as_array()?;
    let platform = |m: &Value, k: &str| m["platform"][k].as_str().unwrap_or("").to_string();
    entries
        .iter()
        .find(|m| platform(m, "os") == "linux" && platform(m, "architecture") == "amd64")
        .or_else(|| {
            entries
                .iter()
                .find(|m| !platform(m, "os").is_empty() && platform(m, "os") != "unknown")
        })
        .or_else(|| entries.first())
        .and_then(|m| m["digest"].as_str())
        .map(str::to_string)
}

fn is_index(media_type: &str) -> bool {
    media_type == vigil_registry::MEDIA_OCI_INDEX || media_type == vigil_registry::MEDIA_DOCKER_LIST
}

/// Read one tag: its manifest (through an index if need be) and image config.
async fn describe(
    c: &Client,
    host: &str,
    repo: &str,
    tag: &str,
    registry_id: i64,
) -> Result<NewImage, String> {
    let reference = Reference::parse(&format!("{host}/{repo}:{tag}")).map_err(|e| e.to_string())?;
    let top = c.manifest(&reference).await.map_err(|e| e.to_string())?;
    let parse = |b: &[u8]| -> Result<Value, String> {
        serde_json::from_slice(b).map_err(|e| format!("manifest is not JSON: {e}"))
    };
    let mut manifest = parse(&top.bytes)?;
    if is_index(&top.media_type) {
        let chosen = pick_from_index(&manifest).ok_or("the index lists no manifests")?;
        let d = Digest::parse(&chosen).map_err(|e| e.to_string())?;
        let m = c
            .manifest(&reference.with_digest(d))
            .await
            .map_err(|e| e.to_string())?;
        if is_index(&m.media_type) {
            return Err("nested index".into());
        }
        manifest = parse(&m.bytes)?;
    }
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .ok_or("the manifest has no config")?;
    let config_d = Digest::parse(config_digest).map_err(|e| e.to_string())?;
    let layers: i64 = manifest["layers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["size"].as_i64())
                .filter(|s| *s >= 0)
                .fold(0i64, i64::saturating_add)
        })
        .unwrap_or(0);
    let config_size = manifest["config"]["size"].as_i64().unwrap_or(0).max(0);
    let raw = c
        .blob_bytes(repo, &config_d, MAX_CONFIG_BYTES)
        .await
        .map_err(|e| e.to_string())?;
    let config: Value =
        serde_json::from_slice(&raw).map_err(|e| format!("image config is not JSON: {e}"))?;
    let text = |k: &str| config[k].as_str().unwrap_or("").to_string();
    let created = chrono::DateTime::parse_from_rfc3339(&text("created"))
        .ok()
        .map(|t| t.timestamp_millis());
    let mut history = String::new();
    for h in config["history"].as_array().into_iter().flatten() {
        let line = h["created_by"].as_str().unwrap_or("");
        if history.len() + line.len() + 1 > MAX_HISTORY_BYTES {
            break;
        }
        history.push_str(line);
        history.push('\n');
    }
    Ok(NewImage {
        image_id: config_d.to_string(),
        digest: top.digest.to_string(),
        source: format!("registry:{host}/{repo}:{tag}"),
        name: format!("{repo}:{tag}"),
        registry_id: Some(registry_id),
        repository: repo.to_string(),
        tag: tag.to_string(),
        namespace: repo
            .rsplit_once('/')
            .map(|(n, _)| n.to_string())
            .unwrap_or_default(),
        size: layers.saturating_add(config_size),
        os_name: text("os"),
        architecture: text("architecture"),
        author: text("author"),
        history,
        repo_digests: vec![format!("{host}/{repo}@{}", top.digest)],
        created_at: created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_url("https://harbor.example").is_ok());
        assert!(parse_url("http://127.0.0.1:5000/").is_ok());
        for bad in [
            "ftp://x",
            "https://u:p@h",
            "https://h/v2",
            "https://h?x=1",
            "not a url",
        ] {
            assert_eq!(
                parse_url(bad).unwrap_err().code,
                "InvalidParameterValue",
                "{bad}"
            );
        }
    }

    #[test]
    fn index_choice() {
        let idx = json!({"manifests": [
            {"digest": "sha256:a", "platform": {"os": "unknown", "architecture": "unknown"}},
            {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": "sha256:c", "platform": {"os": "linux", "architecture": "amd64"}},
        ]});
        assert_eq!(pick_from_index(&idx).as_deref(), Some("sha256:c"));
        let idx = json!({"manifests": [
            {"digest": "sha256:a", "platform": {"os": "unknown", "architecture": "unknown"}},
            {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm64"}},
        ]});
        assert_eq!(pick_from_index(&idx).as_deref(), Some("sha256:b"));
        assert_eq!(pick_from_index(&json!({"manifests": []})), None);
        assert_eq!(pick_from_index(&json!({})), None);
    }

    proptest::proptest! {
        #[test]
        fn url_and_index_parsing_never_panic(raw in ".{0,80}", digests in proptest::collection::vec(".{0,20}", 0..5)) {
            let _ = parse_url(&raw);
            let index = json!({"manifests": digests.iter().map(|d| json!({"digest": d, "platform": {"os": d}})).collect::<Vec<_>>()});
            let picked = pick_from_index(&index);
            proptest::prop_assert_eq!(picked.is_some(), !digests.is_empty());
        }
    }

    #[test]
    fn limits_default() {
        let d = SyncLimits::default();
        assert_eq!(d.max_images, 1000);
        assert_eq!(d.deadline, Duration::from_secs(45));
    }

    #[test]
    fn rows_never_show_passwords() {
        let r = RegistryRow {
            id: 1,
            account_id: 1,
            name: "h".into(),
            url: "https://h".into(),
            registry_type: "harbor".into(),
            username: "admin".into(),
            has_password: true,
            net_type: "public".into(),
            registry_version: "V2".into(),
            registry_region: "default".into(),
            speed_limit: 0,
            insecure: false,
            conn_detect: json!([{"Quuid": "q1", "Uuid": "u1"}]),
            instance_id: String::new(),
            need_scan: false,
            sync_mode: 0,
            health_error: "authentication failed at h: bad".into(),
            health_checked_at: Some(1),
            sync_status: String::new(),
            sync_error: String::new(),
            sync_message: String::new(),
            synced_at: None,
            created_at: 0,
            updated_at: 0,
        };
        let row = registry_row(&r);
        let text = row.to_string();
        assert!(!text.contains("Password") && !text.contains("admin"));
        assert_eq!(row["ConnDetectType"], "agent");
        assert_eq!(
            row["ConnDetectDetail"][0]["ConnDetectMessage"],
            "AgentOffline"
        );
        let backend = RegistryRow {
            conn_detect: json!([]),
            ..r
        };
        let row = registry_row(&backend);
        assert_eq!(row["ConnDetectType"], "backend");
        assert_eq!(
            row["ConnDetectDetail"][0]["ConnDetectStatus"],
            "status_auth_failed"
        );
    }
}
