//! Panics kept where they happen. An engine run that panics fails that run only (the worker
//! catches it with [`catch_panic`] and records the message like any other error), and a loop
//! that dies anyway (a worker, the scheduler, the rescuer) is started again by [`supervise`]
//! instead of silently leaving the process without it.

use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Pause before a loop that died is started again, so a loop that panics at once does not spin.
pub const RESTART_DELAY: Duration = Duration::from_secs(1);

/// The text of a panic's payload (`panic!` with a literal or a formatted message).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// Run `fut`; a panic inside it becomes `Err` with the panic's message. The future is not
/// polled again after it panicked (its state may be broken), only dropped.
pub async fn catch_panic<T>(fut: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|p| panic_message(p.as_ref()))
}

/// Aborts a spawned task when dropped, so that dropping the supervisor drops its loop too.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keep a loop running until `shutdown`: `start` makes the loop's future, which is spawned
/// as its own task; when it panics (or is aborted) before `shutdown`, it is logged and a new
/// one is started after `delay` (normally [`RESTART_DELAY`]). Returns when the loop returns by
/// itself, or when `shutdown` is cancelled and the current loop has ended. Dropping the
/// returned future aborts the loop.
pub async fn supervise<F, Fut>(name: String, shutdown: CancellationToken, delay: Duration, start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut start = start;
    loop {
        let handle = tokio::spawn(start());
        let _abort = AbortOnDrop(handle.abort_handle());
        match handle.await {
            Ok(()) => return,
            Err(e) => {
                let why = if e.is_panic() {
                    panic_message(e.into_panic().as_ref())
                } else {
                    "aborted".to_string()
                };
                if shutdown.is_cancelled() {
                    tracing::error!(task = %name, error = %why, "loop died during shutdown");
                    return;
                }
                tracing::error!(task = %name, error = %why, "loop died; restarting it");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}
