//! Connections of [`super::Wire`]: a TCP or TLS stream to a pinned address, the counters
//! every byte is added to, the race of each await against cancellation and a deadline, and
//! [`Conn`], the raw exchange handed to network templates (write bytes, read what arrives
//! within a wait).

use super::tls::TlsInfo;
use super::WireError;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Run `fut` unless `cancel` fires first ([`WireError::Cancelled`]) or `deadline` passes
/// ([`WireError::Timeout`]).
pub(crate) async fn bounded<F: Future>(
    cancel: &CancellationToken,
    deadline: Instant,
    fut: F,
) -> Result<F::Output, WireError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(WireError::Cancelled),
        r = tokio::time::timeout_at(deadline, fut) => r.map_err(|_| WireError::Timeout),
    }
}

/// Running totals of a [`super::Wire`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
    pub written: AtomicU64,
    pub read: AtomicU64,
}

impl Counters {
    pub(crate) fn add(n: &AtomicU64, by: usize) {
        n.fetch_add(by as u64, Ordering::Relaxed);
    }
}

/// A TCP or TLS byte stream.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An established connection.
pub(crate) struct Connected {
    pub stream: Stream,
    pub peer: SocketAddr,
    pub tls: Option<Arc<TlsInfo>>,
}

impl Connected {
    /// Whether an idle pooled connection still looks usable: nothing to read yet (a closed
    /// or chattering connection is not reused).
    pub(crate) fn looks_alive(&mut self) -> bool {
        let mut probe = [0u8; 1];
        futures::FutureExt::now_or_never(self.stream.read(&mut probe)).is_none()
    }
}

/// An I/O failure after connecting; TLS peers that close without `close_notify` read as
/// end of stream.
pub(crate) fn read_result(r: std::io::Result<usize>) -> Result<usize, WireError> {
    match r {
        Ok(n) => Ok(n),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
        Err(e) => Err(WireError::Io(e.to_string())),
    }
}

/// A raw TCP or TLS exchange from [`super::Wire::open`] (network templates): bytes written
/// as given, bytes read as they arrive. Every call races the run's cancellation.
pub struct Conn {
    pub(crate) inner: Connected,
    pub(crate) cancel: CancellationToken,
    pub(crate) counters: Arc<Counters>,
    pub(crate) io_timeout: Duration,
    pub(crate) max_read: usize,
    pub(crate) eof: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("peer", &self.inner.peer)
            .field("tls", &self.inner.tls.is_some())
            .field("eof", &self.eof)
            .finish()
    }
}

impl Conn {
    /// Write all of `bytes` (within the read/idle timeout).
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let deadline = Instant::now() + self.io_timeout;
        let stream = &mut self.inner.stream;
        bounded(&self.cancel, deadline, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await?
        .map_err(|e| WireError::Io(e.to_string()))?;
        Counters::add(&self.counters.written, bytes.len());
        Ok(())
    }

    /// What arrives within `wait`, at most `max` bytes (and at most the body cap): returns
    /// early once `max` bytes arrived or the peer closed ([`Conn::eof`]); empty when
    /// nothing came.
    pub async fn read_some(&mut self, max: usize, wait: Duration) -> Result<Vec<u8>, WireError> {
        self.read(max, wait, false).await
    }

    /// Like [`Conn::read_some`] but returns as soon as any bytes arrived (one read).
    pub async fn read_once(&mut self, max: usize, wait: Duration) -> Result<Vec<u8>, WireError> {
        self.read(max, wait, true).await
    }

    async fn read(&mut self, max: usize, wait: Duration, once: bool) -> Result<Vec<u8>, WireError> {
        let max = max.min(self.max_read);
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        let mut buf = vec![0u8; max.clamp(1, 64 * 1024)];
        while out.len() < max && !self.eof {
            let want = (max - out.len()).min(buf.len());
            let n = match bounded(
                &self.cancel,
                deadline,
                self.inner.stream.read(&mut buf[..want]),
            )
            .await
            {
                Err(WireError::Timeout) => break,
                Err(e) => return Err(e),
                Ok(r) => read_result(r)?,
            };
            Counters::add(&self.counters.read, n);
            if n == 0 {
                self.eof = true;
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if once {
                break;
            }
        }
        Ok(out)
    }

    /// Whether the peer closed its side.
    pub fn eof(&self) -> bool {
        self.eof
    }

    /// The handshake's outcome, for a TLS connection.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.inner.tls.as_deref()
    }

    /// The address connected to.
    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    /// Close our side (TLS: send `close_notify`), within the read/idle timeout.
    pub async fn shutdown(&mut self) -> Result<(), WireError> {
        let deadline = Instant::now() + self.io_timeout;
        bounded(&self.cancel, deadline, self.inner.stream.shutdown())
            .await?
            .map_err(|e| WireError::Io(e.to_string()))
    }
}
