//! OSV records: parsing of untrusted JSON into the database's [`Record`].
//!
//! Only what matching and reporting need is kept: identifiers, dates,
//! summary and details, aliases (with `upstream`, which Debian's records use
//! for their CVE ids, and the CVE ids under `related` of distribution errata
//! without CVE aliases), references, severity, and per affected package its
//! ecosystem, name, `ECOSYSTEM`/`SEMVER` ranges and explicit `versions`.
//! `GIT` ranges are dropped (they cannot be evaluated against a version
//! string); a range of an unknown type or with malformed events is dropped
//! too, and the record keeps its other ranges.
//!
//! The parser is bounded: the caller limits the input size
//! ([`MAX_RECORD_BYTES`] by default), serde_json limits nesting depth, and
//! the counts of affected entries, ranges, events, versions, aliases and
//! references are capped (a record over a cap is rejected with a reason,
//! never truncated silently). It never panics.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::range::{Range, RangeKind};
use crate::severity::{self, CvssScore, Severity, SeverityEntry};

/// Default upper bound on one OSV JSON document, in bytes.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

const MAX_ID_LEN: usize = 256;
const MAX_AFFECTED: usize = 10_000;
const MAX_RANGES: usize = 1_000;
const MAX_EVENTS: usize = 10_000;
const MAX_VERSIONS: usize = 200_000;
const MAX_ALIASES: usize = 1_000;
const MAX_REFERENCES: usize = 10_000;

/// One advisory, normalised from OSV (or converted from another format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The advisory id (`PYSEC-2018-28`, `DSA-5514-1`, `DEBIAN-CVE-2011-3374`).
    pub id: String,
    /// RFC 3339 time of the last change, as written.
    pub modified: Option<String>,
    /// RFC 3339 publication time, as written.
    pub published: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub details: Option<String>,
    /// Other ids of the same vulnerability: OSV `aliases` then `upstream`,
    /// without duplicates and without the record's own id.
    pub aliases: Vec<String>,
    /// Links (advisory pages, fixes, reports).
    pub references: Vec<Reference>,
    /// Qualitative severity (see [`crate::severity`]).
    pub severity: Severity,
    /// The CVSS vector the severity came from, scored.
    pub cvss: Option<CvssScore>,
    /// The affected packages.
    pub affected: Vec<AffectedPackage>,
}

/// An OSV reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `WEB`, `FIX`, `REPORT`, `PACKAGE`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The URL.
    #[serde(default)]
    pub url: String,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem as written (`Debian:12`, `Alpine:v3.11`, `PyPI`).
    pub ecosystem: String,
    /// The package name as written.
    pub name: String,
    /// `ECOSYSTEM` and `SEMVER` ranges.
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// The entry states that the package is *not* affected (Alpine secdb
    /// fixed version `0`): matching reports it as such and suppresses the
    /// record's vulnerabilities for this package and release.
    pub not_affected: bool,
}

impl Record {
    /// The CVE ids the record names: its own id when it is a CVE id, and its
    /// aliases that are (`DEBIAN-CVE-…` counts as its CVE).
    pub fn cves(&self) -> Vec<String> {
        cve_ids(&self.id, &self.aliases)
    }
}

/// The CVE ids among `id` and `aliases` (upper-cased, deduplicated, sorted).
/// An id of the form `PREFIX-CVE-YYYY-N` (Debian's `DEBIAN-CVE-…`, Ubuntu's
/// `UBUNTU-CVE-…`) counts as `CVE-YYYY-N`.
pub fn cve_ids(id: &str, aliases: &[String]) -> Vec<String> {
    let mut out: Vec<String> = std::iter::once(id)
        .chain(aliases.iter().map(String::as_str))
        .filter_map(as_cve)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn as_cve(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    let start = up.find("CVE-")?;
    if start != 0 && !up[..start].ends_with('-') {
        return None;
    }
    let cve = &up[start..];
    let mut parts = cve.splitn(3, '-');
    let (_, year, num) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.len() <= 12
        && num.bytes().all(|b| b.is_ascii_digit())
    {
        Some(cve.to_owned())
    } else {
        None
    }
}

/// Whether `id` is acceptable as an advisory or vulnerability id: 1–256
/// printable ASCII characters without spaces, starting with a letter or
/// digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_graphic())
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && !id.contains('?')
}

#[derive(Deserialize)]
struct RawRecord {
    id: Option<String>,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    references: Option<Vec<Value>>,
    #[serde(default)]
    severity: Option<Vec<Value>>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Option<Vec<Value>>,
    #[serde(default)]
    versions: Option<Vec<Value>>,
    database_specific: Option<Value>,
    ecosystem_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: Option<String>,
    name: Option<String>,
}

/// Why a document was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not JSON, or not the OSV shape.
    #[error("not an OSV record: {0}")]
    Malformed(String),
    /// The record is marked `withdrawn`.
    #[error("withdrawn on {0}")]
    Withdrawn(String),
    /// A field is missing or unusable.
    #[error("{0}")]
    Invalid(String),
    /// The document is larger than the limit.
    #[error("document of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size seen (at least).
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// Parses one OSV JSON document (at most [`MAX_RECORD_BYTES`]).
pub fn parse_record(bytes: &[u8]) -> Result<Record, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge {
            size: bytes.len(),
            limit: MAX_RECORD_BYTES,
        });
    }
    parse_record_unbounded(bytes)
}

/// [`parse_record`] without the size check (the importer applies its own
/// configured bound first).
pub(crate) fn parse_record_unbounded(bytes: &[u8]) -> Result<Record, RecordError> {
    // The message may quote the record's text: cut on a character boundary.
    let raw: RawRecord = serde_json::from_slice(bytes)
        .map_err(|e| RecordError::Malformed(clip_to(e.to_string(), 200)))?;
    convert(raw)
}

fn convert(raw: RawRecord) -> Result<Record, RecordError> {
    let id = raw.id.unwrap_or_default().trim().to_owned();
    if !valid_id(&id) {
        return Err(RecordError::Invalid(format!(
            "invalid or missing id {:?}",
            clip(&id)
        )));
    }
    if let Some(w) = raw.withdrawn.filter(|w| !w.trim().is_empty()) {
        return Err(RecordError::Withdrawn(clip(&w)));
    }
    let mut aliases: Vec<String> = Vec::new();
    for a in raw
        .aliases
        .unwrap_or_default()
        .into_iter()
        .chain(raw.upstream.unwrap_or_default())
    {
        let a = a.trim().to_owned();
        if valid_id(&a) && a != id && !aliases.contains(&a) {
            aliases.push(a);
        }
    }
    // A distribution's errata record (AlmaLinux `ALSA-…`, Rocky `RLSA-…`) names the CVEs it
    // fixes only under `related`: they are its CVEs when it has none of its own.
    if as_cve(&id).is_none() && aliases.iter().all(|a| as_cve(a).is_none()) {
        for r in raw.related.unwrap_or_default() {
            let r = r.trim().to_owned();
            if valid_id(&r) && r.to_ascii_uppercase().starts_with("CVE-") && !aliases.contains(&r) {
                aliases.push(r);
            }
        }
    }
    if aliases.len() > MAX_ALIASES {
        return Err(RecordError::Invalid(format!("{} aliases", aliases.len())));
    }

    let refs = raw.references.unwrap_or_default();
    if refs.len() > MAX_REFERENCES {
        return Err(RecordError::Invalid(format!("{} references", refs.len())));
    }
    let references = refs
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Reference>(v).ok())
        .filter(|r| !r.url.is_empty())
        .collect();

    let sev_entries: Vec<SeverityEntry> = raw
        .severity
        .unwrap_or_default()
        .into_iter()
        .take(100)
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();

    let raw_affected = raw.affected.unwrap_or_default();
    if raw_affected.len() > MAX_AFFECTED {
        return Err(RecordError::Invalid(format!(
            "{} affected entries",
            raw_affected.len()
        )));
    }
    let mut db_severities: Vec<String> = Vec::new();
    push_db_severity(&raw.database_specific, &mut db_severities);
    let mut affected = Vec::with_capacity(raw_affected.len());
    for a in raw_affected {
        push_db_severity(&a.database_specific, &mut db_severities);
        push_db_severity(&a.ecosystem_specific, &mut db_severities);
        let Some(pkg) = a.package else { continue };
        let (Some(ecosystem), Some(name)) = (pkg.ecosystem, pkg.name) else {
            continue;
        };
        let (ecosystem, name) = (ecosystem.trim().to_owned(), name.trim().to_owned());
        if ecosystem.is_empty() || name.is_empty() || ecosystem.len() > 256 || name.len() > 1024 {
            continue;
        }
        let raw_ranges = a.ranges.unwrap_or_default();
        if raw_ranges.len() > MAX_RANGES {
            return Err(RecordError::Invalid(format!("{} ranges", raw_ranges.len())));
        }
        let mut ranges = Vec::new();
        for r in raw_ranges {
            let Ok(r) = serde_json::from_value::<Range>(r) else {
                continue;
            };
            if r.kind == RangeKind::Git || r.events.is_empty() {
                continue;
            }
            if r.events.len() > MAX_EVENTS {
                return Err(RecordError::Invalid(format!("{} events", r.events.len())));
            }
            ranges.push(r);
        }
        let raw_versions = a.versions.unwrap_or_default();
        if raw_versions.len() > MAX_VERSIONS {
            return Err(RecordError::Invalid(format!(
                "{} versions",
                raw_versions.len()
            )));
        }
        let versions = raw_versions
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) if !s.is_empty() && s.len() <= 256 => Some(s),
                _ => None,
            })
            .collect();
        affected.push(AffectedPackage {
            ecosystem,
            name,
            ranges,
            versions,
            not_affected: false,
        });
    }
    let refs: Vec<&str> = db_severities.iter().map(String::as_str).collect();
    let (severity, cvss) = severity::assess(&sev_entries, &refs);
    Ok(Record {
        id,
        modified: raw.modified.map(|s| clip_to(s, 64)),
        published: raw.published.map(|s| clip_to(s, 64)),
        summary: raw.summary.map(|s| clip_to(s, 4096)),
        details: raw.details.map(|s| clip_to(s, 256 * 1024)),
        aliases,
        references,
        severity,
        cvss,
        affected,
    })
}

fn push_db_severity(v: &Option<Value>, out: &mut Vec<String>) {
    if let Some(Value::String(s)) = v.as_ref().and_then(|v| v.get("severity")) {
        if s.len() <= 32 {
            out.push(s.clone());
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn clip_to(mut s: String, max: usize) -> String {
    s.truncate(s.floor_char_boundary(max));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's message quotes the offending value; cut at 200 bytes it must stay whole
    /// characters (it panicked when byte 200 fell inside one).
    #[test]
    fn malformed_record_message_with_multibyte_value() {
        for pad in 0..4 {
            let value = format!("{}{}", "a".repeat(pad), "😀".repeat(100));
            let raw = format!(r#"{{"id":"X-1","affected":"{value}"}}"#);
            let Err(RecordError::Malformed(m)) = parse_record(raw.as_bytes()) else {
                panic!("a string is not a list of affected packages");
            };
            assert!(
                m.len() <= 200 && m.starts_with("invalid type: string"),
                "{m}"
            );
        }
    }

    #[test]
    fn cve_extraction() {
        let a = vec![
            "GHSA-x84v-xcm2-53pg".to_owned(),
            "cve-2018-18074".to_owned(),
        ];
        assert_eq!(cve_ids("PYSEC-2018-28", &a), vec!["CVE-2018-18074"]);
        assert_eq!(cve_ids("DEBIAN-CVE-2011-3374", &[]), vec!["CVE-2011-3374"]);
        assert!(cve_ids("NOTCVE-2011-3374X", &[]).is_empty());
        assert!(cve_ids("CVE-????-?????", &[]).is_empty());
    }

    #[test]
    fn parses_minimal_and_rejects_bad() {
        let r = parse_record(
            br#"{"id":"X-1","upstream":["CVE-2020-0001"],"affected":[{"package":{"ecosystem":"PyPI","name":"a"},
                "ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"}]},{"type":"WEIRD","events":[]}],
                "versions":["0.1", 5]}],"database_specific":{"severity":"HIGH"}}"#,
        )
        .expect("valid");
        assert_eq!(r.cves(), vec!["CVE-2020-0001"]);
        // Errata name their CVEs under `related`; records with CVEs of their own keep
        // `related` as merely related.
        let errata = parse_record(
            br#"{"id":"ALSA-2024:0310","related":["CVE-2023-5363","RHSA-2024:0310"],"affected":[]}"#,
        )
        .expect("valid");
        assert_eq!(errata.cves(), vec!["CVE-2023-5363"]);
        let own = parse_record(
            br#"{"id":"GHSA-x","aliases":["CVE-2024-1234"],"related":["CVE-2023-5363"],"affected":[]}"#,
        )
        .expect("valid");
        assert_eq!(own.cves(), vec!["CVE-2024-1234"]);
        assert_eq!(r.affected[0].ranges.len(), 1);
        assert_eq!(r.affected[0].versions, vec!["0.1"]);
        assert_eq!(r.severity, Severity::High);
        assert!(matches!(parse_record(b"{}"), Err(RecordError::Invalid(_))));
        assert!(matches!(
            parse_record(b"[1,2"),
            Err(RecordError::Malformed(_))
        ));
        assert!(matches!(
            parse_record(br#"{"id":"A","withdrawn":"2020-01-01T00:00:00Z"}"#),
            Err(RecordError::Withdrawn(_))
        ));
        let deep = "[".repeat(100_000);
        assert!(parse_record(deep.as_bytes()).is_err());
    }
}
