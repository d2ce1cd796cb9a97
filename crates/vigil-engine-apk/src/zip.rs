//! The APK container: a zip archive read the way Android reads it. The end of central
//! directory record ([`find_eocd`]) locates the central directory; entries, their data and
//! nested archives are read from there (the local headers are not trusted).

use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// Signature of the end of central directory record.
const EOCD_SIG: u32 = 0x0605_4b50;
/// Size of the end of central directory record without its comment.
pub const EOCD_LEN: usize = 22;
/// Longest zip comment.
const MAX_COMMENT: usize = 0xffff;

/// The end of central directory record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eocd {
    /// Offset of the record in the file.
    pub offset: usize,
    /// Offset of the central directory, as the record says.
    pub cd_offset: u32,
    /// Size of the central directory in bytes, as the record says.
    pub cd_size: u32,
    /// Number of entries in the central directory.
    pub entries: u16,
    /// Length of the archive comment.
    pub comment_len: u16,
}

/// Find the end of central directory record: the last one whose comment length reaches
/// exactly to the end of the data (as Android's libziparchive does), searching at most the
/// last 64 KiB and 22 bytes.
pub fn find_eocd(data: &[u8]) -> Result<Eocd> {
    if data.len() < EOCD_LEN {
        return Err(ApkError::Truncated {
            what: "zip end of central directory",
            offset: data.len() as u64,
        });
    }
    let lowest = data.len().saturating_sub(EOCD_LEN + MAX_COMMENT);
    let mut at = data.len() - EOCD_LEN;
    loop {
        let mut r = Reader::at(data, at, "zip end of central directory")?;
        if r.u32()? == EOCD_SIG {
            let _disk = r.u16()?;
            let _cd_disk = r.u16()?;
            let _disk_entries = r.u16()?;
            let entries = r.u16()?;
            let cd_size = r.u32()?;
            let cd_offset = r.u32()?;
            let comment_len = r.u16()?;
            if at + EOCD_LEN + usize::from(comment_len) == data.len() {
                return Ok(Eocd {
                    offset: at,
                    cd_offset,
                    cd_size,
                    entries,
                    comment_len,
                });
            }
        }
        if at == lowest {
            return Err(ApkError::malformed(
                "zip archive",
                "no end of central directory record",
            ));
        }
        at -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eocd(cd_offset: u32, comment: &[u8]) -> Vec<u8> {
        let mut v = EOCD_SIG.to_le_bytes().to_vec();
        v.extend([0, 0, 0, 0, 1, 0, 1, 0]);
        v.extend(7u32.to_le_bytes());
        v.extend(cd_offset.to_le_bytes());
        v.extend((comment.len() as u16).to_le_bytes());
        v.extend(comment);
        v
    }

    #[test]
    fn finds_the_record_whose_comment_reaches_the_end() {
        let mut data = vec![0u8; 100];
        data.extend(eocd(40, b"hello"));
        let e = find_eocd(&data).unwrap();
        assert_eq!(
            (e.offset, e.cd_offset, e.cd_size, e.entries),
            (100, 40, 7, 1)
        );
        // A record inside the comment whose own comment does not reach the end is skipped;
        // one that ends the data is the one Android takes, so Vigil takes it too.
        let mut data = vec![0u8; 10];
        let mut comment = eocd(1, b"");
        comment.extend(b"tail");
        data.extend(eocd(3, &comment));
        assert_eq!(find_eocd(&data).unwrap().cd_offset, 3);
        let mut data = vec![0u8; 10];
        data.extend(eocd(3, &eocd(1, b"")));
        assert_eq!(find_eocd(&data).unwrap().cd_offset, 1);
        assert!(find_eocd(&[0u8; 21]).is_err());
        assert!(find_eocd(&[0u8; 4000]).is_err());
    }
}
