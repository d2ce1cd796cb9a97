//! HTTP templates: each test starts a responder that is vulnerable or its safe twin and
//! checks the template matches the first only.

use crate::support::{run, Reply, Responder, Seen};

/// Starts a responder for one feature and runs the template against it.
async fn check(id: &str, answer: fn(&Seen, bool) -> Reply) -> (bool, bool, Responder) {
    let vulnerable = Responder::start(move |s| answer(s, true)).await;
    let (found, _) = run(&[vulnerable.url()], &[id]).await;
    let hit = found.iter().any(|(t, _)| t == id);
    let safe = Responder::start(move |s| answer(s, false)).await;
    let (found, _) = run(&[safe.url()], &[id]).await;
    let twin = found.iter().any(|(t, _)| t == id);
    (hit, twin, vulnerable)
}

fn assert_twins(id: &str, (hit, twin, _): &(bool, bool, Responder)) {
    assert!(*hit, "{id}: the vulnerable responder was not found");
    assert!(!*twin, "{id}: the safe twin was reported");
}

#[tokio::test]
async fn path_request_with_headers_and_and_condition() {
    let r = check("t-path-word", |s, vuln| match s.target.as_str() {
        "/admin/config.php" => {
            assert_eq!(
                s.header("x-probe"),
                Some(&*format!(
                    "127.0.0.1-{}-http",
                    s.header("host").unwrap().rsplit(':').next().unwrap()
                ))
            );
            Reply::new(
                200,
                if vuln {
                    "db_password=hunter2\n"
                } else {
                    "db_user=app\n"
                },
            )
            .header("Content-Type", "text/plain")
        }
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-path-word", &r);
}

#[tokio::test]
async fn unsafe_raw_requests_reach_the_wire_verbatim() {
    let r = check("t-raw-traversal", |s, vuln| {
        if s.raw
            .starts_with(b"GET /static/..%2f..%2f../etc/passwd HTTP/1.1\r\n")
            && vuln
        {
            Reply::new(200, "root:x:0:0:root:/root:/bin/bash\n")
        } else {
            Reply::not_found()
        }
    })
    .await;
    assert_twins("t-raw-traversal", &r);
    let seen = r.2.requests();
    assert!(String::from_utf8_lossy(&seen[0].raw).contains("\r\nX-Odd-Case: yes\r\n"));
}

#[tokio::test]
async fn pitchfork_payloads_and_stop_at_first_match() {
    let r = check("t-pitchfork-login", |s, vuln| {
        if s.method == "POST" && s.target == "/login" {
            if vuln && s.body == b"user=root&pass=toor" {
                return Reply::new(302, "").header("Location", "/dashboard");
            }
            return Reply::new(200, "bad login");
        }
        Reply::not_found()
    })
    .await;
    assert_twins("t-pitchfork-login", &r);
    let bodies: Vec<Vec<u8>> = r.2.requests().into_iter().map(|s| s.body).collect();
    assert_eq!(
        bodies,
        vec![
            b"user=admin&pass=admin".to_vec(),
            b"user=root&pass=toor".to_vec()
        ]
    );
}

#[tokio::test]
async fn clusterbomb_with_a_wordlist_file() {
    let r = check("t-clusterbomb-wordlist", |s, vuln| {
        if vuln && s.target == "/backup.old" {
            Reply::new(200, "BACKUP OF the site")
        } else {
            Reply::new(404, "BACKUP OF nothing")
        }
    })
    .await;
    assert_twins("t-clusterbomb-wordlist", &r);
    let mut targets: Vec<String> = r.2.requests().into_iter().map(|s| s.target).collect();
    targets.sort();
    assert_eq!(
        targets,
        ["/backup.bak", "/backup.old", "/config.bak", "/config.old"]
    );
}

#[tokio::test]
async fn several_requests_with_indexed_parts_and_randstr() {
    let r = check("t-multi-indexed", |s, vuln| match s.target.as_str() {
        "/echo/first" => Reply::new(200, "first"),
        "/echo/second" if vuln => Reply::new(200, s.body.clone()),
        "/echo/second" => Reply::new(200, "marker=something-else"),
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-multi-indexed", &r);
}

#[tokio::test]
async fn flow_feeds_an_internal_extractor_to_the_next_request() {
    let r = check("t-flow-token", |s, vuln| match s.target.as_str() {
        "/api/token" => Reply::new(200, r#"{"token":"deadbeef42"}"#),
        "/api/secret" if vuln && s.header("authorization") == Some("Bearer deadbeef42") => {
            Reply::new(200, "TOP-SECRET data")
        }
        "/api/secret" => Reply::new(401, "no"),
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-flow-token", &r);
}

#[tokio::test]
async fn flow_stops_when_the_first_call_fails() {
    let resp = Responder::start(|s| match s.target.as_str() {
        "/api/secret" => Reply::new(200, "TOP-SECRET data"),
        _ => Reply::not_found(),
    })
    .await;
    let (found, _) = run(&[resp.url()], &["t-flow-token"]).await;
    assert!(found.is_empty());
    assert!(resp.requests().iter().all(|s| s.target == "/api/token"));
}

#[tokio::test]
async fn redirects_are_followed_within_max_redirects_with_cookies() {
    let r = check("t-redirect-cookie", |s, vuln| match s.target.as_str() {
        "/start" => Reply::new(302, "")
            .header("Location", if vuln { "/mid" } else { "/a" })
            .header("Set-Cookie", "sid=s3cret; Path=/"),
        "/mid" => Reply::new(302, "").header("Location", "/home"),
        "/a" => Reply::new(302, "").header("Location", "/b"),
        "/b" => Reply::new(302, "").header("Location", "/home"),
        "/home" if s.header("cookie") == Some("sid=s3cret") => Reply::new(200, "Welcome admin"),
        "/home" => Reply::new(200, "Welcome guest"),
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-redirect-cookie", &r);
}

#[tokio::test]
async fn named_matchers_give_separate_results_with_extracted_values() {
    let resp = Responder::start(|s| match s.target.as_str() {
        "/api/info" => Reply::new(200, r#"{"version":"7.4.1","name":"x"}"#)
            .header("Server", "nginx")
            .header("X-Powered-By", "PHP/7.4.1")
            .header("Content-Type", "application/json"),
        _ => Reply::not_found(),
    })
    .await;
    let (found, sink) = run(&[resp.url()], &["t-named-extract"]).await;
    assert_eq!(
        found,
        [
            ("t-named-extract".to_string(), "nginx".to_string()),
            ("t-named-extract".to_string(), "php".to_string())
        ]
    );
    let ex = sink.findings.lock().unwrap()[0].evidence["extracted"].clone();
    assert_eq!(ex["powered"][0], "PHP/7.4.1");
    assert_eq!(ex["version"][0], "7.4.1");
    assert_eq!(ex["shout"][0], "127.0.0.1");
    // The twin: another server, no PHP.
    let twin = Responder::start(|s| match s.target.as_str() {
        "/api/info" => Reply::new(200, "{}").header("Server", "Apache"),
        _ => Reply::not_found(),
    })
    .await;
    let (found, _) = run(&[twin.url()], &["t-named-extract"]).await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn binary_and_size_matchers() {
    let r = check("t-binary-size", |s, vuln| match s.target.as_str() {
        "/favicon.png" => {
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend_from_slice(if vuln { &[0xff; 8] } else { &[0xff; 9] });
            Reply::new(200, png).header("Content-Type", "image/png")
        }
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-binary-size", &r);
}

#[tokio::test]
async fn variables_render_with_helpers() {
    let r = check("t-variables", |s, vuln| {
        if vuln && s.target == "/v/127.0.0.1/9dd4e461268c8034f5c8564e155c67a6" {
            Reply::new(200, "var-ok")
        } else {
            Reply::not_found()
        }
    })
    .await;
    assert_twins("t-variables", &r);
}

#[tokio::test]
async fn internal_matchers_gate_and_never_report() {
    let r = check("t-internal-gate", |s, vuln| match s.target.as_str() {
        "/status" if s.header("x-forwarded-for").is_some() => {
            Reply::new(200, "Server Status for host")
        }
        // The safe twin serves the page to everyone: the forbidden precondition fails, and
        // the bypass is not a finding.
        "/status" => Reply::new(if vuln { 403 } else { 200 }, "Server Status for host"),
        _ => Reply::not_found(),
    })
    .await;
    assert_twins("t-internal-gate", &r);
    assert_eq!(r.2.requests().len(), 2);
}

#[tokio::test]
async fn out_of_band_templates_are_skipped_and_send_nothing() {
    let resp = Responder::start(|_| Reply::new(200, "dns")).await;
    let (found, _) = run(&[resp.url()], &["t-interactsh"]).await;
    assert!(found.is_empty());
    assert!(resp.requests().is_empty());
}
