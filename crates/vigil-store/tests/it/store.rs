//! Store conformance suite: every test runs against SQLite and against a real PostgreSQL
//! (`VIGIL_TEST_POSTGRES_URL`, started by `scripts/test`; required when `CI` is set).

use crate::common::{clocked, outcomes, stores, CLOCK_START};
use serde_json::json;
use std::time::Duration;
use vigil_core::{Finding, FindingStatus, Schedule, Severity, TaskSpec, TaskState, Trigger};
use vigil_store::{NewSite, NewTask, SecretBox, SiteFilter, SiteUpdate, Store, StoreError};

fn secrets() -> SecretBox {
    vigil_testkit::secrets()
}

async fn fresh_urls() -> Vec<String> {
    vigil_testkit::database_urls("store").await
}

fn spec(kind: &str) -> TaskSpec {
    TaskSpec {
        product: "test".into(),
        kind: kind.into(),
        target: json!({"host": "127.0.0.1"}),
        options: json!({}),
        max_attempts: 3,
        job_id: None,
    }
}

#[tokio::test]
async fn keys_are_encrypted_and_revocable() {
    for store in stores("store").await {
        let acct = store.create_account("a").await.unwrap();
        let key = store.create_key(&acct, "k").await.unwrap();
        assert!(key.secret_id.starts_with("AKID") && key.secret_id.len() == 36);
        let cred = store.credential(&key.secret_id).await.unwrap().unwrap();
        assert_eq!(cred.secret_key, key.secret_key);
        assert_eq!(cred.account.id, acct.id);
        assert!(cred.active);
        // The key must not be readable with another master key.
        let listed = store.list_keys().await.unwrap();
        assert_eq!(listed.len(), 1);
        store.revoke_key(&key.secret_id).await.unwrap();
        assert!(
            !store
                .credential(&key.secret_id)
                .await
                .unwrap()
                .unwrap()
                .active
        );
        assert!(matches!(
            store.revoke_key(&key.secret_id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.credential("AKIDnope").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn sites_are_scoped_to_their_account() {
    for store in stores("store").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let site = |u: &str| NewSite {
            url: u.into(),
            host: "127.0.0.1".into(),
            name: u.into(),
            user_agent: String::new(),
        };
        let created = store
            .create_sites(
                a.id,
                &[site("http://127.0.0.1:1/"), site("http://127.0.0.1:2/")],
            )
            .await
            .unwrap();
        assert_eq!(created.len(), 2);
        let dup = store
            .create_sites(a.id, &[site("http://127.0.0.1:1/")])
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        // The same URL is fine for another account.
        store
            .create_sites(b.id, &[site("http://127.0.0.1:1/")])
            .await
            .unwrap();
        let all = SiteFilter {
            limit: 100,
            ..Default::default()
        };
        assert_eq!(store.list_sites(a.id, &all).await.unwrap().0, 2);
        let ids: Vec<i64> = created.iter().map(|s| s.id).collect();
        let for_b = SiteFilter {
            ids: Some(ids.clone()),
            limit: 100,
            ..Default::default()
        };
        assert_eq!(store.list_sites(b.id, &for_b).await.unwrap().0, 0);
        assert!(matches!(
            store.get_site(b.id, ids[0]).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_sites(b.id, &ids[..1]).await,
            Err(StoreError::NotFound)
        ));
        let upd = SiteUpdate {
            name: Some("renamed".into()),
            login_cookie: Some("sid=secret".into()),
            ..Default::default()
        };
        assert!(matches!(
            store.update_site(b.id, ids[0], &upd).await,
            Err(StoreError::NotFound)
        ));
        store.update_site(a.id, ids[0], &upd).await.unwrap();
        let s = store.get_site(a.id, ids[0]).await.unwrap();
        assert_eq!(s.name, "renamed");
        assert_eq!(s.login_cookie.as_deref(), Some("sid=secret"));
        // Filters and paging.
        let f = SiteFilter {
            url_contains: Some(vec![":2/".into()]),
            limit: 10,
            ..Default::default()
        };
        let (n, page) = store.list_sites(a.id, &f).await.unwrap();
        assert_eq!((n, page.len()), (1, 1));
        let f = SiteFilter {
            limit: 1,
            offset: 1,
            ..Default::default()
        };
        let (n, page) = store.list_sites(a.id, &f).await.unwrap();
        assert_eq!((n, page.len()), (2, 1));
        assert_eq!(page[0].id, ids[1]);
        // A LIKE wildcard in a filter value is literal.
        let f = SiteFilter {
            url_contains: Some(vec!["%".into()]),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(store.list_sites(a.id, &f).await.unwrap().0, 0);
        store.delete_sites(a.id, &ids).await.unwrap();
        assert_eq!(store.count_sites(a.id).await.unwrap(), 0);
        assert_eq!(store.count_sites(b.id).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn verification_token_is_stable_per_account_and_host() {
    for store in stores("store").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let v1 = store
            .verification(a.id, "example.test", "tok1", 1)
            .await
            .unwrap();
        let v2 = store
            .verification(a.id, "example.test", "tok2", 1)
            .await
            .unwrap();
        assert_eq!(v1.token, "tok1");
        assert_eq!(v2.token, "tok1");
        let vb = store
            .verification(b.id, "example.test", "tokb", 1)
            .await
            .unwrap();
        assert_eq!(vb.token, "tokb");
        store
            .set_verified(a.id, "example.test", 1, "file")
            .await
            .unwrap();
        let got = store
            .verifications(b.id, &["example.test".into()])
            .await
            .unwrap();
        assert_eq!(got[0].verify_status, 0, "verifying for A must not verify B");
        let got = store
            .verifications(a.id, &["example.test".into()])
            .await
            .unwrap();
        assert_eq!((got[0].verify_status, got[0].method.as_str()), (1, "file"));
    }
}

#[tokio::test]
async fn task_completes_once_after_lost_lease() {
    for (store, clock) in clocked("store").await {
        let a = store.create_account("a").await.unwrap();
        let kinds = vec!["k".to_string()];
        let id = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: spec("k"),
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        assert!(store
            .claim("w0", &["other".into()], 1000)
            .await
            .unwrap()
            .is_none());
        // Claimed at CLOCK_START, the lease runs to +50 ms.
        let l1 = store.claim("w1", &kinds, 50).await.unwrap().unwrap();
        assert_eq!(
            (l1.task.id, l1.attempt, l1.task.state),
            (id, 1, TaskState::Running)
        );
        assert_eq!(l1.task.started_at, Some(CLOCK_START), "the store's clock");
        assert!(
            store.claim("w2", &kinds, 50).await.unwrap().is_none(),
            "claimed twice"
        );
        // A heartbeat at +40 ms renews the lease to +90 ms.
        clock.advance(Duration::from_millis(40));
        assert_eq!(store.heartbeat(&l1, 40, 50).await.unwrap(), Some(false));
        assert_eq!(store.task(a.id, id).await.unwrap().progress, 40);
        clock.advance(Duration::from_millis(50));
        assert_eq!(
            store.rescue_expired().await.unwrap(),
            0,
            "at +90 ms the renewed lease has not expired yet"
        );
        assert!(store.claim("w2", &kinds, 50).await.unwrap().is_none());
        clock.advance(Duration::from_millis(1));
        assert_eq!(store.rescue_expired().await.unwrap(), 1);
        let l2 = store.claim("w2", &kinds, 10_000).await.unwrap().unwrap();
        assert_eq!(l2.attempt, 2);
        // The first worker comes back: its heartbeat and finish are refused.
        assert_eq!(store.heartbeat(&l1, 90, 50).await.unwrap(), None);
        assert!(!store
            .finish(&l1, TaskState::Succeeded, None, 0)
            .await
            .unwrap());
        assert!(store
            .finish(&l2, TaskState::Succeeded, None, 0)
            .await
            .unwrap());
        assert!(!store
            .finish(&l2, TaskState::Succeeded, None, 0)
            .await
            .unwrap());
        let t = store.task(a.id, id).await.unwrap();
        assert_eq!(
            (t.state, t.progress, t.attempts),
            (TaskState::Succeeded, 100, 2)
        );
        let attempts = store.task_attempts(id).await.unwrap();
        assert_eq!(
            outcomes(&attempts),
            vec![(1, "w1", Some("lost")), (2, "w2", Some("succeeded"))]
        );
    }
}

#[tokio::test]
async fn each_attempt_records_its_engine() {
    for (store, clock) in clocked("store").await {
        let a = store.create_account("a").await.unwrap();
        let kinds = vec!["k".to_string()];
        let id = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: spec("k"),
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        let l1 = store.claim("w1", &kinds, 50).await.unwrap().unwrap();
        assert!(store
            .record_attempt_engine(&l1, "k", "1.0.0")
            .await
            .unwrap());
        clock.advance(Duration::from_millis(50));
        assert_eq!(store.rescue_expired().await.unwrap(), 0, "not expired yet");
        clock.advance(Duration::from_millis(1));
        assert_eq!(store.rescue_expired().await.unwrap(), 1);
        let l2 = store.claim("w2", &kinds, 10_000).await.unwrap().unwrap();
        // The first worker's lease is gone: it cannot write on the new attempt.
        assert!(!store
            .record_attempt_engine(&l1, "k", "0.9.0")
            .await
            .unwrap());
        assert!(store
            .record_attempt_engine(&l2, "k", "1.1.0")
            .await
            .unwrap());
        assert!(store
            .finish(&l2, TaskState::Succeeded, None, 0)
            .await
            .unwrap());
        assert_eq!(
            store
                .task_attempts(id)
                .await
                .unwrap()
                .iter()
                .map(|a| (
                    a.attempt,
                    a.engine_kind.as_deref(),
                    a.engine_version.as_deref()
                ))
                .collect::<Vec<_>>(),
            vec![(1, Some("k"), Some("1.0.0")), (2, Some("k"), Some("1.1.0"))]
        );
    }
}

#[tokio::test]
async fn failures_retry_then_fail() {
    for (store, clock) in clocked("store").await {
        let a = store.create_account("a").await.unwrap();
        let mut s = spec("k");
        s.max_attempts = 2;
        let id = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: s,
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        let kinds = vec!["k".to_string()];
        let l = store.claim("w", &kinds, 1000).await.unwrap().unwrap();
        assert!(store
            .finish(&l, TaskState::Failed, Some("boom"), 10_000)
            .await
            .unwrap());
        let t = store.task(a.id, id).await.unwrap();
        assert_eq!(
            (t.state, t.run_after),
            (TaskState::Queued, CLOCK_START + 10_000),
            "retried after the backoff, by the store's clock"
        );
        clock.advance(Duration::from_millis(9_999));
        assert!(
            store.claim("w", &kinds, 1000).await.unwrap().is_none(),
            "not before the backoff ends"
        );
        clock.advance(Duration::from_millis(1));
        let l = store.claim("w", &kinds, 1000).await.unwrap().unwrap();
        assert!(store
            .finish(&l, TaskState::Failed, Some("boom again"), 0)
            .await
            .unwrap());
        let t = store.task(a.id, id).await.unwrap();
        assert_eq!(
            (t.state, t.error.as_deref()),
            (TaskState::Failed, Some("boom again"))
        );
    }
}

#[tokio::test]
async fn stop_requests_reach_waiting_and_running_tasks() {
    for store in stores("store").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let new = || NewTask {
            account_id: a.id,
            spec: spec("k"),
            run_after: 0,
            schedule_id: None,
        };
        let waiting = store
            .enqueue(&NewTask {
                run_after: i64::MAX / 2,
                ..new()
            })
            .await
            .unwrap();
        let running = store.enqueue(&new()).await.unwrap();
        let lease = store
            .claim("w", &["k".into()], 10_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lease.task.id, running);
        assert!(matches!(
            store.request_stop(b.id, running).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.request_stop(a.id, waiting).await.unwrap(),
            TaskState::Stopped
        );
        assert_eq!(
            store.request_stop(a.id, running).await.unwrap(),
            TaskState::Running
        );
        assert_eq!(
            store.heartbeat(&lease, 10, 10_000).await.unwrap(),
            Some(true)
        );
        assert!(store
            .finish(&lease, TaskState::Stopped, None, 0)
            .await
            .unwrap());
        assert_eq!(
            store.task(a.id, running).await.unwrap().state,
            TaskState::Stopped
        );
    }
}

#[tokio::test]
async fn concurrent_claims_never_share_a_task() {
    for store in stores("store").await {
        let a = store.create_account("a").await.unwrap();
        for _ in 0..40 {
            store
                .enqueue(&NewTask {
                    account_id: a.id,
                    spec: spec("k"),
                    run_after: 0,
                    schedule_id: None,
                })
                .await
                .unwrap();
        }
        let mut handles = Vec::new();
        for w in 0..4 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(l) = store
                    .claim(&format!("w{w}"), &["k".into()], 60_000)
                    .await
                    .unwrap()
                {
                    got.push(l.task.id);
                    assert!(store
                        .finish(&l, TaskState::Succeeded, None, 0)
                        .await
                        .unwrap());
                }
                got
            }));
        }
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.unwrap());
        }
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (40, 40));
    }
}

#[tokio::test]
async fn findings_dedup_fix_and_keep_suppression() {
    for (store, clock) in clocked("store").await {
        let a = store.create_account("a").await.unwrap();
        let f = |port: u16| Finding {
            kind: "open_port".into(),
            severity: Some(Severity::Low),
            title: format!("port {port}"),
            host: Some("127.0.0.1".into()),
            port: Some(port),
            ..Default::default()
        };
        let id1 = store
            .record_finding(a.id, 1, "scope", &f(22))
            .await
            .unwrap();
        let id2 = store
            .record_finding(a.id, 1, "scope", &f(80))
            .await
            .unwrap();
        store
            .set_finding_status(a.id, &[id2], FindingStatus::FalsePositive)
            .await
            .unwrap();
        // Run 2 starts and sees port 22 only.
        let tick = || {
            clock.advance(Duration::from_millis(3));
            store.now()
        };
        let run2 = tick();
        assert_eq!(
            store
                .record_finding(a.id, 2, "scope", &f(22))
                .await
                .unwrap(),
            id1
        );
        assert!(
            store
                .unseen_open_findings(a.id, "scope", run2, &[])
                .await
                .unwrap()
                .is_empty(),
            "22 was seen; the false positive is not a candidate"
        );
        // Run 3 looks only for another kind: nothing of this kind is a candidate.
        let run3 = tick();
        assert!(store
            .unseen_open_findings(a.id, "scope", run3, &["other_kind".to_string()])
            .await
            .unwrap()
            .is_empty());
        let unseen = store
            .unseen_open_findings(a.id, "scope", run3, &[f(22).kind])
            .await
            .unwrap();
        assert_eq!(unseen.iter().map(|s| s.id).collect::<Vec<_>>(), [id1]);
        // An overlapping run sees 22 after run 3 started: run 3 may not call it fixed.
        store
            .record_finding(a.id, 9, "scope", &f(22))
            .await
            .unwrap();
        assert_eq!(
            store
                .mark_fixed_unless_seen(a.id, &[id1], run3)
                .await
                .unwrap(),
            0
        );
        // Run 5 looked and saw nothing: 22 becomes fixed; another account cannot fix it.
        let run5 = tick();
        assert_eq!(
            store
                .mark_fixed_unless_seen(a.id + 1000, &[id1], run5)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .mark_fixed_unless_seen(a.id, &[id1], run5)
                .await
                .unwrap(),
            1
        );
        // Run 4 sees it again: reopened.
        store
            .record_finding(a.id, 4, "scope", &f(22))
            .await
            .unwrap();
        store
            .record_finding(a.id, 4, "scope", &f(80))
            .await
            .unwrap();
        let all = store.findings_in_scope(a.id, "scope").await.unwrap();
        assert_eq!(all.len(), 2);
        let by_port = |p| all.iter().find(|s| s.finding.port == Some(p)).unwrap();
        assert_eq!(by_port(22).status, FindingStatus::Open);
        assert!(by_port(22).first_seen <= by_port(22).last_seen);
        assert_eq!(by_port(80).status, FindingStatus::FalsePositive);
        // Another account sees nothing.
        let b = store.create_account("b").await.unwrap();
        assert!(store
            .findings_in_scope(b.id, "scope")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .set_finding_status(b.id, &[id1], FindingStatus::Ignored)
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn schedules_fire_exactly_once_across_processes() {
    for url in fresh_urls().await {
        // Two independent pools on one database stand in for two `serve` processes.
        let s1 = Store::open(&url, secrets()).await.unwrap();
        let s2 = Store::open(&url, secrets()).await.unwrap();
        let a = s1.create_account("a").await.unwrap();
        let sched = Schedule {
            trigger: Trigger::Interval {
                every_secs: 60,
                anchor: chrono::Utc::now(),
            },
            time_zone: "UTC".into(),
            window: None,
            not_before: None,
            not_after: None,
        };
        let sid = s1
            .create_schedule(a.id, "test", &sched, &spec("k"), Some(1_000))
            .await
            .unwrap();
        let next = |_: &Schedule, t: i64| Some(t + 60_000);
        let mut handles = Vec::new();
        for s in [s1.clone(), s2.clone(), s1.clone(), s2.clone()] {
            handles.push(tokio::spawn(async move {
                s.fire_due_schedules(10_000, 10, &next).await.unwrap()
            }));
        }
        let mut fired = Vec::new();
        for h in handles {
            fired.extend(h.await.unwrap());
        }
        assert_eq!(fired.len(), 1, "one occurrence, one task");
        let rec = s1.schedule(a.id, sid).await.unwrap();
        assert_eq!(
            (rec.last_fired_at, rec.next_fire_at),
            (Some(1_000), Some(70_000))
        );
        let t = s1.task(a.id, fired[0]).await.unwrap();
        assert_eq!(t.schedule_id, Some(sid));
        s1.set_schedule_enabled(a.id, sid, false).await.unwrap();
        assert!(s2
            .fire_due_schedules(100_000, 10, &next)
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn nonces_are_single_use() {
    for store in stores("store").await {
        assert!(store.use_nonce("AKID1", "42", 1_000, 2_000).await.unwrap());
        assert!(!store.use_nonce("AKID1", "42", 1_500, 2_500).await.unwrap());
        assert!(store.use_nonce("AKID2", "42", 1_500, 2_500).await.unwrap());
        // After expiry the pair is forgotten.
        assert!(store.use_nonce("AKID1", "42", 3_000, 4_000).await.unwrap());
    }
}

#[tokio::test]
async fn jobs_schedules_runs_and_sightings() {
    for store in stores("store").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let daily = Schedule::new(Trigger::Cron {
            expr: "0 3 * * *".into(),
        });
        let plan = vigil_store::JobPlan {
            name: "nightly".into(),
            definition: json!({"Targets": ["127.0.0.1"]}),
            spec: TaskSpec {
                product: "csip".into(),
                ..spec("net")
            },
            schedule: Some((daily.clone(), Some(1_000))),
            run_now: true,
        };
        let (job, run) = store.create_job(a.id, "csip", &plan).await.unwrap();
        let run = run.expect("run_now enqueues a run");
        let rec = store.task(a.id, run).await.unwrap();
        assert_eq!(rec.job_id, Some(job));
        let saved = store.job(a.id, "csip", job).await.unwrap();
        assert_eq!(
            saved.spec.job_id,
            Some(job),
            "runs fired later carry the job"
        );
        let first_schedule = saved.schedule_id.expect("schedule stored");
        assert_eq!(
            store
                .schedule(a.id, first_schedule)
                .await
                .unwrap()
                .task_spec
                .job_id,
            Some(job)
        );
        // Other accounts and products do not see it.
        assert!(matches!(
            store.job(b.id, "csip", job).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.job(a.id, "cws", job).await,
            Err(StoreError::NotFound)
        ));
        // Changing it replaces the schedule: the old one stops firing.
        let plan2 = vigil_store::JobPlan {
            name: "weekly".into(),
            run_now: false,
            ..plan.clone()
        };
        assert_eq!(
            store.update_job(a.id, "csip", job, &plan2).await.unwrap(),
            None
        );
        let changed = store.job(a.id, "csip", job).await.unwrap();
        assert_eq!(changed.name, "weekly");
        assert_ne!(changed.schedule_id, Some(first_schedule));
        assert!(!store.schedule(a.id, first_schedule).await.unwrap().enabled);
        // A run's sightings stay its own when a later run sees the same finding.
        let f = Finding {
            kind: "open_port".into(),
            title: "22/tcp open".into(),
            host: Some("127.0.0.1".into()),
            port: Some(22),
            ..Default::default()
        };
        let again = store.run_job(a.id, "csip", job).await.unwrap();
        let id = store.record_finding(a.id, run, "s", &f).await.unwrap();
        assert_eq!(
            store.record_finding(a.id, again, "s", &f).await.unwrap(),
            id
        );
        assert_eq!(store.findings_seen_by(a.id, run).await.unwrap().len(), 1);
        assert_eq!(store.findings_seen_by(a.id, again).await.unwrap().len(), 1);
        assert!(store.findings_seen_by(b.id, run).await.unwrap().is_empty());
        assert_eq!(
            store.sighting_counts(&[run, again, 9999]).await.unwrap(),
            vec![(run, 1), (again, 1), (9999, 0)]
        );
        assert_eq!(store.job_runs(a.id, job).await.unwrap().len(), 2);
        // Deleting stops its unfinished runs and its schedule; runs stay for reports.
        assert!(matches!(
            store.delete_jobs(a.id, "csip", &[job, 4242]).await,
            Err(StoreError::NotFound)
        ));
        store.job(a.id, "csip", job).await.unwrap();
        store.delete_jobs(a.id, "csip", &[job]).await.unwrap();
        assert!(store.list_jobs(a.id, "csip").await.unwrap().is_empty());
        assert_eq!(store.job_any(a.id, job).await.unwrap().name, "weekly");
        let runs = store.product_runs(a.id, "csip").await.unwrap();
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|r| r.state == TaskState::Stopped));
        let sched = changed.schedule_id.unwrap();
        assert!(!store.schedule(a.id, sched).await.unwrap().enabled);
        // Assets: registration is idempotent; tags kept; removal by value or all.
        let tags = vec![("env".to_string(), "lab".to_string())];
        let assets = vec![
            ("ip".to_string(), "127.0.0.1".to_string()),
            ("domain".to_string(), "a.example".to_string()),
        ];
        assert_eq!(store.add_assets(a.id, &assets, &tags).await.unwrap(), 2);
        assert_eq!(store.add_assets(a.id, &assets, &[]).await.unwrap(), 0);
        let listed = store.list_assets(a.id, Some("ip")).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].tags, tags);
        assert!(store.list_assets(b.id, None).await.unwrap().is_empty());
        assert_eq!(
            store
                .remove_assets(a.id, Some(&["a.example".to_string()]))
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.remove_assets(a.id, None).await.unwrap(), 1);
    }
}

/// One account enqueues 50 tasks, another 5 after it: claims interleave the two, and the
/// per-account cap holds back the busy account while the other one still gets workers.
#[tokio::test]
async fn claims_interleave_accounts_and_respect_the_cap() {
    for store in stores("store").await {
        let busy = store.create_account("busy").await.unwrap();
        let quiet = store.create_account("quiet").await.unwrap();
        let kinds = vec!["k".to_string()];
        for (acct, n) in [(&busy, 50), (&quiet, 5)] {
            for _ in 0..n {
                store
                    .enqueue(&NewTask {
                        account_id: acct.id,
                        spec: spec("k"),
                        run_after: 0,
                        schedule_id: None,
                    })
                    .await
                    .unwrap();
            }
        }
        // One worker at a time, each task finished before the next claim: the quiet
        // account's five tasks are all served within the first ten claims.
        let mut order = Vec::new();
        for i in 0..10 {
            let l = store
                .claim_fair(&format!("w{i}"), &kinds, 10_000, 0)
                .await
                .unwrap()
                .unwrap();
            order.push(l.task.account_id);
            assert!(store
                .finish(&l, TaskState::Succeeded, None, 0)
                .await
                .unwrap());
        }
        let quiet_served = order.iter().filter(|a| **a == quiet.id).count();
        assert_eq!(quiet_served, 5, "claim order {order:?}");
        assert!(
            order.windows(2).all(|w| w[0] != w[1]),
            "accounts alternate: {order:?}"
        );
        // With a cap of 2 running per account, the busy account gets two workers and no more.
        let mut held = Vec::new();
        for i in 0..5 {
            if let Some(l) = store
                .claim_fair(&format!("c{i}"), &kinds, 10_000, 2)
                .await
                .unwrap()
            {
                held.push(l);
            }
        }
        assert_eq!(held.len(), 2, "only the busy account has tasks left");
        assert!(held.iter().all(|l| l.task.account_id == busy.id));
        // A task of the quiet account enqueued now is claimed despite the busy backlog.
        store
            .enqueue(&NewTask {
                account_id: quiet.id,
                spec: spec("k"),
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        let l = store
            .claim_fair("late", &kinds, 10_000, 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(l.task.account_id, quiet.id);
    }
}

#[tokio::test]
async fn component_details_read_back_and_stay_with_their_account() {
    for store in stores("component-detail").await {
        let a = store.create_account("a").await.unwrap();
        let t = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: spec("apk"),
                run_after: 0,
                schedule_id: None,
            })
            .await
            .unwrap();
        let mut c = vigil_core::Component {
            name: "android.permission.CAMERA".into(),
            version: None,
            kind: "android-permission".into(),
            purl: None,
            path: Some("AndroidManifest.xml".into()),
            detail: Some(json!({"protection": "dangerous", "platform": true})),
        };
        store.record_component(a.id, t, &c).await.unwrap();
        // Reported again (a re-run): kept once, with the newer detail.
        c.detail = Some(json!({"protection": "dangerous", "platform": false}));
        store.record_component(a.id, t, &c).await.unwrap();
        let plain = vigil_core::Component {
            name: "com.example".into(),
            detail: None,
            kind: "android-app".into(),
            ..c.clone()
        };
        store.record_component(a.id, t, &plain).await.unwrap();
        let back = store.components_of_task(a.id, t).await.unwrap();
        assert_eq!(back, vec![c, plain]);
        assert!(store
            .components_of_task(a.id + 1, t)
            .await
            .unwrap()
            .is_empty());
    }
}
