//! The rpm analyzer against a real SQLite rpm database made by Debian's `rpm` package: two
//! noarch packages built with `rpmbuild` (one with an Epoch) and installed with `rpm --justdb`;
//! the inventory must equal what `rpm -qa` prints. Hostile and malformed databases fail cleanly.
//! The test needs `rpm` and `rpmbuild` (Debian package `rpm`); outside CI it is skipped
//! without them, in CI it fails.

use std::path::Path;
use std::process::Command;

use vigil_engine_image::sbom::{self, osrelease, rpm, Inventory};
use vigil_engine_image::scan::{self, ScanConfig, Scanners};
use vigil_engine_image::testing::{file, Layer, TempDir, TestImage};
use vigil_engine_image::{ReadOptions, Source};

fn inventory_of(img: &TestImage) -> Inventory {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    sbom::read_inventory(&Source::DockerArchive(path), &ReadOptions::default())
        .unwrap()
        .1
}

/// Whether `tool --version` runs; in CI a missing tool fails the test.
fn have(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} (Debian package {package}) must be installed in CI"
        );
        eprintln!("note: {tool} is not installed (Debian package {package}); test skipped");
    }
    ok
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SPEC_ALPHA: &str = "Name: vigil-alpha\nVersion: 1.2.3\nRelease: 4.vg1\nEpoch: 2\n\
Summary: test package\nLicense: MIT and BSD\nVendor: Vigil Test\nBuildArch: noarch\n\
%description\nA test package.\n%files\n";
const SPEC_BETA: &str = "Name: vigil-beta\nVersion: 0.9~rc1\nRelease: 1\n\
Summary: test package\nLicense: ASL 2.0\nBuildArch: noarch\n%description\nAnother.\n%files\n";

/// Makes an rpm database holding the packages of `specs` (name, spec file); returns its
/// `rpmdb.sqlite` bytes.
fn make_rpmdb(tmp: &Path, specs: &[(&str, &str)]) -> Vec<u8> {
    let db = tmp.join("db");
    let top = tmp.join("top");
    std::fs::create_dir_all(&db).unwrap();
    run(Command::new("rpm").arg("--dbpath").arg(&db).arg("--initdb"));
    let mut rpms = Vec::new();
    for (name, spec) in specs {
        let spec_path = tmp.join(format!("{name}.spec"));
        std::fs::write(&spec_path, spec).unwrap();
        run(Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("-bb")
            .arg(&spec_path));
    }
    for entry in std::fs::read_dir(top.join("RPMS/noarch")).unwrap() {
        rpms.push(entry.unwrap().path());
    }
    assert_eq!(rpms.len(), specs.len(), "{rpms:?}");
    run(Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-i", "--justdb", "--nodeps", "--noscripts"])
        .args(&rpms));
    // rpm itself sees them.
    assert_eq!(rpm_qa(&db).len(), specs.len());
    std::fs::read(db.join("rpmdb.sqlite")).unwrap()
}

/// `rpm -qa` in the inventory's terms: NAME, EVR, ARCH, SOURCERPM, LICENSE.
fn rpm_qa(db: &Path) -> Vec<String> {
    let out = run(Command::new("rpm").arg("--dbpath").arg(db).args([
        "-qa",
        "--qf",
        "%{NAME}|%{EVR}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\\n",
    ]));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn real_rpmdb_equals_rpm_qa() {
    if !have("rpm", "rpm") || !have("rpmbuild", "rpm") {
        return;
    }
    let tmp = TempDir::new().unwrap();
    let db_bytes = make_rpmdb(tmp.path(), &[("alpha", SPEC_ALPHA), ("beta", SPEC_BETA)]);
    // rpm leaves its database in WAL mode; the analyzer must still read it.
    assert_eq!(&db_bytes[18..20], &[2, 2], "rpm wrote a WAL-mode database");
    let want = rpm_qa(&tmp.path().join("db"));
    assert_eq!(want.len(), 2, "{want:?}");

    let os = "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME=\"Fedora Linux 40\"\n";
    let image = TestImage::new(vec![Layer::new(vec![
        file("etc/os-release", os),
        file("var/lib/rpm/rpmdb.sqlite", db_bytes.clone()),
    ])]);
    let inv = inventory_of(&image);
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    let none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let mut got: Vec<String> = inv
        .packages
        .iter()
        .map(|p| {
            let src = p
                .source_name
                .as_ref()
                .map(|s| format!("{s}-{}.src.rpm", p.version.rsplit(':').next().unwrap()));
            format!(
                "{}|{}|{}|{}|{}",
                p.name,
                p.version,
                none(&p.arch),
                none(&src),
                none(&p.license)
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);

    let alpha = inv
        .packages
        .iter()
        .find(|p| p.name == "vigil-alpha")
        .unwrap();
    assert_eq!(alpha.version, "2:1.2.3-4.vg1");
    assert_eq!(alpha.ecosystem, "rpm");
    assert_eq!(
        alpha.purl,
        "pkg:rpm/fedora/vigil-alpha@1.2.3-4.vg1?arch=noarch&distro=fedora-40&epoch=2"
    );
    assert_eq!(alpha.path, "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(alpha.layer, 0);
    assert_eq!(alpha.source_name.as_deref(), Some("vigil-alpha"));
    assert_eq!(alpha.license.as_deref(), Some("MIT and BSD"));
    assert_eq!(
        alpha.distro,
        osrelease::parse(os.as_bytes()),
        "rpm packages carry the distribution"
    );
    let beta = inv
        .packages
        .iter()
        .find(|p| p.name == "vigil-beta")
        .unwrap();
    assert_eq!(
        beta.purl,
        "pkg:rpm/fedora/vigil-beta@0.9~rc1-1?arch=noarch&distro=fedora-40"
    );
    let c = vigil_core::Component::from(beta);
    assert_eq!(c.kind, "rpm");

    // The header parser on its own agrees, header by header (rows in hnum order).
    let rows = rpm::read_sqlite(&db_bytes).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.windows(2).all(|w| w[0].hnum < w[1].hnum));
    let vendor = rows
        .iter()
        .filter_map(|r| r.header.as_ref().ok())
        .find(|h| h.name == "vigil-alpha")
        .and_then(|h| h.vendor.clone());
    assert_eq!(vendor.as_deref(), Some("Vigil Test"));

    // The newer location, without an os-release: no namespace, no distro.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        db_bytes,
    )])]);
    let inv = inventory_of(&image);
    let purls: Vec<&str> = inv.packages.iter().map(|p| p.purl.as_str()).collect();
    assert!(
        purls.contains(&"pkg:rpm/vigil-alpha@1.2.3-4.vg1?arch=noarch&epoch=2"),
        "{purls:?}"
    );
    assert_eq!(inv.packages.len(), 2);
}

/// `openssl-libs` at epoch 1, version 3.0.7 and `release`, as AlmaLinux 9 ships it.
fn openssl_libs_spec(release: &str) -> String {
    format!(
        "Name: openssl-libs\nVersion: 3.0.7\nRelease: {release}\nEpoch: 1\n\
         Summary: A general purpose cryptography library with TLS implementation\n\
         License: ASL 2.0\nBuildArch: noarch\n%description\nOpenSSL libraries.\n%files\n"
    )
}

/// A real AlmaLinux advisory against a real rpm database: ALSA-2024:0310 (openssl,
/// CVE-2023-5363, the restatement of RHSA-2024:0310), byte for byte as AlmaLinux publishes it
/// in `AlmaLinux/osv-database` (`advisories/almalinux9/ALSA-2024:0310.json`, commit 368923a5),
/// fixed in `1:3.0.7-25.el9_3`. An AlmaLinux 9.3 image with `openssl-libs-1:3.0.7-24.el9`
/// installed (the version 9.3 shipped before the fix) has it; its twin with
/// `1:3.0.7-25.el9_3` does not.
#[test]
fn real_almalinux_advisory_and_its_fixed_twin() {
    if !have("rpm", "rpm") || !have("rpmbuild", "rpm") {
        return;
    }
    let data = TempDir::new().unwrap();
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-vulndb/tests/data/almalinux/ALSA-2024-0310.json");
    let mut db = vigil_vulndb::Database::open(data.path()).unwrap();
    db.import_as(&record, "almalinux-fixture").unwrap();
    drop(db);
    let os = "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\n\
              ID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n";
    let scan_with = |release: &str| {
        let tmp = TempDir::new().unwrap();
        let spec = openssl_libs_spec(release);
        let rpmdb = make_rpmdb(tmp.path(), &[("openssl-libs", spec.as_str())]);
        let image = TestImage::new(vec![Layer::new(vec![
            file("etc/os-release", os),
            file("var/lib/rpm/rpmdb.sqlite", rpmdb),
        ])]);
        let path = tmp.path().join("image.tar");
        image.write_docker_archive(&path).unwrap();
        let cfg = ScanConfig {
            scanners: Scanners::parse(&["vuln"]).unwrap(),
            data_dir: Some(data.path().to_path_buf()),
            ..ScanConfig::default()
        };
        let report = scan::scan(&Source::DockerArchive(path), "test", &cfg).unwrap();
        let inv: Vec<(String, String)> = report
            .inventory
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(
            inv,
            vec![("openssl-libs".into(), format!("1:3.0.7-{release}"))]
        );
        report.findings()
    };

    let found = scan_with("24.el9");
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.kind, scan::KIND_VULN);
    assert_eq!(f.cve, vec!["CVE-2023-5363".to_string()]);
    assert_eq!(f.evidence["advisory"]["id"], "ALSA-2024:0310");
    assert_eq!(f.evidence["matched"]["ecosystem"], "AlmaLinux:9");
    assert_eq!(f.evidence["fixed_version"], "1:3.0.7-25.el9_3");
    assert_eq!(
        f.evidence["package"]["purl"]
            .as_str()
            .map(|p| p.starts_with("pkg:rpm/almalinux/openssl-libs@")),
        Some(true)
    );

    assert!(
        scan_with("25.el9_3").is_empty(),
        "the fixed release is not affected"
    );
}

#[test]
fn malformed_and_hostile_databases_fail_cleanly() {
    let tmp = TempDir::new().unwrap();
    // A valid SQLite database without a Packages table.
    let other = tmp.path().join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let other = std::fs::read(&other).unwrap();
    assert!(matches!(
        rpm::read_sqlite(&other),
        Err(rpm::RpmDbError::NoPackagesTable)
    ));

    // A Packages "table" whose blob is computed as a 200 MB value: refused by the length
    // limit, not allocated.
    let bomb = tmp.path().join("bomb.sqlite");
    {
        let c = rusqlite::Connection::open(&bomb).unwrap();
        c.execute_batch(
            "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, x, \
             blob BLOB AS (zeroblob(200000000)) VIRTUAL); INSERT INTO Packages(x) VALUES (1);",
        )
        .unwrap();
    }
    let bomb = std::fs::read(&bomb).unwrap();
    let err = rpm::read_sqlite(&bomb).unwrap_err().to_string();
    assert!(err.contains("too big"), "{err}");

    // Packages as a view: not a table.
    let view = tmp.path().join("view.sqlite");
    {
        let c = rusqlite::Connection::open(&view).unwrap();
        c.execute_batch(
            "CREATE VIEW Packages AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
             SELECT i + 1 FROM n) SELECT i AS hnum, x'00' AS blob FROM n;",
        )
        .unwrap();
    }
    let view = std::fs::read(&view).unwrap();
    assert!(matches!(
        rpm::read_sqlite(&view),
        Err(rpm::RpmDbError::NoPackagesTable)
    ));

    // A real table with rows that are not rpm headers.
    let junk = tmp.path().join("junk.sqlite");
    {
        let c = rusqlite::Connection::open(&junk).unwrap();
        c.execute_batch(
            "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); \
             INSERT INTO Packages(blob) VALUES (x'0000000100000004'), (x'ffffffff'), ('text');",
        )
        .unwrap();
    }
    let junk = std::fs::read(&junk).unwrap();
    let rows = rpm::read_sqlite(&junk).unwrap();
    assert_eq!(rows.len(), 2, "the text row is not a blob");
    assert!(rows.iter().all(|r| r.header.is_err()));

    // Through the inventory: notes, no packages. A truncated database too.
    let mut cut = junk.clone();
    cut.truncate(2048);
    for (db, what) in [
        (&junk, "unreadable"),
        (&bomb, "rpm database"),
        (&cut, "rpm database"),
    ] {
        let image = TestImage::new(vec![Layer::new(vec![file(
            "var/lib/rpm/rpmdb.sqlite",
            db.clone(),
        )])]);
        let inv = inventory_of(&image);
        assert!(inv.packages.is_empty());
        assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
        assert!(inv.skipped[0].reason.contains(what), "{:?}", inv.skipped);
    }
}

#[test]
fn rpm_databases_in_unread_formats_are_noted() {
    // A BerkeleyDB rpmdb (RHEL 8): Vigil does not read it and says so.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "var/lib/rpm/Packages",
        vec![0u8; 4096],
    )])]);
    let inv = inventory_of(&image);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.skipped[0].path, "/var/lib/rpm/Packages");
    assert!(inv.skipped[0].reason.contains("BerkeleyDB"));
    // Its twin: an image with other files under /var/lib/rpm has no such note.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "var/lib/rpm/.rpm.lock",
        Vec::new(),
    )])]);
    assert!(inventory_of(&image).skipped.is_empty());
}
