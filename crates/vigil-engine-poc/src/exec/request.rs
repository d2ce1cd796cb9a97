//! HTTP requests as bytes for the wire, built from a rendered `path` request or a rendered
//! `raw` request. The request target is never normalised: `../`, `%2e` and odd characters
//! reach the server as the template wrote them. Safe raw requests get CRLF line endings, a
//! `Host` header when they lack one and a `Content-Length` that fits their body; `unsafe`
//! raw requests only get CRLF in their head (their body and headers stay as written).

use crate::exec::target::{split_host_port, Target};

/// Headers sent unless the template sets them (names compared case-insensitively).
pub const DEFAULT_HEADERS: [(&str, &str); 3] = [
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    ),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip"),
];

/// Why a rendered request cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The URL of a path request is not `http(s)://host...`.
    #[error("not an HTTP URL: {0:?}")]
    Url(String),
    /// A raw request without a request line.
    #[error("raw request without a request line")]
    NoRequestLine,
}

/// A request ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// TLS or not.
    pub tls: bool,
    /// Host to connect to (IPv6 without brackets).
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    /// The URL this request is for (findings' matched URL).
    pub url: String,
    /// Method.
    pub method: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

impl Built {
    /// Whether the response has no body (HEAD).
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}

/// A URL split without normalising: scheme, authority and the request target as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUrl {
    /// `https` or not.
    pub tls: bool,
    /// Host (IPv6 without brackets).
    pub host: String,
    /// Port (default by scheme).
    pub port: u16,
    /// `host[:port]` as written, for the Host header.
    pub authority: String,
    /// Path and query as written; `/` when empty.
    pub target: String,
}

impl RawUrl {
    /// Splits `http(s)://authority[/target]`.
    pub fn parse(url: &str) -> Option<RawUrl> {
        let (scheme, rest) = url.split_once("://")?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            _ => return None,
        };
        let cut = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(cut);
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return None;
        }
        let target = match target.split('#').next().unwrap_or("") {
            "" => "/".to_string(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_string(),
        };
        Some(RawUrl {
            tls,
            port: port.unwrap_or(if tls { 443 } else { 80 }),
            host,
            authority: authority.to_string(),
            target,
        })
    }

    /// The URL again.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            if self.tls { "https" } else { "http" },
            self.authority,
            self.target
        )
    }
}

/// Characters a request target cannot carry on the wire: spaces and controls, escaped as
/// Go's HTTP client would; everything else (including `%`, `..`) is left alone.
fn wire_target(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        if c == ' ' || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Builds a `path` request: `method` to the rendered `url`, the template's rendered
/// `headers` over the defaults, `body`, and the jar's `cookie` header if any.
pub fn from_path(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    cookie: Option<&str>,
) -> Result<Built, BuildError> {
    let u = RawUrl::parse(url.trim()).ok_or_else(|| BuildError::Url(url.to_string()))?;
    let mut head = format!("{method} {} HTTP/1.1\r\n", wire_target(&u.target));
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        head.push_str(&format!("Host: {}\r\n", u.authority));
    }
    for (k, v) in DEFAULT_HEADERS {
        if !has(k) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{k}: {}\r\n", one_line(v)));
    }
    if let Some(c) = cookie.filter(|_| !has("cookie")) {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        if !has("content-type") && !body.is_empty() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    Ok(Built {
        tls: u.tls,
        url: u.url(),
        host: u.host,
        port: u.port,
        method: method.to_string(),
        bytes,
    })
}

fn one_line(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

/// Builds a `raw` request from its rendered text, sent to `target` (the address is always
/// the target's, whatever the `Host` header says). A request line naming an absolute URL
/// sends to that URL's host instead. Unless `merge_path` is false, an origin-form path is
/// appended to the target's own path (nuclei's path auto-merge). `cookie` is added when
/// the request has no `Cookie` header.
pub fn from_raw(
    text: &str,
    target: &Target,
    unsafe_: bool,
    merge_path: bool,
    cookie: Option<&str>,
) -> Result<Built, BuildError> {
    let text = text.trim_start_matches(['\r', '\n', ' ', '\t']);
    let (head_text, body) = split_head(text);
    let mut lines = head_text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines
        .next()
        .filter(|l| !l.trim().is_empty())
        .ok_or(BuildError::NoRequestLine)?;
    let (method, rest) = first.split_once(' ').ok_or(BuildError::NoRequestLine)?;
    let (req_target, version) = match rest.rsplit_once(' ') {
        Some((t, v)) if v.starts_with("HTTP/") || unsafe_ => (t, v),
        _ => (rest, "HTTP/1.1"),
    };
    let mut tls = target.tls();
    let mut host = target.host.clone();
    let mut port = target.port;
    let mut authority = target.hostname();
    let mut path = req_target.to_string();
    if let Some(u) = RawUrl::parse(req_target) {
        tls = u.tls;
        host = u.host;
        port = u.port;
        authority = u.authority;
        path = u.target;
    } else if merge_path && path.starts_with('/') {
        let base = target.path.trim_end_matches('/');
        if !base.is_empty() && !path.starts_with(&format!("{base}/")) && path != base {
            path = format!("{base}{path}");
        }
    }
    let scheme = if tls { "https" } else { "http" };
    let url = if path.starts_with('/') {
        format!("{scheme}://{authority}{path}")
    } else {
        format!("{scheme}://{authority}/{path}")
    };
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let has = |name: &str| {
        headers.iter().any(|h| {
            h.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        })
    };
    let mut out = format!("{method} {path} {version}\r\n");
    if unsafe_ {
        for h in &headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
    } else {
        if !has("host") {
            out.push_str(&format!("Host: {authority}\r\n"));
        }
        for h in &headers {
            let is_length = h
                .split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"));
            if !is_length {
                out.push_str(h);
                out.push_str("\r\n");
            }
        }
        if !has("user-agent") {
            out.push_str(&format!("User-Agent: {}\r\n", DEFAULT_HEADERS[0].1));
        }
        if let Some(c) = cookie.filter(|_| !has("cookie")) {
            out.push_str(&format!("Cookie: {c}\r\n"));
        }
        let chunked = headers.iter().any(|h| {
            h.split_once(':').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("transfer-encoding")
                    && v.to_ascii_lowercase().contains("chunked")
            })
        });
        if !chunked && (!body.is_empty() || has("content-length")) {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    Ok(Built {
        tls,
        host,
        port,
        url,
        method: method.to_string(),
        bytes,
    })
}

/// Splits at the first empty line (`\n\n` or `\r\n\r\n`); the body keeps its bytes, except
/// that the single line break YAML's `|` leaves at the very end is dropped when the body
/// is otherwise one line (`a=1\n` is sent as `a=1`, as nuclei does).
fn split_head(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let rest = &text[i + 1..];
            if let Some(body) = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
            {
                let head = &text[..i];
                let trimmed = body
                    .strip_suffix('\n')
                    .map(|b| b.strip_suffix('\r').unwrap_or(b));
                let body = match trimmed {
                    Some(b) if !b.contains('\n') => b,
                    _ => body,
                };
                return (head, body);
            }
        }
        i += 1;
    }
    (text.trim_end_matches(['\r', '\n']), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn path_requests_keep_the_target_as_written() {
        let b = from_path(
            "GET",
            "http://h:8080/a/../../etc/passwd%2e%2E?x=1",
            &[],
            None,
            None,
        )
        .unwrap();
        let text = String::from_utf8(b.bytes).unwrap();
        assert!(
            text.starts_with("GET /a/../../etc/passwd%2e%2E?x=1 HTTP/1.1\r\nHost: h:8080\r\n"),
            "{text}"
        );
        assert_eq!((b.host.as_str(), b.port, b.tls), ("h", 8080, false));
        let b = from_path(
            "POST",
            "https://h",
            &[("X-A".into(), "1".into())],
            Some("a=b"),
            Some("s=1"),
        )
        .unwrap();
        let text = String::from_utf8(b.bytes).unwrap();
        assert!(text.starts_with("POST / HTTP/1.1\r\n"));
        assert!(text.contains("X-A: 1\r\nCookie: s=1\r\n"));
        assert!(text.ends_with("Content-Length: 3\r\n\r\na=b"), "{text}");
        assert_eq!(b.port, 443);
        assert!(from_path("GET", "ftp://h/", &[], None, None).is_err());
    }

    #[test]
    fn raw_requests_get_crlf_host_and_length() {
        let raw = "POST /login HTTP/1.1\nHost: {{Hostname}}\nContent-Type: text/plain\nContent-Length: 99\n\nuser=a\n";
        let raw = raw.replace("{{Hostname}}", "h");
        let b = from_raw(&raw, &target("http://h"), false, true, None).unwrap();
        let want = format!(
            "POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nUser-Agent: {}\r\nContent-Length: 6\r\n\r\nuser=a",
            DEFAULT_HEADERS[0].1
        );
        assert_eq!(String::from_utf8(b.bytes).unwrap(), want);
        assert_eq!(b.url, "http://h/login");
    }

    #[test]
    fn raw_paths_merge_with_the_targets_path() {
        let b = from_raw(
            "GET /admin HTTP/1.1\nHost: h\n\n",
            &target("http://h/app/"),
            false,
            true,
            None,
        )
        .unwrap();
        assert!(b.bytes.starts_with(b"GET /app/admin HTTP/1.1\r\n"));
        assert_eq!(b.url, "http://h/app/admin");
        let b = from_raw(
            "GET /admin HTTP/1.1\nHost: h\n\n",
            &target("http://h/app/"),
            false,
            false,
            None,
        )
        .unwrap();
        assert!(b.bytes.starts_with(b"GET /admin HTTP/1.1\r\n"));
    }

    #[test]
    fn unsafe_requests_stay_as_written() {
        let b = from_raw(
            "AAAA /%2e%2e/ HTTP/1337\nHost: h\nX:  y \n\n",
            &target("http://h:81"),
            true,
            true,
            None,
        )
        .unwrap();
        assert_eq!(
            b.bytes,
            b"AAAA /%2e%2e/ HTTP/1337\r\nHost: h\r\nX:  y \r\n\r\n"
        );
        assert_eq!(b.port, 81);
    }

    #[test]
    fn absolute_request_lines_send_to_their_host() {
        let b = from_raw(
            "GET https://other:8443/x HTTP/1.1\nHost: other\n\n",
            &target("http://h"),
            false,
            true,
            None,
        )
        .unwrap();
        assert_eq!((b.host.as_str(), b.port, b.tls), ("other", 8443, true));
        assert!(b.bytes.starts_with(b"GET /x HTTP/1.1\r\n"));
    }

    proptest::proptest! {
        /// Whatever a rendered request holds, building it never panics.
        #[test]
        fn arbitrary_requests_never_panic(text in "(?s).{0,300}", unsafe_ in proptest::bool::ANY, url in "(?s).{0,80}") {
            let _ = from_raw(&text, &target("http://h/app"), unsafe_, true, Some("a=b"));
            let _ = from_path("GET", &url, &[], Some(&text), None);
            let _ = Target::parse(&url);
        }
    }
}
