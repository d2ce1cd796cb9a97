//! The engine as the worker runs it: scope refusals, coverage (only templates that ran to
//! the end prove a finding fixed), the task's rate limit, and clustering of identical
//! requests.

use crate::support::{run, run_with, Reply, Responder};
use vigil_engine::{ScopeGuard, ScopePolicy};

#[tokio::test]
async fn a_tenant_scope_never_reaches_loopback() {
    let resp = Responder::start(|_| Reply::new(200, "db_password")).await;
    let (found, _) = run_with(
        &[resp.url()],
        &["t-path-word"],
        ScopeGuard::new(ScopePolicy::default()),
        None,
    )
    .await
    .unwrap();
    assert!(found.is_empty());
    assert!(resp.requests().is_empty());
}

#[tokio::test]
async fn findings_are_stable_and_coverage_is_exact() {
    let resp = Responder::start(|s| match s.target.as_str() {
        "/admin/config.php" => {
            Reply::new(200, "DB_PASSWORD=x").header("Content-Type", "text/plain")
        }
        _ => Reply::not_found(),
    })
    .await;
    let (_, a) = run(&[resp.url()], &["t-path-word", "t-variables"]).await;
    let (_, b) = run(&[resp.url()], &["t-path-word", "t-variables"]).await;
    let fa = a.findings.lock().unwrap()[0].clone();
    let fb = b.findings.lock().unwrap()[0].clone();
    assert_eq!(fa.fingerprint(), fb.fingerprint());
    assert_eq!(fa.cve, ["CVE-2099-0001"]);
    assert_eq!(fa.severity, Some(vigil_core::Severity::High));
    // Coverage: what ran covers its own template on its own target only.
    let sink = std::sync::Arc::new(vigil_engine::CollectSink::new());
    let ctx = vigil_engine::ScanCtx {
        cancel: Default::default(),
        rate: std::sync::Arc::new(vigil_engine::RateLimiter::new(None)),
        scope: std::sync::Arc::new(ScopeGuard::operator(ScopePolicy::default())),
        sink,
    };
    let engine = vigil_engine_poc::PocEngine::default();
    let cov = vigil_engine::Engine::run(
        &engine,
        &ctx,
        &serde_json::json!({"targets": [resp.url()]}),
        &serde_json::json!({"templates": crate::support::templates(), "ids": ["t-variables"]}),
    )
    .await
    .unwrap();
    let mut other = fa.clone();
    assert!(!cov.covers(&other), "t-path-word did not run");
    other.identity[0] = "t-variables".into();
    assert!(cov.covers(&other));
    other.url = Some("http://127.0.0.1:1".into());
    assert!(!cov.covers(&other), "another target");
}

#[tokio::test]
async fn the_rate_limit_holds_for_every_request() {
    let resp = Responder::start(|_| Reply::not_found()).await;
    let start = std::time::Instant::now();
    // Four requests (two names by two extensions) at 4 per second: at least 0.75 s.
    run_with(
        &[resp.url()],
        &["t-clusterbomb-wordlist"],
        ScopeGuard::operator(ScopePolicy::default()),
        Some(4),
    )
    .await
    .unwrap();
    assert_eq!(resp.requests().len(), 4);
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(700),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn identical_requests_of_several_templates_are_sent_once() {
    let resp = Responder::start(|s| match s.target.as_str() {
        "/shared/probe" => Reply::new(200, "alpha beta"),
        _ => Reply::not_found(),
    })
    .await;
    let (found, _) = run(&[resp.url()], &["t-cluster-a", "t-cluster-b"]).await;
    let ids: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(ids, ["t-cluster-a", "t-cluster-b"]);
    assert_eq!(
        resp.requests().len(),
        1,
        "both templates' identical request is sent once"
    );
}

#[tokio::test]
async fn unknown_severities_and_missing_templates_are_refused() {
    let engine = vigil_engine_poc::PocEngine::default();
    let ctx = vigil_engine::ScanCtx {
        cancel: Default::default(),
        rate: std::sync::Arc::new(vigil_engine::RateLimiter::new(None)),
        scope: std::sync::Arc::new(ScopeGuard::operator(ScopePolicy::default())),
        sink: std::sync::Arc::new(vigil_engine::CollectSink::new()),
    };
    let bad = vigil_engine::Engine::run(
        &engine,
        &ctx,
        &serde_json::json!({"targets": ["http://127.0.0.1:9"]}),
        &serde_json::json!({"templates": crate::support::templates(), "severities": ["severe"]}),
    )
    .await;
    assert!(matches!(bad, Err(vigil_engine::EngineError::InvalidInput(m)) if m.contains("severe")));
    let none = vigil_engine::Engine::run(
        &engine,
        &ctx,
        &serde_json::json!({"targets": ["x"]}),
        &serde_json::json!({}),
    )
    .await;
    assert!(
        matches!(none, Err(vigil_engine::EngineError::InvalidInput(m)) if m.contains("vigil templates update"))
    );
}

#[tokio::test]
async fn a_cancelled_run_stops_promptly() {
    // A server that accepts and never answers: only cancellation ends the run early.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx = vigil_engine::ScanCtx {
        cancel: cancel.clone(),
        rate: std::sync::Arc::new(vigil_engine::RateLimiter::new(None)),
        scope: std::sync::Arc::new(ScopeGuard::operator(ScopePolicy::default())),
        sink: std::sync::Arc::new(vigil_engine::CollectSink::new()),
    };
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stopper.cancel();
    });
    let start = std::time::Instant::now();
    let engine = vigil_engine_poc::PocEngine::default();
    let out = vigil_engine::Engine::run(
        &engine,
        &ctx,
        &serde_json::json!({"targets": [format!("http://127.0.0.1:{port}")]}),
        &serde_json::json!({"templates": crate::support::templates()}),
    )
    .await;
    assert!(
        matches!(out, Err(vigil_engine::EngineError::Cancelled)),
        "{out:?}"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
