//! Server-side template injection: template expressions of the common engines (`{{a*b}}`,
//! `${a*b}`, `<%= a*b %>`, `#{a*b}`, `{a*b}`) with random factors; a hit is the product in the
//! answer (never in the request or the normal answer), confirmed with a second pair.

use super::{report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use rand::Rng;
use serde_json::json;
use vigil_engine::EngineError;

const SYNTAXES: &[(&str, &str, &str)] = &[
    ("{{", "}}", "Jinja2/Twig/Nunjucks/Handlebars-like"),
    ("${", "}", "Freemarker/Velocity/JSP EL/Thymeleaf"),
    ("<%=", "%>", "ERB/EJS"),
    ("#{", "}", "Ruby interpolation/Pug"),
    ("{", "}", "Smarty"),
];

fn factors() -> (u64, u64) {
    let mut r = rand::thread_rng();
    (r.gen_range(1000..9999), r.gen_range(1000..9999))
}

/// Test one point: one request carries every syntax with its own factors; the syntax whose
/// product comes back is confirmed alone with new factors.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    let probes: Vec<(usize, u64, String)> = SYNTAXES
        .iter()
        .enumerate()
        .map(|(i, (open, close, _))| {
            let (a, b) = factors();
            (i, a * b, format!("vgl{open}{a}*{b}{close}"))
        })
        .collect();
    let polyglot: String = probes
        .iter()
        .map(|(_, _, p)| p.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let Some(resp) = send(scan, &ep.inject(pt, &polyglot)).await? else {
        return Ok(());
    };
    let text = resp.text();
    let base_text = base.text();
    for (i, product, _) in probes {
        let hit = format!("vgl{product}");
        if !text.contains(&hit) || base_text.contains(&hit) {
            continue;
        }
        let (open, close, engines) = SYNTAXES[i];
        let (c, d) = factors();
        let p2 = format!("vgl{open}{c}*{d}{close}");
        let req2 = ep.inject(pt, &p2);
        let Some(resp2) = send(scan, &req2).await? else {
            continue;
        };
        let product2 = format!("vgl{}", c * d);
        if resp2.text().contains(&product2) {
            let proof = json!({
                "payload": p2,
                "syntax": engines,
                "proof": format!("the server evaluated `{open}{c}*{d}{close}` to {} (and the same syntax in a first probe)", c * d),
            });
            return report(scan, "ssti", ep, pt, &req2, &resp2, Some(&product2), proof).await;
        }
    }
    Ok(())
}
