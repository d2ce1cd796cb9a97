//! The DEX file's variable-length encodings: ULEB128 (at most five bytes for a 32-bit value;
//! a fifth byte that continues is refused, not followed) and modified UTF-8 (MUTF-8: U+0000
//! as `C0 80`, characters outside the BMP as two three-byte surrogates), decoded lossily into
//! Rust strings and borrowed when the bytes are plain ASCII.

use std::borrow::Cow;

use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// Read an unsigned LEB128 value of at most 32 bits.
pub(crate) fn uleb128(r: &mut Reader, what: &'static str) -> Result<u32> {
    let mut value = 0u32;
    for i in 0..5 {
        let b = r.u8()?;
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(ApkError::malformed(
        what,
        format!("ULEB128 longer than 5 bytes ending at {:#x}", r.pos()),
    ))
}

/// The bytes of the NUL-terminated MUTF-8 string at `offset` of `data` (without the NUL),
/// looking for the NUL among the first `max + 1` bytes only: `None` when it is not there
/// though the data goes on, an error when the data ends first.
pub(crate) fn cstr<'a>(
    data: &'a [u8],
    offset: usize,
    max: usize,
    what: &'static str,
) -> Result<Option<&'a [u8]>> {
    let rest = data.get(offset..).ok_or(ApkError::Truncated {
        what,
        offset: offset as u64,
    })?;
    let window = rest.get(..max.saturating_add(1)).unwrap_or(rest);
    match window.iter().position(|&b| b == 0) {
        Some(len) => Ok(window.get(..len)),
        None if window.len() < rest.len() => Ok(None),
        None => Err(ApkError::Truncated {
            what,
            offset: offset as u64,
        }),
    }
}

/// Decode MUTF-8 `bytes` (without the terminating NUL): borrowed when they are ASCII, else
/// decoded with U+FFFD for malformed sequences and unpaired surrogates.
pub fn decode_mutf8(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8 and means the same in MUTF-8.
        return match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
        };
    }
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let cont = |i: usize| bytes.get(i).copied().filter(|b| b & 0xc0 == 0x80);
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            units.push(u16::from(b));
            i += 1;
        } else if b & 0xe0 == 0xc0 {
            match cont(i + 1) {
                Some(c) => {
                    units.push((u16::from(b & 0x1f) << 6) | u16::from(c & 0x3f));
                    i += 2;
                }
                None => {
                    units.push(0xfffd);
                    i += 1;
                }
            }
        } else if b & 0xf0 == 0xe0 {
            match (cont(i + 1), cont(i + 2)) {
                (Some(c), Some(d)) => {
                    units.push(
                        (u16::from(b & 0x0f) << 12)
                            | (u16::from(c & 0x3f) << 6)
                            | u16::from(d & 0x3f),
                    );
                    i += 3;
                }
                _ => {
                    units.push(0xfffd);
                    i += 1;
                }
            }
        } else {
            units.push(0xfffd);
            i += 1;
        }
    }
    Cow::Owned(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb128_reads_and_bounds() {
        let mut r = Reader::new(&[0x00, 0x7f, 0x80, 0x7f, 0xe5, 0x8e, 0x26], "t");
        assert_eq!(uleb128(&mut r, "t").unwrap(), 0);
        assert_eq!(uleb128(&mut r, "t").unwrap(), 127);
        assert_eq!(uleb128(&mut r, "t").unwrap(), 16256);
        assert_eq!(uleb128(&mut r, "t").unwrap(), 624_485);
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f], "t");
        assert_eq!(uleb128(&mut r, "t").unwrap(), u32::MAX);
        let mut r = Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], "t");
        assert!(matches!(
            uleb128(&mut r, "t"),
            Err(ApkError::Malformed { .. })
        ));
        let mut r = Reader::new(&[0x80, 0x80], "t");
        assert!(matches!(
            uleb128(&mut r, "t"),
            Err(ApkError::Truncated { .. })
        ));
    }

    #[test]
    fn mutf8_decodes_nul_surrogates_and_garbage() {
        assert!(matches!(decode_mutf8(b"abc"), Cow::Borrowed("abc")));
        assert_eq!(decode_mutf8(&[b'a', 0xc0, 0x80, b'b']), "a\0b");
        assert_eq!(decode_mutf8("é€".as_bytes()), "é€");
        // U+1F600 as the surrogates D83D DE00, each in three bytes.
        assert_eq!(
            decode_mutf8(&[0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]),
            "\u{1f600}"
        );
        assert_eq!(decode_mutf8(&[0xed, 0xa0, 0xbd]), "\u{fffd}");
        assert_eq!(
            decode_mutf8(&[0xff, b'x', 0xe2, 0x82]),
            "\u{fffd}x\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn cstr_needs_a_terminator_within_its_bound() {
        let data = b"ab\0cd";
        assert_eq!(cstr(data, 0, 9, "t").unwrap(), Some(&b"ab"[..]));
        assert_eq!(cstr(data, 0, 2, "t").unwrap(), Some(&b"ab"[..]));
        assert_eq!(cstr(data, 0, 1, "t").unwrap(), None);
        assert!(cstr(data, 3, 9, "t").is_err());
        assert!(cstr(data, 9, 9, "t").is_err());
    }
}
