//! A package read once: a built app's manifest, its network security config found through the
//! manifest and the resource table, its verified signatures and its dex files; and the twin,
//! an archive whose manifest is garbage, which still opens, with the manifest's problem named.

use crate::support::apk::{build, manifest, scratch, App};
use std::io::Write;
use vigil_engine_apk::package::{Package, MANIFEST};

const NOW: i64 = 1_767_225_600;

#[test]
fn a_built_app_reads_whole() {
    let mut app = App::new(&manifest(
        "com.example.whole",
        r#"android:networkSecurityConfig="@xml/network_security_config""#,
        "",
    ));
    app.res.push((
        "xml/network_security_config.xml".into(),
        br#"<network-security-config><base-config cleartextTrafficPermitted="true"/></network-security-config>"#.to_vec(),
    ));
    let apk = build("package", &app);
    let data = std::fs::read(&apk).unwrap();
    let p = Package::read(&data, &Default::default(), NOW).unwrap();
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let m = p.manifest.as_ref().unwrap();
    assert_eq!(
        (m.package.as_str(), m.version_code),
        ("com.example.whole", Some(7))
    );
    let nsc = p.network_security.as_ref().unwrap();
    assert!(nsc.base_cleartext_permitted(m.target_sdk));
    assert!(p.signatures.all_verified(), "{:?}", p.signatures);
    assert_eq!(p.dex_names(), vec!["classes.dex".to_string()]);
}

#[test]
fn a_garbage_manifest_is_a_problem_not_a_failure() {
    let path = scratch("garbage-manifest").join("bad.apk");
    let file = std::fs::File::create(&path).unwrap();
    // Python's zipfile is on every machine the tests run on; it writes a plain zip.
    drop(file);
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nz.writestr('AndroidManifest.xml', b'\\x03\\x00\\x08\\x00garbage')\nz.writestr('classes2.dex', b'x')\nz.writestr('classes.dex', b'x')\nz.writestr('classes4.dex', b'x')\nz.close()",
            path.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let data = std::fs::read(&path).unwrap();
    let p = Package::read(&data, &Default::default(), NOW).unwrap();
    assert!(p.manifest.is_none());
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert_eq!(p.problems[0].part, MANIFEST);
    assert!(!p.signatures.is_signed());
    assert_eq!(
        p.dex_names(),
        vec!["classes.dex", "classes2.dex", "classes4.dex"]
    );
    // Not a zip at all: that is an error.
    let mut junk = std::fs::File::create(path.with_extension("junk")).unwrap();
    junk.write_all(b"not a zip").unwrap();
    assert!(Package::read(b"not a zip", &Default::default(), NOW).is_err());
}
