//! The contract between Vigil and its scan engines: the [`Engine`] trait, the small
//! [`ScanCtx`] every run gets (cancellation, rate limiter, scope guard, sink for findings and
//! progress), the [`Registry`] of engines by kind (a kind registered twice is an error), the
//! [`CollectSink`] that keeps a run's results for rendering at the end, and the [`ScopeGuard`]
//! that decides which addresses may be touched and pins resolved addresses so DNS cannot be
//! rebound between check and connect; [`fetch`], downloads of files a tenant names through
//! that guard (size cap, deadline, digests); [`text`], slicing of scanned text on
//! character boundaries; and [`wire`], the raw HTTP/1.x and TCP/TLS transport that sends
//! template engines' bytes unchanged, scope-checked, pinned, rate-limited and bounded.
//! Engines know nothing about HTTP APIs, products or storage.

mod collect;
mod coverage;
mod dns;
pub mod fetch;
mod rate;
mod scope;
pub mod text;
pub mod wire;

pub use collect::CollectSink;
pub use coverage::{Coverage, Everything, Nothing};
pub use dns::{Dns, DnsAnswer, DnsConfigError};
pub use rate::RateLimiter;

/// Opens a secret the service sealed into a task (`sealed`, `purpose`), with the binary's
/// master key; engines never hold the key themselves.
pub type Unseal = std::sync::Arc<dyn Fn(&str, &str) -> Result<String, String> + Send + Sync>;
pub use scope::{Decision, PinnedTarget, Reach, ScopeError, ScopeGuard, ScopePolicy, ScopeRule};

use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use vigil_core::{Component, Finding};

/// A task's options without the worker's keys (`vigil_core::spec::RUN_OPTION_KEYS`): what an
/// engine parses (strictly, so that any
/// other unknown key is refused as a typo). `null` becomes an empty object.
pub use vigil_core::spec::without_run_keys as engine_options;

/// A task's stored target and options read into the engine's contract types
/// (`vigil_core::spec`): the worker's keys are left out of the options, and a target or
/// options that do not fit is [`EngineError::InvalidInput`] naming which.
pub fn contract<T, O>(target: &Value, options: &Value) -> Result<(T, O), EngineError>
where
    T: serde::de::DeserializeOwned,
    O: serde::de::DeserializeOwned,
{
    let t =
        T::deserialize(target).map_err(|e| EngineError::InvalidInput(format!("target: {e}")))?;
    let o = O::deserialize(&engine_options(options))
        .map_err(|e| EngineError::InvalidInput(format!("options: {e}")))?;
    Ok((t, o))
}

/// Why an engine run ended without success.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The run was cancelled (stop request, lost lease, shutdown, runtime window closed).
    #[error("cancelled")]
    Cancelled,
    /// Target or options are not valid for this engine.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The scope guard refused the target.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The sink refused a result (e.g. the store is unavailable).
    #[error("result sink failed: {0}")]
    Sink(String),
    /// Anything else; retried while attempts remain.
    #[error("{0}")]
    Failed(String),
}

/// Where an engine sends what it finds; implemented by the worker (store) and the CLI.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Deliver one finding; an error means the run must stop.
    async fn finding(&self, finding: Finding) -> Result<(), EngineError>;
    /// Deliver one inventory item (a service, a package); engines without one never call it.
    async fn component(&self, component: Component) -> Result<(), EngineError>;
    /// Report progress, 0-100.
    fn progress(&self, percent: u8);
}

/// Everything a run gets besides its target and options.
#[derive(Clone)]
pub struct ScanCtx {
    /// Cancelled when the run must stop; engines check it between steps.
    pub cancel: CancellationToken,
    /// Shared limit on requests or packets per second for this task.
    pub rate: Arc<RateLimiter>,
    /// What may be touched.
    pub scope: Arc<ScopeGuard>,
    /// Results go here.
    pub sink: Arc<dyn Sink>,
}

impl ScanCtx {
    /// `Err(Cancelled)` once the run has been cancelled.
    pub fn check_cancelled(&self) -> Result<(), EngineError> {
        if self.cancel.is_cancelled() {
            Err(EngineError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A scan engine: given a target and options, it streams findings and progress into the
/// context's sink and returns when done, cancelled or failed.
#[async_trait]
pub trait Engine: Send + Sync {
    /// Task kind this engine runs (`net`, `web`, ...).
    fn kind(&self) -> &'static str;
    /// Engine version: recorded with every run (the worker writes it on the task's attempt)
    /// and named in reports (SARIF's tool extensions).
    fn version(&self) -> &'static str;
    /// Findings of runs with the same scope key are compared to tell what was fixed. `None`
    /// (the default) gives each saved scan over the same target its own scope; an engine whose
    /// [`Coverage`] names exactly what it examined may share one scope across all its runs.
    fn scope_key(&self, _target: &Value) -> Option<String> {
        None
    }
    /// Run once; on success, say what the run examined.
    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError>;
}

/// Why an engine could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A second engine of a kind already registered; the first one stays.
    #[error("engine kind `{kind}` registered twice (versions {first} and {second})")]
    Duplicate {
        /// The kind.
        kind: &'static str,
        /// Version of the engine registered first.
        first: &'static str,
        /// Version of the engine refused.
        second: &'static str,
    },
}

/// The engines a worker can run, by kind; each kind is registered once.
#[derive(Clone, Default)]
pub struct Registry {
    engines: HashMap<&'static str, Arc<dyn Engine>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an engine; a second engine of the same kind is refused and the first one kept.
    pub fn register(&mut self, engine: Arc<dyn Engine>) -> Result<(), RegistryError> {
        match self.engines.entry(engine.kind()) {
            std::collections::hash_map::Entry::Occupied(first) => Err(RegistryError::Duplicate {
                kind: engine.kind(),
                first: first.get().version(),
                second: engine.version(),
            }),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(engine);
                Ok(())
            }
        }
    }

    /// The engine for a kind.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn Engine>> {
        self.engines.get(kind).cloned()
    }

    /// All registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.engines.keys().map(|s| s.to_string()).collect();
        k.sort();
        k
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    struct Fake(&'static str);

    #[async_trait]
    impl Engine for Fake {
        fn kind(&self) -> &'static str {
            "fake"
        }
        fn version(&self) -> &'static str {
            self.0
        }
        async fn run(
            &self,
            _: &ScanCtx,
            _: &Value,
            _: &Value,
        ) -> Result<Box<dyn Coverage>, EngineError> {
            Ok(Box::new(Nothing))
        }
    }

    #[test]
    fn a_kind_registered_twice_is_refused_and_the_first_kept() {
        let mut r = Registry::new();
        r.register(Arc::new(Fake("1.0"))).unwrap();
        let err = r.register(Arc::new(Fake("2.0"))).unwrap_err();
        assert_eq!(
            err,
            RegistryError::Duplicate {
                kind: "fake",
                first: "1.0",
                second: "2.0"
            }
        );
        assert_eq!(
            err.to_string(),
            "engine kind `fake` registered twice (versions 1.0 and 2.0)"
        );
        assert_eq!(r.get("fake").map(|e| e.version()), Some("1.0"));
        assert_eq!(r.kinds(), vec!["fake"]);
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engines_see_only_their_options() {
        let o = json!({"ports": "top100", "rate_strict": true, "timeout_secs": 60, "meta": {"site_ids": [1]}, "typo": 1});
        assert_eq!(engine_options(&o), json!({"ports": "top100", "typo": 1}));
        assert_eq!(engine_options(&Value::Null), json!({}));
    }
}
