//! Software bill of materials: the packages installed in an image, from the files package
//! managers leave behind and from the binaries themselves.
//!
//! Two ways in, both filled during one [`crate::read_inspected`] pass ([`read_inventory`] does
//! it all):
//! - [`wanted`] is the keep-predicate for files found by path (package databases, lock files,
//!   per-package metadata), each kind with its own size cap; their contents are kept in the
//!   filesystem view and parsed afterwards. The reader refuses an image whose kept file is
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
//! Analyzers: [`osrelease`] (the distribution, for purl qualifiers), [`dpkg`] (Debian and
//! derivatives, including distroless `status.d`), [`apk`] (Alpine), [`rpm`] (the rpm database
//! in its SQLite, Berkeley DB and NDB forms), [`python`] (`dist-info` / `egg-info` metadata),
//! [`npm`] (`node_modules` manifests), [`golang`] (Go build information, through [`elf`]),
//! [`cargo`] (`Cargo.lock` and `cargo auditable` binaries), [`java`] (jar/war/ear archives,
//! nested ones included), [`gem`] (RubyGems specifications), [`composer`] (`composer.lock`,
//! `installed.json`) and [`otp`] (Erlang/OTP application resource files).
//!
//! Every parser takes arbitrary bytes and never panics; files larger than their cap are
//! neither kept nor parsed.

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

/// What kind of file an analyzer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    OsRelease,
    DpkgStatus,
    DpkgStatusD,
    Apk,
    Rpm,
    RpmBdb,
    RpmNdb,
    Python,
    Npm,
    CargoLock,
    Gem,
    Composer,
    Otp,
}

impl Kind {
    fn of(path: &str) -> Option<Kind> {
        if OS_RELEASE_PATHS.contains(&path) {
            Some(Kind::OsRelease)
        } else if path == DPKG_STATUS {
            Some(Kind::DpkgStatus)
        } else if let Some(name) = path.strip_prefix(DPKG_STATUS_D) {
            (!name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"))
                .then_some(Kind::DpkgStatusD)
        } else if APK_INSTALLED.contains(&path) {
            Some(Kind::Apk)
        } else if RPMDB_SQLITE.contains(&path) {
            Some(Kind::Rpm)
        } else if RPMDB_BDB.contains(&path) {
            Some(Kind::RpmBdb)
        } else if RPMDB_NDB.contains(&path) {
            Some(Kind::RpmNdb)
        } else if python::is_metadata_path(path) {
            Some(Kind::Python)
        } else if npm::is_package_json(path) {
            Some(Kind::Npm)
        } else if path.ends_with("/Cargo.lock") {
            Some(Kind::CargoLock)
        } else if gem::is_gemspec_path(path) {
            Some(Kind::Gem)
        } else if composer::is_composer_path(path) {
            Some(Kind::Composer)
        } else if otp::is_app_path(path) {
            Some(Kind::Otp)
        } else {
            None
        }
    }

    /// Whether what this kind's analyzer makes of a file depends on its contents alone (not on
    /// its name or its neighbours), so files sharing contents share results.
    fn reads_contents_only(self) -> bool {
        !matches!(self, Kind::Composer | Kind::RpmBdb | Kind::RpmNdb)
    }

    fn cap(self) -> u64 {
        match self {
            Kind::OsRelease => MAX_OS_RELEASE_BYTES,
            Kind::DpkgStatus | Kind::Apk => MAX_DB_BYTES,
            Kind::Rpm | Kind::RpmBdb | Kind::RpmNdb => MAX_RPMDB_BYTES,
            Kind::CargoLock | Kind::Composer => MAX_LOCK_BYTES,
            Kind::DpkgStatusD | Kind::Python | Kind::Npm | Kind::Gem | Kind::Otp => {
                MAX_PACKAGE_FILE_BYTES
            }
        }
    }
}

fn keepable(meta: &FileMeta) -> bool {
    matches!(meta.kind, FileKind::File | FileKind::Hardlink { .. })
}

/// The keep-predicate for the analyzers: regular files (and hard links) at the paths they
/// read, no larger than the path's cap.
pub fn wanted(meta: &FileMeta) -> bool {
    keepable(meta) && Kind::of(&meta.path).is_some_and(|k| meta.size <= k.cap())
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
    // What shared contents already gave: (kind, address, length) -> the ranges of `out`.
    type Ranges = (std::ops::Range<usize>, std::ops::Range<usize>);
    let mut parsed: HashMap<(Kind, usize, usize), Ranges> = HashMap::new();
    for (path, meta) in &image.fs.entries {
        if let Some(kind) = Kind::of(path).filter(|_| keepable(meta)) {
            let key = image
                .fs
                .contents
                .get(path)
                .filter(|_| kind.reads_contents_only())
                .map(|data| (kind, data.as_ptr() as usize, data.len()));
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
                    path_kind(image, path, meta, kind, distro.as_ref(), &mut out);
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

/// The packages of one file found by path.
fn path_kind(
    image: &Image,
    path: &str,
    meta: &FileMeta,
    kind: Kind,
    distro: Option<&OsRelease>,
    out: &mut Inventory,
) {
    let skip = |out: &mut Inventory, reason: String| {
        out.skipped.push(Skipped {
            path: path.to_string(),
            layer: meta.layer,
            reason,
        })
    };
    if meta.size > kind.cap() {
        skip(
            out,
            format!(
                "{} bytes, over the cap of {} for this file",
                meta.size,
                kind.cap()
            ),
        );
        return;
    }
    let Some(data) = image.fs.contents.get(path) else {
        skip(
            out,
            format!(
                "contents not kept ({} bytes; larger than max_content_bytes, or not taken by \
                 the keep-predicate)",
                meta.size
            ),
        );
        return;
    };
    if data.len() as u64 > kind.cap() {
        return;
    }
    let base = |name: String, version: String, ecosystem: &'static str, purl: String| {
        Package::new(name, version, ecosystem, purl, path.to_string(), meta.layer)
    };
    let packages = &mut out.packages;
    match kind {
        Kind::OsRelease => {}
        Kind::DpkgStatus | Kind::DpkgStatusD => {
            let entries = if kind == Kind::DpkgStatus {
                dpkg::parse_status(data)
            } else {
                dpkg::parse_status_d(data)
            };
            for e in entries {
                let purl = deb_purl(&e.name, &e.version, e.arch.as_deref(), distro);
                let mut p = base(e.name.clone(), e.version, "deb", purl);
                p.arch = e.arch;
                p.source_name = Some(e.source_name.unwrap_or(e.name));
                p.source_version = e.source_version;
                p.distro = distro.cloned();
                packages.push(p);
            }
        }
        Kind::Apk => {
            for e in apk::parse(data) {
                let purl = apk_purl(&e.name, &e.version, e.arch.as_deref(), distro);
                let mut p = base(e.name, e.version, "apk", purl);
                p.arch = e.arch;
                p.source_name = e.origin;
                p.distro = distro.cloned();
                packages.push(p);
            }
        }
        Kind::RpmBdb | Kind::RpmNdb
            if path
                .rsplit_once('/')
                .and_then(|(dir, _)| image.fs.entries.get(&format!("{dir}/rpmdb.sqlite")))
                .is_some_and(keepable) =>
        {
            skip(
                out,
                "older rpm database next to an rpmdb.sqlite, which rpm uses instead; not read"
                    .into(),
            );
        }
        Kind::Rpm | Kind::RpmBdb | Kind::RpmNdb => {
            let read = match kind {
                Kind::RpmBdb => rpm::bdb::read(data).map_err(|e| e.to_string()),
                Kind::RpmNdb => rpm::ndb::read(data).map_err(|e| e.to_string()),
                _ => rpm::read_sqlite(data).map_err(|e| e.to_string()),
            };
            let rows = match read {
                Ok(rows) => rows,
                Err(e) => {
                    skip(out, format!("rpm database: {e}"));
                    return;
                }
            };
            let (mut bad, mut first_error) = (0usize, None);
            for row in rows {
                let h = match row.header {
                    Ok(h) => h,
                    Err(e) => {
                        bad += 1;
                        first_error.get_or_insert(e);
                        continue;
                    }
                };
                let purl = rpm_purl(&h, distro);
                let mut p = base(h.name.clone(), h.evr(), "rpm", purl);
                p.source_name = h.source_name();
                p.arch = h.arch;
                p.license = h.license;
                p.distro = distro.cloned();
                packages.push(p);
            }
            if let Some(e) = first_error {
                skip(out, format!("{bad} rpm headers unreadable (first: {e})"));
            }
        }
        Kind::Python => {
            if let Some((name, version)) = python::parse(data) {
                let purl = pypi_purl(&name, &version);
                packages.push(base(name, version, "pypi", purl));
            }
        }
        Kind::Otp => {
            if let Some((name, version)) = otp::parse(data) {
                let purl = purl("otp", &[], &name, &version, &[]);
                packages.push(base(name, version, "otp", purl));
            }
        }
        Kind::Npm => {
            if let Some((name, version)) = npm::parse(data) {
                let purl = npm_purl(&name, &version);
                packages.push(base(name, version, "npm", purl));
            }
        }
        Kind::CargoLock => match cargo::parse_lock(data) {
            Ok(crates) => {
                for c in crates {
                    let purl = cargo_purl(&c.name, &c.version);
                    packages.push(base(c.name, c.version, "cargo", purl));
                }
            }
            Err(e) => skip(out, e.to_string()),
        },
        Kind::Gem => {
            if let Some(g) = gem::parse(data) {
                let purl = gem_purl(&g.name, &g.version, g.platform.as_deref());
                packages.push(base(g.name, g.version, "gem", purl));
            }
        }
        Kind::Composer => {
            let parsed = if composer::is_installed_json(path) {
                composer::parse_installed(data)
            } else {
                composer::parse_lock(data)
            };
            match parsed {
                Ok(list) => {
                    for c in list {
                        let purl = composer_purl(&c.name, &c.version);
                        let mut p = base(c.name, c.version, "composer", purl);
                        p.dev = c.dev;
                        packages.push(p);
                    }
                }
                Err(e) => skip(out, e.to_string()),
            }
        }
    }
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
