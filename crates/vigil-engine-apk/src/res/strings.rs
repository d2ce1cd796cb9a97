//! String pools (AOSP `ResStringPool_header`): a count of strings, their offsets, and the
//! strings in UTF-8 (two lengths, each one or two bytes) or UTF-16 (one length of one or
//! two 16-bit units), each followed by a terminator. Strings are decoded when asked for; a
//! count that does not fit in the chunk is refused, as Android refuses it.

use crate::bytes::Reader;
use crate::error::{ApkError, Result};
use crate::res::chunk::Chunk;

/// `ResStringPool_header::UTF8_FLAG`.
const UTF8_FLAG: u32 = 0x100;
/// Most strings a pool may hold.
pub const MAX_STRINGS: usize = 1 << 20;
/// Longest string decoded, in bytes or 16-bit units.
pub const MAX_STRING_LEN: usize = 1 << 20;

const WHAT: &str = "string pool";

/// A string pool over the bytes of its chunk.
#[derive(Debug, Clone)]
pub struct StringPool<'a> {
    data: &'a [u8],
    /// Offset of the offsets array in `data`.
    offsets: usize,
    count: usize,
    /// Offset of the string data in `data`.
    strings: usize,
    /// End of the string data (the start of the styles or the end of the chunk).
    strings_end: usize,
    utf8: bool,
}

impl<'a> StringPool<'a> {
    /// An empty pool (for documents without one).
    pub fn empty() -> StringPool<'static> {
        StringPool {
            data: &[],
            offsets: 0,
            count: 0,
            strings: 0,
            strings_end: 0,
            utf8: true,
        }
    }

    /// Read the pool of `chunk` in `data`.
    pub fn read(data: &'a [u8], chunk: &Chunk) -> Result<StringPool<'a>> {
        let mut h = chunk.header(data, WHAT)?;
        let count = h.u32()? as usize;
        let style_count = h.u32()? as usize;
        let flags = h.u32()?;
        let strings_start = h.u32()? as usize;
        let styles_start = h.u32()? as usize;
        if count > MAX_STRINGS {
            return Err(ApkError::TooLarge {
                what: WHAT,
                size: count as u64,
                limit: MAX_STRINGS as u64,
            });
        }
        let offsets = chunk.body();
        let index_end = count
            .checked_add(style_count)
            .and_then(|n| n.checked_mul(4))
            .and_then(|n| n.checked_add(offsets))
            .filter(|e| *e <= chunk.end())
            .ok_or_else(|| {
                ApkError::malformed(WHAT, format!("{count} strings do not fit in the pool"))
            })?;
        let mut strings = chunk.offset.saturating_add(strings_start);
        let mut strings_end = chunk.end();
        if count > 0 {
            if strings_start == 0 || strings < index_end || strings >= chunk.end() {
                return Err(ApkError::malformed(
                    WHAT,
                    format!("string data at {strings_start} outside the pool"),
                ));
            }
            if style_count > 0 && styles_start > strings_start {
                strings_end = chunk.offset.saturating_add(styles_start).min(chunk.end());
            }
        } else {
            strings = strings_end;
        }
        Ok(StringPool {
            data,
            offsets,
            count,
            strings,
            strings_end,
            utf8: flags & UTF8_FLAG != 0,
        })
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the pool has no strings.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether strings are UTF-8 (else UTF-16).
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// String `index`; an index past the pool or a string running out of the string data is
    /// an error. Invalid UTF-8 or UTF-16 is replaced (`U+FFFD`), as obfuscators like it.
    pub fn get(&self, index: u32) -> Result<String> {
        let index = index as usize;
        if index >= self.count {
            return Err(ApkError::malformed(
                WHAT,
                format!("string {index} of {}", self.count),
            ));
        }
        let mut r = Reader::at(self.data, self.offsets + index * 4, WHAT)?;
        let at = self.strings.saturating_add(r.u32()? as usize);
        if at >= self.strings_end {
            return Err(ApkError::malformed(
                WHAT,
                format!("string {index} outside the string data"),
            ));
        }
        let data = self.data.get(..self.strings_end).unwrap_or(&[]);
        let mut r = Reader::at(data, at, WHAT)?;
        if self.utf8 {
            let _utf16_len = utf8_len(&mut r)?;
            let len = utf8_len(&mut r)?;
            let bytes = r.take(len)?;
            Ok(String::from_utf8_lossy(bytes).into_owned())
        } else {
            let first = r.u16()?;
            let len = if first & 0x8000 != 0 {
                (usize::from(first & 0x7fff) << 16) | usize::from(r.u16()?)
            } else {
                usize::from(first)
            };
            if len > MAX_STRING_LEN {
                return Err(ApkError::TooLarge {
                    what: WHAT,
                    size: len as u64,
                    limit: MAX_STRING_LEN as u64,
                });
            }
            let bytes = r.take(len * 2)?;
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            Ok(String::from_utf16_lossy(&units))
        }
    }

    /// String `index`, or `None` for the "no string" index `0xffffffff` or a bad one.
    pub fn opt(&self, index: u32) -> Option<String> {
        if index == u32::MAX {
            return None;
        }
        self.get(index).ok()
    }
}

/// A UTF-8 pool's length: one byte, or two when the first has its high bit set.
fn utf8_len(r: &mut Reader<'_>) -> Result<usize> {
    let first = r.u8()?;
    if first & 0x80 != 0 {
        Ok((usize::from(first & 0x7f) << 8) | usize::from(r.u8()?))
    } else {
        Ok(usize::from(first))
    }
}

/// Test helper: a string pool chunk holding `strings`, UTF-8 or UTF-16.
#[cfg(test)]
pub(crate) fn encode(strings: &[&str], utf8: bool) -> Vec<u8> {
    let mut body = Vec::new();
    let mut offsets = Vec::new();
    for s in strings {
        offsets.push(body.len() as u32);
        if utf8 {
            let n16 = s.encode_utf16().count();
            for n in [n16, s.len()] {
                if n > 0x7f {
                    body.extend([0x80 | (n >> 8) as u8, n as u8]);
                } else {
                    body.push(n as u8);
                }
            }
            body.extend(s.as_bytes());
            body.push(0);
        } else {
            let u: Vec<u16> = s.encode_utf16().collect();
            if u.len() > 0x7fff {
                body.extend((0x8000 | (u.len() >> 16) as u16).to_le_bytes());
            }
            body.extend((u.len() as u16).to_le_bytes());
            for c in u {
                body.extend(c.to_le_bytes());
            }
            body.extend([0, 0]);
        }
    }
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let header = 28u32;
    let start = header + 4 * strings.len() as u32;
    let size = start + body.len() as u32;
    let mut out = Vec::new();
    out.extend(1u16.to_le_bytes());
    out.extend((header as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend((strings.len() as u32).to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend((if utf8 { UTF8_FLAG } else { 0 }).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    for o in offsets {
        out.extend(o.to_le_bytes());
    }
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(bytes: &[u8]) -> Result<StringPool<'_>> {
        let c = Chunk::read(bytes, 0, bytes.len(), "t")?;
        StringPool::read(bytes, &c)
    }

    #[test]
    fn utf8_and_utf16_with_long_lengths() {
        let long = "é".repeat(300);
        for utf8 in [true, false] {
            let d = encode(&["a", "", &long, "日本"], utf8);
            let p = pool(&d).unwrap();
            assert_eq!(p.len(), 4);
            assert_eq!(p.get(0).unwrap(), "a");
            assert_eq!(p.get(1).unwrap(), "");
            assert_eq!(p.get(2).unwrap(), long);
            assert_eq!(p.get(3).unwrap(), "日本");
            assert!(p.get(4).is_err());
            assert_eq!(p.opt(u32::MAX), None);
        }
    }

    #[test]
    fn counts_that_do_not_fit_are_refused() {
        let mut d = encode(&["a", "b"], true);
        d[8..12].copy_from_slice(&1000u32.to_le_bytes());
        assert!(pool(&d).is_err());
        d[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(pool(&d).is_err());
        let mut d = encode(&["a", "b"], true);
        // Second offset points past the data.
        d[32..36].copy_from_slice(&0x1000u32.to_le_bytes());
        let p = pool(&d).unwrap();
        assert!(p.get(1).is_err());
        assert_eq!(p.get(0).unwrap(), "a");
    }
}
