//! [`HttpResponse`], the answer [`super::Wire::send_http`] returns: the head as parsed and
//! as received, the decoded body, and what happened on the way (truncation, timing, peer,
//! TLS).

use super::decode::header_values;
use super::tls::TlsInfo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// One HTTP response, read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// HTTP minor version: `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub version: u8,
    /// Reason phrase.
    pub reason: String,
    /// Headers as received, in order (duplicates kept; values lossily UTF-8).
    pub headers: Vec<(String, String)>,
    /// Trailer fields of a chunked body, in order.
    pub trailers: Vec<(String, String)>,
    /// The exact status line and header bytes, blank line included (interim 1xx responses
    /// left out).
    pub head: Vec<u8>,
    /// The body, content-decoded (`gzip`, `x-gzip`, `deflate`) when possible.
    pub body: Vec<u8>,
    /// The body is incomplete: over the cap, or the server closed before its framing ended.
    pub truncated: bool,
    /// The body is as received although `Content-Encoding` names a coding that could not be
    /// undone (unknown, or not valid data).
    pub undecoded: bool,
    /// From the first request byte written to the last response byte read.
    pub elapsed: Duration,
    /// The address the request went to.
    pub peer: SocketAddr,
    /// The TLS handshake's outcome, for HTTPS.
    pub tls: Option<Arc<TlsInfo>>,
    /// Sent on a pooled keep-alive connection.
    pub reused: bool,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_values(&self.headers, name).next()
    }

    /// All values of a header, by case-insensitive name, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        header_values(&self.headers, name).collect()
    }

    /// The head as text (lossily).
    pub fn head_text(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }
}
