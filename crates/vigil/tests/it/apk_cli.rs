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

/// Serves `body` with `status` to every request on a loopback port; returns the URL.
fn serve_once(status: &'static str, body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/trackers", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        // Bounded: the test makes at most a few requests.
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    url
}

#[test]
fn db_update_fetches_the_tracker_database_the_apk_scan_then_uses() {
    let shared = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/android/exodus-trackers.json");
    let Ok(exodus) = std::fs::read(&shared) else {
        eprintln!("skipping: {} is absent", shared.display());
        return;
    };
    let dir = scratch("trackers");
    let data = dir.join("data");
    let data_s = data.to_str().unwrap();
    // An app whose only class is Firebase Analytics'.
    let apk = package(&dir);
    let smali = dir.join("smali/com/google/firebase/analytics");
    std::fs::create_dir_all(&smali).unwrap();
    std::fs::write(
        smali.join("FirebaseAnalytics.smali"),
        ".class public Lcom/google/firebase/analytics/FirebaseAnalytics;\n.super Ljava/lang/Object;\n",
    )
    .unwrap();
    for (prog, args) in [
        ("smali", vec!["assemble", "-o", "classes.dex", "smali"]),
        ("aapt", vec!["add", "cli.apk", "classes.dex"]),
    ] {
        let out = Command::new(prog)
            .current_dir(&dir)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{prog}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let apk = apk.to_str().unwrap();
    let sdks = |v: &serde_json::Value| -> Vec<String> {
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "android-sdk")
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let scan = || {
        let (code, out, err) =
            vigil(&["scan", "apk", apk, "--format", "json", "--data-dir", data_s]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    assert!(
        sdks(&scan()).is_empty(),
        "built-in signatures know no Firebase"
    );

    let update = |url: &str| {
        vigil(&[
            "db",
            "update",
            "--trackers-only",
            "--trackers-url",
            url,
            "--data-dir",
            data_s,
        ])
    };
    let (code, out, err) = update(&serve_once("200 OK", exodus));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Exodus Privacy trackers"), "{out}");
    let found = sdks(&scan());
    assert!(
        found.iter().any(|n| n.contains("Firebase Analytics")),
        "{found:?}"
    );

    // A bad download leaves the kept database as it was.
    for (status, body) in [
        ("200 OK", b"{\"trackers\": 1}".to_vec()),
        ("404 Not Found", Vec::new()),
    ] {
        let (code, _, err) = update(&serve_once(status, body));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("trackers: failed"), "{err}");
    }
    let found = sdks(&scan());
    assert!(
        found.iter().any(|n| n.contains("Firebase Analytics")),
        "{found:?}"
    );
}
