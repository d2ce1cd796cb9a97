//! The vulnerability risks: `poc-vuln` findings of scan item `poc` rendered as CSIP's
//! vulnerability lists, per asset (`DescribeRiskCenterAssetViewVULRiskList`: one row per
//! finding, `Id` its id, `POCId` the template id, `VULURL` where it matched) and per
//! vulnerability (`DescribeRiskCenterVULViewVULRiskList`: one row per template, `Id` the
//! template id). What the finding does not hold (type, component, references) comes from
//! the template in the catalogue, when it is still there. Statuses are the findings' own,
//! set with `ModifyRiskCenterRiskStatus` Type 1. `DescribeVULRiskDetail` tells one
//! vulnerability (a template id, or a per-asset row's id): fix, references, description,
//! component, and per day the assets it was first found on.

use super::assets::TaggedListReq;
use super::catalogue::{current, facts, Facts};
use super::risks::{base, load, merge, respond, severity_rank};
use super::Members;
use super::{level, owner};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use vigil_core::spec::poc::{PocEvidence, KIND};
use vigil_core::FindingStatus;
use vigil_engine_poc::Loaded;
use vigil_store::StoredFinding;

/// Most characters of a request shown as `Payload`.
const PAYLOAD_CHARS: usize = 4096;

fn evidence(f: &StoredFinding) -> PocEvidence {
    serde_json::from_value(f.finding.evidence.clone()).unwrap_or_default()
}

/// The template id of a finding (its identity's first part, else its evidence's).
fn template_id(f: &StoredFinding, e: &PocEvidence) -> String {
    f.finding
        .identity
        .first()
        .cloned()
        .unwrap_or_else(|| e.template_id.clone())
}

/// The fields a vulnerability row has in both views.
fn vul_fields(f: &StoredFinding, cat: Option<&Loaded>) -> Value {
    let e = evidence(f);
    let id = template_id(f, &e);
    let Facts {
        vul_type,
        component,
        references,
        fix,
        describe,
    } = facts(cat, &id).unwrap_or(Facts {
        vul_type: "other".into(),
        component: String::new(),
        references: String::new(),
        fix: String::new(),
        describe: String::new(),
    });
    let references = if e.references.is_empty() {
        references
    } else {
        e.references.join("\n")
    };
    let fix = if e.remediation.is_empty() {
        fix
    } else {
        e.remediation.clone()
    };
    let describe = f.finding.description.clone().unwrap_or(describe);
    json!({
        "POCId": id, "VULName": f.finding.title, "VULType": vul_type, "Component": component,
        "AppName": component, "AppVersion": "", "References": references, "Fix": fix,
        "Describe": describe, "VULURL": e.matched_at, "CVE": f.finding.cve.join(","),
        "Payload": e.request.chars().take(PAYLOAD_CHARS).collect::<String>(),
        "Port": f.finding.port.map(|p| p.to_string()).unwrap_or_default(),
        "EMGCVulType": 0, "Service": e.protocol,
    })
}

pub(super) async fn asset_view(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let cat = current(st).await?;
    let rows: Vec<Value> = load(st, rc, &req.list, &req.tags, KIND)
        .await?
        .iter()
        .map(|f| {
            merge(
                merge(base(rc, f), vul_fields(f, cat.as_deref())),
                json!({
                    "CWPVersion": 0, "IsSupportRepair": false, "IsSupportDetect": true,
                    "InstanceUUID": "",
                }),
            )
        })
        .collect();
    respond(
        rows,
        &req.list.filter,
        &[
            ("StatusLists", "Status"),
            ("LevelLists", "Level"),
            ("FromLists", "From"),
            ("VULTypeLists", "VULType"),
            ("InstanceTypeLists", "InstanceType"),
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
            "VULType",
            "Port",
            "VULURL",
            "VULName",
            "CVE",
            "POCId",
            "From",
        ],
    )
}

pub(super) async fn vul_view(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    let cat = current(st).await?;
    let found = load(st, rc, &req.list, &req.tags, KIND).await?;
    let mut groups: BTreeMap<String, Vec<&StoredFinding>> = BTreeMap::new();
    for f in &found {
        groups
            .entry(template_id(f, &evidence(f)))
            .or_default()
            .push(f);
    }
    let (app_id, uin, nick) = owner(rc);
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(id, fs)| {
            let mut row = vul_fields(fs[0], cat.as_deref());
            let worst = fs
                .iter()
                .map(|f| level(f.finding.severity))
                .max_by_key(|l| severity_rank(l))
                .unwrap_or("info");
            let mut ports: Vec<String> = fs
                .iter()
                .filter_map(|f| f.finding.port.map(|p| p.to_string()))
                .collect();
            ports.sort();
            ports.dedup();
            let mut hosts: Vec<&str> = fs.iter().filter_map(|f| f.finding.host.as_deref()).collect();
            hosts.sort();
            hosts.dedup();
            let urls: Vec<String> = fs.iter().map(|f| evidence(f).matched_at).collect();
            merge(
                row.take(),
                json!({
                    "Id": id, "Index": id, "Level": worst, "Port": ports.join(","),
                    "NoHandleCount": fs.iter().filter(|f| f.status == FindingStatus::Open).count(),
                    "AffectAssetCount": hosts.len(),
                    "RecentTime": fs.iter().map(|f| f.last_seen).max().map(time_str).unwrap_or_default(),
                    "FirstTime": fs.iter().map(|f| f.first_seen).min().map(time_str).unwrap_or_default(),
                    "From": "vigil", "VULURL": urls.join("\n"),
                    "AppId": app_id, "Uin": uin, "Nick": nick,
                }),
            )
        })
        .collect();
    let out = respond(
        rows,
        &req.list.filter,
        &[
            ("LevelLists", "Level"),
            ("FromLists", "From"),
            ("VULTypeLists", "VULType"),
        ],
        &[
            "Id",
            "Level",
            "Component",
            "RecentTime",
            "FirstTime",
            "NoHandleCount",
            "AffectAssetCount",
            "VULType",
            "VULName",
            "CVE",
            "From",
            "Port",
        ],
    )?;
    // Fields of the per-asset rows this model does not have.
    Ok(super::risks::without(out, &["POCId", "Service"]))
}

/// The parameters of `DescribeVULRiskDetail`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DetailReq {
    #[serde(flatten)]
    members: Members,
    /// A template id (`Id` of the per-vulnerability view, `POCId` of the per-asset view) or
    /// the `Id` of a per-asset row.
    #[param(max_len = 256)]
    risk_id: String,
    /// Host security's id (not used: Vigil has no host agents).
    #[serde(rename = "PCMGRId")]
    #[param(max_len = 256)]
    #[allow(dead_code)]
    pcmgr_id: Option<String>,
}

pub(super) async fn detail(st: &Services, rc: &RequestCtx, req: DetailReq) -> ApiResult {
    req.members.check()?;
    let cat = current(st).await?;
    let found = st.store.findings_of_kinds(rc.account.id, &[KIND]).await?;
    let raw = req.risk_id.trim();
    let missing = || ApiError::not_found(format!("Vulnerability `{raw}` does not exist."));
    if raw.is_empty() {
        return Err(ApiError::missing("RiskId"));
    }
    let by_row = raw
        .parse::<i64>()
        .ok()
        .and_then(|n| found.iter().find(|f| f.id == n))
        .map(|f| template_id(f, &evidence(f)));
    let id = by_row.unwrap_or_else(|| raw.to_string());
    let mine: Vec<&StoredFinding> = found
        .iter()
        .filter(|f| template_id(f, &evidence(f)) == id)
        .collect();
    let known = facts(cat.as_deref(), &id);
    if mine.is_empty() && known.is_none() {
        return Err(missing());
    }
    let row = match mine.first() {
        Some(f) => vul_fields(f, cat.as_deref()),
        None => json!({}),
    };
    let text = |k: &str, alt: &dyn Fn(&Facts) -> String| {
        row.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .or_else(|| known.as_ref().map(alt))
            .unwrap_or_default()
    };
    let component = text("Component", &|f| f.component.clone());
    let mut days: BTreeMap<String, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for f in &mine {
        let day: String = time_str(f.first_seen).chars().take(10).collect();
        days.entry(day)
            .or_default()
            .insert(f.finding.host.as_deref().unwrap_or(""));
    }
    Ok(json!({
        "ServiceSupport": [],
        "VulTrend": days.into_iter().map(|(d, hosts)| json!({
            "AffectAssetCount": hosts.len(), "AffectUserCount": 1, "AttackCount": 0, "Date": d,
        })).collect::<Vec<_>>(),
        "VulData": {
            "Fix": text("Fix", &|f| f.fix.clone()),
            "References": text("References", &|f| f.references.clone()),
            "Describe": text("Describe", &|f| f.describe.clone()),
            "ImpactComponent": if component.is_empty() { vec![] } else {
                vec![json!({"Component": component, "Version": ""})]
            },
        },
        "QuestionId": "", "SessionId": "",
    }))
}
