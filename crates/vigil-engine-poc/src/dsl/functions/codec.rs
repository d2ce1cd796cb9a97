//! Encoding, hashing and compression helpers: base64 (also Python's 76-column form), URL and
//! hex and HTML encodings, md5/sha*/hmac, the signed 32-bit murmur3 nuclei uses for favicon
//! hashes, and gzip/zlib/deflate with a bound on decompressed size.

use std::io::{Read, Write};

use base64::Engine as _;
use regex::bytes::Regex;
use sha2::Digest;

use super::{bytes_of, int_arg, too_large};
use crate::dsl::value::Value;
use crate::dsl::MAX_VALUE_LEN;

type R = Result<Value, String>;

pub fn base64(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(bytes_of(&a[0])),
    ))
}

/// Python's `base64.encodebytes`: lines of 76 characters, each ending in a newline.
pub fn base64_py(a: &[Value], _: Option<&Regex>) -> R {
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes_of(&a[0]));
    let mut out = String::with_capacity(enc.len() + enc.len() / 76 + 1);
    for (i, chunk) in enc.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out.push('\n');
    Ok(Value::from(out))
}

pub fn base64_decode(a: &[Value], _: Option<&Regex>) -> R {
    base64::engine::general_purpose::STANDARD
        .decode(bytes_of(&a[0]))
        .map(Value::from_bytes)
        .map_err(|e| e.to_string())
}

/// Keeps letters, digits and `-_.!~*'()` (only letters and digits when the second argument
/// is true) and percent-encodes every other byte in upper-case hex.
pub fn url_encode(a: &[Value], _: Option<&Regex>) -> R {
    let all = match a.get(1) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i == 1,
        _ => false,
    };
    let mut out = String::new();
    for &b in bytes_of(&a[0]).iter() {
        let keep = b.is_ascii_alphanumeric()
            || (!all
                && matches!(
                    b,
                    b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
                ));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(Value::from(out))
}

/// Decodes `%XX` sequences and leaves everything else (also `+` and bad escapes) as is.
pub fn url_decode(a: &[Value], _: Option<&Regex>) -> R {
    let s = bytes_of(&a[0]);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&s[i + 1..i + 3]).unwrap_or("x"), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    Ok(Value::from_bytes(out))
}

pub fn hex_encode(a: &[Value], _: Option<&Regex>) -> R {
    if let Some(f) = a.get(1) {
        if !f.to_text().is_empty() {
            return Err(format!("hex format {:?} is not supported", f.to_text()));
        }
    }
    Ok(Value::from(hex::encode(bytes_of(&a[0]))))
}

pub fn hex_decode(a: &[Value], _: Option<&Regex>) -> R {
    hex::decode(bytes_of(&a[0]))
        .map(Value::from_bytes)
        .map_err(|e| e.to_string())
}

/// Go's `html.EscapeString`: `< > & ' "`.
pub fn html_escape(a: &[Value], _: Option<&Regex>) -> R {
    let s = a[0].to_text();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    Ok(Value::from(out))
}

pub fn html_unescape(a: &[Value], _: Option<&Regex>) -> R {
    Ok(Value::from(
        html_escape::decode_html_entities(&a[0].to_text()).into_owned(),
    ))
}

fn hex_digest<D: Digest>(v: &Value) -> Value {
    Value::from(hex::encode(D::digest(bytes_of(v))))
}

pub fn md5(a: &[Value], _: Option<&Regex>) -> R {
    Ok(hex_digest::<md5::Md5>(&a[0]))
}

pub fn sha1(a: &[Value], _: Option<&Regex>) -> R {
    Ok(hex_digest::<sha1::Sha1>(&a[0]))
}

pub fn sha256(a: &[Value], _: Option<&Regex>) -> R {
    Ok(hex_digest::<sha2::Sha256>(&a[0]))
}

pub fn sha512(a: &[Value], _: Option<&Regex>) -> R {
    Ok(hex_digest::<sha2::Sha512>(&a[0]))
}

/// The 32-bit murmur3 (seed 0) of the text, printed as a signed integer, as nuclei does.
pub fn mmh3(a: &[Value], _: Option<&Regex>) -> R {
    let data = bytes_of(&a[0]);
    let h = murmur3::murmur3_32(&mut std::io::Cursor::new(data.as_ref()), 0)
        .map_err(|e| e.to_string())?;
    Ok(Value::from((h as i32).to_string()))
}

/// `hmac(algorithm, data, secret)` in hex, for md5, sha1, sha256 and sha512.
pub fn hmac(a: &[Value], _: Option<&Regex>) -> R {
    use hmac::{Mac, SimpleHmac};
    fn run<D: Digest + hmac::digest::core_api::BlockSizeUser>(data: &[u8], key: &[u8]) -> R {
        let mut mac = SimpleHmac::<D>::new_from_slice(key).map_err(|e| e.to_string())?;
        mac.update(data);
        Ok(Value::from(hex::encode(mac.finalize().into_bytes())))
    }
    let (data, key) = (bytes_of(&a[1]), bytes_of(&a[2]));
    match &*a[0].to_text().to_ascii_lowercase() {
        "md5" => run::<md5::Md5>(&data, &key),
        "sha1" => run::<sha1::Sha1>(&data, &key),
        "sha256" => run::<sha2::Sha256>(&data, &key),
        "sha512" => run::<sha2::Sha512>(&data, &key),
        other => Err(format!("unknown hmac algorithm {other:?}")),
    }
}

fn compress<W: Write>(
    mut w: W,
    data: &[u8],
    finish: impl FnOnce(W) -> std::io::Result<Vec<u8>>,
) -> R {
    w.write_all(data).map_err(|e| e.to_string())?;
    finish(w).map(Value::from_bytes).map_err(|e| e.to_string())
}

pub fn gzip(a: &[Value], _: Option<&Regex>) -> R {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    compress(enc, &bytes_of(&a[0]), |e| e.finish())
}

pub fn zlib(a: &[Value], _: Option<&Regex>) -> R {
    let enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    compress(enc, &bytes_of(&a[0]), |e| e.finish())
}

pub fn deflate(a: &[Value], _: Option<&Regex>) -> R {
    let enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    compress(enc, &bytes_of(&a[0]), |e| e.finish())
}

/// Reads a decoder to the end, at most the optional limit (and never past the value bound).
fn bounded<Rd: Read>(r: Rd, limit: Option<&Value>) -> R {
    let max = match limit {
        Some(v) => usize::try_from(int_arg(v, "max size")?)
            .unwrap_or(0)
            .min(MAX_VALUE_LEN),
        None => MAX_VALUE_LEN,
    };
    let mut out = Vec::new();
    r.take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > max {
        return Err(too_large());
    }
    Ok(Value::from_bytes(out))
}

pub fn gzip_decode(a: &[Value], _: Option<&Regex>) -> R {
    let data = bytes_of(&a[0]);
    bounded(flate2::read::GzDecoder::new(data.as_ref()), a.get(1))
}

pub fn zlib_decode(a: &[Value], _: Option<&Regex>) -> R {
    let data = bytes_of(&a[0]);
    bounded(flate2::read::ZlibDecoder::new(data.as_ref()), a.get(1))
}

pub fn inflate(a: &[Value], _: Option<&Regex>) -> R {
    let data = bytes_of(&a[0]);
    bounded(flate2::read::DeflateDecoder::new(data.as_ref()), a.get(1))
}
