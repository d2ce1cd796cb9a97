//! Integration tests of vigil-vulndb, in one test binary (matklad's layout: each file of this
//! directory is a module): version orders cross-checked against dpkg, Maven and Python
//! `packaging` and checked as total orders by proptest, the parsers under arbitrary input,
//! OSV ranges on real PyPA advisories, and the database (import, matching, update, hostile
//! input) on real snapshots and fixtures. `support` holds paths and scratch helpers of the
//! database tests, `common` the seeded generator of the cross-checks. Test data stays in
//! `tests/data/`; proptest's regression seeds are in `tests/proptest-regressions/`.

mod common;
mod db_alpine;
mod db_debian;
mod db_hostile;
mod db_pypa;
mod db_update;
mod dpkg_crosscheck;
mod maven_crosscheck;
mod order_properties;
mod osv_pypa;
mod parsers_proptest;
mod pep440_crosscheck;
mod support;
