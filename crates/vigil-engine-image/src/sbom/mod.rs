//! Software bill of materials: the packages installed in an image, from the files package
//! managers leave behind and from the binaries themselves.
//!
//! Two ways in, both filled during one [`crate::read_inspected`] pass ([`read_inventory`] does
//! it all):
//! - [`wanted`] is the keep-predicate for files found by path (package databases, lock files,
//!   per-package metadata): the paths the analyzers of the registry in [`analyzer`] ask for,
//!   each with its analyzer's size cap; their contents are kept in the filesystem view and
//!   parsed afterwards by the same analyzers. The reader refuses an image whose kept file is
//!   larger than [`crate::Limits::max_content_bytes`], so [`keep_within`] (what
//!   [`read_inventory`] uses) also leaves out files over that limit, and the inventory notes
//!   them as skipped.
//! - [`Binaries`] is an [`Inspector`](crate::Inspector) for files that cannot be found by path: ELF executables
//!   (Go build information, `cargo auditable` data) and Java archives. It sees every layer's
//!   files as they stream by, keys what it finds by `(path, layer)`, and [`inventory`] keeps
//!   only what [`Filesystem::holds`](crate::Filesystem::holds) confirms in the final view.
//!
//! [`inventory`] turns both into [`Package`]s in path order, with the files that could not be
//! read listed in [`Inventory::skipped`].
//!
//! Analyzers (each registered once in `analyzer::ANALYZERS`, the binary ones in [`Binaries`]):
//! [`osrelease`] (the distribution, for purl qualifiers), [`dpkg`] (Debian and
//! derivatives, including distroless `status.d`), [`apk`] (Alpine), [`rpm`] (the rpm database
//! in its SQLite, Berkeley DB and NDB forms), [`python`] (`dist-info` / `egg-info` metadata),
//! [`npm`] (`node_modules` manifests), [`golang`] (Go build information, through [`elf`]),
//! [`cargo`] (`Cargo.lock` and `cargo auditable` binaries), [`java`] (jar/war/ear archives,
//! nested ones included), [`gem`] (RubyGems specifications), [`composer`] (`composer.lock`,
//! `installed.json`) and [`otp`] (Erlang/OTP application resource files).
//!
//! Every parser takes arbitrary bytes and never panics; files larger than their cap are
//! neither kept nor parsed.

mod analyzer;
pub mod apk;
mod binaries;
pub mod cargo;
pub mod composer;
pub mod dpkg;
pub mod elf;
pub mod gem;
pub mod golang;
pub mod java;
pub mod npm;
pub mod osrelease;
pub mod otp;
pub mod python;
pub mod rpm;

use std::collections::HashMap;

use crate::{FileKind, FileMeta, Image, ImageError, KeptBudget, Limits, ReadOptions, Source};
use analyzer::{analyzer_for, Analyzer, Input, Output};

pub use binaries::{Binaries, MAX_SPOOL_BYTES};
pub use osrelease::OsRelease;

/// Cap for the os-release file.
pub const MAX_OS_RELEASE_BYTES: u64 = 64 << 10;
/// Cap for the whole-system package databases (`dpkg/status`, apk `installed`).
pub const MAX_DB_BYTES: u64 = 64 << 20;
/// Cap for the rpm database (SQLite, Berkeley DB or NDB; a database of a few thousand
/// packages is some hundreds of megabytes at most).
pub const MAX_RPMDB_BYTES: u64 = 256 << 20;
/// Cap for lock files and installed-package lists (`Cargo.lock`, `composer.lock`,
/// `installed.json`).
pub const MAX_LOCK_BYTES: u64 = 16 << 20;
/// Cap for one per-package file (`status.d/*`, METADATA, PKG-INFO, `*.egg-info`,
/// package.json, `*.gemspec`).
pub const MAX_PACKAGE_FILE_BYTES: u64 = 1 << 20;
/// Smallest file [`Binaries`] reads as a possible executable.
pub const MIN_BINARY_BYTES: u64 = 1024;
/// Most packages [`Binaries`] records over one image.
pub const MAX_BINARY_PACKAGES: usize = 1_000_000;

/// os-release locations, in order of preference.
pub const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
/// dpkg status database.
pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Directory of distroless per-package dpkg status files.
pub const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
/// apk database locations.
pub const APK_INSTALLED: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];
/// SQLite rpm database locations (`/usr/lib/sysimage/rpm` on newer Fedora and openSUSE).
pub const RPMDB_SQLITE: [&str; 2] = [
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Berkeley DB rpm database locations (RHEL/CentOS 7 and 8, Rocky/Alma 8, Amazon Linux 2).
/// When an `rpmdb.sqlite` sits in the same directory, rpm uses that one: the Berkeley DB file
/// is then a leftover of a conversion, noted and not read.
pub const RPMDB_BDB: [&str; 2] = ["/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm/Packages"];

/// NDB rpm database locations (SLES 15, openSUSE Leap 15). As with [`RPMDB_BDB`], an
/// `rpmdb.sqlite` in the same directory is read instead.
pub const RPMDB_NDB: [&str; 2] = [
    "/var/lib/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/Packages.db",
];

fn keepable(meta: &FileMeta) -> bool {
    matches!(meta.kind, FileKind::File | FileKind::Hardlink { .. })
}

/// The keep-predicate for the analyzers: regular files (and hard links) at the paths they
/// read, no larger than the path's cap.
pub fn wanted(meta: &FileMeta) -> bool {
    keepable(meta) && analyzer_for(&meta.path).is_some_and(|(_, a)| meta.size <= a.cap())
}

/// The analyzers of files found by path, by name, in order of precedence (`dpkg`, `apk`,
/// `rpm-sqlite`, `python`, `npm`, ...).
pub fn analyzer_names() -> Vec<&'static str> {
    analyzer::ANALYZERS.iter().map(|a| a.name()).collect()
}

/// [`wanted`], leaving out files larger than `limits.max_content_bytes` (which the reader would
/// otherwise refuse the whole image for).
pub fn keep_within(limits: &Limits) -> impl Fn(&FileMeta) -> bool {
    let max = limits.max_content_bytes;
    move |meta: &FileMeta| wanted(meta) && meta.size <= max
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Name as the ecosystem writes it (`libc6`, `requests`, `@scope/pkg`, Go module path,
    /// Maven `GROUP:ARTIFACT` (or `ARTIFACT` when no group is known), Composer `vendor/name`).
    pub name: String,
    /// Version as recorded (`2.36-9+deb12u4`, with any epoch; rpm `[EPOCH:]VERSION-RELEASE`;
    /// Go module versions with their `v`; the Go toolchain as `1.24.3`).
    pub version: String,
    /// `deb`, `apk`, `rpm`, `pypi`, `npm`, `golang`, `cargo`, `maven`, `gem` or `composer`.
    pub ecosystem: &'static str,
    /// Package URL.
    pub purl: String,
    /// Architecture (dpkg `Architecture`, apk `A:`, rpm `ARCH`), where recorded.
    pub arch: Option<String>,
    /// The file it was found in. For a Java archive nested in another, the outer file and the
    /// members leading to it, joined with `!/` (`/app/app.war!/WEB-INF/lib/a.jar`).
    pub path: String,
    /// Index of the layer that last wrote that (outer) file (0 = bottom).
    pub layer: usize,
    /// Source package: dpkg `Source` name (the package's own name when absent), apk origin,
    /// rpm `SOURCERPM` name.
    pub source_name: Option<String>,
    /// Source version, where dpkg `Source:` gives one in parentheses.
    pub source_version: Option<String>,
    /// The distribution from os-release (deb, apk and rpm packages only).
    pub distro: Option<OsRelease>,
    /// License as recorded (rpm `LICENSE`), where read.
    pub license: Option<String>,
    /// Not part of the running program: a Composer `packages-dev` / `dev-package-names`
    /// entry, or a build-time crate of `cargo auditable` data.
    pub dev: bool,
}

impl Package {
    /// Roughly the memory this package takes (the struct, its strings and their allocation
    /// overhead), for the scan's [`KeptBudget`].
    pub(crate) fn approx_bytes(&self) -> u64 {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let distro = self.distro.as_ref().map_or(0, |d| {
            d.id.capacity() + opt(&d.version_id) + opt(&d.version_codename) + opt(&d.pretty_name)
        });
        let strings = self.name.capacity()
            + self.version.capacity()
            + self.purl.capacity()
            + self.path.capacity()
            + opt(&self.arch)
            + opt(&self.source_name)
            + opt(&self.source_version)
            + opt(&self.license)
            + distro;
        // About 16 bytes of allocator overhead for each of the (up to) 12 strings.
        (std::mem::size_of::<Package>() + strings + 12 * 16) as u64
    }

    fn new(
        name: String,
        version: String,
        ecosystem: &'static str,
        purl: String,
        path: String,
        layer: usize,
    ) -> Package {
        Package {
            name,
            version,
            ecosystem,
            purl,
            arch: None,
            path,
            layer,
            source_name: None,
            source_version: None,
            distro: None,
            license: None,
            dev: false,
        }
    }
}

impl From<&Package> for vigil_core::Component {
    /// The component kind is the ecosystem, with language ecosystems named by language:
    /// `pypi` → `python`, `golang` → `go`, `cargo` → `rust`, `maven` → `java`, `gem` → `ruby`,
    /// `composer` → `php`, `otp` → `erlang` (`deb`, `apk`, `rpm` and `npm` as they are).
    fn from(p: &Package) -> Self {
        vigil_core::Component {
            name: p.name.clone(),
            version: Some(p.version.clone()),
            kind: match p.ecosystem {
                "pypi" => "python",
                "golang" => "go",
                "cargo" => "rust",
                "maven" => "java",
                "gem" => "ruby",
                "composer" => "php",
                "otp" => "erlang",
                e => e,
            }
            .to_string(),
            purl: Some(p.purl.clone()),
            path: Some(p.path.clone()),
            detail: None,
        }
    }
}

/// A file the inventory could not read (or read only in part), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// The layer that last wrote it.
    pub layer: usize,
    /// Why.
    pub reason: String,
}

/// The packages of an image and the files that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Packages in path order (and file order within a file).
    pub packages: Vec<Package>,
    /// Files an analyzer wanted but could not read, in path order.
    pub skipped: Vec<Skipped>,
}

/// Reads an image and inventories it in one pass: [`keep_within`] the read's limits as the
/// keep-predicate, [`Binaries`] as the inspector, then [`inventory`], all within one
/// [`KeptBudget`] of [`Limits::max_kept_bytes`]. Synchronous.
pub fn read_inventory(
    source: &Source,
    opts: &ReadOptions,
) -> Result<(Image, Inventory), ImageError> {
    let budget = KeptBudget::of(&opts.limits);
    let mut binaries = Binaries::within(budget.clone());
    let keep = keep_within(&opts.limits);
    let image = crate::read_within(source, opts, &keep, &mut binaries, &budget)?;
    let inventory = inventory(&image, &binaries, &budget)?;
    Ok((image, inventory))
}

/// The distribution of the image, from the first os-release file whose contents were kept
/// and parse (`/etc/os-release` is often a symbolic link to `/usr/lib/os-release`).
pub fn distro(image: &Image) -> Option<OsRelease> {
    OS_RELEASE_PATHS.iter().find_map(|p| {
        let data = image.fs.contents.get(*p)?;
        if data.len() as u64 > MAX_OS_RELEASE_BYTES {
            return None;
        }
        osrelease::parse(data)
    })
}

/// Every package of the image: from the kept contents of the final filesystem view (kept with
/// [`wanted`], [`keep_within`] or a predicate accepting at least the same files) and from what
/// `binaries` recorded for files the view still holds; in path order (and file order within a
/// file). Files of a wanted kind whose contents were not kept or do not parse, and what the
/// binary analyzers could not read, are listed in [`Inventory::skipped`].
///
/// Every package is charged to `budget` (its estimated size) before it is added; once the
/// budget is spent this fails with [`ImageError::Limit`] naming `max_kept_bytes`. A file whose
/// kept contents are another's (a hard link shares its target's bytes) is parsed once: its
/// packages are the other's, under its own path and layer.
pub fn inventory(
    image: &Image,
    binaries: &Binaries,
    budget: &KeptBudget,
) -> Result<Inventory, ImageError> {
    let distro = distro(image);
    let mut out = Inventory::default();
    // What shared contents already gave: (analyzer, address, length) -> the ranges of `out`.
    type Ranges = (std::ops::Range<usize>, std::ops::Range<usize>);
    let mut parsed: HashMap<(usize, usize, usize), Ranges> = HashMap::new();
    for (path, meta) in &image.fs.entries {
        if let Some((index, analyzer)) = analyzer_for(path).filter(|_| keepable(meta)) {
            let key = image
                .fs
                .contents
                .get(path)
                .filter(|_| analyzer.contents_only())
                .map(|data| (index, data.as_ptr() as usize, data.len()));
            match key.and_then(|k| parsed.get(&k)).cloned() {
                Some((packages, skipped)) => {
                    let same = out.packages.get(packages).unwrap_or_default();
                    let cost = same
                        .iter()
                        .map(|p| p.approx_bytes() + path.len() as u64)
                        .sum();
                    budget.charge(cost)?;
                    let copies: Vec<Package> = same
                        .iter()
                        .map(|p| Package {
                            path: path.clone(),
                            layer: meta.layer,
                            ..p.clone()
                        })
                        .collect();
                    out.packages.extend(copies);
                    let notes: Vec<Skipped> = out
                        .skipped
                        .get(skipped)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| Skipped {
                            path: path.clone(),
                            layer: meta.layer,
                            reason: s.reason.clone(),
                        })
                        .collect();
                    out.skipped.extend(notes);
                }
                None => {
                    let before = (out.packages.len(), out.skipped.len());
                    read_file(image, path, meta, analyzer, distro.as_ref(), &mut out);
                    let added = out.packages.get(before.0..).unwrap_or_default();
                    budget.charge(added.iter().map(Package::approx_bytes).sum())?;
                    if let Some(k) = key {
                        let ranges = (before.0..out.packages.len(), before.1..out.skipped.len());
                        parsed.insert(k, ranges);
                    }
                }
            }
        }
        if let Some(found) = binaries
            .found
            .get(path.as_str())
            .and_then(|by_layer| by_layer.get(&meta.layer))
            .filter(|_| image.fs.holds(path, meta.layer))
        {
            budget.charge(found.packages.iter().map(Package::approx_bytes).sum())?;
            out.packages.extend(found.packages.iter().cloned());
            out.skipped.extend(found.notes.iter().map(|n| Skipped {
                path: path.clone(),
                layer: meta.layer,
                reason: n.clone(),
            }));
        }
    }
    Ok(out)
}

/// The packages of one file found by path, read by its analyzer: a file over the analyzer's
/// cap, or whose contents were not kept, is noted as skipped.
fn read_file(
    image: &Image,
    path: &str,
    meta: &FileMeta,
    analyzer: &dyn Analyzer,
    distro: Option<&OsRelease>,
    inventory: &mut Inventory,
) {
    let mut out = Output::new(inventory, path, meta.layer);
    let cap = analyzer.cap();
    if meta.size > cap {
        out.skip(format!(
            "{} bytes, over the cap of {cap} for this file",
            meta.size
        ));
        return;
    }
    let Some(data) = image.fs.contents.get(path) else {
        out.skip(format!(
            "contents not kept ({} bytes; larger than max_content_bytes, or not taken by the \
             keep-predicate)",
            meta.size
        ));
        return;
    };
    if data.len() as u64 > cap {
        return;
    }
    let file = Input {
        image,
        path,
        data,
        distro,
    };
    analyzer.read(&file, &mut out);
}

/// `pkg:deb/ID/NAME@VERSION?arch=ARCH&distro=ID-VERSION_ID` (namespace `debian` when the
/// distribution is unknown).
pub fn deb_purl(
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&OsRelease>,
) -> String {
    let ns = distro.map_or("debian", |d| d.id.as_str());
    purl(
        "deb",
        &[ns],
        name,
        version,
        &distro_qualifiers(arch, distro),
    )
}

/// `pkg:apk/ID/NAME@VERSION?arch=ARCH&distro=ID-VERSION_ID` (namespace `alpine` when the
/// distribution is unknown).
pub fn apk_purl(
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&OsRelease>,
) -> String {
    let ns = distro.map_or("alpine", |d| d.id.as_str());
    purl(
        "apk",
        &[ns],
        name,
        version,
        &distro_qualifiers(arch, distro),
    )
}

/// `pkg:rpm/ID/NAME@VERSION-RELEASE?arch=ARCH&distro=ID-VERSION_ID&epoch=EPOCH` (no
/// namespace when the distribution is unknown).
pub fn rpm_purl(h: &rpm::RpmHeader, distro: Option<&OsRelease>) -> String {
    let ns: Vec<&str> = distro.map(|d| d.id.as_str()).into_iter().collect();
    let mut q = distro_qualifiers(h.arch.as_deref(), distro);
    if let Some(e) = h.epoch {
        q.push(("epoch", e.to_string()));
    }
    let version = format!("{}-{}", h.version, h.release);
    purl("rpm", &ns, &h.name, &version, &q)
}

/// `pkg:pypi/NAME@VERSION` with the PEP 503-normalised name.
pub fn pypi_purl(name: &str, version: &str) -> String {
    purl("pypi", &[], &python::normalize_name(name), version, &[])
}

/// `pkg:npm/NAME@VERSION`, or `pkg:npm/%40SCOPE/NAME@VERSION` for a scoped name.
pub fn npm_purl(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((scope, n)) if scope.starts_with('@') => purl("npm", &[scope], n, version, &[]),
        _ => purl("npm", &[], name, version, &[]),
    }
}

/// `pkg:golang/MODULE/PATH@VERSION`: the module path's segments before the last are the
/// namespace (`pkg:golang/github.com/docker/cli@v28.2.2`); the toolchain is `pkg:golang/stdlib@1.24.3`.
pub fn golang_purl(module: &str, version: &str) -> String {
    let segments: Vec<&str> = module.split('/').filter(|s| !s.is_empty()).collect();
    match segments.split_last() {
        Some((name, ns)) => purl("golang", ns, name, version, &[]),
        None => purl("golang", &[], module, version, &[]),
    }
}

/// `pkg:cargo/NAME@VERSION`.
pub fn cargo_purl(name: &str, version: &str) -> String {
    purl("cargo", &[], name, version, &[])
}

/// `pkg:maven/GROUP/ARTIFACT@VERSION` (without the group when unknown).
pub fn maven_purl(group: Option<&str>, artifact: &str, version: &str) -> String {
    let ns: Vec<&str> = group.into_iter().collect();
    purl("maven", &ns, artifact, version, &[])
}

/// `pkg:gem/NAME@VERSION`, with `?platform=…` for a platform gem.
pub fn gem_purl(name: &str, version: &str, platform: Option<&str>) -> String {
    let q: Vec<(&str, String)> = platform
        .map(|p| ("platform", p.to_string()))
        .into_iter()
        .collect();
    purl("gem", &[], name, version, &q)
}

/// `pkg:composer/VENDOR/NAME@VERSION`.
pub fn composer_purl(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((vendor, n)) => purl("composer", &[vendor], n, version, &[]),
        None => purl("composer", &[], name, version, &[]),
    }
}

fn distro_qualifiers(
    arch: Option<&str>,
    distro: Option<&OsRelease>,
) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(a) = arch {
        q.push(("arch", a.to_string()));
    }
    if let Some(d) = distro {
        q.push(("distro", d.purl_distro()));
    }
    q
}

/// `pkg:TYPE/NS1/NS2/NAME@VERSION?K=V&…`: each namespace segment, the name, the version and
/// each qualifier value percent-encoded; empty segments and values left out; qualifiers
/// sorted by key.
fn purl(
    ty: &str,
    namespace: &[&str],
    name: &str,
    version: &str,
    qualifiers: &[(&str, String)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    for ns in namespace.iter().filter(|n| !n.is_empty()) {
        s.push_str(&encode(ns));
        s.push('/');
    }
    s.push_str(&encode(name));
    s.push('@');
    s.push_str(&encode(version));
    let mut q: Vec<&(&str, String)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort_by_key(|(k, _)| *k);
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&encode(v));
    }
    s
}

/// Percent-encodes everything but ASCII alphanumerics and `.-_~+:` (the characters the purl
/// implementations leave as is in names, versions and qualifier values).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b".-_~+:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inspector;

    fn meta(path: &str, size: u64) -> FileMeta {
        FileMeta {
            path: path.into(),
            kind: FileKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            layer: 0,
            layer_digest: String::new(),
        }
    }

    #[test]
    fn predicate() {
        assert!(wanted(&meta("/etc/os-release", 300)));
        assert!(!wanted(&meta("/etc/os-release", MAX_OS_RELEASE_BYTES + 1)));
        assert!(wanted(&meta("/var/lib/dpkg/status", 1 << 20)));
        assert!(wanted(&meta("/var/lib/dpkg/status.d/libc6", 100)));
        assert!(!wanted(&meta("/var/lib/dpkg/status.d/libc6.md5sums", 100)));
        assert!(!wanted(&meta("/var/lib/dpkg/status-old", 100)));
        assert!(wanted(&meta("/lib/apk/db/installed", 100)));
        assert!(wanted(&meta(
            "/usr/lib/python3/dist-packages/a-1.dist-info/METADATA",
            10
        )));
        assert!(!wanted(&meta(
            "/x/a-1.dist-info/METADATA",
            MAX_PACKAGE_FILE_BYTES + 1
        )));
        assert!(wanted(&meta("/app/node_modules/a/package.json", 10)));
        assert!(!wanted(&meta("/app/package.json", 10)));
        assert!(wanted(&meta("/var/lib/rpm/rpmdb.sqlite", 200 << 20)));
        assert!(wanted(&meta("/usr/lib/sysimage/rpm/rpmdb.sqlite", 1)));
        assert!(!wanted(&meta(
            "/var/lib/rpm/rpmdb.sqlite",
            MAX_RPMDB_BYTES + 1
        )));
        assert!(wanted(&meta("/var/lib/rpm/Packages", 1)));
        assert!(wanted(&meta("/usr/lib/sysimage/rpm/Packages", 1)));
        assert!(wanted(&meta("/usr/lib/sysimage/rpm/Packages.db", 1)));
        assert!(wanted(&meta("/var/lib/rpm/Packages.db", MAX_RPMDB_BYTES)));
        assert!(!wanted(&meta("/var/lib/rpm/Packages", MAX_RPMDB_BYTES + 1)));
        // rpm's Berkeley DB index files are not read.
        assert!(!wanted(&meta("/var/lib/rpm/Name", 1)));
        assert!(!wanted(&meta("/var/lib/rpm/__db.001", 1)));
        assert!(wanted(&meta("/src/app/Cargo.lock", 10)));
        assert!(!wanted(&meta("/src/app/Cargo.toml", 10)));
        assert!(wanted(&meta("/app/composer.lock", 10)));
        assert!(wanted(&meta("/app/vendor/composer/installed.json", 10)));
        assert!(!wanted(&meta("/app/composer.json", 10)));
        assert!(wanted(&meta(
            "/usr/local/bundle/specifications/rack-3.0.8.gemspec",
            10
        )));
        let keep = keep_within(&Limits::default());
        assert!(keep(&meta("/var/lib/rpm/rpmdb.sqlite", 16 << 20)));
        assert!(!keep(&meta("/var/lib/rpm/rpmdb.sqlite", (16 << 20) + 1)));
        let mut link = meta("/etc/os-release", 0);
        link.kind = FileKind::Symlink {
            target: "../usr/lib/os-release".into(),
        };
        assert!(!wanted(&link));
    }

    #[test]
    fn purls() {
        let d = osrelease::parse(b"ID=debian\nVERSION_ID=\"12\"\n").unwrap();
        assert_eq!(
            deb_purl("libc6", "2.36-9+deb12u4", Some("amd64"), Some(&d)),
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            deb_purl("zlib1g", "1:1.2.13", None, None),
            "pkg:deb/debian/zlib1g@1:1.2.13"
        );
        assert_eq!(
            pypi_purl("Typing_Extensions", "4.0"),
            "pkg:pypi/typing-extensions@4.0"
        );
        assert_eq!(
            npm_purl("@scope/pkg", "1.0.0"),
            "pkg:npm/%40scope/pkg@1.0.0"
        );
        assert_eq!(npm_purl("left-pad", "1.3.0"), "pkg:npm/left-pad@1.3.0");
        assert_eq!(encode("a b/c@d"), "a%20b%2Fc%40d");
        let f = osrelease::parse(b"ID=fedora\nVERSION_ID=40\n").unwrap();
        let h = rpm::RpmHeader {
            name: "bash".into(),
            version: "5.2.26".into(),
            release: "3.fc40".into(),
            epoch: Some(1),
            arch: Some("x86_64".into()),
            ..rpm::RpmHeader::default()
        };
        assert_eq!(
            rpm_purl(&h, Some(&f)),
            "pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&epoch=1"
        );
        let h = rpm::RpmHeader {
            epoch: None,
            arch: None,
            ..h
        };
        assert_eq!(rpm_purl(&h, None), "pkg:rpm/bash@5.2.26-3.fc40");
        assert_eq!(
            golang_purl("github.com/docker/cli", "v28.2.2+incompatible"),
            "pkg:golang/github.com/docker/cli@v28.2.2+incompatible"
        );
        assert_eq!(golang_purl("stdlib", "1.24.3"), "pkg:golang/stdlib@1.24.3");
        assert_eq!(
            golang_purl("example.com/app", "(devel)"),
            "pkg:golang/example.com/app@%28devel%29"
        );
        assert_eq!(cargo_purl("serde", "1.0.200"), "pkg:cargo/serde@1.0.200");
        assert_eq!(
            maven_purl(Some("org.apache.commons"), "commons-io", "2.11.0"),
            "pkg:maven/org.apache.commons/commons-io@2.11.0"
        );
        assert_eq!(
            maven_purl(None, "aopalliance", "1.0"),
            "pkg:maven/aopalliance@1.0"
        );
        assert_eq!(gem_purl("rake", "13.0.6", None), "pkg:gem/rake@13.0.6");
        assert_eq!(
            gem_purl("nokogiri", "1.15.4", Some("x86_64-linux")),
            "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux"
        );
        assert_eq!(
            composer_purl("symfony/yaml", "v5.4.0"),
            "pkg:composer/symfony/yaml@v5.4.0"
        );
    }

    #[test]
    fn binaries_want() {
        let b = Binaries::default();
        let mut m = meta("/opt/tool", 4096);
        assert!(!b.wants(&m));
        m.mode = 0o755;
        assert!(b.wants(&m));
        m.size = MIN_BINARY_BYTES - 1;
        assert!(!b.wants(&m));
        assert!(b.wants(&meta("/usr/local/bin/tool", 4096)));
        assert!(b.wants(&meta(
            "/usr/libexec/docker/cli-plugins/docker-compose",
            4096
        )));
        assert!(!b.wants(&meta("/srv/bin.d/tool", 4096)));
        assert!(b.wants(&meta("/app/lib/a.jar", 100)));
        assert!(!b.wants(&meta("/app/lib/a.jar", 10)));
        let mut d = meta("/usr/bin", 4096);
        d.kind = FileKind::Dir;
        d.mode = 0o755;
        assert!(!b.wants(&d));
    }
}
