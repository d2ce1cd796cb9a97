//! APK signatures, verified as Android verifies them: JAR signing ([`v1`]), APK Signature
//! Scheme v2 and v3/v3.1 ([`v2`]) in the APK Signing Block ([`block`]), and the signer
//! certificates ([`cert`]). [`verify`] reads all of them into [`Signatures`]: per scheme
//! whether it is present and verified or failed with a [`SigError`] naming the reason, the
//! other blocks of the signing block (padding, channel markers), the distinct certificates
//! and the flags the rules use. Nothing here panics on hostile input: structures are read with
//! bounds-checked readers, and every failure is a value.

pub mod block;
pub mod cert;
mod der;
pub mod v1;
pub mod v2;

pub use cert::{CertFlags, Certificate, Hash, KeyAlgorithm, SigKind};
pub use v1::{Files, V1Result, V1Signer};
pub use v2::{Algorithm, BlockResult, BlockSigner};

use crate::error::ApkError;

/// Why a signature (or a scheme) does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// A structure of the scheme cannot be read.
    #[error("malformed signature data: {0}")]
    Structure(String),
    /// A certificate or public key cannot be read or used.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The signature does not verify with the signer's public key.
    #[error("signature does not verify ({0})")]
    BadSignature(String),
    /// No algorithm this reader verifies.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// A scheme block without signers.
    #[error("no signers")]
    NoSigners,
    /// A signer without signatures.
    #[error("signer has no signatures")]
    NoSignatures,
    /// A signer without certificates.
    #[error("signer has no certificates")]
    NoCertificates,
    /// The signer's public key is not its first certificate's.
    #[error("public key differs from the first certificate's")]
    PublicKeyMismatch,
    /// The algorithms of the signatures and of the digests differ.
    #[error("signature and digest algorithm lists differ: {0}")]
    AlgorithmListMismatch(String),
    /// The APK content digest differs from the signed one (v2/v3).
    #[error("APK content digest mismatch ({0})")]
    ContentDigestMismatch(String),
    /// A file's digest differs from the manifest's (v1).
    #[error("digest of {entry} ({algorithm}) differs from the manifest")]
    EntryDigestMismatch {
        /// The archive entry.
        entry: String,
        /// The digest algorithm.
        algorithm: &'static str,
    },
    /// The manifest (or one of its sections) differs from the digest in the signature file.
    #[error("manifest digest mismatch in {0}")]
    ManifestDigestMismatch(String),
    /// A file of the archive is not in the manifest, or the manifest names a missing file.
    #[error("{0}")]
    EntryNotCovered(String),
    /// A v1 signature file has no signature block, or the reverse.
    #[error("{0}")]
    MissingFile(String),
    /// The v1 signature says v2/v3 signed the APK, but their block is gone.
    #[error("signature stripped: {0}")]
    Stripped(String),
}

impl From<SigError> for ApkError {
    fn from(e: SigError) -> Self {
        ApkError::malformed("APK signature", e.to_string())
    }
}

/// Whether a scheme (or one of its signers) verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It verified.
    Verified,
    /// It did not, for this reason.
    Failed(SigError),
}

impl Status {
    /// Whether it verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, Status::Verified)
    }

    /// The reason it failed.
    pub fn error(&self) -> Option<&SigError> {
        match self {
            Status::Verified => None,
            Status::Failed(e) => Some(e),
        }
    }
}

/// A pair of the signing block that is not a v2/v3/v3.1 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherBlock {
    /// Its ID.
    pub id: u32,
    /// What it is, when known (`padding`, `Walle channel`, ...).
    pub name: Option<&'static str>,
    /// Its value length in bytes.
    pub size: usize,
}

/// The signatures of an APK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signatures {
    /// JAR signing, if the archive has a signature file.
    pub v1: Option<V1Result>,
    /// APK Signature Scheme v2, if its block is present.
    pub v2: Option<BlockResult>,
    /// APK Signature Scheme v3, if its block is present.
    pub v3: Option<BlockResult>,
    /// APK Signature Scheme v3.1, if its block is present.
    pub v31: Option<BlockResult>,
    /// The other pairs of the signing block.
    pub other_blocks: Vec<OtherBlock>,
    /// Distinct certificates of all schemes' signers (by SHA-256), in the order found.
    pub certificates: Vec<Certificate>,
    /// Errors reading the container or the signing block itself.
    pub errors: Vec<SigError>,
}

impl Signatures {
    /// Whether some scheme is present at all.
    pub fn is_signed(&self) -> bool {
        self.v1.is_some() || self.v2.is_some() || self.v3.is_some() || self.v31.is_some()
    }

    /// Signed with JAR signing only (v2+ protects the whole file; v1 does not).
    pub fn v1_only(&self) -> bool {
        self.v1.is_some() && self.v2.is_none() && self.v3.is_none() && self.v31.is_none()
    }

    /// Whether every present scheme verified (and there is one).
    pub fn all_verified(&self) -> bool {
        let schemes = [
            self.v1.as_ref().map(|v| &v.status),
            self.v2.as_ref().map(|v| &v.status),
            self.v3.as_ref().map(|v| &v.status),
            self.v31.as_ref().map(|v| &v.status),
        ];
        self.is_signed()
            && self.errors.is_empty()
            && schemes.iter().flatten().all(|s| s.is_verified())
    }

    /// Some certificate is the Android debug certificate.
    pub fn debug_signed(&self) -> bool {
        self.certificates.iter().any(|c| c.flags.debug)
    }

    fn add_certificates<'a>(&mut self, certs: impl IntoIterator<Item = &'a Certificate>) {
        for c in certs {
            if !self.certificates.iter().any(|k| k.sha256 == c.sha256) {
                self.certificates.push(c.clone());
            }
        }
    }
}

/// Read and verify every signature of `apk`. `files` gives the archive's entries for v1
/// (`None` skips v1); `now` (seconds since the Unix epoch) decides which certificates are
/// expired.
pub fn verify(apk: &[u8], files: Option<&dyn Files>, now: i64) -> Signatures {
    let mut out = Signatures::default();
    // JAR signing digests every entry again: it runs beside the signing block's own digests.
    std::thread::scope(|s| {
        let v1 = files.map(|f| s.spawn(move || v1::verify(f, now)));
        match block::find(apk) {
            Ok(Some(b)) => {
                let mut digests = v2::ContentDigests::new(apk, &b);
                for (id, value) in &b.pairs {
                    let (slot, v3) = match *id {
                        block::V2_ID => (&mut out.v2, false),
                        block::V3_ID => (&mut out.v3, true),
                        block::V31_ID => (&mut out.v31, true),
                        _ => {
                            out.other_blocks.push(OtherBlock {
                                id: *id,
                                name: block::other_block_name(*id),
                                size: value.len(),
                            });
                            continue;
                        }
                    };
                    if slot.is_none() {
                        *slot = Some(v2::verify(value, v3, &mut digests, now));
                    }
                }
            }
            Ok(None) => {}
            Err(e) => out.errors.push(SigError::Structure(e.to_string())),
        }
        if let Some(h) = v1 {
            match h.join() {
                Ok(v) => out.v1 = v,
                Err(_) => out.errors.push(SigError::Structure(
                    "the JAR signature check stopped".into(),
                )),
            }
        }
    });
    // JAR signatures name the schemes that also signed (X-Android-APK-Signed); a scheme
    // named there but absent was stripped.
    if let Some(v1) = &mut out.v1 {
        for (scheme, present) in [(2, out.v2.is_some()), (3, out.v3.is_some())] {
            if v1.apk_signed_schemes.contains(&scheme) && !present && v1.status.is_verified() {
                v1.status = Status::Failed(SigError::Stripped(format!(
                    "the JAR signature says v{scheme} signed the APK but its block is absent"
                )));
            }
        }
    }
    // v2 signers name v3 in a stripping-protection attribute when v3 also signed.
    let v3_present = out.v3.is_some();
    if let Some(v2) = &mut out.v2 {
        let claims_v3 = v2.signers.iter().any(|s| {
            s.additional_attributes.iter().any(|(id, v)| {
                *id == v2::STRIPPING_PROTECTION_ID && v.get(..4) == Some(&[3, 0, 0, 0])
            })
        });
        if claims_v3 && !v3_present && v2.status.is_verified() {
            v2.status = Status::Failed(SigError::Stripped(
                "the v2 signature says v3 signed the APK but its block is absent".into(),
            ));
        }
    }
    let mut certs = Vec::new();
    for b in [&out.v2, &out.v3, &out.v31].into_iter().flatten() {
        for s in &b.signers {
            certs.extend(s.certificates.iter().cloned());
        }
    }
    if let Some(v1) = &out.v1 {
        certs.extend(v1.signers.iter().filter_map(|s| s.certificate.clone()));
    }
    out.add_certificates(&certs);
    out
}
