//! The raw transport: the one way engines that must send bytes exactly as written (template
//! engines: raw HTTP requests with `../`, percent-encoded sequences, odd header casing,
//! duplicate headers, absolute-form targets, even malformed requests; raw TCP/TLS
//! exchanges) touch the network. A [`Wire`] resolves each (host, port) through the
//! [`ScopeGuard`] once and pins the answer (a refusal is remembered too), waits for the
//! [`RateLimiter`] before every request or connection, races every await against the run's
//! cancellation and its deadlines, and bounds what it reads (head, body, decompression).
//!
//! [`Wire::send_http`] writes a request's bytes unchanged on a pooled keep-alive or new TCP
//! or TLS connection and reads one HTTP/1.x response with the pure decoder in [`decode`]
//! (Content-Length, chunked or read-to-close bodies; 1xx skipped; gzip/deflate decoded);
//! [`Wire::open`] hands out a raw [`Conn`].

mod client;
mod conn;
pub mod decode;
#[cfg(test)]
mod decode_tests;
mod encoding;
mod response;
mod tls;

pub use client::Wire;
pub use conn::Conn;
pub use decode::{parse_response_head, ResponseHead};
pub use response::HttpResponse;
pub use tls::TlsInfo;

use crate::ScopeError;
use std::time::Duration;

#[cfg(doc)]
use crate::{RateLimiter, ScopeGuard};

/// Where to connect: a host name, an IPv4 address or a bracketed IPv6 address, a port, and
/// whether to speak TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// TLS (HTTPS) or plain TCP.
    pub tls: bool,
    /// Name or address (IPv6 in brackets or bare).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint.
    pub fn new(tls: bool, host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            tls,
            host: host.into(),
            port,
        }
    }

    /// The endpoint of an `http` or `https` URL (default ports filled in; IPv6 hosts stay
    /// bracketed); `None` for other schemes or URLs without a host.
    pub fn from_url(url: &url::Url) -> Option<Endpoint> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return None,
        };
        Some(Endpoint::new(
            tls,
            url.host_str()?,
            url.port_or_known_default()?,
        ))
    }
}

/// Caps and timeouts of a [`Wire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireLimits {
    /// TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Longest wait for any one write or read (idle timeout).
    pub io_timeout: Duration,
    /// Whole request, from the rate token to the last byte read (connects included).
    pub request_timeout: Duration,
    /// Most bytes in a response head (status line, headers, blank line).
    pub max_head: usize,
    /// Most header lines in a response head.
    pub max_headers: usize,
    /// Most body bytes kept, as received and after decoding; more is truncated.
    pub max_body: usize,
    /// Most idle keep-alive connections kept per endpoint (0: no reuse).
    pub max_idle_per_endpoint: usize,
    /// Most idle keep-alive connections kept in all.
    pub max_idle_total: usize,
    /// Idle pooled connections older than this are closed rather than reused.
    pub idle_keepalive: Duration,
}

impl Default for WireLimits {
    fn default() -> Self {
        WireLimits {
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_head: 64 * 1024,
            max_headers: 256,
            max_body: 4 * 1024 * 1024,
            max_idle_per_endpoint: 4,
            max_idle_total: 64,
            idle_keepalive: Duration::from_secs(30),
        }
    }
}

/// How one request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOpts {
    /// The request is a HEAD: the response has no body whatever its headers say.
    pub head: bool,
    /// Use a new connection and close it afterwards (no pooling either way): for requests
    /// whose bytes may leave the connection in an unknown state (smuggling, pipelining).
    pub fresh: bool,
}

/// Totals of what a [`Wire`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WireStats {
    /// HTTP requests written (a stale keep-alive retry counts again).
    pub requests: u64,
    /// TCP connections opened (HTTP and raw).
    pub connections: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Bytes read.
    pub bytes_read: u64,
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The scope guard refused the host (or it does not resolve).
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The TCP connection could not be made.
    #[error("connect failed: {0}")]
    Connect(String),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The connection failed after it was made (reset, broken pipe).
    #[error("connection failed: {0}")]
    Io(String),
    /// A connect, read or write timeout or the request's deadline passed.
    #[error("timed out")]
    Timeout,
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The response is not valid HTTP/1.x.
    #[error("malformed response: {0}")]
    Protocol(String),
    /// The response head is over the size or header-count cap.
    #[error("response head too large")]
    TooLarge,
}

impl From<decode::DecodeError> for WireError {
    fn from(e: decode::DecodeError) -> Self {
        match e {
            decode::DecodeError::Protocol(m) => WireError::Protocol(m),
            decode::DecodeError::TooLarge => WireError::TooLarge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn endpoints_of_urls() {
        let ep = |u: &str| Endpoint::from_url(&url::Url::parse(u).unwrap());
        assert_eq!(
            ep("https://Example.test/a"),
            Some(Endpoint::new(true, "example.test", 443))
        );
        assert_eq!(
            ep("http://[::1]:8080/"),
            Some(Endpoint::new(false, "[::1]", 8080))
        );
        assert_eq!(
            ep("http://10.0.0.1"),
            Some(Endpoint::new(false, "10.0.0.1", 80))
        );
        assert_eq!(ep("ftp://example.test/"), None);
    }
}
