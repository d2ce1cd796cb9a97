//! Configuration risks, each proven by what the service itself presented: TLS certificates
//! (expired, not yet valid, self-signed, wrong host name, weak key, SHA-1 signature) and
//! protocol versions and cipher suites (TLS 1.0/1.1, weak suites, offered with hand-built
//! ClientHellos since no modern library will speak them), SSH (protocol 1, weak key exchange,
//! ciphers and MACs from the server's KEXINIT, password authentication offered, read from the
//! answer to an authentication request with method `none`), and HTTP (TRACE, directory
//! listings, default install pages).

use crate::service::{connect, http_get, read_some, tls_connector, ServiceInfo};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_core::Severity;

/// One configuration risk with its proof.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    /// Stable identifier (`tls_expired`, `ssh_weak_algorithms`, ...).
    pub id: &'static str,
    /// How bad.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// CWE.
    pub cwe: &'static str,
    /// What the service presented.
    pub proof: Value,
}

fn risk(
    id: &'static str,
    severity: Severity,
    cwe: &'static str,
    title: impl Into<String>,
    proof: Value,
) -> Risk {
    Risk {
        id,
        severity,
        title: title.into(),
        cwe,
        proof,
    }
}

// ---------------------------------------------------------------- certificates

/// Facts read from a leaf certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFacts {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Validity start, Unix seconds.
    pub not_before: i64,
    /// Validity end, Unix seconds.
    pub not_after: i64,
    /// DNS names and addresses the certificate is for (SAN, else CN).
    pub names: Vec<String>,
    /// Public key algorithm and size in bits.
    pub key: (String, usize),
    /// Signature algorithm OID.
    pub signature_oid: String,
    /// Whether it is signed by its own key.
    pub self_signed: bool,
}

/// Parse a DER certificate.
pub fn cert_facts(der: &[u8]) -> Option<CertFacts> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push(d.to_ascii_lowercase()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => names.push(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                    16 => names.push(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|c| c.as_str().ok())
                .map(str::to_ascii_lowercase),
        );
    }
    let key = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(r)) => ("RSA".to_string(), r.key_size()),
        Ok(x509_parser::public_key::PublicKey::EC(e)) => ("EC".to_string(), e.key_size()),
        _ => (cert.public_key().algorithm.algorithm.to_id_string(), 0),
    };
    let self_signed = cert.subject() == cert.issuer() && cert.verify_signature(None).is_ok();
    Some(CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        names,
        key,
        signature_oid: cert.signature_algorithm.algorithm.to_id_string(),
        self_signed,
    })
}

/// Whether a certificate name covers a host (exact, or one `*.` label).
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

const SHA1_SIGNATURES: &[&str] = &[
    "1.2.840.113549.1.1.5",
    "1.2.840.10045.4.1",
    "1.2.840.10040.4.3",
];

/// Certificate risks for a service reached as `host` at time `now` (Unix seconds).
pub fn cert_risks(f: &CertFacts, host: &str, now: i64) -> Vec<Risk> {
    let proof = json!({"subject": f.subject, "issuer": f.issuer, "not_before": f.not_before, "not_after": f.not_after,
                       "names": f.names, "key": format!("{} {}", f.key.0, f.key.1), "signature": f.signature_oid});
    let mut out = Vec::new();
    if f.not_after < now {
        out.push(risk(
            "tls_cert_expired",
            Severity::Medium,
            "CWE-298",
            format!(
                "TLS certificate expired ({} days ago)",
                (now - f.not_after) / 86_400
            ),
            proof.clone(),
        ));
    }
    if f.not_before > now {
        out.push(risk(
            "tls_cert_not_yet_valid",
            Severity::Medium,
            "CWE-298",
            "TLS certificate is not valid yet",
            proof.clone(),
        ));
    }
    if f.self_signed {
        out.push(risk(
            "tls_cert_self_signed",
            Severity::Medium,
            "CWE-295",
            "TLS certificate is self-signed",
            proof.clone(),
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if !f.names.iter().any(|n| name_matches(n, bare)) {
        out.push(risk(
            "tls_cert_name_mismatch",
            Severity::Medium,
            "CWE-297",
            format!("TLS certificate is not for {bare}"),
            proof.clone(),
        ));
    }
    let weak_key = match f.key.0.as_str() {
        "RSA" => f.key.1 < 2048,
        "EC" => f.key.1 < 256,
        _ => false,
    };
    if weak_key && f.key.1 > 0 {
        out.push(risk(
            "tls_weak_key",
            Severity::High,
            "CWE-326",
            format!("TLS certificate key is weak ({} {} bits)", f.key.0, f.key.1),
            proof.clone(),
        ));
    }
    if SHA1_SIGNATURES.contains(&f.signature_oid.as_str()) {
        out.push(risk(
            "tls_sha1_signature",
            Severity::Medium,
            "CWE-328",
            "TLS certificate is signed with SHA-1",
            proof,
        ));
    }
    out
}

async fn peer_certificate(addr: SocketAddr, host: &str, t: Duration) -> Option<Vec<u8>> {
    let s = connect(addr, t).await?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| rustls::pki_types::ServerName::IpAddress(addr.ip().into()));
    let tls = tokio::time::timeout(t, tls_connector()?.connect(name, s))
        .await
        .ok()?
        .ok()?;
    let certs = tls.get_ref().1.peer_certificates()?;
    certs.first().map(|c| c.as_ref().to_vec())
}

// ---------------------------------------------------------------- protocol versions

/// Suites offered when probing old protocol versions (common CBC suites).
const LEGACY_SUITES: &[u16] = &[
    0xc014, 0xc013, 0x0035, 0x002f, 0xc00a, 0xc009, 0x0039, 0x0033, 0x000a,
];
/// Weak suites: NULL, EXPORT, RC4, DES and 3DES.
const WEAK_SUITES: &[(u16, &str)] = &[
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
];

/// A ClientHello record for `version` (0x0301 TLS 1.0 .. 0x0303 TLS 1.2) offering `suites`.
pub fn client_hello(version: u16, suites: &[u16], sni: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend((0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.push(0); // no session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression
    let mut ext = Vec::new();
    if let Some(name) = sni.filter(|n| n.parse::<IpAddr>().is_err()) {
        let n = name.as_bytes();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((n.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((n.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(n.len() as u16).to_be_bytes());
        ext.extend_from_slice(n);
    }
    // supported_groups (x25519, secp256r1, secp384r1) and ec_point_formats (uncompressed).
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    if version >= 0x0303 {
        // signature_algorithms for TLS 1.2.
        ext.extend_from_slice(&[
            0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08, 0x04, 0x01, 0x04, 0x03, 0x02, 0x01, 0x05, 0x01,
        ]);
    }
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![1u8];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// The (version, suite) a ServerHello record chose, if the answer is one.
pub fn server_hello(raw: &[u8]) -> Option<(u16, u16)> {
    if raw.len() < 11 || raw[0] != 0x16 || raw[5] != 2 {
        return None;
    }
    let version = u16::from_be_bytes([raw[9], raw[10]]);
    let sid_len = *raw.get(43)? as usize;
    let at = 44 + sid_len;
    let suite = u16::from_be_bytes([*raw.get(at)?, *raw.get(at + 1)?]);
    Some((version, suite))
}

async fn hello(
    addr: SocketAddr,
    host: &str,
    version: u16,
    suites: &[u16],
    t: Duration,
) -> Option<(u16, u16)> {
    let mut s = connect(addr, t).await?;
    s.write_all(&client_hello(version, suites, Some(host)))
        .await
        .ok()?;
    let raw = read_some(&mut s, t).await;
    server_hello(&raw)
}

async fn tls_risks(addr: SocketAddr, host: &str, t: Duration) -> Vec<Risk> {
    let mut out = Vec::new();
    if let Some(f) = peer_certificate(addr, host, t)
        .await
        .as_deref()
        .and_then(cert_facts)
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        out.extend(cert_risks(&f, host, now));
    }
    for (v, name) in [(0x0301u16, "TLS 1.0"), (0x0302, "TLS 1.1")] {
        if let Some((got, suite)) = hello(addr, host, v, LEGACY_SUITES, t).await {
            if got == v {
                out.push(risk("tls_legacy_protocol", Severity::Medium, "CWE-327", format!("{name} is enabled"),
                              json!({"offered": name, "server_hello_version": format!("0x{got:04x}"), "suite": format!("0x{suite:04x}")})));
            }
        }
    }
    let weak: Vec<u16> = WEAK_SUITES.iter().map(|(c, _)| *c).collect();
    if let Some((got, suite)) = hello(addr, host, 0x0303, &weak, t).await {
        if let Some((_, name)) = WEAK_SUITES.iter().find(|(c, _)| *c == suite) {
            out.push(risk("tls_weak_cipher", Severity::Medium, "CWE-327", format!("Weak TLS cipher suite accepted: {name}"),
                          json!({"offered": "NULL, EXPORT, RC4, DES and 3DES suites only", "server_hello_version": format!("0x{got:04x}"), "chosen": name})));
        }
    }
    out
}

// ---------------------------------------------------------------- SSH

/// Name lists of an SSH KEXINIT payload: kex, host key, ciphers c2s, s2c, MACs c2s, s2c.
pub fn kexinit_lists(payload: &[u8]) -> Option<Vec<Vec<String>>> {
    if payload.first() != Some(&20) || payload.len() < 17 {
        return None;
    }
    let mut at = 17;
    let mut lists = Vec::new();
    for _ in 0..6 {
        let len = u32::from_be_bytes(payload.get(at..at + 4)?.try_into().ok()?) as usize;
        let text = std::str::from_utf8(payload.get(at + 4..at + 4 + len)?).ok()?;
        lists.push(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        );
        at += 4 + len;
    }
    Some(lists)
}

const WEAK_SSH: &[&str] = &[
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group-exchange-sha1",
    "gss-group1-sha1-",
    "3des-cbc",
    "blowfish-cbc",
    "cast128-cbc",
    "arcfour",
    "arcfour128",
    "arcfour256",
    "des-cbc",
    "rijndael-cbc@lysator.liu.se",
    "hmac-md5",
    "hmac-md5-96",
    "hmac-sha1-96",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "umac-32@openssh.com",
    "ssh-dss",
];

/// Weak algorithms among KEXINIT lists.
pub fn weak_ssh_algorithms(lists: &[Vec<String>]) -> Vec<String> {
    let mut weak: Vec<String> = lists
        .iter()
        .flatten()
        .filter(|a| {
            WEAK_SSH
                .iter()
                .any(|w| a.starts_with(w) && (a.len() == w.len() || w.ends_with('-')))
        })
        .cloned()
        .collect();
    weak.sort();
    weak.dedup();
    weak
}

async fn ssh_risks(addr: SocketAddr, t: Duration) -> Vec<Risk> {
    let mut out = Vec::new();
    let Some(mut s) = connect(addr, t).await else {
        return out;
    };
    let banner = read_some(&mut s, t).await;
    let line = String::from_utf8_lossy(&banner)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if line.starts_with("SSH-1.") {
        out.push(risk(
            "ssh_protocol_1",
            Severity::High,
            "CWE-327",
            "SSH protocol 1 is enabled",
            json!({"banner": line}),
        ));
        return out;
    }
    if s.write_all(b"SSH-2.0-Vigil_scanner\r\n").await.is_err() {
        return out;
    }
    // The server's KEXINIT may have arrived with the banner; read until one whole packet.
    let mut buf = banner
        .splitn(2, |b| *b == b'\n')
        .nth(1)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let deadline = tokio::time::Instant::now() + t;
    let mut chunk = [0u8; 4096];
    let packet = loop {
        if buf.len() >= 5 {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if len > 35_000 {
                return out;
            }
            if buf.len() >= 4 + len {
                let pad = buf[4] as usize;
                let end = (4 + len).saturating_sub(pad.min(len.saturating_sub(1)));
                break buf.get(5..end).map(<[u8]>::to_vec);
            }
        }
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break None,
        }
    };
    if let Some(lists) = packet.as_deref().and_then(kexinit_lists) {
        let weak = weak_ssh_algorithms(&lists);
        if !weak.is_empty() {
            out.push(risk("ssh_weak_algorithms", Severity::Medium, "CWE-327", format!("SSH server offers weak algorithms: {}", weak.join(", ")),
                          json!({"banner": line, "weak": weak, "kex": lists[0], "ciphers": lists[2], "macs": lists[4]})));
        }
    }
    out
}

/// User named in the `none` request that asks an SSH server for its methods.
const SSH_PROBE_USER: &str = "root";

/// The risk of an SSH server that offers `methods` (from a `none` request) for a user.
pub fn ssh_method_risks(methods: &[String]) -> Vec<Risk> {
    if !methods.iter().any(|m| m == "password") {
        return Vec::new();
    }
    vec![risk(
        "ssh_password_auth",
        Severity::Low,
        "CWE-309",
        "SSH server accepts password authentication (open to password guessing)",
        json!({"request": format!("SSH_MSG_USERAUTH_REQUEST user `{SSH_PROBE_USER}` method `none`"), "methods_offered": methods}),
    )]
}

async fn ssh_auth_risks(addr: SocketAddr, t: Duration) -> Vec<Risk> {
    match crate::sshauth::offered_methods(addr, SSH_PROBE_USER, t).await {
        Some(methods) => ssh_method_risks(&methods),
        None => Vec::new(),
    }
}

// ---------------------------------------------------------------- HTTP

const DEFAULT_PAGES: &[(&str, &str)] = &[
    ("Welcome to nginx!", "nginx"),
    ("Apache2 Debian Default Page", "Apache (Debian)"),
    ("Apache2 Ubuntu Default Page", "Apache (Ubuntu)"),
    ("Test Page for the Apache HTTP Server", "Apache"),
    ("IIS Windows Server", "IIS"),
    ("Welcome to CentOS", "CentOS"),
    ("It works!", "Apache"),
];

/// HTTP risks from the answers to `GET /` and to a `TRACE` carrying `marker`.
pub fn http_page_risks(root: &[u8], trace: &[u8], marker: &str) -> Vec<Risk> {
    let mut out = Vec::new();
    let page = String::from_utf8_lossy(root);
    let status_ok = page.starts_with("HTTP/1.1 200") || page.starts_with("HTTP/1.0 200");
    if status_ok
        && (page.contains("<title>Index of /")
            || page.contains("<h1>Index of /")
            || page.contains("Directory listing for /"))
    {
        out.push(risk(
            "http_directory_listing",
            Severity::Medium,
            "CWE-548",
            "Directory listing is enabled",
            json!({"request": "GET /", "response": head(&page)}),
        ));
    }
    if let Some((needle, product)) = DEFAULT_PAGES
        .iter()
        .find(|(n, _)| status_ok && page.contains(n))
    {
        out.push(risk(
            "http_default_page",
            Severity::Low,
            "CWE-1188",
            format!("Default {product} install page is served"),
            json!({"request": "GET /", "match": needle, "response": head(&page)}),
        ));
    }
    let t = String::from_utf8_lossy(trace);
    if (t.starts_with("HTTP/1.1 200") || t.starts_with("HTTP/1.0 200")) && t.contains(marker) {
        out.push(risk("http_trace_enabled", Severity::Low, "CWE-693", "HTTP TRACE is enabled (echoes requests, Cross-Site Tracing)", json!({"request": format!("TRACE / with X-Vigil-Trace: {marker}"), "response": head(&t)})));
    }
    out
}

fn head(s: &str) -> String {
    s.chars().take(500).collect()
}

async fn http_risks(addr: SocketAddr, host: &str, tls: bool, t: Duration) -> Vec<Risk> {
    let root = http_get(addr, host, "/", tls, t).await;
    let marker = format!(
        "vigil-{:x}",
        u64::from(addr.port()).wrapping_mul(2_654_435_761) ^ u64::from(std::process::id())
    );
    let trace = if tls {
        Vec::new()
    } else {
        let req = format!("TRACE / HTTP/1.0\r\nHost: {host}\r\nX-Vigil-Trace: {marker}\r\n\r\n");
        match connect(addr, t).await {
            Some(mut s) => match s.write_all(req.as_bytes()).await {
                Ok(()) => crate::service::read_all(&mut s, t).await,
                Err(_) => Vec::new(),
            },
            None => Vec::new(),
        }
    };
    http_page_risks(&root, &trace, &marker)
}

/// Check one open port whose service was identified.
pub async fn check(addr: SocketAddr, host: &str, svc: &ServiceInfo, t: Duration) -> Vec<Risk> {
    let mut out = Vec::new();
    if svc.tls {
        out.extend(tls_risks(addr, host, t).await);
    }
    match svc.name.as_str() {
        "ssh" => {
            let algorithms = ssh_risks(addr, t).await;
            let protocol_1 = algorithms.iter().any(|r| r.id == "ssh_protocol_1");
            out.extend(algorithms);
            if !protocol_1 {
                out.extend(ssh_auth_risks(addr, t).await);
            }
        }
        "http" | "https" => out.extend(http_risks(addr, host, svc.tls, t).await),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CertFacts {
        CertFacts {
            subject: "CN=www.example.test".into(),
            issuer: "CN=Example CA".into(),
            not_before: 1_000,
            not_after: 2_000_000_000,
            names: vec!["www.example.test".into(), "*.api.example.test".into()],
            key: ("RSA".into(), 2048),
            signature_oid: "1.2.840.113549.1.1.11".into(),
            self_signed: false,
        }
    }

    #[test]
    fn certificate_rules_and_safe_twin() {
        assert!(
            cert_risks(&facts(), "www.example.test", 1_800_000_000).is_empty(),
            "a good certificate has no risk"
        );
        assert!(cert_risks(&facts(), "v1.api.example.test", 1_800_000_000).is_empty());
        let ids = |f: &CertFacts, host: &str, now: i64| {
            cert_risks(f, host, now)
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&facts(), "www.example.test", 2_100_000_000),
            vec!["tls_cert_expired"]
        );
        assert_eq!(
            ids(&facts(), "www.example.test", 10),
            vec!["tls_cert_not_yet_valid"]
        );
        assert_eq!(
            ids(&facts(), "a.b.api.example.test", 1_800_000_000),
            vec!["tls_cert_name_mismatch"]
        );
        let mut f = facts();
        f.key = ("RSA".into(), 1024);
        f.signature_oid = "1.2.840.113549.1.1.5".into();
        f.self_signed = true;
        assert_eq!(
            ids(&f, "www.example.test", 1_800_000_000),
            vec!["tls_cert_self_signed", "tls_weak_key", "tls_sha1_signature"]
        );
    }

    #[test]
    fn hello_round_trip_shapes() {
        let h = client_hello(0x0301, &[0x002f, 0x0035], Some("example.test"));
        assert_eq!(&h[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(u16::from_be_bytes([h[3], h[4]]) as usize, h.len() - 5);
        assert_eq!(h[5], 1);
        assert_eq!(&h[9..11], &[0x03, 0x01]);
        // A ServerHello: record, handshake type 2, version, random, empty session id, suite.
        let mut sh = vec![
            0x16, 0x03, 0x01, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03, 0x01,
        ];
        sh.extend([0u8; 32]);
        sh.extend([0x00, 0x00, 0x2f, 0x00]);
        assert_eq!(server_hello(&sh), Some((0x0301, 0x002f)));
        assert!(
            server_hello(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]).is_none(),
            "an alert is not a hello"
        );
    }

    #[test]
    fn ssh_lists_and_weak_algorithms() {
        let mut p = vec![20u8];
        p.extend([7u8; 16]);
        for list in [
            "curve25519-sha256,diffie-hellman-group1-sha1",
            "ssh-ed25519",
            "aes128-ctr,3des-cbc",
            "aes128-ctr",
            "hmac-sha2-256,hmac-md5",
            "hmac-sha2-256",
        ] {
            p.extend((list.len() as u32).to_be_bytes());
            p.extend(list.as_bytes());
        }
        let lists = kexinit_lists(&p).unwrap();
        assert_eq!(
            weak_ssh_algorithms(&lists),
            vec!["3des-cbc", "diffie-hellman-group1-sha1", "hmac-md5"]
        );
        let modern = vec![
            vec!["curve25519-sha256".to_string()],
            vec![
                "aes256-gcm@openssh.com".into(),
                "hmac-sha2-512-etm@openssh.com".into(),
            ],
        ];
        assert!(weak_ssh_algorithms(&modern).is_empty());
        assert!(kexinit_lists(&[20, 1, 2]).is_none());
    }

    #[test]
    fn ssh_methods() {
        let ids = |m: &[&str]| {
            ssh_method_risks(&m.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&["publickey", "password"]), vec!["ssh_password_auth"]);
        assert!(ids(&["publickey"]).is_empty());
        assert!(ids(&["publickey", "keyboard-interactive"]).is_empty());
    }

    #[test]
    fn http_pages_and_safe_twins() {
        let listing = b"HTTP/1.1 200 OK\r\n\r\n<html><head><title>Index of /</title></head>";
        let default = b"HTTP/1.1 200 OK\r\n\r\n<title>Welcome to nginx!</title>";
        let custom =
            b"HTTP/1.1 200 OK\r\n\r\n<title>Shop</title>Index of /products is our catalogue";
        let echo = b"HTTP/1.1 200 OK\r\n\r\nTRACE / HTTP/1.0\r\nX-Vigil-Trace: m-1\r\n";
        let refused = b"HTTP/1.1 405 Not Allowed\r\n\r\nX-Vigil-Trace: m-1";
        let ids = |r: Vec<Risk>| r.iter().map(|x| x.id).collect::<Vec<_>>();
        assert_eq!(
            ids(http_page_risks(listing, b"", "m-1")),
            vec!["http_directory_listing"]
        );
        assert_eq!(
            ids(http_page_risks(default, b"", "m-1")),
            vec!["http_default_page"]
        );
        assert_eq!(
            ids(http_page_risks(custom, echo, "m-1")),
            vec!["http_trace_enabled"]
        );
        assert!(http_page_risks(custom, refused, "m-1").is_empty());
    }

    #[test]
    fn wildcard_names() {
        assert!(name_matches("*.example.test", "a.example.test"));
        assert!(!name_matches("*.example.test", "example.test"));
        assert!(!name_matches("*.example.test", "a.b.example.test"));
        assert!(name_matches("127.0.0.1", "127.0.0.1"));
    }
}
