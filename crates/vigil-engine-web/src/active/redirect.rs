//! Open redirect: a parameter that holds a URL or path is given an external URL on a
//! reserved name (`.example`, so nothing is ever contacted) and the redirect's `Location`, a
//! meta refresh or a script assignment of `location` sends the browser there.

use super::{report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use serde_json::json;
use url::Url;
use vigil_engine::EngineError;

/// The external host used as the redirect target.
pub const TARGET_HOST: &str = "vigil-redirect.example";

fn redirect_like(pt: &Point) -> bool {
    let n = pt.name.to_ascii_lowercase();
    let v = pt.original.to_ascii_lowercase();
    v.starts_with('/')
        || v.starts_with("http")
        || [
            "next", "url", "redirect", "return", "goto", "dest", "continue", "target", "redir",
            "forward", "location", "back", "callback",
        ]
        .iter()
        .any(|w| n.contains(w))
        || n == "r"
        || n == "u"
}

/// Where the answer sends the browser, if to [`TARGET_HOST`].
pub fn sends_away(resp: &Response, base: &Url) -> Option<String> {
    if (300..400).contains(&resp.status) {
        let loc = resp.header("location")?;
        let target = base.join(loc.trim()).ok()?;
        return (target.host_str() == Some(TARGET_HOST)).then(|| format!("Location: {loc}"));
    }
    let text = resp.text().to_ascii_lowercase();
    if let Some(i) = text.find("http-equiv=\"refresh\"") {
        // 300 bytes on, cut at a character boundary: the page's text may be multi-byte.
        let around = vigil_engine::text::window(&text, i, 300);
        if around.contains(&format!("url=https://{TARGET_HOST}"))
            || around.contains(&format!("url=//{TARGET_HOST}"))
        {
            return Some("meta refresh".into());
        }
    }
    None
}

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    _base: &Response,
) -> Result<(), EngineError> {
    if !redirect_like(pt) {
        return Ok(());
    }
    for p in [
        format!("https://{TARGET_HOST}/"),
        format!("//{TARGET_HOST}/"),
        format!("/\\{TARGET_HOST}/"),
    ] {
        let req = ep.inject(pt, &p);
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        if let Some(how) = sends_away(&resp, &req.url) {
            let proof = json!({"payload": p, "proof": format!("the answer redirects to the external host {TARGET_HOST} ({how})")});
            return report(
                scan,
                "open-redirect",
                ep,
                pt,
                &req,
                &resp,
                Some(TARGET_HOST),
                proof,
            )
            .await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects() {
        let base = Url::parse("http://shop.test/go").unwrap();
        let r = |status, loc: &str| Response {
            status,
            headers: vec![("location".into(), loc.into())],
            ..Default::default()
        };
        assert!(sends_away(&r(302, "https://vigil-redirect.example/"), &base).is_some());
        assert!(sends_away(&r(302, "//vigil-redirect.example/"), &base).is_some());
        assert!(sends_away(&r(302, "/next?u=https://vigil-redirect.example/"), &base).is_none());
        assert!(sends_away(&r(200, "https://vigil-redirect.example/"), &base).is_none());
    }

    /// A 200 answer with a meta refresh followed by multi-byte text: the 300-byte window after
    /// `http-equiv="refresh"` ended inside a character and the slice panicked.
    #[test]
    fn meta_refresh_before_multibyte_text() {
        let base = Url::parse("http://shop.test/go").unwrap();
        let page = |url: &str| Response {
            status: 200,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: format!(
                "<html><head><meta http-equiv=\"refresh\" content=\"0; url={url}\"></head>\
                 <body>{}</body></html>",
                "Weiterleitung … İstanbul ẞ 😀 重定向 ".repeat(40)
            )
            .into_bytes(),
            ..Default::default()
        };
        // Every alignment of the text against the window's end.
        for pad in 0..4 {
            let url = format!("https://{TARGET_HOST}/{}", "x".repeat(pad));
            assert_eq!(
                sends_away(&page(&url), &base).as_deref(),
                Some("meta refresh")
            );
            let url = format!("https://shop.test/{}", "x".repeat(pad));
            assert_eq!(sends_away(&page(&url), &base), None);
        }
    }
}
