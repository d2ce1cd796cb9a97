//! The base URL of links Vigil hands out (reports, export downloads): the configured
//! `public_url`, else the address the API listens on, over plain HTTP. A request's `Host`
//! header never decides where a signed link points. When the API listens on every address
//! (`0.0.0.0`, `::`) and no `public_url` is set, links name the loopback address with the
//! listening port; `vigil serve` warns about that at start.

use crate::ApiConfig;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The base URL (no trailing slash) of links.
pub(crate) fn base(cfg: &ApiConfig) -> String {
    if let Some(u) = &cfg.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let mut listen = cfg
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    if listen.ip().is_unspecified() {
        let lo = match listen.ip() {
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        listen.set_ip(lo);
    }
    format!("http://{listen}")
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
    fn links_use_the_configuration_only() {
        assert_eq!(base(&cfg("127.0.0.1:8080", None)), "http://127.0.0.1:8080");
        assert_eq!(base(&cfg("10.0.0.5:9000", None)), "http://10.0.0.5:9000");
        assert_eq!(
            base(&cfg("10.0.0.5:9000", Some("https://vigil.example.com/"))),
            "https://vigil.example.com"
        );
        assert_eq!(base(&cfg("0.0.0.0:8080", None)), "http://127.0.0.1:8080");
        assert_eq!(base(&cfg("[::]:8080", None)), "http://[::1]:8080");
    }
}
