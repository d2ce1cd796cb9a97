//! Bounds-checked little-endian reads over a byte slice, shared by the binary parsers (zip,
//! AXML, ARSC, DEX, signing block): every read names what it reads, and running off the end
//! is an [`ApkError::Truncated`], never a panic.

use crate::error::{ApkError, Result};

/// A read position in a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`, reading `what` (named in errors).
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Reader { data, pos: 0, what }
    }

    /// A reader at `offset` of `data`.
    pub fn at(data: &'a [u8], offset: usize, what: &'static str) -> Result<Self> {
        if offset > data.len() {
            return Err(ApkError::Truncated {
                what,
                offset: offset as u64,
            });
        }
        Ok(Reader {
            data,
            pos: offset,
            what,
        })
    }

    /// Current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or(ApkError::Truncated {
                what: self.what,
                offset: self.pos as u64,
            })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_refuses_past_the_end() {
        let mut r = Reader::new(&[1, 2, 0, 3, 0, 0, 0], "test");
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 2);
        assert_eq!(r.u32().unwrap(), 3);
        assert!(matches!(r.u8(), Err(ApkError::Truncated { offset: 7, .. })));
        assert!(Reader::at(&[0; 4], 5, "t").is_err());
        let mut r = Reader::at(&[0; 4], 2, "t").unwrap();
        assert!(r.take(usize::MAX).is_err());
        assert_eq!(r.remaining(), 2);
    }
}
