//! The DEX reader: one `classes*.dex` file's bytes read as the Dalvik executable format
//! describes (versions 035 to 041). [`Dex::parse`] checks the header (magic, version, sizes,
//! endian tag, every section's offset and size against the data) and reads the map list; the
//! checksum (Adler-32) and SHA-1 signature are verified and a mismatch is an [`Anomaly`], not
//! a refusal. Everything else is read lazily through index access and iterators over the
//! borrowed bytes ([`ids`], [`class`], [`code`]): strings are decoded from MUTF-8 only when
//! asked, so a large file costs nothing up front. Counts taken from the file are checked
//! against the data and [`DexLimits`] before anything is allocated from them; a malformed
//! offset is an [`ApkError`] naming the section. [`summary`] gathers what rules read.

pub mod class;
pub mod code;
pub mod ids;
mod leb;
pub mod summary;

use crate::bytes::Reader;
use crate::error::{ApkError, Result};

pub use class::{AccessFlags, ClassData, ClassDef, EncodedField, EncodedMethod};
pub use code::{CodeItem, CodeRefs};
pub use ids::{FieldId, MethodId, ProtoId};
pub use leb::decode_mutf8;
pub use summary::{
    java_name, multidex_index, ClassSummary, DexSummary, FieldRef, FieldSummary, MethodRef,
    MethodSummary, Proto,
};

/// The "no index" value of optional `u32` indices (a class without superclass or source file).
pub const NO_INDEX: u32 = 0xffff_ffff;

/// Size of the DEX header up to version 040.
const HEADER_SIZE: usize = 0x70;
/// The endian tag of little-endian files, the only ones Android writes.
const ENDIAN_CONSTANT: u32 = 0x1234_5678;
/// The endian tag read from a byte-swapped file.
const REVERSE_ENDIAN_CONSTANT: u32 = 0x7856_3412;

/// How much of a DEX file Vigil reads. Counts over a limit are a [`ApkError::TooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DexLimits {
    /// Most entries of `string_ids`.
    pub max_strings: u32,
    /// Most entries of `type_ids`, `proto_ids` and `field_ids` each.
    pub max_ids: u32,
    /// Most entries of `method_ids`, and most methods of one class.
    pub max_methods: u32,
    /// Most entries of `class_defs`.
    pub max_classes: u32,
    /// Most 16-bit code units walked by one [`summary::DexSummary::build`] (and most of one
    /// code item).
    pub max_code_units: u64,
    /// Most entries of the map list.
    pub max_map_items: u32,
    /// Most MUTF-8 bytes of one string.
    pub max_string_bytes: u32,
}

impl Default for DexLimits {
    fn default() -> Self {
        DexLimits {
            max_strings: 4_000_000,
            max_ids: 4_000_000,
            max_methods: 1_000_000,
            max_classes: 500_000,
            max_code_units: 200_000_000,
            max_map_items: 1_024,
            max_string_bytes: 4 << 20,
        }
    }
}

/// Something odd about a DEX file that does not stop it being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// The header's Adler-32 checksum is not that of the file.
    ChecksumMismatch {
        /// The checksum in the header.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
    /// The header's SHA-1 signature is not that of the file.
    SignatureMismatch,
    /// The data is longer than the header's `file_size`; the rest is ignored.
    TrailingData {
        /// The header's `file_size`.
        file_size: u32,
        /// The length of the data.
        data_len: usize,
    },
    /// The header is larger than the format's 0x70 bytes, and not a version 041 header.
    LargeHeader(u32),
    /// No map list (`map_off` is 0), which Android's verifier would refuse.
    NoMapList,
}

/// A section of the file as the header gives it: entry count and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Section {
    /// Number of entries (bytes for `link` and `data`).
    pub size: u32,
    /// Offset from the start of the file.
    pub offset: u32,
}

/// The DEX header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format version from the magic (35 to 41).
    pub version: u16,
    /// The Adler-32 checksum of everything after this field.
    pub checksum: u32,
    /// The SHA-1 of everything after this field.
    pub signature: [u8; 20],
    /// Size of the file.
    pub file_size: u32,
    /// Size of the header.
    pub header_size: u32,
    /// The link section (unused by Android).
    pub link: Section,
    /// Offset of the map list, 0 when absent.
    pub map_off: u32,
    /// `string_ids`.
    pub string_ids: Section,
    /// `type_ids`.
    pub type_ids: Section,
    /// `proto_ids`.
    pub proto_ids: Section,
    /// `field_ids`.
    pub field_ids: Section,
    /// `method_ids`.
    pub method_ids: Section,
    /// `class_defs`.
    pub class_defs: Section,
    /// The data section (bytes).
    pub data: Section,
    /// Version 041 and later: the size of the container of DEX files this one is in and
    /// this header's offset in it.
    pub container: Option<(u32, u32)>,
}

/// One entry of the map list: a kind of item, how many and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapItem {
    /// The item type code (0x0000 header, 0x0001 string ids, ..., 0x2000 class data, ...).
    pub kind: u16,
    /// Number of items.
    pub size: u32,
    /// Offset of the first.
    pub offset: u32,
}

/// A parsed DEX file over its bytes.
#[derive(Debug, Clone)]
pub struct Dex<'a> {
    data: &'a [u8],
    header: Header,
    map: Vec<MapItem>,
    anomalies: Vec<Anomaly>,
    limits: DexLimits,
}

impl<'a> Dex<'a> {
    /// Parse with the default [`DexLimits`].
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        Self::parse_with(data, DexLimits::default())
    }

    /// Parse the header and map list of `data`, checking every section against the data and
    /// `limits`, and verify the checksum and signature.
    pub fn parse_with(data: &'a [u8], limits: DexLimits) -> Result<Self> {
        let mut anomalies = Vec::new();
        let (header, data) = read_header(data, &mut anomalies)?;
        check_sections(&header, &limits)?;
        let computed = adler2::adler32_slice(data.get(12..).unwrap_or_default());
        if computed != header.checksum {
            anomalies.push(Anomaly::ChecksumMismatch {
                stored: header.checksum,
                computed,
            });
        }
        {
            use sha1::Digest;
            let digest = sha1::Sha1::digest(data.get(32..).unwrap_or_default());
            if digest.as_slice() != header.signature {
                anomalies.push(Anomaly::SignatureMismatch);
            }
        }
        let map = if header.map_off == 0 {
            anomalies.push(Anomaly::NoMapList);
            Vec::new()
        } else {
            read_map(data, header.map_off, &limits)?
        };
        Ok(Dex {
            data,
            header,
            map,
            anomalies,
            limits,
        })
    }

    /// The file's bytes (up to the header's `file_size`).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The format version (35 to 41).
    pub fn version(&self) -> u16 {
        self.header.version
    }

    /// The map list (empty when the file has none).
    pub fn map(&self) -> &[MapItem] {
        &self.map
    }

    /// What is odd about the file but did not stop it being read.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// Whether the header's checksum is that of the file.
    pub fn checksum_ok(&self) -> bool {
        !self
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::ChecksumMismatch { .. }))
    }

    /// The limits this file is read under.
    pub fn limits(&self) -> &DexLimits {
        &self.limits
    }

    /// A reader at `offset`, naming `what` in errors.
    fn reader_at(&self, offset: u32, what: &'static str) -> Result<Reader<'a>> {
        Reader::at(self.data, offset as usize, what)
    }
}

fn read_header<'a>(data: &'a [u8], anomalies: &mut Vec<Anomaly>) -> Result<(Header, &'a [u8])> {
    const WHAT: &str = "dex header";
    let mut r = Reader::new(data, WHAT);
    let magic = r.take(8)?;
    if magic.get(..4) != Some(b"dex\n".as_slice()) || magic.get(7) != Some(&0) {
        return Err(ApkError::malformed(WHAT, "not a DEX file (bad magic)"));
    }
    let version = magic
        .get(4..7)
        .and_then(|v| std::str::from_utf8(v).ok())
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u16>().ok())
        .ok_or_else(|| ApkError::malformed(WHAT, "version in the magic is not three digits"))?;
    if !(35..=41).contains(&version) {
        return Err(ApkError::Unsupported {
            what: WHAT,
            why: format!("DEX version {version:03}"),
        });
    }
    let checksum = r.u32()?;
    let mut signature = [0u8; 20];
    signature.copy_from_slice(r.take(20)?);
    let file_size = r.u32()?;
    let header_size = r.u32()?;
    let endian = r.u32()?;
    let section = |r: &mut Reader| -> Result<Section> {
        Ok(Section {
            size: r.u32()?,
            offset: r.u32()?,
        })
    };
    let link = section(&mut r)?;
    let map_off = r.u32()?;
    let string_ids = section(&mut r)?;
    let type_ids = section(&mut r)?;
    let proto_ids = section(&mut r)?;
    let field_ids = section(&mut r)?;
    let method_ids = section(&mut r)?;
    let class_defs = section(&mut r)?;
    let data_section = section(&mut r)?;
    // Version 041 headers go on with the container's size and this header's offset in it.
    let container = if version >= 41 && header_size >= 0x78 && file_size as usize >= 0x78 {
        Some((r.u32()?, r.u32()?))
    } else {
        None
    };
    match endian {
        ENDIAN_CONSTANT => {}
        REVERSE_ENDIAN_CONSTANT => {
            return Err(ApkError::Unsupported {
                what: WHAT,
                why: "big-endian DEX file".into(),
            })
        }
        other => {
            return Err(ApkError::malformed(
                WHAT,
                format!("endian tag {other:#010x}"),
            ))
        }
    }
    if (file_size as usize) > data.len() {
        return Err(ApkError::Truncated {
            what: "dex file (shorter than its file_size)",
            offset: data.len() as u64,
        });
    }
    if (header_size as usize) < HEADER_SIZE || header_size > file_size {
        return Err(ApkError::malformed(
            WHAT,
            format!("header_size {header_size} (file_size {file_size})"),
        ));
    }
    if let Some((container_size, header_offset)) = container {
        if header_offset != 0 || container_size != file_size {
            return Err(ApkError::Unsupported {
                what: WHAT,
                why: format!(
                    "DEX 041 container of several files ({container_size} bytes, this header \
                     at {header_offset}, {file_size} bytes long)"
                ),
            });
        }
    } else if header_size as usize > HEADER_SIZE {
        anomalies.push(Anomaly::LargeHeader(header_size));
    }
    if (file_size as usize) < data.len() {
        anomalies.push(Anomaly::TrailingData {
            file_size,
            data_len: data.len(),
        });
    }
    let data = data.get(..file_size as usize).unwrap_or(data);
    let header = Header {
        version,
        checksum,
        signature,
        file_size,
        header_size,
        link,
        map_off,
        string_ids,
        type_ids,
        proto_ids,
        field_ids,
        method_ids,
        class_defs,
        data: data_section,
        container,
    };
    Ok((header, data))
}

/// Every section within the file and its count within the limits.
fn check_sections(h: &Header, limits: &DexLimits) -> Result<()> {
    let sections: [(&'static str, Section, u64, u32); 8] = [
        ("dex link section", h.link, 1, u32::MAX),
        ("dex string_ids", h.string_ids, 4, limits.max_strings),
        ("dex type_ids", h.type_ids, 4, limits.max_ids),
        ("dex proto_ids", h.proto_ids, 12, limits.max_ids),
        ("dex field_ids", h.field_ids, 8, limits.max_ids),
        ("dex method_ids", h.method_ids, 8, limits.max_methods),
        ("dex class_defs", h.class_defs, 32, limits.max_classes),
        ("dex data section", h.data, 1, u32::MAX),
    ];
    for (what, s, item, limit) in sections {
        if s.size > limit {
            return Err(ApkError::TooLarge {
                what,
                size: s.size.into(),
                limit: limit.into(),
            });
        }
        if s.size == 0 {
            continue;
        }
        let end = u64::from(s.offset) + u64::from(s.size) * item;
        if end > u64::from(h.file_size) {
            return Err(ApkError::malformed(
                what,
                format!(
                    "{} entries at offset {:#x} end at {end:#x}, past the end of the file ({:#x})",
                    s.size, s.offset, h.file_size
                ),
            ));
        }
    }
    // Indices of types are u16 in field, method and proto items; of protos too.
    if h.type_ids.size > 0x1_0000 {
        return Err(ApkError::malformed(
            "dex type_ids",
            format!("{} types, more than 65536", h.type_ids.size),
        ));
    }
    if h.proto_ids.size > 0x1_0000 {
        return Err(ApkError::malformed(
            "dex proto_ids",
            format!("{} protos, more than 65536", h.proto_ids.size),
        ));
    }
    Ok(())
}

fn read_map(data: &[u8], map_off: u32, limits: &DexLimits) -> Result<Vec<MapItem>> {
    const WHAT: &str = "dex map_list";
    if !map_off.is_multiple_of(4) {
        return Err(ApkError::malformed(
            WHAT,
            format!("offset {map_off:#x} not 4-aligned"),
        ));
    }
    let mut r = Reader::at(data, map_off as usize, WHAT)?;
    let size = r.u32()?;
    if size > limits.max_map_items {
        return Err(ApkError::TooLarge {
            what: WHAT,
            size: size.into(),
            limit: limits.max_map_items.into(),
        });
    }
    if (size as usize).saturating_mul(12) > r.remaining() {
        return Err(ApkError::Truncated {
            what: WHAT,
            offset: r.pos() as u64,
        });
    }
    let mut map = Vec::with_capacity(size as usize);
    for _ in 0..size {
        let kind = r.u16()?;
        r.skip(2)?;
        map.push(MapItem {
            kind,
            size: r.u32()?,
            offset: r.u32()?,
        });
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_magic_and_versions() {
        let mut h = vec![0u8; 0x70];
        assert!(Dex::parse(&h).is_err());
        h[..8].copy_from_slice(b"dex\n034\0");
        assert!(matches!(Dex::parse(&h), Err(ApkError::Unsupported { .. })));
        h[..8].copy_from_slice(b"dex\n0x5\0");
        assert!(matches!(Dex::parse(&h), Err(ApkError::Malformed { .. })));
    }

    /// A header alone: magic of `version`, the given sizes, sections empty.
    fn bare_header(version: &[u8; 3], header_size: u32, container: Option<(u32, u32)>) -> Vec<u8> {
        let mut h = vec![0u8; header_size as usize];
        h[..4].copy_from_slice(b"dex\n");
        h[4..7].copy_from_slice(version);
        h[32..36].copy_from_slice(&header_size.to_le_bytes());
        h[36..40].copy_from_slice(&header_size.to_le_bytes());
        h[40..44].copy_from_slice(&ENDIAN_CONSTANT.to_le_bytes());
        if let Some((size, offset)) = container {
            h[0x70..0x74].copy_from_slice(&size.to_le_bytes());
            h[0x74..0x78].copy_from_slice(&offset.to_le_bytes());
        }
        h
    }

    #[test]
    fn version_041_containers_of_one_file_read_and_of_several_are_unsupported() {
        let one = bare_header(b"041", 0x78, Some((0x78, 0)));
        let dex = Dex::parse(&one).unwrap();
        assert_eq!(dex.header().container, Some((0x78, 0)));
        assert!(!dex
            .anomalies()
            .iter()
            .any(|a| matches!(a, Anomaly::LargeHeader(_))));
        let several = bare_header(b"041", 0x78, Some((0x1000, 0)));
        assert!(matches!(
            Dex::parse(&several),
            Err(ApkError::Unsupported { .. })
        ));
        let bare = bare_header(b"035", 0x70, None);
        let dex = Dex::parse(&bare).unwrap();
        assert!(dex.anomalies().contains(&Anomaly::NoMapList));
        assert!(dex
            .anomalies()
            .iter()
            .any(|a| matches!(a, Anomaly::ChecksumMismatch { .. })));
        let mut big_endian = bare_header(b"035", 0x70, None);
        big_endian[40..44].copy_from_slice(&REVERSE_ENDIAN_CONSTANT.to_le_bytes());
        assert!(matches!(
            Dex::parse(&big_endian),
            Err(ApkError::Unsupported { .. })
        ));
    }
}
