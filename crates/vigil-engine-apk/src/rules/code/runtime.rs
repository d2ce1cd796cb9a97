//! Runtime rules: code loaded at run time (`DexClassLoader`, `PathClassLoader`,
//! `InMemoryDexClassLoader`, `DexFile.loadDex`), commands run (`Runtime.exec`,
//! `ProcessBuilder.start`), and secrets written to the system log (`Log.*` in a method whose
//! strings name a password, token or secret). Reflection (`Class.forName`,
//! `Method.invoke`) is deliberately not a finding: nearly every app and library uses it and
//! it says nothing about a weakness by itself.

use super::Scope;
use crate::rules::{Hit, Rule};
use vigil_core::Severity;

/// Dex code loaded at run time.
pub static DYNAMIC_CODE: Rule = Rule {
    id: "apk.code.dynamic_code_loading",
    ms_id: "213",
    name: "Code loaded at run time",
    level: Severity::Medium,
    description: "The app creates a dex class loader (DexClassLoader, PathClassLoader, \
        InMemoryDexClassLoader, DelegateLastClassLoader) or calls DexFile.loadDex: it runs \
        code that is not in the reviewed package. If that code comes from external storage, \
        the network or another app's files, whoever can change it runs code as the app; it \
        also hides behaviour from review and from the store's checks.",
    solution: "Ship the code in the APK (or as a Play Feature Delivery module); if code must \
        be loaded, load it only from the app's private storage after verifying a signature \
        made with a key the app pins.",
    cwe: Some("CWE-829"),
    masvs: Some("MASVS-CODE-4"),
};

/// Commands run.
pub static COMMAND_EXEC: Rule = Rule {
    id: "apk.code.command_execution",
    ms_id: "214",
    name: "System commands executed",
    level: Severity::Medium,
    description: "The app runs commands through Runtime.exec or ProcessBuilder.start. A \
        command line built from input the app receives (intents, files, network) can be \
        changed to run other commands with the app's permissions; commands such as su also \
        show root detection or root use.",
    solution: "Use the Android and Java APIs for the task instead of shell commands; if a \
        command is needed, pass a fixed program and an argument array, never a string built \
        from input, and validate every argument.",
    cwe: Some("CWE-78"),
    masvs: Some("MASVS-CODE-4"),
};

/// Secrets logged.
pub static LOG_SECRETS: Rule = Rule {
    id: "apk.code.log_secrets",
    ms_id: "215",
    name: "Secrets written to the log",
    level: Severity::Low,
    description: "A method that calls android.util.Log also loads a string naming a password, \
        token, secret or key, which suggests it logs one. The system log is kept on the \
        device, readable over adb and by apps with READ_LOGS (any app before Android 4.1), \
        and ends up in bug reports.",
    solution: "Never log credentials or tokens; strip debug logging from release builds \
        (R8 rules with -assumenosideeffects for android.util.Log, or a logging wrapper \
        disabled in release).",
    cwe: Some("CWE-532"),
    masvs: Some("MASVS-STORAGE-2"),
};

code_check!(DYNAMIC_CODE_CHECK, DYNAMIC_CODE, dynamic_code);

code_check!(COMMAND_EXEC_CHECK, COMMAND_EXEC, command_exec);

code_check!(LOG_SECRETS_CHECK, LOG_SECRETS, log_secrets);

/// Class loaders of dex code.
const DEX_LOADERS: [&str; 5] = [
    "Ldalvik/system/DexClassLoader;",
    "Ldalvik/system/PathClassLoader;",
    "Ldalvik/system/InMemoryDexClassLoader;",
    "Ldalvik/system/DelegateLastClassLoader;",
    "Ldalvik/system/BaseDexClassLoader;",
];

/// Constructions of dex class loaders and `DexFile.loadDex`.
fn dynamic_code(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| {
        (&*r.name == "<init>" && DEX_LOADERS.contains(&&*r.class))
            || r.is("Ldalvik/system/DexFile;", "loadDex")
    });
    s.scan_callers(&targets, out, |_, r| Some(format!("invoke {r}")));
}

/// `Runtime.exec` and `ProcessBuilder.start`.
fn command_exec(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| {
        r.is("Ljava/lang/Runtime;", "exec") || r.is("Ljava/lang/ProcessBuilder;", "start")
    });
    s.scan_callers(&targets, out, |_, r| Some(format!("invoke {r}")));
}

/// `android.util.Log` methods that write.
const LOG_METHODS: [&str; 7] = ["v", "d", "i", "w", "e", "wtf", "println"];

/// Words naming secrets (lower case).
const SECRET_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "passcode",
    "token",
    "secret",
    "api_key",
    "apikey",
    "private_key",
];

/// Log calls in methods whose strings name a secret.
fn log_secrets(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets =
        s.refs_where(|r| &*r.class == "Landroid/util/Log;" && LOG_METHODS.contains(&&*r.name));
    for m in s.callers(&targets) {
        let Some(text) = m.1.strings.iter().filter_map(|i| s.string(*i)).find(|t| {
            let lower = t.to_lowercase();
            SECRET_WORDS.iter().any(|w| lower.contains(w))
        }) else {
            continue;
        };
        let Some(log) =
            m.1.invokes
                .iter()
                .find(|i| targets.binary_search(i).is_ok())
                .and_then(|i| s.method_ref(*i))
        else {
            continue;
        };
        let text: String = text.chars().take(64).collect();
        out.push(s.hit(m, format!("invoke {log} in a method loading \"{text}\"")));
    }
}
