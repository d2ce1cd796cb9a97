//! Panic isolation: an engine that panics (here, like the web engine did, by slicing text
//! inside a multi-byte character) fails its own run, with the panic message recorded on the
//! attempt and the usual retries, while the worker that ran it goes on to the next task; a
//! panicking product check fails only its run; and a loop that dies is started again. The
//! retry waits for its backoff on the store's manual clock, which the test moves on.
//! Runs on SQLite and, when `VIGIL_TEST_POSTGRES_URL` is set, on PostgreSQL.

use crate::support::{self, cfg, clocked, outcomes};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, Finding, Severity, TaskState};
use vigil_engine::{Coverage, Engine, EngineError, Everything, Registry, ScanCtx, ScopeGuard};
use vigil_store::{NewTask, Store, TaskRecord};
use vigil_worker::{supervise, Worker};

/// Test engine: waits `sleep_ms` (long enough for heartbeats), reports one finding, then,
/// when the target says `cut`, slices its `text` at that byte offset (a panic inside a
/// multi-byte character).
struct Fragile;

#[async_trait]
impl Engine for Fragile {
    fn kind(&self) -> &'static str {
        "fragile"
    }
    fn version(&self) -> &'static str {
        "1"
    }
    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        _: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        tokio::time::sleep(Duration::from_millis(
            target["sleep_ms"].as_u64().unwrap_or(0),
        ))
        .await;
        ctx.check_cancelled()?;
        ctx.sink
            .finding(Finding {
                kind: "fragile".into(),
                severity: Some(Severity::Info),
                title: "seen".into(),
                host: Some("127.0.0.1".into()),
                ..Default::default()
            })
            .await?;
        ctx.sink.progress(50);
        if let (Some(text), Some(cut)) = (target["text"].as_str(), target["cut"].as_u64()) {
            let head = &text[..cut as usize];
            return Err(EngineError::Failed(format!("unreachable: {head}")));
        }
        Ok(Box::new(Everything))
    }
}

/// Scheduled runs of this product panic in the product's check.
struct PanickyCheck;

#[async_trait]
impl vigil_worker::Preflight for PanickyCheck {
    async fn prepare(&self, _: &TaskRecord) -> Result<Option<vigil_worker::Prepared>, String> {
        panic!("saved scan unreadable");
    }
}

fn task(account_id: i64, target: Value, max_attempts: i64) -> NewTask {
    support::task("fragile", account_id, target, json!({}), max_attempts)
}

fn engines() -> Registry {
    let mut r = Registry::new();
    r.register(Arc::new(Fragile)).unwrap();
    r
}

/// Poll a task until it is terminal (at most `secs` seconds).
async fn finished(store: &Store, account_id: i64, task_id: i64, secs: u64) -> TaskRecord {
    support::wait_for(store, account_id, task_id, secs, "never ended", |t| {
        t.state.is_terminal()
    })
    .await
}

const PANIC_TEXT: &str = "byte index 1 is not a char boundary";

#[tokio::test]
async fn engine_panic_fails_the_run_and_the_worker_runs_the_next_task() {
    for url in vigil_testkit::database_urls("worker_panic").await {
        let store = Store::open(&url, vigil_testkit::secrets()).await.unwrap();
        let (store, clock) = clocked(store, "2026-03-01T10:30:00Z");
        let acct = store.create_account("a").await.unwrap();
        let worker_cfg = cfg("w-1");
        let backoff = worker_cfg.retry_backoff;
        let w = Arc::new(Worker::new(
            store.clone(),
            engines(),
            Arc::new(ScopeGuard::default()),
            worker_cfg,
        ));
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(w.run_supervised(shutdown.clone()));
        // Panics after two heartbeats, on both of its attempts.
        let hostile = store
            .enqueue(&task(
                acct.id,
                json!({"sleep_ms": 250, "text": "İstanbul", "cut": 1}),
                2,
            ))
            .await
            .unwrap();
        // The first attempt fails; the retry waits for the backoff, by the store's clock.
        let t = support::wait_for(&store, acct.id, hostile, 20, "no retry", |t| {
            t.state == TaskState::Queued && t.attempts == 1
        })
        .await;
        assert_eq!(t.run_after, clock.now() + backoff.as_millis() as i64);
        clock.advance(backoff);
        let t = finished(&store, acct.id, hostile, 20).await;
        assert_eq!((t.state, t.attempts), (TaskState::Failed, 2), "{t:?}");
        let err = t.error.unwrap_or_default();
        assert!(err.starts_with("engine panicked: "), "{err}");
        assert!(err.contains(PANIC_TEXT), "{err}");
        // Each attempt ended by the worker itself (the lease released with the outcome, not
        // left to expire), with the panic as its error.
        let attempts = store.task_attempts(hostile).await.unwrap();
        assert_eq!(
            outcomes(&attempts),
            vec![(1, "w-1", Some("failed")), (2, "w-1", Some("failed"))]
        );
        for a in &attempts {
            let e = a.error.as_deref().unwrap_or_default();
            assert!(e.contains(PANIC_TEXT), "attempt {}: {e}", a.attempt);
        }
        assert_eq!(
            store
                .findings_of_task(acct.id, hostile)
                .await
                .unwrap()
                .len(),
            1,
            "what the run found before it panicked is kept"
        );
        // The same worker takes the next task.
        let next = store
            .enqueue(&task(acct.id, json!({"sleep_ms": 10}), 1))
            .await
            .unwrap();
        let t = finished(&store, acct.id, next, 20).await;
        assert_eq!(t.state, TaskState::Succeeded, "{t:?}");
        assert_eq!(
            outcomes(&store.task_attempts(next).await.unwrap()),
            vec![(1, "w-1", Some("succeeded"))]
        );
        assert!(!handle.is_finished(), "the worker is still running");
        shutdown.cancel();
        handle.await.unwrap();
    }
}

#[tokio::test]
async fn a_panicking_product_check_fails_only_its_run() {
    let store = Store::open(
        &vigil_testkit::sqlite_url("preflight_panic"),
        vigil_testkit::secrets(),
    )
    .await
    .unwrap();
    let acct = store.create_account("a").await.unwrap();
    let w = Worker::new(
        store.clone(),
        engines(),
        Arc::new(ScopeGuard::default()),
        cfg("w-p"),
    )
    .with_preflight("test", Arc::new(PanickyCheck));
    let shutdown = CancellationToken::new();
    let sd = shutdown.clone();
    let handle = tokio::spawn(async move { w.run(sd).await });
    let base = task(acct.id, json!({}), 1);
    let schedule = store
        .create_schedule(
            acct.id,
            "test",
            &vigil_core::Schedule::new(vigil_core::Trigger::Cron {
                expr: "0 0 3 * * ?".into(),
            }),
            &base.spec,
            None,
        )
        .await
        .unwrap();
    let mut scheduled = task(acct.id, json!({}), 1);
    scheduled.schedule_id = Some(schedule);
    let scheduled = store.enqueue(&scheduled).await.unwrap();
    let t = finished(&store, acct.id, scheduled, 20).await;
    assert_eq!(t.state, TaskState::Failed);
    assert_eq!(
        t.error.as_deref(),
        Some("task run panicked: saved scan unreadable")
    );
    // A run without a schedule does not ask the check, and runs.
    let manual = store.enqueue(&base).await.unwrap();
    let t = finished(&store, acct.id, manual, 20).await;
    assert_eq!(t.state, TaskState::Succeeded);
    shutdown.cancel();
    handle.await.unwrap();
}

/// Sets its flag when dropped (the loop it lives in was dropped).
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn supervised_loops_are_restarted_until_shutdown() {
    let starts = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicBool::new(false));
    let shutdown = CancellationToken::new();
    let (s, d, sd) = (starts.clone(), dropped.clone(), shutdown.clone());
    let sup = tokio::spawn(supervise(
        "test loop".into(),
        shutdown.clone(),
        Duration::from_millis(10),
        move || {
            let n = s.fetch_add(1, Ordering::SeqCst);
            let (d, sd) = (d.clone(), sd.clone());
            async move {
                let _guard = Dropped(d);
                if n < 2 {
                    panic!("loop {n} died");
                }
                sd.cancelled().await;
            }
        },
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while starts.load(Ordering::SeqCst) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "not restarted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    dropped.store(false, Ordering::SeqCst);
    shutdown.cancel();
    sup.await.unwrap();
    assert_eq!(
        starts.load(Ordering::SeqCst),
        3,
        "a loop that ends is not restarted"
    );
    assert!(dropped.load(Ordering::SeqCst));

    // Dropping the supervisor drops its loop.
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let sup = tokio::spawn(supervise(
        "test loop".into(),
        CancellationToken::new(),
        Duration::from_millis(10),
        move || {
            let d = d.clone();
            async move {
                let _guard = Dropped(d);
                std::future::pending::<()>().await;
            }
        },
    ));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!dropped.load(Ordering::SeqCst));
    sup.abort();
    let _ = sup.await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !dropped.load(Ordering::SeqCst) {
        assert!(tokio::time::Instant::now() < deadline, "loop not aborted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
