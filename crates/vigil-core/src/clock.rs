//! Where "now" comes from. The store, the queue and the worker read the time through a
//! [`Clock`] instead of asking the system directly, so that lease expiry, retry backoff,
//! runtime windows and schedule firing can be tested by moving a [`ManualClock`] forward
//! rather than by sleeping. [`SystemClock`] is the real time and the default everywhere;
//! [`crate::now_millis`] stays for code that needs no injected clock. Only "what time is it"
//! goes through a clock: waiting (idle polls, heartbeat intervals) stays real time.

use crate::Millis;
use chrono::{DateTime, Utc};
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Millis;

    /// The same instant as a UTC date and time (clamped to chrono's range).
    fn utc(&self) -> DateTime<Utc> {
        let ms = self.now();
        DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
    }
}

/// A clock shared by everything that reads the time of one store.
pub type SharedClock = Arc<dyn Clock>;

/// The system's real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The system clock as a [`SharedClock`].
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        crate::now_millis()
    }
}

/// A clock that moves only when told to, for tests. Clones share one time: keep a clone to
/// move the clock that a store (through [`ManualClock::shared`]) reads.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `now` (milliseconds since the Unix epoch).
    pub fn new(now: Millis) -> Self {
        ManualClock {
            now: Arc::new(AtomicI64::new(now)),
        }
    }

    /// A clock standing at a UTC date and time.
    pub fn at(t: DateTime<Utc>) -> Self {
        Self::new(t.timestamp_millis())
    }

    /// A clock standing at the system's current time.
    pub fn starting_now() -> Self {
        Self::new(crate::now_millis())
    }

    /// Put the clock at `now` (it may go backwards).
    pub fn set(&self, now: Millis) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Move the clock forward by `by` (whole milliseconds; saturating).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        // `fetch_update` with a closure that always answers `Some` cannot fail.
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            });
    }

    /// This clock (sharing its time) as a [`SharedClock`].
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::new(1_000);
        let shared = clock.shared();
        assert_eq!((clock.now(), shared.now()), (1_000, 1_000));
        clock.advance(Duration::from_millis(250));
        assert_eq!(shared.now(), 1_250, "a clone sees the move");
        clock.advance(Duration::from_micros(999));
        assert_eq!(shared.now(), 1_250, "whole milliseconds only");
        clock.set(500);
        assert_eq!(shared.now(), 500, "set may go backwards");
        clock.set(i64::MAX - 1);
        clock.advance(Duration::from_secs(10));
        assert_eq!(clock.now(), i64::MAX, "advance saturates");
    }

    #[test]
    fn utc_is_the_same_instant_and_clamped() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T10:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        let clock = ManualClock::at(t);
        assert_eq!(clock.utc(), t);
        assert_eq!(clock.now(), t.timestamp_millis());
        clock.set(i64::MAX);
        assert_eq!(clock.utc(), DateTime::<Utc>::MAX_UTC);
        clock.set(i64::MIN);
        assert_eq!(clock.utc(), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn system_clock_follows_real_time() {
        let before = crate::now_millis();
        let now = SystemClock.now();
        let after = crate::now_millis();
        assert!(before <= now && now <= after);
        assert!((SystemClock.utc().timestamp_millis() - now).abs() < 60_000);
    }
}
