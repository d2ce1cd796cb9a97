//! Content decoding of response bodies (`Content-Encoding: gzip`, `x-gzip`, `deflate`, in
//! any stack), bounded: no more than the body cap is ever inflated, so a decompression bomb
//! costs at most that much memory. A body that cannot be decoded is kept as received and
//! flagged; a truncated body is decoded as far as it goes.

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use std::io::Read;

/// A decoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The body (decoded when possible).
    pub body: Vec<u8>,
    /// Incomplete: cut at the cap, or decoded from an incomplete body.
    pub truncated: bool,
    /// Kept as received although a content coding was named (unknown or undecodable).
    pub undecoded: bool,
}

/// Decode `raw` by the `Content-Encoding` header values (codings applied in order, so
/// undone in reverse); `raw_truncated` says the received body is already incomplete. At
/// most `cap` bytes come out.
pub(crate) fn decode(raw: Vec<u8>, encodings: &[&str], raw_truncated: bool, cap: usize) -> Decoded {
    let codings: Vec<String> = encodings
        .iter()
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let supported = |c: &str| matches!(c, "gzip" | "x-gzip" | "deflate");
    if codings.is_empty() || !codings.iter().all(|c| supported(c)) {
        return Decoded {
            undecoded: !codings.is_empty(),
            body: raw,
            truncated: raw_truncated,
        };
    }
    let mut body = raw.clone();
    let mut truncated = raw_truncated;
    for coding in codings.iter().rev() {
        let (out, complete, over) = match coding.as_str() {
            "deflate" => {
                let zlib = inflate(ZlibDecoder::new(body.as_slice()), cap);
                if zlib.1 || !zlib.0.is_empty() {
                    zlib
                } else {
                    // Servers often send raw deflate under this name.
                    inflate(DeflateDecoder::new(body.as_slice()), cap)
                }
            }
            _ => inflate(MultiGzDecoder::new(body.as_slice()), cap),
        };
        // A failure is tolerated only where the input was already cut short.
        let salvaged = truncated && !out.is_empty();
        if !complete && !over && !salvaged {
            return Decoded {
                body: raw,
                truncated: raw_truncated,
                undecoded: true,
            };
        }
        truncated |= over || !complete;
        body = out;
    }
    Decoded {
        body,
        truncated,
        undecoded: false,
    }
}

/// Read a decoder to its end or to `cap` bytes: (output, ended cleanly, went over the cap).
fn inflate<R: Read>(mut r: R, cap: usize) -> (Vec<u8>, bool, bool) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, true, false),
            Ok(n) => {
                let room = cap.saturating_sub(out.len());
                out.extend_from_slice(&buf[..n.min(room)]);
                if n > room {
                    return (out, false, true);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return (out, false, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_stacks_and_bounds_output() {
        let d = decode(gz(b"hello"), &["gzip"], false, 100);
        assert_eq!(
            (d.body.as_slice(), d.truncated, d.undecoded),
            (&b"hello"[..], false, false)
        );
        let d = decode(gz(&gz(b"twice")), &["x-gzip, gzip"], false, 100);
        assert_eq!(d.body, b"twice");
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(b"zlib").unwrap();
        assert_eq!(
            decode(z.finish().unwrap(), &["deflate"], false, 100).body,
            b"zlib"
        );
        let mut r = DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(b"raw deflate").unwrap();
        assert_eq!(
            decode(r.finish().unwrap(), &["Deflate"], false, 100).body,
            b"raw deflate"
        );
        // A bomb: 10 MB of zeros inflate to the cap only.
        let bomb = gz(&vec![0u8; 10_000_000]);
        let d = decode(bomb, &["gzip"], false, 1000);
        assert_eq!((d.body.len(), d.truncated), (1000, true));
        // Undecodable or unknown: kept raw, flagged.
        let d = decode(b"not gzip".to_vec(), &["gzip"], false, 100);
        assert_eq!((d.body.as_slice(), d.undecoded), (&b"not gzip"[..], true));
        let d = decode(b"brotli?".to_vec(), &["br"], false, 100);
        assert_eq!((d.body.as_slice(), d.undecoded), (&b"brotli?"[..], true));
        let d = decode(b"plain".to_vec(), &["identity"], false, 100);
        assert_eq!((d.body.as_slice(), d.undecoded), (&b"plain"[..], false));
        // A truncated gzip body decodes as far as it goes.
        let full = gz(&vec![b'a'; 100_000]);
        let d = decode(full[..full.len() / 2].to_vec(), &["gzip"], true, 1_000_000);
        assert!(d.truncated && !d.undecoded && !d.body.is_empty());
    }
}
