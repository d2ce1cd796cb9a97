//! Advisory severity: CVSS base scores and qualitative labels.
//!
//! The label of an advisory comes from, in order:
//!
//! 1. its OSV `severity[]` CVSS vectors, scored with the RustSec `cvss`
//!    crate: a `CVSS_V3` vector (3.1 preferred over 3.0) first, then
//!    `CVSS_V4`, then `CVSS_V2`; the label is the CVSS qualitative rating
//!    of the base score (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low >
//!    0, none = 0);
//! 2. `database_specific.severity` (GitHub advisory style: `CRITICAL`,
//!    `HIGH`, `MODERATE`, `LOW`), top-level or on an affected entry;
//! 3. an OSV `severity[]` entry of type `Ubuntu` (`Critical`, `High`,
//!    `Medium`, `Low`, `Negligible`);
//! 4. otherwise `unknown`.
//!
//! Unparseable vectors are ignored (never an error): the next source is
//! tried.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Qualitative severity of an advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No label could be derived.
    Unknown,
    /// CVSS 0.0.
    None,
    /// CVSS 0.1–3.9, or a vendor's low/negligible label.
    Low,
    /// CVSS 4.0–6.9, or a vendor's moderate/medium label.
    Medium,
    /// CVSS 7.0–8.9, or a vendor's high/important label.
    High,
    /// CVSS 9.0–10.0, or a vendor's critical label.
    Critical,
}

impl Severity {
    /// The lowercase label (`critical`, `high`, `medium`, `low`, `none`,
    /// `unknown`), as stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a label case-insensitively: the stored labels plus vendor
    /// words (`moderate`, `important`, `negligible`). `None` for anything
    /// else.
    pub fn from_label(label: &str) -> Option<Severity> {
        Some(match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "moderate" | "medium" => Severity::Medium,
            "low" | "negligible" => Severity::Low,
            "none" => Severity::None,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scored CVSS vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// The vector as written in the advisory.
    pub vector: String,
    /// The base score, 0.0–10.0.
    pub score: f64,
    /// The CVSS version: `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
}

impl CvssScore {
    /// The qualitative rating of the score (CVSS v3/v4 scale).
    pub fn severity(&self) -> Severity {
        label_of_score(self.score)
    }
}

/// Scores a CVSS vector string (`CVSS:3.1/AV:N/…`, `CVSS:4.0/…`, or a v2
/// vector without prefix). `None` when it does not parse or is absurdly
/// long.
pub fn cvss_score(vector: &str) -> Option<CvssScore> {
    let vector = vector.trim();
    if vector.is_empty() || vector.len() > 512 {
        return None;
    }
    let parsed = cvss::Cvss::from_str(vector).ok()?;
    let version = match parsed {
        cvss::Cvss::CvssV20(_) => "2.0",
        cvss::Cvss::CvssV30(_) => "3.0",
        cvss::Cvss::CvssV31(_) => "3.1",
        cvss::Cvss::CvssV40(_) => "4.0",
        _ => return None,
    };
    let score = parsed.score();
    if !score.is_finite() || !(0.0..=10.0).contains(&score) {
        return None;
    }
    Some(CvssScore {
        vector: vector.to_owned(),
        score: (score * 10.0).round() / 10.0,
        version: version.to_owned(),
    })
}

/// The CVSS v3/v4 qualitative rating of a base score.
pub fn label_of_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score > 0.0 {
        Severity::Low
    } else {
        Severity::None
    }
}

/// One OSV `severity[]` entry: `type` and `score` (a vector for CVSS types,
/// a word for `Ubuntu`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityEntry {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The vector or label.
    #[serde(default)]
    pub score: String,
}

/// Derives the label and the CVSS score of an advisory (see the module
/// documentation for the order). `database_specific` are the free-form
/// `severity` strings found in the record's `database_specific` objects.
pub fn assess(
    entries: &[SeverityEntry],
    database_specific: &[&str],
) -> (Severity, Option<CvssScore>) {
    let scored = |kind: &str| {
        entries
            .iter()
            .filter(|e| e.kind.eq_ignore_ascii_case(kind))
            .filter_map(|e| cvss_score(&e.score))
            .max_by(|a, b| a.version.cmp(&b.version))
    };
    if let Some(s) = scored("CVSS_V3")
        .or_else(|| scored("CVSS_V4"))
        .or_else(|| scored("CVSS_V2"))
    {
        let label = if s.version == "2.0" {
            // CVSS v2 has no critical/none bands.
            match s.score {
                x if x >= 7.0 => Severity::High,
                x if x >= 4.0 => Severity::Medium,
                _ => Severity::Low,
            }
        } else {
            s.severity()
        };
        return (label, Some(s));
    }
    if let Some(l) = database_specific
        .iter()
        .find_map(|s| Severity::from_label(s))
    {
        if l != Severity::Unknown {
            return (l, None);
        }
    }
    if let Some(l) = entries
        .iter()
        .filter(|e| e.kind.eq_ignore_ascii_case("Ubuntu"))
        .find_map(|e| Severity::from_label(&e.score))
    {
        return (l, None);
    }
    (Severity::Unknown, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: &str, score: &str) -> SeverityEntry {
        SeverityEntry {
            kind: kind.into(),
            score: score.into(),
        }
    }

    #[test]
    fn known_vectors() {
        let s = cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("valid");
        assert_eq!(s.score, 9.8);
        assert_eq!(s.severity(), Severity::Critical);
        assert_eq!(s.version, "3.1");
        let s = cvss_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H").expect("valid");
        assert_eq!((s.score, s.severity()), (7.8, Severity::High));
        let s = cvss_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H").expect("valid");
        assert_eq!((s.score, s.severity()), (6.5, Severity::Medium));
        let s = cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").expect("valid");
        assert_eq!((s.score, s.severity()), (0.0, Severity::None));
        assert!(cvss_score("CVSS:3.1/AV:X").is_none());
        assert!(cvss_score("garbage").is_none());
        assert!(cvss_score("").is_none());
    }

    #[test]
    fn fallbacks() {
        let (l, c) = assess(&[e("CVSS_V3", "nonsense")], &["MODERATE"]);
        assert_eq!((l, c), (Severity::Medium, None));
        let (l, _) = assess(&[], &[]);
        assert_eq!(l, Severity::Unknown);
        let (l, _) = assess(&[e("Ubuntu", "Negligible")], &[]);
        assert_eq!(l, Severity::Low);
        let (l, c) = assess(
            &[e("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")],
            &["LOW"],
        );
        assert_eq!(l, Severity::Critical, "CVSS wins over database_specific");
        assert_eq!(c.map(|c| c.score), Some(9.8));
    }
}
