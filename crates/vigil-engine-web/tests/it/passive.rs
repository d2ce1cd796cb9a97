//! The passive checks and the sensitive-file probes of the web engine against the
//! deliberately vulnerable test application (`tests/webapp/vulnapp.py`), whole engine runs:
//!
//! * the default instance over http (deep mode, so that the crawled directories, `/app/`
//!   among them, are probed too): every passive case of the manifest that a crawl can
//!   observe over http is reported with its class (sensitive files at exactly the manifest's
//!   paths), and the soft-404 traps `/app/.env` and `/app/.git/HEAD` are probed but never
//!   reported;
//! * the hardened instance over http: nothing of those classes;
//! * both instances behind a local TLS front (a self-signed certificate, loopback only), so
//!   that the https-only rules are exercised: mixed content, HSTS, `Secure` cookies, a login
//!   form on an https page that posts to `http://`; and the hardened twin again reports
//!   nothing;
//! * a site that answers every path with the same `.env`-looking page: no sensitive file.
//!
//! The app needs Python with jinja2 and lxml (`VIGIL_WEBAPP_PYTHON`, default
//! `~/.cache/vigil-compat-venv/bin/python`); without it the app tests are skipped with a note,
//! unless `CI` is set.

use crate::common::{manifest, start_app};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use url::Url;
use vigil_core::Finding;
use vigil_engine::{Coverage, Engine, RateLimiter, ScanCtx, ScopeGuard};
use vigil_engine_web::{catalogue, WebEngine};
use vigil_testkit::engine::CollectSink as Collect;

/// Every class the passive checks and the file probes report.
const PASSIVE: &[&str] = &[
    "security-headers",
    "cookie-flags",
    "version-disclosure",
    "stack-trace",
    "directory-listing",
    "sensitive-file",
    "mixed-content",
    "cors",
    "private-ip",
    "secret-leak",
    "form-over-http",
];

/// Manifest cases a crawl cannot observe, and why.
const UNREACHABLE: &[(&str, &str)] = &[(
    "cookie-flags-session-default",
    "the `session` cookie is only set by a successful POST /login; the engine is given a \
     cookie, never credentials, and its own POSTs to /login fail, so no response it sees \
     carries that Set-Cookie",
)];

/// A TLS front on a loopback port for a plain-http backend port: the scanner speaks https
/// to it and it relays the bytes (the Host header, hence the app's own links, name the
/// front).
async fn tls_front(backend: u16) -> (u16, tokio::task::JoinHandle<()>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        key.serialize_der(),
    ));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], der)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let Ok(mut up) = tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    (port, task)
}

struct Run {
    findings: Vec<Finding>,
    coverage: Box<dyn Coverage>,
}

async fn scan(url: String, deep: bool, checks: &[&str]) -> Run {
    let sink = Arc::new(Collect::default());
    let ctx = ScanCtx {
        cancel: CancellationToken::new(),
        rate: Arc::new(RateLimiter::new(None)),
        scope: Arc::new(ScopeGuard::operator(Default::default())),
        sink: sink.clone(),
    };
    let opts = json!({"checks": checks, "mode": if deep { "deep" } else { "normal" }});
    let coverage = WebEngine::default()
        .run(&ctx, &json!({ "url": url }), &opts)
        .await
        .unwrap();
    let findings = sink.findings.lock().unwrap().clone();
    Run { findings, coverage }
}

fn path_of(f: &Finding) -> String {
    f.url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

/// Whether a finding is the passive case's: same class and path (the cookie's name for
/// cookie flags).
fn matches(f: &Finding, case: &Value) -> bool {
    let class = case["class"].as_str().unwrap();
    let path = case["path"].as_str().unwrap();
    if f.kind != class {
        return false;
    }
    match class {
        "cookie-flags" => {
            let id = case["id"].as_str().unwrap();
            let cookie = if id.contains("tracking") {
                "tracking_id"
            } else {
                "session"
            };
            f.parameter.as_deref() == Some(cookie)
        }
        _ => path_of(f) == path,
    }
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "  {} {} {:?} | {}",
                f.kind,
                path_of(f),
                f.parameter,
                f.title
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per class: expected and reported counts (for the log).
fn table(label: &str, expected: &BTreeMap<String, usize>, findings: &[Finding]) {
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings {
        *got.entry(f.kind.clone()).or_default() += 1;
    }
    eprintln!("{label}: class expected/reported");
    for c in PASSIVE {
        eprintln!(
            "  {c:<20} {:>2} / {:>2}",
            expected.get(*c).copied().unwrap_or(0),
            got.get(*c).copied().unwrap_or(0)
        );
    }
}

const TRAPS: &[&str] = &["/app/.env", "/app/.git/HEAD"];

/// Problems with a default-instance run; `https` says which rules apply.
fn judge_default(run: &Run, https: bool) -> (Vec<String>, BTreeMap<String, usize>) {
    let m = manifest();
    let mut problems = Vec::new();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for case in m["cases"].as_array().unwrap() {
        if case["instance"] != "default" || case["vulnerable"] != true {
            continue;
        }
        let id = case["id"].as_str().unwrap();
        let class = case["class"].as_str().unwrap();
        if let Some((_, why)) = UNREACHABLE.iter().find(|(u, _)| *u == id) {
            eprintln!("note: {id} not expected: {why}");
            continue;
        }
        // Mixed content exists only on https pages.
        let want = class != "mixed-content" || https;
        let hit = run.findings.iter().any(|f| matches(f, case));
        if want {
            *expected.entry(class.to_string()).or_default() += 1;
        }
        if hit != want {
            problems.push(format!(
                "{id}: expected {}, got {}",
                if want { "a finding" } else { "none" },
                if hit { "one" } else { "none" }
            ));
        }
    }
    // Version disclosure: one finding per header.
    *expected.entry("version-disclosure".into()).or_default() += 1;
    let versions: BTreeSet<String> = run
        .findings
        .iter()
        .filter(|f| f.kind == "version-disclosure")
        .map(|f| f.title.clone())
        .collect();
    for h in ["Server header", "X-Powered-By header"] {
        if !versions.iter().any(|t| t.contains(h)) {
            problems.push(format!("version-disclosure: no finding for the {h}"));
        }
    }
    // Sensitive files: exactly the manifest's.
    let want_files: BTreeSet<String> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["class"] == "sensitive-file" && c["instance"] == "default" && c["vulnerable"] == true
        })
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect();
    let got_files: BTreeSet<String> = run
        .findings
        .iter()
        .filter(|f| f.kind == "sensitive-file")
        .map(path_of)
        .collect();
    if want_files != got_files {
        problems.push(format!(
            "sensitive files: expected {want_files:?}, got {got_files:?}"
        ));
    }
    (problems, expected)
}

/// Evidence never shows a fixture secret in clear.
fn no_clear_secrets(findings: &[Finding]) {
    let secrets = [
        ["AKIA", "Y3VIGILFIXTURE7Q"].concat(),
        ["q9Xw", "Lr2VigilFixtureNotARealSecret0kT4mPz8"].concat(),
        "Sup3rS3cretDbPass!".to_string(),
        "dmlnaWwtZml4dHVyZS1hcHAta2V5LTAwMDE=".to_string(),
        "MIIEowIBAAKCAQEAvigilfixture".to_string(),
    ];
    for f in findings {
        let ev = f.evidence.to_string();
        for s in &secrets {
            assert!(
                !ev.contains(s.as_str()),
                "{} at {} shows a secret in clear: {ev}",
                f.kind,
                path_of(f)
            );
        }
    }
}

fn traps_probed_and_silent(run: &Run, origin: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for t in TRAPS {
        if run.findings.iter().any(|f| path_of(f) == *t) {
            problems.push(format!("soft-404 trap {t} reported"));
        }
        let url = Url::parse(&format!("{origin}{t}")).unwrap();
        let probe = catalogue::finding("sensitive-file", "GET", &url, None, "x", Value::Null);
        if !run.coverage.covers(&probe) {
            problems.push(format!("soft-404 trap {t} was not probed"));
        }
    }
    problems
}

/// Whether the run examined `path` for `kind` (coverage, as a rescan would ask).
fn looked_at(run: &Run, origin: &str, kind: &str, path: &str, param: Option<&str>) -> bool {
    let url = Url::parse(&format!("{origin}{path}")).unwrap();
    let f = catalogue::finding(
        kind,
        "GET",
        &url,
        param.map(|p| ("cookie", p)),
        "x",
        Value::Null,
    );
    run.coverage.covers(&f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passive_cases_of_both_instances_over_http_and_https() {
    let Some(vuln) = start_app(false) else { return };
    let Some(hard) = start_app(true) else { return };
    let (vuln_tls, t1) = tls_front(vuln.port).await;
    let (hard_tls, t2) = tls_front(hard.port).await;
    let vuln_http = format!("http://127.0.0.1:{}", vuln.port);
    let hard_http = format!("http://127.0.0.1:{}", hard.port);
    let vuln_https = format!("https://127.0.0.1:{vuln_tls}");
    let hard_https = format!("https://127.0.0.1:{hard_tls}");
    let started = Instant::now();
    let (dv, dh, sv, sh, app) = tokio::join!(
        scan(format!("{vuln_http}/"), true, PASSIVE),
        scan(format!("{hard_http}/"), true, PASSIVE),
        scan(format!("{vuln_https}/"), false, PASSIVE),
        scan(format!("{hard_https}/"), false, PASSIVE),
        // Normal mode started inside the SPA: its directory is probed too.
        scan(format!("{vuln_http}/app/"), false, &["sensitive-file"]),
    );
    eprintln!("five scans in {:.1} s", started.elapsed().as_secs_f64());
    t1.abort();
    t2.abort();

    if let Some(path) = std::env::var_os("VIGIL_DUMP_FINDINGS") {
        let all: Vec<&Finding> = dv.findings.iter().chain(&sv.findings).collect();
        std::fs::write(path, serde_json::to_string_pretty(&all).unwrap()).unwrap();
    }
    let mut problems = Vec::new();
    for (label, run, https) in [("default http", &dv, false), ("default https", &sv, true)] {
        let (mut p, expected) = judge_default(run, https);
        table(label, &expected, &run.findings);
        eprintln!("{label} findings:\n{}", show(&run.findings));
        p.iter_mut().for_each(|x| *x = format!("{label}: {x}"));
        problems.extend(p);
        no_clear_secrets(&run.findings);
    }
    // Over https, the https-only rules: HSTS, Secure, an http:// form action on an https
    // page, and the http script and image of /partners.
    let hs = sv.findings.iter().find(|f| f.kind == "security-headers");
    if !hs.is_some_and(|f| f.title.contains("Strict-Transport-Security")) {
        problems.push("default https: HSTS not reported missing".into());
    }
    let ck = sv
        .findings
        .iter()
        .find(|f| f.kind == "cookie-flags" && f.parameter.as_deref() == Some("tracking_id"));
    if !ck.is_some_and(|f| f.evidence["missing"].to_string().contains("Secure")) {
        problems.push("default https: missing Secure on tracking_id not reported".into());
    }
    let mixed = sv.findings.iter().find(|f| f.kind == "mixed-content");
    let listed = mixed
        .map(|f| f.evidence["insecure_resources"].to_string())
        .unwrap_or_default();
    if !(listed.contains("partner-widget.js") && listed.contains("logo.png")) {
        problems.push(format!("default https: mixed content lists {listed}"));
    }
    // Over plain http, Secure is not judged.
    if dv
        .findings
        .iter()
        .any(|f| f.kind == "cookie-flags" && f.evidence["missing"].to_string().contains("Secure"))
    {
        problems.push("default http: Secure judged over plain http".into());
    }
    problems.extend(traps_probed_and_silent(&dv, &vuln_http));
    problems.extend(traps_probed_and_silent(&dh, &hard_http));
    problems.extend(traps_probed_and_silent(&app, &vuln_http));
    let root_files = app
        .findings
        .iter()
        .filter(|f| f.kind == "sensitive-file" && !path_of(f).starts_with("/app/"))
        .count();
    if root_files != 9 {
        problems.push(format!(
            "scan started at /app/: {root_files} root files, not 9:\n{}",
            show(&app.findings)
        ));
    }

    for (label, run, origin, https) in [
        ("hardened http", &dh, &hard_http, false),
        ("hardened https", &sh, &hard_https, true),
    ] {
        table(label, &BTreeMap::new(), &run.findings);
        // Silence means the checks ran there and found nothing: each twin's place was
        // examined.
        let mut places = vec![
            ("security-headers", "/", None),
            ("version-disclosure", "/", None),
            ("cookie-flags", "/track", Some("tracking_id")),
            ("stack-trace", "/debug/crash", None),
            ("private-ip", "/status", None),
            ("secret-leak", "/support/notes", None),
            ("form-over-http", "/login", None),
            ("cors", "/api/profile", None),
            ("sensitive-file", "/.env", None),
            ("sensitive-file", "/.git/HEAD", None),
        ];
        if https {
            places.push(("mixed-content", "/partners", None));
        }
        for (kind, path, param) in places {
            if !looked_at(run, origin, kind, path, param) {
                problems.push(format!("{label}: {kind} did not examine {path}"));
            }
        }
        if !run.findings.is_empty() {
            problems.push(format!(
                "{label}: findings on the hardened instance:\n{}",
                show(&run.findings)
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    drop(vuln);
    drop(hard);
}

/// A site that answers every path with the same 200 page that looks like an `.env` file: the
/// soft-404 baseline keeps every probe from being a hit.
#[tokio::test]
async fn catch_all_site_has_no_sensitive_file() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = served.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        buf.drain(..end + 4);
                        let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                        log.lock().unwrap().push(path);
                        let body = "APP_ENV=production\nDB_HOST=db\nDB_PASSWORD=catchall1\n";
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if sock.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    let url = format!("http://127.0.0.1:{port}/");
    let sink = Arc::new(Collect::default());
    let ctx = ScanCtx {
        cancel: CancellationToken::new(),
        rate: Arc::new(RateLimiter::new(None)),
        scope: Arc::new(ScopeGuard::operator(Default::default())),
        sink: sink.clone(),
    };
    let cov = WebEngine::default()
        .run(
            &ctx,
            &json!({ "url": url }),
            &json!({"checks": ["sensitive-file"]}),
        )
        .await
        .unwrap();
    server.abort();
    let found = sink.findings.lock().unwrap().clone();
    assert!(found.is_empty(), "{}", show(&found));
    let probed = served.lock().unwrap().clone();
    for p in ["/.env", "/.git/HEAD", "/index.php.bak"] {
        assert!(probed.iter().any(|x| x == p), "{p} not probed: {probed:?}");
        let u = Url::parse(&format!("http://127.0.0.1:{port}{p}")).unwrap();
        let f = catalogue::finding("sensitive-file", "GET", &u, None, "x", Value::Null);
        assert!(cov.covers(&f), "{p} not recorded as examined");
    }
    assert!(
        probed.iter().any(|p| p.starts_with("/vigil-")),
        "no soft-404 baseline: {probed:?}"
    );
}
