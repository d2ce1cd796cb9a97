//! JAR signing (APK signature v1): `META-INF/MANIFEST.MF` holds a digest of every file of the
//! archive; each signer's signature file (`META-INF/NAME.SF`) holds digests of the manifest
//! (whole, its main section, or each section); its signature block (`NAME.RSA`, `.EC`,
//! `.DSA`), a PKCS#7 SignedData, signs the signature file with the signer's certificate. The
//! archive's files come through [`Files`] so that any zip reader can serve them.

use base64::Engine as _;

use super::cert::{self, Certificate, Hash, KeyAlgorithm, SigKind};
use super::der;
use super::{SigError, Status};
use crate::error::Result;

/// The files of an archive, as a zip reader gives them.
pub trait Files: Sync {
    /// Names of all entries, in central directory order.
    fn names(&self) -> Vec<String>;
    /// The uncompressed contents of the entry `name`.
    fn read(&self, name: &str) -> Result<Vec<u8>>;
}

/// The manifest's path.
pub const MANIFEST: &str = "META-INF/MANIFEST.MF";

/// One signer of a JAR signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Signer {
    /// The signature file (`META-INF/CERT.SF`).
    pub signature_file: String,
    /// The signature block file (`META-INF/CERT.RSA`), if found.
    pub block_file: Option<String>,
    /// The signer's certificate, if found in the block.
    pub certificate: Option<Certificate>,
    /// Digest algorithm of the PKCS#7 signature.
    pub digest_algorithm: Option<Hash>,
    /// Digest algorithms of the signature file's manifest digests.
    pub manifest_digest_algorithms: Vec<Hash>,
    /// Whether it verified.
    pub status: Status,
}

/// The JAR signature of an APK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Result {
    /// The signers (one per signature file).
    pub signers: Vec<V1Signer>,
    /// Digest algorithms used for the entries in the manifest.
    pub entry_digest_algorithms: Vec<Hash>,
    /// Entries whose digests were checked.
    pub entries_checked: usize,
    /// Schemes the signature files say also signed the APK (`X-Android-APK-Signed: 2, 3`).
    pub apk_signed_schemes: Vec<u32>,
    /// Verified when every signer and every entry verify.
    pub status: Status,
}

/// A section of a manifest or signature file.
#[derive(Debug, Clone, Default)]
struct Section<'a> {
    /// Its bytes, the blank line that ends it included.
    raw: &'a [u8],
    /// Its attributes, continuation lines joined.
    attrs: Vec<(String, Vec<u8>)>,
}

impl Section<'_> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    fn name(&self) -> Option<String> {
        self.get("Name")
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Digest attributes ending with `suffix` (`-Digest`, `-Digest-Manifest`): (hash, value).
    fn digests(&self, suffix: &str) -> Vec<(Option<Hash>, &[u8])> {
        self.attrs
            .iter()
            .filter_map(|(n, v)| {
                let alg = n
                    .len()
                    .checked_sub(suffix.len())
                    .filter(|at| n.is_char_boundary(*at))
                    .filter(|at| n.get(*at..).is_some_and(|s| s.eq_ignore_ascii_case(suffix)))
                    .and_then(|at| n.get(..at))?;
                Some((hash_named(alg), v.as_slice()))
            })
            .collect()
    }
}

fn hash_named(name: &str) -> Option<Hash> {
    Some(match name.to_ascii_uppercase().as_str() {
        "MD5" => Hash::Md5,
        "SHA1" | "SHA-1" => Hash::Sha1,
        "SHA-224" => Hash::Sha224,
        "SHA-256" => Hash::Sha256,
        "SHA-384" => Hash::Sha384,
        "SHA-512" => Hash::Sha512,
        _ => return None,
    })
}

/// Split a manifest-format file into sections; the first is the main section.
fn sections(data: &[u8]) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut cur = Section::default();
    let mut start = 0;
    let mut pos = 0;
    let mut lines = 0;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or_default();
        let (len, term) = match rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            Some(i) if rest.get(i) == Some(&b'\r') && rest.get(i + 1) == Some(&b'\n') => (i, 2),
            Some(i) => (i, 1),
            None => (rest.len(), 0),
        };
        let line = rest.get(..len).unwrap_or_default();
        let next = pos + len + term;
        if line.is_empty() {
            if lines > 0 {
                cur.raw = data.get(start..next).unwrap_or_default();
                out.push(std::mem::take(&mut cur));
                lines = 0;
            } else if out.is_empty() {
                // A blank line before any attribute still ends an (empty) main section.
                out.push(Section::default());
            }
            start = next;
        } else {
            lines += 1;
            if let Some(cont) = line.strip_prefix(b" ") {
                if let Some((_, v)) = cur.attrs.last_mut() {
                    v.extend_from_slice(cont);
                }
            } else if let Some(i) = line.windows(2).position(|w| w == b": ") {
                let name = String::from_utf8_lossy(line.get(..i).unwrap_or_default()).into_owned();
                let value = line.get(i + 2..).unwrap_or_default().to_vec();
                cur.attrs.push((name, value));
            }
        }
        pos = next;
    }
    if lines > 0 {
        cur.raw = data.get(start..).unwrap_or_default();
        out.push(cur);
    }
    out
}

/// Whether an entry must have a digest in the manifest: all files except directories and the
/// signature files themselves (as apksigner decides).
fn needs_digest(name: &str) -> bool {
    if name.ends_with('/') {
        return false;
    }
    let Some(file) = name.strip_prefix("META-INF/") else {
        return true;
    };
    if file.contains('/') {
        return true;
    }
    let upper = file.to_ascii_uppercase();
    !(upper == "MANIFEST.MF"
        || upper.ends_with(".SF")
        || upper.ends_with(".RSA")
        || upper.ends_with(".DSA")
        || upper.ends_with(".EC")
        || upper.starts_with("SIG-"))
}

fn b64(v: &[u8]) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(v.trim_ascii())
        .ok()
}

/// Check the digests `(hash, base64)` against `data`: Ok(true) if one known digest is present
/// and all known ones match, Ok(false) if none is known, Err(algorithm) on a mismatch.
fn check_digests(digests: &[(Option<Hash>, &[u8])], data: &[u8]) -> Result<bool, &'static str> {
    let mut any = false;
    for (h, v) in digests {
        let Some(h) = h else { continue };
        if b64(v).as_deref() != Some(&h.digest(data)[..]) {
            return Err(h.name());
        }
        any = true;
    }
    Ok(any)
}

/// Verify the JAR signature of `files`: `None` if it has no signature file.
pub fn verify(files: &dyn Files, now: i64) -> Option<V1Result> {
    let names = files.names();
    let sf_names: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_prefix("META-INF/").is_some_and(|f| {
                !f.contains('/') && f.len() > 3 && f.to_ascii_uppercase().ends_with(".SF")
            })
        })
        .collect();
    if sf_names.is_empty() {
        return None;
    }
    let mut result = V1Result {
        signers: Vec::new(),
        entry_digest_algorithms: Vec::new(),
        entries_checked: 0,
        apk_signed_schemes: Vec::new(),
        status: Status::Verified,
    };
    let manifest = match files.read(MANIFEST) {
        Ok(m) => m,
        Err(e) => {
            result.status = Status::Failed(SigError::MissingFile(format!("{MANIFEST}: {e}")));
            return Some(result);
        }
    };
    let mf = sections(&manifest);
    let mut errors = Vec::new();
    for sf_name in sf_names {
        let signer = verify_signer(files, &names, sf_name, &manifest, &mf, now, &mut result);
        if let Status::Failed(e) = &signer.status {
            errors.push(e.clone());
        }
        result.signers.push(signer);
    }
    if let Err(e) = verify_entries(files, &names, &mf, &mut result) {
        errors.push(e);
    }
    if let Some(e) = errors.into_iter().next() {
        result.status = Status::Failed(e);
    }
    Some(result)
}

/// Every file's digest against the manifest, and every file that needs one has one.
fn verify_entries(
    files: &dyn Files,
    names: &[String],
    mf: &[Section<'_>],
    result: &mut V1Result,
) -> Result<(), SigError> {
    let entries: Vec<(String, &Section<'_>)> = mf
        .iter()
        .skip(1)
        .filter_map(|s| s.name().map(|n| (n, s)))
        .collect();
    for name in names.iter().filter(|n| needs_digest(n)) {
        let Some((_, section)) = entries.iter().find(|(n, _)| n == name) else {
            return Err(SigError::EntryNotCovered(format!(
                "{name} is not in the manifest"
            )));
        };
        let data = files
            .read(name)
            .map_err(|e| SigError::Structure(format!("{name}: {e}")))?;
        let digests = section.digests("-Digest");
        for h in digests.iter().filter_map(|(h, _)| *h) {
            if !result.entry_digest_algorithms.contains(&h) {
                result.entry_digest_algorithms.push(h);
            }
        }
        match check_digests(&digests, &data) {
            Ok(true) => result.entries_checked += 1,
            Ok(false) => {
                return Err(SigError::EntryNotCovered(format!(
                    "{name} has no digest of a known algorithm in the manifest"
                )))
            }
            Err(algorithm) => {
                return Err(SigError::EntryDigestMismatch {
                    entry: name.clone(),
                    algorithm,
                })
            }
        }
    }
    Ok(())
}

fn verify_signer(
    files: &dyn Files,
    names: &[String],
    sf_name: &str,
    manifest: &[u8],
    mf: &[Section<'_>],
    now: i64,
    result: &mut V1Result,
) -> V1Signer {
    let base = sf_name
        .get(..sf_name.len().saturating_sub(3))
        .unwrap_or_default();
    let block_file = ["RSA", "EC", "DSA"].iter().find_map(|ext| {
        let wanted = format!("{base}.{ext}");
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&wanted))
            .cloned()
    });
    let mut signer = V1Signer {
        signature_file: sf_name.to_string(),
        block_file: block_file.clone(),
        certificate: None,
        digest_algorithm: None,
        manifest_digest_algorithms: Vec::new(),
        status: Status::Verified,
    };
    let checked = (|| {
        let sf = files
            .read(sf_name)
            .map_err(|e| SigError::MissingFile(format!("{sf_name}: {e}")))?;
        let block_file = block_file.ok_or_else(|| {
            SigError::MissingFile(format!(
                "{sf_name} has no signature block (.RSA, .EC, .DSA)"
            ))
        })?;
        let block = files
            .read(&block_file)
            .map_err(|e| SigError::MissingFile(format!("{block_file}: {e}")))?;
        verify_block(&block, &sf, now, &mut signer)?;
        let sfs = sections(&sf);
        if let Some(main) = sfs.first() {
            if let Some(v) = main.get("X-Android-APK-Signed") {
                for s in String::from_utf8_lossy(v).split(',') {
                    if let Ok(n) = s.trim().parse::<u32>() {
                        if !result.apk_signed_schemes.contains(&n) {
                            result.apk_signed_schemes.push(n);
                        }
                    }
                }
            }
        }
        verify_sf(&sfs, manifest, mf, &mut signer)
    })();
    if let Err(e) = checked {
        signer.status = Status::Failed(e);
    }
    signer
}

/// The signature file's digests of the manifest.
fn verify_sf(
    sfs: &[Section<'_>],
    manifest: &[u8],
    mf: &[Section<'_>],
    signer: &mut V1Signer,
) -> Result<(), SigError> {
    let main = sfs.first().cloned().unwrap_or_default();
    let whole = main.digests("-Digest-Manifest");
    signer.manifest_digest_algorithms = whole.iter().filter_map(|(h, _)| *h).collect();
    if check_digests(&whole, manifest) == Ok(true) {
        return Ok(());
    }
    // Not the whole manifest: its main attributes and each of its sections then.
    let main_attrs = main.digests("-Digest-Manifest-Main-Attributes");
    let mf_main = mf.first().map(|s| s.raw).unwrap_or_default();
    if check_digests(&main_attrs, mf_main).is_err() {
        return Err(SigError::ManifestDigestMismatch(
            "the manifest's main attributes".into(),
        ));
    }
    let mut covered = 0;
    for section in sfs.iter().skip(1) {
        let Some(name) = section.name() else { continue };
        let mf_section = mf
            .iter()
            .skip(1)
            .find(|s| s.name().as_deref() == Some(name.as_str()))
            .ok_or_else(|| {
                SigError::EntryNotCovered(format!("{name} is signed but not in the manifest"))
            })?;
        match check_digests(&section.digests("-Digest"), mf_section.raw) {
            Ok(true) => covered += 1,
            _ => return Err(SigError::ManifestDigestMismatch(format!("section {name}"))),
        }
    }
    let needed = mf.iter().skip(1).filter(|s| s.name().is_some()).count();
    if covered < needed {
        return Err(SigError::ManifestDigestMismatch(format!(
            "the signature file covers {covered} of the manifest's {needed} sections"
        )));
    }
    Ok(())
}

fn digest_oid(oid: &[u8]) -> Option<Hash> {
    Some(match oid {
        [0x2b, 0x0e, 0x03, 0x02, 0x1a] => Hash::Sha1,
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05] => Hash::Md5,
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n] => match n {
            1 => Hash::Sha256,
            2 => Hash::Sha384,
            3 => Hash::Sha512,
            4 => Hash::Sha224,
            _ => return None,
        },
        _ => return None,
    })
}

/// OID contents of RSASSA-PSS.
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

/// The PKCS#7 block signs the signature file with the signer's certificate.
fn verify_block(block: &[u8], sf: &[u8], now: i64, signer: &mut V1Signer) -> Result<(), SigError> {
    let sd = der::signed_data(block).map_err(|e| SigError::Structure(e.to_string()))?;
    let info = sd.signers.first().ok_or(SigError::NoSigners)?;
    let cert_der = match info.issuer_and_serial {
        Some((issuer, serial)) => sd
            .certificates
            .iter()
            .find(|c| cert::issuer_and_serial(c).is_some_and(|(i, s)| i == issuer && s == serial)),
        None => sd.certificates.first(),
    }
    .ok_or(SigError::NoCertificates)?;
    signer.certificate = Some(Certificate::parse(cert_der, now)?);
    let hash = digest_oid(info.digest_algorithm).ok_or_else(|| {
        SigError::UnsupportedAlgorithm(format!(
            "PKCS#7 digest algorithm {}",
            hex::encode(info.digest_algorithm)
        ))
    })?;
    signer.digest_algorithm = Some(hash);
    let spki = cert::spki_of(cert_der)?;
    let kind = match cert::key_algorithm(&spki) {
        KeyAlgorithm::Rsa if info.signature_algorithm == OID_RSA_PSS => {
            return Err(SigError::UnsupportedAlgorithm(
                "RSASSA-PSS in a JAR signature".into(),
            ))
        }
        KeyAlgorithm::Rsa => SigKind::RsaPkcs1(hash),
        KeyAlgorithm::Ec => SigKind::Ecdsa(hash),
        KeyAlgorithm::Dsa => SigKind::Dsa(hash),
        KeyAlgorithm::Other => {
            return Err(SigError::UnsupportedAlgorithm(
                "signer key of an unknown algorithm".into(),
            ))
        }
    };
    match &info.signed_attrs {
        None => cert::verify(&spki, kind, sf, info.signature),
        Some(attrs) => {
            let md = der::message_digest(attrs)
                .map_err(|e| SigError::Structure(e.to_string()))?
                .ok_or_else(|| {
                    SigError::Structure("signed attributes without a message digest".into())
                })?;
            if md != hash.digest(sf) {
                return Err(SigError::BadSignature(
                    "the signed message digest is not the signature file's".into(),
                ));
            }
            // The signature covers the attributes encoded as a SET, not as [0] IMPLICIT.
            let mut signed = attrs.raw.to_vec();
            if let Some(tag) = signed.first_mut() {
                *tag = der::SET;
            }
            cert::verify(&spki, kind, &signed, info.signature)
        }
    }
}

/// The APK's own entries, read through the container reader (bounded by its limits). A name
/// that occurs twice reads as its first entry, as [`crate::zip::Archive::by_name`] does.
impl Files for crate::zip::Archive<'_> {
    fn names(&self) -> Vec<String> {
        self.entries().iter().map(|e| e.name.clone()).collect()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        self.read_name(name)?
            .ok_or_else(|| crate::ApkError::malformed("zip archive", format!("no entry `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_their_bytes_and_join_continuations() {
        let mf = b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\nName: a/very\r\n long.txt\r\nSHA-256-Digest: AAA=\r\n\r\nName: b\nSHA1-Digest: BBB=\n\n";
        let s = sections(mf);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].raw, b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n");
        assert_eq!(s[1].name().as_deref(), Some("a/verylong.txt"));
        assert_eq!(
            s[1].digests("-Digest"),
            vec![(Some(Hash::Sha256), &b"AAA="[..])]
        );
        assert!(s[1].raw.ends_with(b"AAA=\r\n\r\n"));
        assert_eq!(s[2].digests("-Digest")[0].0, Some(Hash::Sha1));
        assert!(s[2].raw.ends_with(b"\n\n"));
    }

    #[test]
    fn which_entries_need_digests() {
        assert!(needs_digest("classes.dex"));
        assert!(needs_digest("META-INF/services/x"));
        assert!(needs_digest("META-INF/foo.kotlin_module"));
        assert!(!needs_digest("META-INF/CERT.RSA"));
        assert!(!needs_digest("META-INF/MANIFEST.MF"));
        assert!(!needs_digest("res/"));
    }
}
