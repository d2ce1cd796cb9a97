//! dpkg databases: `/var/lib/dpkg/status` (RFC-822-like stanzas separated by blank lines;
//! only packages whose `Status:` is `install ok installed`) and distroless
//! `/var/lib/dpkg/status.d/*` files (one stanza per file, usually without `Status:`).

use super::analyzer::{Analyzer, Input, Output};

/// Stanzas larger than this (in bytes) are ignored.
pub const MAX_STANZA_BYTES: usize = 1 << 20;

/// One installed dpkg package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgEntry {
    /// `Package`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`, if given.
    pub arch: Option<String>,
    /// Name of the `Source` field, if given (else the source package is `name`).
    pub source_name: Option<String>,
    /// Version in parentheses after the `Source` name, if given.
    pub source_version: Option<String>,
}

/// Parses a `status` file: every stanza with `Status: install ok installed`.
pub fn parse_status(data: &[u8]) -> Vec<DpkgEntry> {
    parse(data, true)
}

/// Parses one `status.d/` file: stanzas are taken unless a `Status:` says not installed.
pub fn parse_status_d(data: &[u8]) -> Vec<DpkgEntry> {
    parse(data, false)
}

fn parse(data: &[u8], require_status: bool) -> Vec<DpkgEntry> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut stanza: Vec<&str> = Vec::new();
    let mut bytes = 0usize;
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !stanza.is_empty() && bytes <= MAX_STANZA_BYTES {
                if let Some(e) = entry(&stanza, require_status) {
                    out.push(e);
                }
            }
            stanza.clear();
            bytes = 0;
            continue;
        }
        bytes = bytes.saturating_add(line.len() + 1);
        if bytes <= MAX_STANZA_BYTES {
            stanza.push(line);
        }
    }
    out
}

fn entry(lines: &[&str], require_status: bool) -> Option<DpkgEntry> {
    let (mut name, mut version, mut arch, mut source, mut status) = (None, None, None, None, None);
    for line in lines {
        // Continuation lines (multi-line fields such as Description) carry nothing we use.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let slot = match key.trim().to_ascii_lowercase().as_str() {
            "package" => &mut name,
            "version" => &mut version,
            "architecture" => &mut arch,
            "source" => &mut source,
            "status" => &mut status,
            _ => continue,
        };
        *slot = Some(value.to_string());
    }
    let installed = match &status {
        Some(s) => s.split_whitespace().collect::<Vec<_>>() == ["install", "ok", "installed"],
        None => !require_status,
    };
    if !installed {
        return None;
    }
    let name = name.filter(|n| !n.is_empty())?;
    let version = version.filter(|v| !v.is_empty())?;
    let (source_name, source_version) = match source {
        Some(s) => split_source(&s),
        None => (None, None),
    };
    Some(DpkgEntry {
        name,
        version,
        arch: arch.filter(|a| !a.is_empty()),
        source_name,
        source_version,
    })
}

/// `bash (5.2.15-2)` → (`bash`, `5.2.15-2`).
fn split_source(s: &str) -> (Option<String>, Option<String>) {
    let (name, rest) = match s.split_once('(') {
        Some((n, r)) => (n.trim(), Some(r)),
        None => (s.trim(), None),
    };
    let version = rest
        .and_then(|r| r.split_once(')').map(|(v, _)| v.trim()))
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    ((!name.is_empty()).then(|| name.to_string()), version)
}

/// The dpkg status database, [`super::DPKG_STATUS`].
pub(crate) struct Status;

impl Analyzer for Status {
    fn name(&self) -> &'static str {
        "dpkg"
    }
    fn wants(&self, path: &str) -> bool {
        path == super::DPKG_STATUS
    }
    fn cap(&self) -> u64 {
        super::MAX_DB_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        add(parse_status(file.data), file, out);
    }
}

/// Distroless per-package status files in [`super::DPKG_STATUS_D`] (not their `.md5sums`).
pub(crate) struct StatusD;

impl Analyzer for StatusD {
    fn name(&self) -> &'static str {
        "dpkg-status.d"
    }
    fn wants(&self, path: &str) -> bool {
        path.strip_prefix(super::DPKG_STATUS_D).is_some_and(|name| {
            !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
        })
    }
    fn cap(&self) -> u64 {
        super::MAX_PACKAGE_FILE_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        add(parse_status_d(file.data), file, out);
    }
}

/// Packages of dpkg entries: the source package is the `Source` name, else the package's own.
fn add(entries: Vec<DpkgEntry>, file: &Input<'_>, out: &mut Output<'_>) {
    for e in entries {
        let purl = super::deb_purl(&e.name, &e.version, e.arch.as_deref(), file.distro);
        let p = out.package(e.name.clone(), e.version, "deb", purl);
        p.arch = e.arch;
        p.source_name = Some(e.source_name.unwrap_or(e.name));
        p.source_version = e.source_version;
        p.distro = file.distro.cloned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas() {
        let s = b"Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n\
Architecture: amd64\nSource: bash (5.2.15-2)\nDescription: shell\n more\n .\n\n\
Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\n\
Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\nSource: zlib\n";
        let e = parse_status(s);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "bash");
        assert_eq!(e[0].version, "5.2.15-2+b2");
        assert_eq!(e[0].arch.as_deref(), Some("amd64"));
        assert_eq!(e[0].source_name.as_deref(), Some("bash"));
        assert_eq!(e[0].source_version.as_deref(), Some("5.2.15-2"));
        assert_eq!(e[1].version, "1:1.2.13");
        assert_eq!(e[1].source_name.as_deref(), Some("zlib"));
        assert_eq!(e[1].source_version, None);
        // status.d: no Status field needed.
        let d = parse_status_d(b"Package: libc6\nVersion: 2.36\nArchitecture: arm64\n");
        assert_eq!(d.len(), 1);
        assert!(parse_status(b"Package: libc6\nVersion: 2.36\n").is_empty());
    }

    #[test]
    fn oversized_stanza_ignored() {
        let mut s =
            b"Package: big\nStatus: install ok installed\nVersion: 1\nDescription: x\n".to_vec();
        for _ in 0..(MAX_STANZA_BYTES / 10 + 10) {
            s.extend_from_slice(b" xxxxxxxx\n");
        }
        s.extend_from_slice(b"\nPackage: ok\nStatus: install ok installed\nVersion: 2\n");
        let e = parse_status(&s);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "ok");
    }
}
