//! A scripted HTTP and TCP responder on loopback (random port) that records every request's
//! exact bytes, and the engine run helpers the tests share. The responder answers by a
//! function of the request, so each test states the vulnerable answer and its safe twin.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use vigil_engine::{CollectSink, Engine, RateLimiter, ScanCtx, ScopeGuard, ScopePolicy};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Exact bytes.
    pub raw: Vec<u8>,
    /// Method.
    pub method: String,
    /// Request target as sent.
    pub target: String,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn not_found() -> Reply {
        Reply::new(404, "<html><body><h1>Not Found</h1></body></html>")
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// The HTTP responder.
pub struct Responder {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Responder {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // One request: head, then Content-Length bytes.
                        let seen = loop {
                            if let Some(s) = parse(&mut buf) {
                                break s;
                            }
                            let mut chunk = [0u8; 8192];
                            match tokio::time::timeout(
                                Duration::from_secs(10),
                                sock.read(&mut chunk),
                            )
                            .await
                            {
                                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                                _ => return,
                            }
                        };
                        let reply = handler(&seen);
                        log.lock().unwrap().push(seen);
                        let mut out = format!("HTTP/1.1 {} X\r\n", reply.status);
                        for (k, v) in &reply.headers {
                            out.push_str(&format!("{k}: {v}\r\n"));
                        }
                        out.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
                        let mut bytes = out.into_bytes();
                        bytes.extend_from_slice(&reply.body);
                        if sock.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Responder { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn parse(buf: &mut Vec<u8>) -> Option<Seen> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let first = lines.next()?.to_string();
    let mut parts = first.splitn(3, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if buf.len() < end + len {
        return None;
    }
    let raw: Vec<u8> = buf.drain(..end + len).collect();
    let body = raw[end..].to_vec();
    Some(Seen {
        raw,
        method,
        target,
        headers,
        body,
    })
}

/// A TCP service on loopback answering each connection with `answer(bytes received)`.
pub async fn tcp_service(answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(200), sock.read(&mut chunk)).await
                {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&chunk[..n]);
                }
                let _ = sock.write_all(&answer(&got)).await;
            });
        }
    });
    port
}

/// The test templates' directory.
pub fn templates() -> String {
    format!("{}/tests/data/templates", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the engine on `targets` with templates whose ids match `ids`, as the operator's
/// command line does (loopback allowed); returns the findings' (template id, matcher)
/// pairs and the sink.
pub async fn run(targets: &[String], ids: &[&str]) -> (Vec<(String, String)>, Arc<CollectSink>) {
    run_with(
        targets,
        ids,
        ScopeGuard::operator(ScopePolicy::default()),
        None,
    )
    .await
    .expect("run")
}

pub async fn run_with(
    targets: &[String],
    ids: &[&str],
    scope: ScopeGuard,
    rate: Option<u32>,
) -> Result<(Vec<(String, String)>, Arc<CollectSink>), vigil_engine::EngineError> {
    let sink = Arc::new(CollectSink::new());
    let ctx = ScanCtx {
        cancel: CancellationToken::new(),
        rate: Arc::new(RateLimiter::strict(rate)),
        scope: Arc::new(scope),
        sink: sink.clone(),
    };
    let target = serde_json::json!({ "targets": targets });
    let options = serde_json::json!({ "templates": templates(), "ids": ids });
    let engine = vigil_engine_poc::PocEngine::default();
    engine.run(&ctx, &target, &options).await?;
    let mut found: Vec<(String, String)> = sink
        .findings
        .lock()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f.evidence["template_id"].as_str().unwrap_or("").to_string(),
                f.evidence["matcher"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    Ok((found, sink))
}
