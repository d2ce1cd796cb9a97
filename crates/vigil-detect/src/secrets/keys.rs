//! Private keys: PEM (PKCS#1, PKCS#8, SEC1, DSA, encrypted PKCS#8) and OpenSSH keys whose body
//! decodes into a key structure, PuTTY key files with their announced private lines, ASCII-armored
//! OpenPGP secret keys whose first packet is a secret-key packet, and Google Cloud service-account
//! key files. Key bodies written inside string literals (`"-----BEGIN ...-----\nMIIE...\n..."` in
//! JSON or JavaScript) are unescaped before they are checked.

use std::borrow::Cow;

use base64::Engine as _;
use regex::bytes::Regex;

use super::rules::{GCP_SA, OPENSSH_KEY, PGP_KEY, PRIVATE_KEY, PUTTY_KEY};
use super::{find, lossy, part, re, Out};
use crate::text::mask;
use crate::{RuleText, Severity};

/// Longest key block considered (a 16384-bit RSA key is about 12 KiB).
const MAX_PEM_BYTES: usize = 64 * 1024;

/// The key patterns.
#[derive(Debug)]
pub(super) struct Keys {
    pem_begin: Regex,
    putty: Regex,
    pgp_begin: Regex,
    gcp_type: Regex,
    gcp_key: Regex,
    gcp_key_id: Regex,
}

impl Keys {
    pub(super) fn new() -> Keys {
        Keys {
            pem_begin: re(
                r"(?-u)-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |ANY )?PRIVATE KEY)-----",
            ),
            putty: re(r"(?-u)PuTTY-User-Key-File-([23]): *([A-Za-z0-9@.\-]{1,64})\r?\n"),
            pgp_begin: re(r"(?-u)-----BEGIN PGP PRIVATE KEY BLOCK-----"),
            gcp_type: re(r#"(?-u)"type"\s*:\s*"service_account""#),
            gcp_key: re(
                r#"(?-u)"private_key"\s*:\s*"(-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[A-Za-z0-9+/=\\\r\n ]{64,16384}-----END [A-Z ]{0,20}PRIVATE KEY-----(?:\\n)?)""#,
            ),
            gcp_key_id: re(r#"(?-u)"private_key_id"\s*:\s*"([0-9a-f]{40})""#),
        }
    }

    pub(super) fn private_keys(&self, data: &[u8], binary: bool, out: &mut Out) {
        for caps in self.pem_begin.captures_iter(data) {
            if out.full() {
                return;
            }
            let (Some(whole), Some(label)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let label = lossy(label.as_bytes());
            let body_start = whole.end();
            let window_end = data.len().min(body_start.saturating_add(MAX_PEM_BYTES));
            let end_marker = format!("-----END {label}-----");
            let Some(rel_end) = find(&data[body_start..window_end], end_marker.as_bytes()) else {
                continue;
            };
            let block = &data[body_start..body_start + rel_end];
            let Some(key) = pem_body(&label, &unescape(block)) else {
                continue;
            };
            let rule = if key.openssh {
                &OPENSSH_KEY
            } else {
                &PRIVATE_KEY
            };
            // Keys inside binaries are often libraries' public self-test vectors (GnuTLS embeds
            // several); they are reported one level lower and said to be embedded.
            let severity = lowered(rule, key.encrypted || binary);
            let evidence = key_evidence(&format!("-----BEGIN {label}-----"), &key, binary);
            let body = trimmed(data, body_start, body_start + rel_end);
            out.push_with(
                rule,
                severity,
                data,
                whole.start(),
                evidence,
                vec![part("key body", body)],
            );
        }
    }

    pub(super) fn putty_keys(&self, data: &[u8], out: &mut Out) {
        for caps in self.putty.captures_iter(data) {
            if out.full() {
                return;
            }
            let (Some(whole), Some(alg)) = (caps.get(0), caps.get(2)) else {
                continue;
            };
            let end = data.len().min(whole.end() + MAX_PEM_BYTES);
            let rest = &data[whole.end()..end];
            let Some(ppk) = putty_body(rest) else {
                continue;
            };
            let severity = lowered(&PUTTY_KEY, ppk.encrypted);
            let evidence = format!(
                "PuTTY-User-Key-File {} ({} private lines{}) {}",
                lossy(alg.as_bytes()),
                ppk.private_lines,
                if ppk.encrypted { ", encrypted" } else { "" },
                mask(&ppk.first_private_line)
            );
            let body = whole.end()..whole.end() + ppk.consumed.min(rest.len());
            out.push_with(
                &PUTTY_KEY,
                severity,
                data,
                whole.start(),
                evidence,
                vec![part("key body", body)],
            );
        }
    }

    pub(super) fn pgp_keys(&self, data: &[u8], out: &mut Out) {
        const END: &[u8] = b"-----END PGP PRIVATE KEY BLOCK-----";
        for m in self.pgp_begin.find_iter(data) {
            if out.full() {
                return;
            }
            let window_end = data.len().min(m.end().saturating_add(MAX_PEM_BYTES));
            let Some(rel_end) = find(&data[m.end()..window_end], END) else {
                continue;
            };
            let block = &data[m.end()..m.end() + rel_end];
            let Some(key) = pgp_body(&unescape(block)) else {
                continue;
            };
            let severity = lowered(&PGP_KEY, key.encrypted);
            let evidence = key_evidence("-----BEGIN PGP PRIVATE KEY BLOCK-----", &key, false);
            let body = trimmed(data, m.end(), m.end() + rel_end);
            out.push_with(
                &PGP_KEY,
                severity,
                data,
                m.start(),
                evidence,
                vec![part("key body", body)],
            );
        }
    }

    pub(super) fn gcp(&self, data: &[u8], out: &mut Out) {
        if !self.gcp_type.is_match(data) {
            return;
        }
        for caps in self.gcp_key.captures_iter(data) {
            let Some(key) = caps.get(1) else { continue };
            let unescaped = lossy(key.as_bytes()).replace("\\n", "\n");
            let Some(begin) = self.pem_begin.captures(unescaped.as_bytes()) else {
                continue;
            };
            let (Some(whole), Some(label)) = (begin.get(0), begin.get(1)) else {
                continue;
            };
            let label = lossy(label.as_bytes());
            let rest = &unescaped.as_bytes()[whole.end()..];
            let Some(end) = find(rest, format!("-----END {label}-----").as_bytes()) else {
                continue;
            };
            if pem_body(&label, &rest[..end]).is_none() {
                continue;
            }
            let key_id = self.gcp_key_id.captures(data).and_then(|c| c.get(1));
            let mut parts = vec![part("private key", key.range())];
            let evidence = match key_id {
                Some(id) => {
                    parts.push(part("private key id", id.range()));
                    format!(
                        "\"type\": \"service_account\", private_key_id {}",
                        mask(&lossy(id.as_bytes()))
                    )
                }
                None => "\"type\": \"service_account\" with a private_key".to_string(),
            };
            out.push(&GCP_SA, data, key.start(), evidence, parts);
            out.cover(key.start(), key.end());
        }
    }
}

/// The rule's severity, or medium for a key that is passphrase-protected or embedded in a
/// binary.
fn lowered(rule: &RuleText, lower: bool) -> Severity {
    if lower {
        Severity::Medium
    } else {
        rule.severity
    }
}

/// `HEADER (N bytes[, passphrase-protected][, embedded in a binary file]) MASKED-FIRST-LINE`.
fn key_evidence(header: &str, key: &KeyBody, binary: bool) -> String {
    format!(
        "{header} ({} bytes{}{}) {}",
        key.decoded_len,
        if key.encrypted {
            ", passphrase-protected"
        } else {
            ""
        },
        if binary {
            ", embedded in a binary file"
        } else {
            ""
        },
        mask(&key.first_line)
    )
}

/// `[start, end)` of `data` without surrounding whitespace.
fn trimmed(data: &[u8], start: usize, end: usize) -> std::ops::Range<usize> {
    let slice = &data[start..end];
    let lead = slice.len() - slice.trim_ascii_start().len();
    let kept = slice.trim_ascii().len();
    start + lead..start + lead + kept
}

/// A key block written inside a string literal, with its escaped line breaks (`\n`, `\r\n`)
/// and slashes (`\/`) made real; other blocks as they are.
fn unescape(block: &[u8]) -> Cow<'_, [u8]> {
    if find(block, b"\\n").is_none() && find(block, b"\\/").is_none() {
        return Cow::Borrowed(block);
    }
    let mut out = Vec::with_capacity(block.len());
    let mut i = 0;
    while i < block.len() {
        match (block[i], block.get(i + 1)) {
            (b'\\', Some(b'n')) => {
                out.push(b'\n');
                i += 2;
            }
            (b'\\', Some(b'r')) => i += 2,
            (b'\\', Some(b'/')) => {
                out.push(b'/');
                i += 2;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The base64 lines of a key body, collected for decoding.
#[derive(Default)]
struct Base64Lines {
    text: String,
    first: String,
}

impl Base64Lines {
    /// Adds a non-empty line of base64 characters; `None` for anything else.
    fn push(&mut self, line: &str) -> Option<()> {
        let ok = !line.is_empty()
            && line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if !ok {
            return None;
        }
        if self.first.is_empty() {
            self.first = line.to_string();
        }
        self.text.push_str(line);
        Some(())
    }

    fn decode(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(self.text.as_bytes())
            .ok()
    }
}

/// What a validated key body looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyBody {
    pub openssh: bool,
    pub encrypted: bool,
    pub decoded_len: usize,
    pub first_line: String,
}

/// Validates the text between a PEM private-key BEGIN line and its END line: optional RFC 1421
/// headers (`Proc-Type`, `DEK-Info`), then base64 that decodes into a DER SEQUENCE (or, for
/// `OPENSSH PRIVATE KEY`, an `openssh-key-v1` blob).
pub(crate) fn pem_body(label: &str, block: &[u8]) -> Option<KeyBody> {
    let text = std::str::from_utf8(block).ok()?;
    let mut encrypted = label.starts_with("ENCRYPTED");
    let mut body = Base64Lines::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED") {
                encrypted = true;
            }
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                continue;
            }
            return None;
        }
        body.push(line)?;
    }
    let decoded = body.decode()?;
    if decoded.len() < 32 {
        return None;
    }
    let openssh = label == "OPENSSH PRIVATE KEY";
    if openssh {
        let cipher = openssh_cipher(&decoded)?;
        encrypted = cipher != "none";
    } else if !encrypted && decoded.first() != Some(&0x30) {
        // Unencrypted PKCS#1 / PKCS#8 / SEC1 / DSA keys are DER SEQUENCEs.
        return None;
    }
    Some(KeyBody {
        openssh,
        encrypted,
        decoded_len: decoded.len(),
        first_line: body.first,
    })
}

/// The cipher name of an `openssh-key-v1` blob.
fn openssh_cipher(blob: &[u8]) -> Option<String> {
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let rest = blob.strip_prefix(MAGIC)?;
    let len_bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    if len > 64 {
        return None;
    }
    let name = rest.get(4..4 + len)?;
    std::str::from_utf8(name).ok().map(str::to_string)
}

/// Validates the text between `-----BEGIN PGP PRIVATE KEY BLOCK-----` and its END line (RFC 4880
/// / RFC 9580 armor): header lines, a blank line, base64 and an optional `=XXXX` checksum line;
/// the data must start with a secret-key packet (tag 5).
pub(crate) fn pgp_body(block: &[u8]) -> Option<KeyBody> {
    let text = std::str::from_utf8(block).ok()?;
    let mut body = Base64Lines::default();
    let mut headers = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            headers = false;
            continue;
        }
        if headers && line.contains(": ") {
            continue;
        }
        headers = false;
        if line.starts_with('=') && line.len() <= 5 {
            break; // The CRC-24 checksum.
        }
        body.push(line)?;
    }
    let decoded = body.decode()?;
    if decoded.len() < 32 {
        return None;
    }
    let encrypted = pgp_secret_key(&decoded)?;
    Some(KeyBody {
        openssh: false,
        encrypted,
        decoded_len: decoded.len(),
        first_line: body.first,
    })
}

/// Whether the OpenPGP data starts with a secret-key packet, and whether its secret material is
/// protected (`Some(true)`); `None` if the first packet is not a secret key. A packet whose
/// public fields cannot be walked is taken as unprotected.
fn pgp_secret_key(data: &[u8]) -> Option<bool> {
    let (&head, rest) = data.split_first()?;
    if head & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if head & 0x40 != 0 {
        // New format: one to five length octets.
        let (len, rest) = match *rest.first()? {
            l @ 0..=191 => (usize::from(l), rest.get(1..)?),
            l @ 192..=223 => {
                let second = *rest.get(1)?;
                (
                    ((usize::from(l) - 192) << 8) + usize::from(second) + 192,
                    rest.get(2..)?,
                )
            }
            255 => {
                let b: [u8; 4] = rest.get(1..5)?.try_into().ok()?;
                (usize::try_from(u32::from_be_bytes(b)).ok()?, rest.get(5..)?)
            }
            _ => (rest.len(), rest), // Partial lengths: take what there is.
        };
        (head & 0x3f, rest.get(..len).unwrap_or(rest))
    } else {
        let (len, rest) = match head & 0x03 {
            0 => (usize::from(*rest.first()?), rest.get(1..)?),
            1 => {
                let b: [u8; 2] = rest.get(..2)?.try_into().ok()?;
                (usize::from(u16::from_be_bytes(b)), rest.get(2..)?)
            }
            2 => {
                let b: [u8; 4] = rest.get(..4)?.try_into().ok()?;
                (usize::try_from(u32::from_be_bytes(b)).ok()?, rest.get(4..)?)
            }
            _ => (rest.len(), rest),
        };
        ((head >> 2) & 0x0f, rest.get(..len).unwrap_or(rest))
    };
    if tag != 5 {
        return None;
    }
    Some(pgp_protected(body).unwrap_or(false))
}

/// The S2K usage octet of a secret-key packet body is non-zero; `None` if the public fields
/// cannot be walked.
fn pgp_protected(body: &[u8]) -> Option<bool> {
    let version = *body.first()?;
    let usage_at = match version {
        4 => {
            let algo = *body.get(5)?;
            6 + public_fields_len(algo, body.get(6..)?)?
        }
        // v3: version, time, validity, algorithm, RSA MPIs.
        3 => 8 + public_fields_len(1, body.get(8..)?)?,
        // v5 and v6 give the public key material's length.
        5 | 6 => {
            let len: [u8; 4] = body.get(6..10)?.try_into().ok()?;
            10 + usize::try_from(u32::from_be_bytes(len)).ok()?
        }
        _ => return None,
    };
    Some(*body.get(usage_at)? != 0)
}

/// Length of the public key fields of an algorithm (RFC 9580 §5.5.5).
fn public_fields_len(algo: u8, fields: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    let mpi = |at: &mut usize| -> Option<()> {
        let bits: [u8; 2] = fields.get(*at..*at + 2)?.try_into().ok()?;
        *at += 2 + usize::from(u16::from_be_bytes(bits)).div_ceil(8);
        fields.get(..*at).map(|_| ())
    };
    let oid = |at: &mut usize| -> Option<()> {
        *at += 1 + usize::from(*fields.get(*at)?);
        fields.get(..*at).map(|_| ())
    };
    match algo {
        1..=3 => (0..2).try_for_each(|_| mpi(&mut at))?,
        16 | 20 => (0..3).try_for_each(|_| mpi(&mut at))?,
        17 => (0..4).try_for_each(|_| mpi(&mut at))?,
        19 | 22 => {
            oid(&mut at)?;
            mpi(&mut at)?;
        }
        18 => {
            oid(&mut at)?;
            mpi(&mut at)?;
            oid(&mut at)?; // KDF parameters: a length octet and the fields.
        }
        25 => at = 32,
        26 => at = 56,
        27 => at = 32,
        28 => at = 57,
        _ => return None,
    }
    Some(at)
}

/// What a validated PuTTY key body looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PuttyBody {
    pub encrypted: bool,
    pub private_lines: usize,
    pub first_private_line: String,
    /// Bytes of the text read up to the last private line.
    pub consumed: usize,
}

/// Validates the lines after `PuTTY-User-Key-File-N: alg`: `Encryption`, then `Private-Lines: N`
/// followed by N base64 lines.
pub(crate) fn putty_body(rest: &[u8]) -> Option<PuttyBody> {
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split_inclusive('\n');
    let mut consumed = 0usize;
    let mut next = |consumed: &mut usize| {
        lines.next().map(|l| {
            *consumed += l.len();
            l.trim_end_matches(['\n', '\r'])
        })
    };
    let mut encrypted = None;
    let mut seen = 0;
    while let Some(line) = next(&mut consumed) {
        seen += 1;
        if seen > 200 {
            return None;
        }
        if let Some(v) = line.strip_prefix("Encryption:") {
            encrypted = Some(v.trim() != "none");
        } else if let Some(v) = line.strip_prefix("Private-Lines:") {
            let n: usize = v.trim().parse().ok()?;
            if n == 0 || n > 1000 {
                return None;
            }
            let mut body = Base64Lines::default();
            for _ in 0..n {
                body.push(next(&mut consumed)?.trim())?;
            }
            if body.decode()?.len() < 16 {
                return None;
            }
            return Some(PuttyBody {
                encrypted: encrypted?,
                private_lines: n,
                first_private_line: body.first,
                consumed,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escaped_blocks_are_unescaped() {
        assert_eq!(&*unescape(b"\\nMIIE\\r\\nAB\\/C\\n"), b"\nMIIE\nAB/C\n");
        assert!(matches!(unescape(b"\nMIIE\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn pgp_packets() {
        // Old-format secret-key packet, v4 EdDSA, unprotected; and the same with S2K usage 254.
        let mut p = vec![0x94, 0x00, 4, 0, 0, 0, 0, 22, 3, 1, 2, 3, 0, 8, 0x40];
        p.push(0);
        p[1] = u8::try_from(p.len() - 2).unwrap_or(0);
        assert_eq!(pgp_secret_key(&p), Some(false));
        let last = p.len() - 1;
        p[last] = 254;
        assert_eq!(pgp_secret_key(&p), Some(true));
        // A public-key packet (tag 6) is not a secret key.
        p[0] = 0x98;
        assert_eq!(pgp_secret_key(&p), None);
        // New format, tag 5, walk failing: unprotected.
        assert_eq!(pgp_secret_key(&[0xc5, 2, 9, 9]), Some(false));
    }

    proptest! {
        #[test]
        fn key_body_validators_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), label in "(RSA |OPENSSH |ENCRYPTED |)PRIVATE KEY") {
            let _ = pem_body(&label, &data);
            let _ = putty_body(&data);
            let _ = openssh_cipher(&data);
            let _ = pgp_body(&data);
            let _ = pgp_secret_key(&data);
            let _ = unescape(&data);
        }
    }
}
