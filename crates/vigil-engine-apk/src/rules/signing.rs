//! Signing rules: what the verified [`Signatures`] say (the schemes present and whether they
//! verified, the signer certificates and their flags). Places are the JAR signature files
//! (`META-INF/CERT.SF`, `META-INF/CERT.RSA`) for v1 and [`SIGNING_BLOCK`] for the v2/v3
//! schemes, which live outside any archive entry.
//!
//! Tencent MS VulIds (Vigil's own, stable):
//!
//! | id | rule |
//! | --- | --- |
//! | 113 | `apk.signing.janus` |
//! | 114 | `apk.signing.debug_certificate` |
//! | 115 | `apk.signing.weak_algorithm` |
//! | 116 | `apk.signing.expired_certificate` |
//! | 117 | `apk.signing.unsigned` |
//! | 118 | `apk.signing.invalid` |

use crate::rules::{hit, Facts, FnCheck, Hit, Rule};
use crate::sig::{Certificate, Signatures, Status};
use vigil_core::Severity;

/// The place name of the APK Signing Block (v2, v3, v3.1).
pub const SIGNING_BLOCK: &str = "APK Signing Block";

/// Android 7.0 (API 24) is the first to verify v2 signatures, closing Janus.
const JANUS_FIXED_SDK: u32 = 24;

/// JAR signing only, installable below Android 7.
pub static JANUS: Rule = Rule {
    id: "apk.signing.janus",
    ms_id: "113",
    name: "Signed with JAR signing only (Janus)",
    level: Severity::High,
    description: "The APK is signed with v1 (JAR) signing only and installs on Android below \
        7.0: the Janus flaw (CVE-2017-13156) lets an attacker prepend a DEX file to it \
        without breaking the signature, and v1 does not protect the archive as a whole.",
    solution: "Sign with APK Signature Scheme v2 or later (apksigner does by default), and \
        raise minSdkVersion to 24 where possible.",
    cwe: Some("CWE-347"),
    masvs: Some("MASVS-CODE-1"),
};

/// The Android SDK debug certificate.
pub static DEBUG_CERTIFICATE: Rule = Rule {
    id: "apk.signing.debug_certificate",
    ms_id: "114",
    name: "Signed with a debug certificate",
    level: Severity::High,
    description: "The APK is signed with the Android SDK debug certificate (CN=Android \
        Debug): its key is on every developer machine, so anyone can sign updates for it.",
    solution: "Sign releases with a private release key (or Play App Signing).",
    cwe: Some("CWE-321"),
    masvs: Some("MASVS-CODE-1"),
};

/// A certificate signed with MD5 or SHA-1.
pub static WEAK_ALGORITHM: Rule = Rule {
    id: "apk.signing.weak_algorithm",
    ms_id: "115",
    name: "Signer certificate uses a weak hash",
    level: Severity::Medium,
    description: "A signer certificate is signed with MD5 or SHA-1, hashes with practical \
        collision attacks.",
    solution: "Use a signing key whose certificate is signed with SHA-256 or stronger; \
        rotate it with APK Signature Scheme v3.",
    cwe: Some("CWE-328"),
    masvs: Some("MASVS-CRYPTO-1"),
};

/// A certificate past its not-after date.
pub static EXPIRED_CERTIFICATE: Rule = Rule {
    id: "apk.signing.expired_certificate",
    ms_id: "116",
    name: "Signer certificate expired",
    level: Severity::Low,
    description: "A signer certificate is past its validity. Android installs the APK anyway, \
        but an expired certificate points to an old, possibly unmaintained key.",
    solution: "Rotate to a new signing key with APK Signature Scheme v3.",
    cwe: Some("CWE-298"),
    masvs: Some("MASVS-CODE-1"),
};

/// No signature at all.
pub static UNSIGNED: Rule = Rule {
    id: "apk.signing.unsigned",
    ms_id: "117",
    name: "Unsigned APK",
    level: Severity::High,
    description: "The APK has no JAR signature and no APK Signing Block: Android refuses to \
        install it, and nothing ties it to its author.",
    solution: "Sign the APK with apksigner (v2 and later).",
    cwe: Some("CWE-347"),
    masvs: Some("MASVS-CODE-1"),
};

/// A present scheme that did not verify.
pub static INVALID: Rule = Rule {
    id: "apk.signing.invalid",
    ms_id: "118",
    name: "Signature does not verify",
    level: Severity::High,
    description: "A signature scheme present in the APK does not verify (changed content, a \
        broken signature, a stripped scheme): the APK was modified after signing.",
    solution: "Rebuild and re-sign the APK from trusted sources; treat this copy as tampered.",
    cwe: Some("CWE-345"),
    masvs: Some("MASVS-RESILIENCE-3"),
};

/// Checks [`JANUS`].
pub static JANUS_CHECK: FnCheck = FnCheck {
    rule: &JANUS,
    run: janus,
};
/// Checks [`DEBUG_CERTIFICATE`].
pub static DEBUG_CERTIFICATE_CHECK: FnCheck = FnCheck {
    rule: &DEBUG_CERTIFICATE,
    run: debug_certificate,
};
/// Checks [`WEAK_ALGORITHM`].
pub static WEAK_ALGORITHM_CHECK: FnCheck = FnCheck {
    rule: &WEAK_ALGORITHM,
    run: weak_algorithm,
};
/// Checks [`EXPIRED_CERTIFICATE`].
pub static EXPIRED_CERTIFICATE_CHECK: FnCheck = FnCheck {
    rule: &EXPIRED_CERTIFICATE,
    run: expired_certificate,
};
/// Checks [`UNSIGNED`].
pub static UNSIGNED_CHECK: FnCheck = FnCheck {
    rule: &UNSIGNED,
    run: unsigned,
};
/// Checks [`INVALID`].
pub static INVALID_CHECK: FnCheck = FnCheck {
    rule: &INVALID,
    run: invalid,
};

/// The file of the first v1 signer's signature (`META-INF/CERT.SF`), else the manifest.
fn v1_file(s: &Signatures) -> String {
    s.v1.as_ref().and_then(|v| v.signers.first()).map_or_else(
        || crate::sig::v1::MANIFEST.to_string(),
        |x| x.signature_file.clone(),
    )
}

fn janus(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let s = &f.package.signatures;
    if !s.v1_only() {
        return;
    }
    // Without a manifest the minimum SDK is unknown: Android's default is 1.
    let min = f.package.manifest.as_ref().map_or(1, |m| m.min_sdk);
    if min >= JANUS_FIXED_SDK {
        return;
    }
    out.push(hit(
        &JANUS,
        &v1_file(s),
        "v1 (JAR) signature".into(),
        format!("no v2/v3 signature; minSdkVersion {min} < {JANUS_FIXED_SDK}"),
    ));
}

/// Where a certificate is: the v1 signature block holding it, else the signing block.
fn cert_file(s: &Signatures, c: &Certificate) -> String {
    s.v1.iter()
        .flat_map(|v| &v.signers)
        .find(|x| x.certificate.as_ref().is_some_and(|k| k.sha256 == c.sha256))
        .and_then(|x| x.block_file.clone())
        .unwrap_or_else(|| SIGNING_BLOCK.to_string())
}

/// A hit for each certificate `flagged` picks, with `proof` of it.
fn per_certificate(
    f: &Facts<'_, '_>,
    rule: &'static Rule,
    flagged: fn(&Certificate) -> bool,
    proof: fn(&Certificate) -> String,
    out: &mut Vec<Hit>,
) {
    let s = &f.package.signatures;
    for c in s.certificates.iter().filter(|c| flagged(c)) {
        out.push(hit(
            rule,
            &cert_file(s, c),
            format!("certificate {} (SHA-256 {})", c.subject, c.sha256),
            proof(c),
        ));
    }
}

fn debug_certificate(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    per_certificate(
        f,
        &DEBUG_CERTIFICATE,
        |c| c.flags.debug,
        |c| format!("subject {}", c.subject),
        out,
    )
}

fn weak_algorithm(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    per_certificate(
        f,
        &WEAK_ALGORITHM,
        |c| c.flags.weak_signature_algorithm,
        |c| format!("signature algorithm {}", c.signature_algorithm),
        out,
    )
}

fn expired_certificate(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    per_certificate(
        f,
        &EXPIRED_CERTIFICATE,
        |c| c.flags.expired,
        |c| format!("not after {}", date(c.not_after)),
        out,
    )
}

fn unsigned(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let s = &f.package.signatures;
    if !s.is_signed() && s.errors.is_empty() {
        out.push(hit(
            &UNSIGNED,
            "META-INF/",
            "package".into(),
            "no JAR signature and no APK Signing Block".into(),
        ));
    }
}

fn invalid(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let s = &f.package.signatures;
    let failed = |st: &Status| st.error().map(ToString::to_string);
    if let Some(e) = s.v1.as_ref().and_then(|v| failed(&v.status)) {
        out.push(hit(&INVALID, &v1_file(s), "v1 (JAR) signature".into(), e));
    }
    for (name, b) in [
        ("APK Signature Scheme v2", &s.v2),
        ("APK Signature Scheme v3", &s.v3),
        ("APK Signature Scheme v3.1", &s.v31),
    ] {
        if let Some(e) = b.as_ref().and_then(|b| failed(&b.status)) {
            out.push(hit(&INVALID, SIGNING_BLOCK, name.into(), e));
        }
    }
    for e in &s.errors {
        out.push(hit(
            &INVALID,
            SIGNING_BLOCK,
            "signing block".into(),
            e.to_string(),
        ));
    }
}

/// `yyyy-MM-dd` of Unix seconds (Howard Hinnant's `civil_from_days`).
fn date(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::date;
    use crate::rules::manifest::days_of_date;

    #[test]
    fn dates_round_trip() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2001-01-31",
            "2026-12-07",
            "1969-12-31",
        ] {
            let days = days_of_date(s).unwrap();
            assert_eq!(date(days * 86_400 + 3_600), s);
        }
    }
}
