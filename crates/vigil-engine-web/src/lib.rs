//! Vigil's web engine. Given a site URL (through the scope guard, DNS resolved once and pinned
//! for the whole scan), it crawls the site, runs passive checks on every page it fetched,
//! probes for sensitive files, and runs active checks on every injection point of every
//! endpoint it found, all under the task's request rate (shared by crawler and checks, never
//! exceeded in any one-second window) and a concurrency cap. It streams findings with their
//! proof (the request sent, the relevant part of the response) and returns what it examined,
//! so a rescan can tell what was fixed. It knows nothing about CWS or any API.

/// A regular expression compiled once, on first use; the patterns are constants.
macro_rules! regex {
    ($pattern:expr) => {{
        static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        $crate::passive::re(&CELL, $pattern)
    }};
}

pub mod active;
pub mod catalogue;
pub mod cors;
pub mod crawl;
pub mod endpoint;
pub mod extract;
pub mod files;
pub mod headers;
pub mod http;
pub mod leak;
pub mod passive;
#[cfg(test)]
mod robustness;

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;
use vigil_core::Finding;
use vigil_engine::{Coverage, Engine, EngineError, ScanCtx, Unseal};

use crate::endpoint::{Endpoint, Point};
use crate::http::{Http, HttpConfig, HttpError, Request, Response};

pub use vigil_core::spec::web::{Mode, SealedCookie, WebOptions, WebTarget, WebTargets};

/// Everything a check needs.
pub struct Scan<'a> {
    /// The scan's client.
    pub http: &'a Http,
    /// Deep mode.
    pub deep: bool,
    /// Cookies that keep the session (never injected into).
    pub keep_cookies: Vec<String>,
    /// A page of the site with text that appears nowhere else, for SSRF proofs.
    pub canary: Option<(Url, String)>,
    ctx: &'a ScanCtx,
    enabled: Option<Vec<String>>,
    covered: Mutex<HashSet<String>>,
}

impl Scan<'_> {
    /// Whether checks of `kind` run.
    pub fn enabled(&self, kind: &str) -> bool {
        self.enabled
            .as_ref()
            .is_none_or(|k| k.iter().any(|x| x == kind))
    }

    /// Record that `kind` was looked for at this place (whatever the result).
    pub fn looked(&self, kind: &str, method: &str, url: &Url, param: Option<&str>) {
        if let Ok(mut c) = self.covered.lock() {
            c.insert(coverage_key(kind, method, url, param));
        }
    }

    /// Deliver a finding.
    pub async fn report(&self, f: Finding) -> Result<(), EngineError> {
        self.ctx.sink.finding(f).await
    }

    /// The Cookie header a request would carry.
    pub fn cookie(&self, req: &Request) -> String {
        self.http.cookie_header(&req.cookies)
    }

    /// Evidence of an exchange, with the session's cookie values and credentials redacted.
    pub fn evidence(&self, req: &Request, resp: &Response, mark: Option<&str>) -> Value {
        let cookie = self.http.cookie_evidence(&req.cookies);
        http::evidence(req, resp, mark, Some(&cookie))
    }
}

fn coverage_key(kind: &str, method: &str, url: &Url, param: Option<&str>) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    format!("{kind}\u{1f}{method}\u{1f}{u}\u{1f}{}", param.unwrap_or(""))
}

/// What a web run examined: a finding not seen again is fixed only if its check ran at its
/// place (same kind, method, URL and parameter).
#[derive(Debug, Default)]
pub struct WebCoverage {
    looked: HashSet<String>,
}

impl Coverage for WebCoverage {
    fn covers(&self, f: &Finding) -> bool {
        let (Some(url), Some(method)) = (
            f.url.as_deref().and_then(|u| Url::parse(u).ok()),
            f.identity.first(),
        ) else {
            return false;
        };
        self.looked
            .contains(&coverage_key(&f.kind, method, &url, f.parameter.as_deref()))
    }
}

/// The web engine.
#[derive(Default, Clone)]
pub struct WebEngine {
    unseal: Option<Unseal>,
}

impl std::fmt::Debug for WebEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebEngine")
            .field("unseal", &self.unseal.is_some())
            .finish()
    }
}

impl WebEngine {
    /// An engine that opens sealed login cookies with `unseal`.
    pub fn with_unseal(unseal: Unseal) -> Self {
        WebEngine {
            unseal: Some(unseal),
        }
    }

    /// The target with its sealed login cookie opened.
    fn opened(&self, mut t: WebTarget) -> Result<WebTarget, EngineError> {
        if let Some(s) = t.login_cookie_sealed.take() {
            let unseal = self.unseal.as_ref().ok_or_else(|| {
                EngineError::Failed(
                    "the login cookie is sealed and this engine cannot open it".into(),
                )
            })?;
            let cookie = unseal(&s.sealed, &s.purpose)
                .map_err(|e| EngineError::Failed(format!("login cookie: {e}")))?;
            t.login_cookie = Some(cookie);
        }
        Ok(t)
    }
}

fn bad(msg: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(msg.into())
}

/// The endpoint's normal answer, for comparisons.
async fn baseline(http: &Http, ep: &Endpoint) -> Result<Option<Response>, EngineError> {
    match http.send(&ep.request()).await {
        Ok(r) => Ok(Some(r)),
        Err(HttpError::Cancelled) => Err(EngineError::Cancelled),
        Err(e) => {
            tracing::debug!(url = %ep.url, error = %e, "baseline failed");
            Ok(None)
        }
    }
}

/// Every active check on every injection point of one endpoint.
async fn test_endpoint(
    scan: &Scan<'_>,
    ep: &Endpoint,
    cookies: &[(String, String)],
) -> Result<(), EngineError> {
    scan.ctx.check_cancelled()?;
    let points: Vec<Point> = ep.points(scan.deep, cookies, &scan.keep_cookies);
    if points.is_empty() {
        return Ok(());
    }
    let Some(base) = baseline(scan.http, ep).await? else {
        return Ok(());
    };
    for pt in &points {
        active::check_point(scan, ep, pt, &base).await?;
    }
    Ok(())
}

/// Whether the login session is valid now: the check URL shows the keyword.
async fn session_valid(http: &Http, t: &WebTarget) -> Result<Option<(bool, Value)>, EngineError> {
    let (Some(u), Some(kw)) = (
        t.login_check_url.as_deref(),
        t.login_check_keyword.as_deref(),
    ) else {
        return Ok(None);
    };
    let url = Url::parse(u).map_err(|e| bad(format!("login check URL `{u}`: {e}")))?;
    let req = Request::get(url);
    match http.send(&req).await {
        Ok(resp) => {
            let ok = resp.status < 300 && resp.text().contains(kw);
            let ev = http::evidence(&req, &resp, Some(kw), None);
            Ok(Some((ok, ev)))
        }
        Err(HttpError::Cancelled) => Err(EngineError::Cancelled),
        Err(e) => Ok(Some((false, json!({"error": e.to_string()})))),
    }
}

#[async_trait]
impl Engine for WebEngine {
    fn kind(&self) -> &'static str {
        "web"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Coverage is exact per URL, method and parameter, so every web run of an account shares
    /// one scope: any run that tested a finding's place and did not see it fixes it.
    fn scope_key(&self, _target: &Value) -> Option<String> {
        Some("web".into())
    }

    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        // One site, or several one after another (`{"sites": [...]}`).
        let (WebTargets { sites }, o): (WebTargets, WebOptions) =
            vigil_engine::contract(target, options)?;
        if sites.is_empty() {
            return Err(bad("the target names no site"));
        }
        let sites = sites
            .into_iter()
            .map(|t| self.opened(t))
            .collect::<Result<Vec<_>, _>>()?;
        let n = sites.len();
        let mut looked = HashSet::new();
        for (i, t) in sites.iter().enumerate() {
            ctx.check_cancelled()?;
            match run_site(ctx, t, &o, (i, n)).await {
                Ok(l) => looked.extend(l),
                Err(EngineError::Cancelled) => return Err(EngineError::Cancelled),
                // One site that cannot be scanned does not stop the others; what it would
                // have covered stays unknown, so none of its findings is called fixed.
                Err(e) if n > 1 => tracing::warn!(site = %t.url, error = %e, "site not scanned"),
                Err(e) => return Err(e),
            }
        }
        Ok(Box::new(WebCoverage { looked }))
    }
}

/// Scan one site; `slice` is (this site's index, number of sites) for progress.
async fn run_site(
    ctx: &ScanCtx,
    t: &WebTarget,
    o: &WebOptions,
    slice: (usize, usize),
) -> Result<HashSet<String>, EngineError> {
    let progress = |p: usize| {
        let (i, n) = slice;
        ctx.sink.progress(((i * 100 + p.min(100)) / n.max(1)) as u8);
    };
    let start = Url::parse(&t.url).map_err(|e| bad(format!("`{}`: {e}", t.url)))?;
    if start.scheme() != "http" && start.scheme() != "https" {
        return Err(bad(format!("`{}` is not an http or https URL", t.url)));
    }
    let host = start
        .host_str()
        .ok_or_else(|| bad(format!("`{}` has no host", t.url)))?;
    let port = start.port_or_known_default().unwrap_or(80);
    let pinned = ctx.scope.resolve(host, port).await?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if o.public_only.iter().any(|h| h.eq_ignore_ascii_case(bare))
        && !ctx.scope.names_trusted(bare)
        && pinned.reaches_internal()
    {
        return Err(EngineError::Scope(vigil_engine::ScopeError::Denied {
            target: bare.to_string(),
            reason: format!(
                "it now resolves to the internal address {}, outside the operator's scope",
                pinned.addr.ip()
            ),
        }));
    }
    let exclude = o
        .exclude
        .iter()
        .map(|p| regex::Regex::new(p).map_err(|e| bad(format!("exclude `{p}`: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let deep = o.mode == Mode::Deep;
    let http = Http::new(HttpConfig {
        origin: start.clone(),
        addr: pinned.addr,
        rate: ctx.rate.clone(),
        concurrency: o.concurrency.unwrap_or(8).clamp(1, 64),
        timeout: Duration::from_secs(o.request_timeout_secs.unwrap_or(15).clamp(1, 120)),
        user_agent: t.user_agent.clone().unwrap_or_else(|| {
            format!(
                "Mozilla/5.0 (compatible; Vigil/{})",
                env!("CARGO_PKG_VERSION")
            )
        }),
        cookies: t.login_cookie.clone(),
        cancel: ctx.cancel.clone(),
    })
    .map_err(|e| EngineError::Failed(e.to_string()))?;
    let keep_cookies: Vec<String> = t
        .login_cookie
        .as_deref()
        .map(http::parse_cookie_header)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut scan = Scan {
        http: &http,
        deep,
        keep_cookies,
        canary: None,
        ctx,
        enabled: o.checks.clone(),
        covered: Mutex::new(HashSet::new()),
    };
    let lost = |ev: Value, when: &str| {
        catalogue::finding(
            "login-session",
            "GET",
            &start,
            None,
            &format!("the session was not valid {when}"),
            ev,
        )
    };
    if let Some((false, ev)) = session_valid(&http, t).await? {
        scan.report(lost(ev, "at the start")).await?;
    }

    // 1. Crawl (up to 40% of the progress).
    let cfg = crawl::CrawlConfig {
        start: start.clone(),
        max_pages: o
            .max_pages
            .unwrap_or(if deep { 2000 } else { 300 })
            .clamp(1, 100_000),
        max_depth: o.max_depth.unwrap_or(if deep { 10 } else { 5 }),
        disallow: t.disallow.clone(),
        exclude,
    };
    let report = |p: u8| progress(usize::from(p));
    let crawled = crawl::crawl(&http, &cfg, &|done, budget| {
        report((done * 40 / budget.max(1)).min(40) as u8)
    })
    .await
    .map_err(|e| match e {
        HttpError::Cancelled => EngineError::Cancelled,
        other => EngineError::Failed(other.to_string()),
    })?;
    if crawled.pages.is_empty() {
        return Err(EngineError::Failed(format!(
            "{} could not be fetched",
            start
        )));
    }
    // The site map: every page fetched, with its status, as inventory.
    for p in &crawled.pages {
        ctx.sink
            .component(vigil_core::Component {
                name: p.request.url.path().to_string(),
                version: Some(p.response.status.to_string()),
                kind: "page".into(),
                purl: None,
                path: Some(p.request.url.to_string()),
                detail: None,
            })
            .await?;
    }
    scan.canary = crawled
        .pages
        .iter()
        .filter(|p| p.response.status == 200 && p.response.is_html())
        .find_map(|p| passive::canary_text(&p.response).map(|t| (p.request.url.clone(), t)));

    // 2. Passive checks on every page, and the site-wide probes.
    passive::check_pages(&scan, &crawled.pages).await?;
    ctx.check_cancelled()?;
    files::check(&scan, &crawled.pages).await?;
    report(50);

    // 3. Active checks on every injection point.
    let cookies: Vec<(String, String)> = http
        .cookie_names()
        .into_iter()
        .map(|k| (k, String::new()))
        .collect();
    // Endpoints side by side (the client's slots and the rate limit bound the load);
    // the points of one endpoint one after another.
    let total = crawled.endpoints.len().max(1);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let eps = &crawled.endpoints;
    let (scan_ref, cookies_ref, done_ref) = (&scan, &cookies, &done);
    let progress_ref = &progress;
    let mut tests = futures::stream::iter(0..eps.len())
        .map(|i| async move {
            test_endpoint(scan_ref, &eps[i], cookies_ref).await?;
            let n = done_ref.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress_ref(50 + n * 49 / total);
            Ok::<(), EngineError>(())
        })
        .buffer_unordered(o.concurrency.unwrap_or(8).clamp(1, 64));
    while let Some(r) = tests.next().await {
        r?;
    }
    drop(tests);
    if let Some((false, ev)) = session_valid(&http, t).await? {
        scan.report(lost(ev, "at the end (it was lost during the scan)"))
            .await?;
    }
    tracing::info!(
        pages = crawled.pages.len(),
        endpoints = crawled.endpoints.len(),
        requests = http.sent(),
        "web scan done"
    );
    let looked = scan.covered.into_inner().unwrap_or_default();
    Ok(looked)
}
