//! Matching installed packages against the stored advisories.
//!
//! **Lookup.** A [`Query`] names a base ecosystem, an optional distribution
//! release, a package name and version, and for distribution packages
//! optionally the source package and its version. Entries are looked up by
//! (base ecosystem, normalised name) and filtered by release: an entry for
//! a release (`Debian:12`) applies only to that release, an ecosystem-wide
//! entry (`PyPI`, `Debian`) to every release. A query without a release sees
//! only ecosystem-wide entries.
//!
//! **Source packages.** Debian and Ubuntu advisories (and Alpine secdb, which
//! is keyed by origin package) name *source* packages and source versions.
//! When the query carries a source name, entries for the source name are
//! evaluated at the source version (the binary version when no source
//! version is given); entries for the binary's own name are evaluated at the
//! binary version as well (when the names differ). An advisory found both
//! ways is reported once, as found through the source.
//!
//! **Evaluation.** An entry affects the version when the version is in its
//! explicit `versions` list (equal under the ecosystem's ordering) or inside
//! one of its `ECOSYSTEM`/`SEMVER` ranges (see [`crate::range`]). The
//! reported fixed version is the smallest `fixed` event above the installed
//! version among the entry's ranges; [`FixStatus::Fixed`] means there is one.
//!
//! **Not affected.** Entries that say a package is not affected (Alpine
//! secdb fixed version `0`) are returned in [`Assessment::not_affected`] and
//! suppress matches of the same vulnerability on this package: a match is
//! dropped when all of its CVE ids are declared not affected (for records
//! without CVE ids: when its id or an alias is).
//!
//! **One match per vulnerability** (deduplication rule). Several records
//! often describe one vulnerability for one package (Debian's `DSA-…` and
//! `DEBIAN-CVE-…`, PyPA's `PYSEC-…` and GitHub's `GHSA-…`). Matches are
//! grouped by a key: the CVE id when the record names exactly one CVE; when
//! it names none, the smallest of its id and aliases (so two records that
//! alias each other share a key). Each group becomes one [`Match`]:
//!
//! * its advisory is the member with a CVSS score, else a known severity,
//!   else the newest `modified`, else the smallest id; its aliases become
//!   the union of all members' ids and aliases, and the other members' ids
//!   are listed in [`Match::related`];
//! * it is [`FixStatus::Fixed`] only if every member has a fixed version, and
//!   its fixed version is the greatest of them (upgrading to it leaves every
//!   member's range).
//!
//! A record naming several CVEs (a `DSA` covering four) keeps its own key;
//! it is dropped when every CVE it names already has its own match, and its
//! id is then added to those matches' `related`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::params;
use serde::Serialize;

use super::Database;
use crate::error::DbError;
use crate::names::{base_of, normalize_name, normalize_release};
use crate::osv::{cve_ids, Reference};
use crate::range::{Event, Range, RangeKind};
use crate::severity::{CvssScore, Severity};
use crate::version::{semver, Ecosystem};

/// An installed package to look up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Query {
    /// The base OSV ecosystem: `Debian`, `Ubuntu`, `Alpine`, `PyPI`, `npm`,
    /// `crates.io`, `Go`, `Maven`, `RubyGems`, `Packagist`, `Rocky Linux`,
    /// `AlmaLinux`, `Red Hat`, … A `Base:release` form (`Debian:12`) is
    /// accepted and supplies the release when [`Query::release`] is `None`.
    pub ecosystem: String,
    /// The distribution release as the image reports it (`os-release`
    /// `VERSION_ID` such as `12`, `3.11.6`, `22.04`, or a codename such as
    /// `bookworm`); see [`crate::names::normalize_release`].
    pub release: Option<String>,
    /// The (binary) package name.
    pub name: String,
    /// The installed version.
    pub version: String,
    /// The source package (dpkg `Source:`, apk origin), when known.
    pub source_name: Option<String>,
    /// The source package version, when it differs from `version`.
    pub source_version: Option<String>,
}

impl Query {
    /// A query for `name` at `version` in `ecosystem`, without release or
    /// source package.
    pub fn new(ecosystem: &str, name: &str, version: &str) -> Query {
        Query {
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            ..Query::default()
        }
    }

    /// Sets the distribution release.
    pub fn with_release(mut self, release: &str) -> Query {
        self.release = Some(release.to_owned());
        self
    }

    /// Sets the source package and (optionally) its version.
    pub fn with_source(mut self, name: &str, version: Option<&str>) -> Query {
        self.source_name = Some(name.to_owned());
        self.source_version = version.map(str::to_owned);
        self
    }
}

/// Through which name a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedVia {
    /// The binary package's own name and version.
    Binary,
    /// The source package's name and version.
    Source,
}

/// Whether a fixed version is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// A version that fixes the vulnerability exists
    /// ([`Match::fixed_version`]).
    Fixed,
    /// No fixed version is known.
    NotYetFixed,
}

/// An advisory as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advisory {
    /// Its id.
    pub id: String,
    /// The database source it came from.
    pub source: String,
    /// Other ids (CVE, GHSA, …).
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub details: Option<String>,
    /// Qualitative severity.
    pub severity: Severity,
    /// The scored CVSS vector, if any.
    pub cvss: Option<CvssScore>,
    /// Links.
    pub references: Vec<Reference>,
    /// Publication time (RFC 3339, as written).
    pub published: Option<String>,
    /// Last modification time (RFC 3339, as written).
    pub modified: Option<String>,
}

impl Advisory {
    /// The CVE ids among the id and aliases.
    pub fn cves(&self) -> Vec<String> {
        cve_ids(&self.id, &self.aliases)
    }
}

/// One vulnerability affecting the queried package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The advisory (for merged groups, the representative with the merged
    /// aliases; see the module documentation).
    pub advisory: Advisory,
    /// The package name as the record wrote it (the source package's name
    /// when matched through the source).
    pub package: String,
    /// Whether the source or the binary name matched.
    pub matched_via: MatchedVia,
    /// The record's ecosystem string (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    /// The version that was evaluated (source version for source matches).
    pub version: String,
    /// The smallest fixed version above `version`, if known.
    pub fixed_version: Option<String>,
    /// `Fixed` when `fixed_version` is known.
    pub status: FixStatus,
    /// Ids of other records merged into this match.
    pub related: Vec<String>,
}

/// A record stating that the queried package is not affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotAffected {
    /// The record's id.
    pub advisory_id: String,
    /// The vulnerability ids it covers (its aliases).
    pub vulnerability_ids: Vec<String>,
    /// The package name as written.
    pub package: String,
    /// The record's ecosystem string.
    pub ecosystem: String,
}

/// Everything the database says about one package.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Assessment {
    /// The vulnerabilities affecting it, one per vulnerability, most severe
    /// first.
    pub matches: Vec<Match>,
    /// Explicit "not affected" statements for it.
    pub not_affected: Vec<NotAffected>,
}

struct Row {
    pk: i64,
    id: String,
    aliases: Vec<String>,
    modified_us: Option<i64>,
    severity: Severity,
    has_cvss: bool,
    ecosystem: String,
    package: String,
    ranges: Vec<Range>,
    versions: Vec<String>,
    not_affected: bool,
}

struct Raw {
    pk: i64,
    id: String,
    aliases: Vec<String>,
    cves: Vec<String>,
    modified_us: Option<i64>,
    severity: Severity,
    has_cvss: bool,
    ecosystem: String,
    package: String,
    via: MatchedVia,
    version: String,
    fixed: Option<String>,
}

const SQL_ROWS: &str = "
SELECT a.pk, a.id, a.aliases, a.modified_us, a.severity, a.cvss_score IS NOT NULL,
       f.ecosystem, f.package, f.ranges, f.versions, f.not_affected
FROM affected f JOIN advisories a ON a.pk = f.adv
WHERE f.base = ?1 AND f.name = ?2 AND (f.release = '' OR f.release = ?3)
  AND NOT EXISTS (
    SELECT 1 FROM advisories b
    WHERE b.id = a.id AND b.pk <> a.pk
      AND (COALESCE(b.modified_us, -9223372036854775808) > COALESCE(a.modified_us, -9223372036854775808)
           OR (COALESCE(b.modified_us, -9223372036854775808) = COALESCE(a.modified_us, -9223372036854775808)
               AND b.pk > a.pk)))
ORDER BY a.pk";

impl Database {
    /// The vulnerabilities affecting the queried package (see the module
    /// documentation for the rules). Same as `assess(q)?.matches`.
    pub fn matches(&self, q: &Query) -> Result<Vec<Match>, DbError> {
        Ok(self.assess(q)?.matches)
    }

    /// Matches and explicit "not affected" statements for the queried
    /// package.
    pub fn assess(&self, q: &Query) -> Result<Assessment, DbError> {
        let (base, inline_release) = match q.ecosystem.split_once(':') {
            Some((b, r)) => (b.trim(), Some(r)),
            None => (q.ecosystem.trim(), None),
        };
        let base = base_of(base);
        let release = q
            .release
            .as_deref()
            .or(inline_release)
            .and_then(|r| normalize_release(base, r))
            .unwrap_or_default();
        let eco = Ecosystem::from_osv(base);

        let mut candidates: Vec<(String, String, MatchedVia)> = Vec::new();
        if let Some(src) = q.source_name.as_deref().filter(|s| !s.trim().is_empty()) {
            let v = q
                .source_version
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or(&q.version);
            candidates.push((
                normalize_name(base, src),
                v.trim().to_owned(),
                MatchedVia::Source,
            ));
        }
        let bin = normalize_name(base, &q.name);
        if !candidates.iter().any(|(n, _, _)| *n == bin) {
            candidates.push((bin, q.version.trim().to_owned(), MatchedVia::Binary));
        }

        let mut raws: Vec<Raw> = Vec::new();
        let mut not_affected: Vec<NotAffected> = Vec::new();
        let mut seen_pk: BTreeSet<i64> = BTreeSet::new();
        let mut stmt = self.conn.prepare_cached(SQL_ROWS)?;
        for (name, version, via) in &candidates {
            if name.is_empty() || version.is_empty() {
                continue;
            }
            let rows = stmt
                .query_map(params![base, name, release], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                        r.get::<_, bool>(10)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for t in rows {
                let row = Row {
                    pk: t.0,
                    id: t.1,
                    aliases: decode(&t.2)?,
                    modified_us: t.3,
                    severity: Severity::from_label(&t.4).unwrap_or(Severity::Unknown),
                    has_cvss: t.5,
                    ecosystem: t.6,
                    package: t.7,
                    ranges: decode(&t.8)?,
                    versions: decode(&t.9)?,
                    not_affected: t.10,
                };
                if row.not_affected {
                    not_affected.push(NotAffected {
                        advisory_id: row.id,
                        vulnerability_ids: row.aliases,
                        package: row.package,
                        ecosystem: row.ecosystem,
                    });
                    continue;
                }
                if seen_pk.contains(&row.pk) {
                    continue;
                }
                let Some(fixed) = evaluate(eco, version, &row.ranges, &row.versions) else {
                    continue;
                };
                seen_pk.insert(row.pk);
                raws.push(Raw {
                    pk: row.pk,
                    cves: cve_ids(&row.id, &row.aliases),
                    id: row.id,
                    aliases: row.aliases,
                    modified_us: row.modified_us,
                    severity: row.severity,
                    has_cvss: row.has_cvss,
                    ecosystem: row.ecosystem,
                    package: row.package,
                    via: *via,
                    version: version.clone(),
                    fixed,
                });
            }
        }

        // Suppression by explicit "not affected" statements.
        if !not_affected.is_empty() {
            let mut ids: BTreeSet<String> = BTreeSet::new();
            for n in &not_affected {
                ids.extend(n.vulnerability_ids.iter().map(|s| s.to_ascii_uppercase()));
                ids.extend(cve_ids(&n.advisory_id, &n.vulnerability_ids));
            }
            raws.retain(|r| {
                if r.cves.is_empty() {
                    !std::iter::once(&r.id)
                        .chain(&r.aliases)
                        .any(|a| ids.contains(&a.to_ascii_uppercase()))
                } else {
                    !r.cves.iter().all(|c| ids.contains(c))
                }
            });
        }

        let groups = group(raws, eco);
        let mut matches = Vec::with_capacity(groups.len());
        for g in groups {
            let advisory = self.load_advisory(g.pk, g.aliases)?;
            matches.push(Match {
                advisory,
                package: g.package,
                matched_via: g.via,
                ecosystem: g.ecosystem,
                version: g.version,
                status: if g.fixed.is_some() {
                    FixStatus::Fixed
                } else {
                    FixStatus::NotYetFixed
                },
                fixed_version: g.fixed,
                related: g.related,
            });
        }
        matches.sort_by(|a, b| {
            b.advisory
                .severity
                .cmp(&a.advisory.severity)
                .then_with(|| a.advisory.id.cmp(&b.advisory.id))
        });
        Ok(Assessment {
            matches,
            not_affected,
        })
    }

    fn load_advisory(&self, pk: i64, aliases: Vec<String>) -> Result<Advisory, DbError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, summary, details, severity, cvss_vector, cvss_score, cvss_version,
                    refs, published, modified FROM advisories WHERE pk = ?1",
        )?;
        let a = stmt.query_row([pk], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<f64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        })?;
        let cvss = match (a.5, a.6, a.7) {
            (Some(vector), Some(score), Some(version)) => Some(CvssScore {
                vector,
                score,
                version,
            }),
            _ => None,
        };
        Ok(Advisory {
            id: a.0,
            source: a.1,
            aliases,
            summary: a.2,
            details: a.3,
            severity: Severity::from_label(&a.4).unwrap_or(Severity::Unknown),
            cvss,
            references: decode(&a.8)?,
            published: a.9,
            modified: a.10,
        })
    }
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// A version comparator for one range (the ecosystem argument is ignored by
/// the SEMVER one).
type Cmp = fn(Ecosystem, &str, &str) -> Ordering;

/// Whether an affected entry (its ranges and explicit versions) covers
/// `version`: `None` when not, `Some(fixed)` when it does, with the smallest
/// `fixed` event above `version` among its ranges.
///
/// `eco` is the ecosystem's ordering; without one (an ecosystem this crate
/// has no comparator for) only exact `versions` entries and `SEMVER` ranges
/// can match.
pub fn evaluate(
    eco: Option<Ecosystem>,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> Option<Option<String>> {
    let cmp_for = |r: &Range| -> Option<Cmp> {
        match r.kind {
            RangeKind::Semver => Some(|_, a, b| semver::compare(a, b)),
            RangeKind::Ecosystem if eco.is_some() => Some(|e, a, b| e.compare(a, b)),
            _ => None,
        }
    };
    // Any ecosystem value works for SEMVER ranges (the closure ignores it).
    let e = eco.unwrap_or(Ecosystem::SemVer);
    let listed = versions
        .iter()
        .any(|v| v == version || eco.is_some_and(|e| e.compare(v, version) == Ordering::Equal));
    // A malformed installed version (Go's `(devel)`, Composer's `dev-main`) sorts below every
    // version and would fall into each range that starts at 0: only an exact listing may
    // match it.
    let well_formed = |r: &Range| match r.kind {
        RangeKind::Semver => semver::is_valid(version),
        _ => e.is_valid(version),
    };
    let in_range = |r: &Range| match cmp_for(r) {
        Some(c) if well_formed(r) => {
            crate::range::affected_by(|a, b| c(e, a, b), version, &r.events)
        }
        _ => false,
    };
    let matching: Vec<&Range> = ranges.iter().filter(|r| in_range(r)).collect();
    if !listed && matching.is_empty() {
        return None;
    }
    // The fix is sought in the ranges that matched; for a version matched
    // only through the list, in all ranges.
    let pool: Vec<&Range> = if matching.is_empty() {
        ranges.iter().collect()
    } else {
        matching
    };
    let mut best: Option<(&str, Cmp)> = None;
    for r in pool {
        let Some(c) = cmp_for(r) else { continue };
        for ev in &r.events {
            let Event::Fixed(f) = ev else { continue };
            if c(e, version, f) != Ordering::Less {
                continue;
            }
            match best {
                Some((b, _)) if c(e, f, b) != Ordering::Less => {}
                _ => best = Some((f.as_str(), c)),
            }
        }
    }
    Some(best.map(|(f, _)| f.to_owned()))
}

struct Group {
    pk: i64,
    aliases: Vec<String>,
    package: String,
    via: MatchedVia,
    ecosystem: String,
    version: String,
    fixed: Option<String>,
    related: Vec<String>,
}

/// Groups raw matches into one per vulnerability (module documentation).
fn group(raws: Vec<Raw>, eco: Option<Ecosystem>) -> Vec<Group> {
    let cmp_v = |a: &str, b: &str| match eco {
        Some(e) => e.compare(a, b),
        None => a.cmp(b),
    };
    let key_of = |r: &Raw| -> (bool, String) {
        match r.cves.len() {
            1 => (false, r.cves[0].clone()),
            0 => (
                false,
                std::iter::once(&r.id)
                    .chain(&r.aliases)
                    .map(|s| s.to_ascii_uppercase())
                    .min()
                    .unwrap_or_default(),
            ),
            _ => (true, format!("\u{0}{}", r.id)),
        }
    };
    let mut buckets: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
    let mut multi: BTreeSet<String> = BTreeSet::new();
    for r in raws {
        let (is_multi, k) = key_of(&r);
        if is_multi {
            multi.insert(k.clone());
        }
        buckets.entry(k).or_default().push(r);
    }
    // Multi-CVE records whose CVEs all have their own group are folded in.
    let mut extra_related: HashMap<String, Vec<String>> = HashMap::new();
    let mut dropped: BTreeSet<String> = BTreeSet::new();
    for k in &multi {
        let Some(members) = buckets.get(k) else {
            continue;
        };
        let Some(r) = members.first() else { continue };
        if r.cves.iter().all(|c| buckets.contains_key(c)) {
            for c in &r.cves {
                extra_related
                    .entry(c.clone())
                    .or_default()
                    .push(r.id.clone());
            }
            dropped.insert(k.clone());
        }
    }
    let mut out = Vec::new();
    for (k, mut members) in buckets {
        if dropped.contains(&k) || members.is_empty() {
            continue;
        }
        members.sort_by(|a, b| {
            b.has_cvss
                .cmp(&a.has_cvss)
                .then_with(|| {
                    let known = |s: Severity| s != Severity::Unknown;
                    known(b.severity).cmp(&known(a.severity))
                })
                .then_with(|| b.modified_us.cmp(&a.modified_us))
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.pk.cmp(&b.pk))
        });
        let all_fixed = members.iter().all(|m| m.fixed.is_some());
        let fixed = if all_fixed {
            members
                .iter()
                .filter_map(|m| m.fixed.as_deref())
                .max_by(|a, b| cmp_v(a, b))
                .map(str::to_owned)
        } else {
            None
        };
        let rep = &members[0];
        let mut aliases: Vec<String> = Vec::new();
        let mut related: Vec<String> = Vec::new();
        for m in &members {
            for a in std::iter::once(&m.id).chain(&m.aliases) {
                if *a != rep.id && !aliases.contains(a) {
                    aliases.push(a.clone());
                }
            }
            if m.id != rep.id && !related.contains(&m.id) {
                related.push(m.id.clone());
            }
        }
        if let Some(extra) = extra_related.get(&k) {
            for id in extra {
                if *id != rep.id && !related.contains(id) {
                    related.push(id.clone());
                }
            }
        }
        out.push(Group {
            pk: rep.pk,
            aliases,
            package: rep.package.clone(),
            via: rep.via,
            ecosystem: rep.ecosystem.clone(),
            version: rep.version.clone(),
            fixed,
            related,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeKind, ev: &[(&str, &str)]) -> Range {
        Range {
            kind,
            events: ev
                .iter()
                .map(|(k, v)| match *k {
                    "i" => Event::Introduced((*v).into()),
                    "f" => Event::Fixed((*v).into()),
                    _ => Event::LastAffected((*v).into()),
                })
                .collect(),
        }
    }

    #[test]
    fn malformed_installed_versions_match_only_exact_listings() {
        let from_zero = vec![range(RangeKind::Ecosystem, &[("i", "0"), ("f", "1.4.0")])];
        let go = Some(Ecosystem::SemVer);
        assert_eq!(
            evaluate(go, "1.2.0", &from_zero, &[]),
            Some(Some("1.4.0".into()))
        );
        for bad in ["(devel)", "1.21rc2", "dev-main"] {
            assert_eq!(evaluate(go, bad, &from_zero, &[]), None, "{bad}");
        }
        let semver = vec![range(RangeKind::Semver, &[("i", "0"), ("f", "1.4.0")])];
        assert_eq!(evaluate(None, "(devel)", &semver, &[]), None);
        let composer = Some(Ecosystem::Packagist);
        assert_eq!(
            evaluate(composer, "dev-main", &from_zero, &["dev-main".into()]),
            Some(Some("1.4.0".into()))
        );
    }

    #[test]
    fn evaluation_and_fixed_version() {
        let e = Some(Ecosystem::Pep440);
        let r = vec![range(
            RangeKind::Ecosystem,
            &[
                ("i", "0"),
                ("f", "1.0"),
                ("i", "2.0"),
                ("f", "2.5"),
                ("f", "3.0"),
            ],
        )];
        assert_eq!(evaluate(e, "0.5", &r, &[]), Some(Some("1.0".into())));
        assert_eq!(evaluate(e, "2.1", &r, &[]), Some(Some("2.5".into())));
        assert_eq!(evaluate(e, "1.5", &r, &[]), None);
        assert_eq!(evaluate(e, "2.5", &r, &[]), None);
        let la = vec![range(RangeKind::Ecosystem, &[("i", "1.0"), ("l", "1.2")])];
        assert_eq!(evaluate(e, "1.1", &la, &[]), Some(None));
        // Listed version outside the ranges still matches (OSV: either).
        assert_eq!(
            evaluate(e, "1.5", &r, &["1.5".into()]),
            Some(Some("2.5".into()))
        );
        assert_eq!(evaluate(e, "1.5.0", &[], &["1.5".into()]), Some(None));
        // Unknown ecosystem: exact list and SEMVER only.
        let s = vec![range(RangeKind::Semver, &[("i", "0"), ("f", "1.2.0")])];
        assert_eq!(evaluate(None, "1.1.0", &s, &[]), Some(Some("1.2.0".into())));
        assert_eq!(evaluate(None, "1.1.0", &r, &[]), None);
    }
}
