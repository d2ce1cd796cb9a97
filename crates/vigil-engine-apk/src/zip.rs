//! The APK container: a zip archive read the way Android reads it. [`Archive`] finds the end
//! of central directory record as libziparchive does (the last signature in the final
//! 64 KiB, whose comment must reach the end of the file; [`find_eocd`] is the tolerant
//! search of apksig that takes the last record whose comment does), follows ZIP64 records,
//! and trusts the central directory for every entry's method, sizes and CRC. Each local
//! header is read only to skip its own name and extra field to the data, and compared with
//! the central directory. What malware does to the container to mislead other tools while
//! Android still installs the package is recorded as an [`Anomaly`] and the read goes on;
//! only an archive without a usable central directory is an error.
//!
//! Choices where Android versions or readers differ (sources: AOSP
//! `system/libziparchive/zip_archive.cc`, `frameworks/base/libs/androidfw` `ApkAssets` and
//! `AssetsProvider`):
//! - A compression method other than stored or deflated is read as stored, taking the
//!   uncompressed size: `ApkAssets` opens every non-deflated entry as an uncompressed map, so
//!   the package installs and runs while `java.util.zip`-based tools fail (BadPack).
//! - The local header's method is ignored (Android never compares it); its sizes are used
//!   for nothing. Both are reported when they differ.
//! - The encryption flag is ignored (so is it by Android) and reported.
//! - Of duplicate names the first is returned by [`Archive::by_name`]; Android refuses the
//!   archive, which is reported.
//! - Names are kept as bytes with a lossy UTF-8 copy; traversal is reported, never used.

mod anomaly;
mod read;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::bytes::Reader;
use crate::error::{ApkError, Result};

pub use anomaly::{Anomaly, Mismatch, NameIssue};
use read::Budget;
pub use read::{Contents, ZipLimits};

/// Signature of the end of central directory record.
const EOCD_SIG: u32 = 0x0605_4b50;
/// Size of the end of central directory record without its comment.
pub const EOCD_LEN: usize = 22;
/// Longest zip comment.
const MAX_COMMENT: usize = 0xffff;
/// Signature of a central directory record.
const CD_SIG: u32 = 0x0201_4b50;
/// Size of a central directory record without its name, extra field and comment.
const CD_LEN: usize = 46;
/// Signature of a local file header.
const LFH_SIG: u32 = 0x0403_4b50;
/// Size of a local file header without its name and extra field.
const LFH_LEN: usize = 30;
/// Signature of the ZIP64 end of central directory locator.
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// Size of the ZIP64 end of central directory locator.
const ZIP64_LOCATOR_LEN: usize = 20;
/// Signature of the ZIP64 end of central directory record.
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
/// Size of the ZIP64 end of central directory record without its extensible data.
const ZIP64_EOCD_LEN: usize = 56;
/// Header id of the ZIP64 extended information extra field.
const ZIP64_EXTRA: u16 = 0x0001;
/// General purpose flag: the entry is encrypted.
pub const FLAG_ENCRYPTED: u16 = 0x0001;
/// General purpose flag: sizes and CRC follow the data in a data descriptor.
pub const FLAG_DATA_DESCRIPTOR: u16 = 0x0008;

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

/// The end of central directory record at `at`, if its signature is there.
fn eocd_at(data: &[u8], at: usize) -> Result<Option<Eocd>> {
    let mut r = Reader::at(data, at, "zip end of central directory")?;
    if r.u32()? != EOCD_SIG {
        return Ok(None);
    }
    // This disk, the directory's disk and its entries on this disk: spanning is not used.
    r.skip(6)?;
    let entries = r.u16()?;
    let cd_size = r.u32()?;
    let cd_offset = r.u32()?;
    let comment_len = r.u16()?;
    Ok(Some(Eocd {
        offset: at,
        cd_offset,
        cd_size,
        entries,
        comment_len,
    }))
}

/// Offsets where an end of central directory record may start, last first.
fn eocd_candidates(data: &[u8]) -> impl Iterator<Item = usize> {
    let last = data.len().checked_sub(EOCD_LEN);
    let lowest = data.len().saturating_sub(EOCD_LEN + MAX_COMMENT);
    last.into_iter().flat_map(move |last| (lowest..=last).rev())
}

/// Find the end of central directory record: the last one whose comment length reaches
/// exactly to the end of the data (as apksig's `ZipUtils` does), searching at most the last
/// 64 KiB and 22 bytes.
pub fn find_eocd(data: &[u8]) -> Result<Eocd> {
    if data.len() < EOCD_LEN {
        return Err(ApkError::Truncated {
            what: "zip end of central directory",
            offset: data.len() as u64,
        });
    }
    for at in eocd_candidates(data) {
        if let Some(e) = eocd_at(data, at)? {
            if at + EOCD_LEN + usize::from(e.comment_len) == data.len() {
                return Ok(e);
            }
        }
    }
    Err(ApkError::malformed(
        "zip archive",
        "no end of central directory record",
    ))
}

/// The end of central directory record Android takes (the last signature), or when its
/// comment does not reach the end, the one [`find_eocd`] takes, or failing that the last.
fn locate_eocd(data: &[u8], anomalies: &mut Vec<Anomaly>) -> Result<Eocd> {
    let mut last = None;
    for at in eocd_candidates(data) {
        if let Some(e) = eocd_at(data, at)? {
            last = Some(e);
            break;
        }
    }
    let Some(last) = last else {
        return find_eocd(data);
    };
    let actual = data.len() - last.offset - EOCD_LEN;
    if actual == usize::from(last.comment_len) {
        return Ok(last);
    }
    if let Ok(e) = find_eocd(data) {
        anomalies.push(Anomaly::EocdInComment {
            offset: last.offset,
        });
        return Ok(e);
    }
    anomalies.push(Anomaly::CommentLengthMismatch {
        declared: last.comment_len,
        actual,
    });
    Ok(last)
}

/// Where the central directory is, from the end record or its ZIP64 successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentralDirectory {
    /// Offset of the central directory.
    pub offset: usize,
    /// Its size in bytes.
    pub size: usize,
    /// Number of entries declared.
    pub entries: u64,
    /// Offset of the ZIP64 end of central directory record, when there is one in use.
    pub zip64: Option<usize>,
}

fn to_usize(v: u64, what: &'static str) -> Result<usize> {
    usize::try_from(v).map_err(|_| ApkError::malformed(what, format!("offset {v} out of range")))
}

/// The central directory the end record points to. Like Android, the ZIP64 records are
/// read when the size or offset is `0xffffffff`, and the directory must end by the record
/// that declares it.
fn central_directory(data: &[u8], eocd: &Eocd) -> Result<CentralDirectory> {
    if eocd.cd_offset != u32::MAX && eocd.cd_size != u32::MAX {
        let offset = eocd.cd_offset as usize;
        let size = eocd.cd_size as usize;
        if offset.checked_add(size).is_none_or(|end| end > eocd.offset) {
            return Err(ApkError::malformed(
                "zip central directory",
                format!(
                    "offset {offset} and size {size} run past the end record at {}",
                    eocd.offset
                ),
            ));
        }
        return Ok(CentralDirectory {
            offset,
            size,
            entries: u64::from(eocd.entries),
            zip64: None,
        });
    }
    let what = "zip64 end of central directory";
    let locator_at = eocd
        .offset
        .checked_sub(ZIP64_LOCATOR_LEN)
        .ok_or(ApkError::Truncated { what, offset: 0 })?;
    let mut r = Reader::at(data, locator_at, what)?;
    if r.u32()? != ZIP64_LOCATOR_SIG {
        return Err(ApkError::malformed(
            what,
            "sizes are 0xffffffff but no ZIP64 locator precedes the end record",
        ));
    }
    let _disk = r.u32()?;
    let record_at = to_usize(r.u64()?, what)?;
    if record_at
        .checked_add(ZIP64_EOCD_LEN)
        .is_none_or(|end| end > locator_at)
    {
        return Err(ApkError::malformed(
            what,
            format!("record at {record_at} overlaps its locator at {locator_at}"),
        ));
    }
    let mut r = Reader::at(data, record_at, what)?;
    if r.u32()? != ZIP64_EOCD_SIG {
        return Err(ApkError::malformed(what, "no record signature"));
    }
    // Record size, versions made by and needed, disks and entries on this disk.
    r.skip(28)?;
    let entries = r.u64()?;
    let size = to_usize(r.u64()?, what)?;
    let offset = to_usize(r.u64()?, what)?;
    if offset.checked_add(size).is_none_or(|end| end > record_at) {
        return Err(ApkError::malformed(
            what,
            format!(
                "central directory at {offset} of {size} bytes runs past the record at {record_at}"
            ),
        ));
    }
    Ok(CentralDirectory {
        offset,
        size,
        entries,
        zip64: Some(record_at),
    })
}

/// A compression method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// 0: stored.
    Stored,
    /// 8: deflated.
    Deflated,
    /// Any other, read as stored (see the module documentation).
    Unknown(u16),
}

impl Method {
    /// The method of this zip method number.
    pub fn from_raw(raw: u16) -> Method {
        match raw {
            0 => Method::Stored,
            8 => Method::Deflated,
            m => Method::Unknown(m),
        }
    }

    /// Its zip method number.
    pub fn raw(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
            Method::Unknown(m) => m,
        }
    }
}

/// One entry of the central directory, with the data offset found through its local header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the central directory.
    pub index: usize,
    /// The name as stored.
    pub raw_name: Vec<u8>,
    /// The name as UTF-8, invalid sequences replaced.
    pub name: String,
    /// Compression method (central directory).
    pub method: Method,
    /// General purpose flags (central directory).
    pub flags: u16,
    /// CRC-32 of the uncompressed data (central directory).
    pub crc32: u32,
    /// Compressed size (central directory, ZIP64 extra field when `0xffffffff`).
    pub compressed_size: u64,
    /// Uncompressed size (as above).
    pub uncompressed_size: u64,
    /// Offset of the local header (as above).
    pub local_header_offset: u64,
    /// Offset of the data: after the local header and the LOCAL name and extra field.
    /// `None` when the local header cannot be read.
    pub data_offset: Option<usize>,
    /// "Version made by" (high byte: host system, 3 for Unix).
    pub version_made_by: u16,
    /// External file attributes (Unix mode in the high 16 bits when made on Unix).
    pub external_attributes: u32,
}

impl Entry {
    /// Whether the name ends with `/`.
    pub fn is_dir(&self) -> bool {
        self.raw_name.last() == Some(&b'/')
    }

    /// Whether the encryption flag is set (ignored by Android and Vigil).
    pub fn is_encrypted(&self) -> bool {
        self.flags & FLAG_ENCRYPTED != 0
    }

    /// Bytes of the archive Android reads as this entry's data: the compressed size when
    /// deflated, the uncompressed size otherwise (stored, or unknown read as stored).
    pub fn stored_len(&self) -> u64 {
        match self.method {
            Method::Deflated => self.compressed_size,
            Method::Stored | Method::Unknown(_) => self.uncompressed_size,
        }
    }

    /// The range of the archive holding the entry's data, when its local header was read.
    pub fn data_range(&self) -> Option<Range<u64>> {
        let start = self.data_offset? as u64;
        Some(start..start.saturating_add(self.stored_len()))
    }

    /// The Unix mode, when the entry was made on Unix.
    pub fn unix_mode(&self) -> Option<u32> {
        (self.version_made_by >> 8 == 3).then_some(self.external_attributes >> 16)
    }

    /// Whether the name says the entry is itself an archive (`.apk`, `.jar`, `.zip`,
    /// `.apks`, `.xapk`, `.apkm`, `.aab`), something [`Archive::nested`] can open.
    pub fn has_archive_name(&self) -> bool {
        let lower = self.name.to_ascii_lowercase();
        [".apk", ".jar", ".zip", ".apks", ".xapk", ".apkm", ".aab"]
            .iter()
            .any(|ext| lower.ends_with(ext))
    }
}

/// A zip archive (APK, JAR, split APK bundle) over bytes in memory, usually a mapped file.
#[derive(Debug)]
pub struct Archive<'a> {
    data: Cow<'a, [u8]>,
    eocd: Eocd,
    cd: CentralDirectory,
    entries: Vec<Entry>,
    by_name: HashMap<Vec<u8>, usize>,
    anomalies: Vec<Anomaly>,
    limits: ZipLimits,
    depth: u32,
    budget: Arc<Budget>,
}

impl<'a> Archive<'a> {
    /// Read the central directory of the archive in `data`. Errors only when there is no
    /// usable central directory, or more entries than `limits` allow; everything else odd
    /// is in [`anomalies`](Self::anomalies).
    pub fn new(data: &'a [u8], limits: &ZipLimits) -> Result<Archive<'a>> {
        Archive::open(Cow::Borrowed(data), limits.clone(), 0, Arc::default())
    }

    /// [`Archive::new`] over owned bytes.
    pub fn from_vec(data: Vec<u8>, limits: &ZipLimits) -> Result<Archive<'static>> {
        Archive::open(Cow::Owned(data), limits.clone(), 0, Arc::default())
    }

    fn open(
        data: Cow<'a, [u8]>,
        limits: ZipLimits,
        depth: u32,
        budget: Arc<Budget>,
    ) -> Result<Archive<'a>> {
        let mut anomalies = Vec::new();
        let eocd = locate_eocd(&data, &mut anomalies)?;
        let cd = central_directory(&data, &eocd)?;
        if cd.entries > limits.max_entries {
            return Err(ApkError::TooLarge {
                what: "zip central directory entries",
                size: cd.entries,
                limit: limits.max_entries,
            });
        }
        let entries = parse_entries(&data, &cd, &mut anomalies);
        let mut by_name = HashMap::with_capacity(entries.len());
        for e in &entries {
            if let Some(&first) = by_name.get(&e.raw_name) {
                anomalies.push(Anomaly::DuplicateName {
                    name: e.name.clone(),
                    first,
                    duplicate: e.index,
                });
            } else {
                by_name.insert(e.raw_name.clone(), e.index);
            }
        }
        check_layout(&data, &entries, &mut anomalies);
        Ok(Archive {
            data,
            eocd,
            cd,
            entries,
            by_name,
            anomalies,
            limits,
            depth,
            budget,
        })
    }

    /// The whole archive.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The end of central directory record read.
    pub fn eocd(&self) -> &Eocd {
        &self.eocd
    }

    /// Where the central directory is (ZIP64 resolved).
    pub fn central_directory(&self) -> &CentralDirectory {
        &self.cd
    }

    /// Offset of the central directory (where the APK signing block ends).
    pub fn cd_offset(&self) -> usize {
        self.cd.offset
    }

    /// The entries, in central directory order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The first entry named `name`.
    pub fn by_name(&self, name: &str) -> Option<&Entry> {
        self.by_name
            .get(name.as_bytes())
            .and_then(|&i| self.entries.get(i))
    }

    /// What is odd about the archive.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// How deep this archive is nested (0 for the package itself).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The limits it is read under.
    pub fn limits(&self) -> &ZipLimits {
        &self.limits
    }

    /// Bytes inflated so far from this archive, the one it is nested in and their nested
    /// archives.
    pub fn inflated_total(&self) -> u64 {
        self.budget.used()
    }

    /// An entry's data with the CRC and size checks, bounded by the limits: stored (and
    /// unknown-method) entries are borrowed, deflated ones inflated.
    pub fn read_entry(&self, entry: &Entry) -> Result<Contents<'_>> {
        let start = entry.data_offset.ok_or_else(|| {
            ApkError::malformed(
                "zip local header",
                format!(
                    "entry {} ({:?}) has no readable local header",
                    entry.index, entry.name
                ),
            )
        })?;
        let deflated = entry.method == Method::Deflated;
        read::precheck(
            &self.limits,
            entry.compressed_size,
            entry.uncompressed_size,
            deflated,
        )?;
        let len = to_usize(entry.stored_len(), "zip entry")?;
        let bytes = start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or(ApkError::Truncated {
                what: "zip entry data",
                offset: self.data.len() as u64,
            })?;
        let data = if deflated {
            Cow::Owned(read::inflate(
                bytes,
                entry.uncompressed_size,
                &self.limits,
                &self.budget,
            )?)
        } else {
            Cow::Borrowed(bytes)
        };
        Ok(Contents::checked(
            data,
            entry.crc32,
            entry.uncompressed_size,
            deflated,
        ))
    }

    /// An entry's data, bounded by the limits (see [`read_entry`](Self::read_entry)).
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>> {
        self.read_entry(entry).map(|c| c.data.into_owned())
    }

    /// The data of the first entry named `name`, if there is one.
    pub fn read_name(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.by_name(name).map(|e| self.read(e)).transpose()
    }

    /// Open the archive inside an entry (an APK in assets, a split APK in an `.apks` or
    /// `.xapk` bundle, a JAR), one level deeper, sharing this archive's inflate budget.
    /// Refused with [`ApkError::TooLarge`] past [`ZipLimits::max_depth`].
    pub fn nested(&self, entry: &Entry) -> Result<Archive<'_>> {
        let depth = self.depth + 1;
        if depth > self.limits.max_depth {
            return Err(ApkError::TooLarge {
                what: "nested archive depth",
                size: u64::from(depth),
                limit: u64::from(self.limits.max_depth),
            });
        }
        let contents = self.read_entry(entry)?;
        Archive::open(
            contents.data,
            self.limits.clone(),
            depth,
            Arc::clone(&self.budget),
        )
    }
}

/// A central directory record as read, before its local header is.
struct Record {
    made_by: u16,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
    external: u32,
    name: Vec<u8>,
}

/// The fields central directory records and local headers share, from the flags to the
/// extra field length.
struct Fields {
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u32,
    uncompressed: u32,
    name_len: usize,
    extra_len: usize,
}

fn fields(r: &mut Reader<'_>) -> Result<Fields> {
    let flags = r.u16()?;
    let method = r.u16()?;
    let _time = r.u16()?;
    let _date = r.u16()?;
    Ok(Fields {
        flags,
        method,
        crc32: r.u32()?,
        compressed: r.u32()?,
        uncompressed: r.u32()?,
        name_len: usize::from(r.u16()?),
        extra_len: usize::from(r.u16()?),
    })
}

/// One central directory record; its ZIP64 extra field replaces `0xffffffff` fields.
fn read_record(r: &mut Reader<'_>) -> Result<Option<Record>> {
    if r.u32()? != CD_SIG {
        return Ok(None);
    }
    let made_by = r.u16()?;
    let _needed = r.u16()?;
    let Fields {
        flags,
        method,
        crc32,
        compressed,
        uncompressed,
        name_len,
        extra_len,
    } = fields(r)?;
    let comment_len = r.u16()?;
    let _disk = r.u16()?;
    let _internal = r.u16()?;
    let external = r.u32()?;
    let local_offset = r.u32()?;
    let name = r.take(name_len)?.to_vec();
    let extra = r.take(extra_len)?;
    r.skip(usize::from(comment_len))?;
    let mut rec = Record {
        made_by,
        flags,
        method,
        crc32,
        compressed: u64::from(compressed),
        uncompressed: u64::from(uncompressed),
        local_offset: u64::from(local_offset),
        external,
        name,
    };
    if uncompressed == u32::MAX || compressed == u32::MAX || local_offset == u32::MAX {
        if let Some(mut z) = zip64_extra(extra) {
            // Present only for the fields that overflowed, in this order.
            for (field, short) in [
                (&mut rec.uncompressed, uncompressed),
                (&mut rec.compressed, compressed),
                (&mut rec.local_offset, local_offset),
            ] {
                if short == u32::MAX {
                    match z.u64() {
                        Ok(v) => *field = v,
                        Err(_) => break,
                    }
                }
            }
        }
    }
    Ok(Some(rec))
}

/// The data of the ZIP64 extended information field in an extra field.
fn zip64_extra(extra: &[u8]) -> Option<Reader<'_>> {
    let mut r = Reader::new(extra, "zip64 extra field");
    while r.remaining() >= 4 {
        let id = r.u16().ok()?;
        let len = r.u16().ok()?;
        let body = r.take(usize::from(len)).ok()?;
        if id == ZIP64_EXTRA {
            return Some(Reader::new(body, "zip64 extra field"));
        }
    }
    None
}

/// Every entry of the central directory (as many as it declares and holds), with its local
/// header read and compared.
fn parse_entries(data: &[u8], cd: &CentralDirectory, anomalies: &mut Vec<Anomaly>) -> Vec<Entry> {
    let cd_bytes = cd
        .offset
        .checked_add(cd.size)
        .and_then(|end| data.get(cd.offset..end))
        .unwrap_or(&[]);
    let mut r = Reader::new(cd_bytes, "zip central directory");
    let room = (cd.size / CD_LEN) as u64;
    let mut entries = Vec::with_capacity(usize::try_from(cd.entries.min(room)).unwrap_or(0));
    for i in 0..cd.entries {
        let Ok(Some(rec)) = read_record(&mut r) else {
            anomalies.push(Anomaly::CentralDirectoryTruncated {
                declared: cd.entries,
                parsed: i,
            });
            return entries;
        };
        let index = entries.len();
        entries.push(entry(data, cd, index, rec, anomalies));
    }
    if r.pos() != cd.size {
        anomalies.push(Anomaly::CentralDirectorySizeMismatch {
            declared: cd.size as u64,
            parsed: r.pos() as u64,
        });
    }
    entries
}

/// The entry of a central directory record, its local header read and checked.
fn entry(
    data: &[u8],
    cd: &CentralDirectory,
    index: usize,
    rec: Record,
    anomalies: &mut Vec<Anomaly>,
) -> Entry {
    let name = String::from_utf8_lossy(&rec.name).into_owned();
    check_name(index, &rec.name, &name, anomalies);
    let method = Method::from_raw(rec.method);
    if let Method::Unknown(method) = method {
        anomalies.push(Anomaly::UnknownCompressionMethod { index, method });
    }
    if rec.flags & FLAG_ENCRYPTED != 0 {
        anomalies.push(Anomaly::EncryptedFlag { index });
    }
    if method == Method::Stored && rec.compressed != rec.uncompressed {
        anomalies.push(Anomaly::StoredSizeMismatch {
            index,
            compressed: rec.compressed,
            uncompressed: rec.uncompressed,
        });
    }
    let mut e = Entry {
        index,
        raw_name: rec.name,
        name,
        method,
        flags: rec.flags,
        crc32: rec.crc32,
        compressed_size: rec.compressed,
        uncompressed_size: rec.uncompressed,
        local_header_offset: rec.local_offset,
        data_offset: None,
        version_made_by: rec.made_by,
        external_attributes: rec.external,
    };
    let bad = |why| Anomaly::BadLocalHeader {
        index,
        offset: rec.local_offset,
        why,
    };
    // Like Android: the header and a name of at least one byte end before the directory.
    let inside = rec.local_offset.saturating_add(LFH_LEN as u64) < cd.offset as u64;
    if !inside {
        anomalies.push(bad("does not end before the central directory"));
    }
    match local_header(data, &e) {
        Ok((data_offset, local_method, differs)) => {
            e.data_offset = Some(data_offset);
            if differs.any() {
                anomalies.push(Anomaly::LocalHeaderMismatch {
                    index,
                    local_method,
                    differs,
                });
            }
            let end = (data_offset as u64).saturating_add(e.stored_len());
            let limit = (cd.offset as u64).min(data.len() as u64);
            if end > limit && inside {
                anomalies.push(Anomaly::DataOutsideArchive { index, end, limit });
            }
        }
        Err(why) => anomalies.push(bad(why)),
    }
    e
}

/// Read the local header of `e`: the data offset (after the local name and extra field),
/// the local method, and what differs from the central directory.
fn local_header(data: &[u8], e: &Entry) -> Result<(usize, u16, Mismatch), &'static str> {
    let at = usize::try_from(e.local_header_offset).map_err(|_| "offset out of range")?;
    let mut r = Reader::at(data, at, "zip local header").map_err(|_| "past the end of the file")?;
    let mut header = || -> Result<_> {
        let sig = r.u32()?;
        let _needed = r.u16()?;
        let f = fields(&mut r)?;
        let name = r.take(f.name_len)?;
        r.skip(f.extra_len)?;
        Ok((sig, f, name))
    };
    let (sig, f, name) = header().map_err(|_| "truncated")?;
    if sig != LFH_SIG {
        return Err("no local header signature");
    }
    let zip64_sizes = f.compressed == u32::MAX && f.uncompressed == u32::MAX;
    let descriptor = f.flags & FLAG_DATA_DESCRIPTOR != 0;
    let differs = Mismatch {
        name: name != e.raw_name.as_slice(),
        method: f.method != e.method.raw(),
        sizes: !descriptor
            && !zip64_sizes
            && (u64::from(f.compressed) != e.compressed_size
                || u64::from(f.uncompressed) != e.uncompressed_size),
        crc: !descriptor && f.crc32 != e.crc32,
        data_descriptor: descriptor != (e.flags & FLAG_DATA_DESCRIPTOR != 0),
    };
    Ok((r.pos(), f.method, differs))
}

/// Whether Android's entry name check (libziparchive `IsValidEntryName`) accepts `name`:
/// no NUL, and the byte structure of UTF-8 (lead bytes followed by as many continuation
/// bytes as they announce), without rejecting overlong or out-of-range forms.
pub fn android_valid_name(name: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = name.get(i) {
        i += 1;
        if b == 0 {
            return false;
        }
        if b & 0x80 == 0 {
            continue;
        }
        if b & 0xc0 == 0x80 || b & 0xfe == 0xfe {
            return false;
        }
        // Each further leading 1 bit after the first announces a continuation byte.
        let continuations = (b << 1).leading_ones() as usize;
        for _ in 0..continuations {
            match name.get(i) {
                Some(c) if c & 0xc0 == 0x80 => i += 1,
                _ => return false,
            }
        }
    }
    true
}

/// Report names that are not UTF-8 or would escape an extraction directory.
fn check_name(index: usize, raw: &[u8], name: &str, anomalies: &mut Vec<Anomaly>) {
    if std::str::from_utf8(raw).is_err() {
        anomalies.push(Anomaly::NonUtf8Name {
            index,
            android_accepts: android_valid_name(raw),
        });
    }
    let mut issues = Vec::new();
    if raw.contains(&0) {
        issues.push(NameIssue::Nul);
    }
    if raw.contains(&b'\\') {
        issues.push(NameIssue::Backslash);
    }
    let drive = matches!(raw, [d, b':', ..] if d.is_ascii_alphabetic());
    if raw.first() == Some(&b'/') || raw.first() == Some(&b'\\') || drive {
        issues.push(NameIssue::Absolute);
    }
    if raw
        .split(|&b| b == b'/' || b == b'\\')
        .any(|part| part == b"..")
    {
        issues.push(NameIssue::ParentDir);
    }
    for issue in issues {
        anomalies.push(Anomaly::NameTraversal {
            index,
            name: name.to_string(),
            issue,
        });
    }
}

/// Report bytes before the first entry and entries whose local header and data overlap.
fn check_layout(data: &[u8], entries: &[Entry], anomalies: &mut Vec<Anomaly>) {
    let mut spans: Vec<(u64, u64, usize)> = entries
        .iter()
        .filter_map(|e| {
            let end = e.data_range()?.end;
            Some((e.local_header_offset, end, e.index))
        })
        .collect();
    spans.sort_unstable();
    if let Some(&(first, _, _)) = spans.first() {
        if first > 0 {
            anomalies.push(Anomaly::DataBeforeFirstEntry {
                len: first,
                starts_with_local_header: data.get(..4) == Some(&LFH_SIG.to_le_bytes()[..]),
            });
        }
    }
    // Sweep by start, keeping the entry reaching furthest so far.
    let mut reach: Option<(u64, usize)> = None;
    for (start, end, index) in spans {
        if let Some((far, owner)) = reach {
            if start < far {
                anomalies.push(Anomaly::OverlappingEntries {
                    first: owner,
                    second: index,
                });
            }
            if end > far {
                reach = Some((end, index));
            }
        } else {
            reach = Some((end, index));
        }
    }
}
