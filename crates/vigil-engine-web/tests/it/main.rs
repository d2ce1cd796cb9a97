//! Integration tests of the web engine, in one test binary (matklad's layout: each file of
//! this directory is a module): active and passive checks against the deliberately
//! vulnerable test application (`tests/webapp/` at the repository root), each vulnerable case
//! with its safe twin. `common` holds the shared helpers.

mod active;
mod common;
mod passive;
