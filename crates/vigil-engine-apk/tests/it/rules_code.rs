//! The code rules over real apps: classes written in smali, built into APKs by Debian's
//! tools (once per test run each), read by [`Package::read`] and summarised dex by dex, then
//! run through [`rules::run`]. Every rule has a vulnerable method and a safe twin; the tests
//! compare the exact set of rule ids hit by each method, and that methods of a class outside
//! the manifest's package are marked third-party. This file has the WebView and TLS app, the
//! damaged summaries and the rules' descriptions; `rules_code_crypto` has the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::support::apk::{build, App};
use vigil_engine_apk::dex::{Dex, DexSummary};
use vigil_engine_apk::package::Package;
use vigil_engine_apk::rules::{self, Facts, Hit};

/// Certificates' "now" for reading packages.
const NOW: i64 = 1_767_225_600;

/// The summaries of every dex of `p` that reads.
pub fn summaries(p: &Package<'_>) -> Vec<(String, DexSummary)> {
    p.dex_names()
        .into_iter()
        .filter_map(|name| {
            let bytes = p.archive.read_name(&name).ok()??;
            let dex = Dex::parse(&bytes).ok()?;
            Some((name.clone(), DexSummary::build(&dex).ok()?))
        })
        .collect()
}

/// Every hit of a code rule in the APK `data` (the manifest and signing rules have their own
/// tests).
pub fn hits(data: &[u8]) -> Vec<Hit> {
    let p = Package::read(data, &Default::default(), NOW).expect("package");
    let dex = summaries(&p);
    assert!(!dex.is_empty(), "no dex read");
    code_only(rules::run(&Facts {
        package: &p,
        dex: &dex,
    }))
}

/// The hits of code rules.
pub fn code_only(hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .filter(|h| h.rule.id.starts_with("apk.code."))
        .collect()
}

/// The rule ids hit in each method, by method (smali form), code rules only.
pub fn by_method(hits: &[Hit]) -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut map: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for h in hits.iter().filter(|h| h.rule.id.starts_with("apk.code.")) {
        map.entry(h.place.code.clone())
            .or_default()
            .insert(h.rule.id);
    }
    map
}

/// `expected` as the map [`by_method`] gives.
pub fn expect(expected: &[(&str, &[&'static str])]) -> BTreeMap<String, BTreeSet<&'static str>> {
    expected
        .iter()
        .map(|(m, ids)| (m.to_string(), ids.iter().copied().collect()))
        .collect()
}

/// Check each hit's place: `third_party` exactly for `Lcom/thirdparty/` classes, and the dex
/// file `file_of` gives for its method.
pub fn check_places(hits: &[Hit], file_of: impl Fn(&str) -> &'static str) {
    for h in hits {
        assert_eq!(
            h.place.third_party,
            h.place.code.starts_with("Lcom/thirdparty/"),
            "{h:?}"
        );
        assert_eq!(h.place.file, file_of(&h.place.code), "{h:?}");
        assert!(!h.proof.is_empty(), "{h:?}");
    }
}

/// The manifest of the WebView and TLS app: minSdkVersion 16, below 17.
const OLD_MANIFEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.vuln"
    android:versionCode="1" android:versionName="1">
  <uses-sdk android:minSdkVersion="16" android:targetSdkVersion="28"/>
  <application android:label="Vuln"/>
</manifest>
"#;

const WEB: &str = r#".class public Lcom/example/vuln/Web;
.super Ljava/lang/Object;

.method public jsBridge(Landroid/webkit/WebView;)V
    .registers 4
    new-instance v0, Ljava/lang/Object;
    invoke-direct {v0}, Ljava/lang/Object;-><init>()V
    const-string v1, "bridge"
    invoke-virtual {p1, v0, v1}, Landroid/webkit/WebView;->addJavascriptInterface(Ljava/lang/Object;Ljava/lang/String;)V
    return-void
.end method

.method public universal(Landroid/webkit/WebSettings;)V
    .registers 4
    const/4 v0, 0x1
    move v1, v0
    invoke-virtual {p1, v1}, Landroid/webkit/WebSettings;->setAllowUniversalAccessFromFileURLs(Z)V
    return-void
.end method

.method public fileAccessBranch(Landroid/webkit/WebSettings;Z)V
    .registers 4
    if-nez p2, :on
    const/4 v0, 0x0
    goto :set
    :on
    const/4 v0, 0x1
    :set
    invoke-virtual {p1, v0}, Landroid/webkit/WebSettings;->setAllowFileAccessFromFileURLs(Z)V
    return-void
.end method

.method public jsParam(Landroid/webkit/WebSettings;Z)V
    .registers 3
    invoke-virtual {p1, p2}, Landroid/webkit/WebSettings;->setJavaScriptEnabled(Z)V
    return-void
.end method
"#;

/// A method `name(WebSettings)` passing the constant `value` to each setter of `setters`.
fn settings(name: &str, value: u8, setters: &[&str]) -> String {
    let calls: String = setters
        .iter()
        .map(|s| format!("    invoke-virtual {{p1, v0}}, Landroid/webkit/WebSettings;->{s}(Z)V\n"))
        .collect();
    format!(
        ".method public {name}(Landroid/webkit/WebSettings;)V\n    .registers 3\n    \
         const/4 v0, {value:#x}\n{calls}    return-void\n.end method\n\n"
    )
}

/// The WebView class: the rest of its methods after [`WEB`].
fn web() -> String {
    let file = "setAllowFileAccessFromFileURLs";
    let universal = "setAllowUniversalAccessFromFileURLs";
    let js = "setJavaScriptEnabled";
    [
        WEB.to_string(),
        settings("fileAccess", 1, &[file]),
        settings("fileAccessOff", 0, &[file, universal]),
        settings("jsOn", 1, &[js]),
        settings("jsOff", 0, &[js]),
    ]
    .concat()
}

/// A trust manager class `name` (descriptor) extending `sup`, implementing X509TrustManager
/// when `implements`, whose `checkServerTrusted` is `server_body`.
fn trust_manager(name: &str, sup: &str, implements: bool, server_body: &str) -> String {
    let imp = if implements {
        ".implements Ljavax/net/ssl/X509TrustManager;"
    } else {
        ""
    };
    format!(
        r#".class public {name}
.super {sup}
{imp}

.method public constructor <init>()V
    .registers 1
    invoke-direct {{p0}}, {sup}-><init>()V
    return-void
.end method

.method public checkClientTrusted([Ljava/security/cert/X509Certificate;Ljava/lang/String;)V
    .registers 3
    return-void
.end method

.method public checkServerTrusted([Ljava/security/cert/X509Certificate;Ljava/lang/String;)V
    .registers 5
{server_body}
.end method

.method public getAcceptedIssuers()[Ljava/security/cert/X509Certificate;
    .registers 2
    const/4 v0, 0x0
    new-array v0, v0, [Ljava/security/cert/X509Certificate;
    return-object v0
.end method
"#
    )
}

const CHECKED: &str = r#"    array-length v0, p1
    if-nez v0, :ok
    new-instance v0, Ljava/security/cert/CertificateException;
    const-string v1, "empty chain"
    invoke-direct {v0, v1}, Ljava/security/cert/CertificateException;-><init>(Ljava/lang/String;)V
    throw v0
    :ok
    return-void"#;

const BASE_TRUST: &str = r#".class public abstract Lcom/example/vuln/BaseTrust;
.super Ljava/lang/Object;
.implements Ljavax/net/ssl/X509TrustManager;

.method public constructor <init>()V
    .registers 1
    invoke-direct {p0}, Ljava/lang/Object;-><init>()V
    return-void
.end method
"#;

/// A host name verifier `name` whose `verify` is `body`.
fn verifier(name: &str, body: &str) -> String {
    format!(
        r#".class public {name}
.super Ljava/lang/Object;
.implements Ljavax/net/ssl/HostnameVerifier;

.method public verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z
    .registers 4
{body}
.end method
"#
    )
}

const APACHE: &str = r#".class public Lcom/example/vuln/Apache;
.super Ljava/lang/Object;

.method public static allowAll()Lorg/apache/http/conn/ssl/X509HostnameVerifier;
    .registers 1
    sget-object v0, Lorg/apache/http/conn/ssl/SSLSocketFactory;->ALLOW_ALL_HOSTNAME_VERIFIER:Lorg/apache/http/conn/ssl/X509HostnameVerifier;
    return-object v0
.end method

.method public static strict()Lorg/apache/http/conn/ssl/X509HostnameVerifier;
    .registers 1
    sget-object v0, Lorg/apache/http/conn/ssl/SSLSocketFactory;->STRICT_HOSTNAME_VERIFIER:Lorg/apache/http/conn/ssl/X509HostnameVerifier;
    return-object v0
.end method
"#;

/// A WebViewClient `name` whose `onReceivedSslError` calls `SslErrorHandler.call()`.
fn ssl_client(name: &str, call: &str) -> String {
    format!(
        r#".class public {name}
.super Landroid/webkit/WebViewClient;

.method public onReceivedSslError(Landroid/webkit/WebView;Landroid/webkit/SslErrorHandler;Landroid/net/http/SslError;)V
    .registers 4
    invoke-virtual {{p2}}, Landroid/webkit/SslErrorHandler;->{call}()V
    return-void
.end method
"#
    )
}

/// The WebView and TLS app, built once.
fn web_tls_apk() -> &'static [u8] {
    static APK: OnceLock<Vec<u8>> = OnceLock::new();
    APK.get_or_init(|| {
        let obj = "Ljava/lang/Object;";
        let mut app = App::new(OLD_MANIFEST);
        app.smali = vec![
            ("com/example/vuln/Web.smali".into(), web()),
            (
                "com/example/vuln/TrustAll.smali".into(),
                trust_manager("Lcom/example/vuln/TrustAll;", obj, true, "    return-void"),
            ),
            (
                "com/example/vuln/TrustChecked.smali".into(),
                trust_manager("Lcom/example/vuln/TrustChecked;", obj, true, CHECKED),
            ),
            ("com/example/vuln/BaseTrust.smali".into(), BASE_TRUST.into()),
            (
                "com/example/vuln/TrustChild.smali".into(),
                trust_manager(
                    "Lcom/example/vuln/TrustChild;",
                    "Lcom/example/vuln/BaseTrust;",
                    false,
                    "    nop\n    return-void",
                ),
            ),
            (
                "com/example/vuln/AllowAll.smali".into(),
                verifier(
                    "Lcom/example/vuln/AllowAll;",
                    "    const/4 v0, 0x1\n    return v0",
                ),
            ),
            (
                "com/example/vuln/Strict.smali".into(),
                verifier(
                    "Lcom/example/vuln/Strict;",
                    "    const-string v0, \"example.com\"\n    invoke-virtual {v0, p1}, Ljava/lang/String;->equals(Ljava/lang/Object;)Z\n    move-result v0\n    return v0",
                ),
            ),
            ("com/example/vuln/Apache.smali".into(), APACHE.into()),
            (
                "com/example/vuln/Client.smali".into(),
                ssl_client("Lcom/example/vuln/Client;", "proceed"),
            ),
            (
                "com/example/vuln/SafeClient.smali".into(),
                ssl_client("Lcom/example/vuln/SafeClient;", "cancel"),
            ),
            (
                "com/thirdparty/sdk/Trust.smali".into(),
                trust_manager("Lcom/thirdparty/sdk/Trust;", obj, true, "    return-void"),
            ),
        ];
        std::fs::read(build("rules-code-web", &app)).expect("apk")
    })
}

const SERVER: &str =
    "->checkServerTrusted([Ljava/security/cert/X509Certificate;Ljava/lang/String;)V";
const SETTINGS: &str = "(Landroid/webkit/WebSettings;)V";

#[test]
fn webview_and_tls_rules_hit_the_vulnerable_methods_only() {
    let hits = hits(web_tls_apk());
    check_places(&hits, |_| "classes.dex");
    let w = |m: &str| format!("Lcom/example/vuln/Web;->{m}");
    let got = by_method(&hits);
    let want = expect(&[
        (
            &w("jsBridge(Landroid/webkit/WebView;)V"),
            &["apk.code.webview_js_interface"],
        ),
        (&w(&format!("fileAccess{SETTINGS}")), &["apk.code.webview_file_url_access"]),
        (&w(&format!("universal{SETTINGS}")), &["apk.code.webview_file_url_access"]),
        (&w(&format!("jsOn{SETTINGS}")), &["apk.code.webview_javascript_enabled"]),
        (
            &format!("Lcom/example/vuln/TrustAll;{SERVER}"),
            &["apk.code.trust_all_certificates"],
        ),
        (
            &format!("Lcom/example/vuln/TrustChild;{SERVER}"),
            &["apk.code.trust_all_certificates"],
        ),
        (
            &format!("Lcom/thirdparty/sdk/Trust;{SERVER}"),
            &["apk.code.trust_all_certificates"],
        ),
        (
            "Lcom/example/vuln/AllowAll;->verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z",
            &["apk.code.hostname_verifier_allow_all"],
        ),
        (
            "Lcom/example/vuln/Apache;->allowAll()Lorg/apache/http/conn/ssl/X509HostnameVerifier;",
            &["apk.code.hostname_verifier_allow_all"],
        ),
        (
            "Lcom/example/vuln/Client;->onReceivedSslError(Landroid/webkit/WebView;Landroid/webkit/SslErrorHandler;Landroid/net/http/SslError;)V",
            &["apk.code.webview_ssl_error_proceed"],
        ),
    ]);
    assert_eq!(got, want);
    // The twins, by name: a constant false, a value only known on one branch, a parameter,
    // a checking trust manager, a comparing verifier, the strict verifier, cancel().
    for twin in [
        w(&format!("fileAccessOff{SETTINGS}")),
        w("fileAccessBranch(Landroid/webkit/WebSettings;Z)V"),
        w(&format!("jsOff{SETTINGS}")),
        w("jsParam(Landroid/webkit/WebSettings;Z)V"),
        format!("Lcom/example/vuln/TrustChecked;{SERVER}"),
        "Lcom/example/vuln/Strict;->verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z".into(),
    ] {
        assert!(!got.contains_key(&twin), "{twin}");
    }
    assert!(!got
        .keys()
        .any(|k| k.contains("SafeClient") || k.contains("strict()")));
    let proof = |m: &str| {
        hits.iter()
            .find(|h| h.place.code == m)
            .map(|h| h.proof.clone())
            .unwrap_or_default()
    };
    assert!(
        proof(&w(&format!("universal{SETTINGS}"))).contains("setAllowUniversalAccessFromFileURLs")
    );
    assert!(proof(&w("jsBridge(Landroid/webkit/WebView;)V")).contains("minSdkVersion 16"));
}

#[test]
fn empty_and_damaged_summaries_do_not_panic() {
    let data = web_tls_apk();
    let p = Package::read(data, &Default::default(), NOW).unwrap();
    let real = summaries(&p);
    let run = |dex: Vec<(String, DexSummary)>| {
        code_only(rules::run(&Facts {
            package: &p,
            dex: &dex,
        }))
    };
    assert!(run(vec![("classes.dex".into(), DexSummary::default())]).is_empty());
    assert!(run(Vec::new()).is_empty());
    // Summaries whose indices point nowhere, whose code offsets are garbage, whose tables
    // were cut short; under the real name and under one the archive does not have.
    let mut broken = Vec::new();
    for cut in [0usize, 1, 7, 40] {
        for code_off in [0u32, 1, 0x70, u32::MAX - 1] {
            let mut s = real[0].1.clone();
            s.strings.truncate(cut);
            s.method_refs.truncate(cut);
            s.field_refs.truncate(cut);
            s.types.truncate(cut);
            for c in &mut s.classes {
                for m in &mut c.methods {
                    m.code_off = code_off;
                    m.invokes.push(u32::MAX);
                    m.strings.push(u32::MAX);
                }
            }
            broken.push(("classes.dex".to_string(), s.clone()));
            broken.push(("nowhere.dex".to_string(), s));
        }
    }
    let _ = run(broken);
    // Real summaries with the code offsets moved by a few bytes: instructions misread.
    let mut shifted = real[0].1.clone();
    for c in &mut shifted.classes {
        for m in &mut c.methods {
            if m.code_off != 0 {
                m.code_off += 2;
            }
        }
    }
    let _ = run(vec![("classes.dex".into(), shifted)]);
}

#[test]
fn code_rules_are_documented_with_unique_ids() {
    let code: Vec<_> = rules::CHECKS
        .iter()
        .map(|c| c.rule())
        .filter(|r| r.id.starts_with("apk.code."))
        .collect();
    assert_eq!(code.len(), 16);
    let ids: BTreeSet<_> = code.iter().map(|r| r.id).collect();
    let ms: BTreeSet<u32> = code.iter().map(|r| r.ms_id.parse().unwrap()).collect();
    assert_eq!(ids.len(), code.len());
    assert_eq!(ms, (200..216).collect());
    for r in code {
        assert!(
            !r.name.is_empty() && r.description.len() > 80 && r.solution.len() > 40,
            "{r:?}"
        );
        assert!(r.cwe.is_some_and(|c| c.starts_with("CWE-")), "{r:?}");
        assert!(r.masvs.is_some_and(|m| m.starts_with("MASVS-")), "{r:?}");
    }
}
