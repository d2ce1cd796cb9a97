//! Hostile and malformed inputs are bounded and reported cleanly; source
//! replacement and precedence rules. Records here are synthetic (ids
//! `VIGIL-TEST-…`, package `vigil-test-pkg`) and exercise mechanisms only.

use std::path::Path;
use std::time::Instant;

use crate::support::{ids, scratch, write_zip};
use vigil_vulndb::{Database, DbError, ImportLimits, Query, Severity};

fn record(id: &str, modified: &str, fixed: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","modified":"{modified}","aliases":["CVE-2099-0001"],
            "severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
            "affected":[{{"package":{{"ecosystem":"PyPI","name":"vigil-test-pkg"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
    .into_bytes()
}

fn q(v: &str) -> Query {
    Query::new("PyPI", "vigil-test-pkg", v)
}

#[test]
fn malformed_records_are_skipped_with_reasons() {
    let tmp = scratch();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(dir.join("sub/deeper")).expect("mkdir");
    std::fs::write(
        dir.join("good.json"),
        record("VIGIL-TEST-1", "2024-01-01T00:00:00Z", "1.0"),
    )
    .expect("w");
    std::fs::write(
        dir.join("truncated.json"),
        b"{\"id\": \"VIGIL-TEST-2\", \"affected\": [",
    )
    .expect("w");
    std::fs::write(dir.join("noid.json"), br#"{"affected":[]}"#).expect("w");
    std::fs::write(dir.join("array.json"), b"[1,2,3]").expect("w");
    std::fs::write(dir.join("binary.json"), [0xff, 0xfe, 0x00, 0x01]).expect("w");
    std::fs::write(dir.join("sub/deeper/bad.yaml"), b"distroversion: [oops").expect("w");
    std::fs::write(dir.join("notes.txt"), b"ignored").expect("w");
    std::fs::write(
        dir.join("withdrawn.json"),
        br#"{"id":"VIGIL-TEST-3","withdrawn":"2024-01-01T00:00:00Z"}"#,
    )
    .expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let s = db.import(&dir).expect("import goes on past bad files");
    assert_eq!((s.advisories, s.withdrawn, s.files), (1, 1, 7), "{s:#?}");
    assert_eq!(s.skipped, 5, "{s:#?}");
    for f in ["truncated.json", "noid.json", "array.json", "binary.json"] {
        assert!(
            s.issues.iter().any(|i| i.file == f),
            "{f} reported: {:#?}",
            s.issues
        );
    }
    assert!(s
        .issues
        .iter()
        .any(|i| i.file.ends_with("bad.yaml") && i.reason.contains("secdb")));
    assert_eq!(
        ids(&db.matches(&q("0.9")).expect("m")),
        vec!["VIGIL-TEST-1"]
    );
}

#[test]
fn zip_bomb_entry_is_bounded() {
    let tmp = scratch();
    // 64 MiB of spaces deflates to ~64 KiB; the entry limit is 16 MiB.
    let bomb = vec![b' '; 64 * 1024 * 1024];
    let zip = tmp.path().join("bomb.zip");
    write_zip(
        &zip,
        &[
            (
                "VIGIL-TEST-1.json".into(),
                record("VIGIL-TEST-1", "2024-01-01T00:00:00Z", "1.0"),
            ),
            ("bomb.json".into(), bomb),
        ],
    );
    assert!(std::fs::metadata(&zip).expect("meta").len() < 1024 * 1024);
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let started = Instant::now();
    let s = db.import(&zip).expect("import");
    assert_eq!(s.advisories, 1);
    let issue = s
        .issues
        .iter()
        .find(|i| i.file == "bomb.json")
        .expect("bomb reported");
    assert!(issue.reason.contains("limit"), "{issue:?}");
    assert!(started.elapsed().as_secs() < 30);

    // A total-size bound refuses the whole archive and keeps the old data.
    let limits = ImportLimits {
        max_total_bytes: 8 * 1024 * 1024,
        ..ImportLimits::default()
    };
    let source = s.source.clone();
    let err = db
        .import_with(&zip, &source, &limits)
        .expect_err("over the total");
    assert!(matches!(err, DbError::Import { .. }), "{err}");
    assert_eq!(
        ids(&db.matches(&q("0.9")).expect("m")),
        vec!["VIGIL-TEST-1"],
        "old data kept"
    );
}

#[test]
fn zip_entry_count_is_bounded() {
    let tmp = scratch();
    let entries: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| {
            let id = format!("VIGIL-TEST-{i}");
            (
                format!("{id}.json"),
                record(&id, "2024-01-01T00:00:00Z", "1.0"),
            )
        })
        .collect();
    let zip = tmp.path().join("many.zip");
    write_zip(&zip, &entries);
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let limits = ImportLimits {
        max_zip_entries: 10,
        ..ImportLimits::default()
    };
    let err = db
        .import_with(&zip, "many", &limits)
        .expect_err("too many entries");
    assert!(err.to_string().contains("50 zip entries"), "{err}");
    assert!(!db.has_source("many").expect("q"));
    // Within the default bound: 50 records, all grouped under their one CVE
    // alias into a single match.
    let s = db.import_as(&zip, "many").expect("import");
    assert_eq!(s.advisories, 50);
    assert_eq!(db.matches(&q("0.1")).expect("m").len(), 1);
}

#[test]
fn oversize_and_garbage_files() {
    let tmp = scratch();
    let big = tmp.path().join("big.json");
    let mut bytes = record("VIGIL-TEST-1", "2024-01-01T00:00:00Z", "1.0");
    bytes.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    std::fs::write(&big, &bytes).expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let err = db.import(&big).expect_err("oversize");
    match &err {
        DbError::NothingImported { errors, first, .. } => {
            assert_eq!(*errors, 1);
            assert!(
                first.as_deref().is_some_and(|f| f.contains("limit")),
                "{first:?}"
            );
        }
        other => panic!("unexpected {other}"),
    }
    // A truncated zip and a non-zip with a zip name.
    let broken = tmp.path().join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").expect("w");
    assert!(matches!(db.import(&broken), Err(DbError::Import { .. })));
    let empty = tmp.path().join("empty.json");
    std::fs::write(&empty, b"").expect("w");
    assert!(matches!(
        db.import(&empty),
        Err(DbError::NothingImported { .. })
    ));
    assert!(db.import(Path::new("/nonexistent/vigil")).is_err());
    assert!(db.status().expect("status").sources.is_empty());
}

#[test]
fn yaml_alias_bomb_and_deep_nesting_are_refused() {
    let tmp = scratch();
    let mut lol = String::from("distroversion: v3.11\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        lol.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    lol.push_str("packages: []\n");
    let p = tmp.path().join("lol.yaml");
    std::fs::write(&p, &lol).expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let started = Instant::now();
    let err = db.import(&p).expect_err("alias bomb");
    assert!(matches!(err, DbError::NothingImported { .. }), "{err}");
    assert!(started.elapsed().as_secs() < 10);

    let deep = tmp.path().join("deep.yaml");
    std::fs::write(&deep, "[".repeat(200_000)).expect("w");
    assert!(db.import(&deep).is_err());
    let deep_json = tmp.path().join("deep.json");
    std::fs::write(&deep_json, "{\"id\":".to_owned() + &"[".repeat(200_000)).expect("w");
    assert!(db.import(&deep_json).is_err());
}

#[test]
fn newer_modified_wins_across_sources_and_reimport_replaces() {
    let tmp = scratch();
    let a = tmp.path().join("a.json");
    let b = tmp.path().join("b.json");
    std::fs::write(&a, record("VIGIL-TEST-1", "2024-01-01T00:00:00Z", "1.0")).expect("w");
    std::fs::write(&b, record("VIGIL-TEST-1", "2024-06-01T00:00:00Z", "2.0")).expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    db.import_as(&b, "newer").expect("b");
    db.import_as(&a, "older").expect("a");
    // The older copy was imported last, the newer `modified` still wins.
    let ms = db.matches(&q("1.5")).expect("m");
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].fixed_version.as_deref(), Some("2.0"));
    assert_eq!(ms[0].advisory.source, "newer");
    assert_eq!(ms[0].advisory.severity, Severity::Critical);
    assert_eq!(ms[0].advisory.cvss.as_ref().map(|c| c.score), Some(9.8));
    // Removing the newer source lets the older copy speak again.
    assert!(db.remove_source("newer").expect("rm"));
    assert!(db.matches(&q("1.5")).expect("m").is_empty());
    assert_eq!(
        db.matches(&q("0.5")).expect("m")[0]
            .fixed_version
            .as_deref(),
        Some("1.0")
    );
    // Re-importing a source with different content replaces it.
    std::fs::write(&a, record("VIGIL-TEST-9", "2024-01-01T00:00:00Z", "3.0")).expect("w");
    db.import_as(&a, "older").expect("a again");
    assert_eq!(
        ids(&db.matches(&q("2.5")).expect("m")),
        vec!["VIGIL-TEST-9"]
    );
    assert_eq!(db.status().expect("status").advisories, 1);
}

#[test]
fn duplicate_ids_in_one_import_keep_the_newer() {
    let tmp = scratch();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // Walk order is by name: the newer copy comes first, the older second.
    std::fs::write(
        dir.join("a.json"),
        record("VIGIL-TEST-1", "2024-06-01T00:00:00Z", "2.0"),
    )
    .expect("w");
    std::fs::write(
        dir.join("b.json"),
        record("VIGIL-TEST-1", "2024-01-01T00:00:00Z", "1.0"),
    )
    .expect("w");
    std::fs::write(
        dir.join("c.json"),
        record("VIGIL-TEST-1", "2024-09-01T00:00:00.5Z", "3.0"),
    )
    .expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    let s = db.import(&dir).expect("import");
    assert_eq!(
        (s.advisories, s.affected, s.duplicates),
        (1, 1, 2),
        "{s:#?}"
    );
    let ms = db.matches(&q("2.5")).expect("m");
    assert_eq!(ms[0].fixed_version.as_deref(), Some("3.0"));
}

#[test]
fn not_affected_statement_suppresses_other_records() {
    let tmp = scratch();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // An ecosystem-wide record says every version is affected …
    std::fs::write(
        dir.join("wide.json"),
        br#"{"id":"VIGIL-TEST-ALPINE-1","aliases":["CVE-2099-0002"],"affected":[{"package":{"ecosystem":"Alpine","name":"vigil-test-pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
    )
    .expect("w");
    // … the release's secdb says the package was never affected.
    std::fs::write(
        dir.join("main.yaml"),
        b"distroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n      name: vigil-test-pkg\n      secfixes:\n        \"0\":\n          - CVE-2099-0002\n",
    )
    .expect("w");
    let mut db = Database::open(&tmp.path().join("data")).expect("open");
    db.import(&dir).expect("import");
    let on311 = db
        .assess(&Query::new("Alpine", "vigil-test-pkg", "1.0-r0").with_release("3.11.2"))
        .expect("assess");
    assert!(on311.matches.is_empty(), "{:#?}", on311.matches);
    assert_eq!(on311.not_affected.len(), 1);
    // On another release the statement does not hold; the wide record does.
    let on312 = db
        .matches(&Query::new("Alpine", "vigil-test-pkg", "1.0-r0").with_release("3.12"))
        .expect("m");
    assert_eq!(ids(&on312), vec!["VIGIL-TEST-ALPINE-1"]);
}

#[test]
fn cvss_scores_of_known_vectors() {
    use vigil_vulndb::severity::cvss_score;
    let cases = [
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            7.8,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            10.0,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
            3.1,
            Severity::Low,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L",
            5.7,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            Severity::Critical,
        ),
    ];
    for (v, score, label) in cases {
        let s = cvss_score(v).unwrap_or_else(|| panic!("{v} parses"));
        assert_eq!((s.score, s.severity()), (score, label), "{v}");
    }
    for bad in [
        "",
        "CVSS:3.1/",
        "CVSS:9.9/AV:N",
        "AV:N/AC:L",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Z",
    ] {
        assert!(cvss_score(bad).is_none(), "{bad}");
    }
}
