//! `wire::Wire` against real servers on random loopback ports: a scripted raw TCP responder
//! that records the exact bytes it receives (raw requests arrive unchanged; every body
//! framing and content coding; interim and bodiless responses; keep-alive reuse, close and
//! the stale-connection retry; caps, timeouts, cancellation, malformed answers), a
//! tokio-rustls server with a fresh self-signed certificate (HTTPS and raw TLS, SNI,
//! `tls_info`), the scope guard (tenant refuses loopback, operator reaches it) and the rate
//! limiter.

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use vigil_engine::wire::{Endpoint, SendOpts, Wire, WireError, WireLimits};
use vigil_engine::{RateLimiter, ScopeError, ScopeGuard, ScopePolicy};

/// One step of a scripted connection.
#[derive(Clone)]
enum Step {
    /// Read until a request head (blank line) arrived, or EOF.
    Read,
    /// Send bytes.
    Write(Vec<u8>),
    /// Wait.
    Sleep(Duration),
}

fn say(bytes: impl AsRef<[u8]>) -> Step {
    Step::Write(bytes.as_ref().to_vec())
}

/// A scripted server: connection `i` runs `scripts[i]` (the last script for later ones), then
/// closes. It records each connection's received bytes and counts accepts.
struct Responder {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    sni: Arc<Mutex<Vec<Option<String>>>>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn responder(scripts: Vec<Vec<Step>>) -> Responder {
    serve(scripts, None, "127.0.0.1:0".parse().unwrap()).await
}

async fn serve(
    scripts: Vec<Vec<Step>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    bind: SocketAddr,
) -> Responder {
    let listener = TcpListener::bind(bind).await.unwrap();
    let r = Responder {
        addr: listener.local_addr().unwrap(),
        accepts: Arc::default(),
        received: Arc::default(),
        sni: Arc::default(),
    };
    let (accepts, received, sni) = (r.accepts.clone(), r.received.clone(), r.sni.clone());
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let i = accepts.fetch_add(1, Ordering::SeqCst);
            received.lock().unwrap().push(Vec::new());
            let script = scripts[i.min(scripts.len() - 1)].clone();
            let (received, sni, tls) = (received.clone(), sni.clone(), tls.clone());
            tokio::spawn(async move {
                let mut io: Box<dyn Io> = match tls {
                    None => Box::new(sock),
                    Some(acceptor) => match acceptor.accept(sock).await {
                        Ok(s) => {
                            let name = s.get_ref().1.server_name().map(str::to_string);
                            sni.lock().unwrap().push(name);
                            Box::new(s)
                        }
                        Err(_) => return,
                    },
                };
                let mut seen = 0;
                for step in script {
                    match step {
                        Step::Read => {
                            let mut buf = [0u8; 4096];
                            loop {
                                let got = received.lock().unwrap()[i].clone();
                                if got[seen..].windows(4).any(|w| w == b"\r\n\r\n") {
                                    seen = got.len();
                                    break;
                                }
                                match io.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => {
                                        received.lock().unwrap()[i].extend_from_slice(&buf[..n])
                                    }
                                }
                            }
                        }
                        Step::Write(b) => {
                            if io.write_all(&b).await.is_err() {
                                return;
                            }
                            let _ = io.flush().await;
                        }
                        Step::Sleep(d) => tokio::time::sleep(d).await,
                    }
                }
                let _ = io.shutdown().await;
            });
        }
    });
    r
}

impl Responder {
    fn ep(&self) -> Endpoint {
        Endpoint::new(false, "127.0.0.1", self.addr.port())
    }
    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
    fn received(&self, conn: usize) -> Vec<u8> {
        self.received.lock().unwrap()[conn].clone()
    }
}

fn wire_with(limits: WireLimits, cancel: CancellationToken) -> Wire {
    Wire::new(
        Arc::new(ScopeGuard::operator(ScopePolicy::default())),
        Arc::new(RateLimiter::new(None)),
        cancel,
        limits,
    )
}

fn wire() -> Wire {
    wire_with(WireLimits::default(), CancellationToken::new())
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

async fn get(w: &Wire, r: &Responder) -> Result<vigil_engine::wire::HttpResponse, WireError> {
    w.send_http(&r.ep(), GET, &SendOpts::default()).await
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn raw_requests_reach_the_wire_byte_for_byte() {
    let odd: &[&[u8]] = &[
        b"GET /a/../../etc/passwd%2e%2E HTTP/1.1\r\nHost: t\r\nX-Dup: 1\r\nx-dup: 2\r\nuSeR-aGeNt: Odd\r\n\r\n",
        b"GET http://other.test/%2f..;/x?a=%zz HTTP/1.1\r\nhost: other.test\r\n\r\n",
        b"GARBAGE \x00\x01\xff /\\..\\ HTTP/9.9\r\n  folded\r\n\r\n",
    ];
    let answer = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Thing:  spaced \r\nset-cookie: b=2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    for (i, req) in odd.iter().enumerate() {
        let r = responder(vec![vec![Step::Read, say(answer)]]).await;
        let resp = wire()
            .send_http(&r.ep(), req, &SendOpts::default())
            .await
            .unwrap();
        assert_eq!(r.received(0), *req, "request {i}");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.head, &answer[..answer.len() - 2]);
        assert_eq!(resp.header_all("SET-COOKIE"), vec!["a=1", "b=2"]);
        assert_eq!(resp.header("x-thing"), Some("spaced"));
        assert_eq!(
            resp.headers[0],
            ("Set-Cookie".to_string(), "a=1".to_string())
        );
        assert_eq!(resp.peer, r.addr);
        assert!(resp.elapsed > Duration::ZERO);
    }
}

#[tokio::test]
async fn bodies_of_every_framing_and_coding() {
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\n6;x\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n".to_vec();
    let mut gzip = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ".to_vec();
    let body = gz(b"compressed hello");
    gzip.extend_from_slice(format!("{}\r\n\r\n", body.len()).as_bytes());
    gzip.extend_from_slice(&body);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(b"deflated hello").unwrap();
    let mut deflate =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let zb = z.finish().unwrap();
    deflate.extend_from_slice(format!("{:x}\r\n", zb.len()).as_bytes());
    deflate.extend_from_slice(&zb);
    deflate.extend_from_slice(b"\r\n0\r\n\r\n");
    let cases: Vec<(Vec<u8>, &[u8])> = vec![
        (OK.to_vec(), b"ok"),
        (chunked, b"hello world"),
        (
            b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end".to_vec(),
            b"until the end",
        ),
        (gzip, b"compressed hello"),
        (deflate, b"deflated hello"),
    ];
    for (answer, want) in cases {
        let r = responder(vec![vec![Step::Read, say(&answer)]]).await;
        let resp = get(&wire(), &r).await.unwrap();
        assert_eq!(resp.body, want, "{}", String::from_utf8_lossy(&answer));
        assert!(!resp.truncated && !resp.undecoded);
        if want == b"hello world" {
            assert_eq!(resp.trailers, vec![("X-Checksum".into(), "abc".into())]);
        }
    }
    // An undecodable gzip body is kept raw and flagged.
    let r = responder(vec![vec![
        Step::Read,
        say(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope"),
    ]])
    .await;
    let resp = get(&wire(), &r).await.unwrap();
    assert_eq!((resp.body.as_slice(), resp.undecoded), (&b"nope"[..], true));
}

#[tokio::test]
async fn head_204_and_interim_responses() {
    // HEAD: Content-Length announced, no body follows; the connection stays usable.
    let r = responder(vec![vec![
        Step::Read,
        say(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
        Step::Read,
        say(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
        Step::Read,
        say(b"HTTP/1.1 204 No Content\r\n\r\n"),
        Step::Read,
        say(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
        Step::Sleep(Duration::from_millis(50)),
        say(OK),
    ]])
    .await;
    let w = wire();
    let head = SendOpts {
        head: true,
        ..SendOpts::default()
    };
    let resp = w
        .send_http(&r.ep(), b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n", &head)
        .await
        .unwrap();
    assert_eq!((resp.status, resp.body.len()), (200, 0));
    // A request that starts `HEAD ` is a HEAD without being told.
    let resp = w
        .send_http(&r.ep(), b"HEAD /x HTTP/1.1\r\n\r\n", &SendOpts::default())
        .await
        .unwrap();
    assert_eq!((resp.status, resp.body.len(), resp.reused), (200, 0, true));
    let resp = get(&w, &r).await.unwrap();
    assert_eq!((resp.status, resp.body.len(), resp.reused), (204, 0, true));
    let resp = get(&w, &r).await.unwrap();
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));
    assert!(resp.head.starts_with(b"HTTP/1.1 200"));
    assert_eq!(r.accepts(), 1);
}

#[tokio::test]
async fn keep_alive_reuse_and_close() {
    let r = responder(vec![vec![Step::Read, say(OK), Step::Read, say(OK)]]).await;
    let w = wire();
    assert!(!get(&w, &r).await.unwrap().reused);
    assert!(get(&w, &r).await.unwrap().reused);
    assert_eq!(r.accepts(), 1);
    assert_eq!(r.received(0), [GET, GET].concat());
    let s = w.stats();
    assert_eq!((s.requests, s.connections), (2, 1));
    assert_eq!(s.bytes_written, 2 * GET.len() as u64);
    assert_eq!(s.bytes_read, 2 * OK.len() as u64);

    // Either side saying close, HTTP/1.0 without keep-alive, and `fresh`: a new connection.
    for (answer, request, fresh) in [
        (
            &b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"[..],
            GET,
            false,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", GET, false),
        (OK, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
        (OK, GET, true),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            GET,
            false,
        ),
    ] {
        let r = responder(vec![vec![Step::Read, say(answer), Step::Read, say(answer)]]).await;
        let w = wire();
        let opts = SendOpts { head: false, fresh };
        for _ in 0..2 {
            assert_eq!(
                w.send_http(&r.ep(), request, &opts).await.unwrap().status,
                200
            );
        }
        assert_eq!(r.accepts(), 2, "{}", String::from_utf8_lossy(answer));
    }
    // HTTP/1.0 with keep-alive is reused.
    let ka = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
    let r = responder(vec![vec![Step::Read, say(ka), Step::Read, say(ka)]]).await;
    let w = wire();
    get(&w, &r).await.unwrap();
    get(&w, &r).await.unwrap();
    assert_eq!(r.accepts(), 1);
}

#[tokio::test]
async fn stale_pooled_connections_are_retried_once_but_never_after_response_bytes() {
    // The server reads the second request and closes without answering: sent again once.
    let r = responder(vec![
        vec![Step::Read, say(OK), Step::Read],
        vec![Step::Read, say(OK)],
    ])
    .await;
    let w = wire();
    get(&w, &r).await.unwrap();
    let resp = get(&w, &r).await.unwrap();
    assert_eq!((resp.status, resp.reused), (200, false));
    assert_eq!(r.accepts(), 2);
    assert_eq!(
        (r.received(0), r.received(1)),
        ([GET, GET].concat(), GET.to_vec())
    );
    assert_eq!(w.stats().requests, 3);
    // A pooled connection the server already closed is not even tried.
    let r = responder(vec![vec![Step::Read, say(OK)]]).await;
    let w = wire();
    get(&w, &r).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    get(&w, &r).await.unwrap();
    assert_eq!((r.accepts(), w.stats().requests), (2, 2));
    // Part of an answer arrived: the error stands, no second attempt.
    let r = responder(vec![vec![
        Step::Read,
        say(OK),
        Step::Read,
        say(b"HTTP/1.1 200 O"),
    ]])
    .await;
    let w = wire();
    get(&w, &r).await.unwrap();
    assert!(matches!(get(&w, &r).await, Err(WireError::Protocol(_))));
    assert_eq!(r.accepts(), 1);
    // A fresh connection closed before any answer is not retried either.
    let r = responder(vec![vec![Step::Read]]).await;
    let err = get(&wire(), &r).await.unwrap_err();
    assert!(
        matches!(&err, WireError::Protocol(m) if m.contains("before any response")),
        "{err}"
    );
    assert_eq!(r.accepts(), 1);
}

#[tokio::test]
async fn bodies_over_the_cap_are_truncated_and_bombs_bounded() {
    let limits = WireLimits {
        max_body: 1000,
        ..WireLimits::default()
    };
    let big = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec(),
        vec![b'x'; 5000],
    ]
    .concat();
    let r = responder(vec![vec![Step::Read, say(&big), Step::Read, say(OK)]]).await;
    let w = wire_with(limits, CancellationToken::new());
    let resp = get(&w, &r).await.unwrap();
    assert_eq!((resp.body.len(), resp.truncated), (1000, true));
    get(&w, &r).await.unwrap();
    assert_eq!(
        r.accepts(),
        2,
        "a truncated response's connection is dropped"
    );
    // 20 MB of zeros, gzipped: at most the cap comes out.
    let bomb = gz(&vec![0u8; 20_000_000]);
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    answer.extend_from_slice(&bomb);
    let r = responder(vec![vec![Step::Read, say(&answer)]]).await;
    let resp = get(&wire(), &r).await.unwrap();
    assert_eq!(resp.body.len(), WireLimits::default().max_body);
    assert!(resp.truncated && !resp.undecoded);
    // A head over the cap.
    let huge = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "h".repeat(70_000));
    let r = responder(vec![vec![Step::Read, say(huge)]]).await;
    assert_eq!(get(&wire(), &r).await.unwrap_err(), WireError::TooLarge);
}

#[tokio::test]
async fn timeouts_cancellation_and_malformed_answers() {
    let slow = responder(vec![vec![
        Step::Read,
        Step::Sleep(Duration::from_secs(10)),
        say(OK),
    ]])
    .await;
    let limits = WireLimits {
        io_timeout: Duration::from_millis(300),
        ..WireLimits::default()
    };
    let started = Instant::now();
    assert_eq!(
        get(&wire_with(limits, CancellationToken::new()), &slow)
            .await
            .unwrap_err(),
        WireError::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The whole-request deadline also bounds a server that trickles bytes.
    let mut drip = vec![
        Step::Read,
        say("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
    ];
    drip.extend((0..50).flat_map(|_| [Step::Sleep(Duration::from_millis(100)), say("x")]));
    let r = responder(vec![drip]).await;
    let limits = WireLimits {
        request_timeout: Duration::from_millis(600),
        ..WireLimits::default()
    };
    let started = Instant::now();
    assert_eq!(
        get(&wire_with(limits, CancellationToken::new()), &r)
            .await
            .unwrap_err(),
        WireError::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // Cancellation ends a pending request promptly, and later ones at once.
    let cancel = CancellationToken::new();
    let w = wire_with(WireLimits::default(), cancel.clone());
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.cancel();
    });
    let started = Instant::now();
    assert_eq!(get(&w, &slow).await.unwrap_err(), WireError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(get(&w, &slow).await.unwrap_err(), WireError::Cancelled);
    assert_eq!(w.open(&slow.ep()).await.unwrap_err(), WireError::Cancelled);
    // Not HTTP.
    for answer in [
        &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
        b"HTTP/1.1 OK 200\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    ] {
        let r = responder(vec![vec![Step::Read, say(answer)]]).await;
        assert!(
            matches!(get(&wire(), &r).await, Err(WireError::Protocol(_))),
            "{}",
            String::from_utf8_lossy(answer)
        );
    }
    // Nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ep = Endpoint::new(false, "127.0.0.1", port);
    assert!(matches!(
        wire().send_http(&ep, GET, &SendOpts::default()).await,
        Err(WireError::Connect(_))
    ));
}

#[tokio::test]
async fn scope_guard_and_rate_limiter_apply() {
    let r = responder(vec![vec![Step::Read, say(OK), Step::Read, say(OK)]]).await;
    let tenant = Wire::new(
        Arc::new(ScopeGuard::new(ScopePolicy::default())),
        Arc::new(RateLimiter::new(None)),
        CancellationToken::new(),
        WireLimits::default(),
    );
    for _ in 0..2 {
        let err = get(&tenant, &r).await.unwrap_err();
        assert!(
            matches!(err, WireError::Scope(ScopeError::Internal { .. })),
            "{err}"
        );
        let err = tenant.open(&r.ep()).await.unwrap_err();
        assert!(
            matches!(err, WireError::Scope(ScopeError::Internal { .. })),
            "{err}"
        );
    }
    assert_eq!((r.accepts(), tenant.stats().connections), (0, 0));
    // Bracketed IPv6 is understood by the guard too.
    let ep = Endpoint::new(false, "[::1]", r.addr.port());
    assert!(matches!(
        tenant.send_http(&ep, GET, &SendOpts::default()).await,
        Err(WireError::Scope(_))
    ));
    assert_eq!(get(&wire(), &r).await.unwrap().status, 200);

    let r = responder(vec![vec![Step::Read, say(OK)]]).await;
    let strict = Wire::new(
        Arc::new(ScopeGuard::operator(ScopePolicy::default())),
        Arc::new(RateLimiter::strict(Some(5))),
        CancellationToken::new(),
        WireLimits::default(),
    );
    let started = Instant::now();
    for _ in 0..6 {
        get(&strict, &r).await.unwrap();
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(950), "took {took:?}");
    assert_eq!(strict.stats().requests, 6);
}

#[tokio::test]
async fn raw_connections() {
    let r = responder(vec![vec![
        Step::Read,
        say("+OK hello\r\n"),
        Step::Sleep(Duration::from_millis(200)),
        say("more"),
    ]])
    .await;
    let w = wire();
    let mut c = w.open(&r.ep()).await.unwrap();
    assert!(c.tls_info().is_none());
    assert_eq!(c.peer(), r.addr);
    c.write_all(b"HELO\r\n\r\n").await.unwrap();
    let first = c.read_once(1024, Duration::from_secs(5)).await.unwrap();
    assert_eq!(first, b"+OK hello\r\n");
    // Nothing within the wait: empty, not an error.
    assert!(c
        .read_some(1024, Duration::from_millis(50))
        .await
        .unwrap()
        .is_empty());
    let rest = c.read_some(1024, Duration::from_secs(5)).await.unwrap();
    assert_eq!(rest, b"more");
    assert!(c.eof());
    assert_eq!(r.received(0), b"HELO\r\n\r\n");
    let s = w.stats();
    assert_eq!(
        (s.requests, s.connections, s.bytes_written, s.bytes_read),
        (0, 1, 8, 15)
    );
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost`.
fn acceptor() -> (tokio_rustls::TlsAcceptor, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = cert.der().to_vec();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (tokio_rustls::TlsAcceptor::from(Arc::new(cfg)), der)
}

#[tokio::test]
async fn tls_round_trip_and_handshake_details() {
    let (tls, der) = acceptor();
    // Bind where the guard resolves `localhost`, so the name (and SNI) can be used.
    let pinned = ScopeGuard::operator(ScopePolicy::default())
        .resolve("localhost", 0)
        .await
        .unwrap();
    let r = serve(
        vec![
            vec![Step::Read, say(OK), Step::Read, say(OK)],
            vec![
                Step::Read,
                say("pong"),
                Step::Sleep(Duration::from_millis(50)),
            ],
        ],
        Some(tls),
        SocketAddr::new(pinned.addr.ip(), 0),
    )
    .await;
    let ep = Endpoint::new(true, "localhost", r.addr.port());
    let w = wire();
    let req = b"GET /%2e%2e/x HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let first = w.send_http(&ep, req, &SendOpts::default()).await.unwrap();
    let second = w.send_http(&ep, req, &SendOpts::default()).await.unwrap();
    assert_eq!((first.body.as_slice(), second.reused), (&b"ok"[..], true));
    assert_eq!(r.received(0), [&req[..], &req[..]].concat());
    let info = first.tls.clone().unwrap();
    assert_eq!(info.version, "tls13");
    assert!(info.cipher.starts_with("TLS13_"), "{}", info.cipher);
    assert_eq!(info.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(info.peer_certificates, vec![der.clone()]);
    // Raw TLS: no ALPN offered.
    let mut c = w.open(&ep).await.unwrap();
    c.write_all(b"ping\r\n\r\n").await.unwrap();
    assert_eq!(
        c.read_some(4, Duration::from_secs(5)).await.unwrap(),
        b"pong"
    );
    let info = c.tls_info().unwrap();
    assert_eq!(
        (info.version.as_str(), info.alpn.as_deref()),
        ("tls13", None)
    );
    assert_eq!(info.peer_certificates, vec![der]);
    assert_eq!(
        *r.sni.lock().unwrap(),
        vec![Some("localhost".to_string()); 2]
    );
    // An address host sends no SNI; a plain-text server is a TLS error.
    let (tls, _) = acceptor();
    let r = serve(
        vec![vec![Step::Read, say(OK)]],
        Some(tls),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    let ep = Endpoint::new(true, "127.0.0.1", r.addr.port());
    assert_eq!(
        wire()
            .send_http(&ep, GET, &SendOpts::default())
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(*r.sni.lock().unwrap(), vec![None]);
    let plain = responder(vec![vec![say(OK)]]).await;
    let ep = Endpoint::new(true, "127.0.0.1", plain.addr.port());
    assert!(matches!(
        wire().send_http(&ep, GET, &SendOpts::default()).await,
        Err(WireError::Tls(_))
    ));
}

#[tokio::test]
async fn one_wire_serves_concurrent_tasks() {
    let r = Arc::new(responder(vec![vec![Step::Read, say(OK), Step::Read, say(OK)]]).await);
    let w = Arc::new(wire());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (w, r) = (w.clone(), r.clone());
            tokio::spawn(async move { get(&w, &r).await.map(|resp| resp.body) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), b"ok");
    }
    // The pool keeps at most four idle connections per endpoint; they serve the next ones.
    for _ in 0..4 {
        assert!(get(&w, &r).await.unwrap().reused);
    }
    assert_eq!(w.stats().requests, 12);
    assert!(r.accepts() <= 8);
}
