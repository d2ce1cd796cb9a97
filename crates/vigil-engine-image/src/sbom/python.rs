//! Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, single-file
//! `*.egg-info` (distutils) and unpacked eggs (`*.egg/EGG-INFO/PKG-INFO`, setuptools'
//! `easy_install`), wherever they are (site-packages, dist-packages). RFC-822 headers; the
//! body after the first blank line (the long description) is not read.

use super::analyzer::{Analyzer, Input, Output};

/// Whether `path` is a Python metadata file this module parses.
pub fn is_metadata_path(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with(".egg-info")
        || path.ends_with(".egg/EGG-INFO/PKG-INFO")
}

/// Parses the headers of a METADATA / PKG-INFO file: (`Name`, `Version`) if both are present.
pub fn parse(data: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if key.eq_ignore_ascii_case("name") && name.is_none() {
            name = Some(value.to_string());
        } else if key.eq_ignore_ascii_case("version") && version.is_none() {
            version = Some(value.to_string());
        }
    }
    Some((name?, version?))
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` replaced by one `-` (the
/// vulnerability database's, so that purls and advisories name projects alike).
pub use vigil_vulndb::names::pep503 as normalize_name;

/// Python distribution metadata ([`is_metadata_path`]).
pub(crate) struct Metadata;

impl Analyzer for Metadata {
    fn name(&self) -> &'static str {
        "python"
    }
    fn wants(&self, path: &str) -> bool {
        is_metadata_path(path)
    }
    fn cap(&self) -> u64 {
        super::MAX_PACKAGE_FILE_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        if let Some((name, version)) = parse(file.data) {
            let purl = super::pypi_purl(&name, &version);
            out.package(name, version, "pypi", purl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_names() {
        let m = b"Metadata-Version: 2.1\nName: Zope.Interface\nVersion: 5.0\nSummary: x\n\nName: body\n";
        assert_eq!(parse(m), Some(("Zope.Interface".into(), "5.0".into())));
        assert_eq!(
            parse(b"Metadata-Version: 2.1\n\nName: a\nVersion: 1\n"),
            None
        );
        assert_eq!(normalize_name("Zope.Interface"), "zope-interface");
        assert_eq!(normalize_name("typing__extensions"), "typing-extensions");
        assert!(is_metadata_path(
            "/usr/lib/python3/dist-packages/x-1.dist-info/METADATA"
        ));
        assert!(is_metadata_path(
            "/usr/lib/python3/dist-packages/apt-2.6.egg-info"
        ));
        assert!(is_metadata_path(
            "/usr/lib/python3.11/site-packages/six-1.16.0-py3.11.egg/EGG-INFO/PKG-INFO"
        ));
        assert!(!is_metadata_path("/x.egg/EGG-INFO/SOURCES.txt"));
        assert!(!is_metadata_path("/x.dist-info/RECORD"));
        assert!(!is_metadata_path("/x.egg-info/SOURCES.txt"));
    }
}
