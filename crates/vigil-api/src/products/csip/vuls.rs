//! The vulnerability risks: `poc-vuln` findings of scan item `poc` rendered as CSIP's
//! vulnerability lists, per asset (one row per finding, its id the finding's, `POCId` the
//! template id, `VULURL` where it matched) and per vulnerability (one row per template, its
//! id the template id), each in two models: the RiskCenter actions
//! (`DescribeRiskCenterAssetViewVULRiskList`, `DescribeRiskCenterVULViewVULRiskList`: `Id`,
//! fix texts) and the newer ones (`DescribeAssetViewVulRiskList`,
//! `DescribeVulViewVulRiskList`: `RiskId`, `VulRiskId`, CVSS, tags, a `Tags` menu), rendered
//! by one builder per view. What the finding does not hold (type, component, references,
//! tags, CVSS) comes from the template in the catalogue, when it is still there. Statuses are
//! the findings' own, set with `ModifyRiskCenterRiskStatus` Type 1. `DescribeVULRiskDetail`
//! tells one vulnerability (a template id, or a per-asset row's id): fix, references,
//! description, component, and per day the assets it was first found on.

use super::assets::{host_tags, TaggedListReq};
use super::catalogue::{current, facts, Facts};
use super::risks::{base, load, merge, respond, severity_rank, without};
use super::Members;
use super::{level, owner};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
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

/// The two generations of CSIP's vulnerability views: the RiskCenter actions, and the newer
/// `DescribeAssetViewVulRiskList` / `DescribeVulViewVulRiskList`, whose rows name the risk
/// `RiskId` (with `VulRiskId` the template id), carry CVSS, tags and engine fields instead of
/// the fix texts, and whose responses add a `Tags` menu of the listed assets' tags.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Model {
    RiskCenter,
    Newer,
}

/// Hidden field of every row: the tags of its assets, for the newer models' `Tags` menu.
const ASSET_TAGS: &str = "AssetTags";

impl Model {
    /// The filter menus of a view: the shared ones, and for the newer models `Tags`.
    fn menus(self, shared: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut m = shared.to_vec();
        if self == Model::Newer {
            m.push(("Tags", ASSET_TAGS));
        }
        m
    }

    /// The filterable fields of a view: the shared ones, with the model's own (`older`
    /// those of the RiskCenter model).
    fn fields(self, shared: &[&'static str], older: &[&'static str]) -> Vec<&'static str> {
        let mut f = shared.to_vec();
        match self {
            Model::RiskCenter => f.extend(older),
            Model::Newer => f.extend(["RiskId", "VulRiskId", "VulTag", "CVSS", "EngineSource"]),
        }
        f
    }

    /// Fields the shared rows carry that this model's rows do not have.
    fn hidden(self, own: &[&'static str]) -> Vec<&'static str> {
        let mut h = vec![ASSET_TAGS];
        match self {
            Model::RiskCenter => h.extend(["VulTag", "CVSS"]),
            Model::Newer => h.extend(["Id", "Describe", "References", "Fix", "Service"]),
        }
        h.extend(own);
        h
    }

    /// The newer models' fields of a row on template `template`, risk `risk`
    /// (`CreateVulReScan` can check it again while its template is installed).
    fn extra(self, risk: &str, template: &str, level: &str, cat: Option<&Loaded>) -> Value {
        let again = cat.is_some_and(|c| c.compiled.contains_key(template));
        match self {
            Model::RiskCenter => json!({}),
            Model::Newer => json!({
                "RiskId": risk, "VulRiskId": template, "PCMGRId": "", "DisclosureTime": "",
                "AttackHeat": 0, "IsSuggest": i64::from(matches!(level, "extreme" | "high")),
                "HandleTaskId": "", "EngineSource": "vigil-poc", "TvdID": "", "IsOneClick": i64::from(again),
            }),
        }
    }
}

/// The fields a vulnerability row has in every view.
fn vul_fields(f: &StoredFinding, cat: Option<&Loaded>) -> Value {
    let e = evidence(f);
    let id = template_id(f, &e);
    let Facts {
        vul_type,
        component,
        references,
        fix,
        describe,
        tags,
        cvss,
    } = facts(cat, &id).unwrap_or(Facts {
        vul_type: "other".into(),
        component: String::new(),
        references: String::new(),
        fix: String::new(),
        describe: String::new(),
        tags: Vec::new(),
        cvss: None,
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
        "EMGCVulType": 0, "Service": e.protocol, "VulTag": tags, "CVSS": cvss,
    })
}

/// The tags of the hosts of `fs`, each once.
fn tags_of(fs: &[&StoredFinding], tags: &HashMap<String, Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = fs
        .iter()
        .filter_map(|f| tags.get(f.finding.host.as_deref().unwrap_or("")))
        .flatten()
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(super) async fn asset_view(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    asset_list(st, rc, req, Model::RiskCenter).await
}

pub(super) async fn asset_view_newer(
    st: &Services,
    rc: &RequestCtx,
    req: TaggedListReq,
) -> ApiResult {
    asset_list(st, rc, req, Model::Newer).await
}

/// The per-asset view in either model: one row per finding.
async fn asset_list(st: &Services, rc: &RequestCtx, req: TaggedListReq, model: Model) -> ApiResult {
    let cat = current(st).await?;
    let found = load(st, rc, &req.list, &req.tags, KIND).await?;
    let tags = host_tags(st, rc).await?;
    let rows: Vec<Value> = found
        .iter()
        .map(|f| {
            let row = merge(base(rc, f), vul_fields(f, cat.as_deref()));
            let template = row["POCId"].as_str().unwrap_or("").to_string();
            let lvl = level(f.finding.severity);
            merge(
                merge(
                    row,
                    model.extra(&f.id.to_string(), &template, lvl, cat.as_deref()),
                ),
                json!({
                    "CWPVersion": 0, "IsSupportRepair": false, "IsSupportDetect": true,
                    "InstanceUUID": "", "LogId": "", "TaskId": "", "IsPOC": 1,
                    ASSET_TAGS: tags_of(&[f], &tags),
                }),
            )
        })
        .collect();
    let out = respond(
        rows,
        &req.list.filter,
        &model.menus(&[
            ("StatusLists", "Status"),
            ("LevelLists", "Level"),
            ("FromLists", "From"),
            ("VULTypeLists", "VULType"),
            ("InstanceTypeLists", "InstanceType"),
        ]),
        &model.fields(
            &[
                "AffectAsset",
                "Level",
                "InstanceType",
                "Component",
                "RecentTime",
                "FirstTime",
                "Status",
                "VULType",
                "Port",
                "VULURL",
                "VULName",
                "CVE",
                "POCId",
                "From",
            ],
            &["Id", "Service"],
        ),
    )?;
    let own: &[&str] = match model {
        // The RiskCenter rows have no newer fields; the newer ones not these.
        Model::RiskCenter => &["LogId", "TaskId", "IsPOC"],
        Model::Newer => &["IsSupportRepair", "IsSupportDetect"],
    };
    Ok(without(out, &model.hidden(own)))
}

pub(super) async fn vul_view(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    vul_list(st, rc, req, Model::RiskCenter).await
}

pub(super) async fn vul_view_newer(
    st: &Services,
    rc: &RequestCtx,
    req: TaggedListReq,
) -> ApiResult {
    vul_list(st, rc, req, Model::Newer).await
}

/// The per-vulnerability view in either model: one row per template.
async fn vul_list(st: &Services, rc: &RequestCtx, req: TaggedListReq, model: Model) -> ApiResult {
    let cat = current(st).await?;
    let found = load(st, rc, &req.list, &req.tags, KIND).await?;
    let tags = host_tags(st, rc).await?;
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
            let row = merge(
                row.take(),
                json!({
                    "Id": id, "Index": id, "Level": worst, "Port": ports.join(","),
                    "NoHandleCount": fs.iter().filter(|f| f.status == FindingStatus::Open).count(),
                    "AffectAssetCount": hosts.len(),
                    "RecentTime": fs.iter().map(|f| f.last_seen).max().map(time_str).unwrap_or_default(),
                    "FirstTime": fs.iter().map(|f| f.first_seen).min().map(time_str).unwrap_or_default(),
                    "From": "vigil", "VULURL": urls.join("\n"),
                    "AppId": app_id, "Uin": uin, "Nick": nick,
                    ASSET_TAGS: tags_of(&fs, &tags),
                }),
            );
            merge(row, model.extra(&id, &id, worst, cat.as_deref()))
        })
        .collect();
    let out = respond(
        rows,
        &req.list.filter,
        &model.menus(&[
            ("LevelLists", "Level"),
            ("FromLists", "From"),
            ("VULTypeLists", "VULType"),
        ]),
        &model.fields(
            &[
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
            &["Id"],
        ),
    )?;
    // Fields of the per-asset rows no per-vulnerability model has.
    Ok(without(out, &model.hidden(&["POCId", "Service"])))
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
