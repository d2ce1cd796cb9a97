//! Alpine secdb (`main.yaml`, `community.yaml`): parsing of untrusted YAML
//! and conversion into OSV-shaped [`Record`]s.
//!
//! A secdb file lists, per package of one release and repository, the
//! versions that fixed each CVE:
//!
//! ```yaml
//! distroversion: v3.11
//! reponame: main
//! packages:
//!   - pkg:
//!       name: openssl
//!       secfixes:
//!         1.1.1d-r2:
//!           - CVE-2019-1551
//! ```
//!
//! Conversion, one record per (package, vulnerability id):
//!
//! * id `ALPINE-SECDB:v3.11:openssl:CVE-2019-1551`, alias `CVE-2019-1551`,
//!   ecosystem `Alpine:v3.11`, one `ECOSYSTEM` range `introduced 0, fixed
//!   1.1.1d-r2`;
//! * a fixed version of `0` means the release's package was never affected
//!   (a whitelisted CVE): the entry is recorded with
//!   [`AffectedPackage::not_affected`] and no range;
//! * a CVE listed under several fixed versions (backports on different
//!   branches, e.g. wireshark 2.2.10-r0 and 2.4.2-r0) gets the greatest one,
//!   so a package is reported safe only past every listed fix;
//! * a list item may carry words after the id (`CVE-2018-14468 (FrameRelay)`):
//!   the first word that is an id is the id (`CVE-????-?????  XSA-295` gives
//!   `XSA-295`); `CVE_2019-2426` is read as `CVE-2019-2426`; an item without
//!   any id is skipped with a reason.
//!
//! Bounds: input at most [`MAX_SECDB_BYTES`], YAML nesting and alias
//! expansion limited by `serde_yaml_ng`, at most [`MAX_SECDB_RECORDS`]
//! records per file. Never panics.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use crate::osv::{valid_id, AffectedPackage, Record, Reference};
use crate::range::{Event, Range, RangeKind};
use crate::severity::Severity;
use crate::version::apk;

/// Default upper bound on one secdb YAML file, in bytes.
pub const MAX_SECDB_BYTES: usize = 16 * 1024 * 1024;
/// Upper bound on the records one secdb file may produce.
pub const MAX_SECDB_RECORDS: usize = 1_000_000;

/// A parsed secdb file.
#[derive(Debug, Clone, PartialEq)]
pub struct SecDb {
    /// `distroversion` as written (`v3.11`).
    pub distroversion: String,
    /// `reponame` (`main`, `community`), empty when absent.
    pub reponame: String,
    /// One record per (package, vulnerability id).
    pub records: Vec<Record>,
    /// Entries skipped, with the reason.
    pub skipped: Vec<String>,
}

/// Why a secdb file was not accepted as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecDbError {
    /// Not YAML, or not the secdb shape.
    #[error("not an Alpine secdb file: {0}")]
    Malformed(String),
    /// Larger than the limit.
    #[error("secdb file of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size seen.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// Parses a secdb YAML document (at most [`MAX_SECDB_BYTES`]).
pub fn parse(bytes: &[u8]) -> Result<SecDb, SecDbError> {
    if bytes.len() > MAX_SECDB_BYTES {
        return Err(SecDbError::TooLarge {
            size: bytes.len(),
            limit: MAX_SECDB_BYTES,
        });
    }
    parse_unbounded(bytes)
}

/// [`parse`] without the size check (the importer applies its own
/// configured bound first).
pub(crate) fn parse_unbounded(bytes: &[u8]) -> Result<SecDb, SecDbError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| SecDbError::Malformed(format!("not UTF-8: {e}")))?;
    // The message may quote the document's text: cut on a character boundary.
    let doc: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| SecDbError::Malformed(crate::osv::clip_to(e.to_string(), 200)))?;
    let Value::Mapping(top) = doc else {
        return Err(SecDbError::Malformed("top level is not a mapping".into()));
    };
    let distroversion = match top.get("distroversion").and_then(scalar) {
        Some(v) if release_ok(&v) => v,
        Some(v) => {
            return Err(SecDbError::Malformed(format!(
                "unusable distroversion {:?}",
                v.chars().take(40).collect::<String>()
            )))
        }
        None => return Err(SecDbError::Malformed("no distroversion".into())),
    };
    let reponame = top.get("reponame").and_then(scalar).unwrap_or_default();
    let packages = match top.get("packages") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(s)) => s.iter().collect(),
        Some(_) => return Err(SecDbError::Malformed("packages is not a list".into())),
    };
    // `v3.11` as written; a bare `3.11` gets its `v`; `edge` stays `edge`.
    let ecosystem = if distroversion.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Alpine:v{distroversion}")
    } else {
        format!("Alpine:{distroversion}")
    };
    let mut out = SecDb {
        distroversion: distroversion.clone(),
        reponame,
        records: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, p) in packages.into_iter().enumerate() {
        if let Err(reason) = package(p, &ecosystem, &distroversion, &mut out) {
            out.skipped.push(format!("package #{i}: {reason}"));
        }
        if out.records.len() > MAX_SECDB_RECORDS {
            return Err(SecDbError::Malformed(format!(
                "more than {MAX_SECDB_RECORDS} records"
            )));
        }
    }
    Ok(out)
}

fn release_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// A scalar as text: strings as they are, integers and booleans printed.
/// Floats are refused (YAML would have turned `2.10` into 2.1).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn package(p: &Value, ecosystem: &str, release: &str, out: &mut SecDb) -> Result<(), String> {
    let pkg = p.get("pkg").ok_or("no `pkg`")?;
    let name = pkg
        .get("name")
        .and_then(scalar)
        .filter(|n| !n.is_empty() && n.len() <= 256 && !n.contains(char::is_whitespace))
        .ok_or("no usable `name`")?;
    let secfixes = match pkg.get("secfixes") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Mapping(m)) => m,
        Some(_) => return Err(format!("{name}: secfixes is not a mapping")),
    };
    // vulnerability id -> fixed versions ("0" = never affected)
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in secfixes {
        let Some(fixed) = scalar(k).filter(|f| !f.is_empty() && f.len() <= 128) else {
            out.skipped
                .push(format!("{name}: unusable fixed version {k:?}"));
            continue;
        };
        let ids = match v {
            Value::Null => continue,
            Value::Sequence(s) => s,
            _ => {
                out.skipped
                    .push(format!("{name} {fixed}: list of ids expected"));
                continue;
            }
        };
        for item in ids {
            let Some(text) = scalar(item) else {
                out.skipped.push(format!("{name} {fixed}: non-text id"));
                continue;
            };
            // The first word that is an id: `CVE-2018-14468 (FrameRelay)` →
            // CVE-2018-14468; `CVE-????-?????  XSA-295` → XSA-295.
            let id = text
                .split_whitespace()
                .take(8)
                .map(|w| match w.strip_prefix("CVE_") {
                    Some(rest) => format!("CVE-{rest}"),
                    None => w.to_owned(),
                })
                .find(|w| valid_id(w) && w.len() <= 64);
            let Some(id) = id else {
                out.skipped
                    .push(format!("{name} {fixed}: invalid id {:?}", clip(&text)));
                continue;
            };
            let list = by_id.entry(id).or_default();
            if !list.contains(&fixed) {
                list.push(fixed.clone());
            }
        }
    }
    for (id, fixes) in by_id {
        let real: Vec<&String> = fixes.iter().filter(|f| f.as_str() != "0").collect();
        let (ranges, not_affected, fixed_text) =
            match real.into_iter().max_by(|a, b| apk::compare(a, b)) {
                Some(max) => (
                    vec![Range {
                        kind: RangeKind::Ecosystem,
                        events: vec![Event::Introduced("0".into()), Event::Fixed(max.clone())],
                    }],
                    false,
                    format!("fixed in {max}"),
                ),
                None => (Vec::new(), true, "not affected".to_owned()),
            };
        let mut references = Vec::new();
        if id.starts_with("CVE-") {
            references.push(Reference {
                kind: "ADVISORY".into(),
                url: format!("https://security.alpinelinux.org/vuln/{id}"),
            });
        }
        out.records.push(Record {
            id: format!("ALPINE-SECDB:{release}:{name}:{id}"),
            modified: None,
            published: None,
            summary: Some(format!("{id} in {name} (Alpine {release}, {fixed_text})")),
            details: None,
            aliases: vec![id.clone()],
            references,
            severity: Severity::Unknown,
            cvss: None,
            affected: vec![AffectedPackage {
                ecosystem: ecosystem.to_owned(),
                name: name.clone(),
                ranges,
                versions: Vec::new(),
                not_affected,
            }],
        });
    }
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_entries() {
        let y = br#"
distroversion: v3.11
reponame: main
packages:
  - pkg:
      name: demo
      secfixes:
        1.2-r0:
          - CVE-2020-0001
          - CVE-2020-0002 (extra words)
        1.10-r0:
          - CVE-2020-0001
        "0":
          - CVE-2020-0003
        0.9-r0:
          - CVE-????-?????
  - pkg:
      secfixes: {}
  - pkg:
      name: nofixes
"#;
        let db = parse(y).expect("valid");
        assert_eq!(db.distroversion, "v3.11");
        assert_eq!(db.records.len(), 3);
        let r1 = &db.records[0];
        assert_eq!(r1.id, "ALPINE-SECDB:v3.11:demo:CVE-2020-0001");
        assert_eq!(r1.aliases, vec!["CVE-2020-0001"]);
        assert_eq!(r1.affected[0].ecosystem, "Alpine:v3.11");
        assert_eq!(
            r1.affected[0].ranges[0].events[1],
            Event::Fixed("1.10-r0".into()),
            "the greatest fix wins"
        );
        assert!(db.records[2].affected[0].not_affected);
        assert!(db.records[2].affected[0].ranges.is_empty());
        assert_eq!(db.skipped.len(), 2, "{:?}", db.skipped);
    }

    #[test]
    fn rejects_bad_documents() {
        assert!(parse(b"- a\n- b").is_err());
        assert!(parse(b"distroversion: [1]").is_err());
        assert!(parse(b"packages: []").is_err());
        assert!(parse(b"\xff\xfe").is_err());
        assert!(parse(b"distroversion: v3.1\npackages: 3").is_err());
        assert!(parse(b"distroversion: v3.1\npackages:\n").is_ok());
        let edge = parse(b"distroversion: edge\npackages:\n  - pkg:\n      name: a\n      secfixes:\n        1-r0: [CVE-2020-0001]\n")
            .expect("edge");
        assert_eq!(edge.records[0].affected[0].ecosystem, "Alpine:edge");
        assert_eq!(crate::names::release_of("Alpine:edge"), "edge");
        assert_eq!(
            crate::names::normalize_release("Alpine", "edge").as_deref(),
            Some("edge")
        );
    }
}
