//! Real Android packages for tests, built with Debian's tools as `../shared/android/README.md`
//! describes (`apt-get install aapt zipalign apksigner libsmali-java android-framework-res
//! dexdump default-jre-headless`; the test script installs them): classes written in smali,
//! resources and the manifest compiled by `aapt`, aligned by `zipalign` and signed by
//! `apksigner` with a key made once per test run by `keytool`. A small APK builds in about 3 s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The platform resources `aapt` links against (Debian `android-framework-res`, API 29).
pub const FRAMEWORK_RES: &str = "/usr/share/android-framework-res/framework-res.apk";

/// Which APK signature schemes to sign with.
#[derive(Debug, Clone, Copy)]
pub struct Signing {
    /// JAR signing (v1).
    pub v1: bool,
    /// APK Signature Scheme v2.
    pub v2: bool,
    /// APK Signature Scheme v3.
    pub v3: bool,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            v1: true,
            v2: true,
            v3: false,
        }
    }
}

/// What goes into a test app.
#[derive(Debug, Clone)]
pub struct App {
    /// `AndroidManifest.xml` as text.
    pub manifest: String,
    /// Smali sources: (path under `smali/`, text). At least one class is needed for a dex.
    pub smali: Vec<(String, String)>,
    /// Resource files: (path under `res/`, contents), e.g. `values/strings.xml`.
    pub res: Vec<(String, Vec<u8>)>,
    /// Extra files added to the archive as they are: (path in the APK, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Signature schemes; `None` leaves the APK unsigned.
    pub signing: Option<Signing>,
    /// `--min-sdk-version` given to apksigner (it decides the digest algorithms of v1).
    pub min_sdk: u32,
}

impl App {
    /// An app with this manifest and one trivial class, signed v1 + v2.
    pub fn new(manifest: &str) -> App {
        App {
            manifest: manifest.to_string(),
            smali: vec![(
                "com/example/Main.smali".into(),
                ".class public Lcom/example/Main;\n.super Ljava/lang/Object;\n".into(),
            )],
            res: Vec::new(),
            files: Vec::new(),
            signing: Some(Signing::default()),
            min_sdk: 19,
        }
    }
}

/// A minimal manifest for `package` with `application` attributes and children.
pub fn manifest(package: &str, application_attrs: &str, application_body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{package}"
    android:versionCode="7" android:versionName="1.2.3">
  <uses-sdk android:minSdkVersion="19" android:targetSdkVersion="28"/>
  <application android:label="Test" {application_attrs}>
{application_body}
  </application>
</manifest>
"#
    )
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (are Debian's Android tools installed?)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh directory for one build.
pub fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("vigil-apk-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The signing key of this test run (RSA 2048, `CN=Vigil Test`), made once.
pub fn keystore() -> &'static Path {
    static KS: OnceLock<PathBuf> = OnceLock::new();
    KS.get_or_init(|| {
        let dir = scratch("keystore");
        let ks = dir.join("test.jks");
        run(Command::new("keytool").args([
            "-genkeypair",
            "-keystore",
            ks.to_str().unwrap(),
            "-storepass",
            "vigil-test",
            "-keypass",
            "vigil-test",
            "-alias",
            "test",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-validity",
            "10000",
            "-dname",
            "CN=Vigil Test, O=Vigil",
        ]));
        ks
    })
}

/// Build `app`; returns the path of the APK (signed unless `app.signing` is `None`).
pub fn build(tag: &str, app: &App) -> PathBuf {
    let dir = scratch(tag);
    std::fs::write(dir.join("AndroidManifest.xml"), &app.manifest).unwrap();
    for (path, text) in &app.smali {
        let p = dir.join("smali").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    run(Command::new("smali").current_dir(&dir).args([
        "assemble",
        "--api",
        "19",
        "-o",
        "classes.dex",
        "smali",
    ]));
    let mut aapt = Command::new("aapt");
    aapt.current_dir(&dir).args([
        "package",
        "-f",
        "-M",
        "AndroidManifest.xml",
        "-I",
        FRAMEWORK_RES,
        "-F",
        "unsigned.apk",
    ]);
    if !app.res.is_empty() {
        for (path, bytes) in &app.res {
            let p = dir.join("res").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        aapt.args(["-S", "res"]);
    }
    run(&mut aapt);
    run(Command::new("aapt")
        .current_dir(&dir)
        .args(["add", "unsigned.apk", "classes.dex"]));
    for (path, bytes) in &app.files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        run(Command::new("aapt")
            .current_dir(&dir)
            .args(["add", "unsigned.apk", path]));
    }
    run(Command::new("zipalign").current_dir(&dir).args([
        "-f",
        "4",
        "unsigned.apk",
        "aligned.apk",
    ]));
    let Some(s) = app.signing else {
        return dir.join("aligned.apk");
    };
    let on = |b: bool| if b { "true" } else { "false" };
    run(Command::new("apksigner").current_dir(&dir).args([
        "sign",
        "--ks",
        keystore().to_str().unwrap(),
        "--ks-pass",
        "pass:vigil-test",
        "--min-sdk-version",
        &app.min_sdk.to_string(),
        "--v1-signing-enabled",
        on(s.v1),
        "--v2-signing-enabled",
        on(s.v2),
        "--v3-signing-enabled",
        on(s.v3),
        "--out",
        "app.apk",
        "aligned.apk",
    ]));
    dir.join("app.apk")
}

/// Output of a reference tool (`aapt dump badging APK`, `dexdump -f classes.dex`, ...).
pub fn reference(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
