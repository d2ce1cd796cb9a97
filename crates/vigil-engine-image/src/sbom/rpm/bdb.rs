//! The rpm database in its Berkeley DB form: `/var/lib/rpm/Packages` of RHEL/CentOS 7 and 8,
//! Rocky/Alma 8, Amazon Linux 2 and older openSUSE, a Berkeley DB *hash* database whose keys
//! are 4-byte header numbers (in the database's byte order) and whose values are rpm header
//! blobs. Key 0 holds rpm's bookkeeping, not a header, and is skipped.
//!
//! Read without Berkeley DB, the way rpm's own read-only backend (`bdb_ro`) does: the metadata
//! page (page 0: magic `0x061561`, either byte order, hash versions 8 to 10, the page size,
//! the last page, the highest bucket and the `spares` table that maps buckets to pages), then
//! every bucket's chain of hash pages (`P_HASH`, `P_HASH_UNSORTED`), whose index holds
//! key/value item pairs. An item is either on the page (`H_KEYDATA`) or, when larger than a
//! fraction of the page, a reference (`H_OFFPAGE`: first page and total length) to a chain of
//! overflow pages (`P_OVERFLOW`, each carrying its byte count in the header's free-offset
//! field). Pages with checksums (a 32-byte header) are read; encrypted databases are not.
//!
//! Every page is visited at most once over the whole read (a loop or two chains sharing a
//! page is an error), so the work and the bytes assembled are bounded by the file's size;
//! values over [`MAX_HEADER_BYTES`] are not assembled and at most [`MAX_PACKAGES`] entries are
//! returned. Nothing here panics on any input.

use super::{parse_header, HeaderError, RpmRow, MAX_HEADER_BYTES, MAX_PACKAGES};

/// The Berkeley DB hash magic number (metadata page, offset 12).
pub const HASH_MAGIC: u32 = 0x0006_1561;
/// Smallest page size Berkeley DB uses.
pub const MIN_PAGE_SIZE: u32 = 512;
/// Largest page size Berkeley DB uses.
pub const MAX_PAGE_SIZE: u32 = 64 << 10;
/// Most pages in one database (far more than [`super::super::MAX_RPMDB_BYTES`] allows at the
/// smallest page size).
pub const MAX_PAGES: u64 = 1 << 22;

/// Metadata page type of a hash database.
const P_HASHMETA: u8 = 8;
/// Hash page types: unsorted (Berkeley DB before 4.6 and after), sorted.
const P_HASH_UNSORTED: u8 = 2;
const P_HASH: u8 = 13;
/// Overflow page type.
const P_OVERFLOW: u8 = 7;
/// Item types on a hash page.
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
/// Metadata flag: pages carry a checksum.
const DBMETA_CHKSUM: u8 = 1;
/// The page header, without and with a checksum.
const PAGE_HEADER: usize = 26;
const PAGE_HEADER_CHKSUM: usize = 32;

/// Why a Berkeley DB rpm database could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BdbError {
    /// No hash metadata page at the start.
    #[error("not a Berkeley DB hash database")]
    NotHash,
    /// A hash version other than 8, 9 or 10.
    #[error("unsupported Berkeley DB hash version {0}")]
    Version(u32),
    /// A page size that is not a power of two from 512 to 65536.
    #[error("bad Berkeley DB page size {0}")]
    PageSize(u32),
    /// Encrypted pages.
    #[error("encrypted Berkeley DB database")]
    Encrypted,
    /// The metadata names more pages than the file holds (or than [`MAX_PAGES`]).
    #[error("truncated Berkeley DB database: page {last} is the last, the file holds {held}")]
    Truncated {
        /// The last page number the metadata names.
        last: u64,
        /// Pages in the file.
        held: u64,
    },
    /// A page that is not what the walk expects.
    #[error("Berkeley DB page {0}: {1}")]
    BadPage(u32, &'static str),
    /// A page reached a second time: a loop in a page chain, or chains sharing a page.
    #[error("Berkeley DB page {0} reached twice (a page loop)")]
    Loop(u32),
}

/// The database's geometry and a page-visit record.
struct Db<'a> {
    data: &'a [u8],
    big_endian: bool,
    page_size: usize,
    header: usize,
    pages: u32,
    visited: Vec<bool>,
}

fn rd16(big_endian: bool, b: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

fn rd32(big_endian: bool, b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

impl<'a> Db<'a> {
    fn u16_at(&self, b: &[u8], at: usize) -> Option<u16> {
        rd16(self.big_endian, b, at)
    }

    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        rd32(self.big_endian, b, at)
    }

    /// Page `pgno`, marked visited; an error if out of range, already visited, or not
    /// carrying its own number.
    fn page(&mut self, pgno: u32) -> Result<&'a [u8], BdbError> {
        if pgno == 0 || pgno >= self.pages {
            return Err(BdbError::BadPage(pgno, "out of range"));
        }
        let seen = self
            .visited
            .get_mut(pgno as usize)
            .ok_or(BdbError::BadPage(pgno, "out of range"))?;
        if *seen {
            return Err(BdbError::Loop(pgno));
        }
        *seen = true;
        let start = (pgno as usize)
            .checked_mul(self.page_size)
            .ok_or(BdbError::BadPage(pgno, "out of range"))?;
        let data = self.data;
        let page = data
            .get(start..start.saturating_add(self.page_size))
            .ok_or(BdbError::BadPage(pgno, "out of range"))?;
        if self.u32_at(page, 8) != Some(pgno) {
            return Err(BdbError::BadPage(pgno, "page number mismatch"));
        }
        Ok(page)
    }

    /// The page of hash bucket `bucket` (`bucket + spares[bit length of bucket]`).
    fn bucket_page(&self, spares: &[u32; 32], bucket: u32) -> Option<u32> {
        let bits = (32 - bucket.leading_zeros()) as usize;
        bucket.checked_add(*spares.get(bits)?)
    }

    /// The bytes of an off-page item: `len` bytes from the overflow chain starting at `pgno`.
    fn overflow(&mut self, mut pgno: u32, len: usize) -> Result<Vec<u8>, BdbError> {
        let mut out = Vec::with_capacity(len.min(self.data.len()));
        while out.len() < len {
            let page = self.page(pgno)?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(BdbError::BadPage(pgno, "not an overflow page"));
            }
            let held = self
                .u16_at(page, 22)
                .ok_or(BdbError::BadPage(pgno, "truncated"))? as usize;
            let chunk = page
                .get(self.header..self.header + held)
                .filter(|_| held > 0 && held <= len - out.len())
                .ok_or(BdbError::BadPage(pgno, "bad overflow length"))?;
            out.extend_from_slice(chunk);
            pgno = self
                .u32_at(page, 16)
                .ok_or(BdbError::BadPage(pgno, "truncated"))?;
            if out.len() < len && pgno == 0 {
                return Err(BdbError::BadPage(pgno, "overflow chain ends early"));
            }
        }
        Ok(out)
    }

    /// The value bytes of one item (on the page or in an overflow chain).
    fn item(&mut self, item: &[u8]) -> Result<Vec<u8>, HeaderError> {
        match item.first().copied() {
            Some(H_KEYDATA) => Ok(item.get(1..).unwrap_or_default().to_vec()),
            Some(H_OFFPAGE) if item.len() == 12 => {
                let (Some(first), Some(len)) = (self.u32_at(item, 4), self.u32_at(item, 8)) else {
                    return Err(HeaderError::Entry("bad off-page item"));
                };
                if len as usize > MAX_HEADER_BYTES {
                    return Err(HeaderError::TooLarge(u64::from(len)));
                }
                self.overflow(first, len as usize).map_err(|e| match e {
                    BdbError::Loop(_) => HeaderError::Entry("overflow page loop"),
                    _ => HeaderError::Entry("broken overflow chain"),
                })
            }
            Some(H_DUPLICATE | H_OFFDUP) => Err(HeaderError::Entry("duplicate items")),
            _ => Err(HeaderError::Entry("unknown item type")),
        }
    }
}

/// Reads every header of a Berkeley DB `Packages` file (in header-number order; at most
/// [`MAX_PACKAGES`], values over [`MAX_HEADER_BYTES`] returned as
/// [`HeaderError::TooLarge`], entries whose value cannot be assembled as
/// [`HeaderError::Entry`]).
pub fn read(data: &[u8]) -> Result<Vec<RpmRow>, BdbError> {
    let meta = data.get(..512).ok_or(BdbError::NotHash)?;
    let magic: [u8; 4] = meta
        .get(12..16)
        .and_then(|b| b.try_into().ok())
        .ok_or(BdbError::NotHash)?;
    let big_endian = if u32::from_le_bytes(magic) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic) == HASH_MAGIC {
        true
    } else {
        return Err(BdbError::NotHash);
    };
    if meta.get(25) != Some(&P_HASHMETA) {
        return Err(BdbError::NotHash);
    }
    if meta.get(24).is_some_and(|&alg| alg != 0) {
        return Err(BdbError::Encrypted);
    }
    let chksum = meta.get(26).is_some_and(|&f| f & DBMETA_CHKSUM != 0);
    let mut db = Db {
        data,
        big_endian,
        page_size: 0,
        header: if chksum {
            PAGE_HEADER_CHKSUM
        } else {
            PAGE_HEADER
        },
        pages: 0,
        visited: Vec::new(),
    };
    let field = |at: usize| rd32(big_endian, meta, at).ok_or(BdbError::NotHash);
    let version = field(16)?;
    if !(8..=10).contains(&version) {
        return Err(BdbError::Version(version));
    }
    let page_size = field(20)?;
    if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(BdbError::PageSize(page_size));
    }
    let last = u64::from(field(32)?);
    let held = data.len() as u64 / u64::from(page_size);
    if last >= held || last >= MAX_PAGES {
        return Err(BdbError::Truncated { last, held });
    }
    let max_bucket = field(72)?;
    let mut spares = [0u32; 32];
    for (i, s) in spares.iter_mut().enumerate() {
        *s = field(96 + 4 * i)?;
    }
    db.page_size = page_size as usize;
    db.pages = (last + 1) as u32;
    db.visited = vec![false; db.pages as usize];
    if max_bucket >= db.pages {
        return Err(BdbError::BadPage(0, "more buckets than pages"));
    }

    let mut rows = Vec::new();
    'buckets: for bucket in 0..=max_bucket {
        let mut pgno = db
            .bucket_page(&spares, bucket)
            .ok_or(BdbError::BadPage(0, "bad spares table"))?;
        while pgno != 0 {
            let page = db.page(pgno)?;
            if !matches!(page.get(25), Some(&P_HASH | &P_HASH_UNSORTED)) {
                return Err(BdbError::BadPage(pgno, "not a hash page"));
            }
            let entries = db
                .u16_at(page, 20)
                .ok_or(BdbError::BadPage(pgno, "truncated"))? as usize;
            let index_end = db.header + entries * 2;
            if index_end > db.page_size {
                return Err(BdbError::BadPage(pgno, "index larger than the page"));
            }
            let hdr = db.header;
            let offset = |i: usize| {
                rd16(big_endian, page, hdr + 2 * i)
                    .map(usize::from)
                    .ok_or(BdbError::BadPage(pgno, "truncated"))
            };
            for pair in 0..entries / 2 {
                let (k, v) = (2 * pair, 2 * pair + 1);
                let key_end = if k == 0 { db.page_size } else { offset(k - 1)? };
                let (key_at, value_at) = (offset(k)?, offset(v)?);
                if !(index_end <= value_at && value_at < key_at && key_at < key_end)
                    || key_end > db.page_size
                {
                    return Err(BdbError::BadPage(pgno, "bad item offsets"));
                }
                let (Some(key), Some(value)) =
                    (page.get(key_at..key_end), page.get(value_at..key_at))
                else {
                    return Err(BdbError::BadPage(pgno, "bad item offsets"));
                };
                // Keys are 4-byte header numbers, always on the page.
                let hnum = match (key.first(), key.len()) {
                    (Some(&H_KEYDATA), 5) => rd32(big_endian, key, 1),
                    _ => None,
                };
                let header = match hnum {
                    Some(0) => continue,
                    None => Err(HeaderError::Entry("not a header number key")),
                    Some(_) => db.item(value).and_then(|blob| parse_header(&blob)),
                };
                rows.push(RpmRow {
                    hnum: hnum.map_or(-1, i64::from),
                    header,
                });
                if rows.len() >= MAX_PACKAGES {
                    break 'buckets;
                }
            }
            pgno = db
                .u32_at(page, 16)
                .ok_or(BdbError::BadPage(pgno, "truncated"))?;
        }
    }
    rows.sort_by_key(|r| r.hnum);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PS: usize = 512;

    fn put32(page: &mut [u8], at: usize, v: u32, big: bool) {
        let b = if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        page[at..at + 4].copy_from_slice(&b);
    }

    fn put16(page: &mut [u8], at: usize, v: u16, big: bool) {
        let b = if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        page[at..at + 2].copy_from_slice(&b);
    }

    /// A header blob for `name`, padded with a long `LICENSE` to `pad` bytes of data.
    fn blob(name: &str, pad: usize) -> Vec<u8> {
        let strings = [
            (super::super::TAG_NAME, name.to_string()),
            (super::super::TAG_VERSION, "1.0".to_string()),
            (super::super::TAG_RELEASE, "1".to_string()),
            (super::super::TAG_LICENSE, "x".repeat(pad)),
        ];
        let (mut index, mut data) = (Vec::new(), Vec::new());
        for (tag, v) in strings {
            for x in [tag, 6, data.len() as u32, 1] {
                index.extend_from_slice(&x.to_be_bytes());
            }
            data.extend_from_slice(v.as_bytes());
            data.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&4u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    /// A hand-made database with 512-byte pages: page 1 is bucket 0 holding key 0 (rpm's
    /// record), header 1 on the page and header 2 off the page on pages 2, 3, ...
    fn hand_made(big: bool) -> Vec<u8> {
        let small = blob("small", 10);
        let large = blob("large", 1200);
        let chunk = PS - PAGE_HEADER;
        let overflow_pages = large.len().div_ceil(chunk);
        let pages = 2 + overflow_pages;
        let mut db = vec![0u8; pages * PS];
        // Metadata page.
        put32(&mut db, 12, HASH_MAGIC, big);
        put32(&mut db, 16, 9, big);
        put32(&mut db, 20, PS as u32, big);
        db[25] = P_HASHMETA;
        put32(&mut db, 32, (pages - 1) as u32, big);
        put32(&mut db, 72, 0, big); // max bucket
        put32(&mut db, 96, 1, big); // spares[0]: bucket 0 on page 1
                                    // Bucket page: items from the end of the page down; key before value.
        let page = &mut db[PS..2 * PS];
        put32(page, 8, 1, big);
        page[25] = P_HASH;
        let mut items: Vec<Vec<u8>> = Vec::new();
        let key = |n: u32| {
            let mut k = vec![H_KEYDATA];
            k.extend_from_slice(&if big {
                n.to_be_bytes()
            } else {
                n.to_le_bytes()
            });
            k
        };
        items.push(key(0));
        items.push([vec![H_KEYDATA], 7u32.to_le_bytes().to_vec()].concat());
        items.push(key(1));
        items.push([vec![H_KEYDATA], small.clone()].concat());
        items.push(key(2));
        let mut off = vec![H_OFFPAGE, 0, 0, 0];
        off.extend_from_slice(&if big {
            2u32.to_be_bytes()
        } else {
            2u32.to_le_bytes()
        });
        off.extend_from_slice(&if big {
            (large.len() as u32).to_be_bytes()
        } else {
            (large.len() as u32).to_le_bytes()
        });
        items.push(off);
        put16(page, 20, items.len() as u16, big);
        let mut at = PS;
        for (i, item) in items.iter().enumerate() {
            at -= item.len();
            page[at..at + item.len()].copy_from_slice(item);
            put16(page, PAGE_HEADER + 2 * i, at as u16, big);
        }
        // Overflow chain.
        for (i, part) in large.chunks(chunk).enumerate() {
            let n = 2 + i;
            let page = &mut db[n * PS..(n + 1) * PS];
            put32(page, 8, n as u32, big);
            let next = if i + 1 < overflow_pages {
                n as u32 + 1
            } else {
                0
            };
            put32(page, 16, next, big);
            put16(page, 22, part.len() as u16, big);
            page[25] = P_OVERFLOW;
            page[PAGE_HEADER..PAGE_HEADER + part.len()].copy_from_slice(part);
        }
        db
    }

    #[test]
    fn hand_made_databases_both_byte_orders() {
        for big in [false, true] {
            let db = hand_made(big);
            let rows = read(&db).unwrap();
            let names: Vec<(i64, String)> = rows
                .iter()
                .map(|r| (r.hnum, r.header.as_ref().unwrap().name.clone()))
                .collect();
            assert_eq!(names, vec![(1, "small".into()), (2, "large".into())]);
        }
        let mut db = hand_made(false);
        db[24] = 1;
        assert_eq!(read(&db), Err(BdbError::Encrypted));
        let mut db = hand_made(false);
        db[16] = 7;
        assert_eq!(read(&db), Err(BdbError::Version(7)));
        assert_eq!(read(b"short"), Err(BdbError::NotHash));
        assert_eq!(read(&[0u8; 4096]), Err(BdbError::NotHash));
        // The off-page header's length beyond what the chain holds: that entry only.
        let mut db = hand_made(false);
        let at = (PS..2 * PS)
            .find(|&i| db[i] == H_OFFPAGE && db[i + 4] == 2)
            .unwrap();
        put32(&mut db, at + 8, 4000, false);
        let rows = read(&db).unwrap();
        assert_eq!(
            rows[1].header,
            Err(HeaderError::Entry("broken overflow chain"))
        );
        put32(&mut db, at + 8, u32::MAX, false);
        let rows = read(&db).unwrap();
        assert_eq!(
            rows[1].header,
            Err(HeaderError::TooLarge(u64::from(u32::MAX)))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = read(&data);
        }

        #[test]
        fn corrupted_databases_never_panic(
            big in any::<bool>(),
            flips in proptest::collection::vec((0usize..8192, any::<u8>()), 1..16),
            cut in proptest::option::of(0usize..8192),
        ) {
            let mut db = hand_made(big);
            for (at, v) in flips {
                let i = at % db.len();
                db[i] = v;
            }
            if let Some(cut) = cut {
                db.truncate(cut.min(db.len()));
            }
            if let Ok(rows) = read(&db) {
                // Bounded by the file: no more entries than index slots in its pages.
                prop_assert!(rows.len() <= db.len() / 2);
            }
        }
    }
}
