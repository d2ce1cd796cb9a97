//! The scan's only way onto the network: one HTTP client per scan, pinned to the address the
//! scope guard resolved for the site, that refuses every other origin, follows no redirect by
//! itself, waits for the task's rate limiter and a concurrency slot before each request,
//! counts what it sent, keeps the site's cookies, and reads at most [`BODY_LIMIT`] bytes of
//! a body. Every request and response can be turned into evidence.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use url::Url;
use vigil_engine::RateLimiter;

/// Most bytes of a response body that are read.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Why a request was not answered.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not on the scanned site.
    #[error("{0} is outside the scanned site")]
    OutOfScope(String),
    /// The scan was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Connection, TLS or protocol failure, or a timeout.
    #[error("{0}")]
    Transport(String),
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
    /// `application/json`.
    Json(Value),
    /// Anything else, with its content type.
    Raw {
        /// Content type.
        content_type: String,
        /// Bytes.
        bytes: Vec<u8>,
    },
}

impl Body {
    fn content_type(&self) -> &str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
            Body::Raw { content_type, .. } => content_type,
        }
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Form(f) => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(f)
                .finish()
                .into_bytes(),
            Body::Json(v) => v.to_string().into_bytes(),
            Body::Raw { bytes, .. } => bytes.clone(),
        }
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Method (`GET`, `POST`, ...).
    pub method: String,
    /// Absolute URL on the site.
    pub url: Url,
    /// Extra headers (they replace the client's defaults of the same name).
    pub headers: Vec<(String, String)>,
    /// Cookies replacing the jar's of the same name for this request only.
    pub cookies: Vec<(String, String)>,
    /// Body.
    pub body: Option<Body>,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: Url) -> Self {
        Request {
            method: "GET".into(),
            url,
            headers: vec![],
            cookies: vec![],
            body: None,
        }
    }

    /// A request with a method and body.
    pub fn with_body(method: &str, url: Url, body: Option<Body>) -> Self {
        Request {
            method: method.to_ascii_uppercase(),
            url,
            headers: vec![],
            cookies: vec![],
            body,
        }
    }

    /// The request as it goes on the wire (headers Vigil adds included), for evidence.
    pub fn wire(&self, cookie: Option<&str>) -> String {
        let path = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        };
        let mut out = format!(
            "{} {path} HTTP/1.1\r\nHost: {}\r\n",
            self.method,
            self.url.host_str().unwrap_or("")
        );
        for (k, v) in &self.headers {
            let v = if secret_header(k) { REDACTED } else { v };
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(c) = cookie.filter(|c| !c.is_empty()) {
            out.push_str(&format!("Cookie: {c}\r\n"));
        }
        if let Some(b) = &self.body {
            out.push_str(&format!("Content-Type: {}\r\n\r\n", b.content_type()));
            out.push_str(&String::from_utf8_lossy(&b.bytes()));
        } else {
            out.push_str("\r\n");
        }
        out
    }
}

/// One response.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// Body (decompressed), at most [`BODY_LIMIT`] bytes.
    pub body: Vec<u8>,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
}

impl Response {
    /// First header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header of that name.
    pub fn headers_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(move |(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the body is HTML.
    pub fn is_html(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"))
    }

    /// The response as evidence: status line, headers, and the body around `mark` (or its
    /// start), bounded.
    pub fn wire(&self, mark: Option<&str>) -> String {
        let mut out = format!("HTTP/1.1 {}\r\n", self.status);
        for (k, v) in &self.headers {
            if k == "set-cookie" {
                out.push_str(&format!("{k}: {}\r\n", redact_set_cookie(v)));
            } else if secret_header(k) {
                out.push_str(&format!("{k}: {REDACTED}\r\n"));
            } else {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        out.push_str("\r\n");
        out.push_str(&excerpt(&self.text(), mark, 600));
        out
    }
}

/// What stands in for a credential in evidence: cookie values, `Authorization` headers.
pub const REDACTED: &str = "<redacted>";

/// Headers whose values are credentials, never shown in evidence.
pub fn secret_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "x-api-key" | "x-auth-token"
    )
}

/// A `Cookie` header (`a=1; b=2`) with every value hidden and the names kept.
pub fn redact_cookie_header(raw: &str) -> String {
    parse_cookie_header(raw)
        .into_iter()
        .map(|(k, _)| format!("{k}={REDACTED}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `Set-Cookie` value with the cookie's value hidden and its name and attributes kept
/// (the attributes are what cookie findings prove).
pub fn redact_set_cookie(v: &str) -> String {
    let (pair, attrs) = v.split_once(';').map_or((v, None), |(p, a)| (p, Some(a)));
    let name = pair.split_once('=').map_or(pair, |(n, _)| n).trim();
    match attrs {
        Some(a) => format!("{name}={REDACTED};{a}"),
        None => format!("{name}={REDACTED}"),
    }
}

/// Up to `width` characters of `text` around the first `mark` (or from the start).
pub fn excerpt(text: &str, mark: Option<&str>, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = mark
        .and_then(|m| text.find(m))
        .map(|byte| text[..byte].chars().count())
        .unwrap_or(0);
    let start = at.saturating_sub(width / 2);
    let end = (start + width).min(chars.len());
    let mut s: String = chars[start..end].iter().collect();
    if start > 0 {
        s.insert_str(0, "...");
    }
    if end < chars.len() {
        s.push_str("...");
    }
    s
}

/// A request and its response, as a finding's proof.
pub fn evidence(req: &Request, resp: &Response, mark: Option<&str>, cookie: Option<&str>) -> Value {
    json!({
        "request": req.wire(cookie),
        "response": resp.wire(mark),
        "status": resp.status,
        "elapsed_ms": resp.elapsed.as_millis() as u64,
    })
}

/// The scan's HTTP client.
pub struct Http {
    client: reqwest::Client,
    origin: Url,
    rate: Arc<RateLimiter>,
    slots: Semaphore,
    sent: AtomicU64,
    jar: Mutex<BTreeMap<String, String>>,
    user_agent: String,
    cancel: CancellationToken,
}

/// What [`Http::new`] needs.
pub struct HttpConfig {
    /// The site's origin (scheme, host, port).
    pub origin: Url,
    /// The address the scope guard resolved and pinned for the site's host.
    pub addr: std::net::SocketAddr,
    /// Shared rate limiter of the task.
    pub rate: Arc<RateLimiter>,
    /// Most requests in flight.
    pub concurrency: usize,
    /// Timeout of one request.
    pub timeout: Duration,
    /// User-Agent.
    pub user_agent: String,
    /// Initial cookies (`a=b; c=d`), e.g. the site's login cookie.
    pub cookies: Option<String>,
    /// Cancellation of the scan.
    pub cancel: CancellationToken,
}

/// `name=value` pairs of a Cookie header.
pub fn parse_cookie_header(raw: &str) -> Vec<(String, String)> {
    raw.split(';')
        .filter_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

impl Http {
    /// A client for one site.
    pub fn new(cfg: HttpConfig) -> Result<Self, HttpError> {
        let host = cfg
            .origin
            .host_str()
            .ok_or_else(|| HttpError::Transport("the site URL has no host".into()))?
            .to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .resolve(host.trim_start_matches('[').trim_end_matches(']'), cfg.addr)
            // A scanner must reach sites with self-signed or expired certificates; it never
            // sends anything secret except the site's own login cookie.
            .danger_accept_invalid_certs(true)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(cfg.concurrency)
            .build()
            .map_err(|e| HttpError::Transport(e.to_string()))?;
        let jar = cfg
            .cookies
            .as_deref()
            .map(parse_cookie_header)
            .unwrap_or_default()
            .into_iter()
            .collect();
        Ok(Http {
            client,
            origin: cfg.origin,
            rate: cfg.rate,
            slots: Semaphore::new(cfg.concurrency.max(1)),
            sent: AtomicU64::new(0),
            jar: Mutex::new(jar),
            user_agent: cfg.user_agent,
            cancel: cfg.cancel,
        })
    }

    /// The site's origin.
    pub fn origin(&self) -> &Url {
        &self.origin
    }

    /// Whether `url` is on the scanned site (same scheme, host and port).
    pub fn in_scope(&self, url: &Url) -> bool {
        url.scheme() == self.origin.scheme()
            && url.host_str() == self.origin.host_str()
            && url.port_or_known_default() == self.origin.port_or_known_default()
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The Cookie header the next request would carry, with `overrides` applied.
    pub fn cookie_header(&self, overrides: &[(String, String)]) -> String {
        self.cookies_with(false, overrides)
    }

    /// The Cookie header as evidence shows it: the jar's values (the login cookie, the
    /// session the site set) redacted, names kept; `overrides` (values a check injected)
    /// shown as sent, since they are the proof.
    pub fn cookie_evidence(&self, overrides: &[(String, String)]) -> String {
        self.cookies_with(true, overrides)
    }

    fn cookies_with(&self, redact: bool, overrides: &[(String, String)]) -> String {
        let mut jar = self.jar.lock().map(|j| j.clone()).unwrap_or_default();
        if redact {
            jar.values_mut().for_each(|v| *v = REDACTED.to_string());
        }
        for (k, v) in overrides {
            jar.insert(k.clone(), v.clone());
        }
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Names of the cookies in the jar.
    pub fn cookie_names(&self) -> Vec<String> {
        self.jar
            .lock()
            .map(|j| j.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Send one request (after the rate limiter and a free slot); the jar takes the cookies
    /// the site sets.
    pub async fn send(&self, req: &Request) -> Result<Response, HttpError> {
        if !self.in_scope(&req.url) {
            return Err(HttpError::OutOfScope(req.url.to_string()));
        }
        let _slot = tokio::select! {
            s = self.slots.acquire() => s.map_err(|_| HttpError::Cancelled)?,
            _ = self.cancel.cancelled() => return Err(HttpError::Cancelled),
        };
        tokio::select! {
            _ = self.rate.acquire() => {}
            _ = self.cancel.cancelled() => return Err(HttpError::Cancelled),
        }
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| HttpError::Transport(e.to_string()))?;
        let overridden = |name: &str| {
            req.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        let mut b = self.client.request(method, req.url.clone());
        if !overridden("user-agent") {
            b = b.header("User-Agent", &self.user_agent);
        }
        if !overridden("accept") {
            b = b.header(
                "Accept",
                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
            );
        }
        let cookie = self.cookie_header(&req.cookies);
        if !cookie.is_empty() {
            b = b.header("Cookie", cookie);
        }
        if let Some(body) = &req.body {
            b = b
                .header("Content-Type", body.content_type())
                .body(body.bytes());
        }
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let fut = async {
            let mut resp = b
                .send()
                .await
                .map_err(|e| HttpError::Transport(e.to_string()))?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| HttpError::Transport(e.to_string()))?
            {
                let room = BODY_LIMIT - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= BODY_LIMIT {
                    break;
                }
            }
            Ok::<_, HttpError>(Response {
                status,
                headers,
                body,
                elapsed: started.elapsed(),
            })
        };
        let resp = tokio::select! {
            r = fut => r?,
            _ = self.cancel.cancelled() => return Err(HttpError::Cancelled),
        };
        if let Ok(mut jar) = self.jar.lock() {
            for sc in resp.headers_named("set-cookie") {
                if let Some((k, v)) = sc.split(';').next().and_then(|p| p.split_once('=')) {
                    let k = k.trim().to_string();
                    let v = v.trim().to_string();
                    let expired = sc.to_ascii_lowercase().contains("max-age=0");
                    if expired || v.is_empty() {
                        jar.remove(&k);
                    } else if !k.is_empty() {
                        jar.insert(k, v);
                    }
                }
            }
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_centred() {
        let text = format!("{}MARK{}", "a".repeat(1000), "b".repeat(1000));
        let e = excerpt(&text, Some("MARK"), 100);
        assert!(e.contains("MARK") && e.starts_with("...") && e.ends_with("..."));
        assert!(e.chars().count() <= 106);
        assert_eq!(excerpt("short", None, 100), "short");
        assert_eq!(excerpt("ünïcödé", Some("cö"), 4), "...nïcö...");
    }

    #[test]
    fn credentials_are_redacted_in_evidence() {
        let mut req = Request::get(Url::parse("http://h/x").unwrap());
        req.headers = vec![
            ("Authorization".into(), "Bearer s3cr3t".into()),
            ("X-Forwarded-For".into(), "1.2.3.4".into()),
        ];
        let w = req.wire(Some("sid=<redacted>; probe=1'"));
        assert!(
            !w.contains("s3cr3t") && w.contains("Authorization: <redacted>"),
            "{w}"
        );
        assert!(w.contains("X-Forwarded-For: 1.2.3.4"), "{w}");
        let resp = Response {
            status: 200,
            headers: vec![
                ("set-cookie".into(), "sid=abcdef; Path=/; HttpOnly".into()),
                ("set-cookie".into(), "bare".into()),
                ("content-type".into(), "text/html".into()),
            ],
            ..Response::default()
        };
        let w = resp.wire(None);
        assert!(
            w.contains("set-cookie: sid=<redacted>; Path=/; HttpOnly"),
            "{w}"
        );
        assert!(w.contains("set-cookie: bare=<redacted>"), "{w}");
        assert!(!w.contains("abcdef"), "{w}");
    }

    #[test]
    fn cookie_headers() {
        assert_eq!(
            parse_cookie_header("a=1; b = two ;=x; c"),
            vec![("a".into(), "1".into()), ("b".into(), "two".into())]
        );
    }

    #[test]
    fn wire_form() {
        let u = Url::parse("http://h.test/p?q=1").unwrap();
        let r = Request::with_body(
            "post",
            u,
            Some(Body::Form(vec![("a".into(), "b c".into())])),
        );
        let w = r.wire(Some("s=1"));
        assert!(w.starts_with("POST /p?q=1 HTTP/1.1\r\nHost: h.test\r\nCookie: s=1\r\n"));
        assert!(w.ends_with("application/x-www-form-urlencoded\r\n\r\na=b+c"));
    }
}
