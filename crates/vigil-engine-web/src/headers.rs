//! Checks on response headers: the classes `security-headers` (protective headers a site's
//! pages lack), `cookie-flags` (`Set-Cookie` attributes) and `version-disclosure` (product
//! versions in `Server`, `X-Powered-By` and similar headers). Each matcher is a pure function
//! over a response, unit-tested with a vulnerable sample and a safe twin; the checks walk the
//! crawled pages for [`crate::passive::check_pages`]. Rules worth knowing:
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

use crate::crawl::Page;
use crate::http::Response;
use crate::leak::safe_evidence;
use crate::passive::{add, by_place, site_root};
use crate::{catalogue, Scan};
use serde_json::json;
use std::collections::BTreeMap;
use vigil_detect::mask;
use vigil_engine::EngineError;

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

pub(crate) async fn check_headers(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
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

pub(crate) async fn check_cookies(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
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

pub(crate) async fn check_versions(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passive::test_response as resp;

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
}
