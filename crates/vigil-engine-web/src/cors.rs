//! The class `cors`: one bounded probe per API-like page (JSON answers and `/api/`, `/rest/`,
//! `/graphql`, `/v1/` paths), sent with a foreign `Origin` ([`CORS_ORIGIN`], a reserved name)
//! and, for the first pages that refused it, with `Origin: null`. A finding needs the answer
//! to allow that origin *with* credentials: a star or a fixed trusted origin is the safe twin.
//! At most [`CORS_BUDGET`] requests per scan.

use crate::crawl::Page;
use crate::http::{Http, HttpError, Request, Response};
use crate::leak::safe_evidence;
use crate::passive::{add, content_type};
use crate::{catalogue, Scan};
use futures::stream::{self, StreamExt};
use serde_json::json;
use std::collections::HashSet;
use vigil_engine::EngineError;

/// Origin sent by the CORS probe: a reserved TLD, only ever a header value.
pub const CORS_ORIGIN: &str = "https://vigil-cors.example";

/// Most extra requests the CORS check sends in one scan.
pub const CORS_BUDGET: usize = 20;

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

pub(crate) async fn check_cors(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passive::test_response as resp;

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
}
