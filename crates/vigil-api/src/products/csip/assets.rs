//! The account's assets: public IP addresses and domain names registered with
//! `CreateDomainAndIp`, listed with their risk counts and verification state.

use super::listing::{apply, choices, ListReq, Listing};
use super::{instance_type, owner, tag_pairs, Members, Tag, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::Params;
use crate::products::ownership::effective_status;
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use vigil_core::FindingStatus;
use vigil_store::Asset;

/// Kind of an asset string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AssetKind {
    /// An address.
    Ip,
    /// A range (scan targets only, not registrable).
    Net,
    /// A domain name.
    Domain,
}

/// Check and normalise an asset or scan target: an address, a CIDR range (when
/// `ranges`), a domain name, or a URL (its host). Returns (value, kind, explicit port).
pub(super) fn parse_asset(raw: &str, ranges: bool) -> ApiResult<(String, AssetKind, Option<u16>)> {
    let t = raw.trim();
    let bad = |why: &str| ApiError::invalid_value(format!("`{raw}` is not a usable asset: {why}."));
    if t.is_empty() || t.len() > 2048 {
        return Err(bad("it is empty or too long"));
    }
    if t.contains("://") {
        let u = url::Url::parse(t).map_err(|e| bad(&e.to_string()))?;
        let host = u.host_str().ok_or_else(|| bad("the URL has no host"))?;
        let (v, k, _) = parse_asset(host.trim_start_matches('[').trim_end_matches(']'), false)?;
        return Ok((v, k, u.port()));
    }
    let bare = t.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok((ip.to_string(), AssetKind::Ip, None));
    }
    if let Ok(net) = t.parse::<ipnet::IpNet>() {
        if !ranges {
            return Err(bad("ranges cannot be registered; register addresses"));
        }
        if net.prefix_len() == net.max_prefix_len() {
            return Ok((net.addr().to_string(), AssetKind::Ip, None));
        }
        return Ok((net.trunc().to_string(), AssetKind::Net, None));
    }
    if t.contains('*') || t.contains('/') {
        return Err(bad("it is neither an address, a range nor a domain name"));
    }
    match t.parse::<vigil_engine::ScopeRule>() {
        Ok(vigil_engine::ScopeRule::Domain(d)) if d.contains('.') || d == "localhost" => {
            Ok((d, AssetKind::Domain, None))
        }
        _ => Err(bad("it is neither an address, a range nor a domain name")),
    }
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateReq {
    /// Public IP addresses and domain names.
    #[param(max_items = 1000)]
    content: Vec<String>,
    #[serde(flatten)]
    members: Members,
    /// Tags of the new assets.
    #[serde(default)]
    #[param(max_items = 50)]
    tags: Vec<Tag>,
}

pub(super) async fn create(st: &Services, rc: &RequestCtx, req: CreateReq) -> ApiResult {
    req.members.check()?;
    if req.content.is_empty() {
        return Err(ApiError::invalid_value(
            "`Content` must name at least one asset.",
        ));
    }
    let mut new = Vec::new();
    for raw in &req.content {
        let (value, kind, _) = parse_asset(raw, false)?;
        if kind == AssetKind::Ip {
            if let Ok(ip) = value.parse::<IpAddr>() {
                if let vigil_engine::Decision::Denied(why) = st.scope.check_ip(ip, None) {
                    return Err(ApiError::new(
                        Code::UnauthorizedOperation,
                        format!("`{value}` cannot be an asset here: {why}."),
                    ));
                }
            }
        }
        let k = if kind == AssetKind::Ip {
            "ip"
        } else {
            "domain"
        };
        if !new.iter().any(|(_, v): &(String, String)| *v == value) {
            new.push((k.to_string(), value));
        }
    }
    let have = st.store.list_assets(rc.account.id, None).await?.len() as i64;
    if have + new.len() as i64 > st.config.max_assets {
        return Err(ApiError::new(
            Code::LimitExceeded,
            format!(
                "An account may register at most {} assets; it has {have}.",
                st.config.max_assets
            ),
        ));
    }
    let n = st
        .store
        .add_assets(rc.account.id, &new, &tag_pairs(&req.tags))
        .await?;
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.CreateDomainAndIp",
            &req.content.join(" "),
        )
        .await?;
    Ok(json!({"Data": n}))
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
struct AssetKey {
    /// The address or domain.
    #[param(max_len = 253)]
    asset: String,
}

#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteReq {
    #[serde(flatten)]
    members: Members,
    /// Assets to remove.
    #[serde(default)]
    #[param(max_items = 1000)]
    content: Vec<AssetKey>,
    /// Accepted for compatibility; Vigil keeps no path settings.
    #[allow(dead_code)]
    retain_path: Option<i64>,
    /// Accepted for compatibility; removed assets are not re-discovered.
    #[allow(dead_code)]
    ignore_asset: Option<i64>,
    /// Accepted for compatibility.
    #[serde(default)]
    #[param(max_items = 50)]
    #[allow(dead_code)]
    tags: Vec<Tag>,
    /// ALL removes every asset and ignores Content.
    #[serde(rename = "Type")]
    #[param(max_len = 16)]
    kind: Option<String>,
}

pub(super) async fn delete(st: &Services, rc: &RequestCtx, req: DeleteReq) -> ApiResult {
    req.members.check()?;
    let n = if req.kind.as_deref() == Some("ALL") {
        st.store.remove_assets(rc.account.id, None).await?
    } else {
        if req.content.is_empty() {
            return Err(ApiError::missing("Content"));
        }
        let mut values = Vec::new();
        for k in &req.content {
            values.push(parse_asset(&k.asset, false)?.0);
        }
        st.store.remove_assets(rc.account.id, Some(&values)).await?
    };
    st.store
        .audit(
            Some(rc.account.id),
            &rc.request_id,
            "csip.DeleteDomainAndIp",
            &n.to_string(),
        )
        .await?;
    Ok(json!({"Data": n}))
}

/// The parameters of a list of assets or of their risks: `MemberId`, `Filter` and `Tags`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TaggedListReq {
    #[serde(flatten)]
    pub(super) list: ListReq,
    /// Only assets carrying one of these tags.
    #[serde(default)]
    #[param(max_items = 50)]
    pub(super) tags: Vec<Tag>,
}

/// Hosts carrying one of `tags`; `None` when no tags were asked for.
pub(super) async fn tagged_hosts(
    st: &Services,
    rc: &RequestCtx,
    tags: &[Tag],
) -> ApiResult<Option<Vec<String>>> {
    let want = tag_pairs(tags);
    if want.is_empty() {
        return Ok(None);
    }
    let assets = st.store.list_assets(rc.account.id, None).await?;
    Ok(Some(
        assets
            .into_iter()
            .filter(|a| a.tags.iter().any(|t| want.contains(t)))
            .map(|a| a.value)
            .collect(),
    ))
}

/// The tags of each registered host, each as `key:value` (for the `Tags` menus of the
/// newer risk views).
pub(super) async fn host_tags(
    st: &Services,
    rc: &RequestCtx,
) -> ApiResult<HashMap<String, Vec<String>>> {
    Ok(st
        .store
        .list_assets(rc.account.id, None)
        .await?
        .into_iter()
        .map(|a| {
            let tags = a.tags.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            (a.value, tags)
        })
        .collect())
}

/// Active risk counts and last scan time of each host.
#[derive(Default)]
struct HostRisks {
    ports: i64,
    weak: i64,
    cfg: i64,
    exposed: i64,
    vuls: i64,
    last_seen: i64,
}

async fn risks_by_host(st: &Services, rc: &RequestCtx) -> ApiResult<HashMap<String, HostRisks>> {
    let found = st
        .store
        .findings_of_kinds(
            rc.account.id,
            &[
                "open_port",
                "weak_password",
                "config_risk",
                "exposed_service",
                vigil_core::spec::poc::KIND,
            ],
        )
        .await?;
    let mut out: HashMap<String, HostRisks> = HashMap::new();
    for f in found {
        let Some(host) = f.finding.host.clone() else {
            continue;
        };
        let r = out.entry(host).or_default();
        r.last_seen = r.last_seen.max(f.last_seen);
        if f.status != FindingStatus::Open {
            continue;
        }
        match f.finding.kind.as_str() {
            "open_port" => r.ports += 1,
            "weak_password" => r.weak += 1,
            "config_risk" => r.cfg += 1,
            "exposed_service" => r.exposed += 1,
            _ => r.vuls += 1,
        }
    }
    Ok(out)
}

/// How many saved tasks of the account target each host.
async fn tasks_by_host(st: &Services, rc: &RequestCtx) -> ApiResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for job in st.store.list_jobs(rc.account.id, NAME).await? {
        if let Some(targets) = job.definition.get("Targets").and_then(Value::as_array) {
            for t in targets.iter().filter_map(Value::as_str) {
                *out.entry(t.to_string()).or_insert(0) += 1;
            }
        }
    }
    Ok(out)
}

async fn verify_status(
    st: &Services,
    rc: &RequestCtx,
    assets: &[Asset],
) -> ApiResult<HashMap<String, (i64, String)>> {
    let hosts: Vec<String> = assets.iter().map(|a| a.value.clone()).collect();
    let rows = st.store.verifications(rc.account.id, &hosts).await?;
    let mut out: HashMap<String, (i64, String)> = rows
        .iter()
        .map(|v| {
            (
                v.domain.clone(),
                (i64::from(effective_status(v) == 1), v.token.clone()),
            )
        })
        .collect();
    for a in assets {
        if st.scope.names_trusted(&a.value) {
            out.entry(a.value.clone()).or_insert((1, String::new())).0 = 1;
        }
    }
    Ok(out)
}

fn tags_json(a: &Asset) -> Vec<Value> {
    a.tags
        .iter()
        .map(|(k, v)| json!({"Name": k, "Value": v}))
        .collect()
}

fn is_new(a: &Asset) -> i64 {
    i64::from(vigil_core::now_millis() - a.created_at < 7 * 86_400_000)
}

async fn listing(st: &Services, rc: &RequestCtx, req: TaggedListReq, kind: &str) -> ApiResult {
    req.list.members.check()?;
    let tagged = tagged_hosts(st, rc, &req.tags).await?;
    let assets: Vec<Asset> = st
        .store
        .list_assets(rc.account.id, Some(kind))
        .await?
        .into_iter()
        .filter(|a| tagged.as_ref().is_none_or(|t| t.contains(&a.value)))
        .collect();
    let risks = risks_by_host(st, rc).await?;
    let tasks = tasks_by_host(st, rc).await?;
    let verified = verify_status(st, rc, &assets).await?;
    let (_, uin, nick) = owner(rc);
    let none = HostRisks::default();
    let rows: Vec<Value> = assets
        .iter()
        .map(|a| {
            let r = risks.get(&a.value).unwrap_or(&none);
            let last = if r.last_seen > 0 { time_str(r.last_seen) } else { String::new() };
            let (vs, token) = verified.get(&a.value).cloned().unwrap_or((0, String::new()));
            let n_tasks = tasks.get(&a.value).copied().unwrap_or(0);
            if kind == "domain" {
                json!({
                    "AssetId": [a.value], "AssetName": [a.value], "AssetType": [instance_type(&a.value)],
                    "Region": [""], "WAFStatus": 0, "AssetCreateTime": time_str(a.created_at),
                    "AppId": rc.account.app_id, "Uin": uin, "NickName": nick, "IsCore": 0, "IsCloud": 0,
                    "Attack": 0, "Access": 0, "Intercept": 0, "InBandwidth": "0", "OutBandwidth": "0",
                    "InFlow": "0", "OutFlow": "0", "LastScanTime": last, "PortRisk": r.ports,
                    "VulnerabilityRisk": r.vuls, "ConfigurationRisk": r.cfg, "ScanTask": n_tasks,
                    "SubDomain": a.value, "SeverIp": [], "BotCount": 0, "WeakPassword": r.weak,
                    "WebContentRisk": 0, "Tag": tags_json(a), "SourceType": "", "MemberId": "",
                    "CCAttack": 0, "WebAttack": 0, "ServiceRisk": r.exposed, "IsNewAsset": is_new(a),
                    "VerifyDomain": format!("_vigil-verify.{}", a.value), "VerifyTXTRecord": token,
                    "VerifyStatus": vs, "BotAccessCount": 0,
                })
            } else {
                json!({
                    "AssetId": a.value, "AssetName": a.value, "AssetType": instance_type(&a.value),
                    "Region": "", "CFWStatus": 0, "AssetCreateTime": time_str(a.created_at),
                    "PublicIp": a.value, "PublicIpType": 0, "VpcId": "", "VpcName": "",
                    "AppId": rc.account.app_id, "Uin": uin, "NickName": nick, "IsCore": 0, "IsCloud": 0,
                    "Attack": 0, "Access": 0, "Intercept": 0, "InBandwidth": "0", "OutBandwidth": "0",
                    "InFlow": "0", "OutFlow": "0", "LastScanTime": last, "PortRisk": r.ports,
                    "VulnerabilityRisk": r.vuls, "ConfigurationRisk": r.cfg, "ScanTask": n_tasks,
                    "WeakPassword": r.weak, "WebContentRisk": 0, "Tag": tags_json(a), "AddressId": "",
                    "MemberId": "", "RiskExposure": r.exposed, "IsNewAsset": is_new(a), "VerifyStatus": vs,
                })
            }
        })
        .collect();
    let fields: &[&str] = if kind == "domain" {
        &[
            "AssetId",
            "AssetName",
            "SubDomain",
            "VerifyStatus",
            "AssetCreateTime",
            "LastScanTime",
            "PortRisk",
            "WeakPassword",
            "ConfigurationRisk",
            "ServiceRisk",
            "IsNewAsset",
        ]
    } else {
        &[
            "AssetId",
            "AssetName",
            "PublicIp",
            "VerifyStatus",
            "AssetCreateTime",
            "LastScanTime",
            "PortRisk",
            "WeakPassword",
            "ConfigurationRisk",
            "RiskExposure",
            "IsNewAsset",
        ]
    };
    let l = Listing {
        fields,
        time_field: "AssetCreateTime",
        default_by: "AssetCreateTime",
    };
    let types = choices(&rows, "AssetType", &|v| v.to_string());
    let (total, page) = apply(rows, &req.list.filter, &l)?;
    let none_list: Vec<Value> = vec![];
    if kind == "domain" {
        Ok(
            json!({"Total": total, "Data": page, "DefenseStatusList": none_list, "AssetLocationList": none_list,
                  "SourceTypeList": types, "RegionList": none_list}),
        )
    } else {
        Ok(
            json!({"Data": page, "Total": total, "AssetLocationList": none_list, "IpTypeList": none_list,
                  "RegionList": none_list, "DefenseStatusList": none_list, "AssetTypeList": types,
                  "AppIdList": [{"Value": rc.account.app_id.to_string(), "Text": rc.account.app_id.to_string()}]}),
        )
    }
}

pub(super) async fn describe_domains(
    st: &Services,
    rc: &RequestCtx,
    req: TaggedListReq,
) -> ApiResult {
    listing(st, rc, req, "domain").await
}

pub(super) async fn describe_ips(st: &Services, rc: &RequestCtx, req: TaggedListReq) -> ApiResult {
    listing(st, rc, req, "ip").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_strings() {
        assert_eq!(parse_asset("10.0.0.1", false).unwrap().1, AssetKind::Ip);
        assert_eq!(parse_asset("[::1]", false).unwrap().0, "::1");
        assert_eq!(
            parse_asset("Example.COM", false).unwrap(),
            ("example.com".into(), AssetKind::Domain, None)
        );
        assert_eq!(
            parse_asset("https://a.example:8443/x", false).unwrap(),
            ("a.example".into(), AssetKind::Domain, Some(8443))
        );
        assert_eq!(parse_asset("10.0.0.0/24", true).unwrap().1, AssetKind::Net);
        for bad in [
            "",
            "10.0.0.0/24",
            "*.example.com",
            "no spaces.example",
            "ftp//x",
            "nodot",
        ] {
            assert!(parse_asset(bad, false).is_err(), "{bad}");
        }
    }
}
