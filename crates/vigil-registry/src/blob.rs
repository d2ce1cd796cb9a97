//! Verified blob reading. A [`BlobReader`] is an [`AsyncRead`] over a blob's HTTP body that
//! hashes every byte it yields, refuses to yield more than its limit (the expected size or
//! the client's `max_blob_bytes`), and at the end of the stream fails unless the sha256 is
//! the digest asked for and the size the one expected. The check happens at end of stream:
//! a reader that stops early (a tar reader at its end-of-archive marker) calls
//! [`BlobReader::finish`] (or [`BlockingBlob::finish`]) to drain and verify the rest.
//!
//! [`BlockingBlob`] carries the same reader into synchronous code through
//! `tokio_util::io::SyncIoBridge`, for layer readers that run inside `spawn_blocking`.
//!
//! A blob download has an overall deadline ([`ClientConfig::blob_deadline`](crate::ClientConfig),
//! from the request to the last byte): a registry that trickles bytes just fast enough to
//! dodge the read-stall timeout fails with [`RegistryError::Deadline`] instead of holding the
//! reader (and, through `SyncIoBridge`, a blocking thread) for as long as it likes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::client::{check_repository, fail, pull_scope, Call, Client};
use crate::digest::Digest;
use crate::error::RegistryError;

impl Client {
    /// A blob of `repository` as an [`AsyncRead`](tokio::io::AsyncRead) that hashes what it
    /// yields and, at the end of the stream, fails unless the sha256 is `digest` and the size
    /// is `expected_size` (when given). Never more than `max_blob_bytes` (nor more than
    /// `expected_size`) is read. Redirects to blob storage are followed through the scope
    /// guard without credentials.
    pub async fn blob(
        &self,
        repository: &str,
        digest: &Digest,
        expected_size: Option<u64>,
    ) -> Result<BlobReader, RegistryError> {
        check_repository(repository)?;
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let mut call = Call::get(url.clone(), Some(pull_scope(repository)));
        call.timed = false;
        let what = format!("blob {digest} of {repository}");
        let allowed = self.config().blob_deadline;
        let deadline = Instant::now() + allowed;
        let expired = |what: String| RegistryError::Deadline {
            what,
            deadline: allowed,
        };
        let resp = match tokio::time::timeout_at(deadline, async {
            let resp = self.send(call).await?;
            if resp.status() != StatusCode::OK {
                return Err(fail(resp, &url, what.clone()).await);
            }
            Ok(resp)
        })
        .await
        {
            Ok(r) => r?,
            Err(_) => return Err(expired(what)),
        };
        let max_blob_bytes = self.config().max_blob_bytes;
        let limit = match expected_size {
            Some(s) if s > max_blob_bytes => {
                return Err(RegistryError::TooLarge {
                    what,
                    limit: max_blob_bytes,
                })
            }
            Some(s) => s,
            None => max_blob_bytes,
        };
        if let Some(len) = resp.content_length() {
            if let Some(expected) = expected_size.filter(|e| *e != len) {
                return Err(RegistryError::SizeMismatch {
                    what,
                    expected,
                    actual: len,
                });
            }
            if len > max_blob_bytes {
                return Err(RegistryError::TooLarge {
                    what,
                    limit: max_blob_bytes,
                });
            }
        }
        Ok(BlobReader::new(
            resp,
            digest.clone(),
            expected_size,
            limit,
            what,
            (deadline, allowed),
        ))
    }

    /// A whole blob in memory (a config, say), verified, at most `limit` bytes (and at most
    /// `max_blob_bytes`).
    pub async fn blob_bytes(
        &self,
        repository: &str,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let mut reader = self.blob(repository, digest, None).await?;
        reader.lower_limit(limit);
        let mut out = Vec::new();
        match tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut out).await {
            Ok(_) => Ok(out),
            Err(e) => Err(crate::blob::io_to_registry(e)),
        }
    }

    /// [`Client::blob`] for a synchronous reader: the returned [`BlockingBlob`] implements
    /// [`std::io::Read`] over a `tokio_util::io::SyncIoBridge` and must be read inside
    /// `tokio::task::spawn_blocking` (or another thread that is not a runtime worker). Read
    /// it to the end, or call [`BlockingBlob::finish`], for the digest check.
    pub async fn blob_reader_blocking(
        &self,
        repository: &str,
        digest: &Digest,
        expected_size: Option<u64>,
    ) -> Result<BlockingBlob, RegistryError> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|e| RegistryError::Config(format!("no tokio runtime: {e}")))?;
        let reader = self.blob(repository, digest, expected_size).await?;
        Ok(BlockingBlob::new(reader, handle))
    }
}

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
    /// Fires at the download's deadline.
    deadline: Pin<Box<Sleep>>,
    /// How long the download was allowed (for the error).
    allowed: Duration,
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
        (deadline, allowed): (Instant, Duration),
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
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            allowed,
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
        if this.deadline.as_mut().poll(cx).is_ready() {
            let e = RegistryError::Deadline {
                what: this.what.clone(),
                deadline: this.allowed,
            };
            return this.fail(e);
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
