//! Running compiled templates against targets. `compile` readies a template once;
//! `target` turns an input into nuclei's variables; `request` builds wire bytes; `http`,
//! `network`, `ssl` and `dns` run blocks of their protocol; `cookies` is a run's cookie jar; `shared` holds
//! what all runs of a scan share (the wire, the response cache that sends identical requests
//! once, and the per-host error budget). [`run_template`] runs one template on one target,
//! following its `flow` or its blocks in order, and says what matched and whether it ran
//! to the end.

pub mod compile;
pub mod cookies;
mod dns;
mod http;
mod network;
pub mod request;
mod shared;
mod ssl;
pub mod target;

pub use compile::{compile, Compiled};
pub use shared::{HostBudget, ResponseCache, Shared};
pub use target::Target;

use crate::dsl::Value;
use crate::template::Flow;
use std::collections::BTreeMap;

/// Most bytes of a request or response kept as evidence.
pub const EVIDENCE_LIMIT: usize = 16 * 1024;

/// One match of a template on a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The named matcher that matched, if the template names them.
    pub matcher: Option<String>,
    /// Extracted values by extractor name (`""` when unnamed).
    pub extracted: BTreeMap<String, Vec<String>>,
    /// The URL (HTTP) or `host:port` (network) that answered.
    pub url: String,
    /// The request as sent (bounded).
    pub request: String,
    /// The response as received (bounded).
    pub response: String,
}

/// What running one template on one target gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Matches, one per matcher name at most.
    pub matches: Vec<Match>,
    /// Every request the template asked for was sent and answered (or deliberately not
    /// sent): only then may an earlier finding of it be called fixed.
    pub complete: bool,
    /// The first transport error, if any.
    pub error: Option<String>,
}

impl Outcome {
    fn add(&mut self, m: Match) {
        match self.matches.iter_mut().find(|x| x.matcher == m.matcher) {
            Some(existing) => {
                for (k, vs) in m.extracted {
                    let slot = existing.extracted.entry(k).or_default();
                    for v in vs {
                        if !slot.contains(&v) && slot.len() < 100 {
                            slot.push(v);
                        }
                    }
                }
            }
            None => self.matches.push(m),
        }
    }

    fn failed(&mut self, e: String) {
        self.complete = false;
        self.error.get_or_insert(e);
    }
}

/// State of one template run on one target, shared by its blocks.
pub(crate) struct RunState {
    /// Target variables, random values and the template's variables.
    pub base: BTreeMap<String, Value>,
    /// Values internal extractors found, for later requests.
    pub dynamic: BTreeMap<String, Value>,
    /// Cookies.
    pub jar: cookies::Jar,
    /// The result so far.
    pub outcome: Outcome,
}

/// Runs `compiled` on `target`.
pub async fn run_template(shared: &Shared, compiled: &Compiled, target: &Target) -> Outcome {
    let mut state = RunState {
        base: base_variables(compiled, target),
        dynamic: BTreeMap::new(),
        jar: cookies::Jar::default(),
        outcome: Outcome {
            complete: true,
            ..Outcome::default()
        },
    };
    let stop_at_first = compiled.template.flow.is_none()
        && matches!(&compiled.template.body, crate::template::Body::Http(r) if r.iter().any(|b| b.stop_at_first_match));
    match &compiled.template.flow {
        Some(flow) => {
            run_flow(shared, compiled, target, &mut state, flow).await;
        }
        None => {
            for i in 0..compiled.blocks.len() {
                if shared.cancelled() {
                    state.outcome.failed("cancelled".into());
                    break;
                }
                let matched = run_block(shared, compiled, target, &mut state, i).await;
                if matched && stop_at_first {
                    break;
                }
                // A block of internal matchers only is a precondition: when it fails, the
                // template stops there.
                if !matched && compiled.gates(i) {
                    break;
                }
            }
        }
    }
    state.outcome
}

/// The first request `compiled` sends to `target` when it is the same for every run (a
/// `GET` or `HEAD` of the first block, without payloads): what the response cache counts
/// before a scan.
pub fn first_request(
    compiled: &Compiled,
    target: &Target,
) -> Option<(vigil_engine::wire::Endpoint, Vec<u8>)> {
    let compile::Blocks::Http(blocks) = &compiled.blocks else {
        return None;
    };
    let block = blocks.first()?;
    if compiled.template.flow.as_ref().is_some_and(|f| {
        *f != Flow::Call(1) && !matches!(f, Flow::And(a, _) if **a == Flow::Call(1))
    }) {
        return None;
    }
    let crate::template::Body::Http(reqs) = &compiled.template.body else {
        return None;
    };
    let spec = reqs.first()?;
    if spec.payloads.is_some() {
        return None;
    }
    let base = base_variables(compiled, target);
    let none = BTreeMap::new();
    let built = http::build(
        block.requests.first()?,
        spec,
        target,
        &[&none, &none, &base],
    )?;
    matches!(built.method.as_str(), "GET" | "HEAD").then(|| {
        (
            vigil_engine::wire::Endpoint::new(built.tls, built.host, built.port),
            built.bytes,
        )
    })
}

/// Evaluates a flow: `&&` and `||` short-circuit as in JavaScript; a sequence runs every
/// statement. True when the (last evaluated) call matched.
fn run_flow<'a>(
    shared: &'a Shared,
    compiled: &'a Compiled,
    target: &'a Target,
    state: &'a mut RunState,
    flow: &'a Flow,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
    Box::pin(async move {
        match flow {
            Flow::Call(n) => {
                if *n == 0 || *n > compiled.blocks.len() {
                    return false;
                }
                run_block(shared, compiled, target, state, n - 1).await
            }
            Flow::And(a, b) => {
                run_flow(shared, compiled, target, state, a).await
                    && run_flow(shared, compiled, target, state, b).await
            }
            Flow::Or(a, b) => {
                run_flow(shared, compiled, target, state, a).await
                    || run_flow(shared, compiled, target, state, b).await
            }
            Flow::Seq(items) => {
                let mut any = false;
                for f in items {
                    any |= run_flow(shared, compiled, target, state, f).await;
                }
                any
            }
        }
    })
}

async fn run_block(
    shared: &Shared,
    compiled: &Compiled,
    target: &Target,
    state: &mut RunState,
    index: usize,
) -> bool {
    match &compiled.blocks {
        compile::Blocks::Http(b) => match b.get(index) {
            Some(block) => http::run_block(shared, compiled, block, target, state).await,
            None => false,
        },
        compile::Blocks::Network(b) => match b.get(index) {
            Some(block) => network::run_block(shared, compiled, block, target, state).await,
            None => false,
        },
        compile::Blocks::Dns(b) => match b.get(index) {
            Some(block) => dns::run_block(shared, block, target, state).await,
            None => false,
        },
        compile::Blocks::Ssl(b) => match b.get(index) {
            Some(block) => ssl::run_block(shared, compiled, block, target, state).await,
            None => false,
        },
    }
}

/// The `i`-th combination of a block's payloads as variables (none without payloads).
pub(crate) fn payload_values(
    payloads: Option<&crate::template::Payloads>,
    i: usize,
) -> BTreeMap<String, Value> {
    payloads
        .and_then(|p| p.combination(i))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::from(v)))
        .collect()
}

/// Evaluates `ops` over one response's `data`: values of internal extractors go to later
/// requests, and what is to be reported is recorded with its proof, which `proof` gives as
/// (where, request, response) only then. Nothing is reported unless something visible
/// matched (a block of internal matchers only reports nothing, unless non-internal
/// extractors found values): one unnamed result, or one per named matcher. Returns
/// (matched, reported).
pub(crate) fn judge(
    state: &mut RunState,
    ops: &crate::operators::Operators,
    data: &crate::operators::Data,
    proof: impl FnOnce() -> (String, String, String),
) -> (bool, bool) {
    let eval = ops.evaluate(data);
    for (k, v) in &eval.dynamic {
        state.dynamic.insert(k.clone(), v.clone());
    }
    if !eval.matched {
        return (false, false);
    }
    let visible = ops.matchers.is_empty() || ops.matchers.iter().any(|m| !m.internal);
    if !visible && eval.output.is_empty() {
        return (true, false);
    }
    let names: Vec<Option<String>> = if eval.matcher_names.is_empty() {
        vec![None]
    } else {
        eval.matcher_names.iter().cloned().map(Some).collect()
    };
    let (url, request, response) = proof();
    for matcher in names {
        state.outcome.add(Match {
            matcher,
            extracted: eval.extracted.clone(),
            url: url.clone(),
            request: request.clone(),
            response: response.clone(),
        });
    }
    (true, true)
}

/// Target variables, random values, then the template's variables and constants, each
/// rendered with what comes before it.
fn base_variables(compiled: &Compiled, target: &Target) -> BTreeMap<String, Value> {
    let mut base: BTreeMap<String, Value> = target
        .variables()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::from(v)))
        .collect();
    for (name, value) in &compiled.random {
        base.insert(name.clone(), Value::from(value.as_str()));
    }
    for (name, text) in &compiled.variables {
        let rendered = text.render(&base);
        base.insert(name.clone(), Value::from_bytes(rendered.bytes));
    }
    base
}

/// A random alphanumeric string (nuclei's `randstr` is 27 characters).
pub(crate) fn random_string(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// At most [`EVIDENCE_LIMIT`] bytes of `bytes` as text, secrets redacted.
pub(crate) fn evidence(bytes: &[u8]) -> String {
    let cut = bytes.len().min(EVIDENCE_LIMIT);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        text.push_str(&format!("\n[... {} more bytes]", bytes.len() - cut));
    }
    vigil_detect::redact(&text).into_owned()
}
