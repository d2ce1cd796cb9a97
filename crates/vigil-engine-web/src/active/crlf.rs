//! CRLF injection: CR LF (and a bare LF) followed by a header line of Vigil's own; a hit is
//! that header, with the marker as its value, among the response's headers.

use super::{marker, report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use serde_json::json;
use vigil_engine::EngineError;

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    _base: &Response,
) -> Result<(), EngineError> {
    let m = marker();
    for sep in ["\r\n", "\n"] {
        let p = format!("{}{sep}X-Vigil-Crlf: {m}", pt.original);
        let req = ep.inject(pt, &p);
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        if resp.headers_named("x-vigil-crlf").any(|v| v.trim() == m) {
            let proof = json!({
                "payload": p,
                "proof": format!("the response has the injected header `X-Vigil-Crlf: {m}`"),
            });
            return report(scan, "crlf", ep, pt, &req, &resp, None, proof).await;
        }
    }
    Ok(())
}
