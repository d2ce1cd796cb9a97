//! The scan-wide memory budget ([`KeptBudget`], bounded by [`Limits::max_kept_bytes`]) and the
//! readers that charge it or stop a read early.
//!
//! Sizes the input controls are bounded one by one elsewhere ([`Limits`]); this budget bounds
//! what a scan piles up over all files together: the contents kept for the analyses (a hard
//! link shares its target's bytes and costs nothing more), the bytes read out of sparse tar
//! entries beyond what the tar stores (their holes, which no other bound counts), and the
//! packages of the in-memory inventories. One budget is shared by everything one scan does
//! (it is an `Arc` inside); it only grows, so it bounds the most the scan ever held.
//!
//! [`Guarded`] wraps the raw bytes of a layer: it stops a read at its next `read` call once
//! the cancel flag is set (so a cancelled scan stops inside a long file, not only between
//! files), and it keeps the source's own error (a registry deadline, say) so that the error
//! reported is the source's, not the decompressor's or the tar reader's.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::{ImageError, Limits};

/// Bytes one scan holds in memory or makes up, counted against [`Limits::max_kept_bytes`].
/// Clones share the count.
#[derive(Debug, Clone)]
pub struct KeptBudget {
    used: Arc<AtomicU64>,
    max: u64,
}

impl KeptBudget {
    /// A fresh budget of `max` bytes.
    pub fn new(max: u64) -> KeptBudget {
        KeptBudget {
            used: Arc::new(AtomicU64::new(0)),
            max,
        }
    }

    /// A fresh budget of `limits.max_kept_bytes`.
    pub fn of(limits: &Limits) -> KeptBudget {
        KeptBudget::new(limits.max_kept_bytes)
    }

    /// A budget that never runs out (for tests and callers that bound memory otherwise).
    pub fn unlimited() -> KeptBudget {
        KeptBudget::new(u64::MAX)
    }

    /// The bound.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Bytes charged so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Charges `bytes`; fails with [`ImageError::Limit`] naming `max_kept_bytes` once the total
    /// is over the bound (the bytes stay charged, so every later check fails too).
    pub fn charge(&self, bytes: u64) -> Result<(), ImageError> {
        // Saturating, so absurd charges never wrap the count back under the bound.
        let before = match self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_add(bytes))
            }) {
            Ok(u) | Err(u) => u,
        };
        if before.saturating_add(bytes) > self.max {
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// Whether `bytes` more would still fit (nothing is charged).
    pub fn fits(&self, bytes: u64) -> bool {
        self.used().saturating_add(bytes) <= self.max
    }

    /// Fails once the total is over the bound.
    pub fn check(&self) -> Result<(), ImageError> {
        if self.used() > self.max {
            Err(self.exceeded())
        } else {
            Ok(())
        }
    }

    /// The error for this budget.
    pub fn exceeded(&self) -> ImageError {
        ImageError::Limit {
            limit: "max_kept_bytes",
            max: self.max,
        }
    }
}

/// Reads a GNU sparse entry, charging the bytes it makes up (its holes, read out as zeros that
/// the tar does not store) to the budget as they are read out; fails with the budget's error
/// once it is spent. `stored` is the entry's size in the tar: up to that many bytes read out
/// are taken to be stored data (which [`Limits::max_total_bytes`] already counts).
pub(crate) struct SparseCharge<'a, R> {
    pub(crate) inner: R,
    pub(crate) stored_left: u64,
    pub(crate) budget: &'a KeptBudget,
}

impl<R: Read> Read for SparseCharge<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let stored = (n as u64).min(self.stored_left);
        self.stored_left -= stored;
        let made_up = n as u64 - stored;
        if made_up > 0 {
            self.budget.charge(made_up).map_err(io::Error::other)?;
        }
        Ok(n)
    }
}

/// The raw bytes of a layer (as stored), stopped at the next `read` once `cancel` is set; the
/// source's own error is kept in `error` (the caller reports it rather than what the layers
/// above made of it).
pub(crate) struct Guarded<'a, R> {
    pub(crate) inner: R,
    pub(crate) cancel: Option<&'a AtomicBool>,
    pub(crate) error: Option<io::Error>,
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(io::Error::other("image read cancelled"));
        }
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let text = e.to_string();
                self.error = Some(e);
                Err(io::Error::other(text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_and_names_its_limit() {
        let b = KeptBudget::new(100);
        let c = b.clone();
        b.charge(60).unwrap();
        assert!(c.fits(40));
        assert!(!c.fits(41));
        let err = c.charge(41).unwrap_err();
        assert!(err.to_string().contains("max_kept_bytes"), "{err}");
        assert!(b.check().is_err());
        assert!(KeptBudget::unlimited().charge(u64::MAX).is_ok());
    }

    #[test]
    fn sparse_charge_counts_only_made_up_bytes() {
        let budget = KeptBudget::new(1000);
        let mut r = SparseCharge {
            inner: io::repeat(0).take(1 << 40),
            stored_left: 600,
            budget: &budget,
        };
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("max_kept_bytes"), "{err}");
        assert!(out.len() <= 1600);

        let budget = KeptBudget::new(1000);
        let mut r = SparseCharge {
            inner: io::repeat(0).take(1500),
            stored_left: 600,
            budget: &budget,
        };
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(budget.used(), 900);
    }

    #[test]
    fn guarded_stops_once_cancelled_and_keeps_the_source_error() {
        let flag = AtomicBool::new(false);
        let mut g = Guarded {
            inner: io::repeat(1),
            cancel: Some(&flag),
            error: None,
        };
        let mut buf = [0u8; 8];
        assert_eq!(g.read(&mut buf).unwrap(), 8);
        flag.store(true, Ordering::Relaxed);
        assert!(g.read(&mut buf).is_err());

        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))
            }
        }
        let mut g = Guarded {
            inner: Failing,
            cancel: None,
            error: None,
        };
        assert!(g.read(&mut buf).is_err());
        assert_eq!(g.error.map(|e| e.kind()), Some(io::ErrorKind::TimedOut));
    }
}
