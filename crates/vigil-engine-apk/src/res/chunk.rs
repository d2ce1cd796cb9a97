//! The chunk header every structure of compiled resources starts with (AOSP
//! `ResChunk_header`: type, header size, total size), the chunk types Vigil knows, and a
//! checked view of one chunk inside its parent.

use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// `RES_NULL_TYPE`.
pub const NULL: u16 = 0x0000;
/// `RES_STRING_POOL_TYPE`.
pub const STRING_POOL: u16 = 0x0001;
/// `RES_TABLE_TYPE`.
pub const TABLE: u16 = 0x0002;
/// `RES_XML_TYPE`.
pub const XML: u16 = 0x0003;
/// `RES_XML_START_NAMESPACE_TYPE`.
pub const XML_START_NAMESPACE: u16 = 0x0100;
/// `RES_XML_END_NAMESPACE_TYPE`.
pub const XML_END_NAMESPACE: u16 = 0x0101;
/// `RES_XML_START_ELEMENT_TYPE`.
pub const XML_START_ELEMENT: u16 = 0x0102;
/// `RES_XML_END_ELEMENT_TYPE`.
pub const XML_END_ELEMENT: u16 = 0x0103;
/// `RES_XML_CDATA_TYPE`.
pub const XML_CDATA: u16 = 0x0104;
/// `RES_XML_RESOURCE_MAP_TYPE`.
pub const XML_RESOURCE_MAP: u16 = 0x0180;
/// `RES_TABLE_PACKAGE_TYPE`.
pub const TABLE_PACKAGE: u16 = 0x0200;
/// `RES_TABLE_TYPE_TYPE`.
pub const TABLE_TYPE: u16 = 0x0201;
/// `RES_TABLE_TYPE_SPEC_TYPE`.
pub const TABLE_TYPE_SPEC: u16 = 0x0202;
/// `RES_TABLE_LIBRARY_TYPE`.
pub const TABLE_LIBRARY: u16 = 0x0203;

/// Size of a chunk header without its type-specific part.
pub const HEADER_LEN: usize = 8;

/// One chunk: where it is and what its header says, checked to lie inside its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Chunk type.
    pub kind: u16,
    /// Offset of the chunk in the data.
    pub offset: usize,
    /// Size of the chunk's header (the common part and the type-specific part).
    pub header_size: usize,
    /// Size of the whole chunk, header included.
    pub size: usize,
}

impl Chunk {
    /// Read the chunk header at `offset`, which must end by `end` (the parent's end): the
    /// header size at least 8, no larger than the chunk, the chunk inside the parent.
    pub fn read(data: &[u8], offset: usize, end: usize, what: &'static str) -> Result<Chunk> {
        let mut r = Reader::at(data, offset, what)?;
        let kind = r.u16()?;
        let header_size = usize::from(r.u16()?);
        let size = r.u32()? as usize;
        if header_size < HEADER_LEN || header_size > size {
            return Err(ApkError::malformed(
                what,
                format!("chunk 0x{kind:04x} at {offset}: header size {header_size}, size {size}"),
            ));
        }
        if offset
            .checked_add(size)
            .is_none_or(|e| e > end.min(data.len()))
        {
            return Err(ApkError::malformed(
                what,
                format!("chunk 0x{kind:04x} at {offset} of size {size} runs past its parent"),
            ));
        }
        Ok(Chunk {
            kind,
            offset,
            header_size,
            size,
        })
    }

    /// Offset just past the chunk.
    pub fn end(&self) -> usize {
        self.offset + self.size
    }

    /// Offset of the chunk's body (after its header).
    pub fn body(&self) -> usize {
        self.offset + self.header_size
    }

    /// A reader over the type-specific part of the header (after the common 8 bytes), which
    /// may be shorter than the structure: callers read what `header_size` promises.
    pub fn header<'a>(&self, data: &'a [u8], what: &'static str) -> Result<Reader<'a>> {
        let bytes = data
            .get(self.offset..self.body())
            .ok_or(ApkError::Truncated {
                what,
                offset: self.offset as u64,
            })?;
        Reader::at(bytes, HEADER_LEN, what)
    }

    /// The chunk's bytes.
    pub fn bytes<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.offset..self.end()).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_headers_are_checked() {
        let mut d = vec![0x03, 0x00, 0x08, 0x00, 0x10, 0, 0, 0];
        d.extend([0; 8]);
        let c = Chunk::read(&d, 0, d.len(), "t").unwrap();
        assert_eq!((c.kind, c.header_size, c.size, c.end()), (3, 8, 16, 16));
        assert!(Chunk::read(&d, 0, 12, "t").is_err());
        d[2] = 4;
        assert!(Chunk::read(&d, 0, d.len(), "t").is_err());
        d[2] = 0x20;
        assert!(Chunk::read(&d, 0, d.len(), "t").is_err());
        assert!(Chunk::read(&d, 12, d.len(), "t").is_err());
    }
}
