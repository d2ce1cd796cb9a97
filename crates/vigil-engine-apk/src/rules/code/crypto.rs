//! Cryptography rules, read from the constants the walk sees reach the JCA calls: a
//! `Cipher.getInstance` transformation in ECB mode (or a bare block cipher name, which the
//! providers default to ECB) or of a broken algorithm (DES, 3DES, RC4, RC2, Blowfish), a
//! `MessageDigest.getInstance` of MD5 or SHA-1, a key or IV made from a constant string's
//! bytes or a constant array, and randomness that is predictable (`java.util.Random` in a
//! class that does cryptography, a `SecureRandom` seeded with a constant). A transformation
//! that is not a constant string on straight-line code is not reported.

use super::insn::{Call, Known};
use super::Scope;
use crate::dex::MethodRef;
use crate::rules::{Hit, Rule};
use vigil_core::Severity;

/// A cipher in ECB mode.
pub static CIPHER_ECB: Rule = Rule {
    id: "apk.code.cipher_ecb",
    ms_id: "206",
    name: "Block cipher in ECB mode",
    level: Severity::Medium,
    description: "Cipher.getInstance is given a transformation in ECB mode (\"AES/ECB/...\") \
        or a bare block cipher name (\"AES\"), which Android's providers complete as \
        ECB/PKCS5Padding. ECB encrypts equal blocks of plaintext to equal blocks of \
        ciphertext, so the structure of the data shows through, and blocks can be cut, \
        reordered and replayed without the key.",
    solution: "Use an authenticated mode with a fresh random nonce for each message: \
        \"AES/GCM/NoPadding\" with a 12-byte IV from SecureRandom (or Tink's AEAD).",
    cwe: Some("CWE-327"),
    masvs: Some("MASVS-CRYPTO-1"),
};

/// A broken cipher algorithm.
pub static WEAK_CIPHER: Rule = Rule {
    id: "apk.code.cipher_weak_algorithm",
    ms_id: "207",
    name: "Weak cipher algorithm",
    level: Severity::High,
    description: "Cipher.getInstance is given DES, triple DES (DESede), RC4, RC2 or Blowfish \
        (or a PBE scheme built on them). DES keys are found by brute force in hours, RC4's \
        keystream is biased, and the 64-bit blocks of 3DES and Blowfish allow collision \
        attacks (Sweet32) on long streams: data they protect cannot be considered secret.",
    solution: "Use AES (\"AES/GCM/NoPadding\") or ChaCha20-Poly1305 with keys from the \
        Android Keystore; re-encrypt data stored under the old algorithm.",
    cwe: Some("CWE-327"),
    masvs: Some("MASVS-CRYPTO-1"),
};

/// MD5 or SHA-1.
pub static WEAK_HASH: Rule = Rule {
    id: "apk.code.weak_hash",
    ms_id: "208",
    name: "Weak hash algorithm (MD5, SHA-1)",
    level: Severity::Low,
    description: "MessageDigest.getInstance is given MD5, SHA-1 (or MD4, MD2). Collisions are \
        practical for both MD5 and SHA-1, so they must not be used for security: signatures, \
        integrity of data an attacker can influence, password hashing or tokens. Used for \
        checksums, cache keys or identifiers with no security role they are fine, which is \
        why this is low.",
    solution: "For security uses, hash with SHA-256 or better; hash passwords with a slow, \
        salted function (PBKDF2 with many iterations, scrypt, Argon2).",
    cwe: Some("CWE-328"),
    masvs: Some("MASVS-CRYPTO-1"),
};

/// A key or IV from constants.
pub static HARDCODED_KEY: Rule = Rule {
    id: "apk.code.hardcoded_key",
    ms_id: "209",
    name: "Hard-coded encryption key or IV",
    level: Severity::High,
    description: "A SecretKeySpec, IvParameterSpec or GCMParameterSpec is built from the bytes \
        of a constant string (getBytes(), or its Base64 decoding) or from a constant byte \
        array in the same method. The key is in every copy of the app: anyone can extract it \
        and decrypt (or forge) what it protects; a fixed IV also makes equal messages \
        encrypt alike and breaks GCM outright.",
    solution: "Generate keys in the Android Keystore (KeyGenerator with \
        KeyGenParameterSpec) or derive them from a user secret with PBKDF2 and a random salt; \
        let the cipher pick a random IV and store it with the ciphertext.",
    cwe: Some("CWE-321"),
    masvs: Some("MASVS-CRYPTO-2"),
};

/// Predictable randomness where cryptography is done.
pub static INSECURE_RANDOM: Rule = Rule {
    id: "apk.code.insecure_random",
    ms_id: "210",
    name: "Predictable random numbers for cryptography",
    level: Severity::Medium,
    description: "A class that calls cryptographic APIs (javax.crypto, java.security) also \
        creates a java.util.Random, whose output follows from a 48-bit seed and can be \
        predicted from a few values; or a SecureRandom is seeded with a constant \
        (setSeed(constant), new SecureRandom(constant bytes)), which on some providers makes \
        its output the same on every run. Keys, IVs, nonces or tokens made from it can be \
        guessed.",
    solution: "Use java.security.SecureRandom without setting a seed (new SecureRandom()) \
        for anything security-related.",
    cwe: Some("CWE-330"),
    masvs: Some("MASVS-CRYPTO-1"),
};

code_check!(CIPHER_ECB_CHECK, CIPHER_ECB, cipher_ecb);

code_check!(WEAK_CIPHER_CHECK, WEAK_CIPHER, weak_cipher);

code_check!(WEAK_HASH_CHECK, WEAK_HASH, weak_hash);

code_check!(HARDCODED_KEY_CHECK, HARDCODED_KEY, hardcoded_key);

code_check!(INSECURE_RANDOM_CHECK, INSECURE_RANDOM, insecure_random);

/// Block ciphers a bare name of which means ECB (upper case; `AES*` is matched by prefix).
const BLOCK_CIPHERS: [&str; 8] = [
    "DES",
    "DESEDE",
    "TRIPLEDES",
    "3DES",
    "BLOWFISH",
    "RC2",
    "TWOFISH",
    "CAMELLIA",
];

/// Broken cipher algorithms (upper case).
const WEAK_CIPHERS: [&str; 8] = [
    "DES",
    "DESEDE",
    "TRIPLEDES",
    "3DES",
    "RC4",
    "ARCFOUR",
    "RC2",
    "BLOWFISH",
];

/// Weak digests (upper case).
const WEAK_DIGESTS: [&str; 5] = ["MD5", "MD4", "MD2", "SHA-1", "SHA1"];

/// The `getInstance(String, ...)` calls of `class` whose first argument is a constant string
/// that `judge` (given it and the upper-cased algorithm) finds fault with.
fn get_instance(
    s: &Scope<'_, '_, '_>,
    class: &str,
    out: &mut Vec<Hit>,
    judge: impl Fn(&str, &str) -> Option<&'static str>,
) {
    let targets = s.refs_where(|r| {
        r.is(class, "getInstance")
            && r.proto
                .params
                .first()
                .is_some_and(|p| &**p == "Ljava/lang/String;")
    });
    s.scan_calls(&targets, out, |r, call| {
        let Some(Known::Str(i)) = call.arg(0) else {
            return None;
        };
        let text = s.string(i)?;
        let algorithm = text
            .split('/')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        let why = judge(text, &algorithm)?;
        Some(format!("invoke {r} with \"{}\" ({why})", shorten(text)))
    });
}

/// `Cipher.getInstance` in ECB mode, or a bare block cipher name.
fn cipher_ecb(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    get_instance(s, "Ljavax/crypto/Cipher;", out, |text, algorithm| {
        let mode = text
            .split('/')
            .nth(1)
            .map(|m| m.trim().to_ascii_uppercase());
        // RSA's "ECB" names no mode at all: RSA/ECB/OAEP... encrypts one block.
        let asymmetric = algorithm == "RSA" || algorithm.starts_with("EC");
        match mode.as_deref() {
            Some("ECB") if !asymmetric => Some("ECB mode"),
            None if algorithm.starts_with("AES") || BLOCK_CIPHERS.contains(&algorithm) => {
                Some("no mode: ECB by default")
            }
            _ => None,
        }
    });
}

/// `Cipher.getInstance` of a broken algorithm.
fn weak_cipher(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    get_instance(s, "Ljavax/crypto/Cipher;", out, |_, algorithm| {
        let pbe_weak = algorithm.starts_with("PBEWITH")
            && ["DES", "RC2", "RC4"].iter().any(|w| algorithm.contains(w));
        (WEAK_CIPHERS.contains(&algorithm) || pbe_weak).then_some("weak algorithm")
    });
}

/// `MessageDigest.getInstance` of MD5 or SHA-1.
fn weak_hash(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    get_instance(s, "Ljava/security/MessageDigest;", out, |_, algorithm| {
        WEAK_DIGESTS.contains(&algorithm).then_some("weak digest")
    });
}

/// What a constant byte source is, for the proof.
fn constant_bytes(s: &Scope<'_, '_, '_>, k: Option<Known>) -> Option<String> {
    match k? {
        Known::StrBytes(i) => Some(format!("the bytes of \"{}\"", shorten(s.string(i)?))),
        Known::ArrayData => Some("a constant byte array".to_string()),
        _ => None,
    }
}

/// Key and parameter specs constructed from constant bytes.
fn hardcoded_key(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    const SPECS: [(&str, usize); 3] = [
        ("Ljavax/crypto/spec/SecretKeySpec;", 1),
        ("Ljavax/crypto/spec/IvParameterSpec;", 1),
        ("Ljavax/crypto/spec/GCMParameterSpec;", 2),
    ];
    let spec_arg = |r: &MethodRef| {
        SPECS
            .iter()
            .find(|(class, _)| r.is(class, "<init>"))
            .map(|(_, arg)| *arg)
    };
    let targets = s.refs_where(|r| spec_arg(r).is_some());
    s.scan_calls(&targets, out, |r, call| {
        let what = constant_bytes(s, call.arg(spec_arg(r)?))?;
        Some(format!("invoke {r} with {what}"))
    });
}

/// `java.util.Random` in classes doing cryptography; `SecureRandom` seeded with constants.
fn insecure_random(s: &Scope<'_, '_, '_>, out: &mut Vec<Hit>) {
    let crypto = s.refs_where(|r| {
        r.class.starts_with("Ljavax/crypto/") || r.class.starts_with("Ljava/security/")
    });
    let random = s.refs_where(|r| r.is("Ljava/util/Random;", "<init>"));
    s.scan_callers(&random, out, |(class, _), r| {
        let used = class
            .methods
            .iter()
            .flat_map(|m| &m.invokes)
            .find(|i| crypto.binary_search(i).is_ok())
            .and_then(|i| s.method_ref(*i))?;
        Some(format!("invoke {r} in a class that also invokes {used}"))
    });
    let seeds = s.refs_where(|r| {
        r.is("Ljava/security/SecureRandom;", "setSeed")
            || (r.is("Ljava/security/SecureRandom;", "<init>")
                && r.proto.params.first().is_some_and(|p| &**p == "[B"))
    });
    s.scan_calls(&seeds, out, |r, call: &Call| {
        let what = match call.arg(1) {
            Some(Known::Int(v)) => format!("the constant {v}"),
            k => constant_bytes(s, k)?,
        };
        Some(format!("invoke {r} with {what}"))
    });
}

/// `text` cut to 64 characters for a proof.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}
