//! The rpm analyzer against a real SQLite rpm database made by Debian's `rpm` package: two
//! noarch packages built with `rpmbuild` (one with an Epoch) and installed with `rpm --justdb`;
//! the inventory must equal what `rpm -qa` prints. The same headers loaded into Berkeley DB
//! hash databases by Berkeley DB's own `db5.3_load` must equal what rpm's Berkeley DB reader
//! (`bdb_ro`) lists, or `db5.3_dump` shows where rpm 4.18 cannot read them (big-endian,
//! checksummed). A real NDB database of a SLES 15.3 image must equal that image's `rpm -qa`
//! (Debian's rpm has no NDB backend to make one). Hostile and malformed databases fail
//! cleanly. The tests need `rpm` and `rpmbuild` (Debian package `rpm`) and `db5.3_load`,
//! `db5.3_dump`, `db5.3_stat` (Debian package `db5.3-util`); outside CI they are skipped
//! without them, in CI they fail.

use crate::common::{have, inventory_of, run};
use std::path::Path;
use std::process::Command;

use vigil_engine_image::sbom::{osrelease, rpm, Inventory};
use vigil_engine_image::scan::{self, ScanConfig, Scanners};
use vigil_engine_image::testing::{file, Layer, TempDir, TestImage};
use vigil_engine_image::Source;

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
    if !have("rpm", "--version", "rpm") || !have("rpmbuild", "--version", "rpm") {
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
    if !have("rpm", "--version", "rpm") || !have("rpmbuild", "--version", "rpm") {
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
fn rpm_databases_that_do_not_parse_are_noted() {
    // An NDB path holding no NDB database: a note, so that an empty OS inventory is never
    // mistaken for an image without packages.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "usr/lib/sysimage/rpm/Packages.db",
        vec![0u8; 4096],
    )])]);
    let inv = inventory_of(&image);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.skipped[0].path, "/usr/lib/sysimage/rpm/Packages.db");
    assert!(
        inv.skipped[0].reason.contains("not an NDB rpm database"),
        "{:?}",
        inv.skipped
    );
    // A Berkeley DB path holding no Berkeley DB database: a note, no packages.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "var/lib/rpm/Packages",
        vec![0u8; 4096],
    )])]);
    let inv = inventory_of(&image);
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.skipped[0].path, "/var/lib/rpm/Packages");
    assert!(
        inv.skipped[0]
            .reason
            .contains("not a Berkeley DB hash database"),
        "{:?}",
        inv.skipped
    );
    // Its twin: an image with other files under /var/lib/rpm has no such note.
    let image = TestImage::new(vec![Layer::new(vec![file(
        "var/lib/rpm/.rpm.lock",
        Vec::new(),
    )])]);
    assert!(inventory_of(&image).skipped.is_empty());
}

/// Whether the Berkeley DB utility `tool` runs (`-V`; they have no `--version`); in CI a
/// missing tool fails the test.
fn have_db_util(tool: &str) -> bool {
    have(tool, "-V", "db5.3-util")
}

fn have_bdb_tools() -> bool {
    have("rpm", "--version", "rpm")
        && have("rpmbuild", "--version", "rpm")
        && have_db_util("db5.3_load")
        && have_db_util("db5.3_dump")
        && have_db_util("db5.3_stat")
}

/// A package whose header is large (a long description): over 16 kB, so it goes to overflow
/// pages even with 64 kB pages, and spans dozens of overflow pages with 512-byte pages.
fn spec_gamma() -> String {
    let line = "The quick brown fox jumps over the lazy dog, again and again, for the test.\n";
    format!(
        "Name: vigil-gamma\nVersion: 3.1\nRelease: 7.el8\nSummary: big header\n\
         License: GPLv2+\nBuildArch: noarch\n%description\n{}%files\n",
        line.repeat(400)
    )
}

/// The header blobs of an `rpmdb.sqlite`, by header number.
fn sqlite_blobs(tmp: &Path, db: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let path = tmp.join("copy.sqlite");
    std::fs::write(&path, db).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = c
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Writes `entries` (header number, value) into a Berkeley DB hash database at `path` with
/// `db5.3_load`, as rpm does: keys are 4-byte header numbers in the database's byte order.
fn db_load(path: &Path, entries: &[(u32, Vec<u8>)], big_endian: bool, options: &[&str]) {
    let mut dump = String::from("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n");
    for (k, v) in entries {
        let key = if big_endian {
            k.to_be_bytes()
        } else {
            k.to_le_bytes()
        };
        dump.push_str(&format!(" {}\n {}\n", hex(&key), hex(v)));
    }
    dump.push_str("DATA=END\n");
    let input = path.with_extension("dump");
    std::fs::write(&input, dump).unwrap();
    let mut cmd = Command::new("db5.3_load");
    cmd.arg("-c").arg(if big_endian {
        "db_lorder=4321"
    } else {
        "db_lorder=1234"
    });
    for o in options {
        cmd.arg("-c").arg(o);
    }
    run(cmd.arg("-f").arg(&input).arg(path));
    std::fs::remove_file(input).unwrap();
}

/// `db5.3_dump`'s view of a database: its (key, value) pairs.
fn db_dump(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let out = run(Command::new("db5.3_dump").arg(path));
    let body = out.split("HEADER=END\n").nth(1).unwrap();
    let items: Vec<Vec<u8>> = body
        .lines()
        .take_while(|l| *l != "DATA=END")
        .map(|l| unhex(l.trim()))
        .collect();
    items
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

/// A number from `db5.3_stat -d` (the line ending with `label`).
fn db_stat(path: &Path, label: &str) -> u64 {
    let out = run(Command::new("db5.3_stat").arg("-d").arg(path));
    let line = out
        .lines()
        .find(|l| l.ends_with(label))
        .unwrap_or_else(|| panic!("{label} not in {out}"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// The inventory's rpm packages in the terms of [`rpm_qa`], with the source package's name
/// for `SOURCERPM` (see [`source_names`]).
fn inventory_lines(inv: &Inventory) -> Vec<String> {
    let none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let mut got: Vec<String> = inv
        .packages
        .iter()
        .map(|p| {
            let src = p.source_name.clone();
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
    got
}

/// [`rpm_qa`] lines with `SOURCERPM` cut to the source package's name (what the inventory
/// keeps).
fn source_names(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut f: Vec<String> = l.split('|').map(str::to_string).collect();
            f[3] = rpm::source_name(&f[3]).unwrap_or_else(|| "(none)".into());
            f.join("|")
        })
        .collect();
    out.sort();
    out
}

/// Header lines as [`rpm_qa`] prints them, from header blobs.
fn header_lines<'a>(blobs: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    let none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let mut lines: Vec<String> = blobs
        .map(|b| {
            let h = rpm::parse_header(b).unwrap();
            format!(
                "{}|{}|{}|{}|{}",
                h.name,
                h.evr(),
                none(&h.arch),
                none(&h.source_rpm),
                none(&h.license)
            )
        })
        .collect();
    lines.sort();
    lines
}

/// `rpm -qa` on a Berkeley DB database through rpm's own read-only Berkeley DB backend.
fn rpm_qa_bdb(db: &Path) -> Vec<String> {
    let out = run(Command::new("rpm").arg("--dbpath").arg(db).args([
        "--define",
        "_db_backend bdb_ro",
        "-qa",
        "--qf",
        "%{NAME}|%{EVR}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\\n",
    ]));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

const ROCKY_8: &str = "NAME=\"Rocky Linux\"\nVERSION=\"8.9 (Green Obsidian)\"\nID=\"rocky\"\n\
ID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n";

/// Header blobs by header number.
type Entries = Vec<(u32, Vec<u8>)>;

/// Builds the rpm database of the three test packages and returns the temporary directory,
/// rpm's own list and the header blobs with rpm's key-0 record in front.
fn bdb_fixture() -> (TempDir, Vec<String>, Entries) {
    let tmp = TempDir::new().unwrap();
    let gamma = spec_gamma();
    let sqlite = make_rpmdb(
        tmp.path(),
        &[
            ("alpha", SPEC_ALPHA),
            ("beta", SPEC_BETA),
            ("gamma", gamma.as_str()),
        ],
    );
    let want = rpm_qa(&tmp.path().join("db"));
    assert_eq!(want.len(), 3, "{want:?}");
    let blobs = sqlite_blobs(tmp.path(), &sqlite);
    assert_eq!(blobs.len(), 3);
    assert!(
        blobs.iter().any(|(_, b)| b.len() > 20_000),
        "one header larger than a quarter of 64 kB pages"
    );
    // rpm keeps its next header number under key 0; not a header.
    let mut entries = vec![(0u32, 4u32.to_le_bytes().to_vec())];
    entries.extend(blobs);
    (tmp, want, entries)
}

/// A real Berkeley DB rpm database (the header blobs rpm wrote, loaded into a hash database
/// with Berkeley DB's own `db5.3_load`) read by the inventory equals what rpm's own
/// Berkeley DB reader (`bdb_ro`) lists, with 512-byte pages (every header on overflow pages,
/// chains of dozens of pages), 64 kB pages (small headers on the bucket page, the big one off
/// it) and many entries (hundreds of buckets and bucket chains). Big-endian and checksummed
/// databases, which rpm 4.18's `bdb_ro` does not read, are checked against `db5.3_dump`.
#[test]
fn real_berkeley_db_rpmdb_equals_rpm_qa() {
    if !have_bdb_tools() {
        return;
    }
    let (tmp, want, entries) = bdb_fixture();
    let mut many = vec![entries[0].clone()];
    for k in 1..=300u32 {
        many.push((k, entries[1 + (k as usize % 3)].1.clone()));
    }
    type Case<'a> = (&'a str, &'a Entries, bool, &'a [&'a str]);
    let cases: [Case; 5] = [
        ("p512", &entries, false, &["db_pagesize=512"]),
        ("p64k", &entries, false, &["db_pagesize=65536"]),
        ("many", &many, false, &["db_pagesize=512"]),
        ("be", &entries, true, &["db_pagesize=512"]),
        ("chksum", &entries, false, &["db_pagesize=1024", "chksum=1"]),
    ];
    for (label, entries, big_endian, options) in cases {
        let dir = tmp.path().join(label);
        std::fs::create_dir_all(&dir).unwrap();
        let db_file = dir.join("Packages");
        db_load(&db_file, entries, big_endian, options);
        assert!(
            db_stat(&db_file, "Number of overflow pages") > 0,
            "{label}: overflow pages used"
        );
        // The independent views of what the file holds: rpm's reader where it can, and
        // Berkeley DB's own dump.
        let dumped = db_dump(&db_file);
        assert_eq!(dumped.len(), entries.len(), "{label}");
        let from_dump = header_lines(
            dumped
                .iter()
                .filter(|(k, _)| k.as_slice() != [0, 0, 0, 0])
                .map(|(_, v)| v.as_slice()),
        );
        if label == "many" {
            assert!(db_stat(&db_file, "Number of hash buckets") > 4);
            assert!(db_stat(&db_file, "Number of bucket overflow pages") > 0);
        }
        let expected = if label == "many" {
            let rpm_list = rpm_qa_bdb(&dir);
            assert_eq!(rpm_list.len(), 300);
            rpm_list
        } else {
            if !big_endian && !label.starts_with("chksum") {
                assert_eq!(rpm_qa_bdb(&dir), want, "{label}: rpm bdb_ro");
            }
            want.clone()
        };
        assert_eq!(from_dump, expected, "{label}: db5.3_dump");

        let bytes = std::fs::read(&db_file).unwrap();
        let image = TestImage::new(vec![Layer::new(vec![
            file("etc/os-release", ROCKY_8),
            file("var/lib/rpm/Packages", bytes.clone()),
        ])]);
        let inv = inventory_of(&image);
        assert!(inv.skipped.is_empty(), "{label}: {:?}", inv.skipped);
        assert_eq!(
            inventory_lines(&inv),
            source_names(&expected),
            "{label}: inventory"
        );

        // Rows come in header-number order, key 0 left out.
        let rows = rpm::bdb::read(&bytes).unwrap();
        assert_eq!(rows.len(), entries.len() - 1, "{label}");
        assert!(rows.windows(2).all(|w| w[0].hnum < w[1].hnum), "{label}");
        assert!(rows.iter().all(|r| r.header.is_ok()), "{label}");

        let alpha = inv
            .packages
            .iter()
            .find(|p| p.name == "vigil-alpha")
            .unwrap();
        assert_eq!(
            alpha.purl,
            "pkg:rpm/rocky/vigil-alpha@1.2.3-4.vg1?arch=noarch&distro=rocky-8.9&epoch=2"
        );
        assert_eq!(alpha.path, "/var/lib/rpm/Packages");
        assert_eq!(alpha.source_name.as_deref(), Some("vigil-alpha"));
    }

    // The /usr/lib/sysimage location is read too; next to an rpmdb.sqlite the Berkeley DB
    // file is a leftover: noted, not read, no package twice.
    let bdb = std::fs::read(tmp.path().join("p512/Packages")).unwrap();
    let sqlite = std::fs::read(tmp.path().join("db/rpmdb.sqlite")).unwrap();
    let image = TestImage::new(vec![Layer::new(vec![file(
        "usr/lib/sysimage/rpm/Packages",
        bdb.clone(),
    )])]);
    assert_eq!(inventory_lines(&inventory_of(&image)), source_names(&want));
    let image = TestImage::new(vec![Layer::new(vec![
        file("var/lib/rpm/Packages", bdb),
        file("var/lib/rpm/rpmdb.sqlite", sqlite),
    ])]);
    let inv = inventory_of(&image);
    assert_eq!(inventory_lines(&inv), source_names(&want));
    assert!(inv
        .packages
        .iter()
        .all(|p| p.path.ends_with("rpmdb.sqlite")));
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(inv.skipped[0].reason.contains("rpmdb.sqlite"));
}

/// Page `n` of a Berkeley DB file with 512-byte little-endian pages: its type and next page.
fn page_type(db: &[u8], n: usize) -> u8 {
    db[n * 512 + 25]
}

fn set_next(db: &mut [u8], n: usize, next: u32) {
    db[n * 512 + 16..n * 512 + 20].copy_from_slice(&next.to_le_bytes());
}

#[test]
fn hostile_berkeley_db_databases_fail_cleanly() {
    if !have_bdb_tools() {
        return;
    }
    let (tmp, _want, entries) = bdb_fixture();
    let db_file = tmp.path().join("Packages");
    db_load(&db_file, &entries, false, &["db_pagesize=512"]);
    let good = std::fs::read(&db_file).unwrap();
    assert_eq!(rpm::bdb::read(&good).unwrap().len(), 3);
    let pages = good.len() / 512;
    let through_inventory = |db: Vec<u8>| {
        inventory_of(&TestImage::new(vec![Layer::new(vec![file(
            "var/lib/rpm/Packages",
            db,
        )])]))
    };

    // Truncated anywhere: an error (the metadata names pages the file lacks).
    for cut in (0..good.len()).step_by(97) {
        assert!(rpm::bdb::read(&good[..cut]).is_err(), "cut at {cut}");
    }
    let inv = through_inventory(good[..good.len() - 512].to_vec());
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(
        inv.skipped[0].reason.contains("truncated"),
        "{:?}",
        inv.skipped
    );

    // Absurd page sizes, and a wrong but valid one.
    for size in [0u32, 3, 256, 513, 1 << 17, 1 << 31, u32::MAX, 1024] {
        let mut bad = good.clone();
        bad[20..24].copy_from_slice(&size.to_le_bytes());
        assert!(rpm::bdb::read(&bad).is_err(), "page size {size}");
    }
    // A last page number far beyond the file.
    let mut bad = good.clone();
    bad[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        rpm::bdb::read(&bad),
        Err(rpm::bdb::BdbError::Truncated { .. })
    ));

    // A bucket page chained to itself: a loop, the whole database refused.
    let hash_page = (1..pages)
        .find(|&n| matches!(page_type(&good, n), 2 | 13))
        .unwrap();
    let mut bad = good.clone();
    set_next(&mut bad, hash_page, hash_page as u32);
    assert!(matches!(
        rpm::bdb::read(&bad),
        Err(rpm::bdb::BdbError::Loop(_))
    ));
    let inv = through_inventory(bad);
    assert!(inv.packages.is_empty());
    assert!(inv.skipped[0].reason.contains("loop"), "{:?}", inv.skipped);

    // An overflow page chained back to itself: that header is unreadable, the others are read.
    let overflow_page = (1..pages)
        .find(|&n| {
            page_type(&good, n) == 7
                && u32::from_le_bytes(good[n * 512 + 16..][..4].try_into().unwrap()) != 0
        })
        .unwrap();
    let mut bad = good.clone();
    set_next(&mut bad, overflow_page, overflow_page as u32);
    let rows = rpm::bdb::read(&bad).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().filter(|r| r.header.is_err()).count(),
        1,
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .any(|r| r.header == Err(rpm::HeaderError::Entry("overflow page loop"))));
    let inv = through_inventory(bad);
    assert_eq!(inv.packages.len(), 2);
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(inv.skipped[0].reason.contains("1 rpm headers unreadable"));

    // Thousands of random corruptions of the real file: never a panic, never more entries
    // than the file's pages could hold, and quickly.
    let started = std::time::Instant::now();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let mut bad = good.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % bad.len() as u64) as usize;
            bad[at] = next() as u8;
        }
        if next() % 4 == 0 {
            bad.truncate((next() % bad.len() as u64) as usize);
        }
        if let Ok(rows) = rpm::bdb::read(&bad) {
            assert!(rows.len() <= pages * 512 / 4);
        }
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// An NDB rpm database holding the header blobs `rpmbuild` and `rpm` wrote for the three test
/// packages, in rpm's NDB container (`rpm::ndb::write`: Debian's rpm 4.18 has no NDB backend
/// to write one), and rpm's own list of those packages.
fn ndb_fixture() -> Option<(TempDir, Vec<String>, Vec<u8>)> {
    if !have("rpm", "--version", "rpm") || !have("rpmbuild", "--version", "rpm") {
        return None;
    }
    let (tmp, want, entries) = bdb_fixture();
    // NDB keeps no key-0 record: package indexes start at 1.
    let blobs: Entries = entries.into_iter().filter(|(k, _)| *k != 0).collect();
    assert_eq!(blobs.len(), 3);
    Some((tmp, want, rpm::ndb::write(&blobs)))
}

const SLES_15_3: &str =
    "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n";

/// An NDB rpm database of real rpm headers read by the inventory equals what `rpm -qa`
/// lists for the same packages, at both NDB locations.
#[test]
fn ndb_rpmdb_of_real_headers_equals_rpm_qa() {
    let Some((_tmp, want, db)) = ndb_fixture() else {
        return;
    };
    for path in [
        "usr/lib/sysimage/rpm/Packages.db",
        "var/lib/rpm/Packages.db",
    ] {
        let image = TestImage::new(vec![Layer::new(vec![
            file("etc/os-release", SLES_15_3),
            file(path, db.clone()),
        ])]);
        let inv = inventory_of(&image);
        assert!(inv.skipped.is_empty(), "{path}: {:?}", inv.skipped);
        assert_eq!(inventory_lines(&inv), source_names(&want), "{path}");
        let alpha = inv
            .packages
            .iter()
            .find(|p| p.name == "vigil-alpha")
            .unwrap();
        assert_eq!(
            alpha.purl,
            "pkg:rpm/sles/vigil-alpha@1.2.3-4.vg1?arch=noarch&distro=sles-15.3&epoch=2"
        );
        assert_eq!(alpha.path, format!("/{path}"));
    }
    let rows = rpm::ndb::read(&db).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.windows(2).all(|w| w[0].hnum < w[1].hnum));
    assert!(rows.iter().all(|r| r.header.is_ok()));
}

#[test]
fn hostile_ndb_databases_fail_cleanly() {
    let Some((_tmp, _want, good)) = ndb_fixture() else {
        return;
    };
    let through_inventory = |db: Vec<u8>| {
        inventory_of(&TestImage::new(vec![Layer::new(vec![file(
            "usr/lib/sysimage/rpm/Packages.db",
            db,
        )])]))
    };
    // Truncated anywhere: an error (the file ends inside the slots or inside a blob).
    for cut in (0..good.len()).step_by(4099) {
        if let Ok(rows) = rpm::ndb::read(&good[..cut]) {
            panic!("cut at {cut}: {} rows", rows.len());
        }
    }
    let inv = through_inventory(good[..good.len() - 16].to_vec());
    assert!(inv.packages.is_empty());
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(
        inv.skipped[0].reason.contains("past the end"),
        "{:?}",
        inv.skipped
    );

    // A slot page count far beyond the file.
    let mut bad = good.clone();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(rpm::ndb::read(&bad), Err(rpm::ndb::NdbError::Truncated));

    // A byte changed inside one blob: that package is unreadable (checksum), the others read.
    let slot = 32;
    let blkoff = u32::from_le_bytes(good[slot + 8..slot + 12].try_into().unwrap()) as usize;
    let mut bad = good.clone();
    bad[blkoff * 16 + 100] ^= 0x40;
    let inv = through_inventory(bad);
    assert_eq!(inv.packages.len(), 2);
    assert_eq!(inv.skipped.len(), 1, "{:?}", inv.skipped);
    assert!(inv.skipped[0].reason.contains("1 rpm headers unreadable"));

    // Two slots naming the same blob: refused (every byte is checked at most once).
    let mut bad = good.clone();
    let first: [u8; 8] = good[slot + 8..slot + 16].try_into().unwrap();
    bad[slot + 16 + 8..slot + 16 + 16].copy_from_slice(&first);
    assert!(matches!(
        rpm::ndb::read(&bad),
        Err(rpm::ndb::NdbError::BadSlot(_, "blobs overlap"))
    ));

    // Random corruptions of the real file: never a panic, never more rows than slots.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut bad = good.clone();
        for _ in 0..1 + next() % 8 {
            // Mostly in the slot page, where the structure is.
            let at = if next() % 2 == 0 {
                (next() % 4096) as usize
            } else {
                (next() % bad.len() as u64) as usize
            };
            bad[at] = next() as u8;
        }
        if let Ok(rows) = rpm::ndb::read(&bad) {
            assert!(rows.len() <= 4096 / 16);
        }
    }
}
