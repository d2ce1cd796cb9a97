//! Software bill of materials: the packages installed in an image, from the files package
//! managers leave behind. [`wanted`] is the keep-predicate to pass to [`crate::read`] so the
//! needed file contents are kept (exact paths and patterns, each with a size cap);
//! [`inventory`] turns the kept contents of the final filesystem view into [`Package`]s.
//!
//! Analyzers: [`osrelease`] (the distribution, for purl qualifiers), [`dpkg`] (Debian and
//! derivatives, including distroless `status.d`), [`apk`] (Alpine), [`python`]
//! (`dist-info` / `egg-info` metadata), [`npm`] (`node_modules` manifests).
//!
//! Every parser takes arbitrary bytes and never panics; files larger than their cap are
//! neither kept nor parsed.

pub mod apk;
pub mod dpkg;
pub mod npm;
pub mod osrelease;
pub mod python;

use crate::{FileKind, FileMeta, Image};

pub use osrelease::OsRelease;

/// Cap for the os-release file.
pub const MAX_OS_RELEASE_BYTES: u64 = 64 << 10;
/// Cap for the whole-system package databases (`dpkg/status`, apk `installed`).
pub const MAX_DB_BYTES: u64 = 64 << 20;
/// Cap for one per-package file (`status.d/*`, METADATA, PKG-INFO, `*.egg-info`,
/// package.json).
pub const MAX_PACKAGE_FILE_BYTES: u64 = 1 << 20;

/// os-release locations, in order of preference.
pub const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
/// dpkg status database.
pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Directory of distroless per-package dpkg status files.
pub const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
/// apk database locations.
pub const APK_INSTALLED: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];

/// What kind of file an analyzer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OsRelease,
    DpkgStatus,
    DpkgStatusD,
    Apk,
    Python,
    Npm,
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
        } else if python::is_metadata_path(path) {
            Some(Kind::Python)
        } else if npm::is_package_json(path) {
            Some(Kind::Npm)
        } else {
            None
        }
    }

    fn cap(self) -> u64 {
        match self {
            Kind::OsRelease => MAX_OS_RELEASE_BYTES,
            Kind::DpkgStatus | Kind::Apk => MAX_DB_BYTES,
            Kind::DpkgStatusD | Kind::Python | Kind::Npm => MAX_PACKAGE_FILE_BYTES,
        }
    }
}

/// The keep-predicate for the analyzers: regular files (and hard links) at the paths they
/// read, no larger than the path's cap.
pub fn wanted(meta: &FileMeta) -> bool {
    if !matches!(meta.kind, FileKind::File | FileKind::Hardlink { .. }) {
        return false;
    }
    Kind::of(&meta.path).is_some_and(|k| meta.size <= k.cap())
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Name as the ecosystem writes it (`libc6`, `requests`, `@scope/pkg`).
    pub name: String,
    /// Version as recorded (`2.36-9+deb12u4`, with any epoch).
    pub version: String,
    /// `deb`, `apk`, `pypi` or `npm`.
    pub ecosystem: &'static str,
    /// Package URL.
    pub purl: String,
    /// Architecture (dpkg `Architecture`, apk `A:`), where recorded.
    pub arch: Option<String>,
    /// The file it was found in.
    pub path: String,
    /// Index of the layer that last wrote that file (0 = bottom).
    pub layer: usize,
    /// Source package: dpkg `Source` name (the package's own name when absent), apk origin.
    pub source_name: Option<String>,
    /// Source version, where dpkg `Source:` gives one in parentheses.
    pub source_version: Option<String>,
    /// The distribution from os-release (deb and apk packages only).
    pub distro: Option<OsRelease>,
}

impl From<&Package> for vigil_core::Component {
    fn from(p: &Package) -> Self {
        vigil_core::Component {
            name: p.name.clone(),
            version: Some(p.version.clone()),
            kind: match p.ecosystem {
                "pypi" => "python".to_string(),
                e => e.to_string(),
            },
            purl: Some(p.purl.clone()),
            path: Some(p.path.clone()),
        }
    }
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

/// Every package found in the kept contents of the image's final filesystem view, in path
/// order (and file order within a file). Contents must have been kept with [`wanted`] (or a
/// predicate accepting at least the same files).
pub fn inventory(image: &Image) -> Vec<Package> {
    let distro = distro(image);
    let mut out = Vec::new();
    for (path, meta) in &image.fs.entries {
        let Some(kind) = Kind::of(path) else { continue };
        let Some(data) = image.fs.contents.get(path) else {
            continue;
        };
        if data.len() as u64 > kind.cap() {
            continue;
        }
        let base = |name: String, version: String, ecosystem: &'static str, purl: String| Package {
            name,
            version,
            ecosystem,
            purl,
            arch: None,
            path: path.clone(),
            layer: meta.layer,
            source_name: None,
            source_version: None,
            distro: None,
        };
        match kind {
            Kind::OsRelease => {}
            Kind::DpkgStatus | Kind::DpkgStatusD => {
                let entries = if kind == Kind::DpkgStatus {
                    dpkg::parse_status(data)
                } else {
                    dpkg::parse_status_d(data)
                };
                for e in entries {
                    let purl = deb_purl(&e.name, &e.version, e.arch.as_deref(), distro.as_ref());
                    let mut p = base(e.name.clone(), e.version, "deb", purl);
                    p.arch = e.arch;
                    p.source_name = Some(e.source_name.unwrap_or(e.name));
                    p.source_version = e.source_version;
                    p.distro = distro.clone();
                    out.push(p);
                }
            }
            Kind::Apk => {
                for e in apk::parse(data) {
                    let purl = apk_purl(&e.name, &e.version, e.arch.as_deref(), distro.as_ref());
                    let mut p = base(e.name, e.version, "apk", purl);
                    p.arch = e.arch;
                    p.source_name = e.origin;
                    p.distro = distro.clone();
                    out.push(p);
                }
            }
            Kind::Python => {
                if let Some((name, version)) = python::parse(data) {
                    let purl = pypi_purl(&name, &version);
                    out.push(base(name, version, "pypi", purl));
                }
            }
            Kind::Npm => {
                if let Some((name, version)) = npm::parse(data) {
                    let purl = npm_purl(&name, &version);
                    out.push(base(name, version, "npm", purl));
                }
            }
        }
    }
    out
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
    purl("deb", Some(ns), name, version, arch, distro)
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
    purl("apk", Some(ns), name, version, arch, distro)
}

/// `pkg:pypi/NAME@VERSION` with the PEP 503-normalised name.
pub fn pypi_purl(name: &str, version: &str) -> String {
    purl(
        "pypi",
        None,
        &python::normalize_name(name),
        version,
        None,
        None,
    )
}

/// `pkg:npm/NAME@VERSION`, or `pkg:npm/%40SCOPE/NAME@VERSION` for a scoped name.
pub fn npm_purl(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((scope, n)) if scope.starts_with('@') => {
            purl("npm", Some(scope), n, version, None, None)
        }
        _ => purl("npm", None, name, version, None, None),
    }
}

fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&OsRelease>,
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        s.push_str(&encode(ns));
        s.push('/');
    }
    s.push_str(&encode(name));
    s.push('@');
    s.push_str(&encode(version));
    // Qualifiers, keys sorted.
    let mut q = Vec::new();
    if let Some(a) = arch.filter(|a| !a.is_empty()) {
        q.push(format!("arch={}", encode(a)));
    }
    if let Some(d) = distro {
        q.push(format!("distro={}", encode(&d.purl_distro())));
    }
    if !q.is_empty() {
        s.push('?');
        s.push_str(&q.join("&"));
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
    }
}
