//! The rpm database in its NDB form: `Packages.db` of SLES 15 and openSUSE Leap 15 (under
//! `/var/lib/rpm` or `/usr/lib/sysimage/rpm`), rpm's own format (`lib/backend/ndb/rpmpkg.c`),
//! little-endian throughout.
//!
//! The file starts with slot pages of 4096 bytes. The first 32 bytes are the header: magic
//! `RpmP`, version 0, a generation counter, the number of slot pages and the next package
//! index. Then come 16-byte slots, each `Slot`, package index, block offset and block count
//! (blocks are 16 bytes; a block offset of 0 marks a free slot). A slot points at a blob after
//! the slot pages: a 16-byte head (`BlbS`, package index, generation, blob length), the blob
//! (an rpm header), zero padding to a whole block and a 12-byte tail (Adler-32 of everything
//! before it, the blob length again, `BlbE`).
//!
//! Like rpm, a slot area that does not hold up (a slot without its magic, a slot pointing
//! into the slot pages or past the end of the file) fails the whole database; a blob whose
//! head, tail or checksum does not match fails only its own entry. Blobs are read in place
//! (no copies); slots whose blobs overlap are refused, so the checksum work is bounded by the
//! file's size. At most [`MAX_PACKAGES`] entries are returned, blobs over
//! [`MAX_HEADER_BYTES`] are not read. Nothing here panics on any input.

use super::{parse_header, HeaderError, RpmRow, MAX_HEADER_BYTES, MAX_PACKAGES};

/// File magic (`RpmP`), at offset 0.
pub const MAGIC: &[u8; 4] = b"RpmP";
/// The NDB format version read.
pub const VERSION: u32 = 0;
/// Size of a slot page.
pub const PAGE_SIZE: usize = 4096;

const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_HEAD_MAGIC: &[u8; 4] = b"BlbS";
const BLOB_TAIL_MAGIC: &[u8; 4] = b"BlbE";
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
const HEADER_SIZE: usize = 32;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

/// Why an NDB rpm database could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdbError {
    /// No `RpmP` magic.
    #[error("not an NDB rpm database")]
    NotNdb,
    /// A version other than [`VERSION`].
    #[error("unsupported NDB version {0}")]
    Version(u32),
    /// Fewer slot pages in the file than the header says, or none, or a file length that is
    /// not a whole number of blocks.
    #[error("truncated NDB database")]
    Truncated,
    /// A slot that does not hold up.
    #[error("NDB slot {0}: {1}")]
    BadSlot(usize, &'static str),
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// Adler-32 (RFC 1950), as rpm checks blobs with (the `adler2` crate flate2 already uses).
fn adler32(data: &[u8]) -> u32 {
    adler2::adler32_slice(data)
}

/// One used slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    pkgidx: u32,
    blkoff: usize,
    blkcnt: usize,
}

/// Reads every header of an NDB `Packages.db` file (in package-index order; at most
/// [`MAX_PACKAGES`]; blobs over [`MAX_HEADER_BYTES`] returned as [`HeaderError::TooLarge`],
/// blobs that fail their checks as [`HeaderError::Entry`]).
pub fn read(data: &[u8]) -> Result<Vec<RpmRow>, NdbError> {
    if data.get(..4) != Some(MAGIC.as_slice()) || data.len() < HEADER_SIZE {
        return Err(NdbError::NotNdb);
    }
    let version = le32(data, 4).ok_or(NdbError::NotNdb)?;
    if version != VERSION {
        return Err(NdbError::Version(version));
    }
    let slot_pages = le32(data, 12).ok_or(NdbError::NotNdb)? as usize;
    let slot_area = slot_pages
        .checked_mul(PAGE_SIZE)
        .filter(|&n| n > 0 && n <= data.len())
        .ok_or(NdbError::Truncated)?;
    if !data.len().is_multiple_of(BLOCK_SIZE) {
        return Err(NdbError::Truncated);
    }
    let file_blocks = data.len() / BLOCK_SIZE;
    let min_blkoff = slot_area / BLOCK_SIZE;

    let mut slots = Vec::new();
    for (slotno, at) in (HEADER_SIZE..slot_area).step_by(SLOT_SIZE).enumerate() {
        let slotno = slotno + HEADER_SIZE / SLOT_SIZE;
        let slot = data
            .get(at..at + SLOT_SIZE)
            .ok_or(NdbError::BadSlot(slotno, "truncated"))?;
        if slot.get(..4) != Some(SLOT_MAGIC.as_slice()) {
            return Err(NdbError::BadSlot(slotno, "no slot magic"));
        }
        let (Some(pkgidx), Some(blkoff), Some(blkcnt)) =
            (le32(slot, 4), le32(slot, 8), le32(slot, 12))
        else {
            return Err(NdbError::BadSlot(slotno, "truncated"));
        };
        if blkoff == 0 {
            continue;
        }
        let (blkoff, blkcnt) = (blkoff as usize, blkcnt as usize);
        if pkgidx == 0 || blkcnt == 0 || blkoff < min_blkoff {
            return Err(NdbError::BadSlot(slotno, "bad entry"));
        }
        if blkoff
            .checked_add(blkcnt)
            .is_none_or(|end| end > file_blocks)
        {
            return Err(NdbError::BadSlot(slotno, "blob past the end of the file"));
        }
        slots.push(Slot {
            pkgidx,
            blkoff,
            blkcnt,
        });
    }
    // Blobs must not overlap: every byte is checked at most once.
    slots.sort_by_key(|s| s.blkoff);
    if slots
        .windows(2)
        .any(|w| w[0].blkoff + w[0].blkcnt > w[1].blkoff)
    {
        return Err(NdbError::BadSlot(0, "blobs overlap"));
    }
    slots.sort_by_key(|s| s.pkgidx);
    slots.truncate(MAX_PACKAGES);

    let rows = slots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let duplicate = i > 0 && slots.get(i - 1).is_some_and(|p| p.pkgidx == s.pkgidx);
            let header = if duplicate {
                Err(HeaderError::Entry("package index used twice"))
            } else {
                blob(data, s).and_then(parse_header)
            };
            RpmRow {
                hnum: i64::from(s.pkgidx),
                header,
            }
        })
        .collect();
    Ok(rows)
}

/// The header blob a slot points at, checked against its head, tail and checksum.
fn blob<'a>(data: &'a [u8], s: &Slot) -> Result<&'a [u8], HeaderError> {
    let bad = HeaderError::Entry;
    let region = data
        .get(s.blkoff * BLOCK_SIZE..(s.blkoff + s.blkcnt) * BLOCK_SIZE)
        .ok_or(bad("blob past the end of the file"))?;
    if region.len() < BLOB_HEAD + BLOB_TAIL || region.get(..4) != Some(BLOB_HEAD_MAGIC.as_slice()) {
        return Err(bad("no blob head"));
    }
    if le32(region, 4) != Some(s.pkgidx) {
        return Err(bad("blob of another package"));
    }
    let len = le32(region, 12).ok_or(bad("no blob head"))? as usize;
    if len > MAX_HEADER_BYTES {
        return Err(HeaderError::TooLarge(len as u64));
    }
    if (BLOB_HEAD + len + BLOB_TAIL).div_ceil(BLOCK_SIZE) != s.blkcnt {
        return Err(bad("blob length does not match its slot"));
    }
    let tail_at = region.len() - BLOB_TAIL;
    let (body, tail) = region.split_at(tail_at);
    if tail.get(8..12) != Some(BLOB_TAIL_MAGIC.as_slice()) || le32(tail, 4) != Some(len as u32) {
        return Err(bad("no blob tail"));
    }
    if le32(tail, 0) != Some(adler32(body)) {
        return Err(bad("blob checksum mismatch"));
    }
    body.get(BLOB_HEAD..BLOB_HEAD + len)
        .ok_or(bad("blob length does not match its slot"))
}

/// A database written the way rpmpkg.c writes one (one slot page, then each blob with its
/// head, padding and Adler-32 tail), for tests: `blobs` are (package index, header blob).
/// Builds the container only; the headers are whatever the caller passes (in the tests,
/// headers `rpmbuild` wrote). At most 254 blobs (one slot page).
#[cfg(any(test, feature = "testing"))]
pub fn write(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut db = vec![0u8; PAGE_SIZE];
    db[..4].copy_from_slice(MAGIC);
    db[8..12].copy_from_slice(&7u32.to_le_bytes());
    db[12..16].copy_from_slice(&1u32.to_le_bytes());
    for at in (HEADER_SIZE..PAGE_SIZE).step_by(SLOT_SIZE) {
        db[at..at + 4].copy_from_slice(SLOT_MAGIC);
    }
    for (i, (idx, blob)) in blobs.iter().enumerate() {
        let blkoff = db.len() / BLOCK_SIZE;
        let mut b = Vec::new();
        b.extend_from_slice(BLOB_HEAD_MAGIC);
        b.extend_from_slice(&idx.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        b.extend_from_slice(blob);
        while !(b.len() + BLOB_TAIL).is_multiple_of(BLOCK_SIZE) {
            b.push(0);
        }
        let sum = adler32(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        b.extend_from_slice(BLOB_TAIL_MAGIC);
        let slot = HEADER_SIZE + i * SLOT_SIZE;
        db[slot + 4..slot + 8].copy_from_slice(&idx.to_le_bytes());
        db[slot + 8..slot + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
        db[slot + 12..slot + 16].copy_from_slice(&((b.len() / BLOCK_SIZE) as u32).to_le_bytes());
        db.extend(b);
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn adler32_known_values() {
        // RFC 1950's example and the empty input.
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        let big = vec![0xffu8; 100_000];
        // Reference: the same sums done with 64-bit arithmetic.
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &big {
            a = (a + u64::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(adler32(&big), ((b << 16) | a) as u32);
    }

    /// A header blob for `name`.
    fn header(name: &str) -> Vec<u8> {
        let strings = [
            (super::super::TAG_NAME, name),
            (super::super::TAG_VERSION, "1.0"),
            (super::super::TAG_RELEASE, "1"),
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
        out.extend_from_slice(&3u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn hand_made_database() {
        let db = write(&[(5, header("five")), (2, header("two"))]);
        let rows = read(&db).unwrap();
        let names: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (r.hnum, r.header.as_ref().unwrap().name.clone()))
            .collect();
        assert_eq!(names, vec![(2, "two".into()), (5, "five".into())]);

        // A flipped byte in a blob: its checksum fails, that entry only.
        let mut bad = db.clone();
        let at = bad.len() - 20;
        bad[at] ^= 1;
        let rows = read(&bad).unwrap();
        assert_eq!(rows.iter().filter(|r| r.header.is_ok()).count(), 1);
        assert!(rows
            .iter()
            .any(|r| r.header == Err(HeaderError::Entry("blob checksum mismatch"))));
        // A broken slot: the whole database.
        let mut bad = db.clone();
        bad[HEADER_SIZE] = b'X';
        assert_eq!(read(&bad), Err(NdbError::BadSlot(2, "no slot magic")));
        // Slots pointing at the same blob.
        let mut bad = db.clone();
        let (first, second) = (HEADER_SIZE + 8, HEADER_SIZE + SLOT_SIZE + 8);
        let off: [u8; 4] = bad[first..first + 4].try_into().unwrap();
        bad[second..second + 4].copy_from_slice(&off);
        assert_eq!(read(&bad), Err(NdbError::BadSlot(0, "blobs overlap")));
        // Truncated anywhere: an error or fewer packages, never a panic.
        for cut in 0..db.len() {
            if let Ok(rows) = read(&db[..cut]) {
                assert!(rows.iter().filter(|r| r.header.is_ok()).count() < 2);
            }
        }
        assert_eq!(read(b"RpmP"), Err(NdbError::NotNdb));
        let mut v1 = db.clone();
        v1[4] = 1;
        assert_eq!(read(&v1), Err(NdbError::Version(1)));
        // A slot page count far beyond the file.
        let mut huge = db;
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read(&huge), Err(NdbError::Truncated));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..8192)) {
            let _ = read(&data);
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&data);
            let _ = read(&with_magic);
        }

        #[test]
        fn corrupted_databases_never_panic(
            flips in proptest::collection::vec((0usize..8192, any::<u8>()), 1..16),
            cut in proptest::option::of(0usize..8192),
        ) {
            let mut db = write(&[(1, header("one")), (2, header("two")), (3, header("three"))]);
            for (at, v) in flips {
                let i = at % db.len();
                db[i] = v;
            }
            if let Some(cut) = cut {
                db.truncate(cut.min(db.len()));
            }
            if let Ok(rows) = read(&db) {
                prop_assert!(rows.len() <= db.len() / SLOT_SIZE);
            }
        }
    }
}
