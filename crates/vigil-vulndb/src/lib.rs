//! Vigil vulnerability database.
//!
//! This crate owns Vigil's advisory data and the matching of installed
//! packages against it: importing advisories (OSV, Alpine secdb — to come),
//! storing them, and answering "is package `p` at version `v` affected?".
//!
//! For now it provides the foundation everything else rests on:
//!
//! * [`version`] — a total, panic-free ordering of version strings for each
//!   packaging ecosystem (dpkg, apk, RPM, SemVer, PEP 440, Maven, RubyGems,
//!   Composer), selected through [`Ecosystem`].
//! * [`range`] — evaluation of OSV `ranges` (`ECOSYSTEM` / `SEMVER` types)
//!   with the algorithm from the OSV schema specification.
//!
//! No third-party version-comparison crate is used: the comparison rules are
//! implemented here, checked against the reference tools (`dpkg
//! --compare-versions`, Python `packaging`, Maven's `ComparableVersion`) in
//! the test suite.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod range;
pub mod version;

pub use range::{affected, Event, Range, RangeKind};
pub use version::Ecosystem;
