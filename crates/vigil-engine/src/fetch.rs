//! Downloading a file a tenant names (an app to scan, say) through the [`ScopeGuard`]: every
//! hop of a redirect chain is resolved, checked and pinned again, the body is streamed to a
//! file with a size cap (a `Content-Length` over the cap is refused before any byte is read)
//! and an overall deadline, and its MD5, SHA-256 and size are computed on the way, so the
//! caller can refuse a file whose digest is not the one it was promised without reading it
//! again.

use crate::scope::{ScopeError, ScopeGuard};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Bounds of one download.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// Largest body, in bytes.
    pub max_bytes: u64,
    /// Time allowed for the whole download, redirects included.
    pub deadline: Duration,
    /// Most redirects followed.
    pub max_redirects: u8,
}

impl Default for FetchLimits {
    /// 500 MiB, 10 minutes, 5 redirects.
    fn default() -> Self {
        FetchLimits {
            max_bytes: 500 * 1024 * 1024,
            deadline: Duration::from_secs(600),
            max_redirects: 5,
        }
    }
}

/// A file downloaded to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Lower-case hex MD5.
    pub md5: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// The URL the body came from (after redirects).
    pub final_url: String,
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not an `http` or `https` URL with a host.
    #[error("invalid download URL: {0}")]
    BadUrl(String),
    /// The scope guard refused a hop.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The server answered with an error status.
    #[error("the server answered HTTP {0}")]
    Status(u16),
    /// The body is larger than allowed.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// More redirects than allowed, or a redirect without a usable `Location`.
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// The deadline passed.
    #[error("the download took longer than {0:?}")]
    Timeout(Duration),
    /// The HTTP exchange failed.
    #[error("download failed: {0}")]
    Http(String),
    /// Writing the file failed.
    #[error("cannot write the downloaded file: {0}")]
    Io(#[from] std::io::Error),
}

/// Download `url` to `dest` through `scope` within `limits`. A partial file is removed when
/// the download fails.
pub async fn download(
    scope: &ScopeGuard,
    url: &str,
    dest: &Path,
    limits: FetchLimits,
) -> Result<Fetched, FetchError> {
    let result = tokio::time::timeout(limits.deadline, fetch(scope, url, dest, limits)).await;
    let outcome = match result {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout(limits.deadline)),
    };
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(dest).await;
    }
    outcome
}

fn parse(url: &str) -> Result<url::Url, FetchError> {
    let u = url::Url::parse(url).map_err(|e| FetchError::BadUrl(format!("{url}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(FetchError::BadUrl(format!(
            "{url}: only http and https URLs with a host"
        )));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(FetchError::BadUrl(format!(
            "{url}: credentials in URLs are not accepted"
        )));
    }
    Ok(u)
}

async fn fetch(
    scope: &ScopeGuard,
    url: &str,
    dest: &Path,
    limits: FetchLimits,
) -> Result<Fetched, FetchError> {
    let mut current = parse(url)?;
    let mut hops = 0u8;
    let mut resp = loop {
        let (client, _) = scope.pinned_http_client(&current, limits.deadline).await?;
        let resp = client
            .get(current.clone())
            .send()
            .await
            .map_err(|e| http_error(e, limits))?;
        if !resp.status().is_redirection() {
            break resp;
        }
        if hops == limits.max_redirects {
            return Err(FetchError::Redirect(format!(
                "more than {} redirects",
                limits.max_redirects
            )));
        }
        hops += 1;
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| FetchError::Redirect("a redirect without Location".into()))?;
        let next = current
            .join(location)
            .map_err(|e| FetchError::Redirect(format!("bad Location `{location}`: {e}")))?;
        current = parse(next.as_str())?;
    };
    if !resp.status().is_success() {
        return Err(FetchError::Status(resp.status().as_u16()));
    }
    if resp.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(FetchError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let mut file = tokio::fs::File::create(dest).await?;
    let (mut md5, mut sha) = (Md5::new(), Sha256::new());
    let mut size = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| http_error(e, limits))? {
        size = size.saturating_add(chunk.len() as u64);
        if size > limits.max_bytes {
            return Err(FetchError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        md5.update(&chunk);
        sha.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(Fetched {
        path: dest.to_path_buf(),
        size,
        md5: hex::encode(md5.finalize()),
        sha256: hex::encode(sha.finalize()),
        final_url: current.to_string(),
    })
}

/// A failed exchange; the client's own timeout (the deadline) is a [`FetchError::Timeout`].
fn http_error(e: reqwest::Error, limits: FetchLimits) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout(limits.deadline)
    } else {
        FetchError::Http(e.to_string())
    }
}
