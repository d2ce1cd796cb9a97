//! Fresh stores on every backend (SQLite, and PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is
//! set), shared by the store's tests; [`clocked`] gives each a manual clock, for tests of
//! leases, backoff and other times that would otherwise wait for real time to pass.

use vigil_core::ManualClock;
use vigil_store::Store;

/// Where a manual clock starts: 2026-03-01T10:30:00Z, a fixed instant, not the system's time.
pub const CLOCK_START: i64 = 1_772_361_000_000;

/// A fresh store on each backend with the URL it was opened at; `tag` names the databases.
pub async fn stores_at(tag: &str) -> Vec<(Store, String)> {
    let mut out = Vec::new();
    for url in vigil_testkit::database_urls(tag).await {
        out.push((
            Store::open(&url, vigil_testkit::secrets()).await.unwrap(),
            url,
        ));
    }
    out
}

/// A fresh store on each backend; `tag` names the databases.
pub async fn stores(tag: &str) -> Vec<Store> {
    stores_at(tag).await.into_iter().map(|(s, _)| s).collect()
}

/// A fresh store on each backend reading a manual clock that starts at [`CLOCK_START`], with
/// a handle on that clock; `tag` names the databases.
pub async fn clocked(tag: &str) -> Vec<(Store, ManualClock)> {
    stores(tag)
        .await
        .into_iter()
        .map(|s| {
            let clock = ManualClock::new(CLOCK_START);
            (s.with_clock(clock.shared()), clock)
        })
        .collect()
}

/// Attempts as (number, worker, outcome), for comparing with a literal.
pub fn outcomes(attempts: &[vigil_store::Attempt]) -> Vec<(i64, &str, Option<&str>)> {
    attempts
        .iter()
        .map(|a| (a.attempt, a.worker_id.as_str(), a.outcome.as_deref()))
        .collect()
}
