//! Hostile input: truncated and corrupted chunks of real files, huge counts, deep nesting,
//! and proptests that the binary XML, resource table and manifest readers never panic, on
//! arbitrary bytes and on random mutations of a real manifest and a real resource table.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use vigil_engine_apk::res::axml::Document;
use vigil_engine_apk::res::manifest::Manifest;
use vigil_engine_apk::res::nsc::NetworkSecurityConfig;
use vigil_engine_apk::res::value::Value;
use vigil_engine_apk::res::ResourceTable;
use vigil_engine_apk::ApkError;

use crate::axml::member;
use crate::support::apk::{build, manifest, App, FRAMEWORK_RES};

/// framework-res's manifest (about 100 KiB of binary XML).
fn framework_manifest() -> &'static [u8] {
    static M: OnceLock<Vec<u8>> = OnceLock::new();
    M.get_or_init(|| member(Path::new(FRAMEWORK_RES), "AndroidManifest.xml"))
}

/// A small app's manifest and resource table.
fn app_files() -> &'static (Vec<u8>, Vec<u8>) {
    static F: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let mut app = App::new(&manifest(
            "com.example.hostile",
            r#"android:icon="@string/alias" android:debuggable="@bool/b""#,
            r#"<activity android:name=".A" android:exported="@bool/b"/>"#,
        ));
        app.res.push((
            "values/strings.xml".into(),
            br#"<resources><string name="app_name">H</string><string name="alias">@string/app_name</string><bool name="b">true</bool><style name="S"><item name="android:textSize">1sp</item></style></resources>"#.to_vec(),
        ));
        app.res.push(("values-de/strings.xml".into(), br#"<resources><string name="app_name">D</string></resources>"#.to_vec()));
        let apk = build("hostile", &app);
        (member(&apk, "AndroidManifest.xml"), member(&apk, "resources.arsc"))
    })
}

/// Read everything there is to read; the outcome does not matter, only that nothing panics.
fn exercise_xml(data: &[u8]) {
    if let Ok(doc) = Document::parse(data) {
        let _ = Manifest::from_document(&doc, None);
        let _ = NetworkSecurityConfig::from_document(&doc, None);
    }
}

fn exercise_table(data: &[u8]) {
    let Ok(t) = ResourceTable::parse(data) else {
        return;
    };
    let mut ids = Vec::new();
    let _ = t.for_each_entry(|id, _| ids.push(id));
    for id in ids.into_iter().take(1000) {
        let _ = t.best(id);
        let _ = t.configs(id);
        let _ = t.name(id);
        let _ = t.resolve(&Value::Reference(id));
    }
    let _ = Manifest::parse(&app_files().0, Some(&t));
}

#[test]
fn truncations_of_real_files_never_panic() {
    let m = framework_manifest();
    for cut in (0..m.len())
        .step_by(97)
        .chain(m.len().saturating_sub(64)..m.len())
    {
        exercise_xml(&m[..cut]);
    }
    let (am, arsc) = app_files();
    for cut in 0..am.len() {
        exercise_xml(&am[..cut]);
    }
    for cut in 0..arsc.len() {
        exercise_table(&arsc[..cut]);
    }
}

#[test]
fn huge_counts_are_refused() {
    let mut m = framework_manifest().to_vec();
    // The string pool follows the 8-byte document header; its count is at 8 + 8.
    m[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Document::parse(&m).is_err());
    let mut m = framework_manifest().to_vec();
    m[16..20].copy_from_slice(&0x0010_0000u32.to_le_bytes());
    assert!(Document::parse(&m).is_err());
    let (_, arsc) = app_files();
    let mut a = arsc.clone();
    // The global pool's count (table header 12 bytes, then the pool's 8).
    a[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(ResourceTable::parse(&a).is_err());
}

#[test]
fn a_reference_cycle_in_a_real_table_is_an_error() {
    let (am, arsc) = app_files();
    let t = ResourceTable::parse(arsc).unwrap();
    let mut alias = None;
    t.for_each_entry(|id, e| {
        if e.key == "alias" {
            alias = Some((id, e.raw));
        }
    })
    .unwrap();
    let (alias, raw) = alias.unwrap();
    let target = raw.unwrap().1;
    // Point app_name (the alias's target) back at the alias: find its data and patch it.
    let mut a = arsc.clone();
    let needle = [8u8, 0, 0, 3];
    let at = a
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .find(|i| {
            let mut t2 = a.clone();
            t2[i + 3] = 1;
            t2[i + 4..i + 8].copy_from_slice(&alias.to_le_bytes());
            ResourceTable::parse(&t2)
                .ok()
                .and_then(|t| t.best(target).ok().flatten())
                .and_then(|e| e.raw)
                == Some((1, alias))
        })
        .expect("app_name's value");
    a[at + 3] = 1;
    a[at + 4..at + 8].copy_from_slice(&alias.to_le_bytes());
    let t = ResourceTable::parse(&a).unwrap();
    let e = t.string(alias).unwrap_err();
    assert!(matches!(e, ApkError::Malformed { .. }), "{e}");
    // The manifest still reads; the cycle is a warning.
    let m = Manifest::parse(am, Some(&t)).unwrap();
    assert!(!m.warnings.is_empty());
}

#[test]
fn deep_nesting_of_a_real_manifest_is_refused() {
    let (am, _) = app_files();
    // Find the app manifest's first start element chunk and repeat it.
    let mut at = 8;
    let mut start = None;
    while at + 8 <= am.len() {
        let kind = u16::from_le_bytes([am[at], am[at + 1]]);
        let size = u32::from_le_bytes([am[at + 4], am[at + 5], am[at + 6], am[at + 7]]) as usize;
        if kind == 0x0102 {
            start = Some(am[at..at + size].to_vec());
            break;
        }
        at += size;
    }
    let start = start.unwrap();
    let mut deep = am[..at].to_vec();
    for _ in 0..1000 {
        deep.extend(&start);
    }
    let n = deep.len() as u32;
    deep[4..8].copy_from_slice(&n.to_le_bytes());
    assert!(matches!(
        Document::parse(&deep),
        Err(ApkError::TooLarge { .. })
    ));
}

/// Interesting 32-bit values for header fields.
fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(u32::MAX),
        Just(0x7fff_ffff),
        Just(0x8000),
        0u32..64,
        any::<u32>(),
    ]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/axml_hostile.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise_xml(&data);
        exercise_table(&data);
    }

    #[test]
    fn arbitrary_bytes_behind_valid_headers_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        kind in prop_oneof![Just(1u16), Just(2u16), Just(0x200u16), Just(0x201u16)],
    ) {
        // A document or table header, then a chunk of `kind` with random contents.
        for outer in [3u16, 2u16] {
            let mut d = Vec::new();
            d.extend(outer.to_le_bytes());
            d.extend(if outer == 2 { 12u16 } else { 8u16 }.to_le_bytes());
            d.extend(((body.len() + 28) as u32).to_le_bytes());
            if outer == 2 {
                d.extend(1u32.to_le_bytes());
            }
            d.extend(kind.to_le_bytes());
            d.extend(16u16.to_le_bytes());
            d.extend(((body.len() + 16) as u32).to_le_bytes());
            d.extend(&body);
            exercise_xml(&d);
            exercise_table(&d);
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn mutated_real_manifest_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), word()), 1..8),
    ) {
        let mut m = framework_manifest().to_vec();
        for (at, w) in &edits {
            let i = at.index(m.len() / 4) * 4;
            m[i..i + 4].copy_from_slice(&w.to_le_bytes());
        }
        exercise_xml(&m);
    }

    #[test]
    fn mutated_real_table_and_manifest_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), word()), 1..8),
        bytes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
    ) {
        let (am, arsc) = app_files();
        for original in [am, arsc] {
            let mut d = original.clone();
            for (at, w) in &edits {
                let i = at.index(d.len() / 4) * 4;
                d[i..i + 4].copy_from_slice(&w.to_le_bytes());
            }
            for (at, b) in &bytes {
                let i = at.index(d.len());
                d[i] = *b;
            }
            exercise_xml(&d);
            exercise_table(&d);
        }
    }
}
