//! Running one `tcp:` block on one target: for each address the block names (on the
//! target's port when the input names one, else on the block's `port:` list), one
//! connection (plain or TLS) through the shared wire; each input is rendered, hex-decoded
//! when asked, written, and read back when it says `read`; then the block's `read-size` is
//! read and the matchers see `data` (everything read), `request` (everything written) and
//! each named read.

use crate::dsl::{Layered, Value, Vars};
use crate::exec::compile::{Compiled, NetworkBlock};
use crate::exec::{evidence, RunState, Target};
use crate::operators::Data;
use crate::template::Body;
use std::sync::Arc;
use std::time::Duration;
use vigil_engine::wire::Endpoint;

/// How long a read waits for the peer's first bytes.
const READ_WAIT: Duration = Duration::from_secs(5);

/// Runs `block`; true when its matchers matched at least once.
pub(crate) async fn run_block(
    shared: &super::Shared,
    compiled: &Compiled,
    block: &NetworkBlock,
    target: &Target,
    state: &mut RunState,
) -> bool {
    let Body::Network(reqs) = &compiled.template.body else {
        return false;
    };
    let Some(spec) = reqs.get(block.index) else {
        return false;
    };
    let ports: Vec<u16> = if target.explicit_port || spec.ports.is_empty() {
        vec![target.port]
    } else {
        spec.ports.clone()
    };
    let combos = spec.payloads.as_ref().map_or(1, |p| p.combinations());
    let mut matched_any = false;
    for port in ports {
        let mut vars = state.base.clone();
        vars.insert(
            "Hostname".into(),
            Value::from(format!("{}:{port}", target.host_for_url())),
        );
        vars.insert("Port".into(), Value::from(port.to_string()));
        for (tls, address) in &block.hosts {
            for i in 0..combos {
                if shared.cancelled() {
                    state.outcome.failed("cancelled".into());
                    return matched_any;
                }
                let payload = super::payload_values(spec.payloads.as_ref(), i);
                let prepared = {
                    let stack: [&dyn Vars; 3] = [&payload, &state.dynamic, &vars];
                    prepare(&Layered::new(&stack), address, *tls, port, &block.inputs)
                };
                let (ep, inputs) = match prepared {
                    Prepared::Ready(ep, inputs) => (ep, inputs),
                    Prepared::Unresolved => continue,
                    Prepared::Invalid(e) => {
                        state.outcome.failed(e);
                        continue;
                    }
                };
                match exchange(shared, &ep, &inputs, spec.read_size, spec.read_all).await {
                    Ok(ex) => {
                        let mut data = Data::new();
                        data.insert("data", Value::from_bytes(ex.read.clone()));
                        data.insert("raw", Value::from_bytes(ex.read.clone()));
                        data.insert("body", Value::from_bytes(ex.read.clone()));
                        data.insert("request", Value::from_bytes(ex.written.clone()));
                        data.insert("host", target.host.clone());
                        data.insert("matched", format!("{}:{}", ep.host, ep.port));
                        for (name, bytes) in &ex.named {
                            data.insert(name.clone(), Value::from_bytes(bytes.clone()));
                        }
                        data.push_layer(Arc::new(payload.clone()));
                        data.push_layer(Arc::new(state.dynamic.clone()));
                        data.push_layer(Arc::new(vars.clone()));
                        let (matched, _) = super::judge(state, &block.operators, &data, || {
                            let scheme = if ep.tls { "tls" } else { "tcp" };
                            (
                                format!("{scheme}://{}:{}", ep.host, ep.port),
                                evidence(&ex.written),
                                evidence(&ex.read),
                            )
                        });
                        matched_any |= matched;
                    }
                    Err(e) => {
                        // A closed port on a host is an answer, not a failure to look.
                        if !matches!(e, vigil_engine::wire::WireError::Connect(_)) {
                            state.outcome.failed(e.to_string());
                        }
                    }
                }
            }
        }
    }
    matched_any
}

enum Prepared {
    Ready(Endpoint, Vec<(Vec<u8>, Option<usize>, Option<String>)>),
    Unresolved,
    Invalid(String),
}

type Input = (crate::dsl::Template, bool, Option<usize>, Option<String>);

/// The endpoint and the bytes of each input, rendered.
fn prepare(
    vars: &dyn Vars,
    address: &crate::dsl::Template,
    tls: bool,
    port: u16,
    inputs: &[Input],
) -> Prepared {
    let rendered = address.render(vars);
    if !rendered.unresolved.is_empty() {
        return Prepared::Unresolved;
    }
    let Some(ep) = endpoint(&rendered.text(), tls, port) else {
        return Prepared::Invalid(format!("{} is not an address", rendered.text()));
    };
    let mut out = Vec::with_capacity(inputs.len());
    for (text, hex, read, name) in inputs {
        let r = text.render(vars);
        let bytes = if *hex {
            match hex_bytes(&r.bytes) {
                Some(b) => b,
                None => return Prepared::Invalid("an input is not hex".into()),
            }
        } else {
            r.bytes
        };
        out.push((bytes, *read, name.clone()));
    }
    Prepared::Ready(ep, out)
}

/// An address rendered from `{{Hostname}}`, `{{Host}}:7001`, `[::1]:23` or a bare host.
fn endpoint(address: &str, tls: bool, default_port: u16) -> Option<Endpoint> {
    let (host, port) = super::target::split_host_port(address.trim())?;
    if host.is_empty() {
        return None;
    }
    Some(Endpoint::new(tls, host, port.unwrap_or(default_port)))
}

/// `"48 45 4c 4c 4f"` or `"48454c4c4f"` as bytes.
fn hex_bytes(text: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

struct Exchange {
    written: Vec<u8>,
    read: Vec<u8>,
    named: Vec<(String, Vec<u8>)>,
}

async fn exchange(
    shared: &super::Shared,
    ep: &Endpoint,
    inputs: &[(Vec<u8>, Option<usize>, Option<String>)],
    read_size: usize,
    read_all: bool,
) -> Result<Exchange, vigil_engine::wire::WireError> {
    let mut conn = shared.wire.open(ep).await?;
    let mut ex = Exchange {
        written: Vec::new(),
        read: Vec::new(),
        named: Vec::new(),
    };
    for (bytes, read, name) in inputs {
        conn.write_all(bytes).await?;
        ex.written.extend_from_slice(bytes);
        if let Some(n) = read {
            let got = conn.read_once(*n, READ_WAIT).await?;
            if let Some(name) = name {
                ex.named.push((name.clone(), got.clone()));
            }
            ex.read.extend_from_slice(&got);
        }
    }
    let last_read = inputs.last().is_some_and(|(_, r, _)| r.is_some());
    if !last_read || inputs.is_empty() {
        let got = if read_all {
            conn.read_some(crate::template::MAX_READ_SIZE, READ_WAIT)
                .await?
        } else {
            conn.read_once(read_size, READ_WAIT).await?
        };
        ex.read.extend_from_slice(&got);
    }
    let _ = conn.shutdown().await;
    Ok(ex)
}
