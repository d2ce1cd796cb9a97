//! The web engine against the deliberately vulnerable test application
//! (`tests/webapp/vulnapp.py`): every vulnerable case of its manifest is reported with the
//! right class and parameter, no safe twin is, normal mode leaves the deep-only cases alone,
//! an authenticated scan reaches the logged-in area, and the measured request rate never
//! exceeds the limit in any one-second window.

use crate::common::{manifest, start_app};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use vigil_core::Finding;
use vigil_engine::{Engine, RateLimiter, ScanCtx, ScopeGuard};
use vigil_engine_web::WebEngine;
use vigil_testkit::engine::CollectSink;
use vigil_testkit::webapp::App;

async fn scan(app: &App, target: Value, options: Value, rate: Option<u32>) -> Vec<Finding> {
    let sink = Arc::new(CollectSink::default());
    let ctx = ScanCtx {
        cancel: CancellationToken::new(),
        rate: Arc::new(RateLimiter::strict(rate)),
        scope: Arc::new(ScopeGuard::operator(Default::default())),
        sink: sink.clone(),
    };
    let mut t = target;
    if t.get("url").is_none() {
        t["url"] = json!(format!("http://127.0.0.1:{}/", app.port));
    }
    WebEngine::default().run(&ctx, &t, &options).await.unwrap();
    sink.findings()
}

const ACTIVE: &[&str] = &[
    "xss",
    "sqli",
    "path-traversal",
    "cmd-injection",
    "open-redirect",
    "crlf",
    "ssti",
    "xxe",
    "ssrf",
];

/// Whether a finding is the manifest case's: same class, path and parameter.
fn matches(f: &Finding, case: &Value) -> bool {
    let path = case["path"].as_str().unwrap();
    let url_path = f
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let same_path = match path.split_once("{") {
        Some((prefix, _)) => url_path.starts_with(prefix) && url_path.len() > prefix.len(),
        None => url_path == path,
    };
    let param = match case["location"].as_str() {
        Some("path") => "{segment}".to_string(),
        Some("body") => "body".to_string(),
        _ => case["param"].as_str().unwrap_or("").to_string(),
    };
    f.kind == case["class"].as_str().unwrap()
        && same_path
        && f.parameter.as_deref() == Some(param.as_str())
}

/// Check every active case of `mode` (and the normal ones in deep mode); returns a report.
fn judge(findings: &[Finding], deep: bool, authenticated: bool) -> Vec<String> {
    let m = manifest();
    let mut problems = Vec::new();
    for case in m["cases"].as_array().unwrap() {
        let class = case["class"].as_str().unwrap();
        if !ACTIVE.contains(&class) {
            continue;
        }
        let needs_deep = case["mode"] == "deep";
        let needs_auth = case["auth"] == true;
        let hit = findings.iter().any(|f| matches(f, case));
        let vulnerable = case["vulnerable"] == true;
        let expected = vulnerable && (deep || !needs_deep) && (authenticated || !needs_auth);
        if hit != expected {
            problems.push(format!(
                "{}: expected {}, got {}",
                case["id"].as_str().unwrap(),
                if expected { "a finding" } else { "none" },
                if hit { "one" } else { "none" }
            ));
        }
    }
    problems
}

async fn login_cookie(port: u16) -> String {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let r = c
        .post(format!("http://127.0.0.1:{port}/login"))
        .form(&[("username", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    let sc = r.headers()["set-cookie"].to_str().unwrap().to_string();
    sc.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn normal_scan_finds_every_vulnerable_case_and_no_safe_twin() {
    let Some(app) = start_app(false) else { return };
    let found = scan(&app, json!({}), json!({"checks": ACTIVE}), None).await;
    let problems = judge(&found, false, false);
    assert!(
        problems.is_empty(),
        "{problems:#?}\nfound: {:#?}",
        found.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    for f in &found {
        assert!(
            f.evidence["request"].is_string() && f.evidence["proof"].is_string(),
            "{f:?}"
        );
    }
}

#[tokio::test]
async fn deep_authenticated_scan_adds_cookies_headers_time_and_the_login_area() {
    let Some(app) = start_app(false) else { return };
    let cookie = login_cookie(app.port).await;
    let target = json!({
        "login_cookie": cookie,
        "login_check_url": format!("http://127.0.0.1:{}/account", app.port),
        "login_check_keyword": "Welcome, alice",
    });
    let found = scan(
        &app,
        target,
        json!({"mode": "deep", "checks": ACTIVE}),
        None,
    )
    .await;
    let problems = judge(&found, true, true);
    assert!(
        problems.is_empty(),
        "{problems:#?}\nfound: {:#?}",
        found.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    // The login cookie's value never reaches stored evidence; its name does.
    let (name, value) = cookie.split_once('=').unwrap();
    assert!(value.len() >= 8, "a real session value: {cookie}");
    let mut named = 0;
    for f in &found {
        let ev = f.evidence.to_string();
        assert!(
            !ev.contains(value),
            "login cookie in evidence of {}: {ev}",
            f.title
        );
        if ev.contains(&format!("{name}=<redacted>")) {
            named += 1;
        }
    }
    assert!(named > 0, "no evidence names the login cookie");
}

#[tokio::test]
async fn the_request_rate_never_exceeds_the_limit() {
    let Some(app) = start_app(false) else { return };
    let limit = 25u32;
    scan(
        &app,
        json!({}),
        json!({"checks": ["xss"], "max_pages": 40}),
        Some(limit),
    )
    .await;
    let times: Vec<f64> = std::fs::read_to_string(&app.log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| !v["ua"].as_str().unwrap_or("").starts_with("Python-urllib"))
        .filter_map(|v| v["t"].as_f64())
        .collect();
    assert!(
        times.len() > 60,
        "too few requests to measure: {}",
        times.len()
    );
    // Any window of one second: at most `limit` requests (a little slack for the app's
    // clock reading the arrival a few milliseconds late).
    let mut worst = 0;
    for (i, t) in times.iter().enumerate() {
        let n = times[i..].iter().take_while(|u| **u < t + 0.99).count();
        worst = worst.max(n);
    }
    assert!(
        worst <= limit as usize,
        "{worst} requests in one second, limit {limit}"
    );
    let span = times.last().unwrap() - times.first().unwrap();
    let rate = (times.len() - 1) as f64 / span;
    eprintln!(
        "{} requests, {rate:.1}/s on average, at most {worst} in any second",
        times.len()
    );
    assert!(
        rate > limit as f64 * 0.6,
        "the limit should be used: {rate:.1}/s"
    );
}
