//! The base URL of links Vigil hands out (reports, export downloads). The configured
//! `public_url` when there is one; otherwise the address the API listens on, over plain
//! HTTP. A request's `Host` header is used only when the API listens on every address
//! (`0.0.0.0`, `::`), and then only if it is a well-formed host with the listening port, so
//! a client cannot point a signed link at another server.

use crate::ApiConfig;
use std::net::SocketAddr;

/// The base URL (no trailing slash) for links answered to a request with `host_header`.
pub(crate) fn base(cfg: &ApiConfig, host_header: &str) -> String {
    if let Some(u) = &cfg.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let listen = cfg
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    if !listen.ip().is_unspecified() {
        return format!("http://{listen}");
    }
    match checked_host(host_header, listen.port()) {
        Some(h) => format!("http://{h}"),
        None => format!("http://127.0.0.1:{}", listen.port()),
    }
}

/// `host_header` when it is `name:port` or `address:port` with the listening port and
/// nothing else (no user info, path or odd characters).
fn checked_host(host_header: &str, port: u16) -> Option<&str> {
    let url = url::Url::parse(&format!("http://{host_header}/")).ok()?;
    let same = url.port() == Some(port)
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.host_str().is_some_and(|h| {
            h.len() <= 253
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
    same.then_some(host_header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(listen: &str, public: Option<&str>) -> ApiConfig {
        ApiConfig {
            listen: Some(listen.parse().unwrap()),
            public_url: public.map(str::to_string),
            ..ApiConfig::default()
        }
    }

    #[test]
    fn links_never_follow_an_unchecked_host_header() {
        let c = cfg("127.0.0.1:8080", None);
        assert_eq!(base(&c, "evil.example:80"), "http://127.0.0.1:8080");
        let c = cfg("10.0.0.5:9000", Some("https://vigil.example.com/"));
        assert_eq!(base(&c, "evil.example"), "https://vigil.example.com");
        let c = cfg("0.0.0.0:8080", None);
        assert_eq!(base(&c, "vigil.corp:8080"), "http://vigil.corp:8080");
        assert_eq!(base(&c, "10.1.2.3:8080"), "http://10.1.2.3:8080");
        for bad in [
            "evil.example",
            "evil.example:80",
            "a@evil.example:8080",
            "evil.example:8080/x",
            "evil.example:8080?x",
            "",
            "ex ample:8080",
        ] {
            assert_eq!(base(&c, bad), "http://127.0.0.1:8080", "{bad}");
        }
    }
}
