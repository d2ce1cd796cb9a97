//! Running one `http:` block on one target: for each payload combination, each request is
//! rendered (a request whose placeholders stay unresolved is not sent, as in nuclei, unless
//! the block says `skip-variables-check`), built into bytes, sent through the shared wire
//! (redirects followed by hand, each hop checked by the scope guard), and its response
//! turned into the parts matchers read; internal extractors feed later requests.

use crate::dsl::{Layered, Vars};
use crate::exec::compile::{Compiled, HttpBlock, HttpText};
use crate::exec::request::{self, Built};
use crate::exec::{evidence, RunState, Target};
use crate::operators::{Data, HttpParts};
use crate::template::{Body, HttpKind, HttpRequest, Redirects};
use std::sync::Arc;
use vigil_engine::wire::{Endpoint, HttpResponse};

use super::shared::{SendError, Shared};

/// Runs `block`; true when its matchers matched at least once.
pub(crate) async fn run_block(
    shared: &Shared,
    compiled: &Compiled,
    block: &HttpBlock,
    target: &Target,
    state: &mut RunState,
) -> bool {
    let Body::Http(reqs) = &compiled.template.body else {
        return false;
    };
    let Some(spec) = reqs.get(block.index) else {
        return false;
    };
    let combos = spec.payloads.as_ref().map_or(1, |p| p.combinations());
    let mut matched_any = false;
    'combos: for i in 0..combos {
        let payload = super::payload_values(spec.payloads.as_ref(), i);
        let mut previous: Vec<Data> = Vec::new();
        let last = block.requests.len().saturating_sub(1);
        for (n, text) in block.requests.iter().enumerate() {
            if shared.cancelled() {
                state.outcome.failed("cancelled".into());
                return matched_any;
            }
            let built = {
                let layers: [&dyn Vars; 3] = [&payload, &state.dynamic, &state.base];
                let vars = Layered::new(&layers);
                let cookie = if spec.cookies {
                    state.jar.header(&target.host)
                } else {
                    None
                };
                match render(text, spec, target, &vars, cookie.as_deref()) {
                    Render::Ready(b) => b,
                    Render::Unresolved => continue,
                    Render::Invalid(e) => {
                        state.outcome.failed(e);
                        continue;
                    }
                }
            };
            let response = match send(
                shared,
                &built,
                spec.redirects,
                spec.cookies.then_some(&mut state.jar),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    state.outcome.failed(e.to_string());
                    // A dead endpoint makes the rest of the block pointless.
                    if matches!(e, SendError::HostDown) {
                        return matched_any;
                    }
                    continue;
                }
            };
            let (final_built, resp) = response;
            let mut data = response_data(&final_built, &resp, target, spec);
            data.push_layer(Arc::new(payload.clone()));
            data.push_layer(Arc::new(state.dynamic.clone()));
            data.push_layer(Arc::new(state.base.clone()));
            if block.indexed {
                // Evaluate once, after the last request, over every response of the block
                // by index (`body_1`) and the last one also without.
                let this = response_data(&final_built, &resp, target, spec);
                if n < last {
                    previous.push(this);
                    continue;
                }
                for (i, d) in previous.iter().enumerate() {
                    data.add_indexed(d, i + 1);
                }
                data.add_indexed(&this, n + 1);
            }
            let (matched, reported) = super::judge(state, &block.operators, &data, || {
                (
                    final_built.url.clone(),
                    evidence(&final_built.bytes),
                    evidence(&[resp.head.as_slice(), resp.body.as_slice()].concat()),
                )
            });
            matched_any |= matched;
            if reported && spec.stop_at_first_match {
                break 'combos;
            }
        }
    }
    matched_any
}

/// The request `text` renders to over `layers`, or `None` when it cannot be sent.
pub(crate) fn build(
    text: &HttpText,
    spec: &HttpRequest,
    target: &Target,
    layers: &[&dyn Vars],
) -> Option<Built> {
    match render(text, spec, target, &Layered::new(layers), None) {
        Render::Ready(b) => Some(b),
        _ => None,
    }
}

enum Render {
    Ready(Built),
    Unresolved,
    Invalid(String),
}

fn render(
    text: &HttpText,
    spec: &HttpRequest,
    target: &Target,
    vars: &dyn Vars,
    cookie: Option<&str>,
) -> Render {
    let mut complete = true;
    let mut one = |t: &crate::dsl::Template| {
        let r = t.render(vars);
        complete &= r.unresolved.is_empty();
        r.text()
    };
    let built = match text {
        HttpText::Path {
            method,
            url,
            headers,
            body,
        } => {
            let url = one(url);
            let headers: Vec<(String, String)> =
                headers.iter().map(|(k, v)| (k.clone(), one(v))).collect();
            let body = body.as_ref().map(&mut one);
            request::from_path(method, &url, &headers, body.as_deref(), cookie)
        }
        HttpText::Raw(raw) => {
            let text = one(raw);
            let unsafe_ = matches!(&spec.kind, HttpKind::Raw { unsafe_: true, .. });
            request::from_raw(&text, target, unsafe_, !spec.disable_path_automerge, cookie)
        }
    };
    if !complete && !spec.skip_variables_check {
        return Render::Unresolved;
    }
    match built {
        Ok(b) => Render::Ready(b),
        Err(e) => Render::Invalid(e.to_string()),
    }
}

/// Sends `built`, following redirects as `redirects` allows; returns the request and the
/// response of the last hop. Cookies set along the way go to `jar`.
async fn send(
    shared: &Shared,
    built: &Built,
    redirects: Redirects,
    mut jar: Option<&mut super::cookies::Jar>,
) -> Result<(Built, Arc<HttpResponse>), SendError> {
    let mut current = built.clone();
    let mut hops = 0u32;
    loop {
        let ep = Endpoint::new(current.tls, current.host.clone(), current.port);
        let cacheable = matches!(current.method.as_str(), "GET" | "HEAD")
            && jar
                .as_ref()
                .is_none_or(|j| j.header(&current.host).is_none());
        let resp = shared.send(&ep, &current.bytes, cacheable).await?;
        if let Some(j) = jar.as_deref_mut() {
            j.store(&current.host, resp.header_all("set-cookie"));
        }
        let location = resp.header("location").map(str::to_string);
        let is_redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
        match location {
            Some(loc) if redirects.follow && is_redirect && hops < redirects.max => {
                let Some(next) = next_hop(
                    &current,
                    &loc,
                    resp.status,
                    redirects.same_host,
                    jar.as_deref(),
                ) else {
                    return Ok((current, resp));
                };
                hops += 1;
                current = next;
            }
            _ => return Ok((current, resp)),
        }
    }
}

/// The request for a redirect to `location`, or `None` when it may not be followed.
fn next_hop(
    from: &Built,
    location: &str,
    status: u16,
    same_host: bool,
    jar: Option<&super::cookies::Jar>,
) -> Option<Built> {
    let base = url::Url::parse(&from.url).ok()?;
    let next = base.join(location.trim()).ok()?;
    if !matches!(next.scheme(), "http" | "https") {
        return None;
    }
    let host = next
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if same_host && !host.eq_ignore_ascii_case(&from.host) {
        return None;
    }
    let method = if status == 303 || (matches!(status, 301 | 302) && from.method != "HEAD") {
        "GET"
    } else {
        from.method.as_str()
    };
    let cookie = jar.and_then(|j| j.header(&host));
    request::from_path(method, next.as_str(), &[], None, cookie.as_deref()).ok()
}

/// The parts of one response as matchers read them.
fn response_data(built: &Built, resp: &HttpResponse, target: &Target, spec: &HttpRequest) -> Data {
    let mut body = resp.body.clone();
    if let Some(max) = spec.max_size {
        body.truncate(max);
    }
    Data::from_http(HttpParts {
        status_code: i64::from(resp.status),
        headers: resp.headers.clone(),
        raw_headers: String::from_utf8_lossy(&resp.head).into_owned(),
        content_length: resp
            .header("content-length")
            .and_then(|v| v.trim().parse::<i64>().ok()),
        body,
        request: String::from_utf8_lossy(&built.bytes).into_owned(),
        host: target.host.clone(),
        matched: built.url.clone(),
        duration_secs: resp.elapsed.as_secs_f64(),
    })
}
