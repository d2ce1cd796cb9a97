//! The scope guard: the operator's policy of what Vigil may touch, applied to every address an
//! engine or the service itself connects to. Host names are resolved once; the checked address
//! is returned pinned, and callers connect to that address only (no DNS rebinding between
//! check and use).
//!
//! Policy: explicit deny rules always win. With no allow rules, every other address may be
//! reached (accounts still have to prove ownership of what they scan), except link-local and
//! cloud metadata addresses. With allow rules, only matching targets may be reached, and they
//! count as operator-trusted (sites there need no ownership proof). Link-local and metadata
//! addresses are reachable only when an allow rule names them.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// One allow or deny rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRule {
    /// An address range.
    Net(IpNet),
    /// A domain and all its subdomains.
    Domain(String),
}

impl FromStr for ScopeRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(ScopeRule::Net(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(ScopeRule::Net(IpNet::from(ip)));
        }
        let d = s
            .trim_start_matches("*.")
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let valid = !d.is_empty()
            && d.len() <= 253
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if valid {
            Ok(ScopeRule::Domain(d))
        } else {
            Err(format!(
                "`{s}` is neither an address, a CIDR range nor a domain name"
            ))
        }
    }
}

/// The operator's scope policy.
#[derive(Debug, Clone, Default)]
pub struct ScopePolicy {
    /// Allowed targets (empty: everything not denied).
    pub allow: Vec<ScopeRule>,
    /// Denied targets.
    pub deny: Vec<ScopeRule>,
}

/// The verdict on one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// May be touched; `trusted` when an operator allow rule names it.
    Allowed {
        /// Named by an allow rule.
        trusted: bool,
    },
    /// Must not be touched, with the reason.
    Denied(String),
}

/// Why a target may not be touched.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    /// Refused by policy.
    #[error("target {target} is out of scope: {reason}")]
    Denied {
        /// The target as given.
        target: String,
        /// Why.
        reason: String,
    },
    /// The name does not resolve.
    #[error("cannot resolve {0}")]
    Unresolvable(String),
}

/// A target whose address was checked; connect to `addr`, present `host` (SNI, Host header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedTarget {
    /// Name or address as given.
    pub host: String,
    /// Checked address and port.
    pub addr: SocketAddr,
    /// Named by an allow rule.
    pub trusted: bool,
}

impl PinnedTarget {
    /// Whether this target is an internal address the operator's scope does not name: owned
    /// targets and callbacks must not reach such addresses.
    pub fn reaches_internal(&self) -> bool {
        !self.trusted && ScopeGuard::is_internal(self.addr.ip())
    }
}

/// Applies a [`ScopePolicy`].
#[derive(Clone, Default)]
pub struct ScopeGuard {
    policy: ScopePolicy,
    dns: Option<std::sync::Arc<crate::Dns>>,
}

impl std::fmt::Debug for ScopeGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("policy", &self.policy)
            .finish()
    }
}

fn metadata_nets() -> [IpNet; 4] {
    [
        IpNet::from_str("169.254.0.0/16")
            .unwrap_or_else(|_| IpNet::from(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
        IpNet::from_str("fe80::/10")
            .unwrap_or_else(|_| IpNet::from(IpAddr::V6(Ipv6Addr::UNSPECIFIED))),
        IpNet::from(IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200))),
        IpNet::from(IpAddr::V6(Ipv6Addr::new(
            0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254,
        ))),
    ]
}

fn domain_matches(rule: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == rule || host.ends_with(&format!(".{rule}"))
}

/// Map IPv4-mapped IPv6 addresses to IPv4 so rules cannot be bypassed by spelling.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl ScopeGuard {
    /// A guard for a policy.
    pub fn new(policy: ScopePolicy) -> Self {
        ScopeGuard { policy, dns: None }
    }

    /// Resolve host names with this DNS client instead of the system resolver.
    pub fn with_dns(mut self, dns: std::sync::Arc<crate::Dns>) -> Self {
        self.dns = Some(dns);
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &ScopePolicy {
        &self.policy
    }

    fn rule_hits(rules: &[ScopeRule], ip: IpAddr, host: Option<&str>) -> bool {
        rules.iter().any(|r| match r {
            ScopeRule::Net(n) => n.contains(&ip),
            ScopeRule::Domain(d) => host.is_some_and(|h| domain_matches(d, h)),
        })
    }

    /// Whether an operator allow rule names `host` (an address or a domain) and no deny rule
    /// does, without resolving anything.
    pub fn names_trusted(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self.check_ip(ip, None) == Decision::Allowed { trusted: true },
            Err(_) => {
                let hit = |rules: &[ScopeRule]| {
                    rules
                        .iter()
                        .any(|r| matches!(r, ScopeRule::Domain(d) if domain_matches(d, bare)))
                };
                hit(&self.policy.allow) && !hit(&self.policy.deny)
            }
        }
    }

    /// Whether an address is internal: loopback, private (RFC 1918), shared (RFC 6598),
    /// unique local, link-local or unspecified. Targets that a tenant proved to own, and
    /// callbacks, may reach such addresses only when an operator allow rule names them.
    pub fn is_internal(ip: IpAddr) -> bool {
        match canonical(ip) {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || (o[0] == 100 && (64..128).contains(&o[1]))
                    || o[0] == 0
            }
            IpAddr::V6(v6) => {
                let seg = v6.segments();
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (seg[0] & 0xfe00) == 0xfc00
                    || (seg[0] & 0xffc0) == 0xfe80
            }
        }
    }

    /// Whether one operator allow rule contains the whole range `net`.
    pub fn trusts_net(&self, net: &IpNet) -> bool {
        self.policy
            .allow
            .iter()
            .any(|r| matches!(r, ScopeRule::Net(n) if n.contains(net)))
    }

    /// Decide on an address reached under an optional host name.
    pub fn check_ip(&self, ip: IpAddr, host: Option<&str>) -> Decision {
        let ip = canonical(ip);
        if Self::rule_hits(&self.policy.deny, ip, host) {
            return Decision::Denied("denied by operator scope".into());
        }
        let allowed = Self::rule_hits(&self.policy.allow, ip, host);
        if allowed {
            return Decision::Allowed { trusted: true };
        }
        if metadata_nets().iter().any(|n| n.contains(&ip)) {
            return Decision::Denied("link-local and cloud metadata addresses are denied".into());
        }
        if ip.is_unspecified() || ip.is_multicast() || ip == IpAddr::V4(Ipv4Addr::BROADCAST) {
            return Decision::Denied(
                "unspecified, multicast and broadcast addresses are denied".into(),
            );
        }
        if self.policy.allow.is_empty() {
            Decision::Allowed { trusted: false }
        } else {
            Decision::Denied("not inside the operator's allowed scope".into())
        }
    }

    /// Resolve `host` once and return the first allowed address, pinned.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<PinnedTarget, ScopeError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let (addrs, name) = match bare.parse::<IpAddr>() {
            Ok(ip) => (vec![SocketAddr::new(ip, port)], None),
            Err(_) => {
                let found: Vec<SocketAddr> = match &self.dns {
                    Some(dns) => dns
                        .addresses(bare)
                        .await
                        .into_iter()
                        .map(|ip| SocketAddr::new(ip, port))
                        .collect(),
                    None => tokio::net::lookup_host((bare, port))
                        .await
                        .map_err(|_| ScopeError::Unresolvable(host.to_string()))?
                        .collect(),
                };
                if found.is_empty() {
                    return Err(ScopeError::Unresolvable(host.to_string()));
                }
                (found, Some(bare))
            }
        };
        let mut last_reason = String::new();
        for addr in addrs {
            match self.check_ip(addr.ip(), name) {
                Decision::Allowed { trusted } => {
                    return Ok(PinnedTarget {
                        host: bare.to_string(),
                        addr: SocketAddr::new(canonical(addr.ip()), port),
                        trusted,
                    })
                }
                Decision::Denied(r) => last_reason = r,
            }
        }
        Err(ScopeError::Denied {
            target: host.to_string(),
            reason: last_reason,
        })
    }

    /// An HTTP client for one URL whose host is resolved through the guard and pinned; it
    /// follows no redirects (a redirect target must be checked again by the caller).
    pub async fn pinned_http_client(
        &self,
        url: &url::Url,
        timeout: std::time::Duration,
    ) -> Result<(reqwest::Client, PinnedTarget), ScopeError> {
        let host = url.host_str().ok_or_else(|| ScopeError::Denied {
            target: url.to_string(),
            reason: "URL has no host".into(),
        })?;
        let port = url.port_or_known_default().unwrap_or(80);
        let pinned = self.resolve(host, port).await?;
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .no_proxy()
            .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")));
        if host.parse::<IpAddr>().is_err() && !host.starts_with('[') {
            b = b.resolve(host, pinned.addr);
        }
        let client = b.build().map_err(|e| ScopeError::Denied {
            target: url.to_string(),
            reason: format!("cannot build HTTP client: {e}"),
        })?;
        Ok((client, pinned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(ScopeGuard::is_internal(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "100.128.0.1", "2001:db8::1", "172.32.0.1"] {
            assert!(!ScopeGuard::is_internal(a.parse().unwrap()), "{a}");
        }
    }

    fn guard(allow: &[&str], deny: &[&str]) -> ScopeGuard {
        ScopeGuard::new(ScopePolicy {
            allow: allow.iter().map(|s| s.parse().unwrap()).collect(),
            deny: deny.iter().map(|s| s.parse().unwrap()).collect(),
        })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn open_policy_denies_metadata_only() {
        let g = guard(&[], &[]);
        assert_eq!(
            g.check_ip(ip("127.0.0.1"), None),
            Decision::Allowed { trusted: false }
        );
        for bad in [
            "169.254.169.254",
            "100.100.100.200",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
        ] {
            assert!(
                matches!(g.check_ip(ip(bad), None), Decision::Denied(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn allow_list_is_exclusive_and_trusted() {
        let g = guard(
            &["127.0.0.0/24", "example.test", "169.254.169.254"],
            &["127.0.0.9"],
        );
        assert_eq!(
            g.check_ip(ip("127.0.0.5"), None),
            Decision::Allowed { trusted: true }
        );
        assert!(matches!(
            g.check_ip(ip("127.0.1.5"), None),
            Decision::Denied(_)
        ));
        assert!(
            matches!(g.check_ip(ip("127.0.0.9"), None), Decision::Denied(_)),
            "deny wins"
        );
        assert_eq!(
            g.check_ip(ip("10.0.0.1"), Some("www.example.test")),
            Decision::Allowed { trusted: true }
        );
        assert!(matches!(
            g.check_ip(ip("10.0.0.1"), Some("badexample.test")),
            Decision::Denied(_)
        ));
        // An explicit allow opens a metadata address.
        assert_eq!(
            g.check_ip(ip("169.254.169.254"), None),
            Decision::Allowed { trusted: true }
        );
    }

    #[test]
    fn rule_parsing() {
        assert_eq!(
            "10.1.2.3/8".parse::<ScopeRule>().unwrap(),
            ScopeRule::Net("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(
            "*.Example.TEST.".parse::<ScopeRule>().unwrap(),
            ScopeRule::Domain("example.test".into())
        );
        assert!("not a rule!".parse::<ScopeRule>().is_err());
        assert!("".parse::<ScopeRule>().is_err());
    }

    #[tokio::test]
    async fn resolve_pins_checked_address() {
        let g = guard(&[], &["127.0.0.2"]);
        let p = g.resolve("localhost", 8080).await.unwrap();
        assert!(p.addr.ip().is_loopback());
        assert_eq!(p.addr.port(), 8080);
        let err = g.resolve("127.0.0.2", 80).await.unwrap_err();
        assert!(matches!(err, ScopeError::Denied { .. }));
        let err = g.resolve("[::ffff:169.254.169.254]", 80).await.unwrap_err();
        assert!(matches!(err, ScopeError::Denied { .. }));
    }
}
