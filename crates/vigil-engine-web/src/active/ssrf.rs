//! Server-side request forgery, proven in scope: a parameter that holds a URL is given the
//! URL of a page of the scanned site itself (the canary), and the answer then holds text of
//! that page which the normal answer does not. Nothing outside the scanned site is named.

use super::{report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use serde_json::json;
use vigil_engine::EngineError;

fn url_like(pt: &Point) -> bool {
    let n = pt.name.to_ascii_lowercase();
    let v = pt.original.to_ascii_lowercase();
    v.starts_with("http://")
        || v.starts_with("https://")
        || [
            "url", "uri", "link", "src", "source", "feed", "fetch", "proxy", "image", "img",
            "load", "remote", "endpoint", "host", "site", "callback", "webhook",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    let Some((page, text)) = scan.canary.as_ref() else {
        return Ok(());
    };
    if !url_like(pt) || base.text().contains(text.as_str()) {
        return Ok(());
    }
    let req = ep.inject(pt, page.as_str());
    let Some(resp) = send(scan, &req).await? else {
        return Ok(());
    };
    if resp.text().contains(text.as_str()) {
        let proof = json!({
            "payload": page.as_str(),
            "canary": text,
            "proof": format!("given the URL {page}, the server fetched it: the answer holds that page's text `{text}`"),
        });
        return report(scan, "ssrf", ep, pt, &req, &resp, Some(text), proof).await;
    }
    Ok(())
}
