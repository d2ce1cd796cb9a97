//! The registry of analyzers for files found by path: one [`Analyzer`] per package-manager file
//! (the os-release file, dpkg's status database and distroless `status.d` files, apk's
//! database, the rpm database in its three forms, Python metadata, npm manifests, `Cargo.lock`,
//! gemspecs, Composer's lock and installed lists, Erlang/OTP `.app` files), each saying which
//! paths it reads, the largest file it reads and how it makes packages of one. [`ANALYZERS`]
//! lists them once, in order of precedence; the keep-predicate ([`super::wanted`]) and the
//! inventory ([`super::inventory`]) only iterate it. Adding a reader is one module with its
//! `impl Analyzer` and one line in [`ANALYZERS`].
//!
//! Files that cannot be found by path (Go build information and `cargo auditable` data in ELF
//! executables, Java archives) are read as they stream by, by the [`super::Binaries`]
//! inspector instead.

use super::{apk, cargo, composer, dpkg, gem, npm, osrelease, otp, python, rpm};
use super::{Inventory, OsRelease, Package, Skipped};
use crate::Image;

/// One file an analyzer reads.
pub(crate) struct Input<'a> {
    /// The whole image (an analyzer may look at the file's neighbours).
    pub image: &'a Image,
    /// The file's path.
    pub path: &'a str,
    /// Its contents (no larger than the analyzer's [`Analyzer::cap`]).
    pub data: &'a [u8],
    /// The image's distribution, for purl qualifiers.
    pub distro: Option<&'a OsRelease>,
}

/// Where an analyzer puts what it found in one file: packages (under the file's path and
/// layer) and notes on what it could not read.
pub(crate) struct Output<'a> {
    inventory: &'a mut Inventory,
    path: &'a str,
    layer: usize,
}

impl<'a> Output<'a> {
    pub(super) fn new(inventory: &'a mut Inventory, path: &'a str, layer: usize) -> Output<'a> {
        Output {
            inventory,
            path,
            layer,
        }
    }

    /// Adds a package found in the file; the caller fills in the optional fields.
    pub fn package(
        &mut self,
        name: String,
        version: String,
        ecosystem: &'static str,
        purl: String,
    ) -> &mut Package {
        let p = Package::new(
            name,
            version,
            ecosystem,
            purl,
            self.path.to_string(),
            self.layer,
        );
        let packages = &mut self.inventory.packages;
        packages.push(p);
        let last = packages.len() - 1;
        &mut packages[last]
    }

    /// Notes that (part of) the file could not be read, and why.
    pub fn skip(&mut self, reason: String) {
        self.inventory.skipped.push(Skipped {
            path: self.path.to_string(),
            layer: self.layer,
            reason,
        });
    }
}

/// A reader of one kind of package-manager file found by path.
pub(crate) trait Analyzer: Sync {
    /// Short name, unique in [`ANALYZERS`] (`dpkg`, `rpm-sqlite`, ...).
    fn name(&self) -> &'static str;
    /// Whether it reads the file at `path` (absolute, as in the image's view).
    fn wants(&self, path: &str) -> bool;
    /// Largest file it reads: larger ones are neither kept nor parsed (and noted).
    fn cap(&self) -> u64;
    /// Whether what it makes of a file depends on the file's contents alone (not on its name
    /// or its neighbours), so that files sharing contents (hard links) are parsed once.
    fn contents_only(&self) -> bool {
        true
    }
    /// Adds the packages of one file to `out`, or notes why it could not.
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>);
}

/// Every analyzer of files found by path, in order of precedence: a path is read by the
/// first analyzer that wants it.
pub(crate) static ANALYZERS: &[&dyn Analyzer] = &[
    &osrelease::OsReleaseFile,
    &dpkg::Status,
    &dpkg::StatusD,
    &apk::Installed,
    &rpm::SQLITE,
    &rpm::BERKELEY_DB,
    &rpm::NDB,
    &python::Metadata,
    &npm::PackageJson,
    &cargo::Lock,
    &gem::Specification,
    &composer::Composer,
    &otp::AppFile,
];

/// The analyzer that reads `path` (its index in [`ANALYZERS`] and itself), if any.
pub(crate) fn analyzer_for(path: &str) -> Option<(usize, &'static dyn Analyzer)> {
    ANALYZERS
        .iter()
        .copied()
        .enumerate()
        .find(|(_, a)| a.wants(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names = super::super::analyzer_names();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "{names:?}");
    }

    #[test]
    fn each_path_has_its_analyzer() {
        let cases = [
            ("/etc/os-release", "os-release"),
            ("/usr/lib/os-release", "os-release"),
            ("/var/lib/dpkg/status", "dpkg"),
            ("/var/lib/dpkg/status.d/libc6", "dpkg-status.d"),
            ("/lib/apk/db/installed", "apk"),
            ("/var/lib/rpm/rpmdb.sqlite", "rpm-sqlite"),
            ("/var/lib/rpm/Packages", "rpm-bdb"),
            ("/usr/lib/sysimage/rpm/Packages.db", "rpm-ndb"),
            (
                "/usr/lib/python3/dist-packages/a-1.dist-info/METADATA",
                "python",
            ),
            ("/app/node_modules/a/package.json", "npm"),
            ("/src/Cargo.lock", "cargo-lock"),
            ("/usr/local/bundle/specifications/rack-3.0.8.gemspec", "gem"),
            ("/app/composer.lock", "composer"),
            ("/usr/lib/erlang/lib/kernel-9.0/ebin/kernel.app", "otp"),
        ];
        for (path, name) in cases {
            assert_eq!(
                analyzer_for(path).map(|(_, a)| a.name()),
                Some(name),
                "{path}"
            );
        }
        assert!(analyzer_for("/etc/passwd").is_none());
    }
}
