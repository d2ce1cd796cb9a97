//! Debian matching through source packages, on fixtures that restate real
//! Debian advisories (`tests/data/debian/`, each citing the security
//! tracker) for packages installed on the development machine (Debian 12):
//!
//! | binary | version (dpkg -s) | source | advisory |
//! |---|---|---|---|
//! | `libapt-pkg6.0`, `apt` | 2.6.1 | apt 2.6.1 | DEBIAN-CVE-2011-3374: not fixed in bookworm |
//! | `libc6` | 2.36-9+deb12u14 | glibc | DSA-5514-1 / DEBIAN-CVE-2023-4911: fixed in 2.36-9+deb12u3 |

use std::path::Path;

use crate::support::{ids, scratch, DATA};
use vigil_vulndb::{Database, FixStatus, MatchedVia, Query, Severity};

fn db() -> (tempfile::TempDir, Database) {
    let tmp = scratch();
    let mut db = Database::open(tmp.path()).expect("open");
    let s = db
        .import_as(&Path::new(DATA).join("debian"), "fixtures:debian")
        .expect("import");
    assert_eq!((s.advisories, s.skipped), (3, 0), "{s:?}");
    (tmp, db)
}

fn deb(name: &str, version: &str, source: &str, source_version: &str) -> Query {
    Query::new("Debian", name, version)
        .with_release("12")
        .with_source(source, Some(source_version))
}

#[test]
fn unfixed_apt_cve_through_source_package() {
    let (_tmp, db) = db();
    // libapt-pkg6.0 is built from source `apt`: the record names `apt`.
    let ms = db
        .matches(&deb("libapt-pkg6.0", "2.6.1", "apt", "2.6.1"))
        .expect("m");
    assert_eq!(ids(&ms), vec!["DEBIAN-CVE-2011-3374"]);
    let m = &ms[0];
    assert_eq!(m.status, FixStatus::NotYetFixed);
    assert_eq!(m.fixed_version, None);
    assert_eq!(
        (m.package.as_str(), m.matched_via),
        ("apt", MatchedVia::Source)
    );
    assert_eq!(m.ecosystem, "Debian:12");
    assert_eq!(m.advisory.cves(), vec!["CVE-2011-3374"]);
    assert!(m
        .advisory
        .references
        .iter()
        .any(|r| r.url == "https://security-tracker.debian.org/tracker/CVE-2011-3374"));
    // The binary `apt` itself (source of the same name).
    assert_eq!(
        ids(&db.matches(&deb("apt", "2.6.1", "apt", "2.6.1")).expect("m")),
        vec!["DEBIAN-CVE-2011-3374"]
    );
    // Codename and point release spell the same release.
    for rel in ["bookworm", "12.7"] {
        let q = Query::new("Debian", "apt", "2.6.1").with_release(rel);
        assert_eq!(
            ids(&db.matches(&q).expect("m")),
            vec!["DEBIAN-CVE-2011-3374"],
            "{rel}"
        );
    }
    // A release the record does not list (trixie) is not matched.
    let q = Query::new("Debian", "apt", "2.6.1").with_release("13");
    assert!(db.matches(&q).expect("m").is_empty());
}

#[test]
fn fixed_glibc_dsa_binary_with_other_source_name() {
    let (_tmp, db) = db();
    // Installed libc6 2.36-9+deb12u14 is at/after the fix 2.36-9+deb12u3: safe.
    assert!(db
        .matches(&deb("libc6", "2.36-9+deb12u14", "glibc", "2.36-9+deb12u14"))
        .expect("m")
        .is_empty());
    assert!(db
        .matches(&deb("libc6", "2.36-9+deb12u3", "glibc", "2.36-9+deb12u3"))
        .expect("m")
        .is_empty());
    // An image with the pre-fix libc6 is affected; the DSA and the
    // DEBIAN-CVE record describe the same CVE and give one match.
    let ms = db
        .matches(&deb("libc6", "2.36-9+deb12u2", "glibc", "2.36-9+deb12u2"))
        .expect("m");
    assert_eq!(ms.len(), 1, "{ms:#?}");
    let m = &ms[0];
    // The record with the CVSS vector represents the group.
    assert_eq!(m.advisory.id, "DEBIAN-CVE-2023-4911");
    assert_eq!(m.related, vec!["DSA-5514-1"]);
    assert!(m.advisory.aliases.contains(&"DSA-5514-1".to_owned()));
    assert!(m.advisory.aliases.contains(&"CVE-2023-4911".to_owned()));
    assert_eq!(m.fixed_version.as_deref(), Some("2.36-9+deb12u3"));
    assert_eq!(m.status, FixStatus::Fixed);
    assert_eq!(
        (m.package.as_str(), m.matched_via),
        ("glibc", MatchedVia::Source)
    );
    assert_eq!(m.advisory.severity, Severity::High);
    let cvss = m.advisory.cvss.as_ref().expect("cvss");
    assert_eq!((cvss.score, cvss.version.as_str()), (7.8, "3.1"));

    // Without the source package, the binary name `libc6` finds nothing:
    // Debian records name source packages.
    let q = Query::new("Debian", "libc6", "2.36-9+deb12u2").with_release("12");
    assert!(db.matches(&q).expect("m").is_empty());
    // Source version defaults to the binary version when not given.
    let q = Query::new("Debian", "libc6", "2.36-9+deb12u2")
        .with_release("12")
        .with_source("glibc", None);
    assert_eq!(db.matches(&q).expect("m").len(), 1);
    // `Debian:12` as the ecosystem supplies the release.
    let q = Query::new("Debian:12", "libc6", "2.36-9+deb12u2").with_source("glibc", None);
    assert_eq!(db.matches(&q).expect("m").len(), 1);
}

/// The same checks against what dpkg reports on this machine, when it is a
/// Debian 12 system (skipped elsewhere).
#[test]
fn this_machines_packages() {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    if !os.lines().any(|l| l == "ID=debian") || !os.lines().any(|l| l == "VERSION_ID=\"12\"") {
        eprintln!("NOTE: not Debian 12; installed-package check skipped");
        return;
    }
    let installed = |pkg: &str| -> Option<(String, String, String)> {
        let out = std::process::Command::new("dpkg-query")
            .args([
                "-W",
                "-f=${Version}\t${source:Package}\t${source:Version}",
                pkg,
            ])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let s = String::from_utf8(out.stdout).ok()?;
        let mut it = s.split('\t');
        Some((
            it.next()?.to_owned(),
            it.next()?.to_owned(),
            it.next()?.to_owned(),
        ))
    };
    let (_tmp, db) = db();
    if let Some((v, src, sv)) = installed("libapt-pkg6.0") {
        let ms = db.matches(&deb("libapt-pkg6.0", &v, &src, &sv)).expect("m");
        assert_eq!(
            ids(&ms),
            vec!["DEBIAN-CVE-2011-3374"],
            "libapt-pkg6.0 {v} from {src} {sv}"
        );
    }
    if let Some((v, src, sv)) = installed("libc6") {
        assert_eq!(src, "glibc");
        let ms = db.matches(&deb("libc6", &v, &src, &sv)).expect("m");
        assert!(ms.is_empty(), "libc6 {v} is past 2.36-9+deb12u3: {ms:#?}");
    }
}
