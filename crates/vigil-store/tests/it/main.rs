//! Integration tests of vigil-store, in one test binary (matklad's layout: each file of this
//! directory is a module): the store conformance suite, scan groups and their migration,
//! image inventory and scans, and stored exports, every test on SQLite and on PostgreSQL when
//! `VIGIL_TEST_POSTGRES_URL` is set. `common` opens the stores.

mod common;
mod exports;
mod groups;
mod images;
mod store;
