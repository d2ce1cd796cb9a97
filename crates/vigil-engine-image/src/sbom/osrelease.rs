//! `/etc/os-release` (or `/usr/lib/os-release`): `KEY=value` lines, values optionally quoted
//! with `"` or `'` (backslash escapes inside double quotes), comments and blank lines ignored.

use super::analyzer::{Analyzer, Input, Output};

/// The fields of an os-release file the analyzers use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` (`debian`, `alpine`, `ubuntu`).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.18.4`).
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`).
    pub version_codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// The purl `distro` qualifier value: `ID-VERSION_ID` (`debian-12`), or `ID` alone.
    pub fn purl_distro(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{v}", self.id),
            None => self.id.clone(),
        }
    }
}

/// Parses an os-release file; `None` if it has no non-empty `ID`.
pub fn parse(data: &[u8]) -> Option<OsRelease> {
    let text = String::from_utf8_lossy(data);
    let mut out = OsRelease::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        let value = (!value.is_empty()).then_some(value);
        match key.trim() {
            "ID" => out.id = value.unwrap_or_default(),
            "VERSION_ID" => out.version_id = value,
            "VERSION_CODENAME" => out.version_codename = value,
            "PRETTY_NAME" => out.pretty_name = value,
            _ => {}
        }
    }
    (!out.id.is_empty()).then_some(out)
}

fn unquote(v: &str) -> String {
    let mut chars = v.chars();
    match chars.next() {
        Some(q @ ('"' | '\'')) => {
            let mut out = String::new();
            let mut escaped = false;
            for c in chars {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    break;
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => v.to_string(),
    }
}

/// The os-release file: kept for [`super::distro`], which qualifies the other analyzers'
/// purls; it adds no packages itself.
pub(crate) struct OsReleaseFile;

impl Analyzer for OsReleaseFile {
    fn name(&self) -> &'static str {
        "os-release"
    }
    fn wants(&self, path: &str) -> bool {
        super::OS_RELEASE_PATHS.contains(&path)
    }
    fn cap(&self) -> u64 {
        super::MAX_OS_RELEASE_BYTES
    }
    fn read(&self, _: &Input<'_>, _: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_and_alpine() {
        let d = parse(
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n\
              VERSION_CODENAME=bookworm\nID=debian\n# c\n",
        )
        .unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            d.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(d.purl_distro(), "debian-12");
        let a = parse(b"ID='alpine'\nVERSION_ID=3.18.4\nPRETTY_NAME=\"A \\\"x\\\"\"\n").unwrap();
        assert_eq!(a.purl_distro(), "alpine-3.18.4");
        assert_eq!(a.pretty_name.as_deref(), Some("A \"x\""));
        assert_eq!(parse(b"NAME=x\n"), None);
    }
}
