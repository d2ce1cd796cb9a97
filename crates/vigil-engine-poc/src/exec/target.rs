//! One scan target as templates see it: the input URL (or `host[:port]`) split into the
//! variables nuclei defines for it (`BaseURL`, `RootURL`, `Hostname`, `Host`, `Port`,
//! `Path`, `File`, `Scheme`, and the domain parts `FQDN`, `RDN`, `DN`, `TLD`, `SD`). Parsing
//! is by hand and keeps the text as given: nothing is normalised.

use std::fmt;

/// Why an input is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a target: {reason}")]
pub struct TargetError {
    /// The input.
    pub input: String,
    /// Why.
    pub reason: &'static str,
}

/// A parsed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or address, IPv6 without brackets.
    pub host: String,
    /// Port (the scheme's default when none was given).
    pub port: u16,
    /// Whether the input named the port.
    pub explicit_port: bool,
    /// The path as given (`""` when none), without query.
    pub path: String,
    /// The query without `?`, if any.
    pub query: Option<String>,
}

impl Target {
    /// Reads `http(s)://host[:port][/path][?query]`, or `host[:port]` (taken as `http`, or
    /// `https` on port 443).
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let err = |reason| TargetError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_control() || c == ' ') {
            return Err(err("empty, too long, or has spaces or control characters"));
        }
        let (scheme, rest, given_scheme) = match s.split_once("://") {
            Some((sch, rest)) => {
                let sch = sch.to_ascii_lowercase();
                if sch != "http" && sch != "https" {
                    return Err(err("only http and https URLs"));
                }
                (sch, rest, true)
            }
            None => ("http".to_string(), s, false),
        };
        let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(cut);
        if authority.contains('@') {
            return Err(err("user information in URLs is not supported"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| err("bad host or port"))?;
        if host.is_empty() {
            return Err(err("no host"));
        }
        let tail = tail.split('#').next().unwrap_or("");
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (tail.to_string(), None),
        };
        let scheme = if !given_scheme && port == Some(443) {
            "https".to_string()
        } else {
            scheme
        };
        let default = if scheme == "https" { 443 } else { 80 };
        Ok(Target {
            port: port.unwrap_or(default),
            explicit_port: port.is_some(),
            scheme,
            host,
            path,
            query,
        })
    }

    /// Whether TLS is used.
    pub fn tls(&self) -> bool {
        self.scheme == "https"
    }

    /// The host as written in URLs (IPv6 bracketed).
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// `host[:port]` as the input wrote it (nuclei's `Hostname`).
    pub fn hostname(&self) -> String {
        if self.explicit_port {
            format!("{}:{}", self.host_for_url(), self.port)
        } else {
            self.host_for_url()
        }
    }

    /// `host:port` always, for the `Host` header of non-default ports and network
    /// templates.
    pub fn host_port(&self) -> String {
        format!("{}:{}", self.host_for_url(), self.port)
    }

    /// `scheme://host[:port]`.
    pub fn root_url(&self) -> String {
        format!("{}://{}", self.scheme, self.hostname())
    }

    /// The input URL without a trailing `/` (so `{{BaseURL}}/x` has one slash).
    pub fn base_url(&self) -> String {
        let mut s = format!("{}{}", self.root_url(), self.path.trim_end_matches('/'));
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s
    }

    /// The variables nuclei defines for an input, in a fixed order.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let (dir, file) = match self.path.rfind('/') {
            Some(i) if self.path[i + 1..].contains('.') => {
                (self.path[..i].to_string(), self.path[i + 1..].to_string())
            }
            _ => (self.path.trim_end_matches('/').to_string(), String::new()),
        };
        let d = Domain::of(&self.host);
        vec![
            ("BaseURL", self.base_url()),
            ("RootURL", self.root_url()),
            ("Hostname", self.hostname()),
            ("Host", self.host.clone()),
            ("Port", self.port.to_string()),
            ("Path", dir),
            ("File", file),
            ("Scheme", self.scheme.clone()),
            ("Input", self.base_url()),
            ("FQDN", d.fqdn),
            ("RDN", d.rdn),
            ("DN", d.dn),
            ("TLD", d.tld),
            ("SD", d.sd),
        ]
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base_url())
    }
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
pub fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let port_of = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(port_of(p.strip_prefix(':')?)?),
        };
        return Some((host.to_string(), port));
    }
    match authority.matches(':').count() {
        0 => Some((authority.to_ascii_lowercase(), None)),
        1 => {
            let (h, p) = authority.split_once(':')?;
            Some((h.to_ascii_lowercase(), Some(port_of(p)?)))
        }
        // A bare IPv6 address without brackets.
        _ => authority
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| (a.to_string(), None)),
    }
}

/// Domain parts of a host name (addresses have only `FQDN`).
struct Domain {
    fqdn: String,
    rdn: String,
    dn: String,
    tld: String,
    sd: String,
}

impl Domain {
    fn of(host: &str) -> Domain {
        let empty = || String::new();
        if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
            return Domain {
                fqdn: host.to_string(),
                rdn: host.to_string(),
                dn: host.to_string(),
                tld: empty(),
                sd: empty(),
            };
        }
        let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
        // Two-label public suffixes that are common enough to matter (co.uk, com.cn, ...);
        // the full public suffix list is not worth its weight here.
        const SECOND: [&str; 8] = ["co", "com", "net", "org", "gov", "edu", "ac", "gob"];
        let n = labels.len();
        let suffix_len = if n >= 3 && labels[n - 1].len() == 2 && SECOND.contains(&labels[n - 2]) {
            2
        } else {
            1
        };
        let tld = labels[n - suffix_len..].join(".");
        let dn = labels
            .get(n.saturating_sub(suffix_len + 1))
            .copied()
            .unwrap_or("")
            .to_string();
        let rdn = if n > suffix_len {
            labels[n - suffix_len - 1..].join(".")
        } else {
            host.to_string()
        };
        let sd = if n > suffix_len + 1 {
            labels[..n - suffix_len - 1].join(".")
        } else {
            String::new()
        };
        Domain {
            fqdn: host.to_string(),
            rdn,
            dn,
            tld,
            sd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(input: &str) -> std::collections::HashMap<&'static str, String> {
        Target::parse(input)
            .unwrap()
            .variables()
            .into_iter()
            .collect()
    }

    #[test]
    fn nuclei_variables() {
        let v = vars("https://sub.example.co.uk:8443/app/login.php?x=1");
        assert_eq!(
            v["BaseURL"],
            "https://sub.example.co.uk:8443/app/login.php?x=1"
        );
        assert_eq!(v["RootURL"], "https://sub.example.co.uk:8443");
        assert_eq!(v["Hostname"], "sub.example.co.uk:8443");
        assert_eq!(v["Host"], "sub.example.co.uk");
        assert_eq!(v["Port"], "8443");
        assert_eq!(v["Path"], "/app");
        assert_eq!(v["File"], "login.php");
        assert_eq!(v["Scheme"], "https");
        assert_eq!(v["RDN"], "example.co.uk");
        assert_eq!(v["DN"], "example");
        assert_eq!(v["TLD"], "co.uk");
        assert_eq!(v["SD"], "sub");
        let v = vars("http://10.0.0.1/");
        assert_eq!(v["BaseURL"], "http://10.0.0.1");
        assert_eq!(v["Hostname"], "10.0.0.1");
        assert_eq!(v["Port"], "80");
        let v = vars("example.com:443");
        assert_eq!(v["Scheme"], "https");
        let v = vars("http://[::1]:8080/a/");
        assert_eq!(v["Hostname"], "[::1]:8080");
        assert_eq!(v["Host"], "::1");
        assert_eq!(v["Path"], "/a");
    }

    #[test]
    fn refuses_what_is_not_a_target() {
        for bad in [
            "",
            "ftp://x",
            "http://",
            "http://u:p@h/",
            "h:0",
            "h:99999",
            "a b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
