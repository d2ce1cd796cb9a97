//! The scheduler loop fires a schedule when the store's clock says it is due, once per
//! occurrence, and sets the next fire time from the schedule. The store's manual clock stands
//! in 2100, so a firing proves the loop reads that clock and not the system's.

use crate::support::{clocked, poll, task, utc};
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Schedule, Trigger};
use vigil_store::Store;
use vigil_worker::run_scheduler;

#[tokio::test]
async fn the_scheduler_fires_by_the_stores_clock() {
    for url in vigil_testkit::database_urls("scheduler").await {
        let store = Store::open(&url, vigil_testkit::secrets()).await.unwrap();
        let (store, clock) = clocked(store, "2100-01-01T10:30:00Z");
        let acct = store.create_account("a").await.unwrap();
        let hourly = Schedule::new(Trigger::Interval {
            every_secs: 3600,
            anchor: utc("2100-01-01T00:00:00Z"),
        });
        let ms = |s: &str| utc(s).timestamp_millis();
        let spec = task("stepper", acct.id, json!({}), json!({}), 1).spec;
        let sid = store
            .create_schedule(
                acct.id,
                "test",
                &hourly,
                &spec,
                Some(ms("2100-01-01T10:00:00Z")),
            )
            .await
            .unwrap();
        let shutdown = CancellationToken::new();
        let loop_ = tokio::spawn(run_scheduler(
            store.clone(),
            Duration::from_millis(20),
            shutdown.clone(),
        ));
        // Fired at the store's 10:30 (the system's clock is decades short of 10:00).
        let fired = |at: i64| {
            let store = store.clone();
            move || {
                let store = store.clone();
                async move {
                    let rec = store.schedule(acct.id, sid).await.unwrap();
                    let runs = store.count_tasks_since(acct.id, "test", 0).await.unwrap();
                    match rec.last_fired_at {
                        Some(t) if t == at => Ok((runs, rec.next_fire_at)),
                        _ => Err(format!("{rec:?}, {runs} runs")),
                    }
                }
            }
        };
        let first = poll(
            5,
            "first occurrence not fired",
            fired(ms("2100-01-01T10:00:00Z")),
        )
        .await;
        assert_eq!(first, (1, Some(ms("2100-01-01T11:00:00Z"))));
        // The next occurrence fires once the clock reaches it.
        clock.set(ms("2100-01-01T11:00:00Z"));
        let second = poll(
            5,
            "second occurrence not fired",
            fired(ms("2100-01-01T11:00:00Z")),
        )
        .await;
        assert_eq!(second, (2, Some(ms("2100-01-01T12:00:00Z"))));
        shutdown.cancel();
        loop_.await.unwrap();
    }
}
