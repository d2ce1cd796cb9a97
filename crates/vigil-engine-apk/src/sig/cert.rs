//! Signer certificates and public keys. A [`Certificate`] is what a report shows of an X.509
//! certificate (names, serial, validity, key, signature algorithm, SHA-256 fingerprint) and the
//! flags the rules use (Android debug certificate, SHA-1/MD5 signature, expired). Android does
//! not check chains or validity dates of APK signers, so neither does Vigil: the certificate is
//! an identity, and [`verify`] checks a signature with the key of a SubjectPublicKeyInfo
//! (RSA PKCS#1 v1.5 and PSS with `rsa`, ECDSA on P-256/P-384/P-521 with RustCrypto's curves).

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Name};

use super::SigError;

/// A hash function of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hash {
    /// MD5 (broken).
    Md5,
    /// SHA-1 (broken for signatures).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Md5 => md5::Md5::digest(data).to_vec(),
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// Its name as JAR manifests and reports spell it (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Hash::Md5 => "MD5",
            Hash::Sha1 => "SHA-1",
            Hash::Sha224 => "SHA-224",
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

/// How a signature is made, as far as verifying it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    /// RSASSA-PKCS1-v1_5 with this hash.
    RsaPkcs1(Hash),
    /// RSASSA-PSS with this hash, MGF1 with the same hash and a salt as long as the digest.
    RsaPss(Hash),
    /// ECDSA with this hash, the signature DER-encoded.
    Ecdsa(Hash),
    /// DSA with this hash.
    Dsa(Hash),
}

/// The kind of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA.
    Rsa,
    /// Elliptic curve (ECDSA).
    Ec,
    /// DSA.
    Dsa,
    /// Something else.
    Other,
}

/// What the rules look at in a certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CertFlags {
    /// The Android SDK's debug certificate (`CN=Android Debug`).
    pub debug: bool,
    /// Signed with MD5 or SHA-1.
    pub weak_signature_algorithm: bool,
    /// Past its not-after date at the time of the check.
    pub expired: bool,
}

/// An X.509 certificate of an APK signer.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Subject distinguished name, most specific first (`CN=..., O=...`, as Java prints it).
    pub subject: String,
    /// Issuer distinguished name, in the same form.
    pub issuer: String,
    /// Serial number in lowercase hexadecimal.
    pub serial: String,
    /// Not before, seconds since the Unix epoch.
    pub not_before: i64,
    /// Not after, seconds since the Unix epoch.
    pub not_after: i64,
    /// Algorithm of the subject public key.
    pub key_algorithm: KeyAlgorithm,
    /// Key size in bits (the modulus for RSA, the curve for EC); 0 if unknown.
    pub key_bits: usize,
    /// Named curve of an EC key (`P-256`, ...).
    pub curve: Option<String>,
    /// Signature algorithm of the certificate (`sha256WithRSAEncryption` or the OID).
    pub signature_algorithm: String,
    /// SHA-256 of the DER encoding, lowercase hexadecimal (apksigner's "SHA-256 digest").
    pub sha256: String,
    /// Flags for the rules.
    pub flags: CertFlags,
    /// The DER encoding.
    pub der: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("key_algorithm", &self.key_algorithm)
            .field("key_bits", &self.key_bits)
            .field("curve", &self.curve)
            .field("signature_algorithm", &self.signature_algorithm)
            .field("sha256", &self.sha256)
            .field("flags", &self.flags)
            .field("der", &format_args!("{} bytes", self.der.len()))
            .finish()
    }
}

impl Certificate {
    /// Read a DER certificate; `now` (seconds since the epoch) decides [`CertFlags::expired`].
    pub fn parse(der: &[u8], now: i64) -> Result<Certificate, SigError> {
        let (_, c) = X509Certificate::from_der(der)
            .map_err(|e| SigError::Certificate(format!("unreadable X.509 certificate: {e}")))?;
        let spki = c.public_key();
        let (key_algorithm, key_bits, curve) = key_info(spki);
        let sig_oid = c.signature_algorithm.algorithm.to_id_string();
        let signature_algorithm = sig_alg_name(&sig_oid)
            .map(str::to_string)
            .unwrap_or(sig_oid);
        let subject = dn(c.subject());
        let not_after = c.validity().not_after.timestamp();
        let weak = signature_algorithm.starts_with("md")
            || signature_algorithm.starts_with("sha1")
            || signature_algorithm.starts_with("ecdsa-with-SHA1")
            || signature_algorithm.starts_with("dsa-with-sha1");
        let debug = c
            .subject()
            .iter_common_name()
            .any(|cn| cn.as_str().ok() == Some("Android Debug"));
        Ok(Certificate {
            flags: CertFlags {
                debug,
                weak_signature_algorithm: weak,
                expired: not_after < now,
            },
            subject,
            issuer: dn(c.issuer()),
            serial: hex::encode(c.raw_serial()),
            not_before: c.validity().not_before.timestamp(),
            not_after,
            key_algorithm,
            key_bits,
            curve,
            signature_algorithm,
            sha256: hex::encode(Sha256::digest(der)),
            der: der.to_vec(),
        })
    }
}

/// The raw SubjectPublicKeyInfo of a DER certificate.
pub fn spki_of(der: &[u8]) -> Result<Vec<u8>, SigError> {
    let (_, c) = X509Certificate::from_der(der)
        .map_err(|e| SigError::Certificate(format!("unreadable X.509 certificate: {e}")))?;
    Ok(c.public_key().raw.to_vec())
}

/// Issuer name (raw DER) and serial number (raw integer bytes) of a DER certificate.
pub fn issuer_and_serial(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, c) = X509Certificate::from_der(der).ok()?;
    Some((c.issuer().as_raw().to_vec(), c.raw_serial().to_vec()))
}

/// Short names of the usual attribute types.
fn attr_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.9" => "STREET",
        "1.2.840.113549.1.9.1" => "EMAILADDRESS",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

/// A distinguished name most specific first, `CN=a, O=b`.
fn dn(name: &X509Name) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| {
                    let oid = a.attr_type().to_id_string();
                    let key = attr_name(&oid).map(str::to_string).unwrap_or(oid);
                    let value = a
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|_| format!("#{}", hex::encode(a.attr_value().data)));
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// Names of the usual certificate signature algorithms.
fn sig_alg_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-sha256",
        _ => return None,
    })
}

/// Bits of a big-endian unsigned integer.
fn bit_len(n: &[u8]) -> usize {
    let n = match n.iter().position(|b| *b != 0) {
        Some(i) => n.get(i..).unwrap_or_default(),
        None => return 0,
    };
    match n.first() {
        Some(first) => (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

/// Named curves by OID.
fn curve_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        _ => return None,
    })
}

fn curve_of(spki: &SubjectPublicKeyInfo) -> Option<String> {
    let params = spki.algorithm.parameters.as_ref()?;
    let oid = params.as_oid().ok()?.to_id_string();
    Some(curve_name(&oid).map(str::to_string).unwrap_or(oid))
}

fn key_info(spki: &SubjectPublicKeyInfo) -> (KeyAlgorithm, usize, Option<String>) {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(k)) => bit_len(k.modulus),
                _ => 0,
            };
            (KeyAlgorithm::Rsa, bits, None)
        }
        "1.2.840.10045.2.1" => {
            let curve = curve_of(spki);
            let bits = match curve.as_deref() {
                Some("P-256") => 256,
                Some("P-384") => 384,
                Some("P-521") => 521,
                _ => 0,
            };
            (KeyAlgorithm::Ec, bits, curve)
        }
        "1.2.840.10040.4.1" => {
            let bits = match spki.parsed() {
                Ok(PublicKey::DSA(y)) => bit_len(y),
                _ => 0,
            };
            (KeyAlgorithm::Dsa, bits, None)
        }
        _ => (KeyAlgorithm::Other, 0, None),
    }
}

/// The algorithm of a DER SubjectPublicKeyInfo.
pub fn key_algorithm(spki_der: &[u8]) -> KeyAlgorithm {
    match SubjectPublicKeyInfo::from_der(spki_der) {
        Ok((_, spki)) => key_info(&spki).0,
        Err(_) => KeyAlgorithm::Other,
    }
}

fn bad(kind: SigKind) -> SigError {
    SigError::BadSignature(format!("{kind:?}"))
}

fn pkcs1_scheme(h: Hash) -> rsa::Pkcs1v15Sign {
    match h {
        Hash::Md5 => rsa::Pkcs1v15Sign::new::<md5::Md5>(),
        Hash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
        Hash::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
        Hash::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
        Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
        Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
    }
}

fn pss_scheme(h: Hash) -> Result<rsa::Pss, SigError> {
    Ok(match h {
        Hash::Sha256 => rsa::Pss::new::<Sha256>(),
        Hash::Sha512 => rsa::Pss::new::<sha2::Sha512>(),
        Hash::Sha384 => rsa::Pss::new::<sha2::Sha384>(),
        other => {
            return Err(SigError::UnsupportedAlgorithm(format!(
                "RSASSA-PSS with {}",
                other.name()
            )))
        }
    })
}

/// Verify `signature` over `message` with the key of the DER SubjectPublicKeyInfo `spki_der`.
pub fn verify(
    spki_der: &[u8],
    kind: SigKind,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| SigError::Certificate(format!("unreadable public key: {e}")))?;
    let (alg, _, curve) = key_info(&spki);
    match kind {
        SigKind::RsaPkcs1(h) | SigKind::RsaPss(h) => {
            if alg != KeyAlgorithm::Rsa {
                return Err(SigError::Certificate(format!(
                    "{kind:?} signature with a {alg:?} key"
                )));
            }
            let Ok(PublicKey::RSA(k)) = spki.parsed() else {
                return Err(SigError::Certificate("unreadable RSA public key".into()));
            };
            let key = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(k.modulus),
                rsa::BigUint::from_bytes_be(k.exponent),
            )
            .map_err(|e| SigError::Certificate(format!("unusable RSA public key: {e}")))?;
            let hashed = h.digest(message);
            let result = match kind {
                SigKind::RsaPss(_) => key.verify(pss_scheme(h)?, &hashed, signature),
                _ => key.verify(pkcs1_scheme(h), &hashed, signature),
            };
            result.map_err(|_| bad(kind))
        }
        SigKind::Ecdsa(h) => {
            if alg != KeyAlgorithm::Ec {
                return Err(SigError::Certificate(format!(
                    "{kind:?} signature with a {alg:?} key"
                )));
            }
            let point = spki.subject_public_key.data.as_ref();
            let hashed = h.digest(message);
            let ok = match curve.as_deref() {
                Some("P-256") => ecdsa_p256(point, &hashed, signature),
                Some("P-384") => ecdsa_p384(point, &hashed, signature),
                Some("P-521") => ecdsa_p521(point, &hashed, signature),
                other => {
                    return Err(SigError::UnsupportedAlgorithm(format!(
                        "ECDSA on curve {}",
                        other.unwrap_or("(unnamed)")
                    )))
                }
            };
            if ok {
                Ok(())
            } else {
                Err(bad(kind))
            }
        }
        SigKind::Dsa(_) => Err(SigError::UnsupportedAlgorithm(
            "DSA signatures are recognised but not verified".into(),
        )),
    }
}

/// ECDSA over a prehashed message with a SEC1 point of this curve's crate.
macro_rules! ecdsa_verify {
    ($curve:ident, $point:expr, $hashed:expr, $sig:expr) => {{
        use $curve::ecdsa::signature::hazmat::PrehashVerifier;
        match (
            $curve::ecdsa::VerifyingKey::from_sec1_bytes($point),
            $curve::ecdsa::Signature::from_der($sig),
        ) {
            (Ok(key), Ok(sig)) => key.verify_prehash($hashed, &sig).is_ok(),
            _ => false,
        }
    }};
}

fn ecdsa_p256(point: &[u8], hashed: &[u8], sig: &[u8]) -> bool {
    ecdsa_verify!(p256, point, hashed, sig)
}

fn ecdsa_p384(point: &[u8], hashed: &[u8], sig: &[u8]) -> bool {
    ecdsa_verify!(p384, point, hashed, sig)
}

fn ecdsa_p521(point: &[u8], hashed: &[u8], sig: &[u8]) -> bool {
    ecdsa_verify!(p521, point, hashed, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01, 0]), 9);
        assert_eq!(bit_len(&[0, 0]), 0);
        assert_eq!(bit_len(&[]), 0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Certificate::parse(b"\x30\x03\x02\x01", 0).is_err());
        assert!(verify(b"junk", SigKind::RsaPkcs1(Hash::Sha256), b"m", b"s").is_err());
    }
}
