//! [`Wire`]: scope-checked, pinned, rate-limited, cancellable connections and the HTTP/1.x
//! exchange over them (write the request's bytes, feed what comes back to the pure
//! [`ResponseDecoder`], pool the connection when the response left it clean).

use super::conn::{bounded, read_result, Conn, Connected, Counters, Stream};
use super::decode::{DecodeLimits, Framing, Progress, ResponseDecoder};
use super::encoding;
use super::tls::{self, TlsInfo};
use super::{Endpoint, HttpResponse, SendOpts, WireError, WireLimits, WireStats};
use crate::{PinnedTarget, RateLimiter, ScopeError, ScopeGuard};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

type Resolved = Result<PinnedTarget, ScopeError>;
/// (host, lowercased; port).
type HostKey = (String, u16);

/// An idle keep-alive connection.
struct Idle {
    conn: Connected,
    since: Instant,
}

/// The raw transport of one run: see the [module](super) documentation.
pub struct Wire {
    scope: Arc<ScopeGuard>,
    rate: Arc<RateLimiter>,
    cancel: CancellationToken,
    limits: WireLimits,
    resolved: Mutex<HashMap<HostKey, Arc<OnceCell<Resolved>>>>,
    pool: Mutex<HashMap<Endpoint, Vec<Idle>>>,
    counters: Arc<Counters>,
    tls_http: Result<TlsConnector, String>,
    tls_raw: Result<TlsConnector, String>,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("limits", &self.limits)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Why one attempt failed: `Stale` when a pooled connection turned out closed before any
/// response byte (the request may be sent again on a new connection).
enum Attempt {
    Stale(WireError),
    Fatal(WireError),
}

impl From<WireError> for Attempt {
    fn from(e: WireError) -> Self {
        Attempt::Fatal(e)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Wire {
    /// A transport for one run.
    pub fn new(
        scope: Arc<ScopeGuard>,
        rate: Arc<RateLimiter>,
        cancel: CancellationToken,
        limits: WireLimits,
    ) -> Self {
        Wire {
            scope,
            rate,
            cancel,
            limits,
            resolved: Mutex::new(HashMap::new()),
            pool: Mutex::new(HashMap::new()),
            counters: Arc::new(Counters::default()),
            tls_http: tls::connector(&[b"http/1.1"]),
            tls_raw: tls::connector(&[]),
        }
    }

    /// The caps and timeouts in force.
    pub fn limits(&self) -> &WireLimits {
        &self.limits
    }

    /// Totals so far.
    pub fn stats(&self) -> WireStats {
        let c = &self.counters;
        WireStats {
            requests: c.requests.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
            bytes_written: c.written.load(Ordering::Relaxed),
            bytes_read: c.read.load(Ordering::Relaxed),
        }
    }

    /// The pinned address of `host:port`, resolved through the scope guard once per
    /// `Wire` (later calls, concurrent ones included, get the same answer or refusal).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<PinnedTarget, WireError> {
        let cell = lock(&self.resolved)
            .entry((host.to_ascii_lowercase(), port))
            .or_default()
            .clone();
        let resolved = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(WireError::Cancelled),
            r = cell.get_or_init(|| self.scope.resolve(host, port)) => r,
        };
        resolved.clone().map_err(WireError::Scope)
    }

    /// One token from the rate limiter, unless cancelled first.
    async fn token(&self) -> Result<(), WireError> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(WireError::Cancelled),
            _ = self.rate.acquire() => Ok(()),
        }
    }

    /// Connect to the pinned address (and shake hands for TLS), within the connect timeout
    /// and `deadline`.
    async fn connect(
        &self,
        ep: &Endpoint,
        pinned: &PinnedTarget,
        deadline: Instant,
        http: bool,
    ) -> Result<Connected, WireError> {
        let deadline = deadline.min(Instant::now() + self.limits.connect_timeout);
        let peer = pinned.addr;
        let tcp = bounded(&self.cancel, deadline, TcpStream::connect(peer))
            .await?
            .map_err(|e| WireError::Connect(format!("{peer}: {e}")))?;
        Counters::add(&self.counters.connections, 1);
        // Small requests go out at once; failure only costs latency.
        let _ = tcp.set_nodelay(true);
        if !ep.tls {
            return Ok(Connected {
                stream: Stream::Tcp(tcp),
                peer,
                tls: None,
            });
        }
        let connector = if http { &self.tls_http } else { &self.tls_raw };
        let connector = connector.as_ref().map_err(|e| WireError::Tls(e.clone()))?;
        let name = tls::server_name(&ep.host, peer.ip());
        let stream = bounded(&self.cancel, deadline, connector.connect(name, tcp))
            .await?
            .map_err(|e| WireError::Tls(e.to_string()))?;
        let info = TlsInfo::of(stream.get_ref().1);
        Ok(Connected {
            stream: Stream::Tls(Box::new(stream)),
            peer,
            tls: Some(Arc::new(info)),
        })
    }

    /// A raw TCP or TLS connection for a network exchange: one rate token, then a connect
    /// within the connect timeout.
    pub async fn open(&self, ep: &Endpoint) -> Result<Conn, WireError> {
        let pinned = self.resolve(&ep.host, ep.port).await?;
        self.token().await?;
        let deadline = Instant::now() + self.limits.request_timeout;
        let inner = self.connect(ep, &pinned, deadline, false).await?;
        Ok(Conn {
            inner,
            cancel: self.cancel.clone(),
            counters: self.counters.clone(),
            io_timeout: self.limits.io_timeout,
            max_read: self.limits.max_body,
            eof: false,
        })
    }

    /// A live idle connection to `ep`, if the pool has one.
    fn take_idle(&self, ep: &Endpoint) -> Option<Connected> {
        let mut pool = lock(&self.pool);
        let idle = pool.get_mut(ep)?;
        while let Some(mut i) = idle.pop() {
            if i.since.elapsed() < self.limits.idle_keepalive && i.conn.looks_alive() {
                return Some(i.conn);
            }
        }
        None
    }

    /// Keep a clean connection for reuse: at most `max_idle_per_endpoint` per endpoint and
    /// `max_idle_total` in all (the oldest go first); expired ones are closed on the way.
    fn put_idle(&self, ep: &Endpoint, conn: Connected) {
        let limits = &self.limits;
        if limits.max_idle_per_endpoint == 0 || limits.max_idle_total == 0 {
            return;
        }
        let mut pool = lock(&self.pool);
        pool.retain(|_, idle| {
            idle.retain(|i| i.since.elapsed() < limits.idle_keepalive);
            !idle.is_empty()
        });
        let idle = pool.entry(ep.clone()).or_default();
        if idle.len() >= limits.max_idle_per_endpoint {
            idle.remove(0);
        }
        idle.push(Idle {
            conn,
            since: Instant::now(),
        });
        while pool.values().map(Vec::len).sum::<usize>() > limits.max_idle_total {
            let oldest = pool
                .iter()
                .filter_map(|(k, v)| v.first().map(|i| (i.since, k.clone())))
                .min_by_key(|(since, _)| *since);
            let Some((_, key)) = oldest else { break };
            if let Some(v) = pool.get_mut(&key) {
                v.remove(0);
                if v.is_empty() {
                    pool.remove(&key);
                }
            }
        }
    }

    /// Send `request` exactly as given and read one response. One rate token per request
    /// written; a pooled connection that turns out closed before any response byte is
    /// replaced once (another token), never after response bytes arrived. Each attempt, from
    /// its token on, is bounded by the request timeout, each read and write by the idle
    /// timeout. A request starting `HEAD ` is read as a HEAD whatever `opts.head` says.
    pub async fn send_http(
        &self,
        ep: &Endpoint,
        request: &[u8],
        opts: &SendOpts,
    ) -> Result<HttpResponse, WireError> {
        let pinned = self.resolve(&ep.host, ep.port).await?;
        let key = Endpoint::new(ep.tls, ep.host.to_ascii_lowercase(), ep.port);
        let mut retried = false;
        loop {
            self.token().await?;
            let deadline = Instant::now() + self.limits.request_timeout;
            let pooled = if opts.fresh || retried {
                None
            } else {
                self.take_idle(&key)
            };
            let reused = pooled.is_some();
            let conn = match pooled {
                Some(c) => c,
                None => self.connect(ep, &pinned, deadline, true).await?,
            };
            match self.exchange(conn, request, opts, deadline, reused).await {
                Ok((resp, keep)) => {
                    if let Some(c) = keep {
                        self.put_idle(&key, c);
                    }
                    return Ok(resp);
                }
                Err(Attempt::Stale(_)) if !retried => retried = true,
                Err(Attempt::Stale(e) | Attempt::Fatal(e)) => return Err(e),
            }
        }
    }

    /// Write the request and read its response on `conn`; the connection comes back when it
    /// may be reused.
    async fn exchange(
        &self,
        mut conn: Connected,
        request: &[u8],
        opts: &SendOpts,
        deadline: Instant,
        reused: bool,
    ) -> Result<(HttpResponse, Option<Connected>), Attempt> {
        let io = |now: Instant| deadline.min(now + self.limits.io_timeout);
        let started = Instant::now();
        let stream = &mut conn.stream;
        let wrote = bounded(&self.cancel, io(started), async {
            stream.write_all(request).await?;
            stream.flush().await
        })
        .await?;
        Counters::add(&self.counters.requests, 1);
        if let Err(e) = wrote {
            let e = WireError::Io(e.to_string());
            return Err(if reused {
                Attempt::Stale(e)
            } else {
                Attempt::Fatal(e)
            });
        }
        Counters::add(&self.counters.written, request.len());
        let mut dec = ResponseDecoder::new(
            DecodeLimits {
                max_head: self.limits.max_head,
                max_headers: self.limits.max_headers,
                max_body: self.limits.max_body,
            },
            opts.head || request.starts_with(b"HEAD "),
        );
        let mut buf = vec![0u8; 16 * 1024];
        let (complete, clean) = loop {
            let read =
                bounded(&self.cancel, io(Instant::now()), conn.stream.read(&mut buf)).await?;
            let n = match read_result(read) {
                Ok(n) => n,
                Err(e) if reused && dec.bytes_seen() == 0 => return Err(Attempt::Stale(e)),
                Err(e) => return Err(Attempt::Fatal(e)),
            };
            Counters::add(&self.counters.read, n);
            if n == 0 {
                if reused && dec.bytes_seen() == 0 {
                    return Err(Attempt::Stale(WireError::Io(
                        "pooled connection closed".into(),
                    )));
                }
                break (dec.eof().map_err(WireError::from)?, false);
            }
            match dec.feed(&buf[..n]).map_err(WireError::from)? {
                Progress::More => {}
                Progress::Complete { leftover } => break (true, leftover == 0),
                Progress::Capped => break (false, false),
            }
        };
        let elapsed = started.elapsed();
        let head = dec
            .head
            .take()
            .ok_or_else(|| WireError::Protocol("no response head".into()))?;
        let keep = clean
            && !opts.fresh
            && head.status != 101
            && dec.framing != Some(Framing::Close)
            && !head.lists("connection", "close")
            // Both framings named: a smuggling-shaped answer; do not trust what follows.
            && !(head.values("transfer-encoding").next().is_some()
                && head.values("content-length").next().is_some())
            && (head.version >= 1 || head.lists("connection", "keep-alive"))
            && !request_says_close(request);
        let codings: Vec<&str> = head.values("content-encoding").collect();
        let body = encoding::decode(
            std::mem::take(&mut dec.body),
            &codings,
            !complete,
            self.limits.max_body,
        );
        let resp = HttpResponse {
            status: head.status,
            version: head.version,
            reason: head.reason,
            headers: head.headers,
            trailers: std::mem::take(&mut dec.trailers),
            head: std::mem::take(&mut dec.head_bytes),
            body: body.body,
            truncated: body.truncated,
            undecoded: body.undecoded,
            elapsed,
            peer: conn.peer,
            tls: conn.tls.clone(),
            reused,
        };
        Ok((resp, keep.then_some(conn)))
    }
}

/// Whether a request's head carries `Connection: close` (read leniently: requests may be
/// malformed on purpose).
fn request_says_close(request: &[u8]) -> bool {
    let end = super::decode::head_end(request, 0).unwrap_or(request.len());
    request[..end]
        .split(|b| *b == b'\n')
        .skip(1)
        .filter_map(|line| {
            let line = String::from_utf8_lossy(line);
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("connection")
                .then(|| value.to_string())
        })
        .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
}

#[cfg(test)]
mod tests {
    use super::request_says_close;

    #[test]
    fn request_close_is_read_leniently() {
        assert!(request_says_close(
            b"GET / HTTP/1.1\r\nHost: a\r\nconnection: Keep-Alive, CLOSE\r\n\r\n"
        ));
        assert!(!request_says_close(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nConnection: close"
        ));
        assert!(!request_says_close(b"\xff\xfe"));
    }
}
