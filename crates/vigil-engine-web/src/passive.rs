//! Passive checks: everything judged on the responses the crawler already fetched, plus one
//! bounded CORS probe per API-like page. [`check_pages`] runs them all: the header checks of
//! [`crate::headers`] (`security-headers`, `cookie-flags`, `version-disclosure`), the CORS
//! probe of [`crate::cors`], and this module's classes `stack-trace`, `directory-listing`,
//! `mixed-content`, `private-ip`, `secret-leak` (matched and masked through [`crate::leak`],
//! that is `vigil-detect`) and `form-over-http`; and the canary text the SSRF check looks for.
//!
//! Every matcher is a pure function over a response (unit-tested with a vulnerable sample and
//! a safe twin); [`check_pages`] only walks the pages, records where each check looked
//! (`Scan::looked`) and reports. Rules worth knowing:
//!
//! * `form-over-http` reports a password that is *submitted* in clear text: the form's
//!   (resolved) action is `http://`, whether the page itself is http or https. A form on an
//!   http page that posts to `https://` is the safe twin (the password travels encrypted;
//!   the page itself could still be altered in transit, which HSTS and `security-headers`
//!   cover).
//! * `mixed-content` only on https pages, and only for elements that load something
//!   (scripts, frames, images, media, stylesheets/icons; not canonical or alternate links).

use crate::crawl::Page;
use crate::http::Response;
use crate::leak::{masked_response, safe_evidence, secrets, Secret};
use crate::{catalogue, Scan};
use regex::Regex;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::OnceLock;
use url::Url;
use vigil_detect::mask;
use vigil_engine::EngineError;

pub(crate) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are constant and valid.
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("{e}")))
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
pub(crate) fn content_type(resp: &Response) -> String {
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

/// `ev` with the fields of `extra` added.
pub(crate) fn add(mut ev: Value, extra: Value) -> Value {
    if let (Value::Object(e), Value::Object(x)) = (&mut ev, extra) {
        e.extend(x);
    }
    ev
}

/// Pages in a stable order, shallowest first (the site's root before anything else), so
/// that site-level evidence shows the same page from one scan to the next.
pub(crate) fn by_place(pages: &[Page]) -> Vec<&Page> {
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
// secret-leak (matching in `crate::leak`)
// ---------------------------------------------------------------------------------------

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
        crate::headers::check_headers(scan, pages).await?;
    }
    if scan.enabled("cookie-flags") {
        crate::headers::check_cookies(scan, pages).await?;
    }
    if scan.enabled("version-disclosure") {
        crate::headers::check_versions(scan, pages).await?;
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
                // The first value as the masked body shows it.
                let ev = add(
                    safe_evidence(scan, req, resp, masked.first().map(String::as_str)),
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
        crate::cors::check_cors(scan, pages).await?;
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

/// A 200 response with these headers and body, for the passive checks' tests.
#[cfg(test)]
pub(crate) fn test_response(headers: &[(&str, &str)], body: &str) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_response as resp;

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
