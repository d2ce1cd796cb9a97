//! Running engines in tests: a sink that keeps what an engine sends.

use async_trait::async_trait;
use std::sync::Mutex;
use vigil_core::{Component, Finding};
use vigil_engine::{EngineError, Sink};

/// Keeps every finding and component, and the last progress.
#[derive(Default)]
pub struct CollectSink {
    /// Findings in arrival order.
    pub findings: Mutex<Vec<Finding>>,
    /// Components in arrival order.
    pub components: Mutex<Vec<Component>>,
}

impl CollectSink {
    /// A copy of the findings so far.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Sink for CollectSink {
    async fn finding(&self, f: Finding) -> Result<(), EngineError> {
        self.findings
            .lock()
            .map_err(|_| EngineError::Sink("poisoned".into()))?
            .push(f);
        Ok(())
    }
    async fn component(&self, c: Component) -> Result<(), EngineError> {
        self.components
            .lock()
            .map_err(|_| EngineError::Sink("poisoned".into()))?
            .push(c);
        Ok(())
    }
    fn progress(&self, _: u8) {}
}
