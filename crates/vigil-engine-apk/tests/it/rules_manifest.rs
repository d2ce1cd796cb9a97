//! The manifest and network rules on real apps: a vulnerable app carrying every manifest
//! weakness (debuggable, test-only, backup and cleartext by default, exported components
//! explicit and implicit, a provider granting URIs, a weak custom permission, task
//! hijacking, an old minSdk) and its safe twin; an app targeting API 16 (a provider
//! exported by default, an implicitly exported alias, cleartext and backup written out); a
//! network security configuration with every network weakness and its safe twin (which also
//! forbids the cleartext the manifest asks for). Each asserts the exact set of rule ids and
//! places hit. Also: no rule panics on a package without a manifest, and rule ids and MS
//! VulIds are unique. The helpers here ([`hits`], [`manifest_with`]) serve the signing and
//! native rule tests too.

use std::path::Path;

use crate::support::apk::{build, App};
use vigil_engine_apk::package::Package;
use vigil_engine_apk::rules::{self, Facts, Hit};

/// Certificates expire relative to this time (2026-01-01).
pub const NOW: i64 = 1_767_225_600;

/// The hits of every rule on the APK at `path`.
pub fn hits(path: &Path) -> Vec<Hit> {
    inspected(path, |_| {})
}

/// The hits of every rule on the APK at `path`, after `inspect` looked at the package.
pub fn inspected(path: &Path, inspect: impl FnOnce(&Package<'_>)) -> Vec<Hit> {
    let data = std::fs::read(path).expect("APK");
    let package = Package::read(&data, &Default::default(), NOW).expect("package");
    inspect(&package);
    rules::run(&Facts {
        package: &package,
        dex: &[],
    })
}

/// (rule id, file, code) of each hit, sorted.
pub fn places(hits: &[Hit]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = hits
        .iter()
        .map(|h| {
            (
                h.rule.id.to_string(),
                h.place.file.clone(),
                h.place.code.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Expected places, sorted, from (id, file, code) literals.
pub fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    v.sort();
    v
}

/// The proof of the hit of `id` at `code`.
pub fn proof<'h>(hits: &'h [Hit], id: &str, code: &str) -> &'h str {
    hits.iter()
        .find(|h| h.rule.id == id && h.place.code == code)
        .map(|h| h.proof.as_str())
        .unwrap_or_else(|| panic!("no hit of {id} at {code}: {hits:#?}"))
}

/// A manifest for `package` with these SDK levels, top-level elements, application
/// attributes and components.
pub fn manifest_with(
    package: &str,
    (min, target): (u32, u32),
    top: &str,
    application_attrs: &str,
    body: &str,
) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{package}">
  <uses-sdk android:minSdkVersion="{min}" android:targetSdkVersion="{target}"/>
{top}
  <application android:label="Test" {application_attrs}>
{body}
  </application>
</manifest>
"#
    )
}

const LAUNCHER: &str = r#"<intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>"#;

const M: &str = "AndroidManifest.xml";

#[test]
fn a_vulnerable_manifest_hits_every_manifest_rule() {
    let body = format!(
        r#"
    <activity android:name=".Main">{LAUNCHER}</activity>
    <activity android:name=".Open" android:exported="true"/>
    <activity android:name=".Implicit">
      <intent-filter><action android:name="android.intent.action.VIEW"/></intent-filter>
    </activity>
    <activity android:name=".Hijack" android:launchMode="singleTask"/>
    <activity android:name=".Alone" android:launchMode="singleInstance" android:taskAffinity=""/>
    <service android:name=".Svc" android:exported="true"/>
    <service android:name=".Guarded" android:exported="true" android:permission="com.example.vuln.WEAK"/>
    <receiver android:name=".Boot">
      <intent-filter><action android:name="android.intent.action.BOOT_COMPLETED"/></intent-filter>
    </receiver>
    <receiver android:name=".Private"/>
    <provider android:name=".Prov" android:authorities="com.example.vuln.prov"
        android:exported="true" android:grantUriPermissions="true"
        android:readPermission="com.example.vuln.WEAK"/>
"#
    );
    let mut app = App::new(&manifest_with(
        "com.example.vuln",
        (19, 26),
        r#"<permission android:name="com.example.vuln.WEAK" android:protectionLevel="normal"/>"#,
        r#"android:debuggable="true" android:testOnly="true" android:fullBackupContent="@xml/backup_rules""#,
        &body,
    ));
    app.res.push((
        "xml/backup_rules.xml".into(),
        br#"<full-backup-content><exclude domain="sharedpref" path="."/></full-backup-content>"#
            .to_vec(),
    ));
    let hits = hits(&build("rules-manifest-vuln", &app));
    assert_eq!(
        places(&hits),
        expect(&[
            ("apk.manifest.debuggable", M, "application"),
            ("apk.manifest.allow_backup", M, "application"),
            ("apk.manifest.test_only", M, "application"),
            ("apk.manifest.cleartext_traffic", M, "application"),
            (
                "apk.manifest.exported_activity",
                M,
                "activity com.example.vuln.Open"
            ),
            (
                "apk.manifest.exported_activity",
                M,
                "activity com.example.vuln.Implicit"
            ),
            (
                "apk.manifest.exported_service",
                M,
                "service com.example.vuln.Svc"
            ),
            (
                "apk.manifest.exported_receiver",
                M,
                "receiver com.example.vuln.Boot"
            ),
            (
                "apk.manifest.exported_provider",
                M,
                "provider com.example.vuln.Prov"
            ),
            (
                "apk.manifest.provider_grant_uri",
                M,
                "provider com.example.vuln.Prov"
            ),
            (
                "apk.manifest.weak_permission",
                M,
                "service com.example.vuln.Guarded"
            ),
            (
                "apk.manifest.weak_permission",
                M,
                "provider com.example.vuln.Prov"
            ),
            (
                "apk.manifest.task_hijacking",
                M,
                "activity com.example.vuln.Hijack"
            ),
            ("apk.manifest.min_sdk", M, "uses-sdk"),
        ]),
        "{hits:#?}"
    );
    assert!(hits.iter().all(|h| !h.place.third_party));
    let receiver = hits
        .iter()
        .find(|h| h.rule.id == "apk.manifest.exported_receiver")
        .unwrap();
    assert_eq!(receiver.rule.ms_id, "22");
    assert!(proof(
        &hits,
        "apk.manifest.exported_receiver",
        "receiver com.example.vuln.Boot"
    )
    .contains("implicitly exported by its intent filter"),);
    assert!(proof(
        &hits,
        "apk.manifest.exported_activity",
        "activity com.example.vuln.Open"
    )
    .starts_with("android:exported=\"true\""),);
    assert!(proof(
        &hits,
        "apk.manifest.exported_provider",
        "provider com.example.vuln.Prov"
    )
    .ends_with("no permission for write"),);
    assert_eq!(
        proof(
            &hits,
            "apk.manifest.weak_permission",
            "service com.example.vuln.Guarded"
        ),
        "android:permission=\"com.example.vuln.WEAK\" declared with protectionLevel=\"normal\""
    );
    assert!(proof(&hits, "apk.manifest.cleartext_traffic", "application").contains("unset"));
    let backup = proof(&hits, "apk.manifest.allow_backup", "application");
    assert!(
        backup.starts_with(
            "android:allowBackup unset (true by default); android:fullBackupContent=\"@0x7f"
        ),
        "{backup}"
    );
    assert_eq!(
        proof(
            &hits,
            "apk.manifest.task_hijacking",
            "activity com.example.vuln.Hijack"
        ),
        "android:launchMode=\"singleTask\", default taskAffinity, targetSdk 26 < 28"
    );
    let ms: Vec<&str> = ["apk.manifest.debuggable", "apk.manifest.allow_backup"]
        .iter()
        .map(|id| hits.iter().find(|h| h.rule.id == *id).unwrap().rule.ms_id)
        .collect();
    assert_eq!(ms, ["1", "2"]);
}

#[test]
fn the_safe_manifest_twin_hits_nothing() {
    let body = format!(
        r#"
    <activity android:name=".Main" android:exported="true">{LAUNCHER}</activity>
    <activity android:name=".Internal" android:exported="false" android:launchMode="singleTask"/>
    <service android:name=".Svc" android:exported="true" android:permission="com.example.safe.SIG"/>
    <receiver android:name=".Boot" android:exported="false">
      <intent-filter><action android:name="android.intent.action.BOOT_COMPLETED"/></intent-filter>
    </receiver>
    <provider android:name=".Prov" android:authorities="com.example.safe.prov" android:exported="false"/>
    <provider android:name=".Shared" android:authorities="com.example.safe.shared"
        android:exported="true" android:permission="com.example.safe.SIG"/>
"#
    );
    let app = App::new(&manifest_with(
        "com.example.safe",
        (24, 33),
        r#"<permission android:name="com.example.safe.SIG" android:protectionLevel="signature"/>"#,
        r#"android:allowBackup="false" android:usesCleartextTraffic="false""#,
        &body,
    ));
    let hits = hits(&build("rules-manifest-safe", &app));
    assert_eq!(places(&hits), expect(&[]), "{hits:#?}");
}

#[test]
fn an_old_target_exports_providers_by_default() {
    let body = format!(
        r#"
    <activity android:name=".Main">{LAUNCHER}</activity>
    <activity-alias android:name=".Alias" android:targetActivity=".Main">
      <intent-filter><action android:name="android.intent.action.SEND"/></intent-filter>
    </activity-alias>
    <provider android:name=".Prov" android:authorities="com.example.old.prov"/>
"#
    );
    let app = App::new(&manifest_with(
        "com.example.old",
        (16, 16),
        "",
        r#"android:allowBackup="true" android:usesCleartextTraffic="true""#,
        &body,
    ));
    let hits = hits(&build("rules-manifest-old", &app));
    assert_eq!(
        places(&hits),
        expect(&[
            ("apk.manifest.allow_backup", M, "application"),
            ("apk.manifest.cleartext_traffic", M, "application"),
            (
                "apk.manifest.exported_activity",
                M,
                "activity-alias com.example.old.Alias"
            ),
            (
                "apk.manifest.exported_provider",
                M,
                "provider com.example.old.Prov"
            ),
            ("apk.manifest.min_sdk", M, "uses-sdk"),
        ]),
        "{hits:#?}"
    );
    assert_eq!(
        proof(
            &hits,
            "apk.manifest.exported_provider",
            "provider com.example.old.Prov"
        ),
        "exported by default: no android:exported, targetSdk 16 < 17; \
         no permission for read and write"
    );
    assert_eq!(
        proof(&hits, "apk.manifest.allow_backup", "application"),
        "android:allowBackup=\"true\""
    );
    assert_eq!(
        proof(&hits, "apk.manifest.cleartext_traffic", "application"),
        "android:usesCleartextTraffic=\"true\""
    );
}

/// Where aapt puts the configuration.
const NSC_FILE: &str = "res/xml/network_security_config.xml";

/// An app (minSdk 21, target 28, no backup) with this network security configuration and
/// these application attributes.
fn nsc_app(package: &str, attrs: &str, nsc: &str) -> App {
    let mut app = App::new(&manifest_with(
        package,
        (21, 28),
        "",
        &format!(
            r#"android:allowBackup="false" android:networkSecurityConfig="@xml/network_security_config" {attrs}"#
        ),
        "",
    ));
    app.res.push((
        "xml/network_security_config.xml".into(),
        nsc.as_bytes().to_vec(),
    ));
    app
}

#[test]
fn a_weak_network_security_config_hits_every_network_rule() {
    let nsc = r#"<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
  <base-config cleartextTrafficPermitted="true">
    <trust-anchors>
      <certificates src="system"/>
      <certificates src="user"/>
    </trust-anchors>
  </base-config>
  <domain-config cleartextTrafficPermitted="true">
    <domain>legacy.example.com</domain>
  </domain-config>
  <domain-config>
    <domain>pinned.example.com</domain>
    <pin-set expiration="2018-01-01">
      <pin digest="SHA-256">r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=</pin>
    </pin-set>
    <trust-anchors>
      <certificates src="system" overridePins="true"/>
    </trust-anchors>
  </domain-config>
  <debug-overrides>
    <trust-anchors>
      <certificates src="user"/>
    </trust-anchors>
  </debug-overrides>
</network-security-config>
"#;
    let hits = hits(&build(
        "rules-nsc-vuln",
        &nsc_app("com.example.nscvuln", "", nsc),
    ));
    assert_eq!(
        places(&hits),
        expect(&[
            ("apk.network.cleartext_permitted", NSC_FILE, "base-config"),
            (
                "apk.network.cleartext_permitted",
                NSC_FILE,
                "domain-config legacy.example.com"
            ),
            ("apk.network.user_certificates", NSC_FILE, "base-config"),
            ("apk.network.debug_overrides", NSC_FILE, "debug-overrides"),
            (
                "apk.network.weak_pinning",
                NSC_FILE,
                "domain-config pinned.example.com"
            ),
        ]),
        "{hits:#?}"
    );
    assert_eq!(
        proof(
            &hits,
            "apk.network.weak_pinning",
            "domain-config pinned.example.com"
        ),
        "<pin-set expiration=\"2018-01-01\"> has expired; \
         <certificates src=\"system\" overridePins=\"true\"/>"
    );
    assert!(proof(&hits, "apk.network.debug_overrides", "debug-overrides").contains("inactive"));
}

#[test]
fn the_safe_network_security_config_twin_hits_nothing() {
    // The manifest asks for cleartext, but on Android 7+ the configuration decides, and it
    // forbids it.
    let nsc = r#"<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
  <base-config cleartextTrafficPermitted="false">
    <trust-anchors>
      <certificates src="system"/>
    </trust-anchors>
  </base-config>
  <domain-config>
    <domain includeSubdomains="true">pinned.example.com</domain>
    <pin-set expiration="2099-01-01">
      <pin digest="SHA-256">r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=</pin>
      <pin digest="SHA-256">YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=</pin>
    </pin-set>
  </domain-config>
</network-security-config>
"#;
    let app = nsc_app(
        "com.example.nscsafe",
        r#"android:usesCleartextTraffic="true""#,
        nsc,
    );
    let hits = hits(&build("rules-nsc-safe", &app));
    assert_eq!(places(&hits), expect(&[]), "{hits:#?}");
}

#[test]
fn no_rule_panics_without_a_manifest() {
    let path = crate::support::apk::scratch("rules-no-manifest").join("bare.apk");
    // Every entry holds junk: the manifest, a library, the configuration.
    let zip = "import sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
        \tfor name in sys.argv[2:]: z.writestr(name, b'\\x7fELF junk')";
    let status = std::process::Command::new("python3")
        .args(["-c", zip, path.to_str().unwrap()])
        .args([
            "AndroidManifest.xml",
            "classes.dex",
            "lib/x86_64/libjunk.so",
            "res/xml/network_security_config.xml",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let hits = inspected(&path, |p| assert!(p.manifest.is_none(), "{p:?}"));
    assert_eq!(
        places(&hits),
        expect(&[("apk.signing.unsigned", "META-INF/", "package")]),
        "{hits:#?}"
    );
}

#[test]
fn rule_ids_and_ms_ids_are_unique() {
    // Other rule modules add checks too: a collision shows here when they meet.
    let mut ids = std::collections::BTreeSet::new();
    let mut ms = std::collections::BTreeSet::new();
    for c in rules::CHECKS {
        let r = c.rule();
        assert!(ids.insert(r.id), "rule id {} twice", r.id);
        assert!(ms.insert(r.ms_id), "MS VulId {} twice ({})", r.ms_id, r.id);
    }
}
