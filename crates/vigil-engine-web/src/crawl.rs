//! The crawler: breadth-first from the start URL, `robots.txt` and `sitemap.xml`, through
//! links, redirects within the site, forms, scripts and JSON. URLs that differ only in
//! parameter values are fetched once; logout links, the site's disallowed paths and the
//! caller's exclusions are never requested; depth and page budgets bound the walk.

use crate::endpoint::Endpoint;
use crate::extract::{self, ScriptCall};
use crate::http::{Body, Http, HttpError, Request, Response};
use futures::stream::{FuturesUnordered, StreamExt};
use regex::Regex;
use std::collections::{HashMap, HashSet, VecDeque};
use url::Url;

/// Limits and exclusions of one crawl.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Where to start.
    pub start: Url,
    /// Most pages fetched.
    pub max_pages: usize,
    /// Most links followed from the start.
    pub max_depth: usize,
    /// Path keywords never requested (the site's `ScanDisallow`).
    pub disallow: Vec<String>,
    /// URL patterns never requested (`--exclude`).
    pub exclude: Vec<Regex>,
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The request.
    pub request: Request,
    /// Its answer.
    pub response: Response,
    /// Links from the start.
    pub depth: usize,
    /// Forms on the page with a password field and where they post.
    pub password_forms: Vec<Url>,
    /// Sub-resources the page loads (scripts, images, frames), as written.
    pub subresources: Vec<String>,
}

/// What the crawl found.
#[derive(Debug, Default)]
pub struct Crawl {
    /// Fetched pages, in fetch order.
    pub pages: Vec<Page>,
    /// Endpoints to test, one per key.
    pub endpoints: Vec<Endpoint>,
    /// URLs not requested because they lead off the site.
    pub off_site: usize,
    /// The page budget ended the crawl early.
    pub budget_hit: bool,
}

/// Words of links a crawler must not follow: they end the session or destroy data.
fn is_dangerous(u: &Url) -> bool {
    let p = u.path().to_ascii_lowercase();
    [
        "logout", "log-out", "log_out", "signout", "sign-out", "sign_out", "logoff", "delete",
        "remove", "destroy",
    ]
    .iter()
    .any(|w| p.contains(w))
}

fn excluded(cfg: &CrawlConfig, u: &Url) -> bool {
    let path = u.path();
    cfg.disallow
        .iter()
        .any(|d| !d.is_empty() && path.contains(d.as_str()))
        || cfg.exclude.iter().any(|r| r.is_match(u.as_str()))
}

/// Most pages fetched whose paths differ only in numeric segments.
const VARIANTS: usize = 10;

/// A page's identity: its path and the sorted names of its query parameters.
fn page_key(u: &Url) -> String {
    let mut names: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
    names.sort();
    names.dedup();
    format!("{}?{}", u.path(), names.join("&"))
}

struct Walk<'a> {
    http: &'a Http,
    cfg: &'a CrawlConfig,
    queue: VecDeque<(Url, usize)>,
    seen: HashSet<String>,
    variants: HashMap<String, usize>,
    endpoint_keys: HashSet<String>,
    out: Crawl,
}

impl Walk<'_> {
    fn push(&mut self, u: Url, depth: usize) {
        if !self.http.in_scope(&u) {
            self.out.off_site += 1;
            return;
        }
        if depth > self.cfg.max_depth || excluded(self.cfg, &u) || is_dangerous(&u) {
            return;
        }
        // Pages are told apart by path and parameter names (values do not matter); paths that
        // differ only in numbers (`/items/1`, `/items/2`) are fetched up to VARIANTS times.
        let general = Endpoint::get(u.clone()).key();
        let exact = page_key(&u);
        if self.seen.contains(&exact) {
            return;
        }
        let n = self.variants.entry(general).or_insert(0);
        if *n >= VARIANTS {
            return;
        }
        *n += 1;
        self.seen.insert(exact);
        self.queue.push_back((u, depth));
    }

    fn endpoint(&mut self, e: Endpoint) {
        if !self.http.in_scope(&e.url) || excluded(self.cfg, &e.url) || is_dangerous(&e.url) {
            return;
        }
        if self.endpoint_keys.insert(e.key()) {
            self.out.endpoints.push(e);
        }
    }

    fn call(&mut self, c: ScriptCall, depth: usize) {
        match (c.method.as_str(), c.xml) {
            ("GET", _) => {
                self.endpoint(Endpoint::get(c.url.clone()));
                self.push(c.url, depth + 1);
            }
            (m, Some(xml)) => self.endpoint(Endpoint {
                method: m.into(),
                url: c.url,
                body: Some(Body::Raw {
                    content_type: "application/xml".into(),
                    bytes: xml.into_bytes(),
                }),
            }),
            (m, None) => {
                let obj: serde_json::Map<String, serde_json::Value> = c
                    .json_keys
                    .iter()
                    .map(|k| (k.clone(), serde_json::Value::String("vigil".into())))
                    .collect();
                self.endpoint(Endpoint {
                    method: m.into(),
                    url: c.url,
                    body: Some(Body::Json(serde_json::Value::Object(obj))),
                })
            }
        }
    }

    /// Learn from one fetched page.
    fn absorb(&mut self, req: Request, resp: Response, depth: usize) {
        let url = req.url.clone();
        let mut page = Page {
            request: req,
            response: resp,
            depth,
            password_forms: vec![],
            subresources: vec![],
        };
        let resp = &page.response;
        if url.query().is_some() || resp.status < 400 {
            self.endpoint(Endpoint::get(url.clone()));
        }
        if (300..400).contains(&resp.status) {
            if let Some(loc) = resp.header("location").and_then(|l| url.join(l).ok()) {
                self.push(loc, depth + 1);
            }
        }
        let ctype = resp
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = resp.text();
        let path = url.path().to_ascii_lowercase();
        if path == "/robots.txt" && resp.status == 200 {
            let (paths, maps) = extract::robots(&url, &body);
            for u in paths.into_iter().chain(maps) {
                self.push(u, depth + 1);
            }
        } else if ctype.contains("html") {
            let links = extract::html(&url, &body);
            for l in links.links {
                self.push(l, depth + 1);
            }
            for s in links.scripts {
                self.push(s, depth + 1);
            }
            for c in links.calls {
                self.call(c, depth);
            }
            for f in links.forms {
                if f.has_password {
                    page.password_forms.push(f.action.clone());
                }
                if f.method == "GET" {
                    let mut u = f.action.clone();
                    u.query_pairs_mut().clear().extend_pairs(f.fields.iter());
                    if f.fields.is_empty() {
                        u.set_query(None);
                    }
                    self.endpoint(Endpoint::get(u.clone()));
                    self.push(u, depth + 1);
                } else {
                    self.endpoint(Endpoint {
                        method: "POST".into(),
                        url: f.action,
                        body: Some(Body::Form(f.fields)),
                    });
                }
            }
            page.subresources = links.subresources;
        } else if ctype.contains("javascript") || path.ends_with(".js") {
            for c in extract::script_calls(&url, &body) {
                self.call(c, depth);
            }
        } else if ctype.contains("json") {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&page.response.body) {
                for u in extract::json_urls(&url, &v) {
                    self.push(u, depth + 1);
                }
            }
        } else if ctype.contains("xml") || path.ends_with(".xml") {
            for u in extract::sitemap(&url, &body) {
                self.push(u, depth + 1);
            }
        }
        self.out.pages.push(page);
    }
}

/// Crawl the site; `progress` gets the pages fetched so far and the budget.
pub async fn crawl(
    http: &Http,
    cfg: &CrawlConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Crawl, HttpError> {
    let mut w = Walk {
        http,
        cfg,
        queue: VecDeque::new(),
        seen: HashSet::new(),
        variants: HashMap::new(),
        endpoint_keys: HashSet::new(),
        out: Crawl::default(),
    };
    let mut start = cfg.start.clone();
    start.set_fragment(None);
    w.push(start.clone(), 0);
    for well_known in ["/robots.txt", "/sitemap.xml"] {
        if let Ok(u) = start.join(well_known) {
            w.push(u, 1);
        }
    }
    let mut fetched = 0usize;
    let mut inflight = FuturesUnordered::new();
    loop {
        while inflight.len() < 8 && fetched + inflight.len() < cfg.max_pages {
            let Some((u, depth)) = w.queue.pop_front() else {
                break;
            };
            let req = Request::get(u);
            inflight.push(async move {
                let r = http.send(&req).await;
                (req, r, depth)
            });
        }
        let Some((req, r, depth)) = inflight.next().await else {
            break;
        };
        fetched += 1;
        progress(fetched, cfg.max_pages);
        match r {
            Ok(resp) => w.absorb(req, resp, depth),
            Err(HttpError::Cancelled) => return Err(HttpError::Cancelled),
            Err(e) => tracing::debug!(url = %req.url, error = %e, "crawl fetch failed"),
        }
    }
    w.out.budget_hit = !w.queue.is_empty();
    Ok(w.out)
}
