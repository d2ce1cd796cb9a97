//! A product's last word before a run that a schedule started. A saved scan was authorised
//! when it was created, but a periodic run may fire months later: by then an asset may be
//! deleted, an ownership proof withdrawn or the operator's scope narrowed. The product
//! re-reads the saved definition and answers with the target and options to run with now,
//! or refuses the run.

use async_trait::async_trait;
use serde_json::Value;
use vigil_core::TaskSpec;
use vigil_store::TaskRecord;

/// Target and options a scheduled run goes ahead with, as a product builds them with
/// `TaskSpec::new` from the typed contracts (`From<TaskSpec>`).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Target as the engine takes it.
    pub target: Value,
    /// Options as the engine takes them.
    pub options: Value,
}

impl From<TaskSpec> for Prepared {
    /// The engine's part of a task the product built with `TaskSpec::new` from the typed
    /// contracts.
    fn from(spec: TaskSpec) -> Self {
        Prepared {
            target: spec.target,
            options: spec.options,
        }
    }
}

/// Checks a product makes before a scheduled run of one of its saved scans.
#[async_trait]
pub trait Preflight: Send + Sync {
    /// `Ok(Some(..))`: run with this target and options; `Ok(None)`: run as queued;
    /// `Err(why)`: the run fails at once with `why` and is not retried.
    async fn prepare(&self, task: &TaskRecord) -> Result<Option<Prepared>, String>;
}
