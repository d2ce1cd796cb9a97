//! Test support: a real `docker-registry` (Debian's distribution 2.8 build) started per test
//! on a random loopback port with a generated config, a token service on loopback signing
//! JWTs the registry verifies, and test PKI from rcgen. Nothing here talks to anything but
//! loopback; every loop is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use vigil_engine::{ScopeGuard, ScopePolicy};
use vigil_registry::{Client, ClientConfig, Credentials};

pub use vigil_testkit::registry::{Auth, Registry};

/// Whether the registry binary is here; in CI its absence fails the test.
pub fn have_registry() -> bool {
    vigil_testkit::registry::installed()
}

/// A scope guard whose only allowed range is `cidr`.
pub fn scope_allowing(cidr: &str) -> Arc<ScopeGuard> {
    Arc::new(ScopeGuard::new(ScopePolicy {
        allow: vec![cidr.parse().unwrap()],
        deny: vec![],
    }))
}

/// A scope guard allowing loopback (127.0.0.0/8) only.
pub fn loopback_scope() -> Arc<ScopeGuard> {
    scope_allowing("127.0.0.0/8")
}

/// A client for `registry` with loopback scope, plain HTTP.
pub fn client(registry: &str, creds: Option<Credentials>) -> Client {
    let mut cfg = ClientConfig::new(registry, loopback_scope());
    cfg.insecure_http = true;
    cfg.credentials = creds;
    cfg.timeout = Duration::from_secs(10);
    Client::new(cfg).unwrap()
}

pub fn basic(user: &str, pass: &str) -> Option<Credentials> {
    Some(Credentials::Basic {
        username: user.into(),
        password: pass.into(),
    })
}

/// A bcrypt htpasswd line as the registry accepts it (`$2y$`).
pub fn htpasswd_line(user: &str, pass: &str) -> String {
    let h = bcrypt::hash_with_result(pass, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    format!("{user}:{h}\n")
}

/// A CA and a server certificate for 127.0.0.1 and localhost.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

pub fn test_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name
        .push(DnType::CommonName, "Vigil registry test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut p =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = p.signed_by(&key, &ca_cert, &ca_key).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert_pem: cert.pem(),
        server_key_pem: key.serialize_pem(),
    }
}

/// One request the token service received.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub user: Option<String>,
    pub service: Option<String>,
    pub scopes: Vec<String>,
}

/// Who may do what, and how the token service answers.
pub struct TokenPolicy {
    /// (user, password, allowed actions on repositories, catalog allowed).
    pub users: Vec<(String, String, Vec<String>, bool)>,
    /// Answer with `access_token` instead of `token`.
    pub use_access_token_field: bool,
    /// Issue this token (counting from 0) already expired: the registry refuses it and the
    /// client must fetch a fresh one and retry once.
    pub expired_token: Option<usize>,
}

/// A token service on loopback issuing ES256 JWTs with an `x5c` header, like docker/auth.
pub struct TokenServer {
    pub addr: SocketAddr,
    pub root_cert_pem: String,
    pub issuer: String,
    pub service: String,
    pub requests: Arc<Mutex<Vec<TokenRequest>>>,
    pub issued: Arc<Mutex<Vec<String>>>,
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl TokenServer {
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Starts the service on `ip` (a loopback address).
    pub fn start(ip: &str, policy: TokenPolicy) -> TokenServer {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["vigil-token-issuer".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "vigil-token-issuer");
        let cert = params.self_signed(&key).unwrap();
        let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
        let enc = jsonwebtoken::EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap();

        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = "vigil-test-issuer".to_string();
        let service = "vigil-test-registry".to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let issued = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (rq, is, cn, st) = (
            requests.clone(),
            issued.clone(),
            connections.clone(),
            stop.clone(),
        );
        let (iss, svc) = (issuer.clone(), service.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: a test makes a few dozen token requests at most.
            for stream in listener.incoming().take(500) {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                cn.fetch_add(1, Ordering::SeqCst);
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let Some((target, auth)) = read_request(&stream) else {
                    continue;
                };
                let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
                let mut service = None;
                let mut scopes = Vec::new();
                for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                    match &*k {
                        "service" => service = Some(v.into_owned()),
                        "scope" => scopes.push(v.into_owned()),
                        _ => {}
                    }
                }
                let user = auth.as_deref().and_then(|a| {
                    let raw = a.strip_prefix("Basic ")?;
                    let dec = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
                    let s = String::from_utf8(dec).ok()?;
                    let (u, p) = s.split_once(':')?;
                    policy
                        .users
                        .iter()
                        .find(|(pu, pp, _, _)| pu == u && pp == p)
                        .map(|(u, _, a, c)| (u.clone(), a.clone(), *c))
                });
                rq.lock().unwrap().push(TokenRequest {
                    user: user.as_ref().map(|u| u.0.clone()),
                    service: service.clone(),
                    scopes: scopes.clone(),
                });
                let Some((user, allowed, catalog)) = user else {
                    let body = r#"{"details":"unauthorized"}"#;
                    let _ = stream.write_all(
                        format!(
                            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    );
                    continue;
                };
                // Grant only what the policy allows of what was asked.
                let mut access = Vec::new();
                for s in &scopes {
                    let Some((typ, rest)) = s.split_once(':') else {
                        continue;
                    };
                    let Some((name, actions)) = rest.rsplit_once(':') else {
                        continue;
                    };
                    let granted: Vec<String> = actions
                        .split(',')
                        .filter(|a| match typ {
                            "repository" => allowed.iter().any(|x| x == a),
                            "registry" => catalog && name == "catalog" && *a == "*",
                            _ => false,
                        })
                        .map(str::to_string)
                        .collect();
                    access.push(serde_json::json!({
                        "type": typ, "name": name, "actions": granted
                    }));
                }
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let exp = if policy.expired_token == Some(is.lock().unwrap().len()) {
                    now - 3600
                } else {
                    now + 300
                };
                let claims = serde_json::json!({
                    "iss": iss,
                    "sub": user,
                    "aud": service.clone().unwrap_or_else(|| svc.clone()),
                    "exp": exp,
                    "nbf": now - 7200,
                    "iat": now - 7200,
                    "jti": format!("jti-{now}-{}", is.lock().unwrap().len()),
                    "access": access,
                });
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                header.x5c = Some(vec![x5c.clone()]);
                let token = jsonwebtoken::encode(&header, &claims, &enc).unwrap();
                is.lock().unwrap().push(token.clone());
                let field = if policy.use_access_token_field {
                    "access_token"
                } else {
                    "token"
                };
                let body = serde_json::json!({ field: token, "expires_in": 300 }).to_string();
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        TokenServer {
            addr,
            root_cert_pem: cert.pem(),
            issuer,
            service,
            requests,
            issued,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    pub fn auth(&self) -> Auth {
        self.auth_with_realm(self.realm())
    }

    pub fn auth_with_realm(&self, realm: String) -> Auth {
        Auth::Token {
            realm,
            service: self.service.clone(),
            issuer: self.issuer.clone(),
            root_cert_pem: self.root_cert_pem.clone(),
        }
    }
}

/// The request target and Authorization header of one HTTP request (bounded).
fn read_request(stream: &TcpStream) -> Option<(String, Option<String>)> {
    let mut r = BufReader::new(stream.take(16 * 1024));
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut auth = None;
    for _ in 0..100 {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    Some((target, auth))
}

/// A TCP listener that only counts connections (to prove nothing connected).
pub struct Counter {
    pub addr: SocketAddr,
    pub count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Counter {
    pub fn start(ip: &str) -> Counter {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (count.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().take(200) {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    c.fetch_add(1, Ordering::SeqCst);
                    drop(stream);
                }
            }
        });
        Counter {
            addr,
            count,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether `ip` can be bound here (127.0.0.2 on Linux loopback).
pub fn can_bind(ip: &str) -> bool {
    ip.parse::<IpAddr>().is_ok() && TcpListener::bind((ip, 0)).is_ok()
}

/// A small gzip-looking layer (the registry does not inspect layers).
pub fn layer(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0x1f, 0x8b];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

/// A minimal image config.
pub fn config(arch: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {}
    }))
    .unwrap()
}

/// A stand-in for blob storage behind the registry's `redirect` storage middleware: serves
/// the registry's storage files over plain HTTP (GET and HEAD), records the Authorization
/// header of every request, and can be switched to answer every request with a redirect to
/// itself.
pub struct BlobStore {
    pub addr: SocketAddr,
    pub root: Arc<Mutex<Option<PathBuf>>>,
    /// Authorization header of each request (None when absent).
    pub auth_seen: Arc<Mutex<Vec<Option<String>>>>,
    pub connections: Arc<AtomicUsize>,
    pub redirect_loop: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlobStore {
    pub fn start(ip: &str) -> BlobStore {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let root: Arc<Mutex<Option<PathBuf>>> = Arc::new(Mutex::new(None));
        let auth_seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let redirect_loop = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, a, c, l, s) = (
            root.clone(),
            auth_seen.clone(),
            connections.clone(),
            redirect_loop.clone(),
            stop.clone(),
        );
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().take(500) {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut first = String::new();
                {
                    let mut peek = BufReader::new(&stream);
                    if peek.read_line(&mut first).is_err() {
                        continue;
                    }
                    // Headers.
                    let mut auth = None;
                    for _ in 0..100 {
                        let mut h = String::new();
                        if peek.read_line(&mut h).unwrap_or(0) == 0 {
                            break;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("authorization") {
                                auth = Some(v.trim().to_string());
                            }
                        }
                    }
                    a.lock().unwrap().push(auth);
                }
                let mut parts = first.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let target = parts.next().unwrap_or("/").to_string();
                if l.load(Ordering::SeqCst) {
                    let _ = stream.write_all(
                        format!(
                            "HTTP/1.1 302 Found\r\nLocation: http://{addr}{target}\r\n\
                             Content-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    continue;
                }
                let path = target.split('?').next().unwrap_or("/");
                let file = r.lock().unwrap().as_ref().and_then(|root| {
                    if path.split('/').any(|seg| seg == "..") {
                        return None;
                    }
                    std::fs::read(root.join(path.trim_start_matches('/'))).ok()
                });
                let reply = match file {
                    Some(bytes) => {
                        let mut head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n",
                            bytes.len()
                        )
                        .into_bytes();
                        if method != "HEAD" {
                            head.extend_from_slice(&bytes);
                        }
                        head
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&reply);
            }
        });
        BlobStore {
            addr,
            root,
            auth_seen,
            connections,
            redirect_loop,
            stop,
            thread: Some(thread),
        }
    }

    /// The registry config section sending blob reads here.
    pub fn middleware_yaml(&self) -> String {
        format!(
            "middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: http://{}/\n",
            self.addr
        )
    }
}

impl Drop for BlobStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
