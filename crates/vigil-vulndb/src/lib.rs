//! Vigil vulnerability database.
//!
//! This crate owns Vigil's advisory data and the matching of installed
//! packages against it: importing advisories, storing them, and answering
//! "is package `p` at version `v` affected, and what fixes it?".
//!
//! * [`version`] — a total, panic-free ordering of version strings for each
//!   packaging ecosystem (dpkg, apk, RPM, SemVer, PEP 440, Maven, RubyGems,
//!   Composer), selected through [`Ecosystem`].
//! * [`range`] — evaluation of OSV `ranges` (`ECOSYSTEM` / `SEMVER` types)
//!   with the algorithm from the OSV schema specification.
//! * [`osv`] and [`secdb`] — bounded, panic-free parsers of OSV JSON records
//!   and Alpine secdb YAML into one [`Record`] shape.
//! * [`severity`] — CVSS v3/v4 base scores (RustSec `cvss`) and labels.
//! * [`names`] — package-name and distribution-release normalisation.
//! * [`Database`] (module `db`) — the SQLite store in `DATA_DIR/vulndb/`:
//!   import (file, directory, zip, secdb), matching ([`Database::matches`]),
//!   status.
//! * [`update()`] — download of osv.dev `ECOSYSTEM/all.zip` archives.
//!
//! No third-party version-comparison crate is used: the comparison rules are
//! implemented here, checked against the reference tools (`dpkg
//! --compare-versions`, Python `packaging`, Maven's `ComparableVersion`) in
//! the test suite.
//!
//! The database API is synchronous; async callers run it in
//! `spawn_blocking`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod db;
mod error;
pub mod names;
pub mod osv;
pub mod range;
pub mod secdb;
pub mod severity;
mod update;
pub mod version;

pub use db::{
    db_path, evaluate, Advisory, Assessment, Database, FixStatus, ImportIssue, ImportLimits,
    ImportSummary, Match, MatchedVia, NotAffected, Query, SourceKind, SourceStatus, Status, DB_DIR,
    DB_FILE, MAX_ISSUES, SCHEMA_VERSION,
};
pub use error::DbError;
pub use osv::{AffectedPackage, Record, Reference};
pub use range::{affected, Event, Range, RangeKind};
pub use severity::{CvssScore, Severity};
pub use update::{http_client, update, update_with, EcosystemUpdate, OSV_BASE_URL};
pub use version::Ecosystem;
