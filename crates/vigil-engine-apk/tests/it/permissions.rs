//! Requested permissions with their protection levels: the committed platform table is what
//! framework-res's manifest gives today (read by this crate's own parsers), and a built app's
//! normal, dangerous, privileged, self-declared and unknown permissions are told apart.

use crate::support::apk::{build, App, FRAMEWORK_RES};
use vigil_engine_apk::package::{Package, MANIFEST};
use vigil_engine_apk::permissions::{self, Protection, PLATFORM_TSV};
use vigil_engine_apk::res::Manifest;
use vigil_engine_apk::zip::Archive;

const NOW: i64 = 1_767_225_600;

/// framework-res's manifest rendered as the platform table.
fn framework_table() -> String {
    let data = std::fs::read(FRAMEWORK_RES).expect("framework-res.apk (android-framework-res)");
    let archive = Archive::new(&data, &Default::default()).expect("framework-res opens");
    let bytes = archive
        .read_name(MANIFEST)
        .expect("manifest reads")
        .expect("framework-res has a manifest");
    let manifest = Manifest::parse(&bytes, None).expect("framework-res manifest parses");
    assert_eq!(manifest.package, "android");
    permissions::render_table(&manifest)
}

#[test]
fn platform_table_is_framework_res() {
    let fresh = framework_table();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/platform-permissions.tsv");
    if std::env::var_os("UPDATE_PERMISSIONS").is_some() {
        std::fs::write(path, &fresh).expect("write the platform table");
        return;
    }
    assert!(
        fresh == PLATFORM_TSV,
        "data/platform-permissions.tsv differs from {FRAMEWORK_RES}; regenerate it with \
         `UPDATE_PERMISSIONS=1 cargo test -p vigil-engine-apk --test it permissions` and review \
         the diff"
    );
    let table = permissions::platform_table();
    assert!(table.len() > 400, "{} platform permissions", table.len());
    assert!(table.windows(2).all(|w| w[0].name < w[1].name));
    let camera = permissions::platform("android.permission.CAMERA").unwrap();
    assert_eq!(Protection::from_flags(camera.flags), Protection::Dangerous);
    assert_eq!(camera.group, Some("android.permission-group.UNDEFINED"));
}

#[test]
fn requested_permissions_are_classified() {
    let manifest = r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.perms">
  <uses-sdk android:minSdkVersion="19" android:targetSdkVersion="28"/>
  <permission android:name="com.example.perms.PUSH" android:protectionLevel="signature"/>
  <uses-permission android:name="android.permission.INTERNET"/>
  <uses-permission android:name="android.permission.READ_PHONE_STATE"/>
  <uses-permission android:name="android.permission.CAMERA"/>
  <uses-permission android:name="android.permission.INSTALL_PACKAGES"/>
  <uses-permission android:name="com.example.perms.PUSH"/>
  <uses-permission android:name="com.vendor.UNKNOWN"/>
  <uses-permission android:name="android.permission.INTERNET"/>
  <application android:label="Perms"/>
</manifest>
"#;
    let apk = build("permissions", &App::new(manifest));
    let data = std::fs::read(&apk).unwrap();
    let p = Package::read(&data, &Default::default(), NOW).unwrap();
    let got = permissions::classify(p.manifest.as_ref().unwrap());
    let summary: Vec<(&str, Protection, bool, bool)> = got
        .iter()
        .map(|r| (r.name.as_str(), r.level, r.platform, r.declared_by_app))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "android.permission.INTERNET",
                Protection::Normal,
                true,
                false
            ),
            (
                "android.permission.READ_PHONE_STATE",
                Protection::Dangerous,
                true,
                false
            ),
            (
                "android.permission.CAMERA",
                Protection::Dangerous,
                true,
                false
            ),
            (
                "android.permission.INSTALL_PACKAGES",
                Protection::Privileged,
                true,
                false
            ),
            ("com.example.perms.PUSH", Protection::Signature, false, true),
            ("com.vendor.UNKNOWN", Protection::Unknown, false, false),
        ]
    );
    let install = &got[3];
    assert_eq!(
        permissions::flags_text(install.flags.unwrap()),
        "signature|privileged"
    );
    assert_eq!(
        got[1].group.as_deref(),
        Some("android.permission-group.UNDEFINED")
    );
    assert_eq!(got[5].flags, None);
}
