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
}
