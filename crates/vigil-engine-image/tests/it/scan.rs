//! The whole image scan on images the test builds: a Debian-like image carrying this
//! machine's real dpkg database and os-release, Python packages (one deleted by a whiteout),
//! an EICAR file (and one whited out), a planted SSH private key and Tencent Cloud key, a
//! setuid shell, a secret in ENV and root as user; its safe twin without them; an Alpine-like
//! image and its fixed twin. Vulnerabilities are asserted exactly against real advisories: the
//! PyPA OSV records and Alpine secdb under `../shared/vulndb/`, and vigil-vulndb's Debian
//! fixtures (which restate the Debian security tracker).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use vigil_engine_image::scan::{self, Report, ScanConfig, Scanners};
use vigil_engine_image::testing::{dir_mode, file, file_mode, whiteout, Layer, TempDir, TestImage};
use vigil_engine_image::Source;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

/// A data directory with the PyPA records, Alpine secdb v3.11 and the Debian fixtures.
fn vulndb(dir: &Path) {
    let mut db = vigil_vulndb::Database::open(dir).unwrap();
    db.import_as(&shared("vulndb/pypa"), "pypa").unwrap();
    db.import_as(
        &shared("vulndb/alpine-secdb/v3.11/main.yaml"),
        "alpine-3.11",
    )
    .unwrap();
    let debian = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-vulndb/tests/data/debian");
    db.import_as(&debian, "debian-fixtures").unwrap();
}

fn detector() -> Arc<vigil_detect::Scanner> {
    Arc::new(vigil_detect::Scanner::new(vigil_detect::Config::default()).unwrap())
}

fn run(img: &TestImage, data: &Path) -> Report {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    let cfg = ScanConfig {
        scanners: Scanners::default(),
        data_dir: Some(data.to_path_buf()),
        detector: Some(detector()),
        ..ScanConfig::default()
    };
    scan::scan(&Source::DockerArchive(path), "test", &cfg).unwrap()
}

fn dist_info(name: &str, version: &str) -> Vec<vigil_engine_image::testing::Entry> {
    let dir = format!("usr/lib/python3/dist-packages/{name}-{version}.dist-info");
    vec![file(
        &format!("{dir}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
    )]
}

fn eicar() -> Vec<u8> {
    // Assembled at run time so the repository never holds the test file itself.
    let parts = [
        r"X5O!P%@AP[4\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-",
        "TEST-FILE!$H+H*",
    ];
    parts.concat().into_bytes()
}

fn ssh_key(dir: &Path) -> Vec<u8> {
    let key = dir.join("id_ed25519");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "ssh-keygen (openssh-client) is needed");
    std::fs::read(key).unwrap()
}

/// (vulnerability id, package) pairs.
fn vulns(r: &Report) -> BTreeSet<(String, String)> {
    r.findings()
        .iter()
        .filter(|f| f.kind == scan::KIND_VULN)
        .map(|f| {
            let id = f
                .cve
                .first()
                .cloned()
                .unwrap_or_else(|| f.identity[0].clone());
            (
                id,
                f.evidence["package"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (kind, rule, path) of every non-vulnerability finding.
fn others(r: &Report) -> BTreeSet<(String, String, String)> {
    r.findings()
        .iter()
        .filter(|f| f.kind != scan::KIND_VULN)
        .map(|f| {
            (
                f.kind.clone(),
                f.evidence["rule"].as_str().unwrap_or("").to_string(),
                f.path.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// Binary packages of this machine built from source `apt` (each carries CVE-2011-3374).
fn apt_binaries() -> BTreeSet<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${source:Package}\n"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, src)| *src == "apt")
        .map(|(p, _)| p.to_string())
        .collect()
}

fn debian_base() -> Option<Layer> {
    let status = std::fs::read("/var/lib/dpkg/status").ok()?;
    let os = std::fs::read("/etc/os-release").ok()?;
    if !String::from_utf8_lossy(&os).contains("ID=debian") {
        return None;
    }
    Some(Layer::new(vec![
        file("etc/os-release", os),
        file("var/lib/dpkg/status", status),
        file("bin/sh", b"#!not really a shell".to_vec()),
    ]))
}

#[test]
fn debian_image_and_its_safe_twin() {
    let Some(base) = debian_base() else {
        assert!(std::env::var_os("CI").is_none(), "CI runs on Debian");
        eprintln!("note: not a Debian machine; test skipped");
        return;
    };
    let data = TempDir::new().unwrap();
    vulndb(data.path());
    let keys = TempDir::new().unwrap();
    let key = ssh_key(keys.path());
    let tencent = format!(
        "SecretId = AKID{}\nSecretKey = {}\n",
        "Z8k2Lq7Rt5Wx9Vb3Nm6Pc4Hd1Jf0Gs2Ya7Ke", "q3W8e5R1t7Y2u9I4o6P0a8S3d5F1g7H2"
    );

    let mut app = dist_info("requests", "2.19.1");
    app.extend(dist_info("urllib3", "1.24.1"));
    app.push(file("opt/old/eicar.txt", eicar()));
    let mut planted = vec![
        file("srv/upload/eicar.com", eicar()),
        file("root/.ssh/id_ed25519", key),
        file("app/config/tencent.ini", tencent),
        file_mode("usr/local/bin/sh", b"#!shell copy".to_vec(), 0o4755),
        // The older urllib3 and the first EICAR copy are deleted again.
        whiteout("usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info"),
        whiteout("opt/old/eicar.txt"),
    ];
    planted.extend(dist_info("idna", "2.7"));
    let mut vulnerable = TestImage::new(vec![base.clone(), Layer::new(app), Layer::new(planted)]);
    vulnerable.user = None;
    vulnerable.env.push("DB_PASSWORD=Pr0d-Passw0rd-2026".into());
    let r = run(&vulnerable, data.path());

    // Vulnerabilities, exactly: requests 2.19.1 has PYSEC-2018-28 (CVE-2018-18074) and
    // PYSEC-2023-74 (CVE-2023-32681); idna 2.7 has PYSEC-2024-60 (CVE-2024-3651, fixed in
    // 3.7); the whited-out urllib3
    // is gone; every binary of source `apt` carries the unfixed CVE-2011-3374; this machine's
    // libc6 is past DSA-5514-1's fix.
    let mut want: BTreeSet<(String, String)> = [
        ("CVE-2018-18074", "requests"),
        ("CVE-2023-32681", "requests"),
        ("CVE-2024-3651", "idna"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for b in apt_binaries() {
        want.insert(("CVE-2011-3374".into(), b));
    }
    assert_eq!(vulns(&r), want);
    assert!(!r.inventory.packages.iter().any(|p| p.name == "urllib3"));
    let requests = r
        .findings()
        .into_iter()
        .find(|f| f.cve.first().map(String::as_str) == Some("CVE-2018-18074"))
        .unwrap();
    assert_eq!(requests.evidence["fixed_version"], "2.20.0");
    assert_eq!(requests.evidence["package"]["layer"], 1);
    let apt = r
        .findings()
        .into_iter()
        .find(|f| f.cve.first().map(String::as_str) == Some("CVE-2011-3374"))
        .unwrap();
    assert_eq!(apt.evidence["fix_status"], "not-fixed");

    // Malware, risks: each planted item, and nothing anywhere else.
    let got = others(&r);
    let has = |kind: &str, rule: &str, path: &str| {
        got.contains(&(kind.to_string(), rule.to_string(), path.to_string()))
    };
    assert!(
        has("image-virus", "EICAR_Test_File", "/srv/upload/eicar.com"),
        "{got:#?}"
    );
    assert!(
        has(
            "image-risk",
            "ssh-private-key-file",
            "/root/.ssh/id_ed25519"
        ),
        "{got:#?}"
    );
    assert!(
        has(
            "image-risk",
            "tencent-cloud-secret-key",
            "/app/config/tencent.ini"
        ),
        "{got:#?}"
    );
    assert!(
        has("image-risk", "setid-shell", "/usr/local/bin/sh"),
        "{got:#?}"
    );
    assert!(has("image-risk", "root-user", ""), "{got:#?}");
    assert!(has("image-risk", "env-secret", ""), "{got:#?}");
    let planted_paths = [
        "",
        "/srv/upload/eicar.com",
        "/root/.ssh/id_ed25519",
        "/app/config/tencent.ini",
        "/usr/local/bin/sh",
    ];
    for (kind, rule, path) in &got {
        assert!(
            planted_paths.contains(&path.as_str()),
            "unexpected {kind} {rule} at {path}"
        );
    }
    // Evidence is masked and names the layer and hash.
    let all = serde_json::to_string(&r.findings().iter().map(|f| &f.evidence).collect::<Vec<_>>())
        .unwrap();
    assert!(!all.contains("Pr0d-Passw0rd-2026"), "ENV secret leaked");
    assert!(
        !all.contains("q3W8e5R1t7Y2u9I4o6P0a8S3d5F1g7H2"),
        "Tencent key leaked"
    );
    let virus = r
        .findings()
        .into_iter()
        .find(|f| f.kind == "image-virus")
        .unwrap();
    assert_eq!(virus.evidence["layer"], 2);
    assert_eq!(virus.evidence["sha256"].as_str().map(str::len), Some(64));

    // Safe twin: same base, patched requests, nothing planted, unprivileged user.
    let twin = TestImage::new(vec![base, Layer::new(dist_info("requests", "2.31.0"))]);
    let t = run(&twin, data.path());
    let twin_want: BTreeSet<(String, String)> = apt_binaries()
        .into_iter()
        .map(|b| ("CVE-2011-3374".to_string(), b))
        .collect();
    assert_eq!(vulns(&t), twin_want);
    assert_eq!(others(&t), BTreeSet::new());
    // The inventory is the machine's dpkg database plus the Python package.
    let dpkg_count = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Abbrev}\n"])
        .output()
        .unwrap();
    let installed = String::from_utf8_lossy(&dpkg_count.stdout)
        .lines()
        .filter(|l| l.starts_with("ii"))
        .count();
    assert_eq!(
        t.inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == "deb")
            .count(),
        installed
    );
    assert_eq!(t.components()[0].kind, "os");
}

/// The risk findings of `img` as (rule, path), risk scanner only.
fn config_risks(img: &TestImage) -> BTreeSet<(String, String)> {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    let cfg = ScanConfig {
        scanners: Scanners::parse(&["risk".to_string()]).unwrap(),
        detector: Some(detector()),
        ..ScanConfig::default()
    };
    let r = scan::scan(&Source::DockerArchive(path), "test", &cfg).unwrap();
    others(&r)
        .into_iter()
        .map(|(kind, rule, path)| {
            assert_eq!(kind, "image-risk");
            (rule, path)
        })
        .collect()
}

#[test]
fn configuration_risks_and_their_safe_twin() {
    // Vulnerable: an SSH daemon, an unusual setuid program, a world-writable file and a
    // world-writable directory without sticky bit in system paths. Present in both images
    // and never reported: a setuid `passwd` (distributions ship it so), a sticky shared
    // directory, world-writable paths outside system directories.
    let common = || {
        vec![
            file_mode("usr/bin/passwd", b"passwd".to_vec(), 0o4755),
            dir_mode("usr/share/spool", 0o1777),
            dir_mode("srv/shared", 0o777),
            file_mode("srv/shared/notes.txt", b"notes".to_vec(), 0o666),
        ]
    };
    let mut entries = common();
    entries.extend([
        file_mode("usr/sbin/sshd", b"\x7fELF sshd".to_vec(), 0o755),
        file_mode("usr/local/bin/backup-helper", b"\x7fELF".to_vec(), 0o4750),
        file_mode("etc/cron.d/cleanup", b"* * * * * root /x\n".to_vec(), 0o666),
        dir_mode("usr/lib/plugins", 0o777),
    ]);
    let mut vulnerable = TestImage::new(vec![Layer::new(entries)]);
    vulnerable.user = Some("app".into());
    let want: BTreeSet<(String, String)> = [
        ("ssh-server", "/usr/sbin/sshd"),
        ("setid-file", "/usr/local/bin/backup-helper"),
        ("world-writable-file", "/etc/cron.d/cleanup"),
        ("world-writable-dir", "/usr/lib/plugins"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(config_risks(&vulnerable), want);

    // Safe twin: the same files with ordinary modes, and an SSH client instead of a server.
    let mut entries = common();
    entries.extend([
        file_mode("usr/bin/ssh", b"\x7fELF ssh".to_vec(), 0o755),
        file_mode("usr/local/bin/backup-helper", b"\x7fELF".to_vec(), 0o750),
        file_mode("etc/cron.d/cleanup", b"* * * * * root /x\n".to_vec(), 0o644),
        dir_mode("usr/lib/plugins", 0o755),
    ]);
    let mut twin = TestImage::new(vec![Layer::new(entries)]);
    twin.user = Some("app".into());
    assert_eq!(config_risks(&twin), BTreeSet::new());
}

#[test]
fn alpine_image_and_its_fixed_twin() {
    let data = TempDir::new().unwrap();
    vulndb(data.path());
    let apk = |release: &str| {
        format!(
            "P:libssl1.1\nV:1.1.1d-{release}\nA:x86_64\no:openssl\n\nP:musl\nV:1.1.24-r0\nA:x86_64\no:musl\n\n"
        )
    };
    let image = |release: &str| {
        TestImage::new(vec![Layer::new(vec![
            file(
                "etc/os-release",
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.11.6\n",
            ),
            file("lib/apk/db/installed", apk(release)),
        ])])
    };
    // secdb v3.11 main.yaml, openssl: `1.1.1d-r3: CVE-2019-1551`.
    let r = run(&image("r2"), data.path());
    assert_eq!(
        vulns(&r),
        BTreeSet::from([("CVE-2019-1551".to_string(), "libssl1.1".to_string())])
    );
    let f = r
        .findings()
        .into_iter()
        .find(|f| f.kind == "image-vuln")
        .unwrap();
    assert_eq!(f.evidence["fixed_version"], "1.1.1d-r3");
    assert_eq!(vulns(&run(&image("r3"), data.path())), BTreeSet::new());
}

#[test]
fn scanners_are_chosen_and_a_missing_database_is_named() {
    let img = TestImage::new(vec![Layer::new(dist_info("requests", "2.19.1"))]);
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("i.tar");
    img.write_docker_archive(&path).unwrap();
    let empty = TempDir::new().unwrap();
    let cfg = ScanConfig {
        scanners: Scanners::parse(&["vuln"]).unwrap(),
        data_dir: Some(empty.path().to_path_buf()),
        ..ScanConfig::default()
    };
    let err = scan::scan(&Source::DockerArchive(path.clone()), "t", &cfg).unwrap_err();
    assert!(err.to_string().contains("vigil db import"), "{err}");
    assert!(Scanners::parse(&["vuln", "worms"]).is_err());
    assert!(Scanners::parse::<&str>(&[]).is_err());
    assert!(Scanners::parse(&["sbom", "vuln"]).is_err());
    assert_eq!(Scanners::parse(&["sbom"]).unwrap(), Scanners::none());
    // Only the risk scanner: no vulnerability, no database needed.
    let cfg = ScanConfig {
        scanners: Scanners::parse(&["risk"]).unwrap(),
        detector: Some(detector()),
        ..ScanConfig::default()
    };
    let r = scan::scan(&Source::DockerArchive(path), "t", &cfg).unwrap();
    assert!(r.findings().iter().all(|f| f.kind == scan::KIND_RISK));
    assert_eq!(
        r.inventory.packages.len(),
        1,
        "the inventory is always taken"
    );
}
