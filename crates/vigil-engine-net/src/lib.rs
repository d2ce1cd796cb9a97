//! Vigil's network engine (`net`): expands targets (addresses, CIDR ranges, host names through
//! the scope guard), finds live hosts with TCP probes on common ports, scans TCP ports with an
//! adaptive connect scanner, and identifies services and versions with its own probes. Every
//! open port is one `open_port` finding whose evidence carries the service; the services also
//! go to the sink as components. Optional scan items add unauthenticated services
//! ([`exposed`]), weak passwords ([`weakpass`]: Redis, HTTP Basic, PostgreSQL ([`pgauth`]),
//! FTP, SSH ([`sshauth`]) and MySQL/MariaDB ([`mysqlauth`])) and configuration risks
//! ([`configrisk`]: TLS, SSH algorithms and password authentication, HTTP).

pub mod bson;
pub mod configrisk;
pub mod coverage;
pub mod exposed;
pub mod mongoauth;
pub mod mysqlauth;
pub mod pgauth;
pub mod ports;
pub mod portscan;
pub mod probes;
pub mod service;
pub mod smtpauth;
pub mod sshauth;
pub mod telnetauth;
pub mod vncauth;
pub mod weakpass;

use async_trait::async_trait;
use coverage::{NetCoverage, PortChecks};
use ipnet::IpNet;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use vigil_core::{Component, Finding, Severity};
use vigil_engine::{Coverage, Decision, Engine, EngineError, ScanCtx};

pub use portscan::{PortResult, PortState, ScanTuning};
pub use service::ServiceInfo;

/// Largest number of addresses one target may expand to.
pub const MAX_HOSTS: usize = 65_536;
/// Ports probed to decide whether a host is up.
const DISCOVERY_PORTS: &[u16] = &[
    80, 443, 22, 445, 3389, 8080, 21, 25, 139, 53, 8443, 3306, 5900, 23,
];

pub use vigil_core::spec::net::{
    ConfigCheck, NetItem, NetOptions, NetTarget, WeakPassOptions, WeakpassService,
};

/// One address to scan, with the name it was reached under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Address.
    pub ip: IpAddr,
    /// Name as given, or the address.
    pub name: String,
}

/// Expand targets into hosts through the scope guard. Explicit addresses and names that the
/// scope denies are an error; members of a range that it denies are skipped.
pub async fn expand(ctx: &ScanCtx, targets: &[String]) -> Result<Vec<Host>, EngineError> {
    let mut out: Vec<Host> = Vec::new();
    for t in targets {
        let t = t.trim();
        if let Ok(net) = t.parse::<IpNet>() {
            if net.prefix_len() == net.max_prefix_len() {
                let p = ctx.scope.resolve(&net.addr().to_string(), 0).await?;
                out.push(Host {
                    ip: p.addr.ip(),
                    name: t.to_string(),
                });
                continue;
            }
            let mut n = 0usize;
            for ip in net.hosts() {
                n += 1;
                if out.len() + n > MAX_HOSTS {
                    return Err(EngineError::InvalidInput(format!(
                        "targets expand to more than {MAX_HOSTS} addresses"
                    )));
                }
                if matches!(ctx.scope.check_ip(ip, None), Decision::Allowed { .. }) {
                    out.push(Host {
                        ip,
                        name: ip.to_string(),
                    });
                }
            }
        } else if t.is_empty() {
            return Err(EngineError::InvalidInput("empty target".into()));
        } else {
            let p = ctx.scope.resolve(t, 0).await?;
            out.push(Host {
                ip: p.addr.ip(),
                name: t.trim_start_matches('[').trim_end_matches(']').to_string(),
            });
        }
    }
    out.dedup_by(|a, b| a.ip == b.ip);
    Ok(out)
}

/// Whether a host answers on any common port (open or closed both prove it is there).
pub async fn is_up(ctx: &ScanCtx, ip: IpAddr) -> Result<bool, EngineError> {
    if ip.is_loopback() {
        return Ok(true);
    }
    let tuning = ScanTuning {
        initial_timeout: Duration::from_millis(1500),
        retries: 1,
        ..ScanTuning::default()
    };
    let res = portscan::scan(ctx, ip, DISCOVERY_PORTS, &tuning, |_, _| {}).await?;
    Ok(res.iter().any(|r| r.state != PortState::Filtered))
}

/// The network engine.
#[derive(Debug, Default)]
pub struct NetEngine;

/// Finding for one open port.
pub fn open_port_finding(host: &Host, r: &PortResult, svc: Option<&ServiceInfo>) -> Finding {
    let service = svc.map(|s| s.name.clone()).filter(|n| n != "unknown");
    let label = match svc {
        Some(s) => [
            Some(s.name.as_str()),
            s.product.as_deref(),
            s.version.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
        None => "open".into(),
    };
    Finding {
        kind: "open_port".into(),
        severity: Some(Severity::Info),
        title: format!("{}/tcp open: {label}", r.port),
        host: Some(host.name.clone()),
        port: Some(r.port),
        protocol: Some("tcp".into()),
        service,
        evidence: json!({
            "address": host.ip.to_string(),
            "state": r.state,
            "rtt_ms": r.rtt.map(|d| d.as_secs_f64() * 1000.0),
            "service": svc,
        }),
        ..Default::default()
    }
}

/// Finding for a password that worked.
pub fn weak_password_finding(host: &Host, port: u16, hit: weakpass::Hit) -> Finding {
    let who = if hit.user.is_empty() {
        "the password".to_string()
    } else {
        format!("user `{}`", hit.user)
    };
    Finding {
        kind: "weak_password".into(),
        severity: Some(Severity::High),
        title: format!("{port}/tcp: weak {} password for {who}", hit.service),
        description: Some("A password from a public dictionary logs in. Set a long random password and limit who can connect.".into()),
        host: Some(host.name.clone()),
        port: Some(port),
        protocol: Some("tcp".into()),
        service: Some(hit.service.clone()),
        cwe: vec!["CWE-521".into()],
        evidence: json!({"address": host.ip.to_string(), "service": hit.service, "user": hit.user, "password": hit.masked, "server_answer": hit.proof}),
        identity: vec![hit.service, hit.user],
        ..Default::default()
    }
}

/// Finding for a configuration risk.
pub fn config_risk_finding(
    host: &Host,
    port: u16,
    svc: &ServiceInfo,
    r: configrisk::Risk,
) -> Finding {
    Finding {
        kind: "config_risk".into(),
        severity: Some(r.severity),
        title: format!("{port}/tcp: {}", r.title),
        host: Some(host.name.clone()),
        port: Some(port),
        protocol: Some("tcp".into()),
        service: Some(svc.name.clone()),
        cwe: vec![r.cwe.into()],
        evidence: json!({"address": host.ip.to_string(), "check": r.id, "proof": r.proof}),
        identity: vec![r.id.to_string()],
        ..Default::default()
    }
}

/// Finding for an unauthenticated service.
pub fn exposure_finding(
    host: &Host,
    port: u16,
    svc: &ServiceInfo,
    e: exposed::Exposure,
) -> Finding {
    Finding {
        kind: "exposed_service".into(),
        severity: Some(e.severity),
        title: format!("{port}/tcp: {}", e.title),
        description: Some(format!(
            "{} on {}:{port} can be used by anyone who reaches it. Require authentication or restrict who can connect.",
            e.what, host.name
        )),
        host: Some(host.name.clone()),
        port: Some(port),
        protocol: Some("tcp".into()),
        service: Some(svc.name.clone()),
        cwe: vec!["CWE-306".into()],
        evidence: json!({"address": host.ip.to_string(), "exposed": e.what, "proof": e.proof}),
        identity: vec![e.what.to_string()],
        ..Default::default()
    }
}

#[async_trait]
impl Engine for NetEngine {
    fn kind(&self) -> &'static str {
        "net"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Coverage is exact per host, port and check, so every network run of an account shares
    /// one scope: any run that examined a risk's port and check and did not see it fixes it.
    fn scope_key(&self, _target: &Value) -> Option<String> {
        Some("net".into())
    }

    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        let (target, opts): (NetTarget, NetOptions) = vigil_engine::contract(target, options)?;
        let ports =
            ports::parse(&opts.ports).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let exposures = opts.items.contains(&NetItem::Exposedserver);
        let config_risks = opts.items.contains(&NetItem::Configrisk);
        let weak_passwords = opts.items.contains(&NetItem::Weakpass);
        let hosts = expand(ctx, &target.targets).await?;
        for h in &hosts {
            let trusted = matches!(
                ctx.scope.check_ip(h.ip, Some(&h.name)),
                Decision::Allowed { trusted: true }
            );
            if opts.public_only.contains(&h.name)
                && !trusted
                && vigil_engine::ScopeGuard::is_internal(h.ip)
            {
                return Err(EngineError::Scope(vigil_engine::ScopeError::Denied {
                    target: h.name.clone(),
                    reason: format!(
                        "it now resolves to the internal address {}, outside the operator's scope",
                        h.ip
                    ),
                }));
            }
        }
        let mut tuning = ScanTuning::default();
        if let Some(n) = opts.max_in_flight {
            tuning.max_in_flight = n.max(1);
        }
        let mut coverage = NetCoverage::new(&ports, &opts.skip_checks);
        let total_hosts = hosts.len().max(1);
        for (i, host) in hosts.iter().enumerate() {
            ctx.check_cancelled()?;
            if opts.discovery && !is_up(ctx, host.ip).await? {
                tracing::debug!(host = %host.name, "host down");
                continue;
            }
            let results = portscan::scan(ctx, host.ip, &ports, &tuning, |done, total| {
                let frac =
                    (i as f64 + 0.8 * done as f64 / total.max(1) as f64) / total_hosts as f64;
                ctx.sink.progress((frac * 100.0) as u8);
            })
            .await?;
            coverage.host_scanned(&host.name);
            let open: Vec<&PortResult> = results
                .iter()
                .filter(|r| r.state == PortState::Open)
                .collect();
            let detect_timeout = Duration::from_secs(3);
            let services: Vec<Option<ServiceInfo>> =
                if opts.service_detection || exposures || config_risks || weak_passwords {
                    futures::future::join_all(open.iter().map(|r| {
                        let addr = SocketAddr::new(host.ip, r.port);
                        let name = host.name.clone();
                        async move { Some(service::detect(addr, &name, detect_timeout).await) }
                    }))
                    .await
                } else {
                    vec![None; open.len()]
                };
            for (r, svc) in open.iter().zip(services.iter()) {
                ctx.check_cancelled()?;
                ctx.sink
                    .finding(open_port_finding(host, r, svc.as_ref()))
                    .await?;
                let skipped = |s: &&ServiceInfo| {
                    let family = if s.name == "https" {
                        "http"
                    } else {
                        s.name.as_str()
                    };
                    !opts.skip_services.iter().any(|k| k.as_str() == family)
                };
                let mut checks = PortChecks::default();
                if let (true, Some(s)) = (weak_passwords, svc.as_ref().filter(skipped)) {
                    let addr = SocketAddr::new(host.ip, r.port);
                    let outcome = weakpass::check(
                        ctx,
                        addr,
                        &host.name,
                        s,
                        &opts.weak_password,
                        detect_timeout,
                    )
                    .await?;
                    checks.weak_passwords = outcome.complete;
                    for hit in outcome.hits {
                        ctx.sink
                            .finding(weak_password_finding(host, r.port, hit))
                            .await?;
                    }
                }
                if let (true, Some(s)) = (config_risks, svc.as_ref()) {
                    let addr = SocketAddr::new(host.ip, r.port);
                    let risks = configrisk::check(addr, &host.name, s, detect_timeout).await;
                    checks.config_risks = true;
                    for risk in risks
                        .into_iter()
                        .filter(|r| !opts.skip_checks.iter().any(|c| c.as_str() == r.id))
                    {
                        ctx.sink
                            .finding(config_risk_finding(host, r.port, s, risk))
                            .await?;
                    }
                }
                if let (true, Some(s)) = (exposures, svc.as_ref()) {
                    let addr = SocketAddr::new(host.ip, r.port);
                    checks.exposures = true;
                    for e in exposed::check(addr, &host.name, s, detect_timeout).await {
                        ctx.sink
                            .finding(exposure_finding(host, r.port, s, e))
                            .await?;
                    }
                }
                coverage.port_checked(&host.name, r.port, checks);
                if let Some(s) = svc.as_ref().filter(|s| s.name != "unknown") {
                    ctx.sink
                        .component(Component {
                            name: s.product.clone().unwrap_or_else(|| s.name.clone()),
                            version: s.version.clone(),
                            kind: "service".into(),
                            purl: None,
                            path: Some(format!("{}:{}/tcp", host.name, r.port)),
                            detail: None,
                        })
                        .await?;
                }
            }
            ctx.sink
                .progress((((i + 1) as f64 / total_hosts as f64) * 100.0) as u8);
        }
        Ok(Box::new(coverage))
    }
}
