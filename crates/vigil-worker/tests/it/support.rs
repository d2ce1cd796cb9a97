//! Shared by the worker tests: a worker configuration with short leases, a task for a test
//! engine, and polling a task until a condition holds.

use std::time::Duration;
use vigil_core::TaskSpec;
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

/// Poll a task until `done` holds for it (at most `secs` seconds); returns it then.
pub async fn wait_for(
    store: &Store,
    account_id: i64,
    task_id: i64,
    secs: u64,
    what: &str,
    done: impl Fn(&TaskRecord) -> bool,
) -> TaskRecord {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let t = store.task(account_id, task_id).await.unwrap();
        if done(&t) {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {t:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
