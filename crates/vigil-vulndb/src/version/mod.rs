//! Version ordering per packaging ecosystem.
//!
//! Every submodule exposes `compare(a: &str, b: &str) -> Ordering` with the
//! same contract:
//!
//! * it is a **total preorder** over all strings (reflexive, transitive,
//!   antisymmetric up to [`Ordering::Equal`]): `Equal` means *equivalent for
//!   that ecosystem* (`1.0` and `1.00` are equal for dpkg), not byte-identical;
//! * it **never panics**, whatever the input, and needs no allocation-heavy
//!   parsing of numbers: numeric components of any length are compared as
//!   digit strings;
//! * malformed input gets a documented fallback. For ecosystems with a
//!   grammar (SemVer, PEP 440, RubyGems, Composer) the rule is always the
//!   same: **every malformed version sorts before every well-formed one, and
//!   malformed versions compare among themselves by their bytes**. The
//!   tool-defined algorithms (dpkg, apk, RPM, Maven) accept any string, like
//!   the tools themselves do; their module docs say how.
//!
//! One documented exception: [`maven`] reproduces Maven's
//! `ComparableVersion` exactly, and that algorithm is not transitive on a
//! few odd inputs (see its module docs).
//!
//! [`Ecosystem`] selects the comparator for an OSV ecosystem name.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

pub mod apk;
pub mod dpkg;
pub mod maven;
mod num;
pub mod packagist;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A family of packages sharing one version-ordering scheme.
///
/// Several OSV ecosystems map to the same variant (all RPM-based
/// distributions use [`Ecosystem::Rpm`]; npm, crates.io and Go modules use
/// [`Ecosystem::SemVer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Debian packages: dpkg ordering ([`dpkg`]).
    Debian,
    /// Ubuntu packages: dpkg ordering ([`dpkg`]).
    Ubuntu,
    /// Alpine (and Wolfi/Chainguard) packages: apk-tools ordering ([`apk`]).
    Alpine,
    /// RPM packages (Red Hat, CentOS, Rocky, Alma, Fedora, SUSE, openSUSE,
    /// …): `rpmvercmp` over epoch:version-release ([`rpm`]).
    Rpm,
    /// Semantic Versioning 2.0.0 (npm, crates.io, Go modules, Pub, Hex)
    /// ([`semver`]).
    SemVer,
    /// Python packages (PyPI): PEP 440 ([`pep440`]).
    Pep440,
    /// Maven artifacts: `ComparableVersion` ([`maven`]).
    Maven,
    /// Ruby gems: `Gem::Version` ([`rubygems`]).
    RubyGems,
    /// PHP packages (Packagist / Composer) ([`packagist`]).
    Packagist,
}

impl Ecosystem {
    /// Maps an OSV `affected[].package.ecosystem` string to its ordering
    /// scheme.
    ///
    /// The part after the first `:` (a distribution release such as
    /// `Debian:12`, `Ubuntu:22.04:LTS` or `Alpine:v3.18`) does not change the
    /// ordering and is ignored. Returns `None` for ecosystems without a
    /// comparator here (e.g. `NuGet`, `Hackage`, `GIT`).
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or(name).trim();
        Some(match base {
            "Debian" => Ecosystem::Debian,
            "Ubuntu" => Ecosystem::Ubuntu,
            "Alpine" | "Wolfi" | "Chainguard" => Ecosystem::Alpine,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" | "CentOS" | "Fedora" => Ecosystem::Rpm,
            "npm" | "crates.io" | "Go" | "Pub" | "Hex" => Ecosystem::SemVer,
            "PyPI" => Ecosystem::Pep440,
            "Maven" => Ecosystem::Maven,
            "RubyGems" => Ecosystem::RubyGems,
            "Packagist" => Ecosystem::Packagist,
            _ => return None,
        })
    }

    /// Compares two versions with this ecosystem's rules (see the module
    /// documentation for the contract).
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Ecosystem::Debian | Ecosystem::Ubuntu => dpkg::compare(a, b),
            Ecosystem::Alpine => apk::compare(a, b),
            Ecosystem::Rpm => rpm::compare(a, b),
            Ecosystem::SemVer => semver::compare(a, b),
            Ecosystem::Pep440 => pep440::compare(a, b),
            Ecosystem::Maven => maven::compare(a, b),
            Ecosystem::RubyGems => rubygems::compare(a, b),
            Ecosystem::Packagist => packagist::compare(a, b),
        }
    }

    /// Whether `v` is well-formed for this ecosystem. Malformed versions
    /// still compare (with the documented fallback); importers can use this
    /// to flag suspicious advisory data.
    pub fn is_valid(self, v: &str) -> bool {
        match self {
            Ecosystem::Debian | Ecosystem::Ubuntu => dpkg::is_valid(v),
            Ecosystem::Alpine => apk::is_valid(v),
            Ecosystem::Rpm => rpm::is_valid(v),
            Ecosystem::SemVer => semver::is_valid(v),
            Ecosystem::Pep440 => pep440::is_valid(v),
            Ecosystem::Maven => maven::is_valid(v),
            Ecosystem::RubyGems => rubygems::is_valid(v),
            Ecosystem::Packagist => packagist::is_valid(v),
        }
    }
}

/// The shared fallback for grammar-based schemes: parsed keys compare
/// normally, malformed versions sort first and among themselves by bytes.
pub(crate) fn with_fallback<K: Ord>(a: &str, ka: Option<K>, b: &str, kb: Option<K>) -> Ordering {
    match (ka, kb) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => a.as_bytes().cmp(b.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_osv_names() {
        let cases = [
            ("Debian", Ecosystem::Debian),
            ("Debian:12", Ecosystem::Debian),
            ("Ubuntu:22.04:LTS", Ecosystem::Ubuntu),
            ("Alpine", Ecosystem::Alpine),
            ("Alpine:v3.18", Ecosystem::Alpine),
            ("PyPI", Ecosystem::Pep440),
            ("npm", Ecosystem::SemVer),
            ("crates.io", Ecosystem::SemVer),
            ("Go", Ecosystem::SemVer),
            ("Maven", Ecosystem::Maven),
            ("RubyGems", Ecosystem::RubyGems),
            ("Packagist", Ecosystem::Packagist),
            ("Red Hat", Ecosystem::Rpm),
            ("Red Hat:enterprise_linux:9::appstream", Ecosystem::Rpm),
            ("Rocky Linux", Ecosystem::Rpm),
            ("AlmaLinux:9", Ecosystem::Rpm),
            ("SUSE", Ecosystem::Rpm),
            ("openSUSE", Ecosystem::Rpm),
        ];
        for (name, eco) in cases {
            assert_eq!(Ecosystem::from_osv(name), Some(eco), "{name}");
        }
        assert_eq!(Ecosystem::from_osv("NuGet"), None);
        assert_eq!(Ecosystem::from_osv(""), None);
        assert_eq!(
            Ecosystem::from_osv("pypi"),
            None,
            "OSV names are case-sensitive"
        );
    }

    #[test]
    fn dispatch() {
        assert_eq!(Ecosystem::Debian.compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(Ecosystem::Pep440.compare("1.0rc1", "1.0"), Ordering::Less);
        assert_eq!(
            Ecosystem::SemVer.compare("v1.0.0", "1.0.0"),
            Ordering::Equal
        );
        assert!(Ecosystem::SemVer.is_valid("v1.2.3+incompatible"));
    }
}
