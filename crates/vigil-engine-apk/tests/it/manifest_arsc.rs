//! The resource table compared with `aapt dump resources`: every entry of every
//! configuration of framework-res's 31 MB table (simple values by type and data, bags by
//! presence) and of a built app's, plus the label, boolean and file resolutions the manifest
//! uses.

use std::collections::BTreeMap;
use std::path::Path;

use vigil_engine_apk::res::arsc::EntryValue;
use vigil_engine_apk::res::value::Value;
use vigil_engine_apk::res::ResourceTable;

use crate::axml::member;
use crate::support::apk::{build, manifest, reference, App, FRAMEWORK_RES};

/// `resource 0xID pkg:type/name: t=0xTT d=0xDDDDDDDD` or `...: <bag>` lines, counted.
fn aapt_entries(apk: &Path) -> BTreeMap<String, usize> {
    let dump = reference("aapt", &["dump", "resources", apk.to_str().unwrap()]);
    let mut out = BTreeMap::new();
    for line in dump.lines() {
        let Some(rest) = line.trim_start().strip_prefix("resource 0x") else {
            continue;
        };
        let key = if let Some(i) = rest.find(": <bag>") {
            format!("{}: <bag>", &rest[..i])
        } else if let Some(i) = rest.find(" (s=") {
            rest[..i].to_string()
        } else {
            continue;
        };
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

fn our_entries(table: &ResourceTable<'_>, package: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    table
        .for_each_entry(|id, e| {
            let ty = table.type_name(id >> 24, (id >> 16) as u8).unwrap();
            let head = format!("{id:08x} {package}:{ty}/{}", e.key);
            let key = match (&e.value, e.raw) {
                (EntryValue::Bag { .. }, _) => format!("{head}: <bag>"),
                (_, Some((t, d))) => format!("{head}: t=0x{t:02x} d=0x{d:08x}"),
                _ => unreachable!(),
            };
            *out.entry(key).or_insert(0) += 1;
        })
        .unwrap();
    out
}

#[test]
fn framework_table_matches_aapt() {
    let apk = Path::new(FRAMEWORK_RES);
    let data = member(apk, "resources.arsc");
    let table = ResourceTable::parse(&data).unwrap();
    assert!(table.warnings.is_empty(), "{:?}", table.warnings);
    let ours = our_entries(&table, "android");
    let theirs = aapt_entries(apk);
    assert!(theirs.values().sum::<usize>() > 100_000);
    if ours != theirs {
        let missing: Vec<_> = theirs
            .keys()
            .filter(|k| !ours.contains_key(*k))
            .take(5)
            .collect();
        let extra: Vec<_> = ours
            .keys()
            .filter(|k| !theirs.contains_key(*k))
            .take(5)
            .collect();
        panic!("entries differ: missing {missing:?}, extra {extra:?}");
    }
    // A bag: the attribute android:protectionLevel lists its flags.
    let bag = table.best(0x0101_0009).unwrap().unwrap();
    assert!(matches!(bag.value, EntryValue::Bag { ref items, .. } if items.len() > 10));
    assert_eq!(
        table.name(0x0101_0009).as_deref(),
        Some("attr/protectionLevel")
    );
    // Configurations of a string translated into many languages.
    let ok = table.configs(0x0104_000a).unwrap();
    assert!(ok.len() > 50, "{}", ok.len());
    assert!(ok.iter().any(|c| c.is_default()));
    assert!(ok.iter().any(|c| c.language().as_deref() == Some("fr")));
}

#[test]
fn app_table_matches_aapt_and_resolves() {
    let mut app = App::new(&manifest(
        "com.example.res",
        r#"android:networkSecurityConfig="@xml/network_security_config""#,
        "",
    ));
    app.res.push((
        "values/strings.xml".into(),
        br#"<resources><string name="app_name">Res Test</string><string name="alias">@string/app_name</string><bool name="flag">true</bool><integer name="n">12</integer>
        <style name="S"><item name="android:textSize">12sp</item></style>
        <string-array name="arr"><item>a</item><item>b</item></string-array></resources>"#
            .to_vec(),
    ));
    app.res.push((
        "values-fr/strings.xml".into(),
        br#"<resources><string name="app_name">Test des ressources</string></resources>"#.to_vec(),
    ));
    app.res.push((
        "xml/network_security_config.xml".into(),
        br#"<network-security-config/>"#.to_vec(),
    ));
    let apk = build("arsc-app", &app);
    let data = member(&apk, "resources.arsc");
    let table = ResourceTable::parse(&data).unwrap();
    assert_eq!(our_entries(&table, "com.example.res"), aapt_entries(&apk));
    let id_of = |name: &str| {
        let mut found = None;
        table
            .for_each_entry(|id, _| {
                if table.name(id).as_deref() == Some(name) {
                    found = Some(id);
                }
            })
            .unwrap();
        found.unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        table.string(id_of("string/app_name")).unwrap().as_deref(),
        Some("Res Test")
    );
    assert_eq!(
        table.string(id_of("string/alias")).unwrap().as_deref(),
        Some("Res Test")
    );
    assert_eq!(table.configs(id_of("string/app_name")).unwrap().len(), 2);
    assert_eq!(
        table
            .resolve(&Value::Reference(id_of("bool/flag")))
            .unwrap(),
        Value::Boolean(true)
    );
    assert_eq!(
        table
            .resolve(&Value::Reference(id_of("integer/n")))
            .unwrap()
            .as_int(),
        Some(12)
    );
    assert_eq!(
        table
            .string(id_of("xml/network_security_config"))
            .unwrap()
            .as_deref(),
        Some("res/xml/network_security_config.xml")
    );
    let m = crate::manifest::manifest_of(&apk);
    assert_eq!(
        m.application.network_security_config.as_deref(),
        Some("res/xml/network_security_config.xml")
    );
}
