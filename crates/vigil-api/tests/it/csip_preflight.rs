//! A scheduled CSIP run is derived again when it fires: the registered assets as they are
//! then, each target authorised again; a run whose targets are gone or no longer authorised
//! is refused with the reason.

use serde_json::json;
use std::sync::Arc;
use vigil_api::products::csip::CsipPreflight;
use vigil_api::{ApiConfig, AppState};
use vigil_core::{Schedule, TaskSpec, Trigger};
use vigil_engine::{Dns, ScopeGuard, ScopePolicy};
use vigil_store::{JobPlan, NewTask, Store, TaskRecord};
use vigil_worker::Preflight;

async fn state(allow: &[&str]) -> Arc<AppState> {
    state_with(allow, ApiConfig::default()).await
}

async fn state_with(allow: &[&str], cfg: ApiConfig) -> Arc<AppState> {
    let store = Store::open(
        &vigil_testkit::sqlite_url("csip-preflight"),
        vigil_testkit::secrets(),
    )
    .await
    .unwrap();
    let scope = ScopeGuard::new(ScopePolicy {
        allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
        deny: vec![],
    });
    // Names resolve only through a DNS server that does not exist: no traffic leaves loopback.
    let dns = Arc::new(Dns::new(Some("127.0.0.1:9".parse().unwrap())).unwrap());
    Arc::new(AppState::new(
        store,
        Arc::new(scope.with_dns(dns.clone())),
        dns,
        cfg,
    ))
}

/// A saved all-assets scan with a daily schedule, and one run of it as its schedule starts it.
async fn scheduled_run(
    st: &AppState,
    account: i64,
    asset_type: i64,
    assets: &[&str],
) -> TaskRecord {
    let request = json!({
        "TaskName": "nightly", "ScanAssetType": asset_type, "ScanItem": ["port"],
        "ScanPlanType": 0, "ScanPlanContent": "0 0 3 * * ? *",
        "Assets": assets.iter().map(|a| json!({"Asset": a})).collect::<Vec<_>>(),
        "TaskMode": 1,
    });
    let plan = JobPlan {
        name: "nightly".into(),
        definition: json!({"Request": request, "Targets": ["127.0.0.1"]}),
        spec: TaskSpec {
            product: "csip".into(),
            kind: "net".into(),
            target: json!({"targets": ["127.0.0.1"]}),
            options: json!({"ports": "top100"}),
            max_attempts: 1,
            job_id: None,
        },
        schedule: Some((
            Schedule::new(Trigger::Cron {
                expr: "0 0 3 * * ? *".into(),
            }),
            None,
        )),
        run_now: false,
    };
    let (job, _) = st.store.create_job(account, "csip", &plan).await.unwrap();
    let mut spec = plan.spec.clone();
    spec.job_id = Some(job);
    let id = st
        .store
        .enqueue(&NewTask {
            account_id: account,
            spec,
            run_after: 0,
            schedule_id: None,
        })
        .await
        .unwrap();
    let mut t = st.store.task(account, id).await.unwrap();
    // As the scheduler would have queued it.
    t.schedule_id = Some(1);
    t
}

fn targets(p: &vigil_worker::Prepared) -> Vec<String> {
    serde_json::from_value(p.target["targets"].clone()).unwrap()
}

#[tokio::test]
async fn scheduled_runs_read_assets_and_authorisation_again() {
    let st = state(&["127.0.0.0/8"]).await;
    let a = st.store.create_account("a").await.unwrap();
    let check = CsipPreflight::new(st.services.clone());
    st.store
        .add_assets(a.id, &[("ip".into(), "127.0.0.1".into())], &[])
        .await
        .unwrap();
    let run = scheduled_run(&st, a.id, 0, &[]).await;
    let p = check.prepare(&run).await.unwrap().unwrap();
    assert_eq!(targets(&p), ["127.0.0.1"]);
    assert_eq!(p.options["ports"], "top100");
    // An asset registered since is scanned by the next run; a deleted one is not.
    st.store
        .add_assets(a.id, &[("ip".into(), "127.0.0.2".into())], &[])
        .await
        .unwrap();
    let p = check.prepare(&run).await.unwrap().unwrap();
    assert_eq!(targets(&p), ["127.0.0.1", "127.0.0.2"]);
    st.store
        .remove_assets(a.id, Some(&["127.0.0.1".to_string()]))
        .await
        .unwrap();
    let p = check.prepare(&run).await.unwrap().unwrap();
    assert_eq!(targets(&p), ["127.0.0.2"]);
    // Excluding: registered assets minus the named ones.
    let run2 = scheduled_run(&st, a.id, 2, &["127.0.0.2"]).await;
    st.store
        .add_assets(a.id, &[("ip".into(), "127.0.0.3".into())], &[])
        .await
        .unwrap();
    assert_eq!(
        targets(&check.prepare(&run2).await.unwrap().unwrap()),
        ["127.0.0.3"]
    );
    // Nothing left to scan: refused with the reason.
    st.store
        .remove_assets(
            a.id,
            Some(&["127.0.0.2".to_string(), "127.0.0.3".to_string()]),
        )
        .await
        .unwrap();
    let why = check.prepare(&run).await.unwrap_err();
    assert!(why.contains("no targets"), "{why}");
    // A run of a task that is not scheduled, or not CSIP's, is left alone.
    let mut manual = run.clone();
    manual.job_id = None;
    assert!(check.prepare(&manual).await.unwrap().is_none());
}

#[tokio::test]
async fn a_scope_narrowed_since_creation_refuses_the_run() {
    // The operator's scope no longer names the asset and the account has no proof of it.
    let st = state(&["10.99.0.0/16"]).await;
    let a = st.store.create_account("a").await.unwrap();
    st.store
        .add_assets(a.id, &[("ip".into(), "127.0.0.1".into())], &[])
        .await
        .unwrap();
    let run = scheduled_run(&st, a.id, 0, &[]).await;
    let why = CsipPreflight::new(st.services.clone())
        .prepare(&run)
        .await
        .unwrap_err();
    assert!(why.contains("may no longer scan 127.0.0.1"), "{why}");
}

#[tokio::test]
async fn scheduled_runs_count_against_the_daily_quota() {
    let st = state_with(
        &["127.0.0.0/8"],
        ApiConfig {
            scan_quota: 2,
            ..ApiConfig::default()
        },
    )
    .await;
    let a = st.store.create_account("a").await.unwrap();
    st.store
        .add_assets(a.id, &[("ip".into(), "127.0.0.1".into())], &[])
        .await
        .unwrap();
    let check = CsipPreflight::new(st.services.clone());
    let first = scheduled_run(&st, a.id, 0, &[]).await;
    assert!(check.prepare(&first).await.is_ok());
    let second = scheduled_run(&st, a.id, 0, &[]).await;
    assert!(check.prepare(&second).await.is_ok());
    let third = scheduled_run(&st, a.id, 0, &[]).await;
    let why = check.prepare(&third).await.unwrap_err();
    assert!(why.contains("quota of 2"), "{why}");
}
