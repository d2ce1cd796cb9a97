//! The risk lists: findings of the network engine rendered as CSIP risks, per asset or
//! grouped per port or per check (the vulnerabilities of scan item poc are `vuls.rs`), and
//! the triage of every kind (handled, ignored). A risk's `Id` is the
//! finding's id; statuses are shared with every other view of the finding.

use super::assets::{tagged_hosts, TaggedListReq};
use super::listing::{apply, choices, FilterReq, ListReq, Listing};
use super::{instance_type, label, level, owner, status_code, Members, Tag};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use vigil_core::{FindingStatus, Severity};
use vigil_store::StoredFinding;

/// Services whose ports are risky to expose, with the suggestion (1 restrict access, 2 close).
fn port_judgement(service: &str) -> (&'static str, &'static str, i64) {
    match service {
        "telnet" => ("high_risk_service", "high", 2),
        "redis" | "memcached" | "mongodb" | "mysql" | "postgresql" | "elasticsearch" | "rdp"
        | "vnc" | "smb" | "docker" | "etcd" | "zookeeper" | "kubernetes" | "rsync" | "ldap"
        | "amqp" | "mqtt" => ("high_risk_service", "high", 1),
        "ssh" | "ftp" | "smtp" | "pop3" | "imap" | "dns" => ("high_risk_service", "middle", 1),
        "http" | "https" => ("web_service", "low", 0),
        _ => ("other_service", "info", 0),
    }
}

fn component(f: &StoredFinding) -> String {
    let svc = f.finding.evidence.get("service");
    let product = svc.and_then(|s| s.get("product")).and_then(Value::as_str);
    let version = svc.and_then(|s| s.get("version")).and_then(Value::as_str);
    match (product, version) {
        (Some(p), Some(v)) => format!("{p} {v}"),
        (Some(p), None) => p.to_string(),
        _ => f.finding.service.clone().unwrap_or_default(),
    }
}

fn host(f: &StoredFinding) -> String {
    f.finding.host.clone().unwrap_or_default()
}

/// Fields every per-asset row has.
pub(super) fn base(rc: &RequestCtx, f: &StoredFinding) -> Value {
    let (app_id, uin, nick) = owner(rc);
    let h = host(f);
    json!({
        "Id": f.id.to_string(), "Index": f.id.to_string(), "AffectAsset": h,
        "InstanceId": h, "InstanceName": h, "InstanceType": instance_type(&h),
        "Level": level(f.finding.severity), "FirstTime": time_str(f.first_seen),
        "RecentTime": time_str(f.last_seen), "Status": status_code(f.status),
        "AppId": app_id, "Nick": nick, "Uin": uin, "From": "vigil",
    })
}

pub(super) fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

/// Findings of `kind` on the hosts carrying one of `tags` (all hosts when there are none).
pub(super) async fn load(
    st: &Services,
    rc: &RequestCtx,
    list: &ListReq,
    tags: &[Tag],
    kind: &str,
) -> ApiResult<Vec<StoredFinding>> {
    list.members.check()?;
    let tagged = tagged_hosts(st, rc, tags).await?;
    Ok(st
        .store
        .findings_of_kinds(rc.account.id, &[kind])
        .await?
        .into_iter()
        .filter(|f| tagged.as_ref().is_none_or(|t| t.contains(&host(f))))
        .collect())
}

fn lists(rows: &[Value], fields: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    fields
        .iter()
        .map(|(out, field)| {
            (
                out.to_string(),
                Value::Array(choices(rows, field, &|v| label(field, v))),
            )
        })
        .collect()
}

/// The response of a risk list: filter menus from all rows, then the filtered page.
pub(super) fn respond(
    rows: Vec<Value>,
    filter: &FilterReq,
    menus: &[(&str, &str)],
    fields: &[&str],
) -> ApiResult {
    let mut out = lists(&rows, menus);
    let l = Listing {
        fields,
        time_field: "RecentTime",
        default_by: "RecentTime",
    };
    let (total, page) = apply(rows, filter, &l)?;
    out.insert("TotalCount".into(), json!(total));
    out.insert("Data".into(), Value::Array(page));
    Ok(Value::Object(out))
}

/// `out` with `hidden` removed from every row of its page: fields the rows carry for
/// filtering that the response model does not have.
pub(super) fn without(mut out: Value, hidden: &[&str]) -> Value {
    if let Some(Value::Array(page)) = out.get_mut("Data") {
        for row in page.iter_mut().filter_map(Value::as_object_mut) {
            for f in hidden {
                row.remove(*f);
            }
        }
    }
    out
}

fn port_row(rc: &RequestCtx, f: &StoredFinding) -> Value {
    let service = f
        .finding
        .service
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let (judge, lvl, suggestion) = port_judgement(&service);
    let mut row = merge(
        base(rc, f),
        json!({
            "Port": f.finding.port.unwrap_or(0), "Protocol": f.finding.protocol.clone().unwrap_or_else(|| "tcp".into()),
            "Component": component(f), "Service": service, "Suggestion": suggestion, "ServiceJudge": judge,
            "XspmStatus": status_code(f.status),
        }),
    );
    row["Level"] = json!(lvl);
    row
}

const PORT_FIELDS: &[&str] = &[
    "Port",
    "AffectAsset",
    "Level",
    "InstanceType",
    "Protocol",
    "Component",
    "Service",
    "RecentTime",
    "FirstTime",
    "Suggestion",
    "Status",
    "Id",
    "From",
    "ServiceJudge",
];

pub(super) async fn asset_ports(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let rows: Vec<Value> = load(st, rc, &req.list, &req.tags, "open_port")
        .await?
        .iter()
        .map(|f| port_row(rc, f))
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[
            ("StatusLists", "Status"),
            ("LevelLists", "Level"),
            ("SuggestionLists", "Suggestion"),
            ("InstanceTypeLists", "InstanceType"),
            ("FromLists", "From"),
        ],
        PORT_FIELDS,
    )
}

pub(super) fn severity_rank(l: &str) -> u8 {
    match l {
        "extreme" => 4,
        "high" => 3,
        "middle" => 2,
        "low" => 1,
        _ => 0,
    }
}

pub(super) async fn port_view(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let found = load(st, rc, &req.list, &req.tags, "open_port").await?;
    let mut groups: BTreeMap<(u16, String), Vec<Value>> = BTreeMap::new();
    for f in &found {
        let row = port_row(rc, f);
        let key = (
            f.finding.port.unwrap_or(0),
            row["Service"].as_str().unwrap_or("").to_string(),
        );
        groups.entry(key).or_default().push(row);
    }
    let (app_id, uin, nick) = owner(rc);
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|((port, service), rs)| {
            let mut comps: Vec<&str> = rs.iter().filter_map(|r| r["Component"].as_str()).filter(|c| !c.is_empty()).collect();
            comps.sort();
            comps.dedup();
            let recent = rs.iter().filter_map(|r| r["RecentTime"].as_str()).max().unwrap_or("");
            let first = rs.iter().filter_map(|r| r["FirstTime"].as_str()).min().unwrap_or("");
            let lvl = rs.iter().filter_map(|r| r["Level"].as_str()).max_by_key(|l| severity_rank(l)).unwrap_or("info");
            let id = format!("{port}/{service}");
            json!({
                "NoHandleCount": rs.iter().filter(|r| r["Status"] == 0).count(), "Level": lvl,
                "Protocol": "tcp", "Component": comps.join(", "), "Port": port, "RecentTime": recent,
                "FirstTime": first, "Suggestion": rs[0]["Suggestion"], "AffectAssetCount": rs.len().to_string(),
                "Id": id, "From": "vigil", "Index": id, "AppId": app_id, "Nick": nick, "Uin": uin, "Service": service,
            })
        })
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[
            ("LevelLists", "Level"),
            ("SuggestionLists", "Suggestion"),
            ("FromLists", "From"),
        ],
        &[
            "Port",
            "Level",
            "Protocol",
            "Component",
            "Service",
            "RecentTime",
            "FirstTime",
            "Suggestion",
            "NoHandleCount",
            "AffectAssetCount",
            "Id",
            "From",
        ],
    )
}

pub(super) async fn weak_passwords(
    st: &Services,
    rc: &RequestCtx,
    req: TaggedListReq,
) -> ApiResult {
    let rows: Vec<Value> = load(st, rc, &req.list, &req.tags, "weak_password")
        .await?
        .iter()
        .map(|f| {
            let e = &f.finding.evidence;
            let service = f.finding.service.clone().unwrap_or_default();
            let user = e.get("user").and_then(Value::as_str).unwrap_or("");
            let masked = e.get("password").and_then(Value::as_str).unwrap_or("");
            let port = f.finding.port.unwrap_or(0);
            merge(base(rc, f), json!({
                "Component": service, "Service": service, "PasswordType": service,
                "VULType": "weak_password", "VULURL": format!("{service}://{}:{port}", host(f)),
                "Fix": "Set a long random password (or key-based login), lock or remove default accounts, and restrict who can reach the service.",
                "Payload": format!("user `{user}` logs in with password {masked}; server answered: {}", e.get("server_answer").and_then(Value::as_str).unwrap_or("")),
                "Port": port,
            }))
        })
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[
            ("StatusLists", "Status"),
            ("LevelLists", "Level"),
            ("FromLists", "From"),
            ("InstanceTypeLists", "InstanceType"),
            ("PasswordTypeLists", "PasswordType"),
        ],
        &[
            "AffectAsset",
            "Level",
            "InstanceType",
            "Component",
            "Service",
            "RecentTime",
            "FirstTime",
            "Status",
            "Id",
            "PasswordType",
            "From",
            "Port",
        ],
    )
}

/// Check id, its protocol family, and fix advice of a configuration finding.
fn cfg_parts(f: &StoredFinding) -> (String, String, &'static str) {
    let id = f
        .finding
        .evidence
        .get("check")
        .and_then(Value::as_str)
        .unwrap_or("config")
        .to_string();
    let family = id.split('_').next().unwrap_or("config").to_string();
    let fix = match family.as_str() {
        "tls" => "Serve a certificate from a trusted CA that covers the host name and is in date, with a 2048-bit RSA or 256-bit EC key and a SHA-256 signature; allow only TLS 1.2 and 1.3 with AEAD cipher suites.",
        "ssh" => "Disable password logins (use keys), and remove weak key exchange, cipher and MAC algorithms from the server configuration.",
        "http" => "Disable TRACE, turn off directory listing and remove default installation pages.",
        _ => "Harden the service configuration.",
    };
    (id, family, fix)
}

fn cwe_url(f: &StoredFinding) -> String {
    f.finding
        .cwe
        .first()
        .and_then(|c| c.strip_prefix("CWE-"))
        .map(|n| format!("https://cwe.mitre.org/data/definitions/{n}.html"))
        .unwrap_or_default()
}

fn cfg_title(f: &StoredFinding) -> String {
    let t = &f.finding.title;
    t.split_once(": ")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| t.clone())
}

pub(super) async fn asset_cfg(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let rows: Vec<Value> = load(st, rc, &req.list, &req.tags, "config_risk")
        .await?
        .iter()
        .map(|f| {
            let (id, family, fix) = cfg_parts(f);
            let proof = f.finding.evidence.get("proof").map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            merge(base(rc, f), json!({
                "CFGName": id, "CheckType": family, "CFGSTD": f.finding.cwe.join(", "),
                "CFGDescribe": format!("{}:{} {}{}", host(f), f.finding.port.unwrap_or(0), cfg_title(f),
                    proof.map(|p| format!(" ({p})")).unwrap_or_default()),
                "CFGFix": fix, "CFGHelpURL": cwe_url(f), "ClbId": "",
            }))
        })
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[
            ("StatusLists", "Status"),
            ("LevelLists", "Level"),
            ("CFGNameLists", "CFGName"),
            ("CheckTypeLists", "CheckType"),
            ("InstanceTypeLists", "InstanceType"),
            ("FromLists", "From"),
        ],
        &[
            "Id",
            "CFGName",
            "CheckType",
            "InstanceId",
            "InstanceType",
            "AffectAsset",
            "Level",
            "FirstTime",
            "RecentTime",
            "From",
            "Status",
        ],
    )
}

pub(super) async fn cfg_view(st: &Services, rc: &RequestCtx, req: ListReq) -> ApiResult {
    let found = load(st, rc, &req, &[], "config_risk").await?;
    let mut groups: BTreeMap<String, Vec<&StoredFinding>> = BTreeMap::new();
    for f in &found {
        groups.entry(cfg_parts(f).0).or_default().push(f);
    }
    let (app_id, uin, nick) = owner(rc);
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(id, fs)| {
            let (_, family, fix) = cfg_parts(fs[0]);
            let worst: Option<Severity> = fs.iter().filter_map(|f| f.finding.severity).max();
            json!({
                "NoHandleCount": fs.iter().filter(|f| f.status == FindingStatus::Open).count(),
                "Level": level(worst),
                "RecentTime": fs.iter().map(|f| f.last_seen).max().map(time_str).unwrap_or_default(),
                "FirstTime": fs.iter().map(|f| f.first_seen).min().map(time_str).unwrap_or_default(),
                "AffectAssetCount": fs.len(), "Id": id, "From": "vigil", "Index": id,
                "AppId": app_id, "Nick": nick, "Uin": uin, "CFGName": id, "CheckType": family,
                "CFGSTD": fs[0].finding.cwe.join(", "), "CFGDescribe": cfg_title(fs[0]),
                "CFGFix": fix, "CFGHelpURL": cwe_url(fs[0]),
                // Not output fields of a check row: menus and filters over its risks.
                "Status": fs.iter().map(|f| status_code(f.status)).collect::<Vec<_>>(),
                "InstanceType": fs.iter().map(|f| instance_type(&host(f))).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = respond(
        rows,
        &req.filter,
        &[
            ("LevelLists", "Level"),
            ("CFGNameLists", "CFGName"),
            ("CheckTypeLists", "CheckType"),
            ("FromLists", "From"),
            ("StatusLists", "Status"),
            ("InstanceTypeLists", "InstanceType"),
        ],
        &[
            "Id",
            "CFGName",
            "CheckType",
            "Level",
            "FirstTime",
            "RecentTime",
            "NoHandleCount",
            "AffectAssetCount",
            "From",
            "Status",
            "InstanceType",
        ],
    )?;
    Ok(without(out, &["Status", "InstanceType"]))
}

pub(super) async fn servers(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let rows: Vec<Value> = load(st, rc, &req.list, &req.tags, "exposed_service")
        .await?
        .iter()
        .map(|f| {
            let e = &f.finding.evidence;
            let what = e.get("exposed").and_then(Value::as_str).unwrap_or("").to_string();
            let service = f.finding.service.clone().unwrap_or_default();
            let port = f.finding.port.unwrap_or(0);
            let proof = match e.get("proof") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let snapshot: String = proof.chars().take(2048).collect();
            let details = f.finding.description.clone().unwrap_or_default();
            let suggestion = "Require authentication, bind the service to internal interfaces, or allow only known clients in the firewall.";
            let strong = matches!(f.finding.severity, Some(Severity::High | Severity::Critical));
            let mut row = base(rc, f);
            if let Value::Object(m) = &mut row {
                m.remove("From");
            }
            merge(row, json!({
                "ServiceTag": what, "Port": port, "Protocol": "tcp", "Component": component(f),
                "Service": service, "RiskDetails": details, "Suggestion": suggestion,
                "ServiceSnapshot": snapshot, "Url": format!("{service}://{}:{port}", host(f)),
                "RiskList": [{"Title": f.finding.title, "Body": details}],
                "SuggestionList": [{"Title": "Restrict access", "Body": suggestion}],
                "StatusCode": "", "NewLevel": if strong { "high_risk" } else { "suspect" },
                "XspmStatus": status_code(f.status),
            }))
        })
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[("InstanceTypeLists", "InstanceType")],
        &[
            "ServiceTag",
            "Port",
            "AffectAsset",
            "InstanceType",
            "Level",
            "Protocol",
            "Component",
            "Service",
            "RecentTime",
            "FirstTime",
            "Status",
            "Id",
            "NewLevel",
        ],
    )
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct RiskKey {
    /// Risk id.
    #[param(max_len = 64)]
    id: String,
    /// Asset (informational).
    #[serde(rename = "PublicIPDomain")]
    #[param(max_len = 256)]
    #[allow(dead_code)]
    public_ip_domain: Option<String>,
    /// Instance (informational).
    #[param(max_len = 256)]
    #[allow(dead_code)]
    instance_id: Option<String>,
    /// AppId (must be the caller's).
    #[param(max_len = 32)]
    app_id: Option<String>,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StatusReq {
    /// Risks to change.
    #[param(max_items = 1000)]
    risk_status_keys: Vec<RiskKey>,
    /// 1 handled, 2 ignored, 3 undo handled, 4 undo ignored.
    #[param(one_of = [1, 2, 3, 4])]
    status: Option<i64>,
    /// 0 port, 1 vulnerability, 2 weak password, 3 web content, 4 configuration, 5 exposed
    /// service.
    #[serde(rename = "Type")]
    #[param(one_of = [0, 1, 2, 3, 4, 5])]
    kind: i64,
    #[serde(flatten)]
    members: Members,
}

pub(super) async fn set_status(st: &Services, rc: &RequestCtx, req: StatusReq) -> ApiResult {
    req.members.check()?;
    let kind = match req.kind {
        0 => "open_port",
        2 => "weak_password",
        4 => "config_risk",
        5 => "exposed_service",
        1 => vigil_core::spec::poc::KIND,
        _ => return Err(ApiError::unsupported("Web content risks (Type 3) come from scan item `webcontent`, which Vigil does not run yet.")),
    };
    // (new status, the status an undo applies to)
    let (status, undoes) = match req.status.ok_or_else(|| ApiError::missing("Status"))? {
        1 => (FindingStatus::Fixed, None),
        2 => (FindingStatus::Ignored, None),
        3 => (FindingStatus::Open, Some(FindingStatus::Fixed)),
        4 => (FindingStatus::Open, Some(FindingStatus::Ignored)),
        other => {
            return Err(ApiError::invalid_value(format!(
                "`Status` {other} is not a risk status; use 1 (handled), 2 (ignored), 3 (undo handled) or 4 (undo ignored)."
            )))
        }
    };
    if req.risk_status_keys.is_empty() {
        return Err(ApiError::invalid_value(
            "`RiskStatusKeys` must name at least one risk.",
        ));
    }
    let mut ids = Vec::new();
    for k in &req.risk_status_keys {
        if let Some(app) = k.app_id.as_deref().filter(|a| !a.is_empty()) {
            if app != rc.account.app_id.to_string() {
                return Err(ApiError::new(
                    Code::UnauthorizedOperation,
                    format!("Risk `{}` of AppId {app} is not the caller's.", k.id),
                ));
            }
        }
        let id =
            k.id.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::not_found(format!("Risk `{}` does not exist.", k.id)))?;
        ids.push(id);
    }
    let found = st.store.findings_by_ids(rc.account.id, &ids).await?;
    for id in &ids {
        match found.iter().find(|f| f.id == *id) {
            Some(f) if f.finding.kind == kind => {
                if let Some(from) = undoes.filter(|from| f.status != *from) {
                    return Err(ApiError::new(
                        Code::FailedOperation,
                        format!(
                            "Risk `{id}` is {}, not {}: there is nothing to undo.",
                            f.status.as_str(),
                            from.as_str()
                        ),
                    ));
                }
            }
            _ => {
                return Err(ApiError::not_found(format!(
                    "Risk `{id}` of type {} does not exist.",
                    req.kind
                )))
            }
        }
    }
    st.store
        .set_finding_status(rc.account.id, &ids, status)
        .await?;
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.ModifyRiskCenterRiskStatus",
            &format!("{} {}", status.as_str(), list.join(" ")),
        )
        .await?;
    Ok(json!({}))
}
