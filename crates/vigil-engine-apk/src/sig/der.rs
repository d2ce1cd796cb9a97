//! A small DER reader for the PKCS#7 SignedData of JAR signature block files (`.RSA`, `.EC`,
//! `.DSA`): tag-length-value elements with definite lengths (what apksigner and jarsigner
//! write), and the SignedData fields the v1 verification needs: the certificates and each
//! SignerInfo (issuer and serial, digest algorithm, signed attributes, signature algorithm,
//! signature). Certificates themselves are parsed by `x509-parser`.

use crate::error::{ApkError, Result};

const WHAT: &str = "PKCS#7 signature block";

/// Tag of SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// Tag of SET.
pub const SET: u8 = 0x31;
/// Tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Tag of INTEGER.
pub const INTEGER: u8 = 0x02;
/// Tag of OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;

/// OID 1.2.840.113549.1.7.2 (signedData), content bytes.
pub const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// OID 1.2.840.113549.1.9.4 (messageDigest attribute).
pub const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// Its tag byte.
    pub tag: u8,
    /// Its contents.
    pub body: &'a [u8],
    /// The whole element, tag and length included.
    pub raw: &'a [u8],
}

/// A cursor over consecutive DER elements.
#[derive(Debug, Clone)]
pub struct Der<'a> {
    data: &'a [u8],
}

impl<'a> Der<'a> {
    /// Elements of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Der { data }
    }

    /// Whether all elements were read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next element's tag, without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next element.
    pub fn next(&mut self) -> Result<Tlv<'a>> {
        let trunc = || ApkError::Truncated {
            what: WHAT,
            offset: 0,
        };
        let tag = *self.data.first().ok_or_else(trunc)?;
        if tag & 0x1f == 0x1f {
            return Err(ApkError::Unsupported {
                what: WHAT,
                why: "high tag numbers".into(),
            });
        }
        let first = *self.data.get(1).ok_or_else(trunc)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(ApkError::Unsupported {
                    what: WHAT,
                    why: "indefinite lengths".into(),
                });
            }
            if n > 4 {
                return Err(ApkError::malformed(WHAT, format!("{n}-byte length")));
            }
            let bytes = self.data.get(2..2 + n).ok_or_else(trunc)?;
            let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (len, 2 + n)
        };
        let end = header
            .checked_add(len)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(trunc)?;
        let raw = self.data.get(..end).ok_or_else(trunc)?;
        let body = raw.get(header..).ok_or_else(trunc)?;
        self.data = self.data.get(end..).unwrap_or_default();
        Ok(Tlv { tag, body, raw })
    }

    /// The next element, which must have this tag.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>> {
        let t = self.next()?;
        if t.tag != tag {
            return Err(ApkError::malformed(
                WHAT,
                format!("{what}: tag {:#04x} where {tag:#04x} was expected", t.tag),
            ));
        }
        Ok(t)
    }

    /// The next element if it has this tag.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// An AlgorithmIdentifier's OID contents.
pub fn algorithm_oid<'a>(alg: &Tlv<'a>) -> Result<&'a [u8]> {
    Ok(Der::new(alg.body).expect(OID, "algorithm")?.body)
}

/// A SignerInfo of a SignedData.
#[derive(Debug, Clone)]
pub struct SignerInfo<'a> {
    /// Issuer name (raw DER) and serial (INTEGER contents), if the signer is named that way.
    pub issuer_and_serial: Option<(&'a [u8], &'a [u8])>,
    /// OID contents of the digest algorithm.
    pub digest_algorithm: &'a [u8],
    /// The signed attributes element (`[0] IMPLICIT SET OF Attribute`), if any.
    pub signed_attrs: Option<Tlv<'a>>,
    /// OID contents of the signature algorithm.
    pub signature_algorithm: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
}

/// The parts of a PKCS#7 SignedData the v1 verification needs.
#[derive(Debug, Clone)]
pub struct SignedData<'a> {
    /// Certificates, DER.
    pub certificates: Vec<&'a [u8]>,
    /// The signers.
    pub signers: Vec<SignerInfo<'a>>,
}

/// Most certificates or signers read from one signature block.
const MAX_ITEMS: usize = 64;

/// Read a ContentInfo holding a SignedData.
pub fn signed_data(data: &[u8]) -> Result<SignedData<'_>> {
    let ci = Der::new(data).expect(SEQUENCE, "ContentInfo")?;
    let mut ci = Der::new(ci.body);
    if ci.expect(OID, "contentType")?.body != OID_SIGNED_DATA {
        return Err(ApkError::malformed(WHAT, "content is not SignedData"));
    }
    let explicit = ci.expect(0xa0, "content")?;
    let sd = Der::new(explicit.body).expect(SEQUENCE, "SignedData")?;
    let mut sd = Der::new(sd.body);
    sd.expect(INTEGER, "version")?;
    sd.expect(SET, "digestAlgorithms")?;
    sd.expect(SEQUENCE, "encapContentInfo")?;
    let mut certificates = Vec::new();
    if let Some(certs) = sd.optional(0xa0)? {
        let mut c = Der::new(certs.body);
        while !c.is_empty() {
            let cert = c.next()?;
            if cert.tag == SEQUENCE && certificates.len() < MAX_ITEMS {
                certificates.push(cert.raw);
            }
        }
    }
    sd.optional(0xa1)?;
    let infos = sd.expect(SET, "signerInfos")?;
    let mut signers = Vec::new();
    let mut infos = Der::new(infos.body);
    while !infos.is_empty() && signers.len() < MAX_ITEMS {
        signers.push(signer_info(infos.expect(SEQUENCE, "SignerInfo")?.body)?);
    }
    Ok(SignedData {
        certificates,
        signers,
    })
}

fn signer_info(body: &[u8]) -> Result<SignerInfo<'_>> {
    let mut d = Der::new(body);
    d.expect(INTEGER, "SignerInfo version")?;
    let sid = d.next()?;
    let issuer_and_serial = if sid.tag == SEQUENCE {
        let mut s = Der::new(sid.body);
        let issuer = s.expect(SEQUENCE, "issuer")?.raw;
        let serial = s.expect(INTEGER, "serialNumber")?.body;
        Some((issuer, serial))
    } else {
        None
    };
    let digest_algorithm = algorithm_oid(&d.expect(SEQUENCE, "digestAlgorithm")?)?;
    let signed_attrs = d.optional(0xa0)?;
    let signature_algorithm = algorithm_oid(&d.expect(SEQUENCE, "signatureAlgorithm")?)?;
    let signature = d.expect(OCTET_STRING, "signature")?.body;
    Ok(SignerInfo {
        issuer_and_serial,
        digest_algorithm,
        signed_attrs,
        signature_algorithm,
        signature,
    })
}

/// The value of the messageDigest attribute among signed attributes.
pub fn message_digest<'a>(attrs: &Tlv<'a>) -> Result<Option<&'a [u8]>> {
    let mut a = Der::new(attrs.body);
    while !a.is_empty() {
        let attr = a.expect(SEQUENCE, "Attribute")?;
        let mut f = Der::new(attr.body);
        let oid = f.expect(OID, "attribute type")?.body;
        if oid == OID_MESSAGE_DIGEST {
            let values = f.expect(SET, "attribute values")?;
            return Ok(Some(
                Der::new(values.body)
                    .expect(OCTET_STRING, "messageDigest")?
                    .body,
            ));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_and_refuses_bad_lengths() {
        let mut d = Der::new(&[0x30, 0x03, 0x02, 0x01, 0x05, 0x04, 0x00]);
        let s = d.next().unwrap();
        assert_eq!((s.tag, s.body.len(), s.raw.len()), (0x30, 3, 5));
        assert_eq!(d.next().unwrap().body, b"");
        assert!(d.is_empty());
        assert!(Der::new(&[0x30, 0x05, 0x00]).next().is_err());
        assert!(Der::new(&[0x30, 0x80]).next().is_err());
        assert!(Der::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).next().is_err());
        assert!(Der::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
            .next()
            .is_err());
        assert!(signed_data(&[0x30, 0x00]).is_err());
    }
}
