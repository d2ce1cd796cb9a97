//! Vulnerability matching of language packages, end to end: for npm, Maven, crates.io,
//! RubyGems, Packagist and Go, an image the test builds holds a package where the inventory
//! finds it, the real advisory records under `data/advisories/` (see its README: GitHub
//! Advisory Database and Go vulnerability database records, unchanged) are imported into a
//! fresh database, the image is scanned with the vulnerability scanner, and the findings are
//! asserted exactly (advisory id, CVE, package, installed version, fixed version); each
//! image's safe twin, holding the fixed versions, has no finding. Every test imports all the
//! records, so a record of one ecosystem matching a package of another would show.
//! Also the package-to-OSV-ecosystem mapping (`scan::osv_ecosystem`) for every package type.
//!
//! The Go case builds a real Go program here (offline, `-mod=vendor`) whose build information
//! names `golang.org/x/text` at the version under test; the vendored module is a stub (the
//! module's real source is not available offline), which is fine since only the build
//! information is read. Needs `go` (Debian package `golang-go`): skipped without it outside
//! CI, failing in CI.

use crate::common::{go_build, have, vulndb, w};
use std::collections::BTreeSet;
use std::io::{Cursor, Write};
use std::path::Path;

use vigil_engine_image::sbom::{OsRelease, Package};
use vigil_engine_image::scan::{self, Report, ScanConfig, Scanners};
use vigil_engine_image::testing::{file, Entry, Layer, TempDir, TestImage};
use vigil_engine_image::Source;

fn scan_vulns(img: &TestImage, data: &Path) -> Report {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    let cfg = ScanConfig {
        scanners: Scanners::parse(&["vuln"]).unwrap(),
        data_dir: Some(data.to_path_buf()),
        ..ScanConfig::default()
    };
    scan::scan(&Source::DockerArchive(path), "test", &cfg).unwrap()
}

/// One finding: advisory id, its CVE ids, package, installed version, fixed version, path.
type Found = (String, Vec<String>, String, String, Option<String>, String);

fn found(r: &Report) -> BTreeSet<Found> {
    r.findings()
        .iter()
        .map(|f| {
            assert_eq!(f.kind, scan::KIND_VULN);
            let e = &f.evidence;
            let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
            (
                s(&e["advisory"]["id"]),
                f.cve.clone(),
                s(&e["package"]["name"]),
                s(&e["package"]["version"]),
                e["fixed_version"].as_str().map(str::to_string),
                s(&e["package"]["path"]),
            )
        })
        .collect()
}

fn want(rows: &[(&str, &str, &str, &str, &str, &str)]) -> BTreeSet<Found> {
    rows.iter()
        .map(|(id, cve, name, version, fixed, path)| {
            (
                id.to_string(),
                vec![cve.to_string()],
                name.to_string(),
                version.to_string(),
                Some(fixed.to_string()),
                path.to_string(),
            )
        })
        .collect()
}

/// Scans `vulnerable` and `twin` and checks the findings of each (the twin: none), and that
/// the twin's inventory holds as many packages of `ecosystem` as the vulnerable image's (so
/// "no finding" is not "no package").
fn check(
    data: &Path,
    ecosystem: &str,
    vulnerable: &TestImage,
    expected: &[(&str, &str, &str, &str, &str, &str)],
    twin: &TestImage,
) {
    let r = scan_vulns(vulnerable, data);
    assert_eq!(found(&r), want(expected));
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let t = scan_vulns(twin, data);
    assert_eq!(found(&t), BTreeSet::new());
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    let count = |r: &Report| {
        r.inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == ecosystem)
            .count()
    };
    assert!(count(&r) > 0);
    assert_eq!(count(&r), count(&t));
    assert_eq!(count(&r), r.inventory.packages.len());
}

const LODASH: &str = "GHSA-35jh-r3h4-6jhm";
const LOG4SHELL: &str = "GHSA-jfh8-c2jp-5v3q";
const REGEX: &str = "GHSA-m5pq-gvj9-9vr8";
const RACK: &str = "GHSA-wq4h-7r42-5hrr";
const GUZZLE: &str = "GHSA-25mq-v84q-4j7r";
const X_TEXT: &str = "GO-2022-1059";

// ---------------------------------------------------------------------------------------
// npm

fn npm_image(lodash: &str, lodash_es: &str) -> TestImage {
    let pj = |name: &str, v: &str| {
        format!(r#"{{"name": "{name}", "version": "{v}", "main": "lodash.js", "license": "MIT"}}"#)
    };
    TestImage::new(vec![Layer::new(vec![
        file("app/node_modules/lodash/package.json", pj("lodash", lodash)),
        file(
            "app/node_modules/lodash-es/package.json",
            pj("lodash-es", lodash_es),
        ),
        // Same record, a package it does not name.
        file(
            "app/node_modules/lodash.template/package.json",
            pj("lodash.template", "4.5.0"),
        ),
    ])])
}

#[test]
fn npm_lodash_and_its_fixed_twin() {
    // GHSA-35jh-r3h4-6jhm: lodash and lodash-es, introduced 0, fixed 4.17.21.
    let data = vulndb();
    check(
        data.path(),
        "npm",
        &npm_image("4.17.20", "4.17.15"),
        &[
            (
                LODASH,
                "CVE-2021-23337",
                "lodash",
                "4.17.20",
                "4.17.21",
                "/app/node_modules/lodash/package.json",
            ),
            (
                LODASH,
                "CVE-2021-23337",
                "lodash-es",
                "4.17.15",
                "4.17.21",
                "/app/node_modules/lodash-es/package.json",
            ),
        ],
        &npm_image("4.17.21", "4.17.21"),
    );
    // Severity from the record's CVSS 3.1 vector (7.2: high).
    let r = scan_vulns(&npm_image("4.17.20", "4.17.21"), data.path());
    let f = &r.findings()[0];
    assert_eq!(f.severity, Some(vigil_core::Severity::High));
    assert_eq!(f.evidence["matched"]["ecosystem"], "npm");
    assert_eq!(f.evidence["package"]["purl"], "pkg:npm/lodash@4.17.20");
}

// ---------------------------------------------------------------------------------------
// Maven

fn jar(group: &str, artifact: &str, version: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("META-INF/MANIFEST.MF", opts).unwrap();
    w.write_all(b"Manifest-Version: 1.0\n").unwrap();
    w.start_file(
        format!("META-INF/maven/{group}/{artifact}/pom.properties"),
        opts,
    )
    .unwrap();
    w.write_all(
        format!("#Generated by Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n")
            .as_bytes(),
    )
    .unwrap();
    w.start_file("org/apache/logging/log4j/core/Logger.class", opts)
        .unwrap();
    w.write_all(b"\xca\xfe\xba\xbe").unwrap();
    w.finish().unwrap().into_inner()
}

fn maven_image(versions: [&str; 3]) -> TestImage {
    let entries = versions
        .iter()
        .map(|v| {
            file(
                &format!("opt/app/lib/log4j-core-{v}.jar"),
                jar("org.apache.logging.log4j", "log4j-core", v),
            )
        })
        // log4j-api is not named by the record.
        .chain([file(
            "opt/app/lib/log4j-api-2.14.1.jar",
            jar("org.apache.logging.log4j", "log4j-api", "2.14.1"),
        )])
        .collect();
    TestImage::new(vec![Layer::new(entries)])
}

#[test]
fn maven_log4shell_on_each_branch_and_its_fixed_twin() {
    // GHSA-jfh8-c2jp-5v3q: log4j-core [2.13.0, 2.15.0), [0, 2.3.1), [2.4, 2.12.2).
    let data = vulndb();
    let core = "org.apache.logging.log4j:log4j-core";
    check(
        data.path(),
        "maven",
        &maven_image(["2.14.1", "2.12.1", "2.0-beta9"]),
        &[
            (
                LOG4SHELL,
                "CVE-2021-44228",
                core,
                "2.14.1",
                "2.15.0",
                "/opt/app/lib/log4j-core-2.14.1.jar",
            ),
            (
                LOG4SHELL,
                "CVE-2021-44228",
                core,
                "2.12.1",
                "2.12.2",
                "/opt/app/lib/log4j-core-2.12.1.jar",
            ),
            (
                LOG4SHELL,
                "CVE-2021-44228",
                core,
                "2.0-beta9",
                "2.3.1",
                "/opt/app/lib/log4j-core-2.0-beta9.jar",
            ),
        ],
        // Each branch's fix.
        &maven_image(["2.15.0", "2.12.2", "2.3.1"]),
    );
    let r = scan_vulns(&maven_image(["2.17.1", "2.12.4", "2.3.2"]), data.path());
    assert_eq!(found(&r), BTreeSet::new());
    let r = scan_vulns(&maven_image(["2.14.1", "2.12.4", "2.3.2"]), data.path());
    let f = &r.findings()[0];
    assert_eq!(f.severity, Some(vigil_core::Severity::Critical));
    assert_eq!(
        f.evidence["package"]["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
}

// ---------------------------------------------------------------------------------------
// crates.io

fn cargo_image(regex: &str) -> TestImage {
    let lock = format!(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\n\
version = 3\n\n\
[[package]]\nname = \"aho-corasick\"\nversion = \"0.7.18\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
dependencies = [\n \"memchr\",\n]\n\n\
[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"regex\",\n]\n\n\
[[package]]\nname = \"memchr\"\nversion = \"2.4.1\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
[[package]]\nname = \"regex\"\nversion = \"{regex}\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
dependencies = [\n \"aho-corasick\",\n \"memchr\",\n \"regex-syntax\",\n]\n\n\
[[package]]\nname = \"regex-syntax\"\nversion = \"0.6.25\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    );
    TestImage::new(vec![Layer::new(vec![file("src/app/Cargo.lock", lock)])])
}

#[test]
fn crates_io_regex_and_its_fixed_twin() {
    // GHSA-m5pq-gvj9-9vr8 (RUSTSEC-2022-0013): regex, introduced 0, fixed 1.5.5.
    let data = vulndb();
    check(
        data.path(),
        "cargo",
        &cargo_image("1.5.4"),
        &[(
            REGEX,
            "CVE-2022-24713",
            "regex",
            "1.5.4",
            "1.5.5",
            "/src/app/Cargo.lock",
        )],
        &cargo_image("1.5.5"),
    );
    // The local `app` crate is not a package.
    let r = scan_vulns(&cargo_image("1.5.4"), data.path());
    assert_eq!(r.inventory.packages.len(), 4);
}

// ---------------------------------------------------------------------------------------
// RubyGems

fn gemspec(name: &str, version: &str) -> Entry {
    file(
        &format!("usr/local/bundle/specifications/{name}-{version}.gemspec"),
        format!(
            "# -*- encoding: utf-8 -*-\n# stub: {name} {version} ruby lib\n\n\
Gem::Specification.new do |s|\n  s.name = \"{name}\".freeze\n  s.version = \"{version}\"\n\
  s.require_paths = [\"lib\".freeze]\nend\n"
        ),
    )
}

#[test]
fn rubygems_rack_and_its_fixed_twin() {
    // GHSA-wq4h-7r42-5hrr: rack [0, 2.0.9.1), [2.1, 2.1.4.1), [2.2, 2.2.3.1). Two layers: the
    // gem directory of a bundle, and the system gems.
    let image = |a: &str, b: &str| {
        TestImage::new(vec![
            Layer::new(vec![gemspec("rack", a)]),
            Layer::new(vec![file(
                &format!("usr/local/lib/ruby/gems/2.7.0/specifications/rack-{b}.gemspec"),
                format!(
                    "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  \
s.version = \"{b}\"\nend\n"
                ),
            )]),
        ])
    };
    let data = vulndb();
    check(
        data.path(),
        "gem",
        &image("2.2.3", "2.0.9"),
        &[
            (
                RACK,
                "CVE-2022-30123",
                "rack",
                "2.2.3",
                "2.2.3.1",
                "/usr/local/bundle/specifications/rack-2.2.3.gemspec",
            ),
            (
                RACK,
                "CVE-2022-30123",
                "rack",
                "2.0.9",
                "2.0.9.1",
                "/usr/local/lib/ruby/gems/2.7.0/specifications/rack-2.0.9.gemspec",
            ),
        ],
        &image("2.2.3.1", "2.0.9.1"),
    );
    // 2.1.4 is on the middle branch; 3.0.8 is after every range.
    let r = scan_vulns(&image("2.1.4", "3.0.8"), data.path());
    assert_eq!(
        found(&r),
        want(&[(
            RACK,
            "CVE-2022-30123",
            "rack",
            "2.1.4",
            "2.1.4.1",
            "/usr/local/bundle/specifications/rack-2.1.4.gemspec",
        )])
    );
    // No score in the record: its GitHub severity label (HIGH).
    assert_eq!(r.findings()[0].severity, Some(vigil_core::Severity::High));
}

// ---------------------------------------------------------------------------------------
// Packagist

fn installed_json(guzzle: &str) -> String {
    format!(
        r#"{{
    "packages": [
        {{"name": "guzzlehttp/guzzle", "version": "{guzzle}", "version_normalized": "{guzzle}.0", "type": "library", "install-path": "../guzzlehttp/guzzle"}},
        {{"name": "guzzlehttp/psr7", "version": "2.4.0", "version_normalized": "2.4.0.0", "type": "library", "install-path": "../guzzlehttp/psr7"}}
    ],
    "dev": true,
    "dev-package-names": []
}}"#
    )
}

#[test]
fn packagist_guzzle_and_its_fixed_twin() {
    // GHSA-25mq-v84q-4j7r: guzzlehttp/guzzle [0, 6.5.8), [7.0.0, 7.4.5).
    let image = |a: &str, b: &str| {
        TestImage::new(vec![Layer::new(vec![
            file("srv/a/vendor/composer/installed.json", installed_json(a)),
            file("srv/b/vendor/composer/installed.json", installed_json(b)),
        ])])
    };
    let data = vulndb();
    check(
        data.path(),
        "composer",
        &image("7.4.4", "6.5.7"),
        &[
            (
                GUZZLE,
                "CVE-2022-31090",
                "guzzlehttp/guzzle",
                "7.4.4",
                "7.4.5",
                "/srv/a/vendor/composer/installed.json",
            ),
            (
                GUZZLE,
                "CVE-2022-31090",
                "guzzlehttp/guzzle",
                "6.5.7",
                "6.5.8",
                "/srv/b/vendor/composer/installed.json",
            ),
        ],
        &image("7.4.5", "6.5.8"),
    );
    // Composer writes some versions with a `v` (`v7.4.4` tags): the same order.
    let r = scan_vulns(&image("v7.4.4", "v7.5.0"), data.path());
    assert_eq!(
        found(&r),
        want(&[(
            GUZZLE,
            "CVE-2022-31090",
            "guzzlehttp/guzzle",
            "v7.4.4",
            "7.4.5",
            "/srv/a/vendor/composer/installed.json",
        )])
    );
}

// ---------------------------------------------------------------------------------------
// Go

/// Builds `example.com/web` offline, requiring `golang.org/x/text` at `version` (vendored: a
/// stub of the module's `language` package).
fn go_app(tmp: &Path, version: &str) -> Vec<u8> {
    w(
        tmp,
        "go.mod",
        &format!("module example.com/web\n\ngo 1.19\n\nrequire golang.org/x/text {version}\n"),
    );
    w(
        tmp,
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\n\
         func main() { fmt.Println(language.ParseAcceptLanguage(\"en\")) }\n",
    );
    w(
        tmp,
        "vendor/golang.org/x/text/language/language.go",
        "package language\n\nfunc ParseAcceptLanguage(s string) (string, error) { return s, nil }\n",
    );
    w(
        tmp,
        "vendor/modules.txt",
        &format!(
            "# golang.org/x/text {version}\n## explicit; go 1.17\ngolang.org/x/text/language\n"
        ),
    );
    let bin = tmp.join("web");
    go_build(tmp, tmp, &bin);
    std::fs::read(bin).unwrap()
}

#[test]
fn go_x_text_in_a_binary_built_here_and_its_fixed_twin() {
    // GO-2022-1059 (GHSA-69ch-w2m2-3vjp): golang.org/x/text, introduced 0, fixed 0.3.8 (OSV
    // writes Go versions without their `v`; the build information with it).
    if !have("go", "version", "golang-go") {
        return;
    }
    let image = |version: &str| {
        let tmp = TempDir::new().unwrap();
        let bin = go_app(tmp.path(), version);
        TestImage::new(vec![Layer::new(vec![file("usr/local/bin/web", bin)])])
    };
    let data = vulndb();
    let vulnerable = image("v0.3.7");
    let twin = image("v0.3.8");
    // The binary's modules: the toolchain (`stdlib`, no record imported for it), the main
    // module, and the dependency.
    let r = scan_vulns(&vulnerable, data.path());
    let names: Vec<(&str, &str)> = r
        .inventory
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.contains(&("golang.org/x/text", "v0.3.7")),
        "{names:?}"
    );
    check(
        data.path(),
        "golang",
        &vulnerable,
        &[(
            X_TEXT,
            "CVE-2022-32149",
            "golang.org/x/text",
            "v0.3.7",
            "0.3.8",
            "/usr/local/bin/web",
        )],
        &twin,
    );
    let f = &r.findings()[0];
    assert_eq!(
        f.evidence["advisory"]["aliases"],
        serde_json::json!(["CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"])
    );
    assert_eq!(f.evidence["matched"]["version"], "0.3.7");
    // No CVSS and no label in the record.
    assert_eq!(f.severity, Some(vigil_core::Severity::Info));

    // The toolchain, as the `stdlib` package: GO-2023-1840 (CVE-2023-29403) affects
    // [0, 1.19.10) and [1.20.0-0, 1.20.5); whether this machine's Go is affected follows from
    // its version, the same in both images.
    let stdlib = r
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "stdlib")
        .unwrap()
        .version
        .clone();
    let n: Vec<u64> = stdlib
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let (minor, patch) = (n[1], n.get(2).copied().unwrap_or(0));
    assert_eq!(n[0], 1, "{stdlib}");
    let fixed = match (minor, patch) {
        (..=18, _) | (19, ..=9) => Some("1.19.10"),
        (20, ..=4) => Some("1.20.5"),
        _ => None,
    };
    let mut db = vigil_vulndb::Database::open(data.path()).unwrap();
    let stdlib_record =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/advisories-go-stdlib");
    db.import_as(&stdlib_record, "go-stdlib").unwrap();
    drop(db);
    let toolchain = |path: &str| -> BTreeSet<Found> {
        match fixed {
            Some(fixed) => want(&[(
                "GO-2023-1840",
                "CVE-2023-29403",
                "stdlib",
                &stdlib,
                fixed,
                path,
            )]),
            None => BTreeSet::new(),
        }
    };
    let mut expected = toolchain("/usr/local/bin/web");
    expected.extend(want(&[(
        X_TEXT,
        "CVE-2022-32149",
        "golang.org/x/text",
        "v0.3.7",
        "0.3.8",
        "/usr/local/bin/web",
    )]));
    eprintln!("Go toolchain {stdlib}: GO-2023-1840 fixed in {fixed:?}");
    assert_eq!(found(&scan_vulns(&vulnerable, data.path())), expected);
    assert_eq!(
        found(&scan_vulns(&twin, data.path())),
        toolchain("/usr/local/bin/web")
    );
}

// ---------------------------------------------------------------------------------------
// The mapping

fn package(ecosystem: &'static str) -> Package {
    Package {
        name: "x".into(),
        version: "1".into(),
        ecosystem,
        purl: String::new(),
        arch: None,
        path: "/x".into(),
        layer: 0,
        source_name: None,
        source_version: None,
        distro: None,
        license: None,
        dev: false,
    }
}

fn os(id: &str) -> OsRelease {
    OsRelease {
        id: id.into(),
        version_id: Some("1".into()),
        ..OsRelease::default()
    }
}

#[test]
fn osv_ecosystem_of_every_package_type() {
    let eco = |ecosystem: &'static str, distro: Option<&str>| {
        scan::osv_ecosystem(&package(ecosystem), distro.map(os).as_ref())
    };
    // Language ecosystems, whatever the distribution.
    for (ty, want) in [
        ("pypi", "PyPI"),
        ("npm", "npm"),
        ("golang", "Go"),
        ("cargo", "crates.io"),
        ("maven", "Maven"),
        ("gem", "RubyGems"),
        ("composer", "Packagist"),
    ] {
        assert_eq!(eco(ty, None), Some(want), "{ty}");
        assert_eq!(eco(ty, Some("debian")), Some(want), "{ty}");
        assert_eq!(eco(ty, Some("alpine")), Some(want), "{ty}");
    }
    // Distribution packages: by the distribution.
    for (ty, distro, want) in [
        ("deb", "debian", "Debian"),
        ("deb", "ubuntu", "Ubuntu"),
        ("apk", "alpine", "Alpine"),
        ("apk", "wolfi", "Wolfi"),
        ("apk", "chainguard", "Chainguard"),
        ("rpm", "rhel", "Red Hat"),
        ("rpm", "rocky", "Rocky Linux"),
        ("rpm", "almalinux", "AlmaLinux"),
        ("rpm", "opensuse-leap", "openSUSE"),
        ("rpm", "opensuse-tumbleweed", "openSUSE"),
        ("rpm", "opensuse", "openSUSE"),
        ("rpm", "sles", "SUSE"),
        ("rpm", "sled", "SUSE"),
    ] {
        assert_eq!(eco(ty, Some(distro)), Some(want), "{ty} on {distro}");
    }
    // Without a distribution, or one without an advisory source, or on the wrong kind of
    // distribution: none.
    for (ty, distro) in [
        ("deb", None),
        ("deb", Some("linuxmint")),
        ("deb", Some("alpine")),
        ("apk", None),
        ("apk", Some("postmarketos")),
        ("apk", Some("debian")),
        ("rpm", None),
        ("rpm", Some("fedora")),
        ("rpm", Some("centos")),
        ("rpm", Some("amzn")),
        ("rpm", Some("debian")),
    ] {
        assert_eq!(eco(ty, distro), None, "{ty} on {distro:?}");
    }
    // Package types without an advisory source.
    for ty in ["otp", "nuget", "hex", "", "PyPI", "Go"] {
        assert_eq!(eco(ty, None), None, "{ty}");
        assert_eq!(eco(ty, Some("debian")), None, "{ty}");
    }
}
