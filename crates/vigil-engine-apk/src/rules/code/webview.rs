//! WebView rules: a Java object exposed to JavaScript on Android versions where every public
//! method of it is reachable (`addJavascriptInterface` with a minimum SDK below 17), file
//! URLs allowed to read other files or any origin (`setAllowFileAccessFromFileURLs(true)`,
//! `setAllowUniversalAccessFromFileURLs(true)`), and JavaScript switched on
//! (`setJavaScriptEnabled(true)`, information only). The settings count only when the walk
//! sees a constant `true` reach the call (a `const/4 vX, 0x1` on straight-line code); a value
//! computed at run time is not reported.

use super::{is_true, named, Scope};
use crate::rules::{Hit, Rule};
use vigil_core::Severity;

/// `addJavascriptInterface` in an app that runs on Android before 4.2 (API 17).
pub static JS_INTERFACE: Rule = Rule {
    id: "apk.code.webview_js_interface",
    ms_id: "200",
    name: "WebView JavaScript interface on Android before 4.2",
    level: Severity::High,
    description: "The app exposes a Java object to the JavaScript of a WebView \
        (addJavascriptInterface) and declares a minSdkVersion below 17. Before Android 4.2 \
        every public method of the object, getClass() included, is callable from JavaScript, \
        so any page the WebView loads (or a man in the middle of a plain HTTP page) can reach \
        java.lang.Runtime through reflection and run code with the app's permissions \
        (CVE-2012-6636).",
    solution: "Raise minSdkVersion to 17 or more and annotate only the methods meant for \
        JavaScript with @JavascriptInterface; otherwise do not add JavaScript interfaces, or \
        load only local, trusted content over HTTPS in that WebView.",
    cwe: Some("CWE-749"),
    masvs: Some("MASVS-PLATFORM-2"),
};

/// `setAllowFileAccessFromFileURLs(true)` or `setAllowUniversalAccessFromFileURLs(true)`.
pub static FILE_URL_ACCESS: Rule = Rule {
    id: "apk.code.webview_file_url_access",
    ms_id: "201",
    name: "WebView lets file URLs read files or any origin",
    level: Severity::High,
    description: "A WebView's settings are passed a constant true for \
        setAllowFileAccessFromFileURLs or setAllowUniversalAccessFromFileURLs. JavaScript of \
        a page loaded from a file:// URL may then read other local files (the app's private \
        files, cookies and databases included) or send requests to any origin, so a file an \
        attacker manages to get loaded (a download, a shared file, content in external \
        storage) can read the app's data and send it away.",
    solution: "Leave both settings at their default, false; serve local content with \
        WebViewAssetLoader over https://appassets.androidplatform.net instead of file:// \
        URLs, and disable setAllowFileAccess when file access is not needed.",
    cwe: Some("CWE-200"),
    masvs: Some("MASVS-PLATFORM-2"),
};

/// `setJavaScriptEnabled(true)`.
pub static JAVASCRIPT_ENABLED: Rule = Rule {
    id: "apk.code.webview_javascript_enabled",
    ms_id: "202",
    name: "WebView with JavaScript enabled",
    level: Severity::Info,
    description: "A WebView's settings are passed a constant true for setJavaScriptEnabled. \
        That is common and not a weakness by itself, but it makes everything the WebView \
        loads a script running in the app: cross-site scripting in that content, or content \
        fetched over plain HTTP, then runs with the WebView's JavaScript interfaces and file \
        access.",
    solution: "Enable JavaScript only in WebViews that need it and load only trusted content \
        over HTTPS in them; keep JavaScript interfaces and file access off there.",
    cwe: Some("CWE-79"),
    masvs: Some("MASVS-PLATFORM-2"),
};

code_check!(JS_INTERFACE_CHECK, JS_INTERFACE, js_interface);

code_check!(FILE_URL_ACCESS_CHECK, FILE_URL_ACCESS, file_url_access);

code_check!(
    JAVASCRIPT_ENABLED_CHECK,
    JAVASCRIPT_ENABLED,
    javascript_enabled
);

/// The first API level whose WebView exposes only `@JavascriptInterface` methods.
const SAFE_JS_INTERFACE_SDK: u32 = 17;

/// Calls of `addJavascriptInterface(Object, String)` (on `WebView` or a subclass) when the
/// manifest's minimum SDK is below 17. Without a readable manifest nothing is reported.
fn js_interface(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let Some(min_sdk) = s.facts.package.manifest.as_ref().map(|m| m.min_sdk) else {
        return;
    };
    if min_sdk >= SAFE_JS_INTERFACE_SDK {
        return;
    }
    let targets = s.refs_where(|r| {
        named(
            r,
            "addJavascriptInterface",
            "Ljava/lang/Object;Ljava/lang/String;",
        )
    });
    s.scan_callers(&targets, out, |_, r| {
        Some(format!("invoke {r} with minSdkVersion {min_sdk}"))
    });
}

/// Calls of the two file URL settings given a constant true.
fn file_url_access(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    settings_set_true(
        s,
        &[
            "setAllowFileAccessFromFileURLs",
            "setAllowUniversalAccessFromFileURLs",
        ],
        out,
    );
}

/// Calls of `setJavaScriptEnabled` given a constant true.
fn javascript_enabled(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    settings_set_true(s, &["setJavaScriptEnabled"], out);
}

/// Calls of the boolean `WebSettings` setters `names` whose argument is a constant true.
fn settings_set_true(s: &Scope<'_, '_, '_>, names: &[&str], out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| names.iter().any(|n| named(r, n, "Z")));
    s.scan_calls(&targets, out, |r, call| {
        is_true(call.arg(1)).then(|| format!("invoke {r} with true (const 0x1)"))
    });
}
