//! OS command injection: shell separators followed by an `echo` of arithmetic that only a
//! shell computes (the product never appears in the payload), and in deep mode a `sleep`
//! whose delay follows the requested duration.

use super::{delay_proven, report, send, timings};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use rand::Rng;
use serde_json::json;
use vigil_engine::EngineError;

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    let (a, b): (u32, u32) = {
        let mut r = rand::thread_rng();
        (r.gen_range(1000..9999), r.gen_range(100..999))
    };
    let product = format!("VGL{}", u64::from(a) * u64::from(b));
    if base.text().contains(&product) {
        return Ok(());
    }
    let expr = format!("echo VGL$(({a}*{b}))");
    let o = &pt.original;
    let payloads = [
        format!("{o};{expr}"),
        format!("{o}|{expr}"),
        format!("{o}$({expr})"),
        format!("{o}';{expr};'"),
        format!("{o}&&{expr}"),
        format!("{o}`{expr}`"),
        format!("{o}\n{expr}"),
        format!("{o}\";{expr};\""),
    ];
    // Normal mode: the four separators that work in most shells; deep mode: all.
    let n = if scan.deep { payloads.len() } else { 4 };
    for p in payloads.into_iter().take(n) {
        let req = ep.inject(pt, &p);
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        if resp.text().contains(&product) {
            let proof = json!({
                "technique": "output",
                "payload": p,
                "proof": format!("the shell computed {a}*{b}: the answer holds `{product}`, which the request does not"),
            });
            return report(
                scan,
                "cmd-injection",
                ep,
                pt,
                &req,
                &resp,
                Some(&product),
                proof,
            )
            .await;
        }
    }
    if !scan.deep {
        return Ok(());
    }
    let Some(normal) = timings(scan, &ep.request(), 3).await? else {
        return Ok(());
    };
    type Template = fn(&str, f64) -> String;
    let templates: [Template; 4] = [
        |o, s| format!("{o};sleep {s}"),
        |o, s| format!("{o}|sleep {s}"),
        |o, s| format!("{o}$(sleep {s})"),
        |o, s| format!("{o}';sleep {s};'"),
    ];
    for tpl in templates {
        let secs = 3.0;
        if let Some((req, resp, times)) =
            delay_proven(scan, &normal, secs, |s| ep.inject(pt, &tpl(o, s))).await?
        {
            let proof = json!({
                "technique": "time",
                "payload": tpl(o, secs),
                "normal_seconds": normal,
                "delayed_seconds": [times[0], times[2]],
                "zero_delay_seconds": times[1],
                "proof": format!(
                    "`sleep {secs}` took {:.2} s and {:.2} s, `sleep 0` took {:.2} s, normal requests at most {:.2} s",
                    times[0], times[2], times[1], normal.iter().cloned().fold(0.0, f64::max)
                ),
            });
            return report(scan, "cmd-injection", ep, pt, &req, &resp, None, proof).await;
        }
    }
    Ok(())
}
