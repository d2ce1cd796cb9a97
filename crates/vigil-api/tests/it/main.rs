//! Integration tests of vigil-api, in one test binary (matklad's layout: each file of this
//! directory is a module): the gateway on a real loopback server (error codes on the wire,
//! both signature schemes, hostile requests, reachability of internal addresses), the
//! parameter pipeline under arbitrary input, the CSIP preflight of scheduled runs, CSIP's scan
//! item poc (task options, the template catalogue, the vulnerability views), and the
//! TCSS image actions with a real registry, one golden response per product, and the
//! request span that carries the RequestId into the log. `support` holds the shared gateway and signed
//! requests.

mod csip_poc;
mod csip_preflight;
mod gateway;
mod golden_responses;
mod hostile;
mod params_props;
mod reach;
mod request_span;
mod support;
mod tcss;
