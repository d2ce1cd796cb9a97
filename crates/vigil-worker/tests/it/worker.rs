//! A worker dies mid-task (its future is dropped: no heartbeat, no release, like `kill -9`); a
//! second worker picks the task up after the lease expires and it completes exactly once.
//! Stop requests, shutdown, runtime windows (closed at the start, closing mid-run) and product
//! checks of scheduled runs. Lease expiry and windows are reached by moving the store's manual
//! clock, not by sleeping. Runs on SQLite and, when `VIGIL_TEST_POSTGRES_URL` is set, on
//! PostgreSQL.

use crate::support::{cfg, clocked, outcomes, task, utc, wait_for};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, Component, Finding, ManualClock, Severity, TaskState};
use vigil_engine::{Coverage, Engine, EngineError, Everything, Registry, ScanCtx, ScopeGuard};
use vigil_store::{NewTask, Store, TaskRecord};
use vigil_worker::{run_rescuer, Worker};

/// Test engine: ten steps of 60 ms, reporting progress, one finding per step.
struct Stepper;

#[async_trait]
impl Engine for Stepper {
    fn kind(&self) -> &'static str {
        "stepper"
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
        let steps = target["steps"].as_u64().unwrap_or(10);
        for i in 0..steps {
            ctx.check_cancelled()?;
            tokio::time::sleep(Duration::from_millis(60)).await;
            ctx.sink
                .finding(Finding {
                    kind: "step".into(),
                    severity: Some(Severity::Info),
                    title: format!("step {i}"),
                    host: Some("127.0.0.1".into()),
                    port: Some(i as u16 + 1),
                    ..Default::default()
                })
                .await?;
            ctx.sink
                .component(Component {
                    name: format!("step-{i}"),
                    version: Some("1".into()),
                    kind: "service".into(),
                    purl: None,
                    path: None,
                    detail: None,
                })
                .await?;
            ctx.sink.progress(((i + 1) * 100 / steps) as u8);
        }
        Ok(Box::new(Everything))
    }
}

async fn open(url: &str) -> Store {
    Store::open(url, vigil_testkit::secrets()).await.unwrap()
}

/// A task for the stepper engine.
fn stepper_task(
    account_id: i64,
    steps: u64,
    max_attempts: i64,
    options: serde_json::Value,
) -> NewTask {
    task(
        "stepper",
        account_id,
        json!({ "steps": steps }),
        options,
        max_attempts,
    )
}

#[tokio::test]
async fn killed_worker_task_completes_once() {
    for url in vigil_testkit::database_urls("worker").await {
        let (store, clock) = clocked(open(&url).await, "2026-03-01T10:30:00Z");
        let claimed_at = clock.now();
        let acct = store.create_account("a").await.unwrap();
        let task_id = store
            .enqueue(&stepper_task(acct.id, 10, 3, json!({})))
            .await
            .unwrap();
        let mut engines = Registry::new();
        engines.register(Arc::new(Stepper)).unwrap();
        let scope = Arc::new(ScopeGuard::operator(Default::default()));

        let a = Worker::new(
            store.clone(),
            engines.clone(),
            scope.clone(),
            cfg("worker-a"),
        );
        let a_handle = tokio::spawn(async move { a.run(CancellationToken::new()).await });
        // Wait until A is mid-task, then kill it.
        // Mid-task: running, with progress reported by at least one step.
        wait_for(
            &store,
            acct.id,
            task_id,
            10,
            "worker A never started",
            |t| t.state == TaskState::Running && t.progress > 0,
        )
        .await;
        a_handle.abort();
        let _ = a_handle.await;
        // A is dead, but its lease (400 ms from the claim, by the store's clock) still holds.
        assert_eq!(store.rescue_expired().await.unwrap(), 0);

        let shutdown = CancellationToken::new();
        let rescuer = tokio::spawn(run_rescuer(
            store.clone(),
            Duration::from_millis(100),
            shutdown.clone(),
        ));
        let b = Worker::new(
            store.clone(),
            engines.clone(),
            scope.clone(),
            cfg("worker-b"),
        );
        let sd = shutdown.clone();
        let b_handle = tokio::spawn(async move { b.run(sd).await });
        // The lease runs out: the rescuer returns the task and B takes it.
        clock.advance(Duration::from_millis(401));
        let t = wait_for(&store, acct.id, task_id, 20, "task never finished", |t| {
            t.state.is_terminal()
        })
        .await;
        assert_eq!(
            (t.state, t.progress, t.attempts),
            (TaskState::Succeeded, 100, 2)
        );
        shutdown.cancel();
        b_handle.await.unwrap();
        rescuer.await.unwrap();
        let attempts = store.task_attempts(task_id).await.unwrap();
        assert_eq!(
            outcomes(&attempts),
            vec![
                (1, "worker-a", Some("lost")),
                (2, "worker-b", Some("succeeded"))
            ]
        );
        // Each attempt names the engine that ran it.
        let engine = (
            Some("stepper".to_string()),
            Some(Stepper.version().to_string()),
        );
        let engines_of: Vec<(Option<String>, Option<String>)> = attempts
            .into_iter()
            .map(|a| (a.engine_kind, a.engine_version))
            .collect();
        assert_eq!(engines_of, vec![engine.clone(), engine]);
        // Ten distinct findings, each stored once despite the re-run.
        let found = store.findings_of_task(acct.id, task_id).await.unwrap();
        assert_eq!(found.len(), 10);
        // Components too: each once, although steps of the first run were reported twice.
        let comps = store.components_of_task(acct.id, task_id).await.unwrap();
        assert_eq!(comps.len(), 10);
        assert_eq!(comps[0].version.as_deref(), Some("1"));
        assert!(store
            .components_of_task(acct.id + 1, task_id)
            .await
            .unwrap()
            .is_empty());
        let stats = store.task_stats().await.unwrap();
        assert_eq!(stats.by_state, vec![("succeeded".to_string(), 1)]);
        assert_eq!(stats.finished, 1);
        let t = store.task(acct.id, task_id).await.unwrap();
        assert_eq!(t.started_at, Some(claimed_at), "A's claim");
        assert_eq!(
            stats.finished_ms, 401,
            "from A's claim to B's finish, by the store's clock"
        );
    }
}

#[tokio::test]
async fn stop_request_reaches_running_engine_and_shutdown_releases() {
    let store = open(&vigil_testkit::sqlite_url("stop")).await;
    let acct = store.create_account("a").await.unwrap();
    let new = || stepper_task(acct.id, 100, 1, json!({}));
    let t1 = store.enqueue(&new()).await.unwrap();
    let mut engines = Registry::new();
    engines.register(Arc::new(Stepper)).unwrap();
    assert!(
        engines.register(Arc::new(Stepper)).is_err(),
        "kinds are unique"
    );
    let w = Worker::new(
        store.clone(),
        engines,
        Arc::new(ScopeGuard::operator(Default::default())),
        cfg("w"),
    );
    let shutdown = CancellationToken::new();
    let sd = shutdown.clone();
    let h = tokio::spawn(async move { w.run(sd).await });
    wait_for(&store, acct.id, t1, 5, "first task not claimed", |t| {
        t.state == TaskState::Running
    })
    .await;
    assert_eq!(
        store.request_stop(acct.id, t1).await.unwrap(),
        TaskState::Running
    );
    wait_for(&store, acct.id, t1, 5, "stop not honoured", |t| {
        t.state == TaskState::Stopped
    })
    .await;
    // A second task is running when the worker shuts down: its lease goes back to the queue.
    let t2 = store.enqueue(&new()).await.unwrap();
    wait_for(&store, acct.id, t2, 5, "second task not claimed", |t| {
        t.state == TaskState::Running
    })
    .await;
    shutdown.cancel();
    h.await.unwrap();
    let t = store.task(acct.id, t2).await.unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Queued, 0));
}

/// A fresh store (named by `tag`) whose clock stands at `start`, an account, and a queued
/// stepper task of `steps` steps that may run only between 12:00 and 13:00 UTC: the store,
/// its clock, the account id and the task id.
async fn windowed_task(tag: &str, start: &str, steps: u64) -> (Store, ManualClock, i64, i64) {
    let (store, clock) = clocked(open(&vigil_testkit::sqlite_url(tag)).await, start);
    let acct = store.create_account("a").await.unwrap();
    let hour = |h| chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let window = vigil_core::Schedule {
        trigger: vigil_core::Trigger::Once {
            at: utc("2026-03-01T00:00:00Z"),
        },
        time_zone: "UTC".into(),
        window: Some(vigil_core::DailyWindow {
            start: hour(12),
            end: hour(13),
        }),
        not_before: None,
        not_after: None,
    };
    let id = store
        .enqueue(&stepper_task(
            acct.id,
            steps,
            1,
            json!({ "schedule": window }),
        ))
        .await
        .unwrap();
    (store, clock, acct.id, id)
}

/// A worker with the stepper engine over `store`, running until the returned token is
/// cancelled.
fn start_worker(store: &Store) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let mut engines = Registry::new();
    engines.register(Arc::new(Stepper)).unwrap();
    let w = Worker::new(
        store.clone(),
        engines,
        Arc::new(ScopeGuard::operator(Default::default())),
        cfg("w"),
    );
    let shutdown = CancellationToken::new();
    let sd = shutdown.clone();
    (shutdown, tokio::spawn(async move { w.run(sd).await }))
}

#[tokio::test]
async fn task_outside_its_runtime_window_waits_for_the_opening() {
    // 10:30 by the store's clock, whatever the system's time; the window is 12:00-13:00.
    let (store, clock, acct, id) = windowed_task("window", "2026-03-01T10:30:00Z", 1).await;
    let opens = utc("2026-03-01T12:00:00Z").timestamp_millis();
    let (shutdown, h) = start_worker(&store);
    let t = wait_for(&store, acct, id, 5, "task not paused", |t| {
        t.state == TaskState::Paused
    })
    .await;
    assert_eq!(t.run_after, opens, "resumes when the window opens");
    assert_eq!(t.attempts, 0, "a pause spends no attempt");
    // Nothing can claim it before the window opens.
    clock.set(opens - 1);
    assert!(store
        .claim("other", &["stepper".to_string()], 1_000)
        .await
        .unwrap()
        .is_none());
    assert!(store.findings_of_task(acct, id).await.unwrap().is_empty());
    // Inside the window the worker runs it.
    clock.set(opens + 60_000);
    let t = wait_for(&store, acct, id, 5, "task not run in its window", |t| {
        t.state.is_terminal()
    })
    .await;
    assert_eq!((t.state, t.attempts), (TaskState::Succeeded, 1));
    assert_eq!(store.findings_of_task(acct, id).await.unwrap().len(), 1);
    shutdown.cancel();
    h.await.unwrap();
}

#[tokio::test]
async fn a_run_pauses_when_its_window_closes() {
    // A hundred 60 ms steps: still running when the window closes.
    let (store, clock, acct, id) =
        windowed_task("window_closes", "2026-03-01T12:30:00Z", 100).await;
    let (shutdown, h) = start_worker(&store);
    wait_for(&store, acct, id, 5, "task not started", |t| {
        t.state == TaskState::Running && t.progress > 0
    })
    .await;
    clock.set(utc("2026-03-01T13:30:00Z").timestamp_millis());
    // The next heartbeat sees the closed window: paused until tomorrow's opening.
    let t = wait_for(&store, acct, id, 5, "run not paused", |t| {
        t.state == TaskState::Paused
    })
    .await;
    assert_eq!(t.run_after, utc("2026-03-02T12:00:00Z").timestamp_millis());
    assert_eq!(t.attempts, 0, "a pause spends no attempt");
    assert_eq!(
        outcomes(&store.task_attempts(id).await.unwrap()),
        vec![(1, "w", Some("paused"))]
    );
    shutdown.cancel();
    h.await.unwrap();
}

#[tokio::test]
async fn a_malformed_runtime_window_fails_the_run_with_the_reason() {
    let store = open(&vigil_testkit::sqlite_url("badwindow")).await;
    let acct = store.create_account("a").await.unwrap();
    // A window the worker cannot read must not be ignored (the task would run at any hour).
    let bad = store
        .enqueue(&stepper_task(
            acct.id,
            1,
            3,
            json!({ "schedule": {"trigger": "whenever"} }),
        ))
        .await
        .unwrap();
    // Its safe twin: a task with well-formed worker options runs.
    let good = store
        .enqueue(&stepper_task(
            acct.id,
            1,
            3,
            json!({ "timeout_secs": 60, "rate_per_second": 100 }),
        ))
        .await
        .unwrap();
    let (shutdown, h) = start_worker(&store);
    let t = wait_for(&store, acct.id, bad, 5, "bad task not failed", |t| {
        t.state == TaskState::Failed
    })
    .await;
    let why = t.error.unwrap_or_default();
    assert!(
        why.contains("run options") && why.contains("schedule") || why.contains("whenever"),
        "{why}"
    );
    assert!(store
        .findings_of_task(acct.id, bad)
        .await
        .unwrap()
        .is_empty());
    wait_for(&store, acct.id, good, 5, "good task not done", |t| {
        t.state == TaskState::Succeeded
    })
    .await;
    shutdown.cancel();
    h.await.unwrap();
}

/// Product check for the test: scheduled runs get three steps, or are refused when the
/// target asks for it.
struct ThreeSteps;

#[async_trait]
impl vigil_worker::Preflight for ThreeSteps {
    async fn prepare(&self, task: &TaskRecord) -> Result<Option<vigil_worker::Prepared>, String> {
        if task.target["refuse"] == json!(true) {
            return Err("scheduled run refused: asset deleted".into());
        }
        Ok(Some(vigil_worker::Prepared {
            target: json!({"steps": 3}),
            options: json!({"checked": true}),
        }))
    }
}

#[tokio::test]
async fn scheduled_runs_pass_the_product_check_first() {
    for url in vigil_testkit::database_urls("worker_preflight").await {
        let store = open(&url).await;
        let acct = store.create_account("a").await.unwrap();
        let mut engines = Registry::new();
        engines.register(Arc::new(Stepper)).unwrap();
        let w = Worker::new(
            store.clone(),
            engines,
            Arc::new(ScopeGuard::operator(Default::default())),
            cfg("worker-p"),
        )
        .with_preflight("test", Arc::new(ThreeSteps));
        let shutdown = CancellationToken::new();
        let sd = shutdown.clone();
        let handle = tokio::spawn(async move { w.run(sd).await });
        let base = stepper_task(acct.id, 10, 3, json!({}));
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
        let scheduled = |target: serde_json::Value| {
            let mut t = stepper_task(acct.id, 10, 3, json!({}));
            t.spec.target = target;
            t.schedule_id = Some(schedule);
            t
        };
        let checked = store
            .enqueue(&scheduled(json!({"steps": 10})))
            .await
            .unwrap();
        let refused = store
            .enqueue(&scheduled(json!({"refuse": true})))
            .await
            .unwrap();
        for id in [checked, refused] {
            wait_for(&store, acct.id, id, 20, "run never ended", |t| {
                t.state.is_terminal()
            })
            .await;
        }
        assert_eq!(
            store
                .findings_of_task(acct.id, checked)
                .await
                .unwrap()
                .len(),
            3
        );
        let manual = store.enqueue(&base).await.unwrap();
        wait_for(&store, acct.id, manual, 20, "run never ended", |t| {
            t.state.is_terminal()
        })
        .await;
        shutdown.cancel();
        handle.await.unwrap();
        let t = store.task(acct.id, checked).await.unwrap();
        assert_eq!(t.state, TaskState::Succeeded);
        assert_eq!(
            t.target,
            json!({"steps": 3}),
            "the run records what it scanned"
        );
        assert_eq!(t.options, json!({"checked": true}));
        let t = store.task(acct.id, refused).await.unwrap();
        assert_eq!(
            (t.state, t.attempts, t.error.as_deref()),
            (
                TaskState::Failed,
                1,
                Some("scheduled run refused: asset deleted")
            ),
            "refused at once, not retried"
        );
        let t = store.task(acct.id, manual).await.unwrap();
        assert_eq!(
            (t.state, t.target["steps"].clone()),
            (TaskState::Succeeded, json!(10))
        );
    }
}
