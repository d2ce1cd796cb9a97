//! The advisory database on the real PyPA OSV snapshot: import as a
//! directory, as a zip archive and as a single file; matching, name
//! normalisation, re-import, status.

use std::path::Path;
use std::time::Instant;

use crate::support::{ids, json_entries, scratch, shared_present, write_zip, PYPA};
use vigil_vulndb::{Database, DbError, FixStatus, Query, Severity, SourceKind};

fn requests(v: &str) -> Query {
    Query::new("PyPI", "requests", v)
}

fn fixed_of(db: &Database, q: &Query, id: &str) -> Option<String> {
    db.matches(q)
        .expect("matches")
        .into_iter()
        .find(|m| m.advisory.id == id)
        .and_then(|m| m.fixed_version)
}

/// Vulnerable `requests` 2.19.1 and its safe twin 2.31.0, on a database
/// holding the whole PyPA snapshot.
fn check_requests(db: &Database) {
    let ms = db.matches(&requests("2.19.1")).expect("matches");
    assert_eq!(ids(&ms), vec!["PYSEC-2018-28", "PYSEC-2023-74"], "{ms:#?}");
    let m2018 = ms
        .iter()
        .find(|m| m.advisory.id == "PYSEC-2018-28")
        .expect("2018");
    assert_eq!(m2018.fixed_version.as_deref(), Some("2.20.0"));
    assert_eq!(m2018.status, FixStatus::Fixed);
    assert_eq!(m2018.package, "requests");
    assert_eq!(m2018.ecosystem, "PyPI");
    assert!(m2018
        .advisory
        .aliases
        .contains(&"CVE-2018-18074".to_owned()));
    assert_eq!(m2018.advisory.cves(), vec!["CVE-2018-18074"]);
    assert_eq!(
        m2018.advisory.published.as_deref(),
        Some("2018-10-09T17:29:00Z")
    );
    assert!(m2018
        .advisory
        .references
        .iter()
        .any(|r| r.url == "https://github.com/advisories/GHSA-x84v-xcm2-53pg"));
    assert!(m2018
        .advisory
        .details
        .as_deref()
        .is_some_and(|d| d.contains("Authorization header")));
    // PyPA records carry no severity: the label says so.
    assert_eq!(m2018.advisory.severity, Severity::Unknown);
    assert_eq!(
        fixed_of(db, &requests("2.19.1"), "PYSEC-2023-74").as_deref(),
        Some("2.31.0")
    );

    // Safe twin: the version that fixed the later advisory.
    assert!(db.matches(&requests("2.31.0")).expect("matches").is_empty());
    // Boundaries.
    assert_eq!(
        ids(&db.matches(&requests("2.20.0")).expect("m")),
        vec!["PYSEC-2023-74"]
    );
    // 2.2.1 predates the 2014 fixes (2.3.0) and is inside PYSEC-2015-17
    // (introduced 2.1.0, fixed 2.6.0), but before PYSEC-2023-74's 2.3.0.
    assert_eq!(
        ids(&db.matches(&requests("2.2.1")).expect("m")),
        vec![
            "PYSEC-2014-13",
            "PYSEC-2014-14",
            "PYSEC-2015-17",
            "PYSEC-2018-28"
        ]
    );
}

#[test]
fn pypa_directory_import_and_matching() {
    if !shared_present(PYPA) {
        return;
    }
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    let started = Instant::now();
    let s = db.import(Path::new(PYPA)).expect("import");
    let took = started.elapsed();
    eprintln!(
        "PyPA import: {} files, {} advisories, {} affected entries, {} skipped, {} withdrawn in {:?}",
        s.files, s.advisories, s.affected, s.skipped, s.withdrawn, took
    );
    assert_eq!(s.kind, SourceKind::Directory);
    assert!(s.files >= 2600, "{s:?}");
    assert!(s.advisories + s.withdrawn + s.skipped >= 2600);
    assert!(s.advisories >= 2500);
    assert!(s.source.starts_with("local:"));
    assert!(took.as_secs() < 20, "import took {took:?}");
    check_requests(&db);

    // PEP 503 normalisation: `jw.util` is recorded as written; any spelling
    // matches (PYSEC-2020-341: introduced 0, fixed 2.3).
    for spelling in ["jw.util", "JW_Util", "jw-util", "jw__util"] {
        let ms = db.matches(&Query::new("PyPI", spelling, "2.2")).expect("m");
        assert_eq!(ids(&ms), vec!["PYSEC-2020-341"], "{spelling}");
        assert_eq!(ms[0].package, "jw.util");
    }
    assert!(db
        .matches(&Query::new("PyPI", "jw.util", "2.3"))
        .expect("m")
        .is_empty());
    assert_eq!(
        ids(&db.matches(&requests("2.19.1")).expect("m")),
        ids(&db
            .matches(&Query::new("PyPI", "Requests", "2.19.1"))
            .expect("m"))
    );
    // Another ecosystem with the same package name sees nothing.
    assert!(db
        .matches(&Query::new("npm", "requests", "2.19.1"))
        .expect("m")
        .is_empty());

    // Re-importing replaces, it does not add.
    let again = db.import(Path::new(PYPA)).expect("re-import");
    let st = db.status().expect("status");
    assert_eq!(st.sources.len(), 1);
    assert_eq!(st.sources[0].records, again.advisories);
    assert_eq!(st.advisories, again.advisories);
    assert_eq!(st.sources[0].kind, SourceKind::Directory);
    assert_eq!(st.path, tmp.path().join("vulndb").join("vulndb.sqlite3"));
    assert_eq!(st.schema_version, vigil_vulndb::SCHEMA_VERSION);
    assert!(st.sources[0].age.as_secs() < 600);
    check_requests(&db);

    // The data survives reopening; open_existing finds it.
    drop(db);
    let db = Database::open_existing(tmp.path()).expect("reopen");
    check_requests(&db);
}

#[test]
fn pypa_zip_and_single_file_import() {
    if !shared_present(PYPA) {
        return;
    }
    let tmp = scratch();
    // The osv.dev `all.zip` layout: one JSON document per entry.
    let zip_path = tmp.path().join("all.zip");
    write_zip(&zip_path, &json_entries(PYPA));
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let s = db.import_as(&zip_path, "osv:PyPI").expect("zip import");
    assert_eq!(s.kind, SourceKind::Zip);
    assert!(s.advisories >= 2500, "{s:?}");
    check_requests(&db);

    // One record as its own source, alongside.
    let one = Path::new(PYPA).join("PYSEC-2018-28.json");
    let s1 = db.import(&one).expect("file import");
    assert_eq!(
        (s1.kind, s1.advisories, s1.files),
        (SourceKind::OsvJson, 1, 1)
    );
    // The same id is in both sources with the same `modified`: still one match.
    check_requests(&db);

    // A database holding only the single record.
    let mut only = Database::open(&tmp.path().join("single")).expect("open");
    only.import(&one).expect("file import");
    assert_eq!(
        ids(&only.matches(&requests("2.19.1")).expect("m")),
        vec!["PYSEC-2018-28"]
    );
    assert!(only.matches(&requests("2.20.0")).expect("m").is_empty());
    let st = only.status().expect("status");
    assert_eq!((st.sources.len(), st.advisories), (1, 1));
}

#[test]
fn open_existing_without_database_says_what_to_do() {
    let tmp = scratch();
    let err = Database::open_existing(tmp.path()).expect_err("no database");
    assert!(matches!(err, DbError::NoDatabase { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("vigil db import PATH") && msg.contains("vigil db update"),
        "{msg}"
    );
    assert!(
        !tmp.path().join("vulndb").exists(),
        "open_existing must not create"
    );
}
