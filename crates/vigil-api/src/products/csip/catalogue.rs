//! The vulnerability checks of scan item `poc`: the template catalogue of the server's data
//! directory (`<data_dir>/templates`, installed by `vigil templates update`), loaded and
//! compiled once and loaded again only when the directory's modification time changes,
//! listed by `DescribeVULRiskAdvanceCFGList` (one `VULRiskAdvanceCFGList` row per template:
//! `RiskId` is the template id, which `TaskAdvanceCFG.VulRisk` names) and used to refuse
//! `VulRisk` ids that name no template. `DescribeVdbAndPocInfo` tells when it was installed.

use super::listing::{apply, choices, ListReq, Listing};
use super::{label, level, runs, NAME};
use crate::error::{ApiError, ApiResult, Code};
use crate::params::{NoParams, Params};
use crate::products::time_str;
use crate::{RequestCtx, Services};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use vigil_core::spec::poc::PocOptions;
use vigil_core::spec::EngineSpec;
use vigil_engine_poc::template::{installed_source, Template};
use vigil_engine_poc::Loaded;

/// The catalogue the server's poc tasks run, cached while its directory does not change.
#[derive(Default)]
pub struct Templates {
    dir: Option<PathBuf>,
    cache: Mutex<Option<(Option<SystemTime>, Arc<Loaded>)>>,
}

impl Templates {
    /// The catalogue at `dir` (usually `<data_dir>/templates`).
    pub fn new(dir: PathBuf) -> Templates {
        Templates {
            dir: Some(dir),
            cache: Mutex::new(None),
        }
    }

    /// Whether a directory is configured at all (a gateway built without one cannot check
    /// template ids, and lists none).
    pub fn configured(&self) -> bool {
        self.dir.is_some()
    }

    /// The catalogue as it is now; `None` when none is installed. Blocking: call it through
    /// [`current`].
    fn load(&self) -> Result<Option<Arc<Loaded>>, String> {
        let Some(dir) = self.dir.as_deref() else {
            return Ok(None);
        };
        if !dir.exists() {
            return Ok(None);
        }
        let stamp = stamp(dir);
        if let Ok(cache) = self.cache.lock() {
            if let Some((s, l)) = cache.as_ref() {
                if s.is_some() && *s == stamp {
                    return Ok(Some(l.clone()));
                }
            }
        }
        let loaded = Arc::new(Loaded::load(dir).map_err(|e| e.to_string())?);
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((stamp, loaded.clone()));
        }
        Ok(Some(loaded))
    }
}

impl Templates {
    /// When the installed catalogue was installed, as CSIP writes times: the install
    /// record's time, else (a catalogue put in place by hand) the directory's modification
    /// time; `None` when none is installed. Blocking: call it through [`updated`].
    fn installed_at(&self) -> Option<String> {
        let dir = self.dir.as_deref().filter(|d| d.exists())?;
        let recorded = installed_source(dir).and_then(|s| {
            chrono::DateTime::parse_from_rfc3339(&s.installed_at)
                .ok()
                .map(|t| t.timestamp_millis())
        });
        let at = recorded.or_else(|| {
            let m = stamp(dir)?.duration_since(SystemTime::UNIX_EPOCH).ok()?;
            i64::try_from(m.as_millis()).ok()
        })?;
        Some(time_str(at))
    }
}

/// [`Templates::installed_at`] of the server's catalogue (read on a blocking thread).
async fn updated(st: &Services) -> ApiResult<Option<String>> {
    let t = st.templates.clone();
    tokio::task::spawn_blocking(move || t.installed_at())
        .await
        .map_err(|e| ApiError::internal(&format!("reading the template record: {e}")))
}

/// `DescribeVdbAndPocInfo`: when the vulnerability checks were last updated
/// (`PocUpdateTime`, the catalogue's install time, empty when none is installed). Vigil has
/// no virus database, so `VdbUpdateTime` is empty.
pub(super) async fn info(st: &Services, _rc: &RequestCtx, _p: NoParams) -> ApiResult {
    Ok(json!({
        "VdbUpdateTime": "",
        "PocUpdateTime": updated(st).await?.unwrap_or_default(),
    }))
}

fn stamp(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The installed catalogue (loaded on a blocking thread when it changed).
pub(super) async fn current(st: &Services) -> ApiResult<Option<Arc<Loaded>>> {
    let t = st.templates.clone();
    tokio::task::spawn_blocking(move || t.load())
        .await
        .map_err(|e| ApiError::internal(&format!("loading templates: {e}")))?
        .map_err(|e| ApiError::internal(&format!("the template catalogue cannot be read: {e}")))
}

/// The catalogue a poc task needs: refused when the server has none installed.
pub(super) async fn required(st: &Services) -> ApiResult<Option<Arc<Loaded>>> {
    let c = current(st).await?;
    if c.is_none() && st.templates.configured() {
        return Err(ApiError::new(
            Code::FailedOperation,
            "Scan item poc needs vulnerability templates, and none are installed: the operator installs them with `vigil templates update`.",
        ));
    }
    Ok(c)
}

/// The ids of `ids` the catalogue does not have (none when there is no catalogue to ask).
pub(super) fn unknown(cat: Option<&Loaded>, ids: &[String]) -> Vec<String> {
    let Some(cat) = cat else {
        return Vec::new();
    };
    ids.iter()
        .filter(|i| !cat.compiled.contains_key(i.as_str()))
        .cloned()
        .collect()
}

/// CSIP's risk level of a template.
fn risk_level(t: &Template) -> &'static str {
    level(Some(vigil_engine_poc::level(t.info.severity)))
}

/// Tags that say what kind of flaw a template checks, in the order they are preferred.
const TYPES: &[&str] = &[
    "rce",
    "sqli",
    "xss",
    "lfi",
    "rfi",
    "ssrf",
    "ssti",
    "xxe",
    "traversal",
    "injection",
    "auth-bypass",
    "default-login",
    "unauth",
    "exposure",
    "disclosure",
    "misconfig",
    "takeover",
    "redirect",
    "cve",
];

/// The kind of flaw (`VULType`): the first of [`TYPES`] among its tags, else its first tag.
fn vul_type(t: &Template) -> String {
    TYPES
        .iter()
        .find(|k| t.info.tags.iter().any(|g| g.eq_ignore_ascii_case(k)))
        .map(|k| k.to_string())
        .or_else(|| t.info.tags.first().cloned())
        .unwrap_or_else(|| "other".into())
}

/// The affected product (`ImpactComponent`): metadata product, else vendor.
fn component(t: &Template) -> String {
    let meta = |k: &str| {
        t.info
            .metadata
            .iter()
            .find(|(key, v)| key == k && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    meta("product")
        .or_else(|| meta("vendor"))
        .unwrap_or_default()
}

/// What a view row says of a template (also for findings whose template is gone: `None`).
pub(super) struct Facts {
    pub vul_type: String,
    pub component: String,
    pub references: String,
    pub fix: String,
    pub describe: String,
    pub tags: Vec<String>,
    pub cvss: Option<f64>,
}

/// The facts of template `id`, when the catalogue has it.
pub(super) fn facts(cat: Option<&Loaded>, id: &str) -> Option<Facts> {
    let t = cat?.catalog.templates.iter().find(|t| t.id == id)?;
    Some(Facts {
        vul_type: vul_type(t),
        component: component(t),
        references: t.info.references.join("\n"),
        fix: t.info.remediation.clone(),
        describe: t.info.description.clone(),
        tags: t.info.tags.clone(),
        cvss: t.info.cvss_score,
    })
}

fn row(t: &Template, enable: bool, recent: Option<i64>) -> Value {
    let cvss = match (&t.info.cvss_score, &t.info.cvss_metrics) {
        (Some(s), _) => s.to_string(),
        (None, Some(m)) => m.clone(),
        _ => String::new(),
    };
    json!({
        "RiskId": t.id, "VULName": t.info.name, "RiskLevel": risk_level(t), "CheckFrom": "vigil",
        "Enable": i64::from(enable), "VULType": vul_type(t), "ImpactVersion": "",
        "CVE": t.info.cve.join(","), "VULTag": t.info.tags,
        "FixMethod": if t.info.remediation.is_empty() { vec![] } else { vec![t.info.remediation.clone()] },
        "ReleaseTime": "", "EMGCVulType": 0, "VULDescribe": t.info.description,
        "ImpactComponent": component(t), "Payload": t.path, "References": t.info.references.join("\n"),
        "CVSS": cvss, "AttackHeat": "", "ServiceSupport": [],
        "RecentScanTime": recent.map(time_str).unwrap_or_default(),
    })
}

/// The parameters of `DescribeVULRiskAdvanceCFGList`.
#[derive(Deserialize, Params)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CfgListReq {
    #[serde(flatten)]
    list: ListReq,
    /// A task whose switches `Enable` shows (otherwise: on when the template can run).
    #[param(max_len = 64)]
    task_id: Option<String>,
}

/// The template selection of a saved task, if it has scan item poc.
async fn task_selection(st: &Services, rc: &RequestCtx, raw: &str) -> ApiResult<PocOptions> {
    let missing = || ApiError::not_found(format!("Task `{raw}` does not exist."));
    let id = raw.trim().parse::<i64>().map_err(|_| missing())?;
    let job = st
        .store
        .job(rc.account.id, NAME, id)
        .await
        .map_err(|_| missing())?;
    let specs = std::iter::once(job.spec.clone()).chain(runs::companions(&job)?);
    for s in specs {
        if let Ok(EngineSpec::Poc(_, o)) = s.engine() {
            return Ok(o);
        }
    }
    // A task without poc runs no template.
    Ok(PocOptions {
        ids: vec![String::new()],
        ..PocOptions::default()
    })
}

pub(super) async fn list(st: &Services, rc: &RequestCtx, req: CfgListReq) -> ApiResult {
    req.list.members.check()?;
    let selection = match req.task_id.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => Some(task_selection(st, rc, t).await?),
        None => None,
    };
    let cat = current(st).await?;
    let mut recent: HashMap<String, i64> = HashMap::new();
    for f in st
        .store
        .findings_of_kinds(rc.account.id, &[vigil_core::spec::poc::KIND])
        .await?
    {
        if let Some(id) = f.finding.identity.first() {
            let e = recent.entry(id.clone()).or_insert(f.last_seen);
            *e = (*e).max(f.last_seen);
        }
    }
    let rows: Vec<Value> = cat
        .iter()
        .flat_map(|c| {
            c.catalog.templates.iter().map(|t| {
                let runnable = matches!(c.compiled.get(&t.id), Some(Ok(_)));
                let chosen = selection.as_ref().is_none_or(|o| {
                    (o.ids.is_empty() || o.ids.contains(&t.id)) && !o.exclude_ids.contains(&t.id)
                });
                row(t, runnable && chosen, recent.get(&t.id).copied())
            })
        })
        .collect();
    let menus = [
        ("RiskLevelLists", "RiskLevel"),
        ("VULTypeLists", "VULType"),
        ("CheckFromLists", "CheckFrom"),
        ("VulTagList", "VULTag"),
    ];
    let mut out: serde_json::Map<String, Value> = menus
        .iter()
        .map(|(k, field)| {
            let lf = if *field == "RiskLevel" {
                "Level"
            } else {
                field
            };
            (
                k.to_string(),
                Value::Array(choices(&rows, field, &|v| label(lf, v))),
            )
        })
        .collect();
    let l = Listing {
        fields: &[
            "RiskId",
            "VULName",
            "RiskLevel",
            "CheckFrom",
            "Enable",
            "VULType",
            "CVE",
            "VULTag",
            "ImpactComponent",
            "CVSS",
            "RecentScanTime",
        ],
        time_field: "RecentScanTime",
        default_by: "RiskId",
    };
    let (total, page) = apply(rows, &req.list.filter, &l)?;
    out.insert("TotalCount".into(), json!(total));
    out.insert("Data".into(), Value::Array(page));
    Ok(Value::Object(out))
}
