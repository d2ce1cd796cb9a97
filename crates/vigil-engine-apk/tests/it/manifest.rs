//! The typed manifest of built apps compared with `aapt dump badging` (package, versions,
//! SDK levels, label, icons, permissions, launchable activity, debuggable) and with the
//! manifests' source (components, exported rules, providers, permission protection levels,
//! application flags set and unset); framework-res's ~500 permission declarations compared
//! with `aapt dump xmltree`.

use std::collections::BTreeMap;
use std::path::Path;

use vigil_engine_apk::res::axml::Document;
use vigil_engine_apk::res::manifest::{ComponentKind, Manifest};
use vigil_engine_apk::res::ResourceTable;

use crate::axml::member;
use crate::support::apk::{build, reference, App, FRAMEWORK_RES};

/// The manifest of `apk`, resolved through its resource table when it has one.
pub fn manifest_of(apk: &Path) -> Manifest {
    let doc = Document::parse(&member(apk, "AndroidManifest.xml")).unwrap();
    let arsc = std::process::Command::new("unzip")
        .arg("-p")
        .arg(apk)
        .arg("resources.arsc")
        .output()
        .unwrap()
        .stdout;
    if arsc.is_empty() {
        return Manifest::from_document(&doc, None).unwrap();
    }
    let table = ResourceTable::parse(&arsc).unwrap();
    Manifest::from_document(&doc, Some(&table)).unwrap()
}

/// `key:'value'` or `key='value'` pairs of a badging line.
fn quoted(line: &str, key: &str) -> Option<String> {
    let rest = line.split(&format!("{key}='")).nth(1)?;
    Some(rest.split('\'').next()?.to_string())
}

fn full_manifest(target: u32, app_attrs: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.m"
    android:versionCode="42" android:versionName="@string/vname">
  <uses-sdk android:minSdkVersion="16" android:targetSdkVersion="{target}"/>
  <uses-permission android:name="android.permission.INTERNET"/>
  <uses-permission android:name="android.permission.READ_EXTERNAL_STORAGE" android:maxSdkVersion="28"/>
  <uses-permission-sdk-23 android:name="android.permission.CAMERA"/>
  <permission android:name="com.example.m.NORMAL"/>
  <permission android:name="com.example.m.DANGER" android:protectionLevel="dangerous"/>
  <permission android:name="com.example.m.SIG" android:protectionLevel="signature|privileged"/>
  <application android:label="@string/app_name" android:icon="@drawable/icon" {app_attrs}>
{body}
  </application>
</manifest>
"#
    )
}

/// Components of every kind, exported explicitly, implicitly and not.
pub const COMPONENTS: &str = r#"
    <activity android:name=".Main">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
    <activity android:name="Plain" android:launchMode="singleInstance" android:taskAffinity="x.y"/>
    <activity android:name="org.other.Deep" android:exported="false">
      <intent-filter>
        <action android:name="android.intent.action.VIEW"/>
        <category android:name="android.intent.category.BROWSABLE"/>
        <data android:scheme="https" android:host="example.com" android:port="8443" android:pathPrefix="/app"/>
        <data android:scheme="myapp"/>
      </intent-filter>
    </activity>
    <activity-alias android:name=".Alias" android:targetActivity=".Main" android:enabled="false">
      <intent-filter><action android:name="x.ALIAS"/></intent-filter>
    </activity-alias>
    <service android:name=".Svc" android:permission="com.example.m.SIG">
      <intent-filter><action android:name="x.BIND"/></intent-filter>
    </service>
    <receiver android:name=".Rcv" android:exported="@bool/yes"/>
    <provider android:name=".Prov" android:authorities="com.example.m.a;com.example.m.b"
        android:readPermission="com.example.m.DANGER" android:writePermission="com.example.m.SIG"
        android:grantUriPermissions="true"/>
    <provider android:name=".Open" android:authorities="com.example.m.open" android:exported="true"/>
"#;

/// The strings, booleans and icons [`COMPONENTS`] and the test manifests refer to.
pub fn resources(app: &mut App) {
    app.res.push((
        "values/strings.xml".into(),
        br#"<resources><string name="app_name">Manifest Test</string><string name="vname">4.2-beta</string><string name="alias">@string/app_name</string><bool name="yes">true</bool><bool name="dbg">true</bool></resources>"#.to_vec(),
    ));
    let shape = br#"<shape xmlns:android="http://schemas.android.com/apk/res/android"/>"#;
    app.res
        .push(("drawable-mdpi/icon.xml".into(), shape.to_vec()));
    app.res
        .push(("drawable-xhdpi/icon.xml".into(), shape.to_vec()));
}

#[test]
fn manifest_matches_badging_and_source() {
    let mut app = App::new(&full_manifest(
        28,
        r#"android:debuggable="@bool/dbg" android:allowBackup="false" android:usesCleartextTraffic="true" android:name=".App""#,
        COMPONENTS,
    ));
    resources(&mut app);
    let apk = build("manifest-full", &app);
    let m = manifest_of(&apk);
    let badging = reference("aapt", &["dump", "badging", apk.to_str().unwrap()]);
    let line = |prefix: &str| {
        badging
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {badging}"))
    };
    let package = line("package:");
    assert_eq!(Some(m.package.clone()), quoted(package, "name"));
    assert_eq!(
        m.version_code.map(|v| v.to_string()),
        quoted(package, "versionCode")
    );
    assert_eq!(m.version_name, quoted(package, "versionName"));
    assert_eq!(m.version_name.as_deref(), Some("4.2-beta"));
    assert_eq!(
        m.min_sdk.to_string(),
        line("sdkVersion:").split('\'').nth(1).unwrap()
    );
    assert_eq!(
        m.target_sdk.to_string(),
        line("targetSdkVersion:").split('\'').nth(1).unwrap()
    );
    assert_eq!(
        m.application.label.as_deref(),
        line("application-label:").split('\'').nth(1)
    );
    let icons: Vec<String> = badging
        .lines()
        .filter(|l| l.starts_with("application-icon-"))
        .filter_map(|l| l.split('\'').nth(1).map(str::to_string))
        .collect();
    assert_eq!(icons.len(), 2, "{badging}");
    assert_eq!(m.application.icon.as_ref(), icons.last(), "densest icon");
    let perms: Vec<String> = badging
        .lines()
        .filter(|l| l.starts_with("uses-permission:") || l.starts_with("uses-permission-sdk-23:"))
        .map(str::to_string)
        .collect();
    let ours: Vec<String> = m
        .uses_permissions
        .iter()
        .map(|p| {
            let tag = if p.sdk23 {
                "uses-permission-sdk-23"
            } else {
                "uses-permission"
            };
            match p.max_sdk {
                Some(max) => format!("{tag}: name='{}' maxSdkVersion='{max}'", p.name),
                None => format!("{tag}: name='{}'", p.name),
            }
        })
        .collect();
    assert_eq!(ours, perms);
    let launchable: Vec<_> = m.launchable_activities().map(|c| c.name.clone()).collect();
    assert_eq!(
        Some(launchable[0].clone()),
        quoted(line("launchable-activity:"), "name")
    );
    assert_eq!(launchable, ["com.example.m.Main"]);
    assert_eq!(
        m.application.debuggable,
        badging.contains("application-debuggable")
    );
    assert!(m.application.debuggable);
    assert!(!m.application.allow_backup);
    assert_eq!(m.application.uses_cleartext_traffic, Some(true));
    assert_eq!(m.application.name.as_deref(), Some("com.example.m.App"));

    // Permissions and protection levels.
    let levels: Vec<_> = m
        .permissions
        .iter()
        .map(|p| (p.name.as_str(), p.protection_names()))
        .collect();
    assert_eq!(
        levels,
        [
            ("com.example.m.NORMAL", "normal".to_string()),
            ("com.example.m.DANGER", "dangerous".to_string()),
            ("com.example.m.SIG", "signature|privileged".to_string()),
        ]
    );

    // Components: names, exported (explicit and implicit below 31), providers.
    let c: BTreeMap<_, _> = m.components.iter().map(|c| (c.name.as_str(), c)).collect();
    let main = c["com.example.m.Main"];
    assert!(main.exported && main.exported_explicit.is_none());
    let plain = c["com.example.m.Plain"];
    assert!(!plain.exported);
    assert_eq!(plain.launch_mode.as_deref(), Some("singleInstance"));
    assert_eq!(plain.task_affinity.as_deref(), Some("x.y"));
    let deep = c["org.other.Deep"];
    assert!(!deep.exported && deep.exported_explicit == Some(false));
    let f = &deep.intent_filters[0];
    assert_eq!(f.schemes, ["https", "myapp"]);
    assert_eq!(f.hosts, ["example.com:8443"]);
    assert_eq!(f.paths, ["/app*"]);
    assert_eq!(f.categories, ["android.intent.category.BROWSABLE"]);
    let alias = c["com.example.m.Alias"];
    assert_eq!(alias.kind, Some(ComponentKind::ActivityAlias));
    assert!(alias.exported && !alias.enabled);
    assert_eq!(alias.target_activity.as_deref(), Some("com.example.m.Main"));
    let svc = c["com.example.m.Svc"];
    assert!(svc.exported);
    assert_eq!(svc.permission.as_deref(), Some("com.example.m.SIG"));
    let rcv = c["com.example.m.Rcv"];
    assert_eq!(rcv.exported_explicit, Some(true), "@bool/yes resolved");
    let prov = c["com.example.m.Prov"];
    assert_eq!(prov.kind, Some(ComponentKind::Provider));
    assert!(!prov.exported, "providers are private from target 17");
    assert_eq!(prov.authorities, ["com.example.m.a", "com.example.m.b"]);
    assert_eq!(
        prov.read_permission.as_deref(),
        Some("com.example.m.DANGER")
    );
    assert_eq!(prov.write_permission.as_deref(), Some("com.example.m.SIG"));
    assert!(prov.grant_uri_permissions);
    assert!(c["com.example.m.Open"].exported);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn defaults_follow_the_target_sdk() {
    // Target 16: providers exported by default, cleartext permitted, flags unset.
    let mut app = App::new(&full_manifest(16, "", COMPONENTS));
    resources(&mut app);
    let m = manifest_of(&build("manifest-t16", &app));
    assert!(!m.application.debuggable && m.application.allow_backup && !m.application.test_only);
    assert_eq!(m.application.uses_cleartext_traffic, None);
    assert!(m.cleartext_permitted());
    assert!(m
        .components
        .iter()
        .any(|c| c.name == "com.example.m.Prov" && c.exported));

    // Target 31: a component with a filter and no android:exported is refused by Android.
    let mut app = App::new(&full_manifest(31, r#"android:testOnly="true""#, COMPONENTS));
    resources(&mut app);
    let m = manifest_of(&build("manifest-t31", &app));
    assert!(!m.cleartext_permitted());
    assert!(m.application.test_only);
    let main = m
        .components
        .iter()
        .find(|c| c.name == "com.example.m.Main")
        .unwrap();
    assert!(!main.exported && main.exported_missing);

    // No uses-sdk at all, no resource table: minimum 1, target 0 (PackageParser's default).
    let text = r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.bare">
  <application android:label="Bare" android:debuggable="true"/>
</manifest>
"#;
    let m = manifest_of(&build("manifest-bare", &App::new(text)));
    assert_eq!(
        (m.min_sdk, m.target_sdk, m.target_sdk_explicit),
        (1, 0, false)
    );
    assert_eq!(m.version_code, None);
    assert_eq!(m.application.label.as_deref(), Some("Bare"));
    assert!(m.application.debuggable && m.cleartext_permitted());
}

/// aapt's `E: permission` blocks under the root: name -> protectionLevel data.
fn aapt_permissions(tree: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut current: Option<(String, u32)> = None;
    let mut in_perm = false;
    for line in tree.lines() {
        if line.starts_with("    E: ") {
            out.extend(current.take());
            in_perm = line.starts_with("    E: permission ");
            if in_perm {
                current = Some((String::new(), 0));
            }
        } else if in_perm && line.starts_with("      A: ") {
            let cur = current.as_mut().unwrap();
            if line.contains("android:name(0x01010003)") {
                cur.0 = line.split('"').nth(1).unwrap().to_string();
            } else if line.contains("android:protectionLevel(0x01010009)") {
                let hex = line.rsplit(")0x").next().unwrap();
                cur.1 = u32::from_str_radix(hex.trim(), 16).unwrap();
            }
        } else if line.starts_with("  E: ")
            || line.starts_with("    ") && !line.starts_with("      ")
        {
            in_perm = false;
        }
    }
    out.extend(current);
    out
}

#[test]
fn framework_permissions_match_aapt() {
    let apk = Path::new(FRAMEWORK_RES);
    let m = manifest_of(apk);
    assert_eq!(m.package, "android");
    assert_eq!(m.version_name.as_deref(), Some("10.0.0"));
    assert_eq!((m.min_sdk, m.target_sdk), (29, 29));
    let tree = reference(
        "aapt",
        &["dump", "xmltree", FRAMEWORK_RES, "AndroidManifest.xml"],
    );
    let theirs = aapt_permissions(&tree);
    assert!(theirs.len() > 400, "{}", theirs.len());
    let ours: Vec<(String, u32)> = m
        .permissions
        .iter()
        .map(|p| (p.name.clone(), p.protection_level))
        .collect();
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours, theirs);
    let level = |n: &str| {
        m.permissions
            .iter()
            .find(|p| p.name == n)
            .map(|p| p.protection_names())
            .unwrap()
    };
    assert_eq!(level("android.permission.CAMERA"), "dangerous|instant");
    assert_eq!(level("android.permission.INTERNET"), "normal|instant");
    assert_eq!(
        level("android.permission.INSTALL_PACKAGES"),
        "signature|privileged"
    );
    assert_eq!(
        level("android.permission.PACKAGE_USAGE_STATS"),
        "signature|privileged|development|appop"
    );
}

/// Replace the whole pool string `from` (UTF-16 or UTF-8 encoded, with its length) by `to`
/// of the same length.
fn mangle(data: &mut [u8], from: &str, to: &str) -> bool {
    assert_eq!(from.len(), to.len());
    let enc16 = |s: &str| {
        let mut v = (s.len() as u16).to_le_bytes().to_vec();
        v.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        v.extend([0, 0]);
        v
    };
    let enc8 = |s: &str| {
        let mut v = vec![s.len() as u8, s.len() as u8];
        v.extend(s.as_bytes());
        v.push(0);
        v
    };
    let mut done = false;
    for (f, t) in [(enc16(from), enc16(to)), (enc8(from), enc8(to))] {
        while let Some(at) = data.windows(f.len()).position(|w| w == f.as_slice()) {
            data[at..at + t.len()].copy_from_slice(&t);
            done = true;
        }
    }
    done
}

#[test]
fn obfuscated_attribute_names_change_nothing() {
    let mut app = App::new(&full_manifest(
        28,
        r#"android:debuggable="true" android:allowBackup="false""#,
        COMPONENTS,
    ));
    resources(&mut app);
    let apk = build("manifest-obfuscated", &app);
    let arsc = member(&apk, "resources.arsc");
    let table = ResourceTable::parse(&arsc).unwrap();
    let original = member(&apk, "AndroidManifest.xml");
    let mut mangled = original.clone();
    for (from, to) in [
        ("debuggable", "xxxxxxxxxx"),
        ("allowBackup", "yyyyyyyyyyy"),
        ("exported", "zzzzzzzz"),
        ("name", "\u{7}\u{7}\u{7}\u{7}"),
        ("protectionLevel", "ppppppppppppppp"),
        ("minSdkVersion", "mmmmmmmmmmmmm"),
    ] {
        assert!(mangle(&mut mangled, from, to), "{from} not in the pool");
    }
    let a = Manifest::parse(&original, Some(&table)).unwrap();
    let b = Manifest::parse(&mangled, Some(&table)).unwrap();
    assert!(b.application.debuggable && !b.application.allow_backup);
    assert_eq!(b.min_sdk, 16);
    assert_eq!(a, b);
    // Names read by name do change: the tree shows the mangled ones.
    let doc = Document::parse(&mangled).unwrap();
    let app_el = doc.root.children_named("application").next().unwrap();
    assert_eq!(app_el.android(0x0101_000f).unwrap().name, "xxxxxxxxxx");
}
