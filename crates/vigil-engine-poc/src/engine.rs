//! The `poc` [`Engine`]: loads a catalogue (the data directory's `templates/`, or the
//! operator's `--templates`), compiled once and kept while its files do not change, selects
//! templates by id, tag and severity, runs every selected template on every target at a
//! bounded concurrency through one shared wire (the task's rate limit holds for every
//! request and connection), and files one finding per template, target and named matcher.
//! Its coverage is exact: a template that did not run to the end on a target proves nothing
//! fixed there.

use crate::exec::{self, Compiled, Outcome, ResponseCache, Shared, Target};
use crate::template::{Catalog, Filter, LoadLimits, Severity, Skip, Template};
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use vigil_core::spec::poc::{PocEvidence, PocOptions, PocTarget, KIND};
use vigil_core::{Finding, Severity as Level};
use vigil_engine::wire::{Wire, WireLimits};
use vigil_engine::{contract, Coverage, Engine, EngineError, ScanCtx};

/// Where the data directory keeps the catalogue `vigil templates update` fetched.
pub const TEMPLATES_DIR: &str = "templates";
/// Templates run at once unless the task says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Most templates run at once.
pub const MAX_CONCURRENCY: usize = 128;
/// Most targets in one run.
pub const MAX_TARGETS: usize = 4096;

/// A catalogue with every template compiled (or the reason it cannot run).
pub struct Loaded {
    /// The catalogue.
    pub catalog: Catalog,
    /// Compiled templates by id, or why each cannot run.
    pub compiled: BTreeMap<String, Result<Arc<Compiled>, Skip>>,
    stamp: Option<SystemTime>,
}

impl Loaded {
    /// Loads and compiles the catalogue at `path`.
    pub fn load(path: &Path) -> Result<Loaded, EngineError> {
        let catalog = Catalog::load(path, LoadLimits::default())
            .map_err(|e| EngineError::InvalidInput(format!("templates: {e}")))?;
        let compiled = catalog
            .templates
            .iter()
            .map(|t| (t.id.clone(), exec::compile(t.clone()).map(Arc::new)))
            .collect();
        Ok(Loaded {
            catalog,
            compiled,
            stamp: stamp(path),
        })
    }

    /// Templates that run, by the reason the others do not: runnable count and skip counts.
    pub fn coverage(&self) -> (usize, BTreeMap<String, usize>) {
        let mut skipped = BTreeMap::new();
        let mut runnable = 0;
        for r in self.compiled.values() {
            match r {
                Ok(_) => runnable += 1,
                Err(s) => *skipped.entry(s.label()).or_insert(0) += 1,
            }
        }
        (runnable, skipped)
    }
}

/// The directory's or file's modification time, to notice an update.
fn stamp(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The engine.
pub struct PocEngine {
    default_templates: Option<PathBuf>,
    loaded: Arc<Mutex<BTreeMap<PathBuf, Arc<Loaded>>>>,
    limits: WireLimits,
}

impl Default for PocEngine {
    fn default() -> Self {
        PocEngine {
            default_templates: None,
            loaded: Arc::new(Mutex::new(BTreeMap::new())),
            limits: WireLimits {
                connect_timeout: Duration::from_secs(5),
                io_timeout: Duration::from_secs(10),
                request_timeout: Duration::from_secs(20),
                ..WireLimits::default()
            },
        }
    }
}

impl PocEngine {
    /// The engine whose catalogue is `DATA_DIR/templates`.
    pub fn with_data_dir(data_dir: &Path) -> PocEngine {
        PocEngine {
            default_templates: Some(data_dir.join(TEMPLATES_DIR)),
            ..PocEngine::default()
        }
    }

    /// The catalogue at `path`, compiled, reloaded when the path changed since (read on a
    /// blocking thread).
    pub async fn catalogue(&self, path: &Path) -> Result<Arc<Loaded>, EngineError> {
        let cache = self.loaded.clone();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || catalogue(&cache, &path))
            .await
            .map_err(|e| EngineError::Failed(format!("loading templates failed: {e}")))?
    }

    fn templates_path(&self, options: &PocOptions) -> Result<PathBuf, EngineError> {
        match (&options.templates, &self.default_templates) {
            (Some(p), _) => Ok(PathBuf::from(p)),
            (None, Some(d)) if d.exists() => Ok(d.clone()),
            _ => Err(EngineError::InvalidInput(
                "no templates: run `vigil templates update`, or name a directory or archive with --templates".into(),
            )),
        }
    }
}

fn catalogue(
    cache: &Mutex<BTreeMap<PathBuf, Arc<Loaded>>>,
    path: &Path,
) -> Result<Arc<Loaded>, EngineError> {
    if let Ok(cache) = cache.lock() {
        if let Some(l) = cache.get(path) {
            if l.stamp.is_some() && l.stamp == stamp(path) {
                return Ok(l.clone());
            }
        }
    }
    let loaded = Arc::new(Loaded::load(path)?);
    if let Ok(mut cache) = cache.lock() {
        cache.insert(path.to_path_buf(), loaded.clone());
    }
    Ok(loaded)
}

/// Reads the task's selection.
pub fn filter_of(options: &PocOptions) -> Result<Filter, EngineError> {
    let severities = options
        .severities
        .iter()
        .map(|s| {
            Severity::parse(s).ok_or_else(|| {
                EngineError::InvalidInput(format!(
                    "unknown severity {s:?}; severities are info, low, medium, high, critical, unknown"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Filter {
        ids: options.ids.clone(),
        exclude_ids: options.exclude_ids.clone(),
        tags: options.tags.clone(),
        exclude_tags: options.exclude_tags.clone(),
        severities,
    })
}

/// The product level of a template severity.
pub fn level(s: Severity) -> Level {
    match s {
        Severity::Info | Severity::Unknown => Level::Info,
        Severity::Low => Level::Low,
        Severity::Medium => Level::Medium,
        Severity::High => Level::High,
        Severity::Critical => Level::Critical,
    }
}

/// What a run examined: the (target, template) pairs that ran to the end.
#[derive(Debug, Default)]
pub struct Ran {
    done: HashSet<(String, String)>,
}

impl Coverage for Ran {
    fn covers(&self, f: &Finding) -> bool {
        f.kind == KIND
            && match (&f.url, f.identity.first()) {
                (Some(url), Some(id)) => self.done.contains(&(url.clone(), id.clone())),
                _ => false,
            }
    }
}

#[async_trait]
impl Engine for PocEngine {
    fn kind(&self) -> &'static str {
        "poc"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        let (target, options): (PocTarget, PocOptions) = contract(target, options)?;
        if target.targets.is_empty() || target.targets.len() > MAX_TARGETS {
            return Err(EngineError::InvalidInput(format!(
                "between 1 and {MAX_TARGETS} targets are needed"
            )));
        }
        let targets = target
            .targets
            .iter()
            .map(|t| Target::parse(t).map_err(|e| EngineError::InvalidInput(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = filter_of(&options)?;
        let path = self.templates_path(&options)?;
        let loaded = self.catalogue(&path).await?;
        let selected: Vec<Arc<Compiled>> = loaded
            .catalog
            .templates
            .iter()
            .filter(|t| filter.allows(t))
            .filter_map(|t| loaded.compiled.get(&t.id)?.as_ref().ok().cloned())
            .collect();
        let skipped = loaded
            .catalog
            .templates
            .iter()
            .filter(|t| filter.allows(t) && !matches!(loaded.compiled.get(&t.id), Some(Ok(_))))
            .count();
        let concurrency = options
            .concurrency
            .map_or(DEFAULT_CONCURRENCY, |c| {
                usize::try_from(c).unwrap_or(MAX_CONCURRENCY)
            })
            .clamp(1, MAX_CONCURRENCY);
        let wire = Arc::new(Wire::new(
            ctx.scope.clone(),
            ctx.rate.clone(),
            ctx.cancel.clone(),
            self.limits,
        ));
        let jobs: Vec<(Arc<Compiled>, Target)> = targets
            .iter()
            .flat_map(|t| selected.iter().map(move |c| (c.clone(), t.clone())))
            .collect();
        let cache =
            ResponseCache::expecting(jobs.iter().filter_map(|(c, t)| exec::first_request(c, t)));
        // DNS templates ask the operator's resolver, else the system's.
        let dns = match ctx.scope.dns() {
            Some(d) => Some(d.clone()),
            None if selected
                .iter()
                .any(|c| matches!(c.blocks, exec::compile::Blocks::Dns(_))) =>
            {
                vigil_engine::Dns::new(None).ok().map(Arc::new)
            }
            None => None,
        };
        let shared = Arc::new(Shared::new(
            wire.clone(),
            cache,
            ctx.cancel.clone(),
            ctx.rate.clone(),
            dns,
        ));
        let total = jobs.len().max(1);
        let mut done = 0usize;
        let mut ran = Ran::default();
        let mut incomplete: BTreeMap<String, usize> = BTreeMap::new();
        let mut runs = futures::stream::iter(jobs)
            .map(|(c, t)| {
                let shared = shared.clone();
                async move {
                    let outcome = exec::run_template(&shared, &c, &t).await;
                    (c, t, outcome)
                }
            })
            .buffer_unordered(concurrency);
        while let Some((compiled, t, outcome)) = runs.next().await {
            done += 1;
            ctx.sink
                .progress(u8::try_from(done * 100 / total).unwrap_or(100).min(99));
            for f in findings(&compiled.template, &t, &outcome) {
                ctx.sink.finding(f).await?;
            }
            if outcome.complete {
                ran.done
                    .insert((t.base_url(), compiled.template.id.clone()));
            } else {
                let why = outcome.error.clone().unwrap_or_default();
                let key: String = why.chars().take(60).collect();
                *incomplete.entry(key).or_default() += 1;
            }
        }
        ctx.check_cancelled()?;
        let stats = wire.stats();
        tracing::info!(
            templates = selected.len(),
            skipped,
            targets = targets.len(),
            requests = stats.requests,
            connections = stats.connections,
            cache_hits = shared.cache.hits(),
            incomplete = incomplete.values().sum::<usize>(),
            "poc run finished"
        );
        for (why, n) in &incomplete {
            tracing::info!(runs = n, reason = %why, "poc runs that did not finish");
        }
        ctx.sink.progress(100);
        Ok(Box::new(ran))
    }
}

/// The findings of one template's outcome on one target.
pub fn findings(t: &Template, target: &Target, outcome: &Outcome) -> Vec<Finding> {
    outcome
        .matches
        .iter()
        .map(|m| {
            let title = match &m.matcher {
                Some(name) => format!("{} ({name})", t.info.name),
                None => t.info.name.clone(),
            };
            let mut description = t.info.description.clone();
            if !t.info.impact.is_empty() {
                description.push_str("\n\nImpact: ");
                description.push_str(&t.info.impact);
            }
            let evidence = PocEvidence {
                template_id: t.id.clone(),
                template_path: t.path.clone(),
                template_severity: t.info.severity.as_str().into(),
                protocol: t.protocol().into(),
                matched_at: m.url.clone(),
                matcher: m.matcher.clone(),
                extracted: m.extracted.clone(),
                request: m.request.clone(),
                response: m.response.clone(),
                cvss_metrics: t.info.cvss_metrics.clone(),
                cvss_score: t.info.cvss_score,
                references: t.info.references.clone(),
                remediation: t.info.remediation.clone(),
            };
            Finding {
                kind: KIND.into(),
                severity: Some(level(t.info.severity)),
                title,
                description: (!description.is_empty()).then_some(description),
                host: Some(target.host.clone()),
                port: Some(target.port),
                protocol: Some("tcp".into()),
                service: (t.protocol() == "http").then(|| target.scheme.clone()),
                url: Some(target.base_url()),
                parameter: None,
                path: None,
                cve: t.info.cve.clone(),
                cwe: t.info.cwe.clone(),
                evidence: serde_json::to_value(&evidence).unwrap_or(Value::Null),
                identity: vec![t.id.clone(), m.matcher.clone().unwrap_or_default()],
                fixable: false,
                sensitive: false,
            }
        })
        .collect()
}
