//! The engine contract crate's integration tests: downloads through the scope guard against
//! a real HTTP server on loopback.

mod fetch;
mod wire;
