//! The apk database `/lib/apk/db/installed`: records separated by blank lines, one
//! `X:value` field per line (`P` name, `V` version, `A` architecture, `o` origin).

use super::analyzer::{Analyzer, Input, Output};

/// Records larger than this (in bytes) are ignored.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// One installed apk package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkEntry {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
    /// `A:`.
    pub arch: Option<String>,
    /// `o:` (the origin, i.e. source, package).
    pub origin: Option<String>,
}

/// Parses an apk `installed` database; records without `P:` or `V:` are skipped.
pub fn parse(data: &[u8]) -> Vec<ApkEntry> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let (mut name, mut version, mut arch, mut origin) = (None, None, None, None);
    let mut bytes = 0usize;
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if let (Some(n), Some(v), true) =
                (name.take(), version.take(), bytes <= MAX_RECORD_BYTES)
            {
                out.push(ApkEntry {
                    name: n,
                    version: v,
                    arch: arch.take(),
                    origin: origin.take(),
                });
            }
            (name, version, arch, origin) = (None, None, None, None);
            bytes = 0;
            continue;
        }
        bytes = bytes.saturating_add(line.len() + 1);
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let slot = match key {
            "P" => &mut name,
            "V" => &mut version,
            "A" => &mut arch,
            "o" => &mut origin,
            _ => continue,
        };
        *slot = Some(value.to_string());
    }
    out
}

/// The apk database, [`super::APK_INSTALLED`].
pub(crate) struct Installed;

impl Analyzer for Installed {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn wants(&self, path: &str) -> bool {
        super::APK_INSTALLED.contains(&path)
    }
    fn cap(&self) -> u64 {
        super::MAX_DB_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        for e in parse(file.data) {
            let purl = super::apk_purl(&e.name, &e.version, e.arch.as_deref(), file.distro);
            let p = out.package(e.name, e.version, "apk", purl);
            p.arch = e.arch;
            p.source_name = e.origin;
            p.distro = file.distro.cloned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        let e = parse(
            b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:noversion\n\n\
P:busybox\nV:1.36.1-r5\nA:x86_64\n",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "musl");
        assert_eq!(e[0].origin.as_deref(), Some("musl"));
        assert_eq!(e[1].version, "1.36.1-r5");
        assert_eq!(e[1].origin, None);
    }
}
