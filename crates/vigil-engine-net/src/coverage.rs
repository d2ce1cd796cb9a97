//! What one network run examined, host by host and port by port, so that a risk it did not
//! see again is called fixed only where the run really looked: the host answered, the port
//! was in the run's port set, and the check that found the risk ran to completion there.

use std::collections::HashMap;
use std::sync::Arc;
use vigil_core::Finding;
use vigil_engine::Coverage;

/// A set of TCP ports as a bitmap.
#[derive(Debug, Clone)]
pub struct PortBits(Vec<u64>);

impl PortBits {
    /// The set of the given ports.
    pub fn of(ports: &[u16]) -> Self {
        let mut bits = vec![0u64; 1024];
        for &p in ports {
            bits[usize::from(p) / 64] |= 1 << (p % 64);
        }
        PortBits(bits)
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port) / 64] & (1 << (port % 64)) != 0
    }
}

/// The checks that ran to completion on one open port.
#[derive(Debug, Clone, Default)]
pub struct PortChecks {
    /// The whole password dictionary was tried (or the service takes no passwords).
    pub weak_passwords: bool,
    /// Configuration checks ran.
    pub config_risks: bool,
    /// Unauthenticated-access checks ran.
    pub exposures: bool,
}

/// One scanned host: its open ports and what ran on each.
#[derive(Debug, Clone, Default)]
struct HostChecks {
    open: HashMap<u16, PortChecks>,
}

/// Coverage of one network run.
#[derive(Debug, Clone)]
pub struct NetCoverage {
    ports: Arc<PortBits>,
    skip_checks: Vec<vigil_core::spec::net::ConfigCheck>,
    hosts: HashMap<String, HostChecks>,
}

impl NetCoverage {
    /// A run over `ports` that skipped the named configuration checks.
    pub fn new(ports: &[u16], skip_checks: &[vigil_core::spec::net::ConfigCheck]) -> Self {
        NetCoverage {
            ports: Arc::new(PortBits::of(ports)),
            skip_checks: skip_checks.to_vec(),
            hosts: HashMap::new(),
        }
    }

    /// The port scan of `host` completed (the host answered and every port has a state).
    pub fn host_scanned(&mut self, host: &str) {
        self.hosts.entry(host.to_string()).or_default();
    }

    /// `port` of `host` is open and these checks ran on it.
    pub fn port_checked(&mut self, host: &str, port: u16, checks: PortChecks) {
        self.hosts
            .entry(host.to_string())
            .or_default()
            .open
            .insert(port, checks);
    }
}

impl Coverage for NetCoverage {
    fn covers(&self, f: &Finding) -> bool {
        let (Some(host), Some(port)) = (f.host.as_deref(), f.port) else {
            return false;
        };
        let Some(h) = self.hosts.get(host) else {
            // Not scanned, or down: nothing can be said about it.
            return false;
        };
        if !self.ports.contains(port) {
            return false;
        }
        let Some(checks) = h.open.get(&port) else {
            // Scanned and not open: whatever was on that port is gone.
            return true;
        };
        match f.kind.as_str() {
            // Open now, but not reported: the run stopped before it got there.
            "open_port" => false,
            "weak_password" => checks.weak_passwords,
            "config_risk" => {
                checks.config_risks
                    && f.identity
                        .first()
                        .is_some_and(|id| !self.skip_checks.iter().any(|s| s.as_str() == id))
            }
            "exposed_service" => checks.exposures,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: &str, host: &str, port: u16, identity: &[&str]) -> Finding {
        Finding {
            kind: kind.into(),
            host: Some(host.into()),
            port: Some(port),
            identity: identity.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn only_what_was_examined_is_covered() {
        let mut c = NetCoverage::new(
            &[22, 80, 443, 6379],
            &[vigil_core::spec::net::ConfigCheck::TlsWeakCipher],
        );
        c.host_scanned("a");
        c.port_checked(
            "a",
            22,
            PortChecks {
                weak_passwords: false,
                config_risks: true,
                exposures: true,
            },
        );
        c.port_checked(
            "a",
            443,
            PortChecks {
                weak_passwords: true,
                config_risks: true,
                exposures: true,
            },
        );
        // Closed now, in the port set: every kind on it is gone.
        assert!(c.covers(&finding("open_port", "a", 80, &[])));
        assert!(c.covers(&finding("weak_password", "a", 6379, &["redis", ""])));
        // Outside the port set, or on a host not scanned (down), or without host: unknown.
        assert!(!c.covers(&finding("open_port", "a", 8080, &[])));
        assert!(!c.covers(&finding("open_port", "b", 80, &[])));
        assert!(!c.covers(&Finding {
            kind: "open_port".into(),
            ..Default::default()
        }));
        // Open: only checks that ran to completion count.
        assert!(!c.covers(&finding("weak_password", "a", 22, &["ssh", "root"])));
        assert!(c.covers(&finding(
            "weak_password",
            "a",
            443,
            &["http-basic", "admin"]
        )));
        assert!(c.covers(&finding("config_risk", "a", 443, &["tls_expired"])));
        assert!(!c.covers(&finding("config_risk", "a", 443, &["tls_weak_cipher"])));
        assert!(c.covers(&finding("exposed_service", "a", 22, &["x"])));
        assert!(!c.covers(&finding("open_port", "a", 22, &[])));
        assert!(!c.covers(&finding("something_else", "a", 22, &[])));
    }

    #[test]
    fn port_bits() {
        let b = PortBits::of(&[0, 1, 63, 64, 65535]);
        for p in [0, 1, 63, 64, 65535] {
            assert!(b.contains(p));
        }
        for p in [2, 62, 65, 65534] {
            assert!(!b.contains(p));
        }
    }
}
