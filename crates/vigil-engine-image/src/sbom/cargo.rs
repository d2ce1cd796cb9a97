//! Rust crates: `Cargo.lock` files (lock format versions 1 to 4: all list `[[package]]`
//! tables with `name`, `version` and, except for workspace members and path dependencies,
//! `source`) and binaries built with `cargo auditable`, which carry the dependency tree as
//! zlib-compressed JSON in the ELF section `.dep-v0`
//! (`{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`).
//!
//! Crates whose source is local (no `source` in a lock file, `"source": "local"` in audit data)
//! are left out: they are the application's own workspace and path crates, not published
//! crates, and matching them by name against crates.io advisories would be wrong. Registry and
//! git crates are kept. Build-time crates of audit data (`"kind": "build"`: build scripts,
//! proc macros) are kept and marked as such.

use super::analyzer::{Analyzer, Input, Output};

use std::io::Read;

use serde::Deserialize;

use super::elf::Elf;

/// Largest decompressed audit JSON read, in bytes.
pub const MAX_AUDIT_JSON_BYTES: u64 = 8 << 20;

/// One crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Source: `registry+https://…` / `git+https://…` in a lock file, `crates.io`, `git` or
    /// `registry` in audit data.
    pub source: String,
    /// A build-time dependency (audit data `"kind": "build"`).
    pub build: bool,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    /// Not UTF-8 TOML.
    #[error("malformed Cargo.lock: {0}")]
    Toml(String),
    /// The audit section does not decompress within the bound.
    #[error("cargo-auditable data: {0}")]
    Audit(String),
    /// The audit JSON does not parse.
    #[error("cargo-auditable JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses a `Cargo.lock`: packages with a `source`, in file order.
pub fn parse_lock(data: &[u8]) -> Result<Vec<Crate>, CargoError> {
    let text = std::str::from_utf8(data).map_err(|e| CargoError::Toml(e.to_string()))?;
    let table: toml::Table = toml::from_str(text).map_err(|e| CargoError::Toml(e.to_string()))?;
    let Some(packages) = table.get("package").and_then(|p| p.as_array()) else {
        return Ok(Vec::new());
    };
    Ok(packages
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let version = p.get("version")?.as_str()?;
            let source = p.get("source")?.as_str()?;
            (!name.is_empty() && !version.is_empty()).then(|| Crate {
                name: name.to_string(),
                version: version.to_string(),
                source: source.to_string(),
                build: false,
            })
        })
        .collect())
}

#[derive(Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    /// `"crates.io"`, `"git"`, `"local"`, `"registry"`, or `{"Other": "…"}`.
    #[serde(default)]
    source: Option<serde_json::Value>,
    #[serde(default)]
    kind: Option<String>,
}

fn source_string(v: Option<serde_json::Value>) -> String {
    match v {
        None => "crates.io".into(),
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Object(o)) => o
            .get("Other")
            .and_then(|s| s.as_str())
            .unwrap_or("other")
            .to_string(),
        Some(_) => "other".into(),
    }
}

/// The crates recorded by `cargo auditable` in an ELF binary: `None` when there is no readable
/// `.dep-v0` section, else the non-local crates (or why the data is unreadable).
pub fn read_auditable(elf_data: &[u8]) -> Option<Result<Vec<Crate>, CargoError>> {
    let section = Elf::parse(elf_data)?.section(".dep-v0")?;
    Some(parse_audit_data(section))
}

/// Decompresses and parses `.dep-v0` contents.
pub fn parse_audit_data(compressed: &[u8]) -> Result<Vec<Crate>, CargoError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| CargoError::Audit(e.to_string()))?;
    if json.len() as u64 > MAX_AUDIT_JSON_BYTES {
        return Err(CargoError::Audit(format!(
            "more than {MAX_AUDIT_JSON_BYTES} bytes"
        )));
    }
    let audit: Audit = serde_json::from_slice(&json)?;
    Ok(audit
        .packages
        .into_iter()
        .filter(|p| !p.name.is_empty() && !p.version.is_empty())
        .filter_map(|p| {
            let source = source_string(p.source);
            (source != "local").then(|| Crate {
                name: p.name,
                version: p.version,
                source,
                build: p.kind.as_deref() == Some("build"),
            })
        })
        .collect())
}

/// `Cargo.lock` files.
pub(crate) struct Lock;

impl Analyzer for Lock {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }
    fn wants(&self, path: &str) -> bool {
        path.ends_with("/Cargo.lock")
    }
    fn cap(&self) -> u64 {
        super::MAX_LOCK_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        match parse_lock(file.data) {
            Ok(crates) => {
                for c in crates {
                    let purl = super::cargo_purl(&c.name, &c.version);
                    out.package(c.name, c.version, "cargo", purl);
                }
            }
            Err(e) => out.skip(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lock_versions() {
        // Version 1 (checksums in [metadata]) and version 3 forms.
        let v1 = b"[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"libc 0.2.80 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n\
[[package]]\nname = \"libc\"\nversion = \"0.2.80\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
[metadata]\n\"checksum libc 0.2.80 (registry+https://github.com/rust-lang/crates.io-index)\" = \"abc\"\n";
        let c = parse_lock(v1).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].name.as_str(), c[0].version.as_str()),
            ("libc", "0.2.80")
        );
        let v3 = b"version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ab\"\n\n\
[[package]]\nname = \"dep\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/dep#abc\"\n";
        let c = parse_lock(v3).unwrap();
        assert_eq!(c.len(), 2);
        assert!(c[1].source.starts_with("git+"));
        assert!(parse_lock(b"[[package]\n").is_err());
        assert!(parse_lock(b"\xff").is_err());
        assert!(parse_lock(b"").unwrap().is_empty());
    }

    #[test]
    fn audit_data() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"serde","version":"1.0.200","source":"crates.io"},
            {"name":"serde_derive","version":"1.0.200","source":"crates.io","kind":"build"},
            {"name":"inhouse","version":"0.3.0","source":{"Other":"sparse+https://r.example/"}}],
            "format":1}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json).unwrap();
        let c = parse_audit_data(&z.finish().unwrap()).unwrap();
        assert_eq!(c.len(), 3);
        assert!(!c[0].build && c[1].build);
        assert_eq!(c[2].source, "sparse+https://r.example/");
        assert!(parse_audit_data(b"not zlib").is_err());
        // A zlib bomb stops at the bound.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(MAX_AUDIT_JSON_BYTES >> 20) + 1 {
            z.write_all(&zeros).unwrap();
        }
        let bomb = z.finish().unwrap();
        assert!(matches!(parse_audit_data(&bomb), Err(CargoError::Audit(_))));
    }
}
