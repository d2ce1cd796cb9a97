//! The APK Signing Block: the region between the last zip entry and the central directory
//! where the v2, v3 and v3.1 signatures (and padding, channel markers of VasDolly/Walle, and
//! other vendors' data) live as ID-value pairs. It is found as Android finds it: the 24 bytes
//! before the central directory end with the magic `APK Sig Block 42` and a size that the
//! block's first 8 bytes repeat; every length is checked against the data.

use crate::bytes::Reader;
use crate::error::{ApkError, Result};
use crate::zip::{find_eocd, Eocd};

/// The magic at the end of the block.
pub const MAGIC: &[u8; 16] = b"APK Sig Block 42";
/// ID of the APK Signature Scheme v2 block.
pub const V2_ID: u32 = 0x7109_871a;
/// ID of the APK Signature Scheme v3 block.
pub const V3_ID: u32 = 0xf053_68c0;
/// ID of the APK Signature Scheme v3.1 block.
pub const V31_ID: u32 = 0x1b93_ad61;
/// ID of the padding pair apksigner adds for alignment.
pub const PADDING_ID: u32 = 0x4272_6577;

/// The signing block of an APK and where the sections around it are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningBlock<'a> {
    /// Offset of the block in the file (the end of the zip entries).
    pub offset: usize,
    /// Offset of the central directory (the end of the block).
    pub cd_offset: usize,
    /// The end of central directory record.
    pub eocd: Eocd,
    /// The ID-value pairs in order.
    pub pairs: Vec<(u32, &'a [u8])>,
}

impl<'a> SigningBlock<'a> {
    /// The value of the first pair with this ID.
    pub fn get(&self, id: u32) -> Option<&'a [u8]> {
        self.pairs.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
    }
}

/// A name for a known pair ID that is not a signature scheme Vigil verifies.
pub fn other_block_name(id: u32) -> Option<&'static str> {
    Some(match id {
        PADDING_ID => "padding",
        0x7109_871a => "APK Signature Scheme v2",
        0xf053_68c0 => "APK Signature Scheme v3",
        0x1b93_ad61 => "APK Signature Scheme v3.1",
        0x2146_444e => "Google Play frosting metadata",
        0x6dff_800d => "source stamp v2",
        0x2b09_189e => "source stamp v1",
        0x8811_55ff => "VasDolly channel",
        0x7177_7777 => "Walle channel",
        0x504b_4453 => "dependency info",
        _ => return None,
    })
}

/// Longest pair list Vigil reads.
const MAX_PAIRS: usize = 4096;

/// Find the APK Signing Block of `apk`. `Ok(None)` if there is none (the bytes before the
/// central directory do not end with the magic); an error if the zip end record cannot be
/// found or the block is inconsistent.
pub fn find(apk: &[u8]) -> Result<Option<SigningBlock<'_>>> {
    let eocd = find_eocd(apk)?;
    find_with(apk, eocd)
}

/// [`find`] with the end of central directory record already read.
pub fn find_with(apk: &[u8], eocd: Eocd) -> Result<Option<SigningBlock<'_>>> {
    const WHAT: &str = "APK Signing Block";
    let cd_offset = eocd.cd_offset as usize;
    if cd_offset > eocd.offset {
        return Err(ApkError::malformed(
            "zip archive",
            format!(
                "central directory offset {cd_offset} is past its end record at {}",
                eocd.offset
            ),
        ));
    }
    let Some(footer) = cd_offset.checked_sub(24) else {
        return Ok(None);
    };
    let mut r = Reader::at(apk, footer, WHAT)?;
    let size = r.u64()?;
    if r.take(16)? != MAGIC {
        return Ok(None);
    }
    // The size counts the block without its first size field: the pairs, the footer's size
    // and the magic.
    let offset = usize::try_from(size)
        .ok()
        .filter(|s| *s >= 24)
        .and_then(|s| cd_offset.checked_sub(s))
        .and_then(|o| o.checked_sub(8))
        .ok_or_else(|| {
            ApkError::malformed(
                WHAT,
                format!("size {size} does not fit before offset {cd_offset}"),
            )
        })?;
    let mut r = Reader::at(apk, offset, WHAT)?;
    let head = r.u64()?;
    if head != size {
        return Err(ApkError::malformed(
            WHAT,
            format!("size at the start ({head}) differs from the size at the end ({size})"),
        ));
    }
    let pairs_data = apk.get(offset + 8..footer).ok_or(ApkError::Truncated {
        what: WHAT,
        offset: offset as u64,
    })?;
    let pairs = parse_pairs(pairs_data)?;
    Ok(Some(SigningBlock {
        offset,
        cd_offset,
        eocd,
        pairs,
    }))
}

/// The ID-value pairs of a block body: each a `u64` length, a `u32` ID and length - 4 bytes.
pub fn parse_pairs(data: &[u8]) -> Result<Vec<(u32, &[u8])>> {
    const WHAT: &str = "APK Signing Block pair";
    let mut r = Reader::new(data, WHAT);
    let mut pairs = Vec::new();
    while r.remaining() > 0 {
        let at = r.pos();
        let len = r.u64()?;
        if len < 4 || len > r.remaining() as u64 {
            return Err(ApkError::malformed(
                WHAT,
                format!("pair at {at} has length {len} with {} left", r.remaining()),
            ));
        }
        let id = r.u32()?;
        let value = r.take(len as usize - 4)?;
        if pairs.len() >= MAX_PAIRS {
            return Err(ApkError::TooLarge {
                what: "APK Signing Block pairs",
                size: pairs.len() as u64 + 1,
                limit: MAX_PAIRS as u64,
            });
        }
        pairs.push((id, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip with no entries: a signing block (if `pairs`), then an empty CD and its EOCD.
    fn apk_with(pairs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = b"entries".to_vec();
        let mut body = Vec::new();
        for (id, v) in pairs {
            body.extend((v.len() as u64 + 4).to_le_bytes());
            body.extend(id.to_le_bytes());
            body.extend(*v);
        }
        let size = body.len() as u64 + 24;
        out.extend(size.to_le_bytes());
        out.extend(body);
        out.extend(size.to_le_bytes());
        out.extend(MAGIC);
        let cd = out.len() as u32;
        out.extend([0x50, 0x4b, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(cd.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    #[test]
    fn finds_the_pairs() {
        let apk = apk_with(&[(V2_ID, b"abc"), (PADDING_ID, &[0; 5])]);
        let b = find(&apk).unwrap().unwrap();
        assert_eq!(b.offset, 7);
        assert_eq!(b.get(V2_ID), Some(&b"abc"[..]));
        assert_eq!(b.pairs.len(), 2);
        assert_eq!(b.cd_offset, apk.len() - 22);
    }

    #[test]
    fn no_block_and_broken_blocks() {
        let mut apk = apk_with(&[]);
        assert!(find(&apk).unwrap().is_some());
        // Without the magic there is no block.
        let at = apk.len() - 22 - 3;
        apk[at] ^= 1;
        assert!(find(&apk).unwrap().is_none());
        // Sizes that disagree are refused.
        let mut apk = apk_with(&[(V2_ID, b"abc")]);
        apk[7] ^= 1;
        assert!(find(&apk).is_err());
        // A pair longer than the block.
        let mut apk = apk_with(&[(V2_ID, b"abc")]);
        apk[15] = 0x30;
        assert!(find(&apk).is_err());
    }
}
