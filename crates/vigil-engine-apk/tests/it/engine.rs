//! The `apk` engine as a worker runs it: a built app read from a path with the MD5 it was
//! promised (its component reported), the same app refused when the MD5 or size differ, and
//! downloaded from a loopback server through the operator's guard, while the tenant guard
//! never reaches loopback.

use crate::support::apk::{build, manifest, App};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use vigil_engine::{
    CollectSink, Engine, EngineError, RateLimiter, ScanCtx, ScopeGuard, ScopePolicy,
};
use vigil_engine_apk::ApkEngine;

fn app() -> &'static (std::path::PathBuf, String) {
    static APP: OnceLock<(std::path::PathBuf, String)> = OnceLock::new();
    APP.get_or_init(|| {
        let apk = build("engine", &App::new(&manifest("com.example.engine", "", "")));
        let out = std::process::Command::new("md5sum")
            .arg(&apk)
            .output()
            .unwrap();
        let md5 = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        (apk, md5)
    })
}

fn ctx(scope: ScopeGuard) -> (ScanCtx, Arc<CollectSink>) {
    let sink = Arc::new(CollectSink::new());
    (
        ScanCtx {
            cancel: CancellationToken::new(),
            rate: Arc::new(RateLimiter::new(None)),
            scope: Arc::new(scope),
            sink: sink.clone(),
        },
        sink,
    )
}

fn operator() -> ScopeGuard {
    ScopeGuard::operator(ScopePolicy::default())
}

#[tokio::test]
async fn a_file_with_its_promised_md5_is_scanned_and_another_is_refused() {
    let (path, md5) = app();
    let engine = ApkEngine::default();
    let (c, sink) = ctx(operator());
    let target = json!({"source": {"path": path}, "md5": md5.to_uppercase()});
    engine.run(&c, &target, &json!({})).await.unwrap();
    let (_, components) = sink.take().unwrap();
    assert_eq!(components.len(), 1, "{components:?}");
    assert_eq!(components[0].name, "com.example.engine");
    assert_eq!(components[0].version.as_deref(), Some("1.2.3"));
    assert_eq!(components[0].kind, "android-app");
    assert_eq!(
        engine.scope_key(&target).as_deref(),
        Some(format!("apk:{md5}").as_str())
    );

    for wrong in [
        json!({"source": {"path": path}, "md5": "00000000000000000000000000000000"}),
        json!({"source": {"path": path}, "md5": md5, "size": 1}),
    ] {
        let (c, sink) = ctx(operator());
        let e = engine.run(&c, &wrong, &json!({})).await.unwrap_err();
        assert!(
            matches!(e, EngineError::InvalidInput(ref m) if m.contains("not scanned")),
            "{e}"
        );
        assert!(sink.take().unwrap().1.is_empty(), "nothing reported");
    }
    // Not a package at all.
    let junk = path.with_extension("txt");
    std::fs::write(&junk, "not an apk").unwrap();
    let (c, _) = ctx(operator());
    let e = engine
        .run(&c, &json!({"source": {"path": junk}}), &json!({}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not an Android package"), "{e}");
    let e = engine
        .run(&c, &json!({"source": {"file": "x"}}), &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, EngineError::InvalidInput(_)), "{e}");
}

#[tokio::test]
async fn a_url_is_downloaded_through_the_scope_guard() {
    let (path, md5) = app();
    let body = std::fs::read(path).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
            });
        }
    });
    let target = json!({"source": {"url": format!("http://{addr}/app.apk")}, "md5": md5});
    let engine = ApkEngine::default();
    let (c, sink) = ctx(operator());
    engine.run(&c, &target, &json!({})).await.unwrap();
    assert_eq!(sink.take().unwrap().1[0].name, "com.example.engine");
    // A tenant's scan never reaches loopback.
    let (c, sink) = ctx(ScopeGuard::new(ScopePolicy::default()));
    let e = engine.run(&c, &target, &json!({})).await.unwrap_err();
    assert!(e.to_string().contains("internal"), "{e}");
    assert!(sink.take().unwrap().1.is_empty());
    // A smaller cap than the app: refused before it is scanned.
    let (c, _) = ctx(operator());
    let e = engine
        .run(&c, &target, &json!({"max_bytes": 1000}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("larger than 1000"), "{e}");
}

/// An app requesting permissions with a GDT banner and Firebase Analytics in its code.
fn inventory_app() -> &'static std::path::PathBuf {
    static APP: OnceLock<std::path::PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let m = manifest("com.example.inventory", "", "").replace(
            "  <application",
            "  <uses-permission android:name=\"android.permission.INTERNET\"/>\n  \
             <uses-permission android:name=\"android.permission.READ_PHONE_STATE\"/>\n  \
             <uses-permission android:name=\"com.example.OWN\"/>\n  <application",
        );
        let mut app = App::new(&m);
        for c in [
            "com/qq/e/ads/banner2/UnifiedBannerView",
            "com/google/firebase/analytics/FirebaseAnalytics",
        ] {
            app.smali.push((
                format!("{c}.smali"),
                format!(".class public L{c};\n.super Ljava/lang/Object;\n"),
            ));
        }
        build("inventory", &app)
    })
}

fn kinds(components: &[vigil_core::Component], kind: &str) -> Vec<String> {
    components
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.name.clone())
        .collect()
}

#[tokio::test]
async fn the_app_its_permissions_and_sdks_are_components_as_the_scan_types_ask() {
    let path = inventory_app();
    let target = json!({"source": {"path": path}});
    // Built-in signatures only; permissions and ad SDKs asked.
    let engine = ApkEngine::default();
    let (c, sink) = ctx(operator());
    engine
        .run(&c, &target, &json!({"scans": ["permission", "ad"]}))
        .await
        .unwrap();
    let (_, comps) = sink.take().unwrap();
    let app = &comps[0];
    assert_eq!(app.kind, "android-app");
    let d: vigil_core::spec::apk::AppDetail =
        serde_json::from_value(app.detail.clone().unwrap()).unwrap();
    assert_eq!(d.label.as_deref(), Some("Test"));
    assert_eq!((d.version_code, d.min_sdk, d.target_sdk), (Some(7), 19, 28));
    assert_eq!(d.size, std::fs::metadata(path).unwrap().len());
    assert_eq!(d.md5.len(), 32);
    assert_eq!(d.signers.len(), 1, "signed once by the test key");
    assert_eq!(
        kinds(&comps, "android-permission"),
        [
            "android.permission.INTERNET",
            "android.permission.READ_PHONE_STATE",
            "com.example.OWN"
        ]
    );
    let level = |name: &str| {
        let c = comps.iter().find(|c| c.name == name).unwrap();
        c.detail.as_ref().unwrap()["protection"].clone()
    };
    assert_eq!(level("android.permission.READ_PHONE_STATE"), "dangerous");
    assert_eq!(level("android.permission.INTERNET"), "normal");
    assert_eq!(level("com.example.OWN"), "unknown");
    let sdks: Vec<_> = comps.iter().filter(|c| c.kind == "android-sdk").collect();
    assert_eq!(sdks.len(), 1, "{sdks:?}");
    let gdt: vigil_core::spec::apk::SdkDetail =
        serde_json::from_value(sdks[0].detail.clone().unwrap()).unwrap();
    assert_eq!((gdt.id.as_str(), gdt.purpose.as_str()), ("gdt", "ad"));
    assert_eq!(gdt.ad_forms, [3], "a banner");

    // Only vulnerabilities asked: the app alone.
    let (c, sink) = ctx(operator());
    engine
        .run(&c, &target, &json!({"scans": ["vul"]}))
        .await
        .unwrap();
    let (_, comps) = sink.take().unwrap();
    assert_eq!(kinds(&comps, "android-app").len(), comps.len(), "{comps:?}");

    // With the Exodus database in the data directory, plugins (non-ad SDKs) too.
    let shared = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/android/exodus-trackers.json");
    if !shared.exists() {
        eprintln!("skipping the Exodus part: {} is absent", shared.display());
        return;
    }
    let data = crate::support::apk::scratch("inventory-data");
    std::fs::create_dir_all(data.join("android")).unwrap();
    std::fs::copy(&shared, data.join("android/exodus-trackers.json")).unwrap();
    let engine = ApkEngine::with_data_dir(&data).unwrap();
    let (c, sink) = ctx(operator());
    engine
        .run(&c, &target, &json!({"scans": ["plugin"]}))
        .await
        .unwrap();
    let (_, comps) = sink.take().unwrap();
    let names = kinds(&comps, "android-sdk");
    assert!(
        names.iter().any(|n| n.contains("Firebase Analytics")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("GDT") || n.contains("优量汇")),
        "ads not asked: {names:?}"
    );
    // A broken database is an error, not a silent smaller set.
    std::fs::write(data.join("android/exodus-trackers.json"), "{").unwrap();
    assert!(ApkEngine::with_data_dir(&data).is_err());
}

/// `entries` (name, file) zipped with Python's zipfile (stored).
fn bundle(
    dir: &std::path::Path,
    name: &str,
    entries: &[(&str, &std::path::PathBuf)],
) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w')\n",
        out.to_str().unwrap()
    );
    for (n, f) in entries {
        script.push_str(&format!("z.write({:?}, {n:?})\n", f.to_str().unwrap()));
    }
    script.push_str("z.close()\n");
    let st = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(st.success());
    out
}

#[tokio::test]
async fn a_bundle_is_scanned_as_its_base_apk() {
    let (apk, _) = app();
    let dir = crate::support::apk::scratch("bundles");
    let other = build(
        "bundle-split",
        &App::new(&manifest("com.example.split", "", "")),
    );
    let notes = dir.join("manifest.json");
    std::fs::write(&notes, "{}").unwrap();
    for (name, entries) in [
        // bundletool's .apks
        (
            "app.apks",
            vec![
                ("splits/base-master.apk", apk),
                ("splits/base-xxhdpi.apk", &other),
            ],
        ),
        // APKMirror's APKM
        (
            "app.apkm",
            vec![("split_config.en.apk", &other), ("base.apk", apk)],
        ),
        // XAPK: the package's own APK at the top
        (
            "app.xapk",
            vec![("manifest.json", &notes), ("com.example.engine.apk", apk)],
        ),
    ] {
        let b = bundle(&dir, name, &entries);
        let (c, sink) = ctx(operator());
        ApkEngine::default()
            .run(
                &c,
                &json!({"source": {"path": b}}),
                &json!({"scans": ["vul"]}),
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, comps) = sink.take().unwrap();
        assert_eq!(comps[0].name, "com.example.engine", "{name}: {comps:?}");
    }
    // A zip with neither a manifest nor an APK inside is not a package.
    let b = bundle(&dir, "notes.zip", &[("manifest.json", &notes)]);
    let (c, sink) = ctx(operator());
    let e = ApkEngine::default()
        .run(&c, &json!({"source": {"path": b}}), &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(e, EngineError::InvalidInput(ref m) if m.contains("not an Android package")),
        "{e}"
    );
    let (findings, comps) = sink.take().unwrap();
    assert!(findings.is_empty() && comps.is_empty(), "nothing reported");
}

#[tokio::test]
async fn a_run_fixes_only_the_kinds_it_looked_for() {
    let (path, _) = app();
    let target = json!({"source": {"path": path}});
    let of = |kind: &str| vigil_core::Finding {
        kind: kind.into(),
        ..Default::default()
    };
    let engine = ApkEngine::default();
    let (c, _) = ctx(operator());
    let vul_only = engine
        .run(&c, &target, &json!({"scans": ["vul"]}))
        .await
        .unwrap();
    assert!(vul_only.covers(&of("apk-vuln")));
    assert!(!vul_only.covers(&of("apk-virus")) && !vul_only.covers(&of("apk-sensitive")));
    let virus = engine
        .run(&c, &target, &json!({"scans": ["virus"]}))
        .await
        .unwrap();
    assert!(virus.covers(&of("apk-virus")) && virus.covers(&of("apk-packer")));
    assert!(!virus.covers(&of("apk-vuln")));
    let inventory_only = engine
        .run(&c, &target, &json!({"scans": ["permission"]}))
        .await
        .unwrap();
    assert!(!inventory_only.covers(&of("apk-vuln")));
    let everything = engine.run(&c, &target, &json!({})).await.unwrap();
    assert!(everything.covers(&of("apk-sensitive")));
}
