//! A `vigil worker` process killed with SIGKILL in the middle of a scan loses nothing: after
//! its lease runs out, a second worker process runs the task to completion exactly once, and
//! the findings are stored once. Runs on SQLite and, when configured, PostgreSQL.

use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vigil_core::{TaskSpec, TaskState};
use vigil_store::{NewTask, Store};

/// The test master key (`vigil_testkit::secrets()`), for the worker processes too.
const KEY: &str = "abababababababababababababababababababababababababababababababab";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(url: &str, config: &std::path::Path) -> Proc {
    Proc(
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args([
                "worker",
                "--workers",
                "1",
                "--database-url",
                url,
                "--config",
            ])
            .arg(config)
            .env("VIGIL_MASTER_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test]
async fn killed_worker_process_loses_nothing() {
    for url in vigil_testkit::database_urls("worker_kill").await {
        let store = Store::open(&url, vigil_testkit::secrets()).await.unwrap();
        let acct = store.create_account("a").await.unwrap();
        // Our open port among 15,000 scanned at 1,500 per second: about ten seconds a run.
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = open.local_addr().unwrap().port();
        let (lo, hi) = (
            port.saturating_sub(7_500).max(1),
            port.saturating_add(7_500),
        );
        let task = store
            .enqueue(&NewTask {
                account_id: acct.id,
                spec: TaskSpec {
                    product: "test".into(),
                    kind: "net".into(),
                    target: json!({"targets": ["127.0.0.1"]}),
                    options: json!({"ports": format!("{lo}-{hi}"), "items": ["port"],
                        "discovery": false, "service_detection": false, "rate_per_second": 1500}),
                    max_attempts: 3,
                    job_id: None,
                },
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        let dir = vigil_testkit::scratch_dir("worker-kill");
        let config = dir.join("vigil.toml");
        std::fs::write(
            &config,
            // Loopback is internal: workers reach it only when the operator's scope names it.
            "[worker]\nlease_secs = 1.5\nheartbeat_secs = 0.3\n[scope]\nallow = [\"127.0.0.0/8\"]\n",
        )
        .unwrap();

        let mut first = worker(&url, &config);
        let started = Instant::now();
        loop {
            let t = store.task(acct.id, task).await.unwrap();
            if t.state == TaskState::Running && t.progress > 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the first worker never got going: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // SIGKILL: no heartbeat, no release, no cleanup.
        first.0.kill().unwrap();
        first.0.wait().unwrap();
        let killed_at = store.task(acct.id, task).await.unwrap();
        assert_eq!(killed_at.state, TaskState::Running);
        assert!(
            killed_at.progress < 100,
            "killed too late to prove anything"
        );

        let _second = worker(&url, &config);
        let t = loop {
            let t = store.task(acct.id, task).await.unwrap();
            if t.state.is_terminal() {
                break t;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the task never finished: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            (t.state, t.progress, t.attempts),
            (TaskState::Succeeded, 100, 2),
            "{t:?}"
        );
        let attempts = store.task_attempts(task).await.unwrap();
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert_ne!(
            attempts[0].worker_id, attempts[1].worker_id,
            "two different workers"
        );
        let found = store.findings_of_task(acct.id, task).await.unwrap();
        // Other programs on this machine may listen in the range too: ours must be there,
        // and every open port exactly once.
        let mut ports: Vec<u16> = found.iter().filter_map(|f| f.finding.port).collect();
        assert!(ports.contains(&port), "{ports:?}");
        let n = ports.len();
        ports.sort();
        ports.dedup();
        assert_eq!(n, ports.len(), "a port stored twice");
        drop(open);
    }
}
