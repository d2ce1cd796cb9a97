//! APK signatures on real packages signed by apksigner (v1, v2, v3 and their mixes), compared
//! with `apksigner verify --verbose --print-certs`, and tampered copies (an entry's byte, the
//! signing block removed, a signature byte) that must fail for the right reason.

use std::path::Path;
use std::process::Command;

use vigil_engine_apk::sig::{self, block, Files, Hash, SigError, Signatures};
use vigil_engine_apk::{ApkError, Result};

use crate::support::apk::{build, manifest, App, Signing};

/// The archive's files read with Info-ZIP's `unzip`.
pub struct Unzip<'a>(pub &'a Path);

impl Files for Unzip<'_> {
    fn names(&self) -> Vec<String> {
        let out = Command::new("unzip")
            .arg("-Z1")
            .arg(self.0)
            .output()
            .expect("unzip");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        // `-p` still writes an entry whose CRC is wrong (a tampered one), then fails.
        let out = Command::new("unzip")
            .arg("-p")
            .arg(self.0)
            .arg(name)
            .output()?;
        if out.stdout.is_empty() && !out.status.success() {
            return Err(ApkError::malformed("zip entry", format!("no {name}")));
        }
        Ok(out.stdout)
    }
}

/// A known "now" (2026-01-01) for the expiry flag.
const NOW: i64 = 1_767_225_600;

fn verify_file(path: &Path) -> Signatures {
    let data = std::fs::read(path).unwrap();
    let by_unzip = sig::verify(&data, Some(&Unzip(path)), NOW);
    // The engine reads the entries through its own container reader: the same verdict.
    let archive = vigil_engine_apk::zip::Archive::new(&data, &Default::default()).unwrap();
    assert_eq!(
        format!("{:?}", sig::verify(&data, Some(&archive), NOW)),
        format!("{by_unzip:?}"),
        "{}",
        path.display()
    );
    by_unzip
}

/// What `apksigner verify` says: (verifies, schemes verified [v1, v2, v3], DN, SHA-256).
#[derive(Debug, PartialEq)]
struct Apksigner {
    verifies: bool,
    schemes: [bool; 3],
    dn: Option<String>,
    sha256: Option<String>,
}

/// `apksigner verify` for devices from `min_sdk` on (a v2/v3-only APK does not verify on the
/// older ones its manifest allows).
fn apksigner(path: &Path, min_sdk: u32) -> Apksigner {
    let out = Command::new("apksigner")
        .args(["verify", "--verbose", "--print-certs", "--min-sdk-version"])
        .arg(min_sdk.to_string())
        .arg(path)
        .output()
        .expect("apksigner");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
    };
    let scheme = |n: u32| {
        text.lines()
            .any(|l| l.starts_with(&format!("Verified using v{n} scheme")) && l.ends_with("true"))
    };
    Apksigner {
        verifies: out.status.success() && text.starts_with("Verifies"),
        schemes: [scheme(1), scheme(2), scheme(3)],
        dn: field("Signer #1 certificate DN:"),
        sha256: field("Signer #1 certificate SHA-256 digest:"),
    }
}

/// What Vigil says, in apksigner's terms.
fn vigil(s: &Signatures) -> Apksigner {
    let ok = |r: Option<bool>| r.unwrap_or(false);
    let first = s.certificates.first();
    Apksigner {
        verifies: s.all_verified(),
        schemes: [
            ok(s.v1.as_ref().map(|v| v.status.is_verified())),
            ok(s.v2.as_ref().map(|v| v.status.is_verified())),
            ok(s.v3.as_ref().map(|v| v.status.is_verified())),
        ],
        dn: first.map(|c| c.subject.clone()),
        sha256: first.map(|c| c.sha256.clone()),
    }
}

fn app(signing: Option<Signing>, min_sdk: u32) -> App {
    let mut app = App::new(&manifest("com.example.sig", "", ""));
    app.signing = signing;
    app.min_sdk = min_sdk;
    // Random bytes do not deflate, so aapt stores them and a test can change them in place.
    let mut payload = b"VIGIL-PAYLOAD-".to_vec();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..512 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        payload.push((x >> 16) as u8);
    }
    app.files = vec![("assets/payload.bin".into(), payload)];
    app
}

fn signing(v1: bool, v2: bool, v3: bool) -> Option<Signing> {
    Some(Signing { v1, v2, v3 })
}

/// The digest algorithms named in the APK's JAR manifest.
fn manifest_algorithms(path: &Path) -> Vec<Hash> {
    let mf = Unzip(path).read("META-INF/MANIFEST.MF").unwrap();
    let text = String::from_utf8_lossy(&mf);
    let mut out = Vec::new();
    for (name, h) in [
        ("SHA1-Digest:", Hash::Sha1),
        ("SHA-256-Digest:", Hash::Sha256),
    ] {
        if text.contains(name) {
            out.push(h);
        }
    }
    out
}

#[test]
fn signed_apks_verify_as_apksigner_says() {
    let cases = [
        ("v1", signing(true, false, false), 19),
        ("v1-sdk24", signing(true, false, false), 24),
        ("v1-sdk9", signing(true, false, false), 9),
        ("v2", signing(false, true, false), 24),
        ("v1v2", signing(true, true, false), 19),
        ("v3", signing(false, false, true), 28),
        ("v1v2v3", signing(true, true, true), 19),
    ];
    for (tag, signing, min_sdk) in cases {
        let path = build(&format!("sig-{tag}"), &app(signing, min_sdk));
        let s = verify_file(&path);
        let reference = apksigner(&path, min_sdk);
        assert!(reference.verifies, "{tag}: {reference:?}");
        assert_eq!(vigil(&s), reference, "{tag}: {s:#?}");
        assert_eq!(s.certificates.len(), 1, "{tag}");
        let c = &s.certificates[0];
        assert_eq!(c.subject, "CN=Vigil Test, O=Vigil");
        assert_eq!(c.issuer, c.subject);
        assert_eq!(c.key_bits, 2048);
        assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
        assert!(!c.flags.debug && !c.flags.weak_signature_algorithm && !c.flags.expired);
        assert!(c.not_after > c.not_before);
        assert_eq!(
            s.v1_only(),
            tag.starts_with("v1") && !tag.contains("v2"),
            "{tag}"
        );
        if let Some(v1) = &s.v1 {
            assert_eq!(
                v1.entry_digest_algorithms,
                manifest_algorithms(&path),
                "{tag}"
            );
            assert!(v1.entries_checked >= 3, "{tag}: {v1:?}");
            assert_eq!(v1.signers.len(), 1);
            assert!(v1.signers[0].block_file.as_deref() == Some("META-INF/TEST.RSA"));
        }
        if let Some(v3) = &s.v3 {
            let signer = &v3.signers[0];
            // apksigner's v3 signer covers API 24 (the first with v2) and up, whatever the
            // APK's own minimum.
            assert_eq!(signer.min_sdk, Some(24), "{tag}");
            assert_eq!(signer.max_sdk, Some(i32::MAX as u32), "{tag}");
        }
        // Every signing block apksigner writes is padded to 4 KiB.
        if s.v2.is_some() || s.v3.is_some() {
            assert!(
                s.other_blocks.iter().any(|b| b.name == Some("padding")),
                "{s:?}"
            );
        }
    }
}

#[test]
fn v1_digest_algorithms_follow_the_min_sdk() {
    let old = build("sig-v1-old", &app(signing(true, false, false), 9));
    let new = build("sig-v1-new", &app(signing(true, false, false), 24));
    let (old, new) = (verify_file(&old), verify_file(&new));
    let algs = |s: &Signatures| s.v1.as_ref().unwrap().entry_digest_algorithms.clone();
    assert_eq!(algs(&old), vec![Hash::Sha1], "{old:?}");
    assert_eq!(algs(&new), vec![Hash::Sha256], "{new:?}");
    let pkcs7 = |s: &Signatures| s.v1.as_ref().unwrap().signers[0].digest_algorithm;
    assert_eq!(pkcs7(&old), Some(Hash::Sha1));
    assert_eq!(pkcs7(&new), Some(Hash::Sha256));
}

#[test]
fn an_unsigned_apk_has_no_signatures() {
    let path = build("sig-unsigned", &app(None, 19));
    let s = verify_file(&path);
    assert!(!s.is_signed() && !s.all_verified(), "{s:?}");
    assert!(s.errors.is_empty() && s.certificates.is_empty() && s.other_blocks.is_empty());
}

/// Where the payload's bytes are in the file.
fn payload_at(data: &[u8]) -> usize {
    data.windows(14)
        .position(|w| w == b"VIGIL-PAYLOAD-")
        .expect("stored payload")
}

fn write_copy(path: &Path, tag: &str, data: &[u8]) -> std::path::PathBuf {
    let out = path.with_file_name(format!("{tag}.apk"));
    std::fs::write(&out, data).unwrap();
    out
}

/// A copy of the APK at `path` with the byte at `at(data)` flipped, and what Vigil says of it.
fn flipped(path: &Path, at: impl Fn(&[u8]) -> usize) -> (std::path::PathBuf, Signatures) {
    let mut data = std::fs::read(path).unwrap();
    let i = at(&data);
    data[i] ^= 0x01;
    let bad = write_copy(path, "flipped", &data);
    let s = verify_file(&bad);
    (bad, s)
}

#[test]
fn a_changed_entry_fails_v1_and_v2() {
    let path = build("sig-tamper-entry", &app(signing(true, true, false), 19));
    let (bad, s) = flipped(&path, |d| payload_at(d) + 20);
    let v2 = s.v2.as_ref().unwrap();
    assert!(
        matches!(v2.status.error(), Some(SigError::ContentDigestMismatch(_))),
        "{v2:?}"
    );
    let v1 = s.v1.as_ref().unwrap();
    assert_eq!(
        v1.status.error(),
        Some(&SigError::EntryDigestMismatch {
            entry: "assets/payload.bin".into(),
            algorithm: "SHA-256"
        }),
        "{v1:?}"
    );
    // The signatures themselves still verify: the signers are fine, the content is not.
    assert!(v1.signers[0].status.is_verified());
    assert!(!apksigner(&bad, 19).verifies);
}

#[test]
fn a_removed_signing_block_is_noticed() {
    let path = build("sig-strip", &app(signing(true, true, false), 19));
    let data = std::fs::read(&path).unwrap();
    let b = block::find(&data).unwrap().unwrap();
    let mut stripped = data[..b.offset].to_vec();
    stripped.extend(&data[b.cd_offset..]);
    // The end record's CD offset now points where the block was.
    let eocd = stripped.len() - 22;
    stripped[eocd + 16..eocd + 20].copy_from_slice(&(b.offset as u32).to_le_bytes());
    let bad = write_copy(&path, "stripped", &stripped);
    let s = verify_file(&bad);
    assert!(s.v2.is_none() && s.errors.is_empty(), "{s:?}");
    let v1 = s.v1.as_ref().unwrap();
    assert_eq!(v1.apk_signed_schemes, vec![2]);
    assert!(
        matches!(v1.status.error(), Some(SigError::Stripped(_))),
        "{v1:?}"
    );
    assert!(!s.all_verified());
    assert!(!apksigner(&bad, 19).verifies);
}

/// Offset in the file of the first v2 signature's bytes.
fn v2_signature_at(data: &[u8]) -> usize {
    let b = block::find(data).unwrap().unwrap();
    let value = b.get(block::V2_ID).unwrap();
    let base = value.as_ptr() as usize - data.as_ptr() as usize;
    let u32_at = |at: usize| u32::from_le_bytes(value[at..at + 4].try_into().unwrap()) as usize;
    // signers length, signer length, signed data (length-prefixed)
    let signed_len = u32_at(8);
    let sigs = 12 + signed_len;
    // signatures length, signature length, algorithm, signature bytes length
    base + sigs + 16
}

#[test]
fn a_changed_signature_fails_v2() {
    let path = build("sig-badsig", &app(signing(false, true, false), 24));
    let (bad, s) = flipped(&path, |d| v2_signature_at(d) + 10);
    let v2 = s.v2.as_ref().unwrap();
    assert!(
        matches!(v2.status.error(), Some(SigError::BadSignature(_))),
        "{v2:?}"
    );
    assert!(s.v1.is_none());
    assert!(!apksigner(&bad, 24).verifies);
}

#[test]
fn a_changed_jar_signature_fails_v1() {
    let path = build("sig-badv1", &app(signing(true, false, false), 24));
    let files = Unzip(&path);
    let mut rsa = files.read("META-INF/TEST.RSA").unwrap();
    // The RSA signature is the block's last 256 bytes.
    let at = rsa.len() - 100;
    rsa[at] ^= 0x01;
    let data = std::fs::read(&path).unwrap();
    let s = sig::verify(
        &data,
        Some(&Patched(Unzip(&path), vec![("META-INF/TEST.RSA", rsa)])),
        NOW,
    );
    let v1 = s.v1.as_ref().unwrap();
    assert!(
        matches!(v1.status.error(), Some(SigError::BadSignature(_))),
        "{v1:?}"
    );
}

/// Sign the unsigned APK `app` builds with a new key made by `keytool` with `key_args`, for
/// schemes v1 and v2.
fn sign_with(tag: &str, key_args: &[&str]) -> std::path::PathBuf {
    let unsigned = build(tag, &app(None, 19));
    let dir = unsigned.parent().unwrap();
    let ks = dir.join("other.jks");
    let status = Command::new("keytool")
        .args(["-genkeypair", "-keystore"])
        .arg(&ks)
        .args([
            "-storepass",
            "vigil-test",
            "-keypass",
            "vigil-test",
            "-alias",
            "k",
        ])
        .args(key_args)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let out = dir.join("signed.apk");
    let status = Command::new("apksigner")
        .args(["sign", "--ks"])
        .arg(&ks)
        .args(["--ks-pass", "pass:vigil-test", "--min-sdk-version", "19"])
        .args([
            "--v1-signing-enabled",
            "true",
            "--v2-signing-enabled",
            "true",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&unsigned)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    out
}

#[test]
fn ecdsa_signers_and_the_flags_of_a_debug_certificate() {
    // An expired SHA-1 signed P-256 "Android Debug" certificate.
    let path = sign_with(
        "sig-ec-debug",
        &[
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-sigalg",
            "SHA1withECDSA",
            "-startdate",
            "2001/01/01",
            "-validity",
            "30",
            "-dname",
            "CN=Android Debug, O=Android, C=US",
        ],
    );
    let s = verify_file(&path);
    assert_eq!(vigil(&s), apksigner(&path, 19), "{s:?}");
    assert!(s.all_verified() && s.debug_signed(), "{s:?}");
    let c = &s.certificates[0];
    assert_eq!(c.subject, "CN=Android Debug, O=Android, C=US");
    assert_eq!((c.key_algorithm, c.key_bits), (sig::KeyAlgorithm::Ec, 256));
    assert_eq!(c.curve.as_deref(), Some("P-256"));
    assert_eq!(c.signature_algorithm, "ecdsa-with-SHA1");
    assert!(c.flags.debug && c.flags.weak_signature_algorithm && c.flags.expired);
    let v2 = &s.v2.as_ref().unwrap().signers[0];
    assert_eq!(v2.signature_algorithms, vec![sig::Algorithm::EcdsaSha256]);

    // P-384 keys sign with ECDSA over SHA-512 (0x0202), content digests are SHA-512 chunked.
    let path = sign_with(
        "sig-ec-384",
        &[
            "-keyalg",
            "EC",
            "-groupname",
            "secp384r1",
            "-validity",
            "1000",
            "-dname",
            "CN=Vigil P-384",
        ],
    );
    let s = verify_file(&path);
    assert_eq!(vigil(&s), apksigner(&path, 19), "{s:?}");
    assert!(s.all_verified(), "{s:?}");
    let c = &s.certificates[0];
    assert_eq!((c.key_bits, c.flags), (384, sig::CertFlags::default()));
    let v2 = &s.v2.as_ref().unwrap().signers[0];
    assert_eq!(v2.signature_algorithms, vec![sig::Algorithm::EcdsaSha512]);
}

/// The files of `path` with some of them replaced.
struct Patched<'a>(Unzip<'a>, Vec<(&'static str, Vec<u8>)>);

impl Files for Patched<'_> {
    fn names(&self) -> Vec<String> {
        self.0.names()
    }
    fn read(&self, name: &str) -> Result<Vec<u8>> {
        match self.1.iter().find(|(n, _)| *n == name) {
            Some((_, data)) => Ok(data.clone()),
            None => self.0.read(name),
        }
    }
}

#[test]
fn a_changed_manifest_fails_v1_section_by_section() {
    let path = build("sig-mf", &app(signing(true, false, false), 24));
    let data = std::fs::read(&path).unwrap();
    let mf = Unzip(&path).read("META-INF/MANIFEST.MF").unwrap();
    let verify_with = |mf: Vec<u8>| {
        let files = Patched(Unzip(&path), vec![("META-INF/MANIFEST.MF", mf)]);
        sig::verify(&data, Some(&files), NOW).v1.unwrap()
    };
    // A section the signature file does not cover: the whole-manifest digest no longer
    // matches and the per-section digests do not cover it.
    let mut extra = mf.clone();
    extra.extend(b"Name: extra.txt\r\nSHA-256-Digest: AAAA\r\n\r\n");
    let v1 = verify_with(extra);
    assert!(
        matches!(v1.status.error(), Some(SigError::ManifestDigestMismatch(_))),
        "{v1:?}"
    );
    // A changed digest of one section.
    let text = String::from_utf8(mf).unwrap();
    let at = text.find("Name: classes.dex").unwrap();
    let digest_at = at + text[at..].find("Digest: ").unwrap() + 8;
    let mut changed = text.into_bytes();
    changed[digest_at] = if changed[digest_at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let v1 = verify_with(changed);
    assert_eq!(
        v1.status.error(),
        Some(&SigError::ManifestDigestMismatch(
            "section classes.dex".into()
        )),
        "{v1:?}"
    );
}

#[test]
fn a_removed_v3_block_fails_v2_stripping_protection() {
    let path = build("sig-strip-v3", &app(signing(false, true, true), 24));
    let data = std::fs::read(&path).unwrap();
    let b = block::find(&data).unwrap().unwrap();
    // Rename the v3 pair's ID: the block keeps its size, v3 is gone.
    let v3 = b.get(block::V3_ID).unwrap();
    let id_at = v3.as_ptr() as usize - data.as_ptr() as usize - 4;
    let mut bad = data.clone();
    bad[id_at..id_at + 4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let s = sig::verify(&bad, None, NOW);
    assert!(s.v3.is_none());
    assert!(
        s.other_blocks
            .iter()
            .any(|o| o.id == 0x1234_5678 && o.name.is_none()),
        "{s:?}"
    );
    let v2 = s.v2.as_ref().unwrap();
    assert!(
        matches!(v2.status.error(), Some(SigError::Stripped(_))),
        "{v2:?}"
    );
    let bad = write_copy(&path, "no-v3", &bad);
    assert!(!apksigner(&bad, 24).verifies);
}
