//! Per-account, per-action request rate limits (default 20 requests per second, as the
//! cloud documents), with per-action overrides.

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;

type Keyed = RateLimiter<(i64, String), DefaultKeyedStateStore<(i64, String)>, DefaultClock>;

/// The gateway's limiter.
pub struct ApiRateLimits {
    default: Keyed,
    default_rate: u32,
    overrides: HashMap<String, (Keyed, u32)>,
}

fn quota(per_second: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl ApiRateLimits {
    /// Limits with a default rate and per-action overrides.
    pub fn new(default_per_second: u32, overrides: &HashMap<String, u32>) -> Self {
        ApiRateLimits {
            default: RateLimiter::keyed(quota(default_per_second)),
            default_rate: default_per_second.max(1),
            overrides: overrides
                .iter()
                .map(|(a, n)| (a.clone(), (RateLimiter::keyed(quota(*n)), (*n).max(1))))
                .collect(),
        }
    }

    /// Whether one more request of `action` by `account` is allowed now.
    pub fn allow(&self, account: i64, action: &str) -> bool {
        let l = self.overrides.get(action).map_or(&self.default, |o| &o.0);
        l.check_key(&(account, action.to_string())).is_ok()
    }

    /// Requests per second allowed for `action`.
    pub fn rate_of(&self, action: &str) -> u32 {
        self.overrides
            .get(action)
            .map_or(self.default_rate, |o| o.1)
    }
}
