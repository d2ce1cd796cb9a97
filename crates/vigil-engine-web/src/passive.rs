//! Passive checks: everything judged on the responses the crawler already fetched, plus one
//! bounded CORS probe per API-like page. This module owns the classes `security-headers`,
//! `cookie-flags`, `version-disclosure`, `stack-trace`, `directory-listing`,
//! `mixed-content`, `cors`, `private-ip`, `secret-leak` and `form-over-http`, the masking of
//! secrets in every passive (and sensitive-file) evidence, and the canary text the SSRF check
//! looks for.
//!
//! Every matcher is a pure function over a response (unit-tested with a vulnerable sample and
//! a safe twin); [`check_pages`] only walks the pages, records where each check looked
//! (`Scan::looked`) and reports. Rules worth knowing:
//!
//! * `security-headers` and `version-disclosure` are site-level: one finding per site (per
//!   header for versions), at the site's root URL (`scheme://host:port/`), so that the
//!   fingerprint does not depend on which page the scan started from. Headers are judged on
//!   the site's 2xx HTML pages; one page lacking a header is enough, the page lacking most is
//!   the evidence.
//! * `cookie-flags`: HttpOnly and SameSite are required everywhere (HttpOnly not for
//!   `XSRF`/`CSRF` cookies, which scripts must read). `Secure` is judged on https only: over
//!   plain http the flag protects nothing (the whole site is clear text, which
//!   `form-over-http` reports where it matters) and browsers refuse `Secure` cookies set by
//!   an http page, so the advice would not be actionable. Cookies being deleted are ignored.
//! * `form-over-http` reports a password that is *submitted* in clear text: the form's
//!   (resolved) action is `http://`, whether the page itself is http or https. A form on an
//!   http page that posts to `https://` is the safe twin (the password travels encrypted;
//!   the page itself could still be altered in transit, which HSTS and `security-headers`
//!   cover).
//! * `mixed-content` only on https pages, and only for elements that load something
//!   (scripts, frames, images, media, stylesheets/icons; not canonical or alternate links).

use crate::crawl::Page;
use crate::http::{Http, HttpError, Request, Response};
use crate::{catalogue, Scan};
use futures::stream::{self, StreamExt};
use regex::Regex;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::OnceLock;
use url::Url;
use vigil_engine::text::clip;
use vigil_engine::EngineError;

/// Origin sent by the CORS probe: a reserved TLD, only ever a header value.
pub const CORS_ORIGIN: &str = "https://vigil-cors.example";

/// Most extra requests the CORS check sends in one scan.
pub const CORS_BUDGET: usize = 20;

pub(crate) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are constant and valid.
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("{e}")))
}

macro_rules! regex {
    ($pattern:expr) => {{
        static CELL: OnceLock<Regex> = OnceLock::new();
        re(&CELL, $pattern)
    }};
}

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// The site's root URL (`scheme://host:port/`): where site-level findings are filed.
pub(crate) fn site_root(origin: &Url) -> Url {
    let mut u = origin.clone();
    u.set_path("/");
    u.set_query(None);
    u.set_fragment(None);
    u
}

/// Lower-case content type without parameters.
fn content_type(resp: &Response) -> String {
    resp.header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether the body is text worth matching (HTML, plain text, JSON, XML, JavaScript, or no
/// type and no NUL byte).
pub(crate) fn is_text(resp: &Response) -> bool {
    let ct = content_type(resp);
    if ct.is_empty() {
        return !resp.body.iter().take(4096).any(|b| *b == 0);
    }
    ct.starts_with("text/")
        || [
            "json",
            "xml",
            "javascript",
            "ecmascript",
            "x-www-form-urlencoded",
            "yaml",
            "graphql",
        ]
        .iter()
        .any(|t| ct.contains(t))
}

fn is_script(resp: &Response, url: &Url) -> bool {
    let ct = content_type(resp);
    ct.contains("javascript")
        || ct.contains("ecmascript")
        || (!ct.contains("html") && url.path().to_ascii_lowercase().ends_with(".js"))
}

fn is_css(resp: &Response, url: &Url) -> bool {
    content_type(resp) == "text/css" || url.path().to_ascii_lowercase().ends_with(".css")
}

/// HTML character references decoded (the common named ones and numeric ones), so that a
/// trace shown escaped in `<pre>` reads like the original.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let ent = regex!(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|quot|apos|lt|gt|amp|nbsp);");
    ent.replace_all(s, |c: &regex::Captures<'_>| {
        let e = &c[1];
        let ch = match e {
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "nbsp" => Some(' '),
            _ if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            _ => e[1..].parse::<u32>().ok().and_then(char::from_u32),
        };
        ch.map(String::from).unwrap_or_else(|| c[0].to_string())
    })
}

/// A secret shown as its first 4 and last 2 characters, the rest starred (short values are
/// starred whole).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n.max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[n - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat((n - 6).min(24)))
}

/// The response as evidence may show it: every secret the `secret-leak` matchers know (and
/// credential-looking assignments) masked in the body and the headers.
pub(crate) fn masked_response(resp: &Response) -> Response {
    let mut out = resp.clone();
    if is_text(resp) {
        out.body = mask_secrets(&resp.text()).into_owned().into_bytes();
    }
    for (_, v) in out.headers.iter_mut() {
        if let Cow::Owned(m) = mask_secrets(v) {
            *v = m;
        }
    }
    out
}

/// Evidence of an exchange with secrets masked (request, response and mark).
pub(crate) fn safe_evidence(
    scan: &Scan<'_>,
    req: &Request,
    resp: &Response,
    mark: Option<&str>,
) -> Value {
    let masked = masked_response(resp);
    let mark = mark.map(|m| mask_secrets(m).into_owned());
    scan.evidence(req, &masked, mark.as_deref())
}

fn add(mut ev: Value, extra: Value) -> Value {
    if let (Value::Object(e), Value::Object(x)) = (&mut ev, extra) {
        e.extend(x);
    }
    ev
}

/// Pages in a stable order, shallowest first (the site's root before anything else), so
/// that site-level evidence shows the same page from one scan to the next.
fn by_place(pages: &[Page]) -> Vec<&Page> {
    let mut v: Vec<&Page> = pages.iter().collect();
    v.sort_by(|a, b| {
        let key = |p: &Page| {
            let u = &p.request.url;
            (u.path().len(), u.query().is_some(), u.as_str().to_string())
        };
        key(a).cmp(&key(b))
    });
    v
}

fn page_key(p: &Page) -> String {
    format!("{} {}", p.request.method, p.request.url.path())
}

// ---------------------------------------------------------------------------------------
// security-headers
// ---------------------------------------------------------------------------------------

/// Protective headers a response lacks: `Content-Security-Policy` (a `<meta http-equiv>`
/// CSP in `body` counts), `X-Content-Type-Options: nosniff`, frame protection
/// (`X-Frame-Options: DENY|SAMEORIGIN` or CSP `frame-ancestors`), and on https
/// `Strict-Transport-Security` with a positive max-age.
pub fn missing_headers(resp: &Response, body: &str, https: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    let csp: Vec<String> = resp
        .headers_named("content-security-policy")
        .map(|v| v.to_ascii_lowercase())
        .collect();
    let meta_csp =
        regex!(r#"(?i)<meta[^>]+http-equiv\s*=\s*["']?content-security-policy"#).is_match(body);
    if csp.iter().all(|c| c.trim().is_empty()) && !meta_csp {
        out.push("Content-Security-Policy");
    }
    if !resp
        .header("x-content-type-options")
        .is_some_and(|v| v.to_ascii_lowercase().contains("nosniff"))
    {
        out.push("X-Content-Type-Options");
    }
    let xfo = resp.header("x-frame-options").is_some_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        v == "deny" || v == "sameorigin"
    });
    let ancestors = csp.iter().any(|c| c.contains("frame-ancestors"));
    if !xfo && !ancestors {
        out.push("X-Frame-Options");
    }
    if https {
        let hsts = resp.header("strict-transport-security").is_some_and(|v| {
            regex!(r"(?i)max-age\s*=\s*\x22?([0-9]+)")
                .captures(v)
                .and_then(|c| c[1].parse::<u64>().ok())
                .is_some_and(|age| age > 0)
        });
        if !hsts {
            out.push("Strict-Transport-Security");
        }
    }
    out
}

async fn check_headers(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    let root = site_root(scan.http.origin());
    let https = root.scheme() == "https";
    let html: Vec<&Page> = by_place(pages)
        .into_iter()
        .filter(|p| p.response.is_html())
        .collect();
    let judged: Vec<&Page> = {
        let ok: Vec<&Page> = html
            .iter()
            .copied()
            .filter(|p| (200..300).contains(&p.response.status))
            .collect();
        if ok.is_empty() {
            html
        } else {
            ok
        }
    };
    if judged.is_empty() {
        return Ok(());
    }
    scan.looked("security-headers", "GET", &root, None);
    let mut missing: Vec<&'static str> = Vec::new();
    let mut worst: Option<(&Page, usize)> = None;
    for p in judged {
        let m = missing_headers(&p.response, &p.response.text(), https);
        for h in &m {
            if !missing.contains(h) {
                missing.push(h);
            }
        }
        if !m.is_empty() && worst.is_none_or(|(_, n)| m.len() > n) {
            worst = Some((p, m.len()));
        }
    }
    let Some((page, _)) = worst else {
        return Ok(());
    };
    let order = [
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Strict-Transport-Security",
    ];
    missing.sort_by_key(|h| order.iter().position(|o| o == h));
    let ev = add(
        safe_evidence(scan, &page.request, &page.response, None),
        json!({ "missing": missing }),
    );
    let mut f = catalogue::finding(
        "security-headers",
        "GET",
        &root,
        None,
        &missing.join(", "),
        ev,
    );
    // One finding per site: which headers are missing is detail, not identity.
    f.identity.truncate(1);
    scan.report(f).await
}

// ---------------------------------------------------------------------------------------
// cookie-flags
// ---------------------------------------------------------------------------------------

/// A `Set-Cookie` header's name and the attributes it lacks; `None` when it deletes the
/// cookie or lacks nothing.
pub fn cookie_problems(set_cookie: &str, https: bool) -> Option<(String, Vec<&'static str>)> {
    let mut parts = set_cookie.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let value = value.trim().trim_matches('"');
    let attrs: Vec<(String, String)> = parts
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase())
        })
        .collect();
    let has = |k: &str| attrs.iter().any(|(a, _)| a == k);
    let deleting = value.is_empty()
        || attrs.iter().any(|(k, v)| {
            (k == "max-age" && v.parse::<i64>().is_ok_and(|n| n <= 0))
                || (k == "expires" && regex!(r"\b(1[0-9]{3}|200[0-9])\b").is_match(v))
        });
    if deleting {
        return None;
    }
    let mut missing = Vec::new();
    let lname = name.to_ascii_lowercase();
    if !has("httponly") && !lname.contains("xsrf") && !lname.contains("csrf") {
        missing.push("HttpOnly");
    }
    if !has("samesite") {
        missing.push("SameSite");
    }
    if https && !has("secure") {
        missing.push("Secure");
    }
    (!missing.is_empty()).then(|| (name.to_string(), missing))
}

/// A page, a `Set-Cookie` header it sent, and what that header lacks.
type CookieSet<'a> = (&'a Page, String, Vec<&'static str>);

async fn check_cookies(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    let https = scan.http.origin().scheme() == "https";
    // Cookie name -> the pages (deterministic order) that set it, with the header and what
    // it lacks.
    let mut seen: BTreeMap<String, Vec<CookieSet<'_>>> = BTreeMap::new();
    for p in pages {
        for sc in p.response.headers_named("set-cookie") {
            let Some((name, _)) = sc.split(';').next().and_then(|c| c.split_once('=')) else {
                continue;
            };
            let name = name.trim().to_string();
            if name.is_empty() {
                continue;
            }
            scan.looked(
                "cookie-flags",
                &p.request.method,
                &p.request.url,
                Some(&name),
            );
            let missing = cookie_problems(sc, https)
                .map(|(_, m)| m)
                .unwrap_or_default();
            seen.entry(name)
                .or_default()
                .push((p, sc.to_string(), missing));
        }
    }
    for (name, mut sets) in seen {
        sets.retain(|(_, _, m)| !m.is_empty());
        sets.sort_by(|a, b| {
            let (ua, ub) = (&a.0.request.url, &b.0.request.url);
            (ua.path().len(), ua.as_str()).cmp(&(ub.path().len(), ub.as_str()))
        });
        let Some((page, header, missing)) = sets.into_iter().next() else {
            continue;
        };
        // The cookie's value is the scanner's own session, but it stays masked all the same.
        let shown = match header.split_once('=') {
            Some((n, rest)) => {
                let (v, attrs) = rest.split_once(';').unwrap_or((rest, ""));
                let sep = if attrs.is_empty() { "" } else { ";" };
                format!("{n}={}{sep}{attrs}", mask(v.trim()))
            }
            None => header.clone(),
        };
        let mut resp = page.response.clone();
        for (k, v) in resp.headers.iter_mut() {
            if k == "set-cookie" && *v == header {
                v.clone_from(&shown);
            }
        }
        let ev = add(
            safe_evidence(scan, &page.request, &resp, None),
            json!({ "set_cookie": shown, "missing": missing }),
        );
        scan.report(catalogue::finding(
            "cookie-flags",
            &page.request.method,
            &page.request.url,
            Some(("cookie", &name)),
            "",
            ev,
        ))
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// version-disclosure
// ---------------------------------------------------------------------------------------

/// Headers that name a product, checked for a version.
pub const VERSION_HEADERS: &[&str] = &[
    "Server",
    "X-Powered-By",
    "X-AspNet-Version",
    "X-AspNetMvc-Version",
    "X-Generator",
];

/// The version in a product header value (`Apache/2.4.49`, `PHP/7.4`, `4.0.30319`), if any.
pub fn header_version(value: &str) -> Option<&str> {
    regex!(r"(?:/\s*v?[0-9]+(?:\.[0-9]+)*\b|\bv?[0-9]+(?:\.[0-9]+)+\b)")
        .find(value)
        .map(|m| m.as_str())
}

async fn check_versions(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    let root = site_root(scan.http.origin());
    if pages.is_empty() {
        return Ok(());
    }
    scan.looked("version-disclosure", "GET", &root, None);
    let pages = by_place(pages);
    for h in VERSION_HEADERS {
        let hit = pages.iter().find_map(|p| {
            p.response
                .headers_named(h)
                .find(|v| header_version(v).is_some())
                .map(|v| (p, v.to_string()))
        });
        let Some((page, value)) = hit else {
            continue;
        };
        let ev = add(
            safe_evidence(scan, &page.request, &page.response, None),
            json!({ "header": h, "value": value }),
        );
        let mut f = catalogue::finding(
            "version-disclosure",
            "GET",
            &root,
            None,
            &format!("{h} header ({value})"),
            ev,
        );
        // Identity is the header, not its value: an upgrade that still shows a version is
        // the same finding.
        f.identity = vec!["GET".into(), (*h).to_string()];
        scan.report(f).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// stack-trace
// ---------------------------------------------------------------------------------------

/// The kind of stack trace or debug page in `text` and the text to point at.
pub fn stack_trace(text: &str) -> Option<(&'static str, String)> {
    let t = decode_entities(text);
    let t = t.as_ref();
    let first = |r: &Regex| {
        r.find(t)
            .map(|m| m.as_str().chars().take(80).collect::<String>())
    };
    if let Some(m) = first(regex!(
        r#"Traceback \(most recent call last\):\s*File "[^"\n]+", line [0-9]+"#
    )) {
        return Some(("Python traceback", m));
    }
    if let Some(m) = first(regex!(
        r"(?:<title>[^<]*// Werkzeug Debugger</title>|The debugger caught an exception in your WSGI application)"
    )) {
        return Some(("Werkzeug/Flask debugger", m));
    }
    if let Some(m) = first(regex!(
        r"(?:You're seeing this error because you have <code>DEBUG = True</code>|<th>Django Version:</th>)"
    )) {
        return Some(("Django debug page", m));
    }
    if let Some(m) = first(regex!(
        r"(?:<b>)?(?:PHP )?(?:Fatal error|Parse error|Catchable fatal error|Warning|Notice|Deprecated)(?:</b>)?:\s+[^\n]{1,400}? in (?:<b>)?(?:/|[A-Za-z]:\\)[^<\s]+(?:</b>)? on line (?:<b>)?[0-9]+"
    )) {
        return Some(("PHP error", m));
    }
    if let Some(m) = first(regex!(r"Server Error in '[^'\n]{0,200}' Application")) {
        return Some(("ASP.NET error page", m));
    }
    if let Some(m) = first(regex!(
        r"\bat [A-Za-z_][\w.`<>\[\], ]*\([^()\n]*\) in [^\n]{1,300}:line [0-9]+"
    )) {
        return Some((".NET stack trace", m));
    }
    let java = regex!(
        r"\bat (?:[A-Za-z_$][\w$]*\.)+[\w$<>]+\((?:[\w$]+\.java:[0-9]+|Unknown Source|Native Method)\)"
    );
    let frames = java.find_iter(t).take(2).count();
    if frames >= 2
        || (frames == 1
            && regex!(r"\b(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)\b").is_match(t))
    {
        return first(java).map(|m| ("Java stack trace", m));
    }
    let ruby = regex!(r"[\w/.\-]+\.rb:[0-9]+:in [`'‘][^'`’\n]+['’]");
    if ruby.find_iter(t).take(2).count() >= 2 || t.contains("Action Controller: Exception caught") {
        return Some((
            "Ruby/Rails backtrace",
            first(ruby).unwrap_or_else(|| "Action Controller: Exception caught".into()),
        ));
    }
    let node = regex!(
        r"\bat (?:[\w.$<>\[\] ]+ \()?(?:/|[A-Za-z]:\\|file:///)[^\s():]+\.(?:m?js|cjs|ts):[0-9]+:[0-9]+\)?"
    );
    let nframes = node.find_iter(t).take(2).count();
    if nframes >= 2 || (nframes == 1 && regex!(r"\b[A-Z]\w*Error\b").is_match(t)) {
        return first(node).map(|m| ("Node.js stack trace", m));
    }
    if let Some(m) = first(regex!(r"goroutine [0-9]+ \[running\]:\s*\n")) {
        return Some(("Go panic", m));
    }
    None
}

// ---------------------------------------------------------------------------------------
// directory-listing
// ---------------------------------------------------------------------------------------

/// The server whose automatic directory index `body` is.
pub fn directory_listing(body: &str) -> Option<&'static str> {
    let title = regex!(r"(?is)<title[^>]*>\s*([^<]{0,300}?)\s*</title>")
        .captures(body)
        .map(|c| c[1].to_string())
        .unwrap_or_default();
    let parent = body.contains("Parent Directory") || body.contains(r#"<a href="../">"#);
    if regex!(r"(?i)^Index of /").is_match(&title) {
        if regex!(r"(?i)<h1[^>]*>\s*Index of /").is_match(body) && parent {
            return Some(if body.contains(r#"<a href="../">../</a>"#) {
                "nginx autoindex"
            } else {
                "Apache-style autoindex"
            });
        }
        if body.contains(r#"<div class="list">"#) || body.contains("Last modified") {
            return Some("autoindex");
        }
    }
    if regex!(r"(?i)^Directory listing for /").is_match(&title)
        && regex!(r"(?i)<h1[^>]*>\s*Directory listing for /").is_match(body)
    {
        return Some("Python http.server listing");
    }
    if body.contains("[To Parent Directory]") && regex!(r"(?i)<pre>").is_match(body) {
        return Some("IIS directory browsing");
    }
    if regex!(r"(?i)^Directory Listing For \[?/").is_match(&title) {
        return Some("Tomcat listing");
    }
    None
}

// ---------------------------------------------------------------------------------------
// mixed-content
// ---------------------------------------------------------------------------------------

/// Plain-http resources an https page loads (scripts, frames, images, media, objects,
/// stylesheets, icons, preloads), as written in the page.
pub fn mixed_content(body: &str) -> Vec<String> {
    let tag = regex!(
        r#"(?is)<(script|iframe|frame|img|embed|video|audio|source|track|object|link|input)\b([^>]*)>"#
    );
    let attr = regex!(r#"(?is)\b(src|href|data|rel|type)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#);
    let mut out = Vec::new();
    for t in tag.captures_iter(body) {
        let name = t[1].to_ascii_lowercase();
        let mut url = None;
        let mut rel = String::new();
        let mut ty = String::new();
        for a in attr.captures_iter(&t[2]) {
            let v = a
                .get(2)
                .or_else(|| a.get(3))
                .or_else(|| a.get(4))
                .map(|m| m.as_str().trim().to_string())
                .unwrap_or_default();
            match a[1].to_ascii_lowercase().as_str() {
                "rel" => rel = v.to_ascii_lowercase(),
                "type" => ty = v.to_ascii_lowercase(),
                "href" if name == "link" => url = Some(v),
                "src" if name != "link" => url = Some(v),
                "data" if name == "object" => url = Some(v),
                _ => {}
            }
        }
        if name == "link"
            && !rel.split_whitespace().any(|r| {
                matches!(
                    r,
                    "stylesheet"
                        | "icon"
                        | "preload"
                        | "modulepreload"
                        | "prefetch"
                        | "manifest"
                        | "apple-touch-icon"
                )
            })
        {
            continue;
        }
        if name == "input" && ty != "image" {
            continue;
        }
        if let Some(u) = url.filter(|u| u.to_ascii_lowercase().starts_with("http://")) {
            if !out.contains(&u) {
                out.push(u);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// cors
// ---------------------------------------------------------------------------------------

/// Whether a crawled page is worth a CORS probe: a GET answered 2xx, 401 or 403 with JSON,
/// or on an API-like path (`/api/`, `/rest/`, `/graphql`, `/v1/`, `.json`).
pub fn cors_candidate(p: &Page) -> bool {
    // Refused answers count too: with the victim's cookies they would be data.
    let status = p.response.status;
    if !((200..300).contains(&status) || status == 401 || status == 403)
        || p.request.method != "GET"
    {
        return false;
    }
    let ct = content_type(&p.response);
    let path = p.request.url.path().to_ascii_lowercase();
    ct.contains("json")
        || regex!(r"(?:^|/)(?:api|rest|graphql|v[0-9]+)(?:/|$)|\.json$").is_match(&path)
}

/// Whether the answer to a request sent with `Origin: origin` lets that origin read it with
/// the user's cookies.
pub fn cors_allows(resp: &Response, origin: &str) -> bool {
    let acao = resp.header("access-control-allow-origin").map(str::trim);
    let creds = resp
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    creds && acao.is_some_and(|a| a.eq_ignore_ascii_case(origin))
}

async fn check_cors(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    let mut seen = HashSet::new();
    let mut targets: Vec<&Page> = pages
        .iter()
        .filter(|p| cors_candidate(p) && seen.insert(p.request.url.path().to_string()))
        .collect();
    // JSON answers first: they are the data a foreign page would read.
    targets.sort_by_key(|p| !content_type(&p.response).contains("json"));
    // Each target gets the foreign origin; the first few also `null` (sandboxed frames,
    // file: pages) when the foreign origin was refused.
    let main: Vec<&Page> = targets.into_iter().take(CORS_BUDGET * 3 / 4).collect();
    let null_budget = CORS_BUDGET - main.len();
    let with_origin = |p: &Page, origin: &str| {
        let mut req = p.request.clone();
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("origin"));
        req.headers.push(("Origin".into(), origin.into()));
        req
    };
    let reqs: Vec<Request> = main.iter().map(|p| with_origin(p, CORS_ORIGIN)).collect();
    let answers: Vec<(Request, Result<Response, HttpError>)> =
        stream::iter(reqs.into_iter().map(|req| send_owned(scan.http, req)))
            .buffered(4)
            .collect()
            .await;
    let mut refused = Vec::new();
    for (p, (req, r)) in main.iter().zip(answers) {
        scan.looked("cors", "GET", &p.request.url, None);
        match r {
            Ok(resp) if cors_allows(&resp, CORS_ORIGIN) => {
                report_cors(scan, &req, &resp, CORS_ORIGIN).await?;
            }
            Ok(_) => refused.push(*p),
            Err(HttpError::Cancelled) => return Err(EngineError::Cancelled),
            Err(e) => tracing::debug!(url = %p.request.url, error = %e, "cors probe failed"),
        }
    }
    for p in refused.into_iter().take(null_budget) {
        let (req, r) = send_owned(scan.http, with_origin(p, "null")).await;
        match r {
            Ok(resp) if cors_allows(&resp, "null") => {
                report_cors(scan, &req, &resp, "null").await?
            }
            Ok(_) => {}
            Err(HttpError::Cancelled) => return Err(EngineError::Cancelled),
            Err(e) => tracing::debug!(url = %p.request.url, error = %e, "cors probe failed"),
        }
    }
    Ok(())
}

async fn send_owned(http: &Http, req: Request) -> (Request, Result<Response, HttpError>) {
    let r = http.send(&req).await;
    (req, r)
}

async fn report_cors(
    scan: &Scan<'_>,
    req: &Request,
    resp: &Response,
    origin: &str,
) -> Result<(), EngineError> {
    let ev = add(
        safe_evidence(scan, req, resp, None),
        json!({
            "origin_sent": origin,
            "access_control_allow_origin": resp.header("access-control-allow-origin"),
            "access_control_allow_credentials": resp.header("access-control-allow-credentials"),
        }),
    );
    scan.report(catalogue::finding("cors", "GET", &req.url, None, "", ev))
        .await
}

// ---------------------------------------------------------------------------------------
// private-ip
// ---------------------------------------------------------------------------------------

/// RFC 1918 addresses in `text`, in order, without duplicates; `own` (the scanned host) is
/// not reported. Parts of longer dotted numbers, versions (`Apache/10.1.2.3`,
/// `version 10.0.0.1`, `v10.0.0.1`) and octets above 255 are not addresses.
pub fn private_ips(text: &str, own: Option<&str>) -> Vec<String> {
    let cand = regex!(r"\b(?:10|172|192)\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b");
    let bytes = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    for m in cand.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let before = s.checked_sub(1).map(|i| bytes[i]);
        let before2 = s.checked_sub(2).map(|i| bytes[i]);
        let after = bytes.get(e).copied();
        let after2 = bytes.get(e + 1).copied();
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            continue;
        }
        if before == Some(b'/') && before2 != Some(b'/') {
            continue; // product/version
        }
        if after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            || (after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let lead = text[..s].chars().rev().take(16).collect::<String>();
        let lead: String = lead.chars().rev().collect::<String>().to_ascii_lowercase();
        if regex!(r"(?:version|ver\.?|build|release|rev\.?)\s*[:=]?\s*$").is_match(&lead) {
            continue;
        }
        let Ok(ip) = m.as_str().parse::<Ipv4Addr>() else {
            continue; // an octet above 255
        };
        let o = ip.octets();
        let private = o[0] == 10
            || (o[0] == 172 && (16..=31).contains(&o[1]))
            || (o[0] == 192 && o[1] == 168);
        let s = ip.to_string();
        if private && own != Some(s.as_str()) && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// secret-leak
// ---------------------------------------------------------------------------------------

/// A credential found in a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    /// What it is (`AWS access key`, `private key`, ...).
    pub kind: &'static str,
    /// The secret as found (never put into evidence unmasked).
    pub value: String,
    /// Byte range of the value in the text.
    pub span: (usize, usize),
}

fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "example",
        "xxxx",
        "****",
        "your",
        "change",
        "placeholder",
        "dummy",
        "sample",
        "redacted",
        "<",
        "${",
        "{{",
        "%s",
        "null",
        "undefined",
        "password",
        "secret",
        "token",
        "....",
    ]
    .iter()
    .any(|p| l.contains(p))
        || v.chars().all(|c| v.starts_with(c))
}

fn bounded(text: &str, s: usize, e: usize, inner: impl Fn(char) -> bool) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    !before.is_some_and(&inner) && !after.is_some_and(&inner)
}

/// Credentials in `text`. `script` adds generic `password = '...'` style assignments (only
/// trusted in JavaScript, where a literal is a value, not prose).
pub fn secrets(text: &str, script: bool) -> Vec<Secret> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str, s: usize, e: usize| {
        if !out.iter().any(|x: &Secret| x.span.0 < e && s < x.span.1) {
            out.push(Secret {
                kind,
                value: text[s..e].to_string(),
                span: (s, e),
            });
        }
    };
    let alnum = |c: char| c.is_ascii_alphanumeric();
    for m in regex!(r"(?:AKIA|ASIA)[A-Z0-9]{16}").find_iter(text) {
        if bounded(text, m.start(), m.end(), alnum) && !m.as_str().ends_with("EXAMPLE") {
            push("AWS access key", m.start(), m.end());
            // The secret access key usually sits next to the id.
            let from = m.start().saturating_sub(300);
            let to = (m.end() + 400).min(text.len());
            let (from, to) = (text.floor_char_boundary(from), text.floor_char_boundary(to));
            // 40 characters; up to 44 when the line names it a secret.
            for k in regex!(r"[A-Za-z0-9/+]{40,44}").find_iter(&text[from..to]) {
                let (s, e) = (from + k.start(), from + k.end());
                let v = k.as_str();
                let b64 = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+' || c == '=';
                let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
                let named = text[line_start..s].to_ascii_lowercase().contains("secret");
                if bounded(text, s, e, b64)
                    && (v.len() == 40 || named)
                    && v.chars().any(|c| c.is_ascii_uppercase())
                    && v.chars().any(|c| c.is_ascii_lowercase())
                    && v.chars().any(|c| c.is_ascii_digit())
                {
                    push("AWS access key", s, e);
                }
            }
        }
    }
    let key =
        regex!(r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----");
    for m in key.find_iter(text) {
        let rest = &text[m.end()..];
        let end = rest.find("-----END").unwrap_or(rest.len().min(8192));
        let body = clip(rest, end);
        if regex!(r"[A-Za-z0-9+/=]{40,}").is_match(body) {
            let lead = body.len() - body.trim_start().len();
            let s = m.end() + lead;
            let e = m.end() + body.trim_end().len();
            if e > s {
                push("private key", s, e);
            }
        }
    }
    for m in regex!(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,100}")
        .find_iter(text)
    {
        if bounded(text, m.start(), m.end(), |c| {
            c.is_ascii_alphanumeric() || c == '_'
        }) {
            push("GitHub token", m.start(), m.end());
        }
    }
    for m in regex!(r"xox[abpr]-(?:[0-9]+-){1,3}[A-Za-z0-9]{8,}").find_iter(text) {
        if bounded(text, m.start(), m.end(), alnum) {
            push("Slack token", m.start(), m.end());
        }
    }
    for m in regex!(r"AIza[0-9A-Za-z_\-]{35}").find_iter(text) {
        if bounded(text, m.start(), m.end(), |c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        }) {
            push("Google API key", m.start(), m.end());
        }
    }
    for m in regex!(r"AKID[A-Za-z0-9]{32}").find_iter(text) {
        if bounded(text, m.start(), m.end(), alnum) {
            push("Tencent Cloud SecretId", m.start(), m.end());
        }
    }
    for m in regex!(r"LTAI[A-Za-z0-9]{12,20}").find_iter(text) {
        if bounded(text, m.start(), m.end(), alnum)
            && m.as_str().chars().any(|c| c.is_ascii_digit())
        {
            push("Alibaba Cloud AccessKey", m.start(), m.end());
        }
    }
    if script {
        let generic = regex!(
            r#"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key)["']?\s*[:=]\s*["']([^"'\s\\]{8,200})["']"#
        );
        for c in generic.captures_iter(text) {
            let Some(v) = c.get(1) else { continue };
            let s = v.as_str();
            let letters = s.chars().any(|c| c.is_ascii_alphabetic());
            let others = s.chars().any(|c| !c.is_ascii_alphabetic());
            if letters && others && !placeholder(s) {
                push("hard-coded credential", v.start(), v.end());
            }
        }
    }
    out.sort_by_key(|s| s.span);
    out
}

/// `text` with every secret the matchers know masked (generic assignments included, and
/// `password=...`-style values of configuration lines).
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let mut spans: Vec<(usize, usize)> = secrets(text, true).into_iter().map(|s| s.span).collect();
    let assign = regex!(
        r#"(?im)(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|app[_-]?key|access[_-]?key|credentials?)[A-Za-z0-9_\-]*["']?\s*(?:=>|[:=])\s*["']?([^\s"';&<]{4,})"#
    );
    for c in assign.captures_iter(text) {
        if let Some(v) = c.get(1) {
            spans.push((v.start(), v.end()));
        }
    }
    // Passwords in URLs (`scheme://user:pass@host`).
    for c in regex!(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:([^\s@/]{3,})@").captures_iter(text) {
        if let Some(v) = c.get(1) {
            spans.push((v.start(), v.end()));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&mask(&text[s..e]));
        at = e;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Inline `<script>` blocks of an HTML page, joined.
pub(crate) fn inline_scripts(body: &str) -> String {
    regex!(r"(?is)<script\b[^>]*>(.*?)</script>")
        .captures_iter(body)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// canary
// ---------------------------------------------------------------------------------------

fn plain(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
}

/// Text of a page that is unlikely to appear elsewhere: its `<title>` when it has at least
/// 8 characters and only letters, digits and spaces, else the longest run of letters,
/// digits and spaces (at least 16 characters, two words) in its text. Letters, digits and
/// spaces only, so that HTML escaping cannot change it.
pub fn canary_text(resp: &Response) -> Option<String> {
    let body = resp.text();
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(c) = regex!(r"(?is)<title[^>]*>([^<]{0,300})</title>").captures(&body) {
        let t = collapse(&c[1]);
        if t.len() >= 8 && plain(&t) && t.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 6
        {
            return Some(t);
        }
    }
    let text =
        regex!(r"(?is)<script\b.*?</script>|<style\b.*?</style>|<[^>]*>").replace_all(&body, "\n");
    let mut best: Option<String> = None;
    for piece in regex!(r"[A-Za-z0-9][A-Za-z0-9 ]*[A-Za-z0-9]").find_iter(&text) {
        let t = collapse(piece.as_str());
        if t.len() >= 16
            && t.contains(' ')
            && t.chars().any(|c| c.is_ascii_alphabetic())
            && best.as_ref().is_none_or(|b| t.len() > b.len())
        {
            best = Some(t.chars().take(64).collect::<String>().trim().to_string());
        }
    }
    best
}

// ---------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------

/// Run the passive checks on every fetched page (and the CORS probes).
pub async fn check_pages(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    if scan.enabled("security-headers") {
        check_headers(scan, pages).await?;
    }
    if scan.enabled("cookie-flags") {
        check_cookies(scan, pages).await?;
    }
    if scan.enabled("version-disclosure") {
        check_versions(scan, pages).await?;
    }
    let own = scan
        .http
        .origin()
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string());
    let mut done: HashSet<(&'static str, String)> = HashSet::new();
    for p in pages {
        let (req, resp) = (&p.request, &p.response);
        let url = &req.url;
        let key = page_key(p);
        let text_body = is_text(resp);
        let body = if text_body {
            resp.text()
        } else {
            String::new()
        };
        let html = resp.is_html();
        let script = is_script(resp, url);
        let mut first = |kind: &'static str| done.insert((kind, key.clone()));

        if scan.enabled("stack-trace")
            && text_body
            && !script
            && !is_css(resp, url)
            && first("stack-trace")
        {
            scan.looked("stack-trace", &req.method, url, None);
            let found = stack_trace(&body).or_else(|| {
                content_type(resp)
                    .contains("json")
                    .then(|| json_strings(&resp.body))
                    .flatten()
                    .and_then(|s| stack_trace(&s))
            });
            if let Some((what, mark)) = found {
                let shown = masked_response(resp);
                let at = shown.text();
                let mark = decode_mark(&at, &mark);
                let ev = add(
                    scan.evidence(req, &shown, mark.as_deref()),
                    json!({ "trace": what }),
                );
                scan.report(catalogue::finding(
                    "stack-trace",
                    &req.method,
                    url,
                    None,
                    "",
                    ev,
                ))
                .await?;
            }
        }
        if scan.enabled("directory-listing")
            && html
            && resp.status == 200
            && first("directory-listing")
        {
            scan.looked("directory-listing", &req.method, url, None);
            if let Some(what) = directory_listing(&body) {
                let ev = add(
                    safe_evidence(scan, req, resp, Some("Index of")),
                    json!({ "listing": what }),
                );
                scan.report(catalogue::finding(
                    "directory-listing",
                    &req.method,
                    url,
                    None,
                    "",
                    ev,
                ))
                .await?;
            }
        }
        if scan.enabled("mixed-content")
            && url.scheme() == "https"
            && html
            && first("mixed-content")
        {
            scan.looked("mixed-content", &req.method, url, None);
            let insecure = if p
                .subresources
                .iter()
                .any(|s| s.trim().to_ascii_lowercase().starts_with("http://"))
            {
                mixed_content(&body)
            } else {
                vec![]
            };
            if let Some(m) = insecure.first() {
                let ev = add(
                    safe_evidence(scan, req, resp, Some(m)),
                    json!({ "insecure_resources": insecure }),
                );
                scan.report(catalogue::finding(
                    "mixed-content",
                    &req.method,
                    url,
                    None,
                    "",
                    ev,
                ))
                .await?;
            }
        }
        if scan.enabled("private-ip") && first("private-ip") {
            scan.looked("private-ip", &req.method, url, None);
            let mut ips = Vec::new();
            for (k, v) in &resp.headers {
                for ip in private_ips(v, own.as_deref()) {
                    if !ips.iter().any(|(i, _): &(String, String)| *i == ip) {
                        ips.push((ip, format!("header {k}")));
                    }
                }
            }
            if text_body {
                for ip in private_ips(&body, own.as_deref()) {
                    if !ips.iter().any(|(i, _)| *i == ip) {
                        ips.push((ip, "body".into()));
                    }
                }
            }
            if let Some((ip, _)) = ips.first() {
                let listed: Vec<Value> = ips
                    .iter()
                    .map(|(ip, w)| json!({ "address": ip, "in": w }))
                    .collect();
                let ev = add(
                    safe_evidence(scan, req, resp, Some(ip)),
                    json!({ "addresses": listed }),
                );
                scan.report(catalogue::finding(
                    "private-ip",
                    &req.method,
                    url,
                    None,
                    "",
                    ev,
                ))
                .await?;
            }
        }
        if scan.enabled("secret-leak") && text_body && first("secret-leak") {
            scan.looked("secret-leak", &req.method, url, None);
            let mut found = secrets(&body, script);
            if html && !script {
                let code = inline_scripts(&body);
                for s in secrets(&code, true) {
                    if s.kind == "hard-coded credential"
                        && !found.iter().any(|f| f.value == s.value)
                    {
                        found.push(s);
                    }
                }
            }
            let mut kinds: Vec<&'static str> = Vec::new();
            for s in &found {
                if !kinds.contains(&s.kind) {
                    kinds.push(s.kind);
                }
            }
            for kind in kinds {
                let of: Vec<&Secret> = found.iter().filter(|s| s.kind == kind).collect();
                let masked: Vec<String> = of.iter().map(|s| mask(&s.value)).collect();
                let ev = add(
                    safe_evidence(scan, req, resp, of.first().map(|s| s.value.as_str())),
                    json!({ "secret_type": kind, "masked": masked }),
                );
                scan.report(catalogue::finding(
                    "secret-leak",
                    &req.method,
                    url,
                    None,
                    &format!("{kind} in {}", url.path()),
                    ev,
                ))
                .await?;
            }
        }
        if scan.enabled("form-over-http") && !p.password_forms.is_empty() && first("form-over-http")
        {
            scan.looked("form-over-http", &req.method, url, None);
            let clear: Vec<&Url> = p
                .password_forms
                .iter()
                .filter(|a| a.scheme() == "http")
                .collect();
            if let Some(a) = clear.first() {
                let mark = if body.contains(a.as_str()) {
                    a.as_str()
                } else {
                    "password"
                };
                let ev = add(
                    safe_evidence(scan, req, resp, Some(mark)),
                    json!({
                        "page_scheme": url.scheme(),
                        "form_actions": clear.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
                    }),
                );
                scan.report(catalogue::finding(
                    "form-over-http",
                    &req.method,
                    url,
                    None,
                    "",
                    ev,
                ))
                .await?;
            }
        }
    }
    if scan.enabled("cors") {
        check_cors(scan, pages).await?;
    }
    Ok(())
}

/// The string values of a JSON body, joined by newlines (a trace inside a JSON error has its
/// newlines and quotes escaped); `None` if the body is not JSON.
pub(crate) fn json_strings(body: &[u8]) -> Option<String> {
    fn walk(v: &Value, out: &mut Vec<String>, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        match v {
            Value::String(s) => {
                *budget -= 1;
                out.push(s.clone());
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out, budget)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out, budget)),
            _ => {}
        }
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let mut out = Vec::new();
    walk(&v, &mut out, &mut 10_000);
    Some(out.join("\n"))
}

/// A mark found in decoded text, as it appears in the raw (possibly escaped) text: its first
/// word, which escaping leaves alone.
pub(crate) fn decode_mark(raw: &str, mark: &str) -> Option<String> {
    if raw.contains(mark) {
        return Some(mark.to_string());
    }
    let word: String = mark
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '(' || *c == ')')
        .collect();
    let word = word.trim();
    (!word.is_empty() && raw.contains(word)).then(|| word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn security_headers() {
        let bare = resp(&[("Content-Type", "text/html")], "<html></html>");
        assert_eq!(
            missing_headers(&bare, "", false),
            vec![
                "Content-Security-Policy",
                "X-Content-Type-Options",
                "X-Frame-Options"
            ]
        );
        assert_eq!(missing_headers(&bare, "", true).len(), 4);
        let good = resp(
            &[
                (
                    "Content-Security-Policy",
                    "default-src 'self'; frame-ancestors 'none'",
                ),
                ("X-Content-Type-Options", "nosniff"),
                ("Strict-Transport-Security", "max-age=31536000"),
            ],
            "",
        );
        assert!(missing_headers(&good, "", true).is_empty());
        // X-Frame-Options stands in for frame-ancestors; a meta CSP counts; HSTS max-age=0
        // does not.
        let other = resp(
            &[
                ("X-Frame-Options", "SAMEORIGIN"),
                ("X-Content-Type-Options", "nosniff"),
                ("Strict-Transport-Security", "max-age=0"),
            ],
            "",
        );
        let meta = r#"<meta http-equiv="Content-Security-Policy" content="default-src 'self'">"#;
        assert_eq!(
            missing_headers(&other, meta, true),
            vec!["Strict-Transport-Security"]
        );
        assert_eq!(missing_headers(&other, meta, false), Vec::<&str>::new());
    }

    #[test]
    fn cookies() {
        assert_eq!(
            cookie_problems("session=abc; Path=/", false),
            Some(("session".into(), vec!["HttpOnly", "SameSite"]))
        );
        assert_eq!(
            cookie_problems("session=abc; Path=/", true),
            Some(("session".into(), vec!["HttpOnly", "SameSite", "Secure"]))
        );
        // The hardened twin, over http and https.
        let good = "session=abc; Path=/; Secure; HttpOnly; SameSite=Lax";
        assert_eq!(cookie_problems(good, false), None);
        assert_eq!(cookie_problems(good, true), None);
        // Over http a missing Secure is not judged.
        assert_eq!(
            cookie_problems("id=1; HttpOnly; SameSite=Strict", false),
            None
        );
        // Deletions and CSRF cookies readable by script.
        assert_eq!(cookie_problems("session=; Max-Age=0; Path=/", true), None);
        assert_eq!(
            cookie_problems("s=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", true),
            None
        );
        assert_eq!(
            cookie_problems("XSRF-TOKEN=abc; SameSite=Lax; Secure", true),
            None
        );
        assert_eq!(cookie_problems("garbage", true), None);
    }

    #[test]
    fn versions() {
        assert_eq!(
            header_version("Apache/2.4.49 (Unix) PHP/7.4.3"),
            Some("/2.4.49")
        );
        assert_eq!(header_version("PHP/7.4.3"), Some("/7.4.3"));
        assert_eq!(header_version("nginx/1.18.0 (Ubuntu)"), Some("/1.18.0"));
        assert_eq!(header_version("4.0.30319"), Some("4.0.30319"));
        assert!(header_version("Microsoft-IIS/10.0").is_some());
        for safe in [
            "webserver",
            "Apache",
            "nginx",
            "cloudflare",
            "Express",
            "ASP.NET",
        ] {
            assert_eq!(header_version(safe), None, "{safe}");
        }
    }

    #[test]
    fn stack_traces() {
        let py = "<pre>Traceback (most recent call last):\n  File &quot;/srv/app.py&quot;, line 401, in dispatch\n    x()\nZeroDivisionError: division by zero</pre>";
        assert_eq!(stack_trace(py).map(|t| t.0), Some("Python traceback"));
        let java = "java.lang.NullPointerException\n\tat com.shop.web.Cart.add(Cart.java:42)\n\tat com.shop.web.CartServlet.doPost(CartServlet.java:17)";
        assert_eq!(stack_trace(java).map(|t| t.0), Some("Java stack trace"));
        let php = "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function foo() in <b>/var/www/html/index.php</b> on line <b>12</b><br />";
        assert_eq!(stack_trace(php).map(|t| t.0), Some("PHP error"));
        let php_w = "Warning: include(x.php): failed to open stream in /var/www/a.php on line 3";
        assert_eq!(stack_trace(php_w).map(|t| t.0), Some("PHP error"));
        let net = "<h1>Server Error in '/' Application.</h1>";
        assert_eq!(stack_trace(net).map(|t| t.0), Some("ASP.NET error page"));
        let net2 = "   at Shop.Controllers.Home.Index(Int32 id) in C:\\src\\Home.cs:line 27";
        assert_eq!(stack_trace(net2).map(|t| t.0), Some(".NET stack trace"));
        let rb = "app/models/user.rb:12:in `find'\napp/controllers/users_controller.rb:5:in `show'";
        assert_eq!(stack_trace(rb).map(|t| t.0), Some("Ruby/Rails backtrace"));
        let node = "TypeError: x is undefined\n    at Object.<anonymous> (/srv/app/index.js:1:2)\n";
        assert_eq!(stack_trace(node).map(|t| t.0), Some("Node.js stack trace"));
        let in_json = serde_json::json!({
            "error": "boom",
            "trace": "java.lang.IllegalStateException: x\n\tat com.shop.A.b(A.java:1)\n\tat com.shop.C.d(C.java:2)"
        })
        .to_string();
        assert_eq!(stack_trace(&in_json), None);
        let joined = json_strings(in_json.as_bytes()).unwrap();
        assert_eq!(stack_trace(&joined).map(|t| t.0), Some("Java stack trace"));
        assert_eq!(json_strings(b"<html>"), None);
        let dj = "<p>You&#x27;re seeing this error because you have <code>DEBUG = True</code> in your settings</p>";
        assert_eq!(stack_trace(dj).map(|t| t.0), Some("Django debug page"));
        let wz = "<title>ZeroDivisionError // Werkzeug Debugger</title>";
        assert_eq!(
            stack_trace(wz).map(|t| t.0),
            Some("Werkzeug/Flask debugger")
        );
        // Safe twins: prose about errors, a generic 500 page, one lone Java-looking frame.
        for safe in [
            "<p>A Python error starts with Traceback (most recent call last): and lists frames.</p>",
            "<h1>Something went wrong</h1><p>Incident 3fa2c1d0.</p>",
            "<p>Warning: stock is low on line 3 of the catalogue.</p>",
            "<p>Meet us at com.example.Cafe(Main.java:1)</p>",
            "<p>We are at the Server Error conference.</p>",
        ] {
            assert_eq!(stack_trace(safe), None, "{safe}");
        }
    }

    #[test]
    fn listings() {
        let apache = "<html><head><title>Index of /files/</title></head><body><h1>Index of /files/</h1>\n<ul><li><a href=\"/\">Parent Directory</a></li></ul>";
        assert_eq!(directory_listing(apache), Some("Apache-style autoindex"));
        let nginx = "<html><head><title>Index of /x/</title></head><body><h1>Index of /x/</h1><hr><pre><a href=\"../\">../</a>\n";
        assert_eq!(directory_listing(nginx), Some("nginx autoindex"));
        let py = "<title>Directory listing for /</title><h1>Directory listing for /</h1>";
        assert_eq!(directory_listing(py), Some("Python http.server listing"));
        let iis = "<title>host - /</title><pre><A HREF=\"/\">[To Parent Directory]</A>";
        assert_eq!(directory_listing(iis), Some("IIS directory browsing"));
        for safe in [
            "<title>Docs</title><p>See the Index of /files/ for downloads.</p>",
            "<title>Index of products</title><h1>Index of products</h1>",
            "<title>Forbidden</title><p>Directory listing is disabled.</p>",
        ] {
            assert_eq!(directory_listing(safe), None, "{safe}");
        }
    }

    #[test]
    fn mixed() {
        let body = r#"<script src="http://cdn.example/a.js"></script><img src='http://cdn.example/l.png'>
            <link rel="canonical" href="http://example.com/"><a href="http://example.com/">x</a>
            <link rel="stylesheet" href="http://cdn.example/s.css"><script src="https://ok/a.js"></script>
            <img src="//cdn.example/rel.png">"#;
        assert_eq!(
            mixed_content(body),
            vec![
                "http://cdn.example/a.js",
                "http://cdn.example/l.png",
                "http://cdn.example/s.css"
            ]
        );
        assert!(mixed_content(r#"<script src="/static/partner-widget.js"></script>"#).is_empty());
    }

    #[test]
    fn cors() {
        let o = CORS_ORIGIN;
        let bad = resp(
            &[
                ("Access-Control-Allow-Origin", o),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            "",
        );
        assert!(cors_allows(&bad, o));
        let null = resp(
            &[
                ("Access-Control-Allow-Origin", "null"),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            "",
        );
        assert!(cors_allows(&null, "null"));
        // Safe twins: a star (browsers refuse it with credentials), no credentials, a fixed
        // trusted origin.
        let star = resp(&[("Access-Control-Allow-Origin", "*")], "");
        let nocred = resp(&[("Access-Control-Allow-Origin", o)], "");
        let fixed = resp(
            &[
                ("Access-Control-Allow-Origin", "https://trusted.example"),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            "",
        );
        for safe in [&star, &nocred, &fixed] {
            assert!(!cors_allows(safe, o));
        }
    }

    #[test]
    fn private_addresses() {
        assert_eq!(
            private_ips(
                "primary 10.0.3.17:5432, cache (192.168.1.20:6379), 172.16.0.1",
                None
            ),
            vec!["10.0.3.17", "192.168.1.20", "172.16.0.1"]
        );
        assert_eq!(
            private_ips("see http://10.1.2.3/admin", None),
            vec!["10.1.2.3"]
        );
        for safe in [
            "jquery 1.10.2.3 loaded",
            "Apache/10.1.2.3",
            "version 10.0.0.1",
            "v10.0.0.1",
            "build 10.2.3.4",
            "10.0.0.256 is not an address",
            "172.32.0.1 and 192.169.0.1 are public",
            "8.8.8.8 and 127.0.0.1",
            "1.10.2.3.4 oid",
            "x10.0.0.1",
        ] {
            assert!(private_ips(safe, None).is_empty(), "{safe}");
        }
        assert!(private_ips("I am 10.0.0.5", Some("10.0.0.5")).is_empty());
    }

    fn aws_id() -> String {
        ["AKIA", "Y3VIGILFIXTURE7Q"].concat()
    }

    #[test]
    fn secret_matchers() {
        let secret = ["q9Xw", "Lr2VigilFixtureNotARealSecret0kT4mPz8"].concat();
        let page = format!(
            "<pre>aws_access_key_id = {}\naws_secret_access_key = {secret}\n\n-----BEGIN {}-----\nMIIEowIBAAKCAQEAvigilfixturevigilfixturevigilfixture\nZmFrZQ==\n-----END RSA PRIVATE KEY-----</pre>",
            aws_id(),
            "RSA PRIVATE KEY"
        );
        let found = secrets(&page, false);
        let kinds: Vec<&str> = found.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec!["AWS access key", "AWS access key", "private key"],
            "{found:?}"
        );
        assert_eq!(found[1].value, secret);
        let gh = ["ghp_", &"a1B2".repeat(9)].concat();
        assert_eq!(
            secrets(&format!("token: {gh}"), false)[0].kind,
            "GitHub token"
        );
        let slack = ["xoxb-", "123456789012-1234567890123-abcdefABCDEF1234"].concat();
        assert_eq!(secrets(&slack, false)[0].kind, "Slack token");
        let g = ["AIza", "SyA1234567890abcdefghijklmnopqrstuv"].concat();
        assert_eq!(
            secrets(&format!("key={g}&"), false)[0].kind,
            "Google API key"
        );
        let t = ["AKID", &"aB3d".repeat(8)].concat();
        assert_eq!(secrets(&t, false)[0].kind, "Tencent Cloud SecretId");
        let ali = ["LTAI", "5tAbCdEf12345678"].concat();
        assert_eq!(secrets(&ali, false)[0].kind, "Alibaba Cloud AccessKey");
        let js = r#"var config = { apiKey: "k3y-9f8e7d6c5b", password: 'hunter2hunter2!' };"#;
        assert_eq!(secrets(js, true).len(), 2);
        assert!(secrets(js, false).is_empty());
        // Safe twins.
        for safe in [
            "AWS key ids start with AKIA followed by 16 characters.",
            "AKIAIOSFODNN7EXAMPLE is the documentation key",
            "Paste it after -----BEGIN RSA PRIVATE KEY----- here.",
            "ghp_short",
            "XAKIAY3VIGILFIXTURE7Q1",
        ] {
            assert!(secrets(safe, false).is_empty(), "{safe}");
        }
        for safe in [
            r#"input.type = 'password'; var password = "";"#,
            r#"{password: 'your-password-here', apiKey: "<API_KEY>", secret: "${SECRET}"}"#,
            r#"var passwordField = "passwordInput";"#,
        ] {
            assert!(secrets(safe, true).is_empty(), "{safe}");
        }
    }

    #[test]
    fn masking() {
        assert_eq!(mask("AKIAY3VIGILFIXTURE7Q"), "AKIA**************7Q");
        assert_eq!(mask("short"), "*****");
        let id = aws_id();
        let text = format!(
            "id={id} DB_PASSWORD=Sup3rS3cretDbPass! url=https://bob:hunter22@git.example/x"
        );
        let m = mask_secrets(&text);
        assert!(
            !m.contains(&id) && m.contains("AKIA") && m.contains("7Q"),
            "{m}"
        );
        assert!(
            !m.contains("Sup3rS3cretDbPass!") && m.contains("Sup3"),
            "{m}"
        );
        assert!(!m.contains("hunter22"), "{m}");
        assert_eq!(mask_secrets("nothing here"), "nothing here");
        let r = masked_response(&resp(&[("Content-Type", "text/html")], &text));
        assert!(!r.text().contains(&id));
    }

    #[test]
    fn canaries() {
        let page = resp(
            &[("Content-Type", "text/html")],
            "<html><head><title>Vigil test shop</title></head><body>x</body></html>",
        );
        assert_eq!(canary_text(&page).as_deref(), Some("Vigil test shop"));
        let short = resp(
            &[("Content-Type", "text/html")],
            "<title>Log in</title><p>Welcome back to the members area of Acme</p><script>var a = 'long string of text here';</script>",
        );
        assert_eq!(
            canary_text(&short).as_deref(),
            Some("Welcome back to the members area of Acme")
        );
        let amp = resp(&[], "<title>Q&amp;A</title><p>ok</p>");
        assert_eq!(canary_text(&amp), None);
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &quot;b&quot; &#x27;c&#39; &lt;&amp;&gt; &bogus;"),
            "a \"b\" 'c' <&> &bogus;"
        );
    }
}
