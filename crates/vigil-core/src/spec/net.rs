//! The `net` engine's contract: what to scan ([`NetTarget`]) and how ([`NetOptions`]), with
//! the closed lists a product may name (scan items, weak-password services, configuration
//! checks) as enums, so a misspelt name fails where the product builds the task.

use serde::{Deserialize, Serialize};

/// The targets of a network scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetTarget {
    /// Addresses, CIDR ranges or host names.
    pub targets: Vec<String>,
}

/// A scan item of the network engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetItem {
    /// Open ports and the services behind them.
    Port,
    /// Weak passwords of login services.
    Weakpass,
    /// Services answering without authentication.
    Exposedserver,
    /// Configuration risks (TLS, SSH, HTTP).
    Configrisk,
}

impl NetItem {
    /// Every item.
    pub const ALL: [NetItem; 4] = [
        NetItem::Port,
        NetItem::Weakpass,
        NetItem::Exposedserver,
        NetItem::Configrisk,
    ];

    /// The item's name, as products and findings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            NetItem::Port => "port",
            NetItem::Weakpass => "weakpass",
            NetItem::Exposedserver => "exposedserver",
            NetItem::Configrisk => "configrisk",
        }
    }

    /// The item called `name`.
    pub fn parse(name: &str) -> Option<NetItem> {
        Self::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

/// A login service the weak-password item tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeakpassService {
    /// SSH password logins.
    Ssh,
    /// FTP.
    Ftp,
    /// MySQL and MariaDB.
    Mysql,
    /// PostgreSQL.
    Postgresql,
    /// Redis AUTH.
    Redis,
    /// MongoDB SCRAM.
    Mongodb,
    /// HTTP Basic authentication.
    Http,
    /// SMTP AUTH.
    Smtp,
    /// Telnet logins.
    Telnet,
    /// VNC authentication.
    Vnc,
}

impl WeakpassService {
    /// Every service.
    pub const ALL: [WeakpassService; 10] = [
        WeakpassService::Ssh,
        WeakpassService::Ftp,
        WeakpassService::Mysql,
        WeakpassService::Postgresql,
        WeakpassService::Redis,
        WeakpassService::Mongodb,
        WeakpassService::Http,
        WeakpassService::Smtp,
        WeakpassService::Telnet,
        WeakpassService::Vnc,
    ];

    /// The service's name, as findings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            WeakpassService::Ssh => "ssh",
            WeakpassService::Ftp => "ftp",
            WeakpassService::Mysql => "mysql",
            WeakpassService::Postgresql => "postgresql",
            WeakpassService::Redis => "redis",
            WeakpassService::Mongodb => "mongodb",
            WeakpassService::Http => "http",
            WeakpassService::Smtp => "smtp",
            WeakpassService::Telnet => "telnet",
            WeakpassService::Vnc => "vnc",
        }
    }
}

/// A configuration check (the `check` of `config_risk` findings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigCheck {
    /// The certificate has expired.
    TlsCertExpired,
    /// The certificate is not valid yet.
    TlsCertNotYetValid,
    /// The certificate is self-signed.
    TlsCertSelfSigned,
    /// The certificate does not name the host.
    TlsCertNameMismatch,
    /// The certificate's key is weak.
    TlsWeakKey,
    /// The certificate is signed with SHA-1.
    TlsSha1Signature,
    /// TLS 1.0 or 1.1 is accepted.
    TlsLegacyProtocol,
    /// A weak cipher suite is accepted.
    TlsWeakCipher,
    /// SSH accepts password logins.
    SshPasswordAuth,
    /// SSH offers weak algorithms.
    SshWeakAlgorithms,
    /// SSH protocol 1.
    #[serde(rename = "ssh_protocol_1")]
    SshProtocol1,
    /// HTTP TRACE is enabled.
    HttpTraceEnabled,
    /// A directory listing is served.
    HttpDirectoryListing,
    /// A server's default page is served.
    HttpDefaultPage,
}

impl ConfigCheck {
    /// Every check.
    pub const ALL: [ConfigCheck; 14] = [
        ConfigCheck::TlsCertExpired,
        ConfigCheck::TlsCertNotYetValid,
        ConfigCheck::TlsCertSelfSigned,
        ConfigCheck::TlsCertNameMismatch,
        ConfigCheck::TlsWeakKey,
        ConfigCheck::TlsSha1Signature,
        ConfigCheck::TlsLegacyProtocol,
        ConfigCheck::TlsWeakCipher,
        ConfigCheck::SshPasswordAuth,
        ConfigCheck::SshWeakAlgorithms,
        ConfigCheck::SshProtocol1,
        ConfigCheck::HttpTraceEnabled,
        ConfigCheck::HttpDirectoryListing,
        ConfigCheck::HttpDefaultPage,
    ];

    /// The check's id, as findings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigCheck::TlsCertExpired => "tls_cert_expired",
            ConfigCheck::TlsCertNotYetValid => "tls_cert_not_yet_valid",
            ConfigCheck::TlsCertSelfSigned => "tls_cert_self_signed",
            ConfigCheck::TlsCertNameMismatch => "tls_cert_name_mismatch",
            ConfigCheck::TlsWeakKey => "tls_weak_key",
            ConfigCheck::TlsSha1Signature => "tls_sha1_signature",
            ConfigCheck::TlsLegacyProtocol => "tls_legacy_protocol",
            ConfigCheck::TlsWeakCipher => "tls_weak_cipher",
            ConfigCheck::SshPasswordAuth => "ssh_password_auth",
            ConfigCheck::SshWeakAlgorithms => "ssh_weak_algorithms",
            ConfigCheck::SshProtocol1 => "ssh_protocol_1",
            ConfigCheck::HttpTraceEnabled => "http_trace_enabled",
            ConfigCheck::HttpDirectoryListing => "http_directory_listing",
            ConfigCheck::HttpDefaultPage => "http_default_page",
        }
    }

    /// The check with id `id`.
    pub fn parse(id: &str) -> Option<ConfigCheck> {
        Self::ALL.into_iter().find(|c| c.as_str() == id)
    }
}

/// Weak-password settings (CSIP's `TaskAdvanceCFG.WeakPwdRisk` maps onto these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeakPassOptions {
    /// Extra user names, tried before the built-in ones.
    #[serde(default)]
    pub users: Vec<String>,
    /// Extra passwords, tried before the built-in ones.
    #[serde(default)]
    pub passwords: Vec<String>,
    /// Most login attempts per service.
    #[serde(default = "default_budget")]
    pub max_attempts: usize,
    /// Pause between attempts on one service, in milliseconds.
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
}

fn default_budget() -> usize {
    400
}
fn default_delay() -> u64 {
    20
}

impl Default for WeakPassOptions {
    fn default() -> Self {
        WeakPassOptions {
            users: vec![],
            passwords: vec![],
            max_attempts: default_budget(),
            delay_ms: default_delay(),
        }
    }
}

/// Options of a network scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetOptions {
    /// Port specification (`top100`, `top1000`, `all`, `22,80,8000-8100`).
    #[serde(default = "default_ports")]
    pub ports: String,
    /// Probe hosts before scanning them (skipped for loopback).
    #[serde(default = "yes")]
    pub discovery: bool,
    /// Identify services on open ports.
    #[serde(default = "yes")]
    pub service_detection: bool,
    /// Scan items.
    #[serde(default = "default_items")]
    pub items: Vec<NetItem>,
    /// Weak-password settings (extra users and passwords, budget, pause).
    #[serde(default)]
    pub weak_password: WeakPassOptions,
    /// Connection attempts in flight per host (default from the open-file limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    /// Weak-password services not to try.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_services: Vec<WeakpassService>,
    /// Configuration checks not to report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_checks: Vec<ConfigCheck>,
    /// Targets a tenant proved to own but the operator's scope does not name: they must not
    /// resolve to internal addresses (loopback, private, link-local), so a verified name
    /// cannot be pointed at the scanner's own network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_only: Vec<String>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            ports: default_ports(),
            discovery: true,
            service_detection: true,
            items: default_items(),
            weak_password: WeakPassOptions::default(),
            max_in_flight: None,
            skip_services: vec![],
            skip_checks: vec![],
            public_only: vec![],
        }
    }
}

fn default_ports() -> String {
    "top1000".into()
}
fn default_items() -> Vec<NetItem> {
    vec![NetItem::Port]
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for i in NetItem::ALL {
            assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
            assert_eq!(NetItem::parse(i.as_str()), Some(i));
        }
        for s in WeakpassService::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for c in ConfigCheck::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn a_misspelt_name_is_refused() {
        let e = serde_json::from_value::<NetOptions>(serde_json::json!({"items": ["prot"]}))
            .unwrap_err();
        assert!(e.to_string().contains("unknown variant `prot`"), "{e}");
        assert!(serde_json::from_value::<NetOptions>(
            serde_json::json!({"skip_checks": ["tls_cert_expird"]})
        )
        .is_err());
    }
}
