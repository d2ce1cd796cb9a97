//! The signing rules on real apps: JAR signing only below API 24 (Janus) and its twin at
//! API 24; a debug certificate signed with SHA-1 and long expired, and the twin signed with
//! the test run's SHA-256 key (the untouched original below); an unsigned APK (the native rule app, see `rules_native`); a
//! tampered copy of a signed app, which fails v1 and v2, and the untouched original.

use std::path::PathBuf;
use std::process::Command;

use crate::rules_manifest::{expect, hits, manifest_with, places, proof};
use crate::support::apk::{build, App, Signing};

const MF: &str = "META-INF/TEST.SF";

/// An app (no backup, these SDK levels) signed with `signing` for `min_sdk`, carrying a
/// stored payload a test can change in place.
fn app(package: &str, min_sdk: u32, signing: Option<Signing>) -> App {
    let mut app = App::new(&manifest_with(
        package,
        (min_sdk, 28),
        "",
        r#"android:allowBackup="false""#,
        "",
    ));
    app.signing = signing;
    app.min_sdk = min_sdk;
    // xorshift32 output does not deflate, so aapt stores it and a test can change it.
    let mut x: u32 = 0x9e37_79b9;
    let noise = (0..256).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    });
    let payload: Vec<u8> = b"VIGIL-PAYLOAD-".iter().copied().chain(noise).collect();
    app.files = vec![("assets/payload.bin".into(), payload)];
    app
}

fn v1_only() -> Option<Signing> {
    Some(Signing {
        v1: true,
        v2: false,
        v3: false,
    })
}

#[test]
fn jar_signing_only_below_24_is_janus() {
    let hits = hits(&build(
        "rules-janus",
        &app("com.example.janus", 21, v1_only()),
    ));
    assert_eq!(
        places(&hits),
        expect(&[("apk.signing.janus", MF, "v1 (JAR) signature")]),
        "{hits:#?}"
    );
    assert_eq!(
        proof(&hits, "apk.signing.janus", "v1 (JAR) signature"),
        "no v2/v3 signature; minSdkVersion 21 < 24"
    );
    // The twin: the same signing, installable from Android 7 only.
    let hits = crate::rules_manifest::hits(&build(
        "rules-janus-24",
        &app("com.example.nojanus", 24, v1_only()),
    ));
    assert_eq!(places(&hits), expect(&[]), "{hits:#?}");
}

/// Sign the unsigned build of `app` with a new key made by `keytool` with `key_args`
/// (alias `androiddebugkey`, as the SDK names its debug key).
fn sign_with(tag: &str, app: &App, key_args: &[&str]) -> PathBuf {
    let unsigned = build(
        tag,
        &App {
            signing: None,
            ..app.clone()
        },
    );
    let dir = unsigned.parent().expect("scratch directory");
    let ks = dir.join("debug.jks").display().to_string();
    let signed = dir.join("signed.apk");
    let (out, input) = (signed.display().to_string(), unsigned.display().to_string());
    let mut keytool = vec!["-genkeypair", "-keystore", &ks, "-alias", "androiddebugkey"];
    keytool.extend(["-storepass", "android", "-keypass", "android"]);
    keytool.extend(key_args);
    let apksigner = vec![
        "sign",
        "--ks",
        &ks,
        "--ks-pass",
        "pass:android",
        "--min-sdk-version",
        "24",
        "--out",
        &out,
        &input,
    ];
    for (program, args) in [("keytool", keytool), ("apksigner", apksigner)] {
        let done = Command::new(program).args(&args).output().expect(program);
        assert!(done.status.success(), "{program}: {done:?}");
    }
    signed
}

#[test]
fn an_expired_sha1_debug_certificate_and_its_twin() {
    // Its twin, the same app signed with the test run's key (SHA-256, CN=Vigil Test, valid),
    // is the original of the tampered copy below.
    let mut key: Vec<&str> =
        "-keyalg RSA -keysize 2048 -sigalg SHA1withRSA -startdate 2001/01/01 -validity 30"
            .split(' ')
            .collect();
    key.extend(["-dname", "CN=Android Debug, O=Android, C=US"]);
    let path = sign_with(
        "rules-debug-cert",
        &app("com.example.debugcert", 24, None),
        &key,
    );
    let hits = hits(&path);
    let all = hits
        .first()
        .map(|h| h.place.code.clone())
        .unwrap_or_default();
    assert!(all.starts_with("certificate CN=Android Debug, O=Android, C=US (SHA-256 "));
    let file = "META-INF/ANDROIDD.RSA";
    assert_eq!(
        places(&hits),
        expect(&[
            ("apk.signing.debug_certificate", file, &all),
            ("apk.signing.weak_algorithm", file, &all),
            ("apk.signing.expired_certificate", file, &all),
        ]),
        "{hits:#?}"
    );
    assert_eq!(
        proof(&hits, "apk.signing.weak_algorithm", &all),
        "signature algorithm sha1WithRSAEncryption"
    );
    assert_eq!(
        proof(&hits, "apk.signing.expired_certificate", &all),
        "not after 2001-01-31"
    );
}

#[test]
fn a_tampered_copy_fails_and_the_original_does_not() {
    let path = build(
        "rules-tamper",
        &app("com.example.tamper", 24, Some(Signing::default())),
    );
    let hits = hits(&path);
    assert_eq!(places(&hits), expect(&[]), "{hits:#?}");
    let mut data = std::fs::read(&path).unwrap();
    let at = data
        .windows(14)
        .position(|w| w == b"VIGIL-PAYLOAD-")
        .expect("stored payload");
    data[at + 20] ^= 1;
    let bad = path.with_file_name("tampered.apk");
    std::fs::write(&bad, &data).unwrap();
    let hits = crate::rules_manifest::hits(&bad);
    assert_eq!(
        places(&hits),
        expect(&[
            ("apk.signing.invalid", MF, "v1 (JAR) signature"),
            (
                "apk.signing.invalid",
                "APK Signing Block",
                "APK Signature Scheme v2"
            ),
        ]),
        "{hits:#?}"
    );
    assert!(
        proof(&hits, "apk.signing.invalid", "v1 (JAR) signature").contains("assets/payload.bin")
    );
}
