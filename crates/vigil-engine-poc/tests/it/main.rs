//! Integration tests of the `poc` engine: templates against a scripted responder on
//! loopback, each feature with a vulnerable answer and a safe twin that differs in one
//! fact; network templates against a TCP service; ssl templates against a TLS server; dns templates against dnsmasq; the engine's scope, coverage and rate
//! limit; and the whole nuclei-templates snapshot's parse and run coverage.

mod corpus;
mod dns;
mod engine;
mod http;
mod network;
mod ssl;
mod support;
mod survey;
