//! The scheduler and rescuer loops run by `vigil serve`. Both read the time from the store's
//! clock (when a schedule is due, when a lease has expired) and wait `tick` of real time
//! between passes.

use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::Schedule;
use vigil_store::Store;

/// Next fire time of a schedule after `after_ms`, in milliseconds.
pub fn next_fire_ms(s: &Schedule, after_ms: i64) -> Option<i64> {
    let after = DateTime::<Utc>::from_timestamp_millis(after_ms)?;
    s.next_fire(after)
        .ok()
        .flatten()
        .map(|t| t.timestamp_millis())
}

/// Fire the schedules due by the store's clock every `tick` until `shutdown`.
pub async fn run_scheduler(store: Store, tick: Duration, shutdown: CancellationToken) {
    loop {
        match store
            .fire_due_schedules(store.now(), 100, &next_fire_ms)
            .await
        {
            Ok(ids) if !ids.is_empty() => tracing::info!(tasks = ?ids, "schedules fired"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scheduler pass failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

/// Return expired leases to the queue every `tick` until `shutdown`.
pub async fn run_rescuer(store: Store, tick: Duration, shutdown: CancellationToken) {
    loop {
        if let Err(e) = store.rescue_expired().await {
            tracing::error!(error = %e, "lease rescue failed");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}
