//! The pure HTTP/1.x response decoder under [`super::Wire::send_http`]: bytes in, a parsed
//! head, a de-chunked body and trailers out, with no I/O, so that every byte a hostile server
//! can send is handled here and property-tested. [`parse_response_head`] parses one head
//! with `httparse` (leniently: odd spacing, obsolete line folding and invalid header lines
//! are tolerated); [`ResponseDecoder`] skips interim (1xx) responses, picks the body's
//! framing (none, Content-Length, chunked or read-to-close) and enforces the caps on the
//! head and the body.

use std::fmt;

/// Longest chunk-size line (size, extensions and line ending) accepted.
const MAX_CHUNK_LINE: usize = 4096;
/// Most interim (1xx) responses skipped before a final one.
const MAX_INTERIM: usize = 32;
/// Most header slots ever allocated for one parse, whatever the limits say.
const MAX_HEADER_SLOTS: usize = 4096;

/// Why bytes are not a valid response (before they become a [`super::WireError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Malformed response.
    #[error("{0}")]
    Protocol(String),
    /// The head is over the size or header-count cap.
    #[error("response head too large")]
    TooLarge,
}

/// A parsed status line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub version: u8,
    /// Status code.
    pub status: u16,
    /// Reason phrase (lossily decoded).
    pub reason: String,
    /// Headers as received, in order (values lossily decoded).
    pub headers: Vec<(String, String)>,
    /// Length of the head in bytes, blank line included.
    pub len: usize,
}

impl ResponseHead {
    /// All values of a header, by case-insensitive name, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        header_values(&self.headers, name)
    }

    /// Whether a comma-separated header (`Connection`, `Transfer-Encoding`) lists `token`.
    pub fn lists(&self, name: &str, token: &str) -> bool {
        self.values(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// All values of a header in `headers`, by case-insensitive name.
pub(crate) fn header_values<'a, 'n>(
    headers: &'a [(String, String)],
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Where the head in `bytes` ends (just past its blank line), if it is complete; bare `\n`
/// line endings are accepted. `from` is where to start looking (bytes before it were
/// searched already).
pub fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3).min(bytes.len());
    let mut i = start;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            match bytes.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if bytes.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parse one response head from the start of `bytes`: `Ok(None)` while incomplete, the head
/// (with its length) once its blank line arrived. More than `max_headers` header lines is
/// [`DecodeError::TooLarge`]; anything `httparse` refuses even leniently is
/// [`DecodeError::Protocol`].
pub fn parse_response_head(
    bytes: &[u8],
    max_headers: usize,
) -> Result<Option<ResponseHead>, DecodeError> {
    let Some(end) = head_end(bytes, 0) else {
        // Fail early on a status line that can never parse.
        if bytes.len() >= 5 && !bytes.starts_with(b"HTTP/") {
            return Err(DecodeError::Protocol(format!(
                "not an HTTP response: {}",
                snippet(bytes)
            )));
        }
        return Ok(None);
    };
    let mut slots = vec![httparse::EMPTY_HEADER; max_headers.clamp(1, MAX_HEADER_SLOTS)];
    let mut resp = httparse::Response::new(&mut slots);
    let parsed = httparse::ParserConfig::default()
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .ignore_invalid_headers_in_responses(true)
        .parse_response(&mut resp, &bytes[..end]);
    match parsed {
        Ok(httparse::Status::Complete(len)) => {
            let headers = resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).trim().to_string(),
                    )
                })
                .collect();
            Ok(Some(ResponseHead {
                version: resp.version.unwrap_or(1),
                status: resp.code.unwrap_or(0),
                reason: resp.reason.unwrap_or("").to_string(),
                headers,
                len,
            }))
        }
        Ok(httparse::Status::Partial) => Err(DecodeError::Protocol(format!(
            "incomplete response head: {}",
            snippet(bytes)
        ))),
        Err(httparse::Error::TooManyHeaders) => Err(DecodeError::TooLarge),
        Err(e) => Err(DecodeError::Protocol(format!(
            "malformed response head ({e}): {}",
            snippet(bytes)
        ))),
    }
}

/// The first bytes of a malformed response, printable, for error messages.
fn snippet(bytes: &[u8]) -> String {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or(bytes);
    let s: String = String::from_utf8_lossy(&line[..line.len().min(80)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    format!("{s:?}")
}

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes.
    Close,
}

/// The framing of a final response's body (RFC 9112 §6.3): no body for HEAD, 1xx, 204 and
/// 304; chunked when it is the last transfer coding; read-to-close for any other transfer
/// coding; else `Content-Length` (a list of equal values is one value; different or invalid
/// values are [`DecodeError::Protocol`]); else read-to-close.
pub fn framing(head: &ResponseHead, head_request: bool) -> Result<Framing, DecodeError> {
    if head_request || (100..200).contains(&head.status) || matches!(head.status, 204 | 304) {
        return Ok(Framing::Empty);
    }
    let codings: Vec<&str> = head
        .values("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(last) = codings.last() {
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::Close
        });
    }
    let mut length: Option<u64> = None;
    for v in head.values("content-length").flat_map(|v| v.split(',')) {
        let v = v.trim();
        let n = if !v.is_empty() && v.len() <= 19 && v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse::<u64>().ok()
        } else {
            None
        };
        let Some(n) = n else {
            return Err(DecodeError::Protocol(format!(
                "invalid Content-Length {v:?}"
            )));
        };
        if length.is_some_and(|l| l != n) {
            return Err(DecodeError::Protocol(
                "conflicting Content-Length values".into(),
            ));
        }
        length = Some(n);
    }
    Ok(length.map_or(Framing::Close, Framing::Length))
}

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line.
    Size(Vec<u8>),
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data: its line ending (`\r` seen or not).
    DataEnd(bool),
    /// Reading trailer lines (the current line, total trailer bytes so far).
    Trailer(Vec<u8>, usize),
    /// Finished.
    Done,
}

/// A chunked-body decoder: de-chunked data and trailers out of the wire bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: Chunk,
    max_trailers: usize,
    /// Trailer fields, as received.
    pub trailers: Vec<(String, String)>,
}

impl ChunkedDecoder {
    /// A decoder whose trailer section may hold at most `max_trailers` bytes.
    pub fn new(max_trailers: usize) -> Self {
        ChunkedDecoder {
            state: Chunk::Size(Vec::new()),
            max_trailers,
            trailers: Vec::new(),
        }
    }

    /// Whether the last chunk and the trailers were read.
    pub fn is_done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Decode from `input`, appending data to `out` but never past `cap` bytes of `out`;
    /// returns how many input bytes were consumed. Stops early when done or when `out` is
    /// full (the caller then truncates).
    pub fn feed(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        cap: usize,
    ) -> Result<usize, DecodeError> {
        let mut i = 0;
        while i < input.len() {
            match &mut self.state {
                Chunk::Done => break,
                Chunk::Size(line) => {
                    let b = input[i];
                    i += 1;
                    if b != b'\n' {
                        line.push(b);
                        if line.len() > MAX_CHUNK_LINE {
                            return Err(DecodeError::Protocol("chunk-size line too long".into()));
                        }
                        continue;
                    }
                    let size = chunk_size(line)?;
                    self.state = if size == 0 {
                        Chunk::Trailer(Vec::new(), 0)
                    } else {
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    if out.len() >= cap {
                        break;
                    }
                    let room = (cap - out.len()) as u64;
                    let take = (input.len() - i)
                        .min(usize::try_from((*left).min(room)).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[i..i + take]);
                    i += take;
                    *left -= take as u64;
                    if *left == 0 {
                        self.state = Chunk::DataEnd(false);
                    }
                }
                Chunk::DataEnd(cr) => {
                    let b = input[i];
                    i += 1;
                    match (b, *cr) {
                        (b'\r', false) => *cr = true,
                        (b'\n', _) => self.state = Chunk::Size(Vec::new()),
                        _ => {
                            return Err(DecodeError::Protocol(
                                "chunk data not followed by a line ending".into(),
                            ))
                        }
                    }
                }
                Chunk::Trailer(line, total) => {
                    let b = input[i];
                    i += 1;
                    *total += 1;
                    if *total > self.max_trailers {
                        return Err(DecodeError::TooLarge);
                    }
                    if b != b'\n' {
                        line.push(b);
                        continue;
                    }
                    let text = line.strip_suffix(b"\r").unwrap_or(line);
                    if text.is_empty() {
                        self.state = Chunk::Done;
                        break;
                    }
                    let text = String::from_utf8_lossy(text);
                    if let Some((name, value)) = text.split_once(':') {
                        self.trailers
                            .push((name.trim().to_string(), value.trim().to_string()));
                    }
                    line.clear();
                }
            }
        }
        Ok(i)
    }
}

/// The size in a chunk-size line (hex, then optional `;extensions`, then `\r`).
fn chunk_size(line: &[u8]) -> Result<u64, DecodeError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.split(|b| *b == b';').next().unwrap_or(line);
    let digits = digits.trim_ascii();
    let valid =
        !digits.is_empty() && digits.len() <= 16 && digits.iter().all(u8::is_ascii_hexdigit);
    let size = std::str::from_utf8(digits)
        .ok()
        .filter(|_| valid)
        .and_then(|d| u64::from_str_radix(d, 16).ok());
    size.ok_or_else(|| DecodeError::Protocol(format!("invalid chunk size {}", snippet(line))))
}

/// Caps a [`ResponseDecoder`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most bytes in a head (and in a chunked body's trailers).
    pub max_head: usize,
    /// Most header lines in a head.
    pub max_headers: usize,
    /// Most body bytes kept; more is truncated.
    pub max_body: usize,
}

/// What a [`ResponseDecoder`] needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes.
    More,
    /// The response is complete; `leftover` input bytes followed it (the connection then
    /// holds something unexpected and must not be reused).
    Complete {
        /// Bytes after the response.
        leftover: usize,
    },
    /// The body reached the cap; it is truncated and the connection must be dropped.
    Capped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Head,
    Body(Framing),
    Chunked(ChunkedDecoder),
    Done,
}

/// A response decoder fed the bytes read from a connection, in pieces of any size.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseDecoder {
    limits: DecodeLimits,
    head_request: bool,
    phase: Phase,
    buf: Vec<u8>,
    searched: usize,
    interim: usize,
    seen: u64,
    body_wire: u64,
    /// The final response's head, once parsed.
    pub head: Option<ResponseHead>,
    /// The final response's body framing, once its head was parsed.
    pub framing: Option<Framing>,
    /// The final response's head bytes, exactly as received.
    pub head_bytes: Vec<u8>,
    /// The body as received on the wire (de-chunked, not yet content-decoded).
    pub body: Vec<u8>,
    /// A chunked body's trailers.
    pub trailers: Vec<(String, String)>,
}

impl fmt::Debug for ResponseDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseDecoder")
            .field("phase", &self.phase)
            .field("seen", &self.seen)
            .field("body", &self.body.len())
            .finish()
    }
}

impl ResponseDecoder {
    /// A decoder for the answer to one request (`head_request`: it was a HEAD, so the
    /// response has no body whatever its headers say).
    pub fn new(limits: DecodeLimits, head_request: bool) -> Self {
        ResponseDecoder {
            limits,
            head_request,
            phase: Phase::Head,
            buf: Vec::new(),
            searched: 0,
            interim: 0,
            seen: 0,
            body_wire: 0,
            head: None,
            framing: None,
            head_bytes: Vec::new(),
            body: Vec::new(),
            trailers: Vec::new(),
        }
    }

    /// How many bytes were fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.seen
    }

    /// Feed bytes read from the connection.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, DecodeError> {
        self.seen += input.len() as u64;
        match &self.phase {
            Phase::Done => Ok(Progress::Complete {
                leftover: input.len(),
            }),
            Phase::Body(_) | Phase::Chunked(_) => self.feed_body(input),
            Phase::Head => self.feed_head(input),
        }
    }

    /// Head bytes: parse once the blank line arrived, skip interim responses.
    fn feed_head(&mut self, input: &[u8]) -> Result<Progress, DecodeError> {
        self.buf.extend_from_slice(input);
        let Some(end) = head_end(&self.buf, self.searched) else {
            self.searched = self.buf.len();
            if self.buf.len() > self.limits.max_head {
                return Err(DecodeError::TooLarge);
            }
            // Refuse garbage early rather than waiting for a blank line.
            parse_response_head(&self.buf, self.limits.max_headers)?;
            return Ok(Progress::More);
        };
        if end > self.limits.max_head {
            return Err(DecodeError::TooLarge);
        }
        let head = parse_response_head(&self.buf[..end], self.limits.max_headers)?
            .ok_or_else(|| DecodeError::Protocol("incomplete response head".into()))?;
        let rest = self.buf.split_off(end);
        let bytes = std::mem::replace(&mut self.buf, rest);
        self.searched = 0;
        let pending = std::mem::take(&mut self.buf);
        if (100..200).contains(&head.status) && head.status != 101 {
            self.interim += 1;
            if self.interim > MAX_INTERIM {
                return Err(DecodeError::Protocol(
                    "too many interim (1xx) responses".into(),
                ));
            }
            return self.feed_head(&pending);
        }
        let f = framing(&head, self.head_request)?;
        self.head = Some(head);
        self.head_bytes = bytes;
        self.framing = Some(f);
        self.phase = match f {
            Framing::Empty | Framing::Length(0) => Phase::Done,
            Framing::Chunked => Phase::Chunked(ChunkedDecoder::new(self.limits.max_head)),
            other => Phase::Body(other),
        };
        self.feed_body(&pending)
    }

    /// Body bytes (after the head).
    fn feed_body(&mut self, input: &[u8]) -> Result<Progress, DecodeError> {
        let cap = self.limits.max_body;
        match &mut self.phase {
            Phase::Head => Ok(Progress::More),
            Phase::Done => Ok(Progress::Complete {
                leftover: input.len(),
            }),
            Phase::Body(Framing::Length(total)) => {
                let left = total.saturating_sub(self.body.len() as u64);
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                let room = cap.saturating_sub(self.body.len());
                self.body.extend_from_slice(&input[..take.min(room)]);
                if take > room {
                    return Ok(Progress::Capped);
                }
                if self.body.len() as u64 >= *total {
                    self.phase = Phase::Done;
                    return Ok(Progress::Complete {
                        leftover: input.len() - take,
                    });
                }
                Ok(Progress::More)
            }
            Phase::Body(_) => {
                let room = cap.saturating_sub(self.body.len());
                self.body.extend_from_slice(&input[..input.len().min(room)]);
                if input.len() > room {
                    return Ok(Progress::Capped);
                }
                Ok(Progress::More)
            }
            Phase::Chunked(dec) => {
                self.body_wire += input.len() as u64;
                let used = dec.feed(input, &mut self.body, cap)?;
                if dec.is_done() {
                    self.trailers = std::mem::take(&mut dec.trailers);
                    self.phase = Phase::Done;
                    return Ok(Progress::Complete {
                        leftover: input.len() - used,
                    });
                }
                // Full, or framing overhead far beyond the data: stop reading.
                if used < input.len() || self.body_wire > 2 * cap as u64 + 65_536 {
                    return Ok(Progress::Capped);
                }
                Ok(Progress::More)
            }
        }
    }

    /// The server closed the connection: complete for a read-to-close body, else the
    /// response is cut short. `Ok(true)`: complete; `Ok(false)`: the body is incomplete
    /// (kept, flagged truncated); an error when the head never completed.
    pub fn eof(&mut self) -> Result<bool, DecodeError> {
        match &self.phase {
            Phase::Head if self.seen == 0 => Err(DecodeError::Protocol(
                "connection closed before any response".into(),
            )),
            Phase::Head => Err(DecodeError::Protocol(format!(
                "connection closed inside the response head: {}",
                snippet(&self.buf)
            ))),
            Phase::Body(Framing::Close) => {
                self.phase = Phase::Done;
                Ok(true)
            }
            Phase::Done => Ok(true),
            Phase::Body(_) | Phase::Chunked(_) => Ok(false),
        }
    }
}
