//! Reading entry data under limits: stored entries are borrowed from the archive, deflated
//! ones are inflated with `flate2` in a streaming loop into a buffer that grows in chunks and
//! never past the smaller of the per-entry limit and what is left of the archive's inflate
//! budget (shared with nested archives). Size fields from the archive only ever shrink an
//! allocation, never enlarge it; a zip bomb is refused with [`ApkError::TooLarge`] before
//! inflating (declared size or ratio over the limit) or while inflating (actual output).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{ApkError, Result};

/// Limits on reading an archive. The defaults suit APKs: the largest real entries (native
/// libraries, packed assets) stay under 256 MiB and nearly all compress less than 100:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most central directory entries read (default 100 000; Android's pre-zip64 format
    /// caps archives at 65 535).
    pub max_entries: u64,
    /// Largest entry read, inflated or stored (default 256 MiB).
    pub max_entry_size: u64,
    /// Most bytes inflated in total from an archive and the archives nested in it (default
    /// 1 GiB). Each read takes what is left when it starts, so reads on several threads at
    /// once may together pass it by at most one entry each.
    pub max_total_inflated: u64,
    /// Highest compression ratio (uncompressed / compressed) accepted once an entry's
    /// output passes [`ratio_floor`](Self::ratio_floor) (default 500; deflate reaches
    /// 1032:1 at most, zip bombs sit near it).
    pub max_ratio: u64,
    /// Output size below which the ratio is not checked (default 1 MiB: small files of
    /// zeros compress well and harmlessly).
    pub ratio_floor: u64,
    /// How deep archives nested in entries are opened (default 3: an `.apks` bundle, its
    /// split APK, a JAR in its assets).
    pub max_depth: u32,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 100_000,
            max_entry_size: 256 << 20,
            max_total_inflated: 1 << 30,
            max_ratio: 500,
            ratio_floor: 1 << 20,
            max_depth: 3,
        }
    }
}

/// Bytes inflated so far by an archive and the archives opened from it.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    used: AtomicU64,
}

impl Budget {
    /// Bytes inflated so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.used.fetch_add(n, Ordering::Relaxed);
    }
}

/// An entry's data as read, with what the checks against the central directory found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents<'d> {
    /// The bytes (borrowed from the archive when stored).
    pub data: Cow<'d, [u8]>,
    /// Whether the CRC-32 of the data is the one the central directory declares.
    pub crc_matches: bool,
    /// Whether the data has the uncompressed size the central directory declares.
    pub size_matches: bool,
    /// Whether the data was inflated (deflate) rather than read as stored.
    pub inflated: bool,
}

impl Contents<'_> {
    /// Fill in the checks for `data` against the declared CRC and size.
    pub(crate) fn checked(
        data: Cow<'_, [u8]>,
        crc32: u32,
        size: u64,
        inflated: bool,
    ) -> Contents<'_> {
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        Contents {
            crc_matches: crc.sum() == crc32,
            size_matches: data.len() as u64 == size,
            data,
            inflated,
        }
    }
}

/// Growth step of the output buffer and the most allocated before any output exists.
const CHUNK: usize = 64 << 10;

/// Refuse an entry by its declared sizes before reading it.
pub(crate) fn precheck(
    limits: &ZipLimits,
    compressed: u64,
    uncompressed: u64,
    deflated: bool,
) -> Result<()> {
    if uncompressed > limits.max_entry_size {
        return Err(ApkError::TooLarge {
            what: "zip entry uncompressed size",
            size: uncompressed,
            limit: limits.max_entry_size,
        });
    }
    if deflated && uncompressed > limits.ratio_floor {
        let ratio = uncompressed / compressed.max(1);
        if ratio > limits.max_ratio {
            return Err(ApkError::TooLarge {
                what: "zip entry compression ratio",
                size: ratio,
                limit: limits.max_ratio,
            });
        }
    }
    Ok(())
}

/// Inflate a raw deflate stream under `limits`, counting the output against `budget`.
/// `declared` (the uncompressed size the archive claims) only sizes the first allocation,
/// up to [`CHUNK`]. The output may differ from `declared`; the caller reports that.
pub(crate) fn inflate(
    input: &[u8],
    declared: u64,
    limits: &ZipLimits,
    budget: &Budget,
) -> Result<Vec<u8>> {
    let used = budget.used();
    let cap = limits
        .max_entry_size
        .min(limits.max_total_inflated.saturating_sub(used));
    let first = usize::try_from(declared.min(cap))
        .unwrap_or(CHUNK)
        .min(CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(first);
    let mut d = Decompress::new(false);
    let result = inflate_into(input, &mut d, &mut out, cap, used, limits);
    budget.add(out.len() as u64);
    result.map(|()| out)
}

fn inflate_into(
    input: &[u8],
    d: &mut Decompress,
    out: &mut Vec<u8>,
    cap: u64,
    used: u64,
    limits: &ZipLimits,
) -> Result<()> {
    loop {
        if out.len() == out.capacity() {
            // Room for one byte past the cap, so that going over it is seen.
            let room = cap.saturating_add(1).saturating_sub(out.len() as u64);
            let room = usize::try_from(room).unwrap_or(usize::MAX);
            out.reserve_exact(out.capacity().max(CHUNK).min(room).max(1));
        }
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or(&[]);
        let before = out.len();
        let status = d
            .decompress_vec(rest, out, FlushDecompress::None)
            .map_err(|e| ApkError::malformed("zip deflate stream", e.to_string()))?;
        let len = out.len() as u64;
        if len > cap {
            return Err(if len > limits.max_entry_size {
                ApkError::TooLarge {
                    what: "zip entry uncompressed size",
                    size: len,
                    limit: limits.max_entry_size,
                }
            } else {
                ApkError::TooLarge {
                    what: "zip archive inflated total",
                    size: used.saturating_add(len),
                    limit: limits.max_total_inflated,
                }
            });
        }
        if len > limits.ratio_floor {
            let ratio = len / d.total_in().max(1);
            if ratio > limits.max_ratio {
                return Err(ApkError::TooLarge {
                    what: "zip entry compression ratio",
                    size: ratio,
                    limit: limits.max_ratio,
                });
            }
        }
        if status == Status::StreamEnd {
            return Ok(());
        }
        let progressed = out.len() != before || d.total_in() as usize != consumed;
        if !progressed && out.len() < out.capacity() {
            return Err(if rest.is_empty() {
                ApkError::Truncated {
                    what: "zip deflate stream",
                    offset: input.len() as u64,
                }
            } else {
                ApkError::malformed("zip deflate stream", "no progress inflating")
            });
        }
    }
}
