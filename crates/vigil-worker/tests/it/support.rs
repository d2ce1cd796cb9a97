//! Shared by the worker tests: a worker configuration with short leases, a task for a test
//! engine, a store reading a manual clock (so leases, backoff, windows and schedules are
//! moved past rather than waited for), and polling a task until a condition holds.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;
use vigil_core::{ManualClock, TaskSpec};
use vigil_store::{NewTask, Store, TaskRecord};
use vigil_worker::WorkerConfig;

/// A worker with a 400 ms lease, 100 ms heartbeats and a 50 ms idle poll.
pub fn cfg(id: &str) -> WorkerConfig {
    let mut c = WorkerConfig::new(id);
    c.lease = Duration::from_millis(400);
    c.heartbeat = Duration::from_millis(100);
    c.idle_poll = Duration::from_millis(50);
    c
}

/// A task of engine `kind`, ready now.
pub fn task(
    kind: &str,
    account_id: i64,
    target: serde_json::Value,
    options: serde_json::Value,
    max_attempts: i64,
) -> NewTask {
    NewTask {
        account_id,
        spec: TaskSpec {
            product: "test".into(),
            kind: kind.into(),
            target,
            options,
            max_attempts,
            job_id: None,
        },
        run_after: 0,
        schedule_id: None,
    }
}

/// A UTC instant from an RFC 3339 literal.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid RFC 3339 literal")
        .with_timezone(&Utc)
}

/// `store` reading a manual clock that stands at `start`, and a handle on that clock.
pub fn clocked(store: Store, start: &str) -> (Store, ManualClock) {
    let clock = ManualClock::at(utc(start));
    (store.with_clock(clock.shared()), clock)
}

/// Poll a task until `done` holds for it (at most `secs` seconds); returns it then.
pub async fn wait_for(
    store: &Store,
    account_id: i64,
    task_id: i64,
    secs: u64,
    what: &str,
    done: impl Fn(&TaskRecord) -> bool,
) -> TaskRecord {
    let done = &done;
    poll(secs, what, move || async move {
        let t = store.task(account_id, task_id).await.unwrap();
        if done(&t) {
            Ok(t)
        } else {
            Err(format!("{t:?}"))
        }
    })
    .await
}

/// Call `probe` every 20 ms until it answers `Ok` (at most `secs` seconds); returns that.
/// `Err` says what it saw, for the failure message.
pub async fn poll<T, F, Fut>(secs: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(seen) => assert!(tokio::time::Instant::now() < deadline, "{what}: {seen}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Attempts as (number, worker, outcome), for comparing with a literal.
pub fn outcomes(attempts: &[vigil_store::Attempt]) -> Vec<(i64, &str, Option<&str>)> {
    attempts
        .iter()
        .map(|a| (a.attempt, a.worker_id.as_str(), a.outcome.as_deref()))
        .collect()
}
