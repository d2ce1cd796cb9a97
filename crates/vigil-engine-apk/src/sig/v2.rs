//! APK Signature Scheme v2 and v3 (and v3.1, which has v3's format): the signers of a scheme
//! block, each with its signed data (content digests, certificates, v3's SDK range,
//! additional attributes), signatures over the signed data and public key. A signer verifies
//! when every signature of a supported algorithm checks with its public key, that key is the
//! first certificate's, the signature and digest algorithm lists agree, and the content
//! digest (1 MiB chunks of the entries, the central directory and the end record pointing at
//! the signing block) matches. Verity digests (0x0421/0x0423/0x0425) are not recomputed.

use sha2::Digest;

use super::block::SigningBlock;
use super::cert::{self, Hash, SigKind};
use super::{Certificate, SigError, Status};
use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// ID of the v2 signed-data attribute naming a later scheme that also signed (`3` for v3).
pub const STRIPPING_PROTECTION_ID: u32 = 0xbeef_f00d;

/// A signature algorithm of the v2/v3 schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA2-256 (0x0101).
    RsaPssSha256,
    /// RSASSA-PSS with SHA2-512 (0x0102).
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA2-256 (0x0103).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA2-512 (0x0104).
    RsaPkcs1Sha512,
    /// ECDSA with SHA2-256 (0x0201).
    EcdsaSha256,
    /// ECDSA with SHA2-512 (0x0202).
    EcdsaSha512,
    /// DSA with SHA2-256 (0x0301).
    DsaSha256,
    /// RSASSA-PKCS1-v1_5 with SHA2-256 over a verity digest (0x0421).
    VerityRsaPkcs1Sha256,
    /// ECDSA with SHA2-256 over a verity digest (0x0423).
    VerityEcdsaSha256,
    /// DSA with SHA2-256 over a verity digest (0x0425).
    VerityDsaSha256,
    /// An ID this reader does not know.
    Unknown(u32),
}

/// How the content digest of an algorithm is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentDigest {
    /// 1 MiB chunks, SHA-256.
    ChunkedSha256,
    /// 1 MiB chunks, SHA-512.
    ChunkedSha512,
    /// The fs-verity Merkle tree root over 4 KiB blocks (not recomputed by Vigil).
    VeritySha256,
}

impl Algorithm {
    /// The algorithm of an ID.
    pub fn from_id(id: u32) -> Algorithm {
        match id {
            0x0101 => Algorithm::RsaPssSha256,
            0x0102 => Algorithm::RsaPssSha512,
            0x0103 => Algorithm::RsaPkcs1Sha256,
            0x0104 => Algorithm::RsaPkcs1Sha512,
            0x0201 => Algorithm::EcdsaSha256,
            0x0202 => Algorithm::EcdsaSha512,
            0x0301 => Algorithm::DsaSha256,
            0x0421 => Algorithm::VerityRsaPkcs1Sha256,
            0x0423 => Algorithm::VerityEcdsaSha256,
            0x0425 => Algorithm::VerityDsaSha256,
            other => Algorithm::Unknown(other),
        }
    }

    /// The signature of this algorithm, `None` if unknown.
    pub fn kind(self) -> Option<SigKind> {
        Some(match self {
            Algorithm::RsaPssSha256 => SigKind::RsaPss(Hash::Sha256),
            Algorithm::RsaPssSha512 => SigKind::RsaPss(Hash::Sha512),
            Algorithm::RsaPkcs1Sha256 | Algorithm::VerityRsaPkcs1Sha256 => {
                SigKind::RsaPkcs1(Hash::Sha256)
            }
            Algorithm::RsaPkcs1Sha512 => SigKind::RsaPkcs1(Hash::Sha512),
            Algorithm::EcdsaSha256 | Algorithm::VerityEcdsaSha256 => SigKind::Ecdsa(Hash::Sha256),
            Algorithm::EcdsaSha512 => SigKind::Ecdsa(Hash::Sha512),
            Algorithm::DsaSha256 | Algorithm::VerityDsaSha256 => SigKind::Dsa(Hash::Sha256),
            Algorithm::Unknown(_) => return None,
        })
    }

    /// How its content digest is computed, `None` if unknown.
    pub fn content_digest(self) -> Option<ContentDigest> {
        Some(match self {
            Algorithm::RsaPssSha256
            | Algorithm::RsaPkcs1Sha256
            | Algorithm::EcdsaSha256
            | Algorithm::DsaSha256 => ContentDigest::ChunkedSha256,
            Algorithm::RsaPssSha512 | Algorithm::RsaPkcs1Sha512 | Algorithm::EcdsaSha512 => {
                ContentDigest::ChunkedSha512
            }
            Algorithm::VerityRsaPkcs1Sha256
            | Algorithm::VerityEcdsaSha256
            | Algorithm::VerityDsaSha256 => ContentDigest::VeritySha256,
            Algorithm::Unknown(_) => return None,
        })
    }
}

/// A signer of a v2/v3 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSigner {
    /// Its certificates, the first one the signer's.
    pub certificates: Vec<Certificate>,
    /// Content digests: (algorithm, digest).
    pub digests: Vec<(Algorithm, Vec<u8>)>,
    /// Algorithms of the signatures, in order.
    pub signature_algorithms: Vec<Algorithm>,
    /// v3: lowest SDK this signer is for.
    pub min_sdk: Option<u32>,
    /// v3: highest SDK this signer is for.
    pub max_sdk: Option<u32>,
    /// Additional attributes of the signed data: (ID, value).
    pub additional_attributes: Vec<(u32, Vec<u8>)>,
    /// Content digests of the verity algorithms, present but not recomputed.
    pub unchecked_verity_digests: usize,
    /// Whether it verified.
    pub status: Status,
}

/// One v2/v3/v3.1 scheme block and its signers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockResult {
    /// The signers (none if the block could not be read).
    pub signers: Vec<BlockSigner>,
    /// Verified when the block has signers and all verify.
    pub status: Status,
}

/// Longest list Vigil reads in a scheme block (signers, digests, certificates, ...).
const MAX_ITEMS: usize = 1024;

/// Length-prefixed (`u32`) bytes.
fn lp<'a>(r: &mut Reader<'a>) -> Result<&'a [u8]> {
    let n = r.u32()? as usize;
    r.take(n)
}

/// A sequence of length-prefixed items filling `data`.
fn seq<'a>(data: &'a [u8], what: &'static str) -> Result<Vec<&'a [u8]>> {
    let mut r = Reader::new(data, what);
    let mut out = Vec::new();
    while r.remaining() > 0 {
        if out.len() >= MAX_ITEMS {
            return Err(ApkError::TooLarge {
                what,
                size: out.len() as u64 + 1,
                limit: MAX_ITEMS as u64,
            });
        }
        out.push(lp(&mut r)?);
    }
    Ok(out)
}

/// The parsed fields of a signer before verification.
struct RawSigner<'a> {
    signed_data: &'a [u8],
    digests: Vec<(Algorithm, &'a [u8])>,
    certificates: Vec<&'a [u8]>,
    min_sdk: Option<u32>,
    max_sdk: Option<u32>,
    attributes: Vec<(u32, &'a [u8])>,
    signatures: Vec<(Algorithm, &'a [u8])>,
    public_key: &'a [u8],
}

fn parse_signer(data: &[u8], v3: bool) -> Result<RawSigner<'_>> {
    const WHAT: &str = "APK signature scheme signer";
    let mut r = Reader::new(data, WHAT);
    let signed_data = lp(&mut r)?;
    let (min_sdk, max_sdk) = if v3 {
        (Some(r.u32()?), Some(r.u32()?))
    } else {
        (None, None)
    };
    let signatures_data = lp(&mut r)?;
    let public_key = lp(&mut r)?;

    let mut sd = Reader::new(signed_data, "APK signature scheme signed data");
    let mut digests = Vec::new();
    for d in seq(lp(&mut sd)?, "APK signature scheme digests")? {
        let mut dr = Reader::new(d, "APK signature scheme digest");
        let alg = Algorithm::from_id(dr.u32()?);
        digests.push((alg, lp(&mut dr)?));
    }
    let mut certificates = Vec::new();
    for c in seq(lp(&mut sd)?, "APK signature scheme certificates")? {
        certificates.push(c);
    }
    if v3 {
        let (min, max) = (sd.u32()?, sd.u32()?);
        if Some(min) != min_sdk || Some(max) != max_sdk {
            return Err(ApkError::malformed(
                "APK signature scheme v3 signer",
                format!(
                    "SDK range {min}..{max} in the signed data differs from {}..{} outside it",
                    min_sdk.unwrap_or_default(),
                    max_sdk.unwrap_or_default()
                ),
            ));
        }
    }
    let mut attributes = Vec::new();
    for a in seq(lp(&mut sd)?, "APK signature scheme additional attributes")? {
        let mut ar = Reader::new(a, "APK signature scheme additional attribute");
        let id = ar.u32()?;
        attributes.push((id, ar.take(ar.remaining())?));
    }
    let mut signatures = Vec::new();
    for s in seq(signatures_data, "APK signature scheme signatures")? {
        let mut sr = Reader::new(s, "APK signature scheme signature");
        let alg = Algorithm::from_id(sr.u32()?);
        signatures.push((alg, lp(&mut sr)?));
    }
    Ok(RawSigner {
        signed_data,
        digests,
        certificates,
        min_sdk,
        max_sdk,
        attributes,
        signatures,
        public_key,
    })
}

/// Content digests of the APK, computed once per kind.
pub struct ContentDigests<'a> {
    apk: &'a [u8],
    block: &'a SigningBlock<'a>,
    computed: Vec<(ContentDigest, Vec<u8>)>,
}

/// Chunk size of the content digest.
const CHUNK: usize = 1 << 20;

impl<'a> ContentDigests<'a> {
    /// Digests of `apk` whose signing block is `block`.
    pub fn new(apk: &'a [u8], block: &'a SigningBlock<'a>) -> Self {
        ContentDigests {
            apk,
            block,
            computed: Vec::new(),
        }
    }

    /// The chunked digest of this kind (`None` for verity).
    pub fn get(&mut self, kind: ContentDigest) -> Result<Option<Vec<u8>>> {
        if kind == ContentDigest::VeritySha256 {
            return Ok(None);
        }
        if let Some((_, d)) = self.computed.iter().find(|(k, _)| *k == kind) {
            return Ok(Some(d.clone()));
        }
        let d = match kind {
            ContentDigest::ChunkedSha512 => self.chunked::<sha2::Sha512>()?,
            _ => self.chunked::<sha2::Sha256>()?,
        };
        self.computed.push((kind, d.clone()));
        Ok(Some(d))
    }

    fn chunked<D: Digest>(&self) -> Result<Vec<u8>> {
        const WHAT: &str = "APK content";
        let b = self.block;
        let entries = self.apk.get(..b.offset).ok_or(ApkError::Truncated {
            what: WHAT,
            offset: b.offset as u64,
        })?;
        let cd = self
            .apk
            .get(b.cd_offset..b.eocd.offset)
            .ok_or(ApkError::Truncated {
                what: WHAT,
                offset: b.cd_offset as u64,
            })?;
        let mut eocd = self
            .apk
            .get(b.eocd.offset..)
            .ok_or(ApkError::Truncated {
                what: WHAT,
                offset: b.eocd.offset as u64,
            })?
            .to_vec();
        // The end record as if the signing block were not there: its CD offset is the block's.
        let offset = u32::try_from(b.offset)
            .map_err(|_| ApkError::malformed(WHAT, "signing block past 4 GiB"))?;
        eocd.get_mut(16..20)
            .ok_or(ApkError::Truncated {
                what: WHAT,
                offset: b.eocd.offset as u64 + 16,
            })?
            .copy_from_slice(&offset.to_le_bytes());
        let mut chunk_digests = Vec::new();
        let mut count: u32 = 0;
        for section in [entries, cd, &eocd[..]] {
            for chunk in section.chunks(CHUNK) {
                let mut h = D::new();
                h.update([0xa5]);
                h.update((chunk.len() as u32).to_le_bytes());
                h.update(chunk);
                chunk_digests.extend_from_slice(&h.finalize());
                count += 1;
            }
        }
        let mut h = D::new();
        h.update([0x5a]);
        h.update(count.to_le_bytes());
        h.update(&chunk_digests);
        Ok(h.finalize().to_vec())
    }
}

/// Read and verify the scheme block `value` (v2 if `!v3`).
pub fn verify(value: &[u8], v3: bool, digests: &mut ContentDigests<'_>, now: i64) -> BlockResult {
    let signers = match seq_signers(value) {
        Ok(s) => s,
        Err(e) => {
            return BlockResult {
                signers: Vec::new(),
                status: Status::Failed(SigError::Structure(e.to_string())),
            }
        }
    };
    let mut out = Vec::new();
    let mut first_error = None;
    for data in signers {
        let signer = verify_signer(data, v3, digests, now);
        if let (Status::Failed(e), None) = (&signer.status, &first_error) {
            first_error = Some(e.clone());
        }
        out.push(signer);
    }
    let status = match first_error {
        Some(e) => Status::Failed(e),
        None if out.is_empty() => Status::Failed(SigError::NoSigners),
        None => Status::Verified,
    };
    BlockResult {
        signers: out,
        status,
    }
}

fn seq_signers(value: &[u8]) -> Result<Vec<&[u8]>> {
    let mut r = Reader::new(value, "APK signature scheme block");
    let signers = lp(&mut r)?;
    seq(signers, "APK signature scheme signers")
}

fn verify_signer(data: &[u8], v3: bool, digests: &mut ContentDigests<'_>, now: i64) -> BlockSigner {
    let mut signer = BlockSigner {
        certificates: Vec::new(),
        digests: Vec::new(),
        signature_algorithms: Vec::new(),
        min_sdk: None,
        max_sdk: None,
        additional_attributes: Vec::new(),
        unchecked_verity_digests: 0,
        status: Status::Verified,
    };
    let raw = match parse_signer(data, v3) {
        Ok(r) => r,
        Err(e) => {
            signer.status = Status::Failed(SigError::Structure(e.to_string()));
            return signer;
        }
    };
    signer.digests = raw.digests.iter().map(|(a, d)| (*a, d.to_vec())).collect();
    signer.signature_algorithms = raw.signatures.iter().map(|(a, _)| *a).collect();
    signer.min_sdk = raw.min_sdk;
    signer.max_sdk = raw.max_sdk;
    signer.additional_attributes = raw
        .attributes
        .iter()
        .map(|(i, v)| (*i, v.to_vec()))
        .collect();
    let mut cert_error = None;
    for c in &raw.certificates {
        match Certificate::parse(c, now) {
            Ok(c) => signer.certificates.push(c),
            Err(e) => cert_error = cert_error.or(Some(e)),
        }
    }
    let checks = check_signer(&raw, digests, &mut signer.unchecked_verity_digests);
    signer.status = match (cert_error, checks) {
        (_, Err(e)) | (Some(e), Ok(())) => Status::Failed(e),
        (None, Ok(())) => Status::Verified,
    };
    signer
}

fn check_signer(
    raw: &RawSigner<'_>,
    digests: &mut ContentDigests<'_>,
    unchecked: &mut usize,
) -> Result<(), SigError> {
    if raw.signatures.is_empty() {
        return Err(SigError::NoSignatures);
    }
    // Every signature of a known algorithm must verify; at least one must be known.
    let mut verified = 0;
    for (alg, sig) in &raw.signatures {
        let Some(kind) = alg.kind() else { continue };
        match cert::verify(raw.public_key, kind, raw.signed_data, sig) {
            Ok(()) => verified += 1,
            Err(SigError::UnsupportedAlgorithm(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if verified == 0 {
        return Err(SigError::UnsupportedAlgorithm(format!(
            "no signature of a verifiable algorithm among {:?}",
            raw.signatures.iter().map(|(a, _)| *a).collect::<Vec<_>>()
        )));
    }
    let sig_algs: Vec<Algorithm> = raw.signatures.iter().map(|(a, _)| *a).collect();
    let digest_algs: Vec<Algorithm> = raw.digests.iter().map(|(a, _)| *a).collect();
    if sig_algs != digest_algs {
        return Err(SigError::AlgorithmListMismatch(format!(
            "signatures {sig_algs:?}, digests {digest_algs:?}"
        )));
    }
    let first = raw.certificates.first().ok_or(SigError::NoCertificates)?;
    if cert::spki_of(first)? != raw.public_key {
        return Err(SigError::PublicKeyMismatch);
    }
    for (alg, expected) in &raw.digests {
        let Some(kind) = alg.content_digest() else {
            continue;
        };
        match digests
            .get(kind)
            .map_err(|e| SigError::Structure(e.to_string()))?
        {
            Some(actual) if actual == *expected => {}
            Some(_) => return Err(SigError::ContentDigestMismatch(format!("{alg:?}"))),
            None => *unchecked += 1,
        }
    }
    Ok(())
}
