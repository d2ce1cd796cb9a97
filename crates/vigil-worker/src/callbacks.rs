//! Delivering the store's callback outbox: due callbacks are claimed, POSTed through the scope
//! guard (resolved and pinned, no redirects, a 10 s timeout, at most 64 KiB of answer read)
//! and marked delivered when the receiver accepts them; otherwise they are tried again after
//! a growing pause (30 s, doubling, at most an hour) until their attempts are spent. A URL the
//! scope guard refuses is given up at once: asking again would not change the answer.

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_engine::ScopeGuard;
use vigil_store::{Accept, Callback, Store};

/// Callbacks claimed per round.
const BATCH: i64 = 16;
/// How long a claimed attempt is reserved for its deliverer.
const LEASE_MS: i64 = 60_000;
/// Timeout of one POST.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of an answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// Why one attempt failed.
enum Failure {
    /// Worth trying again.
    Retry(String),
    /// Never going to work (refused by the scope guard, not a URL).
    Permanent(String),
}

/// Deliver due callbacks every `tick` until `shutdown`.
pub async fn run_callbacks(
    store: Store,
    scope: Arc<ScopeGuard>,
    tick: Duration,
    shutdown: CancellationToken,
) {
    loop {
        if let Err(e) = deliver_due(&store, &scope).await {
            tracing::warn!(error = %e, "delivering callbacks failed");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

/// One round: claim the due callbacks and make one attempt at each. Returns how many were
/// delivered.
pub async fn deliver_due(store: &Store, scope: &ScopeGuard) -> vigil_store::Result<usize> {
    let due = store.claim_callbacks(BATCH, LEASE_MS).await?;
    let outcomes =
        futures::future::join_all(due.iter().map(|c| async move { (c, post(scope, c).await) }))
            .await;
    let mut delivered = 0;
    for (c, outcome) in outcomes {
        match outcome {
            Ok(()) => {
                store.callback_delivered(c.id).await?;
                delivered += 1;
            }
            Err(Failure::Retry(why)) => {
                let at = store.now().saturating_add(backoff_ms(c.attempts));
                tracing::info!(callback = c.id, attempt = c.attempts, reason = %why, "callback not accepted");
                store.callback_failed(c.id, &why, Some(at)).await?;
            }
            Err(Failure::Permanent(why)) => {
                tracing::warn!(callback = c.id, reason = %why, "callback given up");
                store.callback_failed(c.id, &why, None).await?;
            }
        }
    }
    Ok(delivered)
}

/// Pause before attempt `attempts + 1`: 30 s after the first, doubling, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 7)).unwrap_or(7);
    (30_000i64 << doublings).min(3_600_000)
}

async fn post(scope: &ScopeGuard, c: &Callback) -> Result<(), Failure> {
    let url = url::Url::parse(&c.url)
        .map_err(|e| Failure::Permanent(format!("bad callback URL: {e}")))?;
    let (client, _) = scope
        .pinned_http_client(&url, POST_TIMEOUT)
        .await
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    let mut resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(c.body.clone())
        .send()
        .await
        .map_err(|e| Failure::Retry(e.to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(Failure::Retry(format!("the receiver answered {status}")));
    }
    if c.accept == Accept::Success {
        return Ok(());
    }
    let mut answer = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Failure::Retry(e.to_string()))?
    {
        answer.extend_from_slice(&chunk);
        if answer.len() > MAX_ANSWER {
            return Err(Failure::Retry("the receiver's answer is too long".into()));
        }
    }
    let ok = serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v.get("Result").and_then(|r| r.as_str()).map(str::to_owned))
        .is_some_and(|r| r.eq_ignore_ascii_case("ok"));
    if ok {
        Ok(())
    } else {
        Err(Failure::Retry(format!(
            "the receiver did not answer {{\"Result\":\"ok\"}}: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(4), 240_000);
        assert_eq!(backoff_ms(8), 3_600_000);
        assert_eq!(backoff_ms(i64::MAX), 3_600_000);
        assert_eq!(backoff_ms(0), 30_000);
    }
}
