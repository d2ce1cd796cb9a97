//! A per-task rate limiter shared by all of a run's concurrent probes.

use governor::clock::DefaultClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::Quota;
use std::num::NonZeroU32;

/// Limits events (requests, packets) per second; unlimited when built with `None`.
pub struct RateLimiter {
    inner: Option<governor::RateLimiter<NotKeyed, InMemoryState, DefaultClock>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` events per second (bursts up to the same number), or
    /// no limit.
    pub fn new(per_second: Option<u32>) -> Self {
        RateLimiter {
            inner: per_second
                .and_then(NonZeroU32::new)
                .map(|n| governor::RateLimiter::direct(Quota::per_second(n))),
        }
    }

    /// A limiter that spaces events evenly, `1/per_second` apart, so that no one-second
    /// window ever holds more than `per_second` events (no bursts); or no limit.
    pub fn strict(per_second: Option<u32>) -> Self {
        RateLimiter {
            inner: per_second.and_then(NonZeroU32::new).map(|n| {
                governor::RateLimiter::direct(Quota::per_second(n).allow_burst(NonZeroU32::MIN))
            }),
        }
    }

    /// Wait until one more event is allowed.
    pub async fn acquire(&self) {
        if let Some(l) = &self.inner {
            l.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_rate() {
        let l = RateLimiter::new(Some(50));
        let start = std::time::Instant::now();
        for _ in 0..100 {
            l.acquire().await;
        }
        // 50 burst + 50 more at 50/s takes about a second.
        let took = start.elapsed().as_millis();
        assert!(took >= 900, "took {took} ms");
        // Strict: no burst; 50 events at 50/s take 49 intervals of 20 ms.
        let strict = RateLimiter::strict(Some(50));
        let start = std::time::Instant::now();
        for _ in 0..50 {
            strict.acquire().await;
        }
        let took = start.elapsed().as_millis();
        assert!((940..1400).contains(&took), "took {took} ms");
        let free = RateLimiter::new(None);
        let start = std::time::Instant::now();
        for _ in 0..10_000 {
            free.acquire().await;
        }
        assert!(start.elapsed().as_millis() < 500);
    }
}
