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

#[test]
fn permissions_newer_than_api_29_have_their_documented_levels() {
    // Every line of the hand-written table reads back (a typo in a level would drop it).
    let lines: Vec<&str> = permissions::NEWER_TSV
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for l in &lines {
        let name = l.split('\t').next().unwrap();
        assert!(permissions::platform(name).is_some(), "{l}");
        assert!(
            !PLATFORM_TSV.contains(&format!("{name}\t")),
            "{name} is in API 29's table already"
        );
    }
    let level = |n: &str| Protection::from_flags(permissions::platform(n).unwrap().flags);
    assert_eq!(
        level("android.permission.POST_NOTIFICATIONS"),
        Protection::Dangerous
    );
    assert_eq!(
        level("android.permission.READ_MEDIA_IMAGES"),
        Protection::Dangerous
    );
    assert_eq!(
        level("android.permission.BLUETOOTH_CONNECT"),
        Protection::Dangerous
    );
    assert_eq!(
        level("android.permission.QUERY_ALL_PACKAGES"),
        Protection::Normal
    );
    assert_eq!(
        level("android.permission.SCHEDULE_EXACT_ALARM"),
        Protection::Privileged
    );
    assert_eq!(
        level("android.permission.MANAGE_EXTERNAL_STORAGE"),
        Protection::Signature
    );
    // API 29's own stay as the framework has them.
    assert_eq!(level("android.permission.CAMERA"), Protection::Dangerous);
    assert!(permissions::platform("android.permission.NOT_A_PERMISSION").is_none());
}
