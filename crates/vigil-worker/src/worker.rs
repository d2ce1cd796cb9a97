//! One worker: claims tasks of the kinds it has engines for, runs them, and records the outcome
//! only while it still holds the lease. An engine that panics fails its run, not the worker.
//! "Now" (runtime windows, the start of a run, lease and retry times) is the store's clock
//! ([`Store::clock`]); waiting (idle polls, heartbeats, run timeouts) is real time.

use crate::supervise::{catch_panic, supervise, RESTART_DELAY};
use crate::Preflight;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Component, Finding, Schedule, TaskState};
use vigil_engine::{Coverage, EngineError, RateLimiter, Registry, ScanCtx, ScopeGuard, Sink};
use vigil_store::{Lease, Store};

/// Attempts at delivering a finish webhook (see `crate::callbacks`).
const FINISH_WEBHOOK_ATTEMPTS: i64 = 5;

/// Timing of a worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique worker id (host, process, index).
    pub id: String,
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// How often the lease is renewed.
    pub heartbeat: Duration,
    /// How long to sleep when the queue is empty.
    pub idle_poll: Duration,
    /// Delay before a failed task is retried (counted on the store's clock).
    pub retry_backoff: Duration,
    /// Most tasks of one account running at once across all workers (0: no cap).
    pub max_running_per_account: i64,
}

impl WorkerConfig {
    /// Defaults for a worker id: 30 s lease, 5 s heartbeat, 500 ms idle poll.
    pub fn new(id: impl Into<String>) -> Self {
        WorkerConfig {
            id: id.into(),
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(5),
            idle_poll: Duration::from_millis(500),
            retry_backoff: Duration::from_secs(10),
            max_running_per_account: 0,
        }
    }
}

/// A worker bound to a store, engines and the scope guard.
pub struct Worker {
    store: Store,
    engines: Registry,
    scope: Arc<ScopeGuard>,
    cfg: WorkerConfig,
    preflights: HashMap<String, Arc<dyn Preflight>>,
    finishers: HashMap<String, Arc<dyn crate::Finisher>>,
}

struct StoreSink {
    store: Store,
    account_id: i64,
    task_id: i64,
    scope_key: String,
    progress: AtomicU8,
}

#[async_trait]
impl Sink for StoreSink {
    async fn finding(&self, finding: Finding) -> Result<(), EngineError> {
        self.store
            .record_finding(self.account_id, self.task_id, &self.scope_key, &finding)
            .await
            .map(|_| ())
            .map_err(|e| EngineError::Sink(e.to_string()))
    }

    async fn component(&self, component: Component) -> Result<(), EngineError> {
        self.store
            .record_component(self.account_id, self.task_id, &component)
            .await
            .map_err(|e| EngineError::Sink(e.to_string()))
    }

    fn progress(&self, percent: u8) {
        self.progress.store(percent.min(100), Ordering::Relaxed);
    }
}

/// How a run ended, as seen by the lease loop.
enum RunEnd {
    Done(Result<Box<dyn Coverage>, EngineError>),
    /// The engine panicked, with this message.
    Panicked(String),
    LeaseLost,
    Stop,
    Pause(i64),
    Shutdown,
    Timeout,
}

/// A product given two preflight checks ([`Worker::with_preflights`]) or two finish hooks
/// ([`Worker::with_finishers`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("preflight check or finish hook for product `{0}` registered twice")]
pub struct DuplicatePreflight(pub String);

/// For engines without a scope of their own: findings of runs of one saved scan over the same
/// targets share a scope (so a rescan can tell what was fixed); other tasks are their own.
fn default_scope_key(task: &vigil_store::TaskRecord) -> String {
    match task.job_id {
        Some(job) => {
            // FNV-1a: stable across releases, unlike the standard library's hasher.
            let h = task
                .target
                .to_string()
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                });
            format!("job:{job}:{h:016x}")
        }
        None => format!("task:{}", task.id),
    }
}

/// Sleep until the deadline, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Worker {
    /// A worker.
    pub fn new(store: Store, engines: Registry, scope: Arc<ScopeGuard>, cfg: WorkerConfig) -> Self {
        Worker {
            store,
            engines,
            scope,
            cfg,
            preflights: HashMap::new(),
            finishers: HashMap::new(),
        }
    }

    /// Tell each product when a run of one of its tasks has ended ([`crate::Finisher`]); a
    /// product given two is an error.
    pub fn with_finishers<'a>(
        mut self,
        hooks: impl IntoIterator<Item = (&'a str, Arc<dyn crate::Finisher>)>,
    ) -> Result<Self, DuplicatePreflight> {
        for (product, hook) in hooks {
            if self.finishers.insert(product.to_string(), hook).is_some() {
                return Err(DuplicatePreflight(product.to_string()));
            }
        }
        Ok(self)
    }

    /// Have `product` re-check each scheduled run of its saved scans before it starts (a check
    /// set before for the product is replaced; [`Worker::with_preflights`] refuses that).
    pub fn with_preflight(mut self, product: &str, check: Arc<dyn Preflight>) -> Self {
        self.preflights.insert(product.to_string(), check);
        self
    }

    /// Have each product re-check its scheduled runs ([`Worker::with_preflight`]); a product
    /// given a check twice is an error, as an engine kind registered twice is.
    pub fn with_preflights<'a>(
        mut self,
        checks: impl IntoIterator<Item = (&'a str, Arc<dyn Preflight>)>,
    ) -> Result<Self, DuplicatePreflight> {
        for (product, check) in checks {
            match self.preflights.entry(product.to_string()) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    return Err(DuplicatePreflight(product.to_string()))
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(check);
                }
            }
        }
        Ok(self)
    }

    /// [`Worker::run`] under [`supervise`]: should the loop ever die, it is started again.
    pub async fn run_supervised(self: Arc<Self>, shutdown: CancellationToken) {
        let name = format!("worker {}", self.cfg.id);
        let sd = shutdown.clone();
        supervise(name, shutdown, RESTART_DELAY, move || {
            let (w, sd) = (self.clone(), sd.clone());
            async move { w.run(sd).await }
        })
        .await
    }

    /// Claim and run tasks until `shutdown`; on shutdown the current task's lease is given back.
    /// A panic while running a task (an engine's, a product check's) fails that attempt and
    /// the loop goes on.
    pub async fn run(&self, shutdown: CancellationToken) {
        let kinds = self.engines.kinds();
        while !shutdown.is_cancelled() {
            let lease_ms = self.cfg.lease.as_millis() as i64;
            let cap = self.cfg.max_running_per_account;
            match self
                .store
                .claim_fair(&self.cfg.id, &kinds, lease_ms, cap)
                .await
            {
                Ok(Some(lease)) => {
                    let held = lease.clone();
                    match catch_panic(self.run_one(lease, &shutdown)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::error!(worker = %self.cfg.id, error = %e, "task bookkeeping failed")
                        }
                        Err(why) => self.fail_after_panic(&held, "task run", &why).await,
                    }
                }
                Ok(None) => {
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = tokio::time::sleep(self.cfg.idle_poll) => {}
                    }
                }
                Err(e) => {
                    tracing::error!(worker = %self.cfg.id, error = %e, "claim failed");
                    tokio::time::sleep(self.cfg.idle_poll).await;
                }
            }
        }
        match self.store.release_leases(&self.cfg.id).await {
            Ok(n) if n > 0 => {
                tracing::info!(worker = %self.cfg.id, released = n, "leases released")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(worker = %self.cfg.id, error = %e, "releasing leases failed"),
        }
    }

    /// When the task's runtime window (if it has one) is closed now, by the store's clock: the
    /// time it opens again (milliseconds).
    fn outside_window_until(&self, window: Option<&Schedule>) -> Option<i64> {
        let s = window?;
        let now = self.store.clock().utc();
        if s.in_window(now) {
            return None;
        }
        Some(
            s.next_window_open(now)
                .map(|t| t.timestamp_millis())
                .unwrap_or(i64::MAX / 2),
        )
    }

    /// Record a panic as the attempt's error (retried while attempts remain), if the lease is
    /// still held; a run that had already been recorded stays as it is.
    async fn fail_after_panic(&self, lease: &Lease, what: &str, why: &str) {
        tracing::error!(worker = %self.cfg.id, task = lease.task.id, kind = %lease.task.kind, error = %why, "{what} panicked");
        let msg = format!("{what} panicked: {}", vigil_engine::text::clip(why, 1000));
        let backoff = self.cfg.retry_backoff.as_millis() as i64;
        if let Err(e) = self
            .store
            .finish(lease, TaskState::Failed, Some(&msg), backoff)
            .await
        {
            tracing::error!(worker = %self.cfg.id, task = lease.task.id, error = %e, "recording a panic failed");
        }
    }

    async fn run_one(
        &self,
        mut lease: Lease,
        shutdown: &CancellationToken,
    ) -> vigil_store::Result<()> {
        if let (Some(_), Some(check)) = (
            lease.task.schedule_id,
            self.preflights.get(&lease.task.product),
        ) {
            match check.prepare(&lease.task).await {
                Ok(None) => {}
                Ok(Some(p)) => {
                    self.store
                        .set_task_input(lease.task.id, &p.target, &p.options)
                        .await?;
                    lease.task.target = p.target;
                    lease.task.options = p.options;
                }
                Err(why) => {
                    tracing::warn!(task = lease.task.id, reason = %why, "scheduled run refused");
                    let mut l = lease.clone();
                    l.attempt = l.task.max_attempts;
                    self.store
                        .finish(&l, TaskState::Failed, Some(&why), 0)
                        .await?;
                    return Ok(());
                }
            }
        }
        let task = &lease.task;
        tracing::info!(worker = %self.cfg.id, task = task.id, kind = %task.kind, attempt = lease.attempt, "task claimed");
        let Some(engine) = self.engines.get(&task.kind) else {
            self.store
                .finish(
                    &lease,
                    TaskState::Failed,
                    Some("no engine for this task kind"),
                    0,
                )
                .await?;
            return Ok(());
        };
        // Which engine (kind and version) ran this attempt: part of the run's record.
        self.store
            .record_attempt_engine(&lease, engine.kind(), engine.version())
            .await?;
        // The worker's options, checked: a malformed one fails the run with the reason
        // rather than being ignored (a window that silently does not apply, say).
        let opts = match vigil_core::spec::run_options(&task.kind, &task.options) {
            Ok(opts) => opts,
            Err(e) => {
                let mut l = lease.clone();
                l.attempt = l.task.max_attempts;
                self.store
                    .finish(&l, TaskState::Failed, Some(&e.to_string()), 0)
                    .await?;
                return Ok(());
            }
        };
        let window = opts.schedule.clone();
        if let Some(resume) = self.outside_window_until(window.as_ref()) {
            self.store.pause(&lease, resume).await?;
            return Ok(());
        }
        let rate = opts.rate_per_second;
        let scope_key = opts
            .scope_key
            .clone()
            .or_else(|| engine.scope_key(&task.target))
            .unwrap_or_else(|| default_scope_key(task));
        let kinds: Vec<String> = opts.finding_kinds.clone().unwrap_or_default();
        let deadline = opts
            .timeout_secs
            .filter(|s| *s > 0)
            .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        let sink = Arc::new(StoreSink {
            store: self.store.clone(),
            account_id: task.account_id,
            task_id: task.id,
            scope_key: scope_key.clone(),
            progress: AtomicU8::new(task.progress.clamp(0, 100) as u8),
        });
        let cancel = CancellationToken::new();
        let ctx = ScanCtx {
            cancel: cancel.clone(),
            // `rate_strict`: requests evenly spaced, never a burst (a web site's promised rate
            // holds in every one-second window); otherwise bursts up to the rate.
            rate: Arc::new(if opts.rate_strict {
                RateLimiter::strict(rate)
            } else {
                RateLimiter::new(rate)
            }),
            scope: self.scope.clone(),
            sink: sink.clone(),
        };
        let target = task.target.clone();
        let options = task.options.clone();
        // Findings last seen before this instant and not seen by this run are candidates
        // for "fixed"; one seen by an overlapping run after it is not.
        let run_started = self.store.now();
        // A panic inside the engine ends this run only (see `RunEnd::Panicked`).
        let run = catch_panic(engine.run(&ctx, &target, &options));
        tokio::pin!(run);
        let lease_ms = self.cfg.lease.as_millis() as i64;
        let mut beat = tokio::time::interval(self.cfg.heartbeat);
        beat.tick().await;
        let end = loop {
            tokio::select! {
                r = &mut run => break match r {
                    Ok(r) => RunEnd::Done(r),
                    Err(why) => RunEnd::Panicked(why),
                },
                _ = sleep_until(deadline) => break RunEnd::Timeout,
                _ = shutdown.cancelled() => break RunEnd::Shutdown,
                _ = beat.tick() => {
                    let p = sink.progress.load(Ordering::Relaxed) as i64;
                    match self.store.heartbeat(&lease, p, lease_ms).await {
                        Ok(None) => break RunEnd::LeaseLost,
                        Ok(Some(true)) => break RunEnd::Stop,
                        Ok(Some(false)) => {}
                        Err(e) => tracing::warn!(task = task.id, error = %e, "heartbeat failed"),
                    }
                    if let Some(resume) = self.outside_window_until(window.as_ref()) {
                        break RunEnd::Pause(resume);
                    }
                }
            }
        };
        cancel.cancel();
        match end {
            RunEnd::Done(Ok(coverage)) => {
                if self
                    .store
                    .finish(&lease, TaskState::Succeeded, None, 0)
                    .await?
                {
                    let gone: Vec<i64> = self
                        .store
                        .unseen_open_findings(task.account_id, &scope_key, run_started, &kinds)
                        .await?
                        .into_iter()
                        .filter(|f| coverage.covers(&f.finding))
                        .map(|f| f.id)
                        .collect();
                    self.store
                        .mark_fixed_unless_seen(task.account_id, &gone, run_started)
                        .await?;
                }
            }
            RunEnd::Done(Err(EngineError::Cancelled)) | RunEnd::Stop => {
                self.store
                    .finish(&lease, TaskState::Stopped, None, 0)
                    .await?;
            }
            RunEnd::Done(Err(e @ (EngineError::InvalidInput(_) | EngineError::Scope(_)))) => {
                // Retrying cannot help: fail at once.
                let mut l = lease.clone();
                l.attempt = l.task.max_attempts;
                self.store
                    .finish(&l, TaskState::Failed, Some(&e.to_string()), 0)
                    .await?;
            }
            RunEnd::Done(Err(e)) => {
                let backoff = self.cfg.retry_backoff.as_millis() as i64;
                self.store
                    .finish(&lease, TaskState::Failed, Some(&e.to_string()), backoff)
                    .await?;
            }
            RunEnd::Panicked(why) => self.fail_after_panic(&lease, "engine", &why).await,
            RunEnd::Timeout => {
                let mut l = lease.clone();
                l.attempt = l.task.max_attempts;
                let why = format!("timed out after {} s", opts.timeout_secs.unwrap_or(0));
                self.store
                    .finish(&l, TaskState::Failed, Some(&why), 0)
                    .await?;
            }
            RunEnd::Pause(at) => {
                self.store.pause(&lease, at).await?;
            }
            RunEnd::LeaseLost => {
                tracing::warn!(task = task.id, "lease lost; abandoning run");
            }
            RunEnd::Shutdown => {}
        }
        if let Some(hook) = self.finishers.get(&task.product) {
            let done = self.store.task(task.account_id, task.id).await?;
            if done.state.is_terminal() {
                if let Err(why) = hook.finished(&done).await {
                    tracing::warn!(task = task.id, product = %task.product, "finish hook failed: {why}");
                }
            }
        }
        if let Some(hook) = opts.finish_webhook.as_deref() {
            let done = self.store.task(task.account_id, task.id).await?;
            if done.state.is_terminal() {
                let found = self.store.sighting_counts(&[task.id]).await?;
                let payload = serde_json::json!({
                    "task_id": task.id, "job_id": task.job_id, "product": task.product,
                    "state": done.state.as_str(), "error": done.error,
                    "findings": found.first().map(|c| c.1).unwrap_or(0),
                    "started_at": done.started_at, "finished_at": done.finished_at,
                });
                // Owed in the store first: a restart before delivery loses nothing.
                self.store
                    .enqueue_callback(&vigil_store::NewCallback {
                        account_id: task.account_id,
                        url: hook.to_string(),
                        body: payload.to_string(),
                        accept: vigil_store::Accept::Success,
                        max_attempts: FINISH_WEBHOOK_ATTEMPTS,
                    })
                    .await?;
            }
        }
        Ok(())
    }
}
