//! Active checks: each sends test values to one injection point and reports only what the
//! response proves (an unencoded marker in an executable context, a database error that a
//! balanced quote makes disappear, a file's content, arithmetic computed by the server, a
//! delay that follows the requested duration). Every check records where it looked, found
//! or not, so that a rescan can tell what was fixed.

mod cmdi;
mod crlf;
pub(crate) mod redirect;
pub(crate) mod sqli;
mod ssrf;
mod ssti;
pub(crate) mod traversal;
pub(crate) mod xss;
pub(crate) mod xxe;

use crate::endpoint::{Endpoint, Loc, Point};
use crate::http::{HttpError, Request, Response};
use crate::Scan;
use rand::Rng;
use vigil_engine::EngineError;

/// A fresh marker: letters then digits, lower case, unlikely anywhere else.
pub(crate) fn marker() -> String {
    let mut r = rand::thread_rng();
    let letters: String = (0..4)
        .map(|_| (b'a' + r.gen_range(0..26)) as char)
        .collect();
    format!("vgl{letters}{}", r.gen_range(10_000..99_999))
}

/// Send; transport failures are `None` (the check moves on), cancellation ends the run.
pub(crate) async fn send(scan: &Scan<'_>, req: &Request) -> Result<Option<Response>, EngineError> {
    match scan.http.send(req).await {
        Ok(r) => Ok(Some(r)),
        Err(HttpError::Cancelled) => Err(EngineError::Cancelled),
        Err(e) => {
            tracing::debug!(url = %req.url, error = %e, "probe failed");
            Ok(None)
        }
    }
}

/// Report a finding of `kind` at this point with the exchange that proves it.
#[allow(clippy::too_many_arguments)] // the point, the exchange and the proof, as checks have them
pub(crate) async fn report(
    scan: &Scan<'_>,
    kind: &str,
    ep: &Endpoint,
    pt: &Point,
    req: &Request,
    resp: &Response,
    mark: Option<&str>,
    proof: serde_json::Value,
) -> Result<(), EngineError> {
    let mut evidence = scan.evidence(req, resp, mark);
    if let (serde_json::Value::Object(e), serde_json::Value::Object(p)) = (&mut evidence, proof) {
        e.extend(p);
    }
    let f = crate::catalogue::finding(
        kind,
        &ep.method,
        &point_url(ep, pt),
        Some((pt.loc.label(), &pt.name)),
        "",
        evidence,
    );
    scan.report(f).await
}

/// Where a finding at this point is filed: the endpoint's URL, with an injected path segment
/// written as `*` (`/items/*`), so that `/items/5` in one scan and `/items/3` in the next
/// are one finding.
pub(crate) fn point_url(ep: &Endpoint, pt: &Point) -> url::Url {
    let mut u = ep.url.clone();
    if let Loc::Path(i) = pt.loc {
        let segs: Vec<String> = ep
            .url
            .path_segments()
            .map(|s| s.map(str::to_string).collect())
            .unwrap_or_default();
        if let Ok(mut p) = u.path_segments_mut() {
            p.clear();
            for (j, s) in segs.iter().enumerate() {
                p.push(if j == i { "*" } else { s });
            }
        }
    }
    u
}

/// Run every enabled active check on one point of an endpoint; `base` is its normal answer.
pub async fn check_point(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    let at = point_url(ep, pt);
    let run = |kind: &str| {
        let on = scan.enabled(kind);
        if on {
            scan.looked(kind, &ep.method, &at, Some(&pt.name));
        }
        on
    };
    if pt.loc == Loc::Xml {
        if run("xxe") {
            xxe::check(scan, ep, pt, base).await?;
        }
        return Ok(());
    }
    if run("xss") {
        xss::check(scan, ep, pt, base).await?;
    }
    if run("sqli") {
        sqli::check(scan, ep, pt, base).await?;
    }
    if run("path-traversal") {
        traversal::check(scan, ep, pt, base).await?;
    }
    if run("cmd-injection") {
        cmdi::check(scan, ep, pt, base).await?;
    }
    if run("ssti") {
        ssti::check(scan, ep, pt, base).await?;
    }
    if matches!(pt.loc, Loc::Query | Loc::Form | Loc::Json) {
        if run("open-redirect") {
            redirect::check(scan, ep, pt, base).await?;
        }
        if run("crlf") {
            crlf::check(scan, ep, pt, base).await?;
        }
        if run("ssrf") {
            ssrf::check(scan, ep, pt, base).await?;
        }
    }
    Ok(())
}

/// Times of `n` sends of `req`, in seconds; `None` if one failed.
pub(crate) async fn timings(
    scan: &Scan<'_>,
    req: &Request,
    n: usize,
) -> Result<Option<Vec<f64>>, EngineError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        match send(scan, req).await? {
            Some(r) => out.push(r.elapsed.as_secs_f64()),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Whether a delay of `secs` requested through `slow(secs)` really follows the requested
/// duration: the baseline's times (`normal`) stay well below it, a request for `secs` takes
/// at least that much longer than the slowest normal one, a request for zero seconds is
/// fast, and a second request for `secs` is slow again.
pub(crate) async fn delay_proven(
    scan: &Scan<'_>,
    normal: &[f64],
    secs: f64,
    slow: impl Fn(f64) -> Request,
) -> Result<Option<(Request, Response, Vec<f64>)>, EngineError> {
    let worst = normal.iter().cloned().fold(0.0f64, f64::max);
    if worst > secs * 0.5 {
        // Too slow already to tell a delay from noise.
        return Ok(None);
    }
    let req = slow(secs);
    let Some(first) = send(scan, &req).await? else {
        return Ok(None);
    };
    let t1 = first.elapsed.as_secs_f64();
    if t1 < worst + secs * 0.9 {
        return Ok(None);
    }
    let Some(zero) = send(scan, &slow(0.0)).await? else {
        return Ok(None);
    };
    let t0 = zero.elapsed.as_secs_f64();
    if t0 > worst + secs * 0.5 {
        return Ok(None);
    }
    let Some(again) = send(scan, &req).await? else {
        return Ok(None);
    };
    let t2 = again.elapsed.as_secs_f64();
    if t2 < worst + secs * 0.9 {
        return Ok(None);
    }
    Ok(Some((req, again, vec![t1, t0, t2])))
}
