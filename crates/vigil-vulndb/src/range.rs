//! Evaluation of OSV `affected[].ranges` (types `ECOSYSTEM` and `SEMVER`).
//!
//! Implements the algorithm of the OSV schema ("Evaluation" section): the
//! events are sorted by version and walked in order; an `introduced` event
//! at or below the version switches "affected" on, a `fixed` event at or
//! below it (exclusive bound) or a `last_affected` event strictly below it
//! (inclusive bound) switches it off. `introduced: "0"` means "since the
//! first version" and sorts before everything, whatever the ecosystem.
//! `limit` events (meant for `GIT` ranges, rare elsewhere) cap the range:
//! when present, the version must be below at least one limit (`"*"` means
//! no limit).
//!
//! Events with equal versions are processed `fixed` / `last_affected`
//! first and `introduced` last, so adjacent ranges join up (`fixed: X` of
//! one range followed by `introduced: X` of the next leaves `X` affected).
//! This matches the `versions` lists osv.dev generated for the PyPA records
//! (e.g. PYSEC-2022-236: `introduced 0, fixed 3.1.1, …, introduced 3.1.1,
//! fixed 3.1.3` lists 3.1.1 and 3.1.2 as affected). The degenerate
//! `introduced: X, fixed: X` therefore means "from X on".

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::version::{semver, Ecosystem};

/// One event of an OSV range; deserializes from the OSV JSON form
/// (`{"introduced": "1.0"}`, `{"fixed": "1.2"}`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The first affected version (`"0"`: from the beginning).
    Introduced(String),
    /// The first version that is no longer affected (exclusive bound).
    Fixed(String),
    /// The last affected version (inclusive bound).
    LastAffected(String),
    /// An upper limit on the range (exclusive; `"*"` = unbounded).
    Limit(String),
}

impl Event {
    /// The version string carried by the event.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// The `type` of an OSV range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// Versions ordered by the package's ecosystem.
    Ecosystem,
    /// Versions ordered by SemVer 2.0.0 whatever the ecosystem.
    Semver,
    /// Git commits; cannot be evaluated against a version string.
    Git,
}

/// An OSV range: its type and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How versions in `events` are ordered.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The introduced / fixed / last_affected / limit events.
    pub events: Vec<Event>,
}

impl Range {
    /// Whether `version` of a package in `ecosystem` falls in this range.
    /// `SEMVER` ranges use SemVer ordering regardless of `ecosystem`;
    /// `None` for `GIT` ranges, which need commit history.
    pub fn affects(&self, ecosystem: Ecosystem, version: &str) -> Option<bool> {
        match self.kind {
            RangeKind::Ecosystem => Some(affected(ecosystem, version, &self.events)),
            RangeKind::Semver => Some(affected_by(semver::compare, version, &self.events)),
            RangeKind::Git => None,
        }
    }
}

/// Whether `version` is affected according to `events`, comparing versions
/// with `ecosystem`'s ordering (OSV evaluation algorithm; see the module
/// documentation).
pub fn affected(ecosystem: Ecosystem, version: &str, events: &[Event]) -> bool {
    affected_by(|a, b| ecosystem.compare(a, b), version, events)
}

fn is_zero(e: &Event) -> bool {
    matches!(e, Event::Introduced(v) if v == "0")
}

fn kind_rank(e: &Event) -> u8 {
    match e {
        Event::Fixed(_) => 0,
        Event::LastAffected(_) => 1,
        Event::Introduced(_) => 2,
        Event::Limit(_) => 3,
    }
}

/// [`affected`] with an arbitrary version ordering.
pub fn affected_by(cmp: impl Fn(&str, &str) -> Ordering, version: &str, events: &[Event]) -> bool {
    let mut limits = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(l) => Some(l.as_str()),
            _ => None,
        })
        .peekable();
    if limits.peek().is_some() && !limits.any(|l| l == "*" || cmp(version, l) == Ordering::Less) {
        return false;
    }

    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| !matches!(e, Event::Limit(_)))
        .collect();
    sorted.sort_by(|a, b| {
        let by_version = match (is_zero(a), is_zero(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => cmp(a.version(), b.version()),
        };
        by_version.then_with(|| kind_rank(a).cmp(&kind_rank(b)))
    });

    let mut affected = false;
    for e in sorted {
        match e {
            Event::Introduced(v) => {
                if v == "0" || cmp(version, v) != Ordering::Less {
                    affected = true;
                }
            }
            Event::Fixed(v) => {
                if cmp(version, v) != Ordering::Less {
                    affected = false;
                }
            }
            Event::LastAffected(v) => {
                if cmp(version, v) == Ordering::Greater {
                    affected = false;
                }
            }
            Event::Limit(_) => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> Vec<Event> {
        s.split_whitespace()
            .map(|t| {
                let (k, v) = t.split_once('=').unwrap_or((t, ""));
                match k {
                    "i" => Event::Introduced(v.into()),
                    "f" => Event::Fixed(v.into()),
                    "l" => Event::LastAffected(v.into()),
                    _ => Event::Limit(v.into()),
                }
            })
            .collect()
    }

    #[test]
    fn basic_semantics() {
        let e = Ecosystem::SemVer;
        let r = ev("i=0 f=1.2.0");
        assert!(affected(e, "0.0.0-alpha", &r));
        assert!(affected(e, "1.1.9", &r));
        assert!(!affected(e, "1.2.0", &r));
        let r = ev("i=1.0.0 l=1.1.0");
        assert!(!affected(e, "0.9.0", &r));
        assert!(affected(e, "1.0.0", &r));
        assert!(affected(e, "1.1.0", &r));
        assert!(!affected(e, "1.1.1", &r));
        // Two ranges in one event list, given out of order.
        let r = ev("f=1.5.0 i=2.0.0 i=1.0.0 f=2.1.0");
        for (v, want) in [
            ("0.1.0", false),
            ("1.0.0", true),
            ("1.4.9", true),
            ("1.5.0", false),
            ("1.9.0", false),
            ("2.0.0", true),
            ("2.1.0", false),
        ] {
            assert_eq!(affected(e, v, &r), want, "{v}");
        }
        // Adjacent ranges join up at the shared version.
        let r = ev("i=0 f=1.0.0 i=1.0.0 f=1.1.0");
        assert!(affected(e, "1.0.0", &r));
        assert!(!affected(e, "1.1.0", &r));
        assert!(affected(e, "1.0.0", &ev("i=1.0.0 l=1.0.0")));
        assert!(!affected(e, "1.0.0", &[]));
        assert!(!affected(e, "3.0.0", &ev("i=0 l=* f=3.0.0")));
        assert!(affected(e, "3.0.0", &ev("i=0 lim=4.0.0")));
        assert!(!affected(e, "4.0.0", &ev("i=0 lim=4.0.0")));
        assert!(affected(e, "9.0.0", &ev("i=0 lim=*")));
    }

    #[test]
    fn deserializes_osv_json_shape() {
        let r: Range = serde_json::from_str(
            r#"{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.20.0"}]}"#,
        )
        .expect("valid OSV range");
        assert_eq!(r.kind, RangeKind::Ecosystem);
        assert_eq!(r.affects(Ecosystem::Pep440, "2.19.1"), Some(true));
        assert_eq!(r.affects(Ecosystem::Pep440, "2.20.0"), Some(false));
    }
}
