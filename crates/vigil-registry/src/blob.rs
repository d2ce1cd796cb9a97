//! Verified blob reading. A [`BlobReader`] is an [`AsyncRead`] over a blob's HTTP body that
//! hashes every byte it yields, refuses to yield more than its limit (the expected size or
//! the client's `max_blob_bytes`), and at the end of the stream fails unless the sha256 is
//! the digest asked for and the size the one expected. The check happens at end of stream:
//! a reader that stops early (a tar reader at its end-of-archive marker) calls
//! [`BlobReader::finish`] (or [`BlockingBlob::finish`]) to drain and verify the rest.
//!
//! [`BlockingBlob`] carries the same reader into synchronous code through
//! `tokio_util::io::SyncIoBridge`, for layer readers that run inside `spawn_blocking`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::BoxStream;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::digest::Digest;
use crate::error::RegistryError;

/// A blob's bytes as they arrive, verified at the end.
pub struct BlobReader {
    inner: StreamReader<BoxStream<'static, io::Result<Bytes>>, Bytes>,
    hasher: Sha256,
    read: u64,
    expected: Digest,
    expected_size: Option<u64>,
    limit: u64,
    what: String,
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Reading,
    Verified(Digest),
    Failed,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("what", &self.what)
            .field("read", &self.read)
            .field("limit", &self.limit)
            .field("state", &self.state)
            .finish()
    }
}

impl BlobReader {
    pub(crate) fn new(
        resp: reqwest::Response,
        expected: Digest,
        expected_size: Option<u64>,
        limit: u64,
        what: String,
    ) -> Self {
        let url = resp.url().clone();
        let stream = futures::stream::try_unfold(resp, move |mut r| {
            let url = url.clone();
            async move {
                match r.chunk().await {
                    Ok(Some(c)) => Ok(Some((c, r))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(io::Error::other(crate::client::transport(&url, e))),
                }
            }
        });
        BlobReader {
            inner: StreamReader::new(Box::pin(stream)),
            hasher: Sha256::new(),
            read: 0,
            expected,
            expected_size,
            limit,
            what,
            state: State::Reading,
        }
    }

    /// Lowers the most bytes this reader yields.
    pub(crate) fn lower_limit(&mut self, limit: u64) {
        self.limit = self.limit.min(limit);
    }

    /// The digest asked for.
    pub fn expected_digest(&self) -> &Digest {
        &self.expected
    }

    /// Bytes yielded so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Whether the whole blob was read and its digest and size checked.
    pub fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified(_))
    }

    /// Reads (and discards) whatever the caller did not read, then returns the verified
    /// digest, or the mismatch.
    pub async fn finish(&mut self) -> Result<Digest, RegistryError> {
        if let State::Verified(d) = &self.state {
            return Ok(d.clone());
        }
        tokio::io::copy(self, &mut tokio::io::sink())
            .await
            .map_err(io_to_registry)?;
        match &self.state {
            State::Verified(d) => Ok(d.clone()),
            _ => Err(RegistryError::Config(format!(
                "{} was not read to its end",
                self.what
            ))),
        }
    }

    fn fail(&mut self, e: RegistryError) -> Poll<io::Result<()>> {
        self.state = State::Failed;
        Poll::Ready(Err(io::Error::other(e)))
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &this.state {
            State::Verified(_) => return Poll::Ready(Ok(())),
            State::Failed => {
                return Poll::Ready(Err(io::Error::other(format!(
                    "{} already failed",
                    this.what
                ))))
            }
            State::Reading => {}
        }
        let before = buf.filled().len();
        if let Err(e) = futures::ready!(Pin::new(&mut this.inner).poll_read(cx, buf)) {
            this.state = State::Failed;
            return Poll::Ready(Err(e));
        }
        let new = &buf.filled()[before..];
        if new.is_empty() {
            // End of stream: the only place the digest can be judged.
            let actual = Digest::from_hasher(std::mem::take(&mut this.hasher));
            if let Some(expected) = this.expected_size.filter(|e| *e != this.read) {
                let e = RegistryError::SizeMismatch {
                    what: this.what.clone(),
                    expected,
                    actual: this.read,
                };
                return this.fail(e);
            }
            if actual != this.expected {
                let e = RegistryError::DigestMismatch {
                    what: this.what.clone(),
                    expected: this.expected.to_string(),
                    actual: actual.to_string(),
                };
                return this.fail(e);
            }
            this.state = State::Verified(actual);
            return Poll::Ready(Ok(()));
        }
        let n = new.len() as u64;
        this.hasher.update(new);
        this.read += n;
        if this.read > this.limit {
            let e = match this.expected_size {
                Some(expected) if expected == this.limit => RegistryError::SizeMismatch {
                    what: this.what.clone(),
                    expected,
                    actual: this.read,
                },
                _ => RegistryError::TooLarge {
                    what: this.what.clone(),
                    limit: this.limit,
                },
            };
            // An error returns no bytes (AsyncRead's contract).
            buf.set_filled(before);
            return this.fail(e);
        }
        Poll::Ready(Ok(()))
    }
}

/// The registry error inside an I/O error from a [`BlobReader`], or a transport error.
pub(crate) fn io_to_registry(e: io::Error) -> RegistryError {
    if RegistryError::from_io(&e).is_some() {
        if let Some(inner) = e.into_inner() {
            if let Ok(r) = inner.downcast::<RegistryError>() {
                return *r;
            }
        }
        return RegistryError::Config("blob read failed".into());
    }
    RegistryError::Transport {
        url: String::from("blob stream"),
        message: e.to_string(),
    }
}

/// A [`BlobReader`] for synchronous code: [`std::io::Read`] through
/// `tokio_util::io::SyncIoBridge`. Use it inside `tokio::task::spawn_blocking` (reading on
/// a runtime worker thread panics, as `SyncIoBridge` does).
pub struct BlockingBlob {
    bridge: SyncIoBridge<BlobReader>,
}

impl std::fmt::Debug for BlockingBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockingBlob")
    }
}

impl BlockingBlob {
    pub(crate) fn new(reader: BlobReader, handle: tokio::runtime::Handle) -> Self {
        BlockingBlob {
            bridge: SyncIoBridge::new_with_handle(reader, handle),
        }
    }

    /// Reads and discards the rest, then returns the verified digest or the mismatch.
    pub fn finish(mut self) -> Result<Digest, RegistryError> {
        io::copy(&mut self.bridge, &mut io::sink()).map_err(io_to_registry)?;
        let reader = self.bridge.into_inner();
        match &reader.state {
            State::Verified(d) => Ok(d.clone()),
            _ => Err(RegistryError::Config(format!(
                "{} was not read to its end",
                reader.what
            ))),
        }
    }

    /// The asynchronous reader back.
    pub fn into_inner(self) -> BlobReader {
        self.bridge.into_inner()
    }
}

impl io::Read for BlockingBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bridge.read(buf)
    }
}
