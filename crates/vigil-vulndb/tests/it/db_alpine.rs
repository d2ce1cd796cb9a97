//! Alpine secdb import and matching on the real snapshot
//! (`../shared/vulndb/alpine-secdb`, alpinelinux/alpine-secdb 06f6e960).

use std::path::Path;

use crate::support::{ids, scratch, shared_present, SECDB};
use vigil_vulndb::{Database, FixStatus, MatchedVia, Query, SourceKind};

fn secdb(rel: &str) -> std::path::PathBuf {
    Path::new(SECDB).join(rel)
}

/// `libssl1.1` is a binary package built from the `openssl` origin; secdb
/// records are keyed by origin.
fn libssl(release: &str, origin_version: &str) -> Query {
    Query::new("Alpine", "libssl1.1", origin_version)
        .with_release(release)
        .with_source("openssl", Some(origin_version))
}

fn cves(db: &Database, q: &Query) -> Vec<String> {
    let mut v: Vec<String> = db
        .matches(q)
        .expect("matches")
        .iter()
        .flat_map(|m| m.advisory.cves())
        .collect();
    v.sort();
    v
}

#[test]
fn v3_11_openssl_fixed_versions() {
    if !shared_present(SECDB) {
        return;
    }
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    let s = db.import(&secdb("v3.11/main.yaml")).expect("import");
    assert_eq!(s.kind, SourceKind::AlpineSecdb);
    assert!(s.advisories > 500, "{s:?}");
    eprintln!(
        "v3.11/main.yaml: {} records, {} skipped",
        s.advisories, s.skipped
    );

    // v3.11/main.yaml, package openssl:
    //   1.1.1d-r3: [CVE-2019-1551]
    //   1.1.1d-r1: [CVE-2019-1547, CVE-2019-1549, CVE-2019-1563]
    // Below 1.1.1d-r3, CVE-2019-1551 applies; the r1 fixes do not.
    let ms = db.matches(&libssl("3.11.6", "1.1.1d-r2")).expect("m");
    assert_eq!(ids(&ms), vec!["ALPINE-SECDB:v3.11:openssl:CVE-2019-1551"]);
    let m = &ms[0];
    assert_eq!(m.fixed_version.as_deref(), Some("1.1.1d-r3"));
    assert_eq!(m.status, FixStatus::Fixed);
    assert_eq!(
        (m.package.as_str(), m.matched_via),
        ("openssl", MatchedVia::Source)
    );
    assert_eq!(m.ecosystem, "Alpine:v3.11");
    assert_eq!(m.advisory.cves(), vec!["CVE-2019-1551"]);
    // At the fixed version and above: nothing.
    assert!(db
        .matches(&libssl("3.11.6", "1.1.1d-r3"))
        .expect("m")
        .is_empty());
    assert!(db
        .matches(&libssl("v3.11", "1.1.1g-r0"))
        .expect("m")
        .is_empty());
    // Older: all four, each with its own fixed version.
    assert_eq!(
        cves(&db, &libssl("3.11", "1.1.1d-r0")),
        vec![
            "CVE-2019-1547",
            "CVE-2019-1549",
            "CVE-2019-1551",
            "CVE-2019-1563"
        ]
    );
    // Without the release, no release-specific record applies.
    assert!(db
        .matches(&Query::new("Alpine", "openssl", "1.1.1d-r0"))
        .expect("m")
        .is_empty());
}

#[test]
fn release_records_stay_in_their_release() {
    if !shared_present(SECDB) {
        return;
    }
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    db.import(&secdb("v3.10/main.yaml")).expect("import v3.10");
    // v3.10/main.yaml says CVE-2019-1547 was fixed in openssl 1.1.1d-r0.
    let q10 = libssl("3.10.4", "1.1.1c-r0");
    assert!(cves(&db, &q10).contains(&"CVE-2019-1547".to_owned()));
    // The v3.10 record does not apply to an Alpine 3.11 image.
    assert!(db
        .matches(&libssl("3.11.6", "1.1.1c-r0"))
        .expect("m")
        .is_empty());

    // With both releases imported, 1.1.1d-r0 is fixed on 3.10 but not on
    // 3.11, whose secdb lists the fix in 1.1.1d-r1.
    db.import(&secdb("v3.11/main.yaml")).expect("import v3.11");
    assert!(!cves(&db, &libssl("3.10", "1.1.1d-r0")).contains(&"CVE-2019-1547".to_owned()));
    let on11 = db.matches(&libssl("3.11", "1.1.1d-r0")).expect("m");
    let m = on11
        .iter()
        .find(|m| m.advisory.cves() == ["CVE-2019-1547"])
        .expect("CVE-2019-1547 on 3.11");
    assert_eq!(m.fixed_version.as_deref(), Some("1.1.1d-r1"));
    assert_eq!(m.ecosystem, "Alpine:v3.11");
    assert_eq!(db.status().expect("status").sources.len(), 2);
}

#[test]
fn fixed_version_zero_means_not_affected() {
    if !shared_present(SECDB) {
        return;
    }
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    db.import(&secdb("v3.8/main.yaml")).expect("import");
    // v3.8/main.yaml, package db: secfixes "0": [CVE-2016-0682,
    // CVE-2016-0689, CVE-2016-0692, CVE-2016-0694, CVE-2016-3418]
    // ("whitelist issues for Oracle Berkeley DB").
    let a = db
        .assess(&Query::new("Alpine", "db", "5.3.28-r0").with_release("3.8.5"))
        .expect("assess");
    assert!(a.matches.is_empty(), "{:#?}", a.matches);
    let mut declared: Vec<String> = a
        .not_affected
        .iter()
        .flat_map(|n| n.vulnerability_ids.clone())
        .collect();
    declared.sort();
    assert_eq!(
        declared,
        vec![
            "CVE-2016-0682",
            "CVE-2016-0689",
            "CVE-2016-0692",
            "CVE-2016-0694",
            "CVE-2016-3418"
        ]
    );
    assert!(a
        .not_affected
        .iter()
        .all(|n| n.package == "db" && n.ecosystem == "Alpine:v3.8"));
    // The statement is release-specific too.
    let other = db
        .assess(&Query::new("Alpine", "db", "5.3.28-r0").with_release("3.9"))
        .expect("assess");
    assert!(other.not_affected.is_empty());
}

#[test]
fn whole_secdb_directory() {
    if !shared_present(SECDB) {
        return;
    }
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    let s = db.import(Path::new(SECDB)).expect("import");
    assert_eq!(s.kind, SourceKind::Directory);
    assert_eq!(s.files, 18, "{s:?}");
    eprintln!(
        "alpine-secdb: {} records, {} skipped; first issues: {:?}",
        s.advisories,
        s.skipped,
        s.issues.iter().take(3).collect::<Vec<_>>()
    );
    // v3.9/main.yaml lists xen fixes as `CVE-????-?????  XSA-284`: the Xen
    // advisory id is used.
    let xen = db
        .matches(&Query::new("Alpine", "xen", "4.11.1-r0").with_release("3.9"))
        .expect("m");
    assert!(
        xen.iter()
            .any(|m| m.advisory.id == "ALPINE-SECDB:v3.9:xen:XSA-284"
                && m.fixed_version.as_deref() == Some("4.11.2-r0")),
        "{:?}",
        ids(&xen)
    );
    for i in &s.issues {
        eprintln!("  {}: {}", i.file, i.reason);
    }
    // v3.6/main.yaml has heimdal 7.4.0-r0 with an empty list: not an error.
    assert!(s.advisories > 5000);
    assert_eq!(
        ids(&db.matches(&libssl("3.11", "1.1.1d-r2")).expect("m")),
        vec!["ALPINE-SECDB:v3.11:openssl:CVE-2019-1551"]
    );
}
