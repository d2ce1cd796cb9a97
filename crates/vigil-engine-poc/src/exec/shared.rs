//! What every template run of one scan shares: the [`Wire`] (scope-guarded, pinned,
//! rate-limited), the [`ResponseCache`] that sends a `GET`/`HEAD` request once however many
//! templates ask for exactly the same bytes (nuclei's clustering, found by the bytes
//! themselves rather than by comparing templates: before the scan, every template's first
//! request is rendered for every target, and only requests more than one template will send
//! are kept, each until its last asker has had it), and the [`HostBudget`] that stops
//! sending to an endpoint after repeated transport errors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use vigil_engine::wire::{Endpoint, HttpResponse, SendOpts, Wire, WireError};

/// Transport errors after which an endpoint gets no more requests (nuclei's
/// `max-host-error` default).
pub const MAX_HOST_ERRORS: u32 = 30;
/// Most response body bytes the cache holds in all.
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Largest single response the cache keeps.
pub const CACHE_ENTRY_BYTES: usize = 512 * 1024;

/// A scan's shared state.
pub struct Shared {
    /// The transport.
    pub wire: Arc<Wire>,
    /// Identical requests sent once.
    pub cache: ResponseCache,
    /// Dead endpoints skipped.
    pub budget: HostBudget,
    /// Stop flag.
    pub cancel: tokio_util::sync::CancellationToken,
    /// The task's rate limiter, for what does not go through the wire (DNS questions).
    pub rate: Arc<vigil_engine::RateLimiter>,
    /// The resolver DNS templates ask, if any.
    pub dns: Option<Arc<vigil_engine::Dns>>,
}

impl Shared {
    /// Shared state over `wire`, caching the requests `cache` expects; DNS questions go to
    /// `dns` after `rate`.
    pub fn new(
        wire: Arc<Wire>,
        cache: ResponseCache,
        cancel: tokio_util::sync::CancellationToken,
        rate: Arc<vigil_engine::RateLimiter>,
        dns: Option<Arc<vigil_engine::Dns>>,
    ) -> Shared {
        Shared {
            wire,
            cache,
            rate,
            dns,
            budget: HostBudget::default(),
            cancel,
        }
    }

    /// Whether the scan was cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Sends `bytes` to `ep`: from the cache for identical `GET`/`HEAD` requests, never to
    /// an endpoint whose error budget is spent.
    pub async fn send(
        &self,
        ep: &Endpoint,
        bytes: &[u8],
        cacheable: bool,
    ) -> Result<Arc<HttpResponse>, SendError> {
        if self.budget.exhausted(ep) {
            return Err(SendError::HostDown);
        }
        let opts = SendOpts::default();
        let result = if cacheable {
            self.cache
                .get_or_send(ep, bytes, || self.wire.send_http(ep, bytes, &opts))
                .await
        } else {
            self.wire.send_http(ep, bytes, &opts).await.map(Arc::new)
        };
        match &result {
            Ok(_) => {}
            Err(WireError::Cancelled) | Err(WireError::Scope(_)) => {}
            Err(_) => self.budget.error(ep),
        }
        result.map_err(SendError::Wire)
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The endpoint had too many errors.
    #[error("the host had {MAX_HOST_ERRORS} transport errors; no more requests are sent to it")]
    HostDown,
    /// The transport failed.
    #[error(transparent)]
    Wire(#[from] WireError),
}

type Key = (Endpoint, Vec<u8>);
type Slot = Arc<OnceCell<Result<Arc<HttpResponse>, WireError>>>;

/// Responses of identical requests, each sent once (single flight: concurrent askers wait
/// for the first), bounded by [`CACHE_BYTES`]; past the bound requests are sent uncached.
#[derive(Default)]
pub struct ResponseCache {
    slots: Mutex<HashMap<Key, Slot>>,
    /// Requests several templates will send, with how many askers are still to come.
    wanted: Mutex<HashMap<Key, usize>>,
    bytes: AtomicUsize,
    hits: AtomicUsize,
}

impl ResponseCache {
    /// A cache for the requests `expected` lists (one entry per template that will send
    /// it): those listed more than once are kept for their askers; others are never cached.
    pub fn expecting(expected: impl IntoIterator<Item = (Endpoint, Vec<u8>)>) -> ResponseCache {
        let mut counts: HashMap<Key, usize> = HashMap::new();
        for k in expected {
            *counts.entry(k).or_default() += 1;
        }
        counts.retain(|_, n| *n > 1);
        ResponseCache {
            wanted: Mutex::new(counts),
            ..ResponseCache::default()
        }
    }

    /// Counts one asker of `key`; true when the request is one several templates send.
    fn take(&self, key: &Key) -> Option<bool> {
        let mut wanted = self.wanted.lock().ok()?;
        let n = wanted.get_mut(key)?;
        *n = n.saturating_sub(1);
        let last = *n == 0;
        if last {
            wanted.remove(key);
        }
        Some(last)
    }

    async fn get_or_send<F, Fut>(
        &self,
        ep: &Endpoint,
        bytes: &[u8],
        send: F,
    ) -> Result<Arc<HttpResponse>, WireError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<HttpResponse, WireError>>,
    {
        let key = (ep.clone(), bytes.to_vec());
        let Some(last) = self.take(&key) else {
            return send().await.map(Arc::new);
        };
        if self.bytes.load(Ordering::Relaxed) >= CACHE_BYTES {
            return send().await.map(Arc::new);
        }
        let slot = {
            let Ok(mut slots) = self.slots.lock() else {
                return send().await.map(Arc::new);
            };
            slots.entry(key.clone()).or_default().clone()
        };
        let mut sent = false;
        let result = slot
            .get_or_init(|| async {
                sent = true;
                send().await.map(Arc::new)
            })
            .await
            .clone();
        if !sent {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        let size = result.as_ref().map_or(0, |r| r.body.len() + r.head.len());
        let kept = result.is_ok() && size <= CACHE_ENTRY_BYTES;
        if sent && kept {
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        // Errors and big answers are not kept for later askers; the last asker frees the
        // answer.
        if (sent && !kept) || last {
            let removed = self.slots.lock().ok().and_then(|mut s| s.remove(&key));
            if removed.is_some() && kept {
                let _ = self
                    .bytes
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                        Some(b.saturating_sub(size))
                    });
            }
        }
        result
    }

    /// Requests answered from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

/// Transport errors per endpoint.
#[derive(Default)]
pub struct HostBudget {
    errors: Mutex<HashMap<Endpoint, Arc<AtomicU32>>>,
}

impl HostBudget {
    fn counter(&self, ep: &Endpoint) -> Option<Arc<AtomicU32>> {
        let mut m = self.errors.lock().ok()?;
        Some(m.entry(ep.clone()).or_default().clone())
    }

    /// Records a transport error.
    pub fn error(&self, ep: &Endpoint) {
        if let Some(c) = self.counter(ep) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the endpoint gets no more requests.
    pub fn exhausted(&self, ep: &Endpoint) -> bool {
        self.counter(ep)
            .is_some_and(|c| c.load(Ordering::Relaxed) >= MAX_HOST_ERRORS)
    }
}
