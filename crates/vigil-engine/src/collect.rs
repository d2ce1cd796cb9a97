//! [`CollectSink`]: a [`Sink`] that keeps everything an engine sends, for runs whose results are
//! rendered at the end (the CLI's `vigil scan`) and for tests. It never prints; a caller that
//! shows progress passes a callback ([`CollectSink::on_progress`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use vigil_core::{Component, Finding};

use crate::{EngineError, Sink};

/// Called with each progress report (0-100).
type ProgressFn = Box<dyn Fn(u8) + Send + Sync>;

/// Keeps every finding and component in arrival order, and the last progress.
#[derive(Default)]
pub struct CollectSink {
    /// Findings in arrival order.
    pub findings: Mutex<Vec<Finding>>,
    /// Components in arrival order.
    pub components: Mutex<Vec<Component>>,
    progress: AtomicU8,
    on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for CollectSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectSink")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl CollectSink {
    /// An empty sink.
    pub fn new() -> CollectSink {
        CollectSink::default()
    }

    /// A sink that also hands each progress report to `f`.
    pub fn on_progress(f: impl Fn(u8) + Send + Sync + 'static) -> CollectSink {
        CollectSink {
            on_progress: Some(Box::new(f)),
            ..CollectSink::default()
        }
    }

    /// A copy of the findings so far.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// The findings and components so far, taken out of the sink; an error if a holder of
    /// the lists panicked.
    pub fn take(&self) -> Result<(Vec<Finding>, Vec<Component>), EngineError> {
        fn poisoned<T>(_: T) -> EngineError {
            EngineError::Sink("poisoned".into())
        }
        let findings = std::mem::take(&mut *self.findings.lock().map_err(poisoned)?);
        let components = std::mem::take(&mut *self.components.lock().map_err(poisoned)?);
        Ok((findings, components))
    }

    /// The last progress reported (0 before any).
    pub fn progress(&self) -> u8 {
        self.progress.load(Ordering::Relaxed)
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
    fn progress(&self, percent: u8) {
        self.progress.store(percent.min(100), Ordering::Relaxed);
        if let Some(f) = &self.on_progress {
            f(percent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[tokio::test]
    async fn keeps_results_in_order_and_reports_progress() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let sink = CollectSink::on_progress(move |_| {
            seen.fetch_add(1, Ordering::Relaxed);
        });
        for kind in ["a", "b"] {
            let f = Finding {
                kind: kind.into(),
                ..Default::default()
            };
            sink.finding(f).await.unwrap();
        }
        Sink::progress(&sink, 40);
        Sink::progress(&sink, 250);
        assert_eq!(sink.progress(), 100);
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        let kinds: Vec<String> = sink.findings().into_iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec!["a", "b"]);
        let (findings, components) = sink.take().unwrap();
        assert_eq!((findings.len(), components.len()), (2, 0));
        assert!(sink.findings().is_empty());
    }
}
