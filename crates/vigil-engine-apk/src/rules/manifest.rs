//! Manifest and network rules: what `AndroidManifest.xml` and the network security
//! configuration it names say about the app, read with Android's semantics as
//! [`crate::res::manifest`] and [`crate::res::nsc`] implement them (defaults, implicit
//! export, the configuration overriding `usesCleartextTraffic`). References: OWASP MASTG
//! (MASTG-TEST-0009, -0024, -0029 and the network tests) and MobSF's manifest analysis, read
//! for the conditions, not copied.
//!
//! Tencent MS VulIds: the published examples `1` (debuggable), `2` (allowBackup) and `22`
//! (exposed broadcast receiver); the others are Vigil's own, stable, from `100` up:
//!
//! | id | rule |
//! | --- | --- |
//! | 100 | `apk.manifest.test_only` |
//! | 101 | `apk.manifest.cleartext_traffic` |
//! | 102 | `apk.network.cleartext_permitted` |
//! | 103 | `apk.network.user_certificates` |
//! | 104 | `apk.network.debug_overrides` |
//! | 105 | `apk.network.weak_pinning` |
//! | 106 | `apk.manifest.exported_activity` |
//! | 107 | `apk.manifest.exported_service` |
//! | 108 | `apk.manifest.exported_provider` |
//! | 109 | `apk.manifest.provider_grant_uri` |
//! | 110 | `apk.manifest.weak_permission` |
//! | 111 | `apk.manifest.task_hijacking` |
//! | 112 | `apk.manifest.min_sdk` |
//!
//! Every place here is the manifest (or the configuration file) and never third-party.

use crate::package::MANIFEST;
use crate::res::axml::Document;
use crate::res::manifest::{attr, protection_names, Component, ComponentKind, Manifest};
use crate::res::nsc::{NetworkSecurityConfig, Settings};
use crate::rules::{hit, Facts, FnCheck, Hit, Rule};
use vigil_core::Severity;

/// The lowest SDK level Vigil does not report (Android 5.0, API 21).
pub const MIN_SDK_FLOOR: u32 = 21;

/// `android:debuggable="true"`.
pub static DEBUGGABLE: Rule = Rule {
    id: "apk.manifest.debuggable",
    ms_id: "1",
    name: "Debuggable application",
    level: Severity::High,
    description: "The application is marked android:debuggable: any user with adb can attach a \
        debugger, run code as the app (run-as) and read its private data.",
    solution: "Remove android:debuggable from the release manifest (the build system sets it \
        for debug builds only).",
    cwe: Some("CWE-489"),
    masvs: Some("MASVS-RESILIENCE-4"),
};

/// `android:allowBackup` true, written or by default.
pub static ALLOW_BACKUP: Rule = Rule {
    id: "apk.manifest.allow_backup",
    ms_id: "2",
    name: "Application data can be backed up",
    level: Severity::Medium,
    description: "android:allowBackup is true (explicitly or by default): the app's private \
        files, databases and shared preferences can be copied off the device with adb backup \
        (below Android 12) or device-to-device transfer.",
    solution: "Set android:allowBackup=\"false\", or limit what is backed up with \
        android:fullBackupContent / android:dataExtractionRules.",
    cwe: Some("CWE-530"),
    masvs: Some("MASVS-STORAGE-2"),
};

/// `android:testOnly="true"`.
pub static TEST_ONLY: Rule = Rule {
    id: "apk.manifest.test_only",
    ms_id: "100",
    name: "Test-only application",
    level: Severity::Medium,
    description: "The application is marked android:testOnly: it is a test build, installable \
        only with adb install -t, and often carries debugging aids.",
    solution: "Ship a release build without android:testOnly.",
    cwe: Some("CWE-489"),
    masvs: Some("MASVS-RESILIENCE-4"),
};

/// Cleartext permitted by the manifest with no configuration forbidding it.
pub static CLEARTEXT: Rule = Rule {
    id: "apk.manifest.cleartext_traffic",
    ms_id: "101",
    name: "Cleartext traffic permitted",
    level: Severity::Medium,
    description: "The app may use cleartext HTTP (android:usesCleartextTraffic is true, or \
        unset while targeting below API 28) and no network security configuration forbids \
        it: traffic can be read and changed on the network.",
    solution: "Set android:usesCleartextTraffic=\"false\" or a network security configuration \
        with cleartextTrafficPermitted=\"false\", and use HTTPS.",
    cwe: Some("CWE-319"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// A configuration block permitting cleartext.
pub static NSC_CLEARTEXT: Rule = Rule {
    id: "apk.network.cleartext_permitted",
    ms_id: "102",
    name: "Network security configuration permits cleartext",
    level: Severity::Medium,
    description: "The network security configuration sets cleartextTrafficPermitted=\"true\" \
        for all connections (base-config) or for some domains.",
    solution: "Remove cleartextTrafficPermitted=\"true\" and serve those hosts over HTTPS.",
    cwe: Some("CWE-319"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// User-installed CAs trusted outside the debug overrides.
pub static NSC_USER_CAS: Rule = Rule {
    id: "apk.network.user_certificates",
    ms_id: "103",
    name: "User-installed CAs trusted",
    level: Severity::Medium,
    description: "The network security configuration trusts user-installed certificate \
        authorities (<certificates src=\"user\"/>) in a release configuration: anyone who can \
        add a CA to the device can intercept the app's TLS traffic.",
    solution: "Trust only system CAs (or pinned ones) outside <debug-overrides>.",
    cwe: Some("CWE-295"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// `<debug-overrides>` present.
pub static NSC_DEBUG_OVERRIDES: Rule = Rule {
    id: "apk.network.debug_overrides",
    ms_id: "104",
    name: "Network debug overrides present",
    level: Severity::Low,
    description: "The network security configuration has <debug-overrides>: harmless in a \
        release build, but in force whenever the app is debuggable.",
    solution: "Keep debug overrides out of release configurations.",
    cwe: Some("CWE-489"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// Pins that are not enforced: expired pin sets, `overridePins` anchors.
pub static NSC_WEAK_PINNING: Rule = Rule {
    id: "apk.network.weak_pinning",
    ms_id: "105",
    name: "Certificate pinning not enforced",
    level: Severity::Low,
    description: "A pin set of the network security configuration has expired (Android stops \
        enforcing it), or trust anchors with overridePins=\"true\" bypass the pins.",
    solution: "Renew pin-set expiration dates with each release and do not override pins \
        outside <debug-overrides>.",
    cwe: Some("CWE-295"),
    masvs: Some("MASVS-NETWORK-2"),
};

/// An exported activity without a permission.
pub static EXPORTED_ACTIVITY: Rule = Rule {
    id: "apk.manifest.exported_activity",
    ms_id: "106",
    name: "Exported activity without permission",
    level: Severity::Medium,
    description: "An activity other than the launcher is exported without a permission: any \
        app can start it with data of its choosing.",
    solution: "Set android:exported=\"false\", or protect the activity with a \
        signature-level permission and validate incoming intents.",
    cwe: Some("CWE-926"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// An exported service without a permission.
pub static EXPORTED_SERVICE: Rule = Rule {
    id: "apk.manifest.exported_service",
    ms_id: "107",
    name: "Exported service without permission",
    level: Severity::Medium,
    description: "A service is exported without a permission: any app can start or bind it.",
    solution: "Set android:exported=\"false\", or protect the service with a signature-level \
        permission.",
    cwe: Some("CWE-926"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// An exported receiver without a permission.
pub static EXPORTED_RECEIVER: Rule = Rule {
    id: "apk.manifest.exported_receiver",
    ms_id: "22",
    name: "Exported broadcast receiver without permission",
    level: Severity::Medium,
    description: "A broadcast receiver is exported without a permission: any app can send it \
        broadcasts, including forged system ones.",
    solution: "Set android:exported=\"false\", register it in code with RECEIVER_NOT_EXPORTED, \
        or protect it with a signature-level permission.",
    cwe: Some("CWE-925"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// An exported provider without (read or write) permission.
pub static EXPORTED_PROVIDER: Rule = Rule {
    id: "apk.manifest.exported_provider",
    ms_id: "108",
    name: "Exported content provider without permission",
    level: Severity::High,
    description: "A content provider is exported without a permission for reading or for \
        writing: any app can query or change its data.",
    solution: "Set android:exported=\"false\" or protect both access directions with \
        signature-level permissions.",
    cwe: Some("CWE-926"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// A provider granting URI permissions.
pub static PROVIDER_GRANT_URI: Rule = Rule {
    id: "apk.manifest.provider_grant_uri",
    ms_id: "109",
    name: "Content provider grants URI permissions",
    level: Severity::Low,
    description: "A content provider has android:grantUriPermissions=\"true\": the app can \
        hand any of its URIs to other apps, and an intent forwarded unchecked grants access to \
        data it should not.",
    solution: "Limit grants to the paths that need them with <grant-uri-permission>, and \
        never forward incoming intents with their grant flags.",
    cwe: Some("CWE-732"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// A component protected by a permission the app defines with a weak protection level.
pub static WEAK_PERMISSION: Rule = Rule {
    id: "apk.manifest.weak_permission",
    ms_id: "110",
    name: "Component protected by a weak custom permission",
    level: Severity::Medium,
    description: "An exported component is protected by a permission the app itself defines \
        with protectionLevel normal or dangerous: any app can request and get it.",
    solution: "Define the permission with protectionLevel=\"signature\".",
    cwe: Some("CWE-732"),
    masvs: Some("MASVS-PLATFORM-1"),
};

/// singleTask/singleInstance activities open to task hijacking.
pub static TASK_HIJACKING: Rule = Rule {
    id: "apk.manifest.task_hijacking",
    ms_id: "111",
    name: "Activity open to task hijacking",
    level: Severity::Medium,
    description: "An activity with launchMode singleTask or singleInstance and the default \
        task affinity in an app targeting below API 28: a malicious app can place its own \
        activity in the task (StrandHogg) and phish the user.",
    solution: "Target API 28 or later, or set android:taskAffinity=\"\" on the activity (or \
        the application).",
    cwe: Some("CWE-1021"),
    masvs: Some("MASVS-PLATFORM-3"),
};

/// minSdkVersion far below current.
pub static MIN_SDK: Rule = Rule {
    id: "apk.manifest.min_sdk",
    ms_id: "112",
    name: "Outdated minimum SDK",
    level: Severity::Low,
    description: "The app installs on Android versions below 5.0 (API 21), which no longer \
        get security updates and lack platform fixes (WebView updates, TLS 1.2 by default, \
        the Janus and Master Key signature fixes on the oldest).",
    solution: "Raise minSdkVersion to 21 or later.",
    cwe: Some("CWE-1104"),
    masvs: Some("MASVS-CODE-1"),
};

/// Checks [`DEBUGGABLE`].
pub static DEBUGGABLE_CHECK: FnCheck = FnCheck {
    rule: &DEBUGGABLE,
    run: debuggable,
};
/// Checks [`ALLOW_BACKUP`].
pub static ALLOW_BACKUP_CHECK: FnCheck = FnCheck {
    rule: &ALLOW_BACKUP,
    run: allow_backup,
};
/// Checks [`TEST_ONLY`].
pub static TEST_ONLY_CHECK: FnCheck = FnCheck {
    rule: &TEST_ONLY,
    run: test_only,
};
/// Checks [`CLEARTEXT`].
pub static CLEARTEXT_CHECK: FnCheck = FnCheck {
    rule: &CLEARTEXT,
    run: cleartext,
};
/// Checks [`NSC_CLEARTEXT`].
pub static NSC_CLEARTEXT_CHECK: FnCheck = FnCheck {
    rule: &NSC_CLEARTEXT,
    run: nsc_cleartext,
};
/// Checks [`NSC_USER_CAS`].
pub static NSC_USER_CAS_CHECK: FnCheck = FnCheck {
    rule: &NSC_USER_CAS,
    run: nsc_user_cas,
};
/// Checks [`NSC_DEBUG_OVERRIDES`].
pub static NSC_DEBUG_OVERRIDES_CHECK: FnCheck = FnCheck {
    rule: &NSC_DEBUG_OVERRIDES,
    run: nsc_debug_overrides,
};
/// Checks [`NSC_WEAK_PINNING`].
pub static NSC_WEAK_PINNING_CHECK: FnCheck = FnCheck {
    rule: &NSC_WEAK_PINNING,
    run: nsc_weak_pinning,
};
/// Checks [`EXPORTED_ACTIVITY`].
pub static EXPORTED_ACTIVITY_CHECK: FnCheck = FnCheck {
    rule: &EXPORTED_ACTIVITY,
    run: exported_activity,
};
/// Checks [`EXPORTED_SERVICE`].
pub static EXPORTED_SERVICE_CHECK: FnCheck = FnCheck {
    rule: &EXPORTED_SERVICE,
    run: exported_service,
};
/// Checks [`EXPORTED_RECEIVER`].
pub static EXPORTED_RECEIVER_CHECK: FnCheck = FnCheck {
    rule: &EXPORTED_RECEIVER,
    run: exported_receiver,
};
/// Checks [`EXPORTED_PROVIDER`].
pub static EXPORTED_PROVIDER_CHECK: FnCheck = FnCheck {
    rule: &EXPORTED_PROVIDER,
    run: exported_provider,
};
/// Checks [`PROVIDER_GRANT_URI`].
pub static PROVIDER_GRANT_URI_CHECK: FnCheck = FnCheck {
    rule: &PROVIDER_GRANT_URI,
    run: provider_grant_uri,
};
/// Checks [`WEAK_PERMISSION`].
pub static WEAK_PERMISSION_CHECK: FnCheck = FnCheck {
    rule: &WEAK_PERMISSION,
    run: weak_permission,
};
/// Checks [`TASK_HIJACKING`].
pub static TASK_HIJACKING_CHECK: FnCheck = FnCheck {
    rule: &TASK_HIJACKING,
    run: task_hijacking,
};
/// Checks [`MIN_SDK`].
pub static MIN_SDK_CHECK: FnCheck = FnCheck {
    rule: &MIN_SDK,
    run: min_sdk,
};

fn in_manifest(rule: &'static Rule, code: impl Into<String>, proof: String) -> Hit {
    hit(rule, MANIFEST, code.into(), proof)
}

fn debuggable(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    if let Some(m) = &f.package.manifest {
        if m.application.debuggable {
            out.push(in_manifest(
                &DEBUGGABLE,
                "application",
                "android:debuggable=\"true\"".into(),
            ));
        }
    }
}

fn allow_backup(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    if !m.application.allow_backup {
        return;
    }
    // The typed manifest keeps allowBackup resolved; whether it was written, and the rules
    // limiting what is copied, are read from the document itself.
    let attrs = application_attributes(
        f,
        &[
            attr::ALLOW_BACKUP,
            FULL_BACKUP_CONTENT,
            DATA_EXTRACTION_RULES,
        ],
    );
    let mut proof = match attrs.first().and_then(Option::as_ref) {
        Some(_) => "android:allowBackup=\"true\"".to_string(),
        None => "android:allowBackup unset (true by default)".to_string(),
    };
    for (name, v) in [
        ("android:fullBackupContent", attrs.get(1)),
        ("android:dataExtractionRules", attrs.get(2)),
    ] {
        if let Some(Some(v)) = v {
            proof.push_str(&format!("; {name}=\"{v}\" limits what is copied"));
        }
    }
    // From target 31, adb backup skips the app unless it is debuggable, but device-to-device
    // transfer still copies its data.
    if m.target_sdk >= 31 {
        proof.push_str(&format!(
            "; targetSdk {} (adb backup excluded, device transfer still applies)",
            m.target_sdk
        ));
    }
    out.push(in_manifest(&ALLOW_BACKUP, "application", proof));
}

/// `android:fullBackupContent` (API 23).
const FULL_BACKUP_CONTENT: u32 = 0x0101_04eb;
/// `android:dataExtractionRules` (API 31).
const DATA_EXTRACTION_RULES: u32 = 0x0101_063e;

/// The values of these `android:` attributes of `<application>` as written (references as
/// `@0x7f......`), read again from the manifest document; all `None` when it cannot be read.
fn application_attributes(f: &Facts<'_, '_>, ids: &[u32]) -> Vec<Option<String>> {
    let doc = f
        .package
        .archive
        .read_name(MANIFEST)
        .ok()
        .flatten()
        .and_then(|b| Document::parse(&b).ok());
    let app = doc
        .as_ref()
        .and_then(|d| d.root.children_named("application").next());
    ids.iter()
        .map(|&id| app.and_then(|a| a.android(id)).map(|a| a.value.to_string()))
        .collect()
}

fn test_only(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    if let Some(m) = &f.package.manifest {
        if m.application.test_only {
            out.push(in_manifest(
                &TEST_ONLY,
                "application",
                "android:testOnly=\"true\"".into(),
            ));
        }
    }
}

fn cleartext(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    if !m.cleartext_permitted() {
        return;
    }
    // With a configuration, Android 7+ ignores usesCleartextTraffic and the configuration
    // decides; its explicit settings are apk.network.cleartext_permitted's to report, so only
    // the case where it leaves the default (permitted below target 28) is reported here.
    if let Some(n) = &f.package.network_security {
        let explicit = n
            .base
            .as_ref()
            .and_then(|b| b.cleartext_permitted)
            .is_some();
        if explicit || !n.base_cleartext_permitted(m.target_sdk) {
            return;
        }
    }
    let proof = match m.application.uses_cleartext_traffic {
        Some(_) => "android:usesCleartextTraffic=\"true\"".to_string(),
        None => format!(
            "android:usesCleartextTraffic unset, targetSdk {} < 28 (permitted by default)",
            m.target_sdk
        ),
    };
    out.push(in_manifest(&CLEARTEXT, "application", proof));
}

/// The configuration with its file path and the app's target SDK and debuggable flag.
fn nsc<'f>(f: &'f Facts<'_, '_>) -> Option<(&'f NetworkSecurityConfig, &'f str, &'f Manifest)> {
    let m = f.package.manifest.as_ref()?;
    let n = f.package.network_security.as_ref()?;
    let path = m.application.network_security_config.as_deref()?;
    Some((n, path, m))
}

/// Every release block of the configuration: (its name for the report, its own settings).
fn release_blocks(n: &NetworkSecurityConfig) -> Vec<(String, &Settings)> {
    let mut out: Vec<(String, &Settings)> = Vec::new();
    if let Some(b) = &n.base {
        out.push(("base-config".into(), b));
    }
    for d in &n.domains {
        let names: Vec<&str> = d.domains.iter().map(|d| d.name.as_str()).collect();
        out.push((format!("domain-config {}", names.join(" ")), &d.settings));
    }
    out
}

fn nsc_cleartext(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some((n, path, _)) = nsc(f) else {
        return;
    };
    for (code, s) in release_blocks(n) {
        if s.cleartext_permitted == Some(true) {
            out.push(hit(
                &NSC_CLEARTEXT,
                path,
                code,
                "cleartextTrafficPermitted=\"true\"".into(),
            ));
        }
    }
}

fn nsc_user_cas(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some((n, path, _)) = nsc(f) else {
        return;
    };
    for (code, s) in release_blocks(n) {
        let user = s
            .trust_anchors
            .as_ref()
            .is_some_and(|a| a.iter().any(|c| c.src == "user"));
        if user {
            out.push(hit(
                &NSC_USER_CAS,
                path,
                code,
                "<trust-anchors><certificates src=\"user\"/>".into(),
            ));
        }
    }
}

fn nsc_debug_overrides(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some((n, path, m)) = nsc(f) else {
        return;
    };
    if n.debug_overrides.is_some() {
        let state = if m.application.debuggable {
            "in force: the app is debuggable"
        } else {
            "inactive while the app is not debuggable"
        };
        out.push(hit(
            &NSC_DEBUG_OVERRIDES,
            path,
            "debug-overrides".into(),
            format!("<debug-overrides> present ({state})"),
        ));
    }
}

fn nsc_weak_pinning(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some((n, path, _)) = nsc(f) else {
        return;
    };
    let today = today();
    for (code, s) in release_blocks(n) {
        let mut why = Vec::new();
        if let Some(p) = &s.pin_set {
            if let Some(exp) = &p.expiration {
                if days_of_date(exp).is_some_and(|d| Some(d) <= today) {
                    why.push(format!("<pin-set expiration=\"{exp}\"> has expired"));
                }
            }
        }
        if let Some(a) = &s.trust_anchors {
            for c in a.iter().filter(|c| c.override_pins) {
                why.push(format!(
                    "<certificates src=\"{}\" overridePins=\"true\"/>",
                    c.src
                ));
            }
        }
        if !why.is_empty() {
            out.push(hit(&NSC_WEAK_PINNING, path, code, why.join("; ")));
        }
    }
}

/// Days since 1970-01-01 of a `yyyy-MM-dd` date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_of_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today, in days since 1970-01-01 (the rules have no clock of their own in `Facts`).
fn today() -> Option<i64> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    i64::try_from(secs / 86_400).ok()
}

/// The component as the report names it (`receiver com.example.Boot`).
fn label(c: &Component) -> String {
    let kind = match c.kind {
        Some(ComponentKind::Activity) => "activity",
        Some(ComponentKind::ActivityAlias) => "activity-alias",
        Some(ComponentKind::Service) => "service",
        Some(ComponentKind::Receiver) => "receiver",
        Some(ComponentKind::Provider) => "provider",
        None => "component",
    };
    format!("{kind} {}", c.name)
}

/// How the component came to be exported.
fn export_proof(c: &Component, m: &Manifest) -> String {
    match c.exported_explicit {
        Some(_) => "android:exported=\"true\"".to_string(),
        None if c.kind == Some(ComponentKind::Provider) => format!(
            "exported by default: no android:exported, targetSdk {} < 17",
            m.target_sdk
        ),
        None => format!(
            "implicitly exported by its intent filter: no android:exported, targetSdk {} < 31",
            m.target_sdk
        ),
    }
}

/// Exported components of `kinds` with no permission, the launcher activities aside.
fn exported(f: &Facts<'_, '_>, kinds: &[ComponentKind], rule: &'static Rule, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    for c in &m.components {
        let Some(kind) = c.kind else { continue };
        if !kinds.contains(&kind) || !c.exported || c.permission.is_some() {
            continue;
        }
        if kind != ComponentKind::Provider && c.is_launcher() {
            continue;
        }
        let mut proof = export_proof(c, m);
        if kind == ComponentKind::Provider {
            let open: Vec<&str> = [("read", &c.read_permission), ("write", &c.write_permission)]
                .into_iter()
                .filter(|(_, p)| p.is_none())
                .map(|(s, _)| s)
                .collect();
            if open.is_empty() {
                continue;
            }
            proof.push_str(&format!("; no permission for {}", open.join(" and ")));
        } else {
            proof.push_str("; no android:permission");
        }
        out.push(in_manifest(rule, label(c), proof));
    }
}

fn exported_activity(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    exported(
        f,
        &[ComponentKind::Activity, ComponentKind::ActivityAlias],
        &EXPORTED_ACTIVITY,
        out,
    )
}

fn exported_service(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    exported(f, &[ComponentKind::Service], &EXPORTED_SERVICE, out)
}

fn exported_receiver(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    exported(f, &[ComponentKind::Receiver], &EXPORTED_RECEIVER, out)
}

fn exported_provider(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    exported(f, &[ComponentKind::Provider], &EXPORTED_PROVIDER, out)
}

fn provider_grant_uri(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    for c in &m.components {
        if c.kind == Some(ComponentKind::Provider) && c.grant_uri_permissions {
            out.push(in_manifest(
                &PROVIDER_GRANT_URI,
                label(c),
                "android:grantUriPermissions=\"true\"".into(),
            ));
        }
    }
}

fn weak_permission(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    for c in m.components.iter().filter(|c| c.exported) {
        let named = [
            ("android:permission", &c.permission),
            ("android:readPermission", &c.read_permission),
            ("android:writePermission", &c.write_permission),
        ];
        let mut why = Vec::new();
        for (attr, p) in named {
            let Some(p) = p else { continue };
            let Some(def) = m.permissions.iter().find(|d| &d.name == p) else {
                continue;
            };
            // Base level normal (0) or dangerous (1): granted to any app that asks.
            if def.protection_level & 0xf <= 1 {
                why.push(format!(
                    "{attr}=\"{p}\" declared with protectionLevel=\"{}\"",
                    protection_names(def.protection_level)
                ));
            }
        }
        if !why.is_empty() {
            out.push(in_manifest(&WEAK_PERMISSION, label(c), why.join("; ")));
        }
    }
}

fn task_hijacking(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let Some(m) = &f.package.manifest else {
        return;
    };
    if m.target_sdk >= 28 {
        return;
    }
    for c in &m.components {
        if c.kind != Some(ComponentKind::Activity) {
            continue;
        }
        let Some(mode) = c
            .launch_mode
            .as_deref()
            .filter(|l| matches!(*l, "singleTask" | "singleInstance"))
        else {
            continue;
        };
        let affinity = c
            .task_affinity
            .as_deref()
            .or(m.application.task_affinity.as_deref());
        if affinity == Some("") {
            continue;
        }
        let affinity = match affinity {
            Some(a) => format!("taskAffinity \"{a}\""),
            None => "default taskAffinity".to_string(),
        };
        out.push(in_manifest(
            &TASK_HIJACKING,
            label(c),
            format!(
                "android:launchMode=\"{mode}\", {affinity}, targetSdk {} < 28",
                m.target_sdk
            ),
        ));
    }
}

fn min_sdk(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    if let Some(m) = &f.package.manifest {
        if m.min_sdk < MIN_SDK_FLOOR {
            out.push(in_manifest(
                &MIN_SDK,
                "uses-sdk",
                format!("android:minSdkVersion=\"{}\" < {MIN_SDK_FLOOR}", m.min_sdk),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::days_of_date;

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(days_of_date("1970-01-01"), Some(0));
        assert_eq!(days_of_date("2000-03-01"), Some(11_017));
        assert_eq!(days_of_date("2026-12-07"), Some(20_794));
        assert_eq!(days_of_date("2026-13-01"), None);
        assert_eq!(days_of_date("soon"), None);
    }
}
