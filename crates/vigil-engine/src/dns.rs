//! DNS lookups Vigil makes itself beyond address resolution: TXT records for ownership proofs.
//! Uses the system resolver configuration, or one operator-chosen server.

use hickory_resolver::config::{NameServerConfig, Protocol, ResolverConfig, ResolverOpts};
use hickory_resolver::TokioAsyncResolver;
use std::net::SocketAddr;
use std::time::Duration;

/// A DNS client.
pub struct Dns {
    resolver: TokioAsyncResolver,
}

/// Why a lookup failed to start.
#[derive(Debug, thiserror::Error)]
#[error("DNS resolver configuration: {0}")]
pub struct DnsConfigError(String);

impl Dns {
    /// Use `server` (UDP and TCP) if given, else the system configuration.
    pub fn new(server: Option<SocketAddr>) -> Result<Self, DnsConfigError> {
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs(3);
        opts.attempts = 2;
        let resolver = match server {
            Some(addr) => {
                let mut cfg = ResolverConfig::new();
                cfg.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
                cfg.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
                TokioAsyncResolver::tokio(cfg, opts)
            }
            None => {
                let (cfg, _) = hickory_resolver::system_conf::read_system_conf()
                    .map_err(|e| DnsConfigError(e.to_string()))?;
                TokioAsyncResolver::tokio(cfg, opts)
            }
        };
        Ok(Dns { resolver })
    }

    /// Addresses (A and AAAA) of a name; empty when none.
    pub async fn addresses(&self, name: &str) -> Vec<std::net::IpAddr> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.lookup_ip(fqdn).await {
            Ok(found) => found.iter().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// TXT strings of a name (each record's character strings joined); empty when none.
    pub async fn txt(&self, name: &str) -> Vec<String> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn).await {
            Ok(found) => found
                .iter()
                .map(|r| {
                    r.txt_data()
                        .iter()
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect::<String>()
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The records of one type of a name, as zone-file lines (`name TTL IN TYPE data`), with
    /// the response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, ...); `Err` names a record type
    /// that does not exist or a lookup that got no answer at all.
    pub async fn records(&self, name: &str, kind: &str) -> Result<DnsAnswer, String> {
        use hickory_resolver::error::ResolveErrorKind;
        use hickory_resolver::proto::rr::RecordType;
        let rtype: RecordType = kind
            .parse()
            .map_err(|_| format!("{kind} is not a DNS record type"))?;
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.lookup(fqdn, rtype).await {
            Ok(found) => Ok(DnsAnswer {
                rcode: "NOERROR".into(),
                records: found.record_iter().map(|r| r.to_string()).collect(),
            }),
            Err(e) => match e.kind() {
                ResolveErrorKind::NoRecordsFound { response_code, .. } => Ok(DnsAnswer {
                    rcode: response_code.to_str().to_ascii_uppercase(),
                    records: Vec::new(),
                }),
                other => Err(other.to_string()),
            },
        }
    }
}

/// The answer to one DNS question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAnswer {
    /// The response code, upper-case (`NOERROR`, `NXDOMAIN`, ...).
    pub rcode: String,
    /// The answer's records as zone-file lines.
    pub records: Vec<String>,
}
