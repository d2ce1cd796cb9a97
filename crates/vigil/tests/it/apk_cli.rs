//! `vigil scan apk` end to end: a package compiled by Debian's `aapt` (no code, no signature)
//! reported with the app it says it is and the missing signature as a finding (exit 1 under
//! `--fail-on high`), in the JSON contract and as SARIF; the same package
//! refused under a wrong `--md5`, and a file that is not a package refused with the reason.

use std::process::Command;

fn scratch(tag: &str) -> std::path::PathBuf {
    vigil_testkit::scratch_dir(&format!("apk-cli-{tag}"))
}

/// An APK with only a compiled manifest, made by `aapt package`.
fn package(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::write(
        dir.join("AndroidManifest.xml"),
        r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.cli"
    android:versionCode="3" android:versionName="3.0">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="30"/>
  <application android:label="Cli"/>
</manifest>
"#,
    )
    .unwrap();
    let apk = dir.join("cli.apk");
    let out = Command::new("aapt")
        .args(["package", "-f", "-M"])
        .arg(dir.join("AndroidManifest.xml"))
        .args([
            "-I",
            "/usr/share/android-framework-res/framework-res.apk",
            "-F",
        ])
        .arg(&apk)
        .output()
        .expect("aapt (Debian's aapt package; the test script installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    apk
}

fn vigil(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_apk_is_scanned_from_the_command_line() {
    let dir = scratch("ok");
    let apk = package(&dir);
    let apk = apk.to_str().unwrap();
    let (code, out, err) = vigil(&["scan", "apk", apk, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["components"][0]["name"], "com.example.cli", "{v}");
    assert_eq!(v["components"][0]["version"], "3.0");
    assert_eq!(v["engine"]["kind"], "apk", "{v}");
    // Not signed: that is a finding, with the rule and the place as evidence.
    let unsigned = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"]["rule"] == "apk.signing.unsigned")
        .unwrap_or_else(|| panic!("no unsigned finding: {v}"));
    assert_eq!(unsigned["kind"], "apk-vuln");
    assert_eq!(unsigned["severity"], "high");
    let (code, _, err) = vigil(&["scan", "apk", apk, "--format", "json", "--fail-on", "high"]);
    assert_eq!(code, 1, "{err}");
    let (code, sarif, err) = vigil(&["scan", "apk", apk, "--format", "sarif"]);
    assert_eq!(code, 0, "{err}");
    assert!(sarif.contains("\"version\": \"2.1.0\"") || sarif.contains("\"version\":\"2.1.0\""));

    let (code, _, err) = vigil(&[
        "scan",
        "apk",
        apk,
        "--md5",
        "0123456789abcdef0123456789abcdef",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not scanned"), "{err}");
    let junk = dir.join("junk.apk");
    std::fs::write(&junk, "not a package").unwrap();
    let (code, _, err) = vigil(&["scan", "apk", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not an Android package"), "{err}");
    let (code, _, err) = vigil(&["scan", "apk", dir.join("missing.apk").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a file"), "{err}");
}
