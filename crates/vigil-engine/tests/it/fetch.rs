//! `fetch::download` against a small HTTP/1.1 server on a random loopback port: the file and
//! its digests, redirects (each hop checked again), the size cap (announced and streamed),
//! error statuses, the deadline, and the tenant guard that never reaches loopback.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_engine::fetch::{download, FetchError, FetchLimits};
use vigil_engine::{ScopeError, ScopeGuard, ScopePolicy};

const BODY: &[u8] = b"PK\x03\x04 not really an app, but bytes to hash";

/// Serve canned answers by path until the test ends.
async fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let head = |status: &str, extra: &str, len: usize| {
                    format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {len}\r\nConnection: close\r\n\r\n")
                };
                match path.as_str() {
                    "/app.apk" => {
                        let _ = sock
                            .write_all(head("200 OK", "", BODY.len()).as_bytes())
                            .await;
                        let _ = sock.write_all(BODY).await;
                    }
                    "/hop" => {
                        let _ = sock
                            .write_all(head("302 Found", "Location: /app.apk\r\n", 0).as_bytes())
                            .await;
                    }
                    "/loop" => {
                        let _ = sock
                            .write_all(head("302 Found", "Location: /loop\r\n", 0).as_bytes())
                            .await;
                    }
                    "/elsewhere" => {
                        let _ = sock
                            .write_all(
                                head("302 Found", "Location: http://127.0.0.2:9/x\r\n", 0)
                                    .as_bytes(),
                            )
                            .await;
                    }
                    "/announced-big" => {
                        let _ = sock.write_all(head("200 OK", "", 10_000).as_bytes()).await;
                    }
                    "/streamed-big" => {
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                            .await;
                        for _ in 0..20 {
                            if sock.write_all(&[b'x'; 1000]).await.is_err() {
                                break;
                            }
                        }
                    }
                    "/slow" => {
                        let _ = sock.write_all(head("200 OK", "", 100).as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    _ => {
                        let _ = sock
                            .write_all(head("404 Not Found", "", 0).as_bytes())
                            .await;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn limits() -> FetchLimits {
    FetchLimits {
        max_bytes: 5_000,
        deadline: Duration::from_secs(5),
        max_redirects: 3,
    }
}

fn dest(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test]
async fn a_file_is_downloaded_with_its_digests_also_through_a_redirect() {
    let base = server().await;
    let guard = ScopeGuard::operator(ScopePolicy::default());
    for path in ["/app.apk", "/hop"] {
        let out = dest(&format!("ok{}", path.replace('/', "-")));
        let f = download(&guard, &format!("{base}{path}"), &out, limits())
            .await
            .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), BODY);
        assert_eq!(f.size, BODY.len() as u64);
        // md5sum / sha256sum of BODY.
        assert_eq!(f.md5, "a072538e0b7d19373795e54c090cdc2d");
        assert_eq!(
            f.sha256,
            "1b53383e6b1ad22ab76b28f1b3573da4f85609b818d3f69ed07932cd4d3caa2d"
        );
        assert!(f.final_url.ends_with("/app.apk"), "{}", f.final_url);
    }
}

#[tokio::test]
async fn oversized_failing_looping_and_slow_downloads_are_refused_and_leave_no_file() {
    let base = server().await;
    let guard = ScopeGuard::operator(ScopePolicy {
        allow: vec![],
        deny: vec!["127.0.0.2/32".parse().unwrap()],
    });
    let out = dest("refused");
    type Expect = fn(&FetchError) -> bool;
    let cases: Vec<(&str, Expect)> = vec![
        ("/announced-big", |e| {
            matches!(e, FetchError::TooLarge { limit: 5_000 })
        }),
        ("/streamed-big", |e| {
            matches!(e, FetchError::TooLarge { limit: 5_000 })
        }),
        ("/missing", |e| matches!(e, FetchError::Status(404))),
        ("/loop", |e| matches!(e, FetchError::Redirect(_))),
        // Every hop is checked again: the redirect target is denied.
        ("/elsewhere", |e| {
            matches!(e, FetchError::Scope(ScopeError::Denied { .. }))
        }),
    ];
    for (path, expected) in cases {
        let e = download(&guard, &format!("{base}{path}"), &out, limits())
            .await
            .unwrap_err();
        assert!(expected(&e), "{path}: {e:?}");
        assert!(!out.exists(), "{path}: the partial file stays");
    }
    let quick = FetchLimits {
        deadline: Duration::from_millis(300),
        ..limits()
    };
    let e = download(&guard, &format!("{base}/slow"), &out, quick)
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::Timeout(_)), "{e:?}");
    for bad in [
        "ftp://example.com/a",
        "file:///etc/passwd",
        "http://u:p@example.com/a",
    ] {
        let e = download(&guard, bad, &out, limits()).await.unwrap_err();
        assert!(matches!(e, FetchError::BadUrl(_)), "{bad}: {e:?}");
    }
}

#[tokio::test]
async fn a_tenant_never_downloads_from_loopback() {
    let base = server().await;
    let tenant = ScopeGuard::new(ScopePolicy::default());
    let out = dest("tenant");
    let e = download(&tenant, &format!("{base}/app.apk"), &out, limits())
        .await
        .unwrap_err();
    assert!(
        matches!(e, FetchError::Scope(ScopeError::Internal { .. })),
        "{e:?}"
    );
    assert!(!out.exists());
}
