//! A worker dies mid-task (its future is dropped: no heartbeat, no release, like `kill -9`); a
//! second worker picks the task up after the lease expires and it completes exactly once.
//! Runs on SQLite and, when `VIGIL_TEST_POSTGRES_URL` is set, on PostgreSQL.

use crate::support::{cfg, task, wait_for};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Component, Finding, Severity, TaskState};
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
        let store = open(&url).await;
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
            attempts,
            vec![
                (1, "worker-a".to_string(), Some("lost".to_string())),
                (2, "worker-b".to_string(), Some("succeeded".to_string()))
            ]
        );
        // Each attempt names the engine that ran it.
        let engine = (
            Some("stepper".to_string()),
            Some(Stepper.version().to_string()),
        );
        let engines_of: Vec<(Option<String>, Option<String>)> = store
            .attempt_engines(task_id)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, kind, version)| (kind, version))
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
        assert!(
            stats.finished_ms >= 600,
            "ten 60 ms steps: {}",
            stats.finished_ms
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

#[tokio::test]
async fn task_outside_its_runtime_window_waits_for_the_opening() {
    use chrono::Timelike;
    let store = open(&vigil_testkit::sqlite_url("window")).await;
    let acct = store.create_account("a").await.unwrap();
    let now = chrono::Utc::now();
    let at = |h: i64| {
        let t = now + chrono::Duration::hours(h);
        chrono::NaiveTime::from_hms_opt(t.hour(), 0, 0).unwrap()
    };
    let schedule = vigil_core::Schedule {
        trigger: vigil_core::Trigger::Once { at: now },
        time_zone: "UTC".into(),
        window: Some(vigil_core::DailyWindow {
            start: at(2),
            end: at(3),
        }),
        not_before: None,
        not_after: None,
    };
    let opens = schedule.next_window_open(now).unwrap().timestamp_millis();
    let id = store
        .enqueue(&stepper_task(
            acct.id,
            1,
            1,
            json!({ "schedule": schedule }),
        ))
        .await
        .unwrap();
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
    let h = tokio::spawn(async move { w.run(sd).await });
    let t = wait_for(&store, acct.id, id, 5, "task not paused", |t| {
        t.state == TaskState::Paused
    })
    .await;
    assert_eq!(t.run_after, opens, "resumes when the window opens");
    assert_eq!(t.attempts, 0, "a pause spends no attempt");
    // Nothing runs it before the window opens.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(store
        .findings_of_task(acct.id, id)
        .await
        .unwrap()
        .is_empty());
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
    let h = tokio::spawn(async move { w.run(sd).await });
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
