//! The scope guard: the operator's policy of what Vigil may touch, applied to every address an
//! engine or the service itself connects to. Host names are resolved once; the checked address
//! is returned pinned, and callers connect to that address only (no DNS rebinding between
//! check and use).
//!
//! Policy: explicit deny rules always win. Link-local and cloud metadata addresses are
//! reachable only when an allow rule names their address range (a domain rule is not
//! enough: a name under an allowed domain that resolves to a metadata or loopback address
//! is refused). Unspecified, multicast, broadcast and reserved addresses are never reached
//! unless named. Internal addresses (loopback, private, shared, benchmarking, protocol
//! assignments, unique- and site-local, and IPv6 forms that embed one: IPv4-mapped,
//! IPv4-compatible, NAT64, 6to4) are refused for anything fetched on a tenant's behalf
//! unless an allow rule names them ([`ScopeGuard::new`], the guard of the service); the
//! local operator's own command-line scans ([`ScopeGuard::operator`]) may reach them. With
//! allow rules, only matching targets may be reached, and they count as operator-trusted
//! (sites there need no ownership proof).

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
    /// An internal address the operator's scope does not name, refused for everything
    /// fetched on a tenant's behalf.
    Internal,
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
    /// The target is (or resolves to) an internal address the operator's scope does not
    /// name: tenants may register it but never reach it.
    #[error("target {target} is or resolves to an internal address; internal addresses are reachable only when the operator's scope names them (--scope-allow)")]
    Internal {
        /// The target as given.
        target: String,
        /// The internal address (for the operator's logs; not in the message tenants see).
        addr: IpAddr,
    },
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

/// Whether internal addresses not named by the policy may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Refused: every fetch made on a tenant's behalf (the service's guard).
    #[default]
    TenantOnly,
    /// Allowed: the local operator's own scans from the command line.
    Operator,
}

/// Applies a [`ScopePolicy`].
#[derive(Clone, Default)]
pub struct ScopeGuard {
    policy: ScopePolicy,
    reach: Reach,
    dns: Option<std::sync::Arc<crate::Dns>>,
}

impl std::fmt::Debug for ScopeGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("policy", &self.policy)
            .field("reach", &self.reach)
            .finish()
    }
}

fn net(s: &str) -> IpNet {
    IpNet::from_str(s).unwrap_or_else(|_| IpNet::from(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
}

fn metadata_nets() -> [IpNet; 5] {
    [
        net("169.254.0.0/16"),
        net("fe80::/10"),
        IpNet::from(IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200))),
        // Oracle Cloud's instance metadata.
        IpNet::from(IpAddr::V4(Ipv4Addr::new(192, 0, 0, 192))),
        IpNet::from(IpAddr::V6(Ipv6Addr::new(
            0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254,
        ))),
    ]
}

fn domain_matches(rule: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == rule || host.ends_with(&format!(".{rule}"))
}

/// Map IPv4-mapped IPv6 addresses to IPv4 so rules cannot be bypassed by spelling; the
/// address connected to.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The IPv4 address an IPv6 address stands for, where it embeds one that packets end up at:
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`)
/// and 6to4 (`2002:AABB:CCDD::/48`). Checks apply to this address.
fn effective(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else {
        return ip;
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let tail = |hi: u16, lo: u16| IpAddr::V4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return tail(s[6], s[7]);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return tail(s[6], s[7]);
    }
    if s[0] == 0x2002 {
        return tail(s[1], s[2]);
    }
    ip
}

impl ScopeGuard {
    /// The guard of the service: internal addresses not named by an allow rule are refused
    /// for everything fetched on a tenant's behalf.
    pub fn new(policy: ScopePolicy) -> Self {
        ScopeGuard {
            policy,
            reach: Reach::TenantOnly,
            dns: None,
        }
    }

    /// The guard of the local operator's own scans (`vigil scan`, `vigil image import`):
    /// internal addresses may be reached unless denied.
    pub fn operator(policy: ScopePolicy) -> Self {
        ScopeGuard {
            policy,
            reach: Reach::Operator,
            dns: None,
        }
    }

    /// The resolver names are looked up with, when the operator chose one.
    pub fn dns(&self) -> Option<&std::sync::Arc<crate::Dns>> {
        self.dns.as_ref()
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

    /// Whether internal addresses not named by the policy may be reached.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    fn net_hits(rules: &[ScopeRule], ip: IpAddr) -> bool {
        rules
            .iter()
            .any(|r| matches!(r, ScopeRule::Net(n) if n.contains(&ip)))
    }

    fn domain_hits(rules: &[ScopeRule], host: Option<&str>) -> bool {
        host.is_some_and(|h| {
            rules
                .iter()
                .any(|r| matches!(r, ScopeRule::Domain(d) if domain_matches(d, h)))
        })
    }

    /// Whether an operator allow rule names `host` (an address or a domain) and no deny rule
    /// does, without resolving anything.
    pub fn names_trusted(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self.check_ip(ip, None) == Decision::Allowed { trusted: true },
            Err(_) => {
                Self::domain_hits(&self.policy.allow, Some(bare))
                    && !Self::domain_hits(&self.policy.deny, Some(bare))
            }
        }
    }

    /// Whether an address is internal: loopback, private (RFC 1918), shared (RFC 6598),
    /// IETF protocol assignments (192.0.0.0/24), benchmarking (198.18.0.0/15), "this
    /// network" (0.0.0.0/8), reserved (240.0.0.0/4), multicast, unique local, site-local,
    /// link-local or unspecified, judged on the IPv4 address an IPv6 one embeds
    /// (IPv4-mapped, IPv4-compatible, NAT64, 6to4). Anything fetched on a tenant's behalf
    /// may reach such addresses only when an operator allow rule names them.
    pub fn is_internal(ip: IpAddr) -> bool {
        match effective(ip) {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_multicast()
                    || v4.is_broadcast()
                    || o[0] == 0
                    || o[0] >= 240
                    || (o[0] == 100 && (64..128).contains(&o[1]))
                    || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                    || (o[0] == 198 && (o[1] & 0xfe) == 18)
            }
            IpAddr::V6(v6) => {
                let seg = v6.segments();
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (seg[0] & 0xfe00) == 0xfc00
                    || (seg[0] & 0xffc0) == 0xfe80
                    || (seg[0] & 0xffc0) == 0xfec0
                    // Local-use NAT64 (RFC 8215) and Teredo: the real destination is hidden.
                    || (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1)
                    || (seg[0] == 0x2001 && seg[1] == 0)
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
        let eff = effective(ip);
        let hits = |rules: &[ScopeRule]| {
            Self::net_hits(rules, ip) || (eff != ip && Self::net_hits(rules, eff))
        };
        if hits(&self.policy.deny) || Self::domain_hits(&self.policy.deny, host) {
            return Decision::Denied("denied by operator scope".into());
        }
        let net_allowed = hits(&self.policy.allow);
        let metadata = metadata_nets()
            .iter()
            .any(|n| n.contains(&ip) || n.contains(&eff));
        if metadata && !net_allowed {
            return Decision::Denied(
                "link-local and cloud metadata addresses are denied unless an allow rule names their address".into(),
            );
        }
        if net_allowed {
            return Decision::Allowed { trusted: true };
        }
        let loopback = match eff {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified(),
            IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
        };
        let never = match eff {
            IpAddr::V4(v4) => {
                v4.is_unspecified()
                    || v4.is_multicast()
                    || v4.is_broadcast()
                    || v4.octets()[0] >= 240
            }
            IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
        };
        if never {
            return Decision::Denied(
                "unspecified, multicast, broadcast and reserved addresses are denied".into(),
            );
        }
        if Self::domain_hits(&self.policy.allow, host) {
            // A name under an allowed domain may point anywhere its owner likes: loopback
            // (Vigil itself) needs an address rule.
            if loopback {
                return Decision::Denied(format!(
                    "{ip} is a loopback address; a domain allow rule does not open it"
                ));
            }
            return Decision::Allowed { trusted: true };
        }
        if !self.policy.allow.is_empty() {
            return Decision::Denied("not inside the operator's allowed scope".into());
        }
        if self.reach == Reach::TenantOnly && Self::is_internal(ip) {
            return Decision::Internal;
        }
        Decision::Allowed { trusted: false }
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
        let mut last_reason = None;
        let mut internal = None;
        for addr in addrs {
            match self.check_ip(addr.ip(), name) {
                Decision::Allowed { trusted } => {
                    return Ok(PinnedTarget {
                        host: bare.to_string(),
                        addr: SocketAddr::new(canonical(addr.ip()), port),
                        trusted,
                    })
                }
                Decision::Denied(r) => last_reason = Some(r),
                Decision::Internal => internal = Some(canonical(addr.ip())),
            }
        }
        match (last_reason, internal) {
            (None, Some(addr)) => Err(ScopeError::Internal {
                target: host.to_string(),
                addr,
            }),
            (reason, _) => Err(ScopeError::Denied {
                target: host.to_string(),
                reason: reason.unwrap_or_default(),
            }),
        }
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
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::10.1.2.3",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "192.0.0.1",
            "192.0.0.170",
            "198.18.0.1",
            "198.19.255.254",
            "0.1.2.3",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "ff02::1",
        ] {
            assert!(ScopeGuard::is_internal(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "100.128.0.1",
            "2001:db8::1",
            "172.32.0.1",
            "198.20.0.1",
            "192.0.1.1",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700::1111",
        ] {
            assert!(!ScopeGuard::is_internal(a.parse().unwrap()), "{a}");
        }
    }

    /// The service's guard refuses every internal address the operator's scope does not
    /// name, in every spelling; the operator's own guard reaches them.
    #[test]
    fn tenant_guard_refuses_internal_addresses() {
        let tenant = guard(&[], &[]);
        let operator = ScopeGuard::operator(ScopePolicy::default());
        for a in [
            "127.0.0.1",
            "10.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "fec0::1",
            "192.0.0.8",
            "198.18.0.2",
            "fd12::1",
        ] {
            assert_eq!(tenant.check_ip(ip(a), None), Decision::Internal, "{a}");
            assert_eq!(
                operator.check_ip(ip(a), None),
                Decision::Allowed { trusted: false },
                "{a}"
            );
        }
        assert_eq!(
            tenant.check_ip(ip("8.8.8.8"), None),
            Decision::Allowed { trusted: false }
        );
        // A deny rule on the IPv4 address also catches its embedded spellings.
        let g = guard(&["0.0.0.0/0", "::/0"], &["10.0.0.0/8"]);
        for a in [
            "10.1.1.1",
            "::ffff:10.1.1.1",
            "64:ff9b::a01:101",
            "2002:a01:101::1",
        ] {
            assert!(
                matches!(g.check_ip(ip(a), None), Decision::Denied(_)),
                "{a}"
            );
        }
        // Named by an address rule: reachable and trusted.
        let g = guard(&["127.0.0.0/8"], &[]);
        assert_eq!(
            g.check_ip(ip("127.0.0.1"), None),
            Decision::Allowed { trusted: true }
        );
    }

    /// A domain allow rule trusts what its names resolve to, except metadata and loopback
    /// addresses, which need an address rule.
    #[test]
    fn domain_rules_never_open_metadata_or_loopback() {
        let g = guard(&["corp.example.test"], &[]);
        assert_eq!(
            g.check_ip(ip("10.2.3.4"), Some("app.corp.example.test")),
            Decision::Allowed { trusted: true }
        );
        for a in [
            "169.254.169.254",
            "100.100.100.200",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "192.0.0.192",
            "127.0.0.1",
            "::1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
        ] {
            assert!(
                matches!(
                    g.check_ip(ip(a), Some("app.corp.example.test")),
                    Decision::Denied(_)
                ),
                "{a}"
            );
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
        let g = ScopeGuard::operator(ScopePolicy::default());
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
        let g = ScopeGuard::operator(ScopePolicy {
            allow: vec![],
            deny: vec!["127.0.0.2".parse().unwrap()],
        });
        let p = g.resolve("localhost", 8080).await.unwrap();
        assert!(p.addr.ip().is_loopback());
        assert_eq!(p.addr.port(), 8080);
        let err = g.resolve("127.0.0.2", 80).await.unwrap_err();
        assert!(matches!(err, ScopeError::Denied { .. }));
        let err = g.resolve("[::ffff:169.254.169.254]", 80).await.unwrap_err();
        assert!(matches!(err, ScopeError::Denied { .. }));
    }
}
