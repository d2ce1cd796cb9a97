//! Running one `dns:` block on one target: the rendered name (`{{FQDN}}` by default) is
//! asked for the block's record type through the scan's resolver (the operator's DNS server
//! when one is configured, else the system's), after the task's rate limiter; matchers see
//! the answer as zone-file lines (`answer`, `raw`), the response code (`rcode`) and the
//! question. A target that is an address has no name to ask about, so DNS blocks do not
//! run on it.

use crate::dsl::{Layered, Vars};
use crate::exec::compile::DnsBlock;
use crate::exec::{evidence, RunState, Target};
use crate::operators::Data;
use std::sync::Arc;

/// Runs `block`; true when its matchers matched.
pub(crate) async fn run_block(
    shared: &super::Shared,
    block: &DnsBlock,
    target: &Target,
    state: &mut RunState,
) -> bool {
    if target.host.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    let Some(dns) = shared.dns.as_ref() else {
        state.outcome.failed("no DNS resolver is configured".into());
        return false;
    };
    let name = {
        let stack: [&dyn Vars; 2] = [&state.dynamic, &state.base];
        block.name.render(&Layered::new(&stack))
    };
    if !name.unresolved.is_empty() {
        return false;
    }
    let name = name.text().trim().trim_end_matches('.').to_string();
    if name.is_empty() || name.len() > 253 {
        state.outcome.failed(format!("{name:?} is not a DNS name"));
        return false;
    }
    shared.rate.acquire().await;
    if shared.cancelled() {
        state.outcome.failed("cancelled".into());
        return false;
    }
    let answer = match dns.records(&name, &block.kind).await {
        Ok(a) => a,
        Err(e) => {
            state.outcome.failed(e);
            return false;
        }
    };
    let question = format!("{name}.\tIN\t{}", block.kind);
    let text = answer.records.join("\n");
    let raw = format!(";; ->>HEADER<<- status: {}\n;; QUESTION SECTION:\n;{question}\n\n;; ANSWER SECTION:\n{text}\n", answer.rcode);
    let mut data = Data::new();
    data.insert("answer", text.clone());
    data.insert("raw", raw.clone());
    data.insert("body", raw.clone());
    data.insert("rcode", answer.rcode.clone());
    data.insert("question", question.clone());
    data.insert("host", name.clone());
    data.insert("matched", name.clone());
    data.insert("request", question.clone());
    data.push_layer(Arc::new(state.dynamic.clone()));
    data.push_layer(Arc::new(state.base.clone()));
    let (matched, _) = super::judge(state, &block.operators, &data, || {
        (
            format!("dns://{name}/{}", block.kind),
            question.clone(),
            evidence(raw.as_bytes()),
        )
    });
    matched
}
