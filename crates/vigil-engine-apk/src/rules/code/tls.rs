//! TLS rules: certificate and host name checks switched off in code. A trust manager whose
//! `checkServerTrusted` is only `return-void` accepts every certificate; a host name verifier
//! whose `verify` is only `const/4 vA, 0x1; return vA` (or Apache's allow-all verifiers)
//! accepts every host; a `WebViewClient.onReceivedSslError` that calls
//! `SslErrorHandler.proceed()` loads pages whose certificate failed. Each lets a man in the
//! middle read and change the app's traffic.

use super::{named, Scope};
use crate::rules::{Hit, Rule};
use vigil_core::Severity;

/// An `X509TrustManager` whose `checkServerTrusted` does nothing.
pub static TRUST_ALL: Rule = Rule {
    id: "apk.code.trust_all_certificates",
    ms_id: "203",
    name: "Trust manager accepts every certificate",
    level: Severity::High,
    description: "A class implementing javax.net.ssl.X509TrustManager has a \
        checkServerTrusted method whose code is only return-void: it never throws, so every \
        server certificate is trusted, self-signed and forged ones included. Any TLS \
        connection using it can be intercepted by whoever is on the network path.",
    solution: "Remove the custom trust manager and use the platform's default one; to trust \
        a private CA or pin certificates, use the network security config (trust-anchors, \
        pin-set) instead of code.",
    cwe: Some("CWE-295"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// Host names accepted without checking.
pub static HOSTNAME_ALLOW_ALL: Rule = Rule {
    id: "apk.code.hostname_verifier_allow_all",
    ms_id: "204",
    name: "Host name verification disabled",
    level: Severity::High,
    description: "The app accepts any host name for a TLS certificate: a HostnameVerifier \
        whose verify method returns true unconditionally, Apache's \
        SSLSocketFactory.ALLOW_ALL_HOSTNAME_VERIFIER, or an AllowAllHostnameVerifier or \
        NoopHostnameVerifier. A valid certificate for any domain then passes for the server, \
        so a man in the middle with one can read and change the traffic.",
    solution: "Use the default host name verifier (HttpsURLConnection's, or OkHttp's); if a \
        custom one is needed, delegate to HttpsURLConnection.getDefaultHostnameVerifier() \
        and accept only the names expected.",
    cwe: Some("CWE-297"),
    masvs: Some("MASVS-NETWORK-1"),
};

/// `onReceivedSslError` proceeding.
pub static SSL_ERROR_PROCEED: Rule = Rule {
    id: "apk.code.webview_ssl_error_proceed",
    ms_id: "205",
    name: "WebView ignores TLS errors",
    level: Severity::High,
    description: "A WebViewClient's onReceivedSslError calls SslErrorHandler.proceed(): pages \
        whose certificate is invalid, expired or for another host are loaded anyway, so a man \
        in the middle can serve any content (and script) in the WebView.",
    solution: "Do not override onReceivedSslError, or call handler.cancel() in it; fix the \
        server's certificate or trust its CA through the network security config.",
    cwe: Some("CWE-295"),
    masvs: Some("MASVS-NETWORK-1"),
};

code_check!(TRUST_ALL_CHECK, TRUST_ALL, trust_all);

code_check!(
    HOSTNAME_ALLOW_ALL_CHECK,
    HOSTNAME_ALLOW_ALL,
    hostname_allow_all
);

code_check!(
    SSL_ERROR_PROCEED_CHECK,
    SSL_ERROR_PROCEED,
    ssl_error_proceed
);

const TRUST_MANAGER: &str = "Ljavax/net/ssl/X509TrustManager;";
const EXTENDED_TRUST_MANAGER: &str = "Ljavax/net/ssl/X509ExtendedTrustManager;";
const HOSTNAME_VERIFIER: &str = "Ljavax/net/ssl/HostnameVerifier;";
const APACHE_VERIFIER: &str = "Lorg/apache/http/conn/ssl/X509HostnameVerifier;";
const APACHE_FACTORY: &str = "Lorg/apache/http/conn/ssl/SSLSocketFactory;";
const ALLOW_ALL_TYPES: [&str; 2] = [
    "Lorg/apache/http/conn/ssl/AllowAllHostnameVerifier;",
    "Lorg/apache/http/conn/ssl/NoopHostnameVerifier;",
];

/// `checkServerTrusted` methods of trust managers whose code is only `return-void`.
fn trust_all(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    implementations_where(
        s,
        out,
        &[TRUST_MANAGER],
        &[EXTENDED_TRUST_MANAGER],
        |walk, m| {
            (&*m.name == "checkServerTrusted" && walk.does_nothing(m.code_off))
                .then(|| "checkServerTrusted is only return-void".to_string())
        },
    );
}

/// Verifiers returning true, and Apache's allow-all verifiers used.
fn hostname_allow_all(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let verifier = |walk: &mut super::insn::Walk<'_>, m: &crate::dex::MethodSummary| {
        let is_verify = s
            .method_ref(m.method_idx)
            .is_some_and(|r| named(r, "verify", "Ljava/lang/String;Ljavax/net/ssl/SSLSession;"));
        (is_verify && walk.returns_true(m.code_off))
            .then(|| "verify(String, SSLSession) returns true (const/4 0x1; return)".to_string())
    };
    implementations_where(s, out, &[HOSTNAME_VERIFIER, APACHE_VERIFIER], &[], verifier);
    for m in s
        .dex
        .users_of_field(APACHE_FACTORY, "ALLOW_ALL_HOSTNAME_VERIFIER")
    {
        let proof = format!("uses {APACHE_FACTORY}->ALLOW_ALL_HOSTNAME_VERIFIER");
        out.push(s.hit(m, proof));
    }
    for t in ALLOW_ALL_TYPES {
        for m in s.dex.users_of_type(t) {
            out.push(s.hit(m, format!("uses {t}")));
        }
        for m in s.dex.users_of_field(t, "INSTANCE") {
            out.push(s.hit(m, format!("uses {t}->INSTANCE")));
        }
    }
}

/// The methods with code of classes implementing one of `interfaces` (or extending one of
/// `bases`) for which `report` gives a proof, read through the file's instructions.
fn implementations_where(
    s: &Scope<'_, '_, '_>,
    out: &mut Vec<Hit>,
    interfaces: &[&str],
    bases: &[&str],
    report: impl Fn(&mut super::insn::Walk<'_>, &crate::dex::MethodSummary) -> Option<String>,
) {
    let index = s.class_index();
    let classes: Vec<_> = s
        .dex
        .classes
        .iter()
        .filter(|c| {
            interfaces
                .iter()
                .any(|i| Scope::implements(&index, c, i, bases))
        })
        .collect();
    if classes.is_empty() {
        return;
    }
    s.with_code(|walk| {
        for c in classes {
            for m in c.methods.iter().filter(|m| m.code_off != 0) {
                if let Some(proof) = report(walk, m) {
                    out.push(s.hit((c, m), proof));
                }
            }
        }
    });
}

/// `onReceivedSslError(WebView, SslErrorHandler, SslError)` methods calling `proceed()`.
fn ssl_error_proceed(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let targets = s.refs_where(|r| r.is("Landroid/webkit/SslErrorHandler;", "proceed"));
    s.scan_callers(&targets, out, |(_, m), r| {
        let overrides = s.method_ref(m.method_idx).is_some_and(|me| {
            named(
                me,
                "onReceivedSslError",
                "Landroid/webkit/WebView;Landroid/webkit/SslErrorHandler;Landroid/net/http/SslError;",
            )
        });
        overrides.then(|| format!("onReceivedSslError invokes {r}"))
    });
}
