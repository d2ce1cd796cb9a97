//! Package inventory of images built in memory: a Debian-like image carrying this machine's
//! own dpkg database (compared against `dpkg-query`), Python and npm packages across a
//! whiteout, an Alpine-like image, distroless `status.d`, and every analyzer's parser fed
//! arbitrary bytes. (rpm, binaries and the language ecosystems have their own files:
//! `sbom_rpm.rs`, `sbom_binaries.rs`, `sbom_lang.rs`.)

use std::process::Command;

use proptest::prelude::*;
use vigil_engine_image::sbom::{
    self, apk, cargo, composer, dpkg, gem, golang, java, npm, osrelease, python, rpm, Binaries,
    Package,
};
use vigil_engine_image::testing::{dir, file, symlink, whiteout, Layer, TempDir, TestImage};
use vigil_engine_image::{read, Image, KeptBudget, ReadOptions, Source};

const DEBIAN_12: &str =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

const PY_DIR: &str = "usr/lib/python3/dist-packages";

fn read_image(img: &TestImage) -> Image {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path).unwrap();
    read(
        &Source::DockerArchive(path),
        &ReadOptions::default(),
        &sbom::wanted,
    )
    .unwrap()
}

fn of<'a>(pkgs: &'a [Package], ecosystem: &str) -> Vec<&'a Package> {
    pkgs.iter().filter(|p| p.ecosystem == ecosystem).collect()
}

fn dpkg_query(args: &[&str]) -> Option<String> {
    let out = Command::new("dpkg-query").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn debian_image_with_this_machines_dpkg_database() {
    let Ok(status) = std::fs::read("/var/lib/dpkg/status") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Debian's dpkg data must be present in CI"
        );
        eprintln!("note: no /var/lib/dpkg/status on this machine; test skipped");
        return;
    };
    // This machine's os-release when there is one (so the purls match dpkg-query's world),
    // else Debian 12.
    let os_release = std::fs::read("/etc/os-release")
        .or_else(|_| std::fs::read("/usr/lib/os-release"))
        .ok()
        .filter(|d| osrelease::parse(d).is_some())
        .unwrap_or_else(|| DEBIAN_12.as_bytes().to_vec());
    let os = osrelease::parse(&os_release).unwrap();

    let l1 = Layer::new(vec![
        file("etc/os-release", os_release.clone()),
        file("var/lib/dpkg/status", status.clone()),
        file(
            &format!("{PY_DIR}/requests-2.19.1.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n\nlong description\n",
        ),
        file(&format!("{PY_DIR}/requests-2.19.1.dist-info/RECORD"), "x"),
        file(
            "app/node_modules/@scope/pkg/package.json",
            r#"{"name": "@scope/pkg", "version": "1.2.3", "dependencies": {}}"#,
        ),
        file(
            "app/package.json",
            r#"{"name": "my-app", "version": "0.0.1"}"#,
        ),
    ]);
    let l2 = Layer::new(vec![
        // A directory named like a single-file egg-info is not a package.
        dir(&format!("{PY_DIR}/empty.egg-info")),
        whiteout(&format!("{PY_DIR}/requests-2.19.1.dist-info")),
        file(
            &format!("{PY_DIR}/urllib3-1.26.0.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.0\n",
        ),
    ]);
    let image = read_image(&TestImage::new(vec![l1, l2]));
    let pkgs = sbom::inventory(&image, &Binaries::default(), &KeptBudget::unlimited())
        .unwrap()
        .packages;

    // Python: requests is whited out, urllib3 comes from layer 1.
    let py = of(&pkgs, "pypi");
    assert_eq!(py.len(), 1, "{py:?}");
    assert_eq!(py[0].name, "urllib3");
    assert_eq!(py[0].version, "1.26.0");
    assert_eq!(py[0].purl, "pkg:pypi/urllib3@1.26.0");
    assert_eq!(
        py[0].path,
        format!("/{PY_DIR}/urllib3-1.26.0.dist-info/METADATA")
    );
    assert_eq!(py[0].layer, 1);
    assert_eq!(py[0].distro, None);

    // npm: the scoped package only, not the application's own package.json.
    let js = of(&pkgs, "npm");
    assert_eq!(js.len(), 1, "{js:?}");
    assert_eq!(js[0].name, "@scope/pkg");
    assert_eq!(js[0].version, "1.2.3");
    assert_eq!(js[0].purl, "pkg:npm/%40scope/pkg@1.2.3");
    assert_eq!(js[0].path, "/app/node_modules/@scope/pkg/package.json");
    assert_eq!(js[0].layer, 0);

    // dpkg: as many packages as stanzas with `install ok installed`.
    let debs = of(&pkgs, "deb");
    let stanzas = String::from_utf8_lossy(&status)
        .lines()
        .filter(|l| {
            l.strip_prefix("Status:").is_some_and(|v| {
                v.split_whitespace().collect::<Vec<_>>() == ["install", "ok", "installed"]
            })
        })
        .count();
    assert_eq!(debs.len(), stanzas);
    assert!(debs
        .iter()
        .all(|p| p.layer == 0 && p.path == "/var/lib/dpkg/status"));
    assert!(debs.iter().all(|p| p.distro.as_ref() == Some(&os)));
    assert_eq!(pkgs.len(), debs.len() + 2);

    let Some(abbrev) = dpkg_query(&["-W", "-f=${db:Status-Abbrev}\\n"]) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Debian's dpkg data must be present in CI"
        );
        eprintln!("note: dpkg-query not available; comparison with dpkg-query skipped");
        return;
    };
    let ii = abbrev.lines().filter(|l| l.starts_with("ii ")).count();
    assert_eq!(debs.len(), ii, "dpkg-query reports {ii} `ii ` packages");

    // A known package: libc6, with the version and architecture dpkg-query prints.
    let want_version = dpkg_query(&["-W", "-f=${Version}", "libc6"]);
    let want_arch = dpkg_query(&["-W", "-f=${Architecture}", "libc6"]);
    if let (Some(version), Some(arch)) = (want_version, want_arch) {
        let libc = debs
            .iter()
            .find(|p| p.name == "libc6" && p.arch.as_deref() == Some(arch.as_str()))
            .expect("libc6 in the inventory");
        assert_eq!(libc.version, version);
        let distro = match &os.version_id {
            Some(v) => format!("{}-{v}", os.id),
            None => os.id.clone(),
        };
        assert_eq!(
            libc.purl,
            format!(
                "pkg:deb/{}/libc6@{}?arch={arch}&distro={distro}",
                os.id, version
            )
        );
        assert_eq!(libc.source_name.as_deref(), Some("glibc"));
        let c = vigil_core::Component::from(*libc);
        assert_eq!(c.name, "libc6");
        assert_eq!(c.version.as_deref(), Some(version.as_str()));
        assert_eq!(c.kind, "deb");
        assert_eq!(c.purl.as_deref(), Some(libc.purl.as_str()));
        assert_eq!(c.path.as_deref(), Some("/var/lib/dpkg/status"));
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Debian's dpkg data must be present in CI"
        );
        eprintln!("note: libc6 not known to dpkg-query; libc6 check skipped");
    }
}

#[test]
fn alpine_image() {
    let l1 = Layer::new(vec![
        file(
            "etc/os-release",
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\n\
             PRETTY_NAME=\"Alpine Linux v3.18\"\n",
        ),
        file(
            "lib/apk/db/installed",
            "C:Q1aaa=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\n\
             U:https://musl.libc.org/\nL:MIT\no:musl\nm:Natanael Copa\nF:lib\nR:libc.musl-x86_64.so.1\n\n\
             C:Q1bbb=\nP:busybox\nV:1.36.1-r5\nA:x86_64\no:busybox\nF:bin\nR:busybox\n",
        ),
    ]);
    let image = read_image(&TestImage::new(vec![l1]));
    let distro = osrelease::OsRelease {
        id: "alpine".into(),
        version_id: Some("3.18.4".into()),
        version_codename: None,
        pretty_name: Some("Alpine Linux v3.18".into()),
    };
    let pkg = |name: &str, version: &str| Package {
        name: name.into(),
        version: version.into(),
        ecosystem: "apk",
        purl: format!("pkg:apk/alpine/{name}@{version}?arch=x86_64&distro=alpine-3.18.4"),
        arch: Some("x86_64".into()),
        path: "/lib/apk/db/installed".into(),
        layer: 0,
        source_name: Some(name.into()),
        source_version: None,
        distro: Some(distro.clone()),
        license: None,
        dev: false,
    };
    assert_eq!(
        sbom::inventory(&image, &Binaries::default(), &KeptBudget::unlimited())
            .unwrap()
            .packages,
        vec![pkg("musl", "1.2.4-r2"), pkg("busybox", "1.36.1-r5")]
    );
    let c = vigil_core::Component::from(&pkg("musl", "1.2.4-r2"));
    assert_eq!(c.kind, "apk");
}

#[test]
fn distroless_status_d_and_os_release_symlink() {
    let l1 = Layer::new(vec![
        file("usr/lib/os-release", DEBIAN_12),
        symlink("etc/os-release", "../usr/lib/os-release"),
        file(
            "var/lib/dpkg/status.d/libc6",
            "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: arm64\nSource: glibc\n",
        ),
        file("var/lib/dpkg/status.d/libc6.md5sums", "abc  lib/x\n"),
        file(
            "var/lib/dpkg/status.d/tzdata",
            "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
        ),
    ]);
    let pkgs = sbom::inventory(
        &read_image(&TestImage::new(vec![l1])),
        &Binaries::default(),
        &KeptBudget::unlimited(),
    )
    .unwrap()
    .packages;
    let got: Vec<(&str, &str, &str, Option<&str>)> = pkgs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.purl.as_str(),
                p.path.as_str(),
                p.source_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "libc6",
                "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=arm64&distro=debian-12",
                "/var/lib/dpkg/status.d/libc6",
                Some("glibc")
            ),
            (
                "tzdata",
                "pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12",
                "/var/lib/dpkg/status.d/tzdata",
                Some("tzdata")
            ),
        ]
    );
    assert_eq!(
        pkgs[0].distro.as_ref().unwrap().version_codename.as_deref(),
        Some("bookworm")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = osrelease::parse(&data);
        let _ = dpkg::parse_status(&data);
        let _ = dpkg::parse_status_d(&data);
        let _ = apk::parse(&data);
        let _ = python::parse(&data);
        let _ = npm::parse(&data);
        let _ = rpm::parse_header(&data);
        let _ = rpm::read_sqlite(&data);
        let _ = golang::read(&data);
        let _ = cargo::parse_lock(&data);
        let _ = cargo::parse_audit_data(&data);
        let _ = cargo::read_auditable(&data);
        let _ = java::scan(&data, "a-1.jar");
        let _ = java::parse_manifest(&data);
        let _ = gem::parse(&data);
        let _ = composer::parse_lock(&data);
        let _ = composer::parse_installed(&data);
        let s = String::from_utf8_lossy(&data);
        let _ = python::normalize_name(&s);
        let _ = npm::is_package_json(&s);
        let _ = sbom::npm_purl(&s, &s);
    }

    #[test]
    fn field_like_input_never_panics(
        lines in proptest::collection::vec(
            "(Package|Version|Status|Source|Architecture|P|V|A|o|Name|ID)?[:=]? ?[ -~()\"'\\\\]{0,20}",
            0..40,
        )
    ) {
        let data = lines.join("\n").into_bytes();
        let _ = osrelease::parse(&data);
        for e in dpkg::parse_status(&data) {
            prop_assert!(!e.name.is_empty() && !e.version.is_empty());
        }
        for e in apk::parse(&data) {
            prop_assert!(!e.name.is_empty() && !e.version.is_empty());
        }
        let _ = python::parse(&data);
    }
}

#[test]
fn python_and_npm_layouts() {
    let l1 = Layer::new(vec![
        file(
            "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info",
            "Metadata-Version: 1.1\nName: python-apt\nVersion: 2.6.0\n",
        ),
        file(
            "usr/local/lib/python3.11/site-packages/Zope.Interface-5.0.egg-info/PKG-INFO",
            "Metadata-Version: 1.1\nName: Zope.Interface\nVersion: 5.0\n",
        ),
        file(
            "usr/local/lib/python3.11/site-packages/noversion-1.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: noversion\n\nVersion: 1\n",
        ),
        file(
            "app/node_modules/a/package.json",
            r#"{"name":"a","version":"1.0.0"}"#,
        ),
        file(
            "app/node_modules/a/node_modules/b/package.json",
            r#"{"name":"b","version":"2.0.0"}"#,
        ),
        file(
            "app/node_modules/a/lib/package.json",
            r#"{"name":"inner","version":"9.9.9"}"#,
        ),
        file(
            "app/node_modules/.pnpm/c@3.0.0/node_modules/c/package.json",
            r#"{"name":"c","version":"3.0.0"}"#,
        ),
        file("app/node_modules/d/package.json", r#"{"name":"d"}"#),
        file("app/node_modules/e/package.json", "{not json"),
    ]);
    let pkgs = sbom::inventory(
        &read_image(&TestImage::new(vec![l1])),
        &Binaries::default(),
        &KeptBudget::unlimited(),
    )
    .unwrap()
    .packages;
    // Path order: `.pnpm` < `a/node_modules` < `a/package.json`.
    let got: Vec<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(
        got,
        vec![
            "pkg:npm/c@3.0.0",
            "pkg:npm/b@2.0.0",
            "pkg:npm/a@1.0.0",
            "pkg:pypi/python-apt@2.6.0",
            "pkg:pypi/zope-interface@5.0",
        ]
    );
    let c = vigil_core::Component::from(&pkgs[4]);
    assert_eq!(c.kind, "python");
    assert_eq!(c.name, "Zope.Interface");
}
