//! `CreateVulReScan`: check vulnerabilities again. `VulId` names per-asset vulnerability
//! rows (`poc-vuln` findings, the `RiskId` of `DescribeAssetViewVulRiskList`); each of their
//! templates runs again as a poc task on the targets it matched (the finding's input URL,
//! else its host), only those in `AssetList` when it is given. The run is compared with the
//! findings' own group (their scope key), so a finding it no longer matches is marked fixed,
//! as after the scan that found it. `KbNo` (patches of host vulnerabilities, which come from
//! host agents) is refused.

use super::assets::parse_asset;
use super::catalogue::{required, unknown};
use super::tasks::unauthorised;
use super::{poc, Members, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use vigil_core::spec::poc::PocOptions;
use vigil_core::spec::poc::{PocEvidence, KIND};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::TaskSpec;

/// The parameters of `CreateVulReScan`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RescanReq {
    /// Vulnerability rows to check again (`RiskId` of the per-asset views).
    #[serde(default)]
    #[param(max_items = 100)]
    vul_id: Vec<i64>,
    /// Patch numbers (not supported: host vulnerabilities come from host agents).
    #[serde(default)]
    #[param(max_items = 100)]
    kb_no: Vec<String>,
    #[serde(flatten)]
    members: Members,
    /// Only these assets (addresses or domain names) of the vulnerabilities.
    #[serde(default)]
    #[param(max_items = 1000)]
    asset_list: Vec<String>,
}

/// What one finding is rescanned on: its input URL, else its host.
fn target(f: &vigil_store::StoredFinding) -> Option<String> {
    f.finding
        .url
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| f.finding.host.clone())
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, req: RescanReq) -> ApiResult {
    req.members.check()?;
    if req.kb_no.iter().any(|k| !k.trim().is_empty()) {
        return Err(ApiError::unsupported(
            "`KbNo` names patches of host vulnerabilities, which come from host agents; Vigil rechecks the vulnerabilities of scan item poc by `VulId`.",
        ));
    }
    if req.vul_id.is_empty() {
        return Err(ApiError::missing("VulId"));
    }
    let mut assets = Vec::new();
    for a in &req.asset_list {
        assets.push(parse_asset(a, false)?.0);
    }
    let found = st.store.findings_by_ids(rc.account.id, &req.vul_id).await?;
    // Targets of each (template, scope key), in the order the ids came.
    let mut runs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut hosts: Vec<String> = Vec::new();
    for id in &req.vul_id {
        let f = found
            .iter()
            .find(|f| f.id == *id && f.finding.kind == KIND)
            .ok_or_else(|| ApiError::not_found(format!("Vulnerability `{id}` does not exist.")))?;
        let host = f.finding.host.clone().unwrap_or_default();
        if !assets.is_empty() && !assets.contains(&host) {
            continue;
        }
        let e: PocEvidence = serde_json::from_value(f.finding.evidence.clone()).unwrap_or_default();
        let template = f.finding.identity.first().cloned().unwrap_or(e.template_id);
        let Some(t) = target(f) else { continue };
        let list = runs.entry((template, f.scope_key.clone())).or_default();
        if !list.contains(&t) {
            list.push(t);
        }
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if runs.is_empty() {
        return Err(ApiError::invalid_value(
            "None of the `VulId` vulnerabilities is on an asset of `AssetList`.",
        ));
    }
    let cat = required(st).await?;
    let mut ids: Vec<String> = runs.keys().map(|(t, _)| t.clone()).collect();
    ids.dedup();
    let gone = unknown(cat.as_deref(), &ids);
    if !gone.is_empty() {
        return Err(ApiError::new(
            Code::FailedOperation,
            format!(
                "The checks of {} are no longer installed, so they cannot run again.",
                gone.join(", ")
            ),
        ));
    }
    let denied = unauthorised(st, rc.account.id, &hosts).await?;
    if !denied.is_empty() {
        return Err(ApiError::new(
            Code::UnauthorizedOperation,
            format!("The account may no longer scan: {}.", denied.join(", ")),
        ));
    }
    let n = i64::try_from(runs.len()).unwrap_or(i64::MAX);
    crate::products::check_quota(st, rc.account.id, NAME, n).await?;
    let mut started = Vec::new();
    for ((template, scope), targets) in &runs {
        let engine = EngineSpec::Poc(
            poc::targets(targets, &[])?,
            PocOptions {
                ids: vec![template.clone()],
                ..PocOptions::default()
            },
        );
        let run = RunOptions {
            finding_kinds: Some(vec![KIND.to_string()]),
            scope_key: Some(scope.clone()),
            ..RunOptions::default()
        };
        let spec = TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))?;
        let id = st
            .store
            .enqueue(&vigil_store::NewTask {
                account_id: rc.account.id,
                spec,
                run_after: 0,
                schedule_id: None,
            })
            .await?;
        started.push(id.to_string());
    }
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.CreateVulReScan",
            &format!(
                "vulnerabilities {:?}: runs {}",
                req.vul_id,
                started.join(" ")
            ),
        )
        .await?;
    Ok(json!({}))
}
