//! Ad SDKs and trackers found by class names: a built app with a GDT banner class, a Pangle
//! class, an AdMob banner and Exodus trackers (Firebase Analytics, Umeng) is reported with
//! the right kinds and forms; its twin with lookalike names reports nothing. The Exodus
//! database (ODbL 1.0, Exodus Privacy) is read from `../shared/android/`, never from the
//! repository; the tests that need it say so and pass without it.

use crate::support::apk::{build, App};
use std::path::PathBuf;
use std::time::Instant;
use vigil_engine_apk::dex::{Dex, DexSummary};
use vigil_engine_apk::package::Package;
use vigil_engine_apk::sdks::{AdForm, Detected, Kind, Signatures, Source};

const NOW: i64 = 1_767_225_600;

/// The shared copy of the Exodus tracker database, when this machine has it.
fn exodus_json() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/android/exodus-trackers.json");
    std::fs::read_to_string(path).ok()
}

/// Every signature: built-in then Exodus (replaced Exodus entries dropped).
fn signatures() -> Option<Signatures> {
    let json = exodus_json()?;
    let exodus = Signatures::load_exodus(&json).expect("the Exodus file loads");
    Some(Signatures::builtin().merge(exodus).expect("the sets merge"))
}

/// Build an app with these classes and return the class descriptors of its dex.
fn classes_of(tag: &str, classes: &[&str]) -> Vec<String> {
    let mut app = App::new(&crate::support::apk::manifest("com.example.sdks", "", ""));
    for c in classes {
        let path = format!("{}.smali", c.trim_start_matches('L').trim_end_matches(';'));
        app.smali.push((
            path,
            format!(".class public {c}\n.super Ljava/lang/Object;\n"),
        ));
    }
    let apk = build(tag, &app);
    let data = std::fs::read(&apk).unwrap();
    let p = Package::read(&data, &Default::default(), NOW).unwrap();
    let dex_bytes = p.archive.read_name("classes.dex").unwrap().unwrap();
    let dex = Dex::parse(&dex_bytes).unwrap();
    let summary = DexSummary::build(&dex).unwrap();
    summary
        .classes
        .iter()
        .map(|c| c.descriptor.to_string())
        .collect()
}

fn by_id<'d>(found: &'d [Detected], id: &str) -> &'d Detected {
    found
        .iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("{id} not detected in {found:#?}"))
}

#[test]
fn ad_sdks_and_trackers_are_detected() {
    let classes = classes_of(
        "sdks",
        &[
            "Lcom/qq/e/ads/banner2/UnifiedBannerView;",
            "Lcom/qq/e/comm/managers/GDTAdSdk;",
            "Lcom/bytedance/sdk/openadsdk/TTAdNative;",
            "Lcom/google/android/gms/ads/AdView;",
            "Lcom/google/android/gms/ads/MobileAds;",
            "Lcom/google/firebase/analytics/FirebaseAnalytics;",
            "Lcom/umeng/analytics/MobclickAgent;",
        ],
    );
    // Built-in signatures alone.
    let builtin = Signatures::builtin().detect(classes.iter().map(String::as_str));
    let ids: Vec<&str> = builtin.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, vec!["gdt", "pangle", "admob"]);
    let gdt = by_id(&builtin, "gdt");
    assert_eq!((gdt.count, gdt.forms.clone()), (2, vec![AdForm::Banner]));
    assert_eq!(gdt.kind, Kind::Ad);
    assert_eq!(AdForm::Banner.plugin_type(), 3);
    let pangle = by_id(&builtin, "pangle");
    assert_eq!(
        (pangle.count, pangle.forms.is_empty()),
        (1, true),
        "{pangle:?}"
    );
    assert_eq!(
        pangle.examples,
        vec!["Lcom/bytedance/sdk/openadsdk/TTAdNative;"]
    );
    let admob = by_id(&builtin, "admob");
    assert_eq!(
        (admob.count, admob.forms.clone()),
        (2, vec![AdForm::Banner])
    );

    // With Exodus: the trackers too, and no second Pangle or AdMob entry.
    let Some(all) = signatures() else {
        eprintln!("skipping the Exodus half: ../shared/android/exodus-trackers.json is absent");
        return;
    };
    let found = all.detect(classes.iter().map(String::as_str));
    let firebase = by_id(&found, "exodus:49");
    assert_eq!(
        (firebase.kind, firebase.source),
        (Kind::Analytics, Source::Exodus)
    );
    assert_eq!(firebase.name, "Google Firebase Analytics");
    let umeng = by_id(&found, "exodus:119");
    assert_eq!(umeng.examples, vec!["Lcom/umeng/analytics/MobclickAgent;"]);
    assert!(found
        .iter()
        .all(|d| !matches!(d.id.as_str(), "exodus:363" | "exodus:312")));
    let names: Vec<&str> = found.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(found.len(), 5, "{names:?}");
}

#[test]
fn lookalike_names_are_not_sdks() {
    let classes = classes_of(
        "sdks-twin",
        &[
            "Lcom/qqe/ads/banner2/UnifiedBannerView;",
            "Lcom/example/qq/e/ads/banner2/UnifiedBannerView;",
            "Lcom/qq/example/Foo;",
            "Lcom/bytedancesdk/openadsdk/TTAdNative;",
            "Lcom/google/android/gms/ads/identifier/AdvertisingIdClient;",
            "Lcom/google/android/gms/ads/AdViewer;",
            "Lcom/example/umeng/analytics/MobclickAgent;",
            "Lcom/umengx/analytics/MobclickAgent;",
        ],
    );
    let sigs = signatures().unwrap_or_else(Signatures::builtin);
    let found = sigs.detect(classes.iter().map(String::as_str));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn exodus_loads_and_matches_fast() {
    let Some(json) = exodus_json() else {
        eprintln!("skipping: ../shared/android/exodus-trackers.json is absent");
        return;
    };
    let t = Instant::now();
    let exodus = Signatures::load_exodus(&json).unwrap();
    let sigs = Signatures::builtin().merge(exodus).unwrap();
    let load = t.elapsed();
    assert!(sigs.sdks().len() > 400, "{}", sigs.sdks().len());
    // 50,000 synthetic classes: mostly app code, some under tracker packages.
    let classes: Vec<String> = (0..50_000)
        .map(|i| match i % 10 {
            0 => format!("Lcom/umeng/analytics/pro/C{i};"),
            1 => format!("Lcom/qq/e/comm/p{}/C{i}$Inner;", i % 7),
            _ => format!("Lcom/example/app/feature{}/sub/Class{i};", i % 50),
        })
        .collect();
    let t = Instant::now();
    let found = sigs.detect(classes.iter().map(String::as_str));
    let detect = t.elapsed();
    eprintln!(
        "exodus+builtin: {} SDKs loaded in {load:?}; 50,000 classes matched in {detect:?}",
        sigs.sdks().len()
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(by_id(&found, "exodus:119").count, 5_000);
    assert_eq!(by_id(&found, "gdt").count, 5_000);
    assert!(by_id(&found, "gdt").examples.len() <= 5);
    assert!(
        (load + detect).as_millis() < 1_000,
        "load {load:?} + detect {detect:?}"
    );
}

#[test]
fn hostile_exodus_files_are_refused() {
    assert!(Signatures::load_exodus("not json").is_err());
    assert!(Signatures::load_exodus(r#"{"trackers": 5}"#).is_err());
    let too_many = format!(
        r#"{{"trackers": {{"1": {{"name": "x", "code_signature": "{}"}}}}}}"#,
        vec!["a.b"; 200].join("|")
    );
    assert!(Signatures::load_exodus(&too_many).is_err());
    let bad_regex = r#"{"trackers": {"1": {"name": "x", "code_signature": "com.(x"}}}"#;
    assert!(Signatures::load_exodus(bad_regex).is_err());
    let empty = r#"{"trackers": {"1": {"name": "x", "code_signature": ""}}}"#;
    assert!(Signatures::load_exodus(empty).unwrap().sdks().is_empty());
}
