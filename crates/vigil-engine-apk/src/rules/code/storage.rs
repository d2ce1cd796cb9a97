//! Storage rules: files, preferences and databases created readable or writable by every
//! app (`MODE_WORLD_READABLE` = 1, `MODE_WORLD_WRITEABLE` = 2 reaching `openFileOutput`,
//! `getSharedPreferences`, `openOrCreateDatabase` or `getDir` as a constant), and the use of
//! external storage, which other apps can read.

use super::insn::Known;
use super::{named, Scope};
use crate::rules::{Hit, Rule};
use vigil_core::Severity;

/// World-readable or world-writable modes.
pub static WORLD_ACCESSIBLE: Rule = Rule {
    id: "apk.code.world_accessible_mode",
    ms_id: "211",
    name: "Files created world-readable or world-writable",
    level: Severity::High,
    description: "openFileOutput, getSharedPreferences, openOrCreateDatabase or getDir is \
        given MODE_WORLD_READABLE or MODE_WORLD_WRITEABLE: on the Android versions that \
        still honour them (and the app's targetSdkVersion below 24), any app on the device \
        can read or overwrite the file, preferences or database, and whatever secrets or \
        settings they hold.",
    solution: "Use MODE_PRIVATE; share data with other apps through a ContentProvider or \
        FileProvider with permissions and URI grants.",
    cwe: Some("CWE-276"),
    masvs: Some("MASVS-STORAGE-1"),
};

/// External storage used.
pub static EXTERNAL_STORAGE: Rule = Rule {
    id: "apk.code.external_storage",
    ms_id: "212",
    name: "External storage used",
    level: Severity::Low,
    description: "The app asks for a directory on external storage \
        (Environment.getExternalStorageDirectory or getExternalStoragePublicDirectory, \
        Context.getExternalFilesDir, getExternalFilesDirs or getExternalCacheDir). Files \
        there can be read by other apps with storage permissions (and by anyone with the \
        device on older versions or removable cards) and changed by them, so they must hold \
        nothing sensitive and be validated before use.",
    solution: "Keep sensitive data in internal storage (getFilesDir, encrypted with Jetpack \
        Security where needed); treat anything read back from external storage as \
        untrusted input.",
    cwe: Some("CWE-922"),
    masvs: Some("MASVS-STORAGE-1"),
};

code_check!(WORLD_ACCESSIBLE_CHECK, WORLD_ACCESSIBLE, world_accessible);

code_check!(EXTERNAL_STORAGE_CHECK, EXTERNAL_STORAGE, external_storage);

/// `Context` methods taking a name and a mode as their first two parameters.
const MODE_METHODS: [&str; 4] = [
    "openFileOutput",
    "getSharedPreferences",
    "openOrCreateDatabase",
    "getDir",
];

/// `MODE_WORLD_READABLE`.
const WORLD_READABLE: i64 = 1;
/// `MODE_WORLD_WRITEABLE`.
const WORLD_WRITEABLE: i64 = 2;

/// Mode arguments with a world bit set.
fn world_accessible(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| {
        MODE_METHODS.contains(&&*r.name) && r.proto.params.get(1).is_some_and(|p| &**p == "I")
    });
    s.scan_calls(&targets, out, |r, call| {
        // Instance methods: the receiver, the name, then the mode.
        let Some(Known::Int(mode)) = call.arg(2) else {
            return None;
        };
        let names: Vec<&str> = [
            (WORLD_READABLE, "MODE_WORLD_READABLE"),
            (WORLD_WRITEABLE, "MODE_WORLD_WRITEABLE"),
        ]
        .iter()
        .filter(|(bit, _)| mode & bit != 0)
        .map(|(_, n)| *n)
        .collect();
        (!names.is_empty())
            .then(|| format!("invoke {r} with mode {mode:#x} ({})", names.join(" | ")))
    });
}

/// Calls asking for external storage directories.
fn external_storage(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| {
        r.is("Landroid/os/Environment;", "getExternalStorageDirectory")
            || r.is(
                "Landroid/os/Environment;",
                "getExternalStoragePublicDirectory",
            )
            || named(r, "getExternalFilesDir", "Ljava/lang/String;")
            || named(r, "getExternalFilesDirs", "Ljava/lang/String;")
            || named(r, "getExternalCacheDir", "")
    });
    s.scan_callers(&targets, out, |_, r| Some(format!("invoke {r}")));
}
