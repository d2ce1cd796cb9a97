//! Scan item `poc` of a risk scan task: the `poc` engine's task over the task's targets
//! (addresses and domain names as `host` targets, which the engine reads as `http://host`,
//! URLs of `SelfDefiningAssets` as given, ranges as their addresses), with the templates
//! `TaskAdvanceCFG.VulRisk` selects: an entry's `RiskId` is a template id; entries with
//! `Enable` 0 are never run; when any entry has `Enable` 1, the list is read as CSIP's
//! console sends it (the full list of checks with their switches) and only the enabled
//! ones run; with none enabled, every template but the disabled ones runs.

use super::assets::{parse_asset, AssetKind};
use super::catalogue::{required, unknown};
use super::NAME;
use crate::error::{ApiError, ApiResult};
use crate::Services;
use vigil_core::spec::poc::{PocOptions, PocTarget, KIND};
use vigil_core::spec::{EngineSpec, RunOptions};
use vigil_core::TaskSpec;

/// Most addresses a range of a poc task stands for.
const MAX_RANGE: u128 = 1024;

/// The poc task of a CSIP task: `VulRisk` entries (`RiskId`, `Enable`), its
/// `SelfDefiningAssets` (`raw`, empty for registered assets) and hosts, and the finish
/// webhook when it leads the run.
pub(super) async fn spec(
    st: &Services,
    entries: &[(Option<String>, Option<i64>)],
    raw: &[String],
    hosts: &[String],
    webhook: Option<String>,
) -> ApiResult<TaskSpec> {
    let cat = required(st).await?;
    let options = options(entries, &|ids| unknown(cat.as_deref(), ids))?;
    let engine = EngineSpec::Poc(targets(raw, hosts)?, options);
    let run = RunOptions {
        finding_kinds: Some(vec![KIND.to_string()]),
        finish_webhook: webhook,
        ..RunOptions::default()
    };
    TaskSpec::new(NAME, &engine, &run).map_err(|e| ApiError::internal(&e))
}

/// The template selection of `VulRisk` entries (`RiskId`, `Enable`); ids are checked
/// against the catalogue by `known`, which answers the ids it does not know.
pub(super) fn options(
    entries: &[(Option<String>, Option<i64>)],
    known: &dyn Fn(&[String]) -> Vec<String>,
) -> ApiResult<PocOptions> {
    let mut ids = Vec::new();
    let mut exclude_ids = Vec::new();
    for (id, enable) in entries {
        let id = id
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .ok_or_else(|| ApiError::missing("TaskAdvanceCFG.VulRisk.RiskId"))?;
        let list = if *enable == Some(0) {
            &mut exclude_ids
        } else if *enable == Some(1) {
            &mut ids
        } else {
            return Err(ApiError::missing("TaskAdvanceCFG.VulRisk.Enable"));
        };
        if !list.iter().any(|i: &String| i == id) {
            list.push(id.to_string());
        }
    }
    let all: Vec<String> = ids.iter().chain(exclude_ids.iter()).cloned().collect();
    let unknown = known(&all);
    if !unknown.is_empty() {
        return Err(ApiError::invalid_value(format!(
            "`TaskAdvanceCFG.VulRisk.RiskId` names no check: {}; DescribeVULRiskAdvanceCFGList lists them.",
            unknown.join(", ")
        )));
    }
    exclude_ids.retain(|e| !ids.contains(e));
    Ok(PocOptions {
        ids,
        exclude_ids,
        ..PocOptions::default()
    })
}

/// The poc targets of a task: its URLs as given (for `SelfDefiningAssets`), otherwise its
/// hosts; a range stands for its addresses (at most [`MAX_RANGE`]).
pub(super) fn targets(raw: &[String], hosts: &[String]) -> ApiResult<PocTarget> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    let from: Vec<&String> = if raw.is_empty() {
        hosts.iter().collect()
    } else {
        raw.iter().collect()
    };
    for t in from {
        let t = t.trim();
        let (value, kind, _) = parse_asset(t, true)?;
        if t.contains("://") {
            let u = url::Url::parse(t)
                .map_err(|e| ApiError::invalid_value(format!("`{t}` is not a URL: {e}.")))?;
            if u.scheme() != "http" && u.scheme() != "https" {
                return Err(ApiError::invalid_value(format!(
                    "`{t}`: scan item poc checks http and https URLs."
                )));
            }
            push(t.to_string());
            continue;
        }
        match kind {
            AssetKind::Net => {
                let net: ipnet::IpNet = value.parse().map_err(|_| {
                    ApiError::invalid_value(format!("`{t}` is not an address range."))
                })?;
                let size = 1u128 << (net.max_prefix_len() - net.prefix_len()).min(127);
                if size > MAX_RANGE {
                    return Err(ApiError::invalid_value(format!(
                        "`{t}` is too large a range for scan item poc (at most {MAX_RANGE} addresses)."
                    )));
                }
                for a in net.hosts() {
                    push(a.to_string());
                }
            }
            AssetKind::Ip if value.contains(':') => push(format!("[{value}]")),
            _ => push(value),
        }
    }
    Ok(PocTarget { targets: out })
}

/// Whether poc target `t` lies on one of `hosts` (addresses, domains or ranges).
pub(super) fn on_hosts(t: &str, hosts: &[String]) -> bool {
    let Ok((host, _, _)) = parse_asset(t, true) else {
        return false;
    };
    let ip = host.parse::<std::net::IpAddr>().ok();
    hosts.iter().any(|h| {
        *h == host
            || (ip.is_some_and(|ip| {
                h.parse::<ipnet::IpNet>()
                    .is_ok_and(|n: ipnet::IpNet| n.contains(&ip))
            }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &[String]) -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn vul_risk_selects_templates() {
        let e = |id: &str, en| (Some(id.to_string()), Some(en));
        let o = options(&[e("a", 0), e("b", 0)], &none).unwrap();
        assert!(o.ids.is_empty());
        assert_eq!(o.exclude_ids, vec!["a", "b"]);
        let o = options(&[e("a", 1), e("b", 0), e("a", 1)], &none).unwrap();
        assert_eq!((o.ids, o.exclude_ids), (vec!["a".into()], vec!["b".into()]));
        let unknown = |ids: &[String]| ids.iter().filter(|i| *i == "zz").cloned().collect();
        let err = options(&[e("zz", 0)], &unknown).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert_eq!(
            options(&[(None, Some(1))], &none).unwrap_err().code,
            "MissingParameter"
        );
    }

    #[test]
    fn targets_of_a_task() {
        let t = targets(
            &[
                "http://127.0.0.2:8080/app".into(),
                "10.0.0.0/30".into(),
                "example.com".into(),
                "::1".into(),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            t.targets,
            vec![
                "http://127.0.0.2:8080/app",
                "10.0.0.1",
                "10.0.0.2",
                "example.com",
                "[::1]"
            ]
        );
        assert_eq!(
            targets(&["10.0.0.0/8".into()], &[]).unwrap_err().code,
            "InvalidParameterValue"
        );
        let hosts = targets(&[], &["a.example".into()]).unwrap();
        assert_eq!(hosts.targets, vec!["a.example"]);
        assert!(on_hosts("http://127.0.0.2:8080/x", &["127.0.0.2".into()]));
        assert!(on_hosts("10.0.0.2", &["10.0.0.0/30".into()]));
        assert!(!on_hosts("10.0.0.9", &["10.0.0.0/30".into()]));
    }
}
