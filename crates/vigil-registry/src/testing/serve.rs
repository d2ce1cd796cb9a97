//! A registry of fixed content on loopback (feature `testing`), for tests that need a registry
//! to misbehave in ways a real one does not: [`StaticRegistry`] answers `GET /v2/`, manifests
//! by tag or digest and blobs by digest over plain HTTP/1.1 (one request per connection), and
//! can trickle a blob's bytes slowly ([`Trickle`]), counting the trickles in progress and those
//! the client hung up on. Anonymous, no uploads; every read of a request is bounded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::digest::Digest;

/// How a blob is sent slowly: `chunk` bytes, then a pause of `every`, until the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trickle {
    /// Bytes per write.
    pub chunk: usize,
    /// Pause after each write.
    pub every: Duration,
}

#[derive(Clone)]
struct Content {
    media_type: String,
    bytes: Arc<Vec<u8>>,
    trickle: Option<Trickle>,
}

#[derive(Default)]
struct State {
    /// Request path -> what it answers.
    routes: Mutex<HashMap<String, Content>>,
    trickling: AtomicUsize,
    abandoned: AtomicUsize,
    completed: AtomicUsize,
}

/// A registry of fixed content on `127.0.0.1` (see the module documentation); stops when
/// dropped.
pub struct StaticRegistry {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticRegistry {
    /// Starts serving on a free port of 127.0.0.1.
    pub fn start() -> std::io::Result<StaticRegistry> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (state, stop) = (state.clone(), stop.clone());
                    std::thread::spawn(move || serve(conn, &state, &stop));
                }
            })
        };
        Ok(StaticRegistry {
            addr,
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`, as a registry host for references.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Serves `bytes` as blob `digest` of `repo` (the sha256 of `bytes`), trickled if asked.
    pub fn add_blob(&self, repo: &str, bytes: Vec<u8>, trickle: Option<Trickle>) -> Digest {
        let digest = Digest::of(&bytes);
        self.route(
            format!("/v2/{repo}/blobs/{digest}"),
            Content {
                media_type: "application/octet-stream".into(),
                bytes: Arc::new(bytes),
                trickle,
            },
        );
        digest
    }

    /// Serves an OCI image manifest for `config` and `layers` (uncompressed tar layers, each
    /// trickled if asked) under `repo:tag` and under its digest; returns the manifest digest.
    pub fn add_image(
        &self,
        repo: &str,
        tag: &str,
        config: Vec<u8>,
        layers: Vec<(Vec<u8>, Option<Trickle>)>,
    ) -> Digest {
        let config_size = config.len();
        let config_digest = self.add_blob(repo, config, None);
        let layers: Vec<_> = layers
            .into_iter()
            .map(|(bytes, trickle)| {
                let size = bytes.len();
                let digest = self.add_blob(repo, bytes, trickle);
                json!({
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest.to_string(),
                    "size": size,
                })
            })
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": crate::MEDIA_OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config_size,
            },
            "layers": layers,
        })
        .to_string()
        .into_bytes();
        let digest = Digest::of(&manifest);
        let content = Content {
            media_type: crate::MEDIA_OCI_MANIFEST.into(),
            bytes: Arc::new(manifest),
            trickle: None,
        };
        self.route(format!("/v2/{repo}/manifests/{tag}"), content.clone());
        self.route(format!("/v2/{repo}/manifests/{digest}"), content);
        digest
    }

    fn route(&self, path: String, content: Content) {
        if let Ok(mut routes) = self.state.routes.lock() {
            routes.insert(path, content);
        }
    }

    /// Trickled responses being sent right now.
    pub fn trickling(&self) -> usize {
        self.state.trickling.load(Ordering::SeqCst)
    }

    /// Trickled responses the client hung up on before their end.
    pub fn abandoned(&self) -> usize {
        self.state.abandoned.load(Ordering::SeqCst)
    }

    /// Trickled responses sent to their end.
    pub fn completed(&self) -> usize {
        self.state.completed.load(Ordering::SeqCst)
    }
}

impl Drop for StaticRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request on `conn`, then closes it.
fn serve(conn: TcpStream, state: &State, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half.take(16 * 1024));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The rest of the head (bounded by `take`).
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let content = if path == "/v2/" || path == "/v2" {
        Some(Content {
            media_type: "application/json".into(),
            bytes: Arc::new(b"{}".to_vec()),
            trickle: None,
        })
    } else {
        state
            .routes
            .lock()
            .ok()
            .and_then(|routes| routes.get(path).cloned())
    };
    let mut conn = conn;
    let Some(content) = content else {
        let body = br#"{"errors":[{"code":"NOT_FOUND","message":"not here"}]}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = conn.write_all(body);
        return;
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Docker-Content-Digest: {}\r\nConnection: close\r\n\r\n",
        content.media_type,
        content.bytes.len(),
        Digest::of(&content.bytes)
    );
    if conn.write_all(head.as_bytes()).is_err() || method == "HEAD" {
        return;
    }
    let Some(trickle) = content.trickle else {
        let _ = conn.write_all(&content.bytes);
        return;
    };
    state.trickling.fetch_add(1, Ordering::SeqCst);
    let mut abandoned = false;
    for chunk in content.bytes.chunks(trickle.chunk.max(1)) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if conn.write_all(chunk).and_then(|()| conn.flush()).is_err() {
            abandoned = true;
            break;
        }
        std::thread::sleep(trickle.every);
    }
    if abandoned {
        state.abandoned.fetch_add(1, Ordering::SeqCst);
    } else {
        state.completed.fetch_add(1, Ordering::SeqCst);
    }
    state.trickling.fetch_sub(1, Ordering::SeqCst);
}
