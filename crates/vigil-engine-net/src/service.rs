//! Service and version detection with Vigil's own probes and rules: read what the server says
//! first (SSH, FTP, SMTP, POP3, IMAP, MySQL/MariaDB, VNC, rsync, telnet), else ask in the
//! protocols most likely for the port (Redis, memcached, PostgreSQL, HTTP, TLS then HTTP,
//! MQTT, DNS, and the binary protocols of [`crate::probes`]: MongoDB, RDP, SMB, LDAP, AMQP).
//! This module owns the conversations; the byte-level requests and matchers of the binary
//! protocols live in [`crate::probes`].

use crate::probes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What answers on a port.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ServiceInfo {
    /// Protocol name (`ssh`, `http`, `redis`, ...), `unknown` when nothing matched.
    pub name: String,
    /// Product (`OpenSSH`, `nginx`, ...), when revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Version, when revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Whether the service speaks TLS.
    pub tls: bool,
    /// First line the service sent or answered, printable, at most 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
}

impl ServiceInfo {
    /// A service of protocol `name`, nothing else known.
    pub(crate) fn new(name: &str) -> Self {
        ServiceInfo {
            name: name.into(),
            ..Default::default()
        }
    }
    /// The service with its product and version (empty strings count as unknown).
    pub(crate) fn with(mut self, product: Option<&str>, version: Option<&str>) -> Self {
        self.product = product.filter(|s| !s.is_empty()).map(str::to_string);
        self.version = version.filter(|s| !s.is_empty()).map(str::to_string);
        self
    }
}

/// Printable form of raw bytes: the first line, control bytes escaped, bounded.
pub fn printable(raw: &[u8]) -> String {
    let mut s = String::new();
    for &b in raw.iter().take(400) {
        match b {
            b'\r' | b'\n' if !s.is_empty() => break,
            b'\r' | b'\n' => {}
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
        if s.len() >= 200 {
            break;
        }
    }
    s
}

/// Match a banner the server sent unprompted.
pub fn match_banner(raw: &[u8]) -> Option<ServiceInfo> {
    let text = String::from_utf8_lossy(raw);
    let first = text.lines().next().unwrap_or("").trim();
    let banner = Some(printable(raw));
    let mut info = if let Some(rest) = first.strip_prefix("SSH-") {
        // SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
        let software = rest.split_once('-').map(|(_, s)| s).unwrap_or("");
        let sw = software.split_whitespace().next().unwrap_or("");
        let (product, version) = sw.split_once('_').unwrap_or((sw, ""));
        ServiceInfo::new("ssh").with(Some(product), Some(version))
    } else if first.starts_with("220") && (first.contains("FTP") || first.contains("ftp")) {
        let (p, v) = product_in_parens(first);
        ServiceInfo::new("ftp").with(p.as_deref(), v.as_deref())
    } else if first.starts_with("220") && (first.contains("SMTP") || first.contains("ESMTP")) {
        let product = ["Postfix", "Exim", "Sendmail", "OpenSMTPD", "Microsoft"]
            .into_iter()
            .find(|p| first.contains(p));
        ServiceInfo::new("smtp").with(product, None)
    } else if first.starts_with("+OK") {
        let product = ["Dovecot", "Cyrus", "Courier"]
            .into_iter()
            .find(|p| first.contains(p));
        ServiceInfo::new("pop3").with(product, None)
    } else if first.starts_with("* OK") {
        let product = ["Dovecot", "Cyrus", "Courier"]
            .into_iter()
            .find(|p| first.contains(p));
        ServiceInfo::new("imap").with(product, None)
    } else if first.starts_with("RFB ") {
        ServiceInfo::new("vnc").with(None, first.strip_prefix("RFB "))
    } else if let Some(v) = first.strip_prefix("@RSYNCD:") {
        // "@RSYNCD: 32.0 sha512 sha256 ..." : protocol version, then checksum names.
        ServiceInfo::new("rsync").with(None, v.split_whitespace().next())
    } else if let Some(m) = mysql_handshake(raw) {
        m
    } else if raw.first() == Some(&0xff) && raw.len() >= 3 && (0xfb..=0xfe).contains(&raw[1]) {
        ServiceInfo::new("telnet")
    } else if first.starts_with("220") {
        ServiceInfo::new("smtp")
    } else {
        return None;
    };
    info.banner = banner;
    Some(info)
}

/// `220 (vsFTPd 3.0.3)` -> (vsftpd, 3.0.3); `220 ProFTPD 1.3.8 Server` -> (ProFTPD, 1.3.8).
fn product_in_parens(line: &str) -> (Option<String>, Option<String>) {
    let inner = match (line.find('('), line.find(')')) {
        (Some(a), Some(b)) if b > a => &line[a + 1..b],
        _ => line.trim_start_matches("220").trim(),
    };
    let mut words = inner.split_whitespace();
    let product = words.next().map(|p| {
        if p.eq_ignore_ascii_case("vsftpd") {
            "vsftpd".to_string()
        } else {
            p.to_string()
        }
    });
    let version = words
        .next()
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string);
    (product, version)
}

/// MySQL/MariaDB initial handshake: 3-byte length, sequence 0, protocol 10, version string.
fn mysql_handshake(raw: &[u8]) -> Option<ServiceInfo> {
    if raw.len() < 6 || raw[3] != 0 {
        return None;
    }
    let len = raw[0] as usize | (raw[1] as usize) << 8 | (raw[2] as usize) << 16;
    if len + 4 > raw.len() + 1024 || len < 10 {
        return None;
    }
    if raw[4] == 0xff {
        // An error packet ("Host '10.0.0.5' is not allowed to connect to this MariaDB
        // server") is still MySQL speaking; the text names the product.
        let text = printable(&raw[7.min(raw.len())..]);
        let product = ["MariaDB", "MySQL"].into_iter().find(|p| text.contains(p));
        return Some(ServiceInfo {
            banner: Some(text),
            ..ServiceInfo::new("mysql").with(product, None)
        });
    }
    if raw[4] != 10 {
        return None;
    }
    let end = raw[5..].iter().position(|b| *b == 0)? + 5;
    let version = std::str::from_utf8(&raw[5..end]).ok()?;
    if !version.chars().next()?.is_ascii_digit() {
        return None;
    }
    let product = if version.contains("MariaDB") {
        "MariaDB"
    } else {
        "MySQL"
    };
    let v = version.trim_start_matches("5.5.5-");
    let v = v.split(['-', '+']).next().unwrap_or(v);
    Some(ServiceInfo::new("mysql").with(Some(product), Some(v)))
}

/// Parse an HTTP response head.
pub fn match_http(raw: &[u8]) -> Option<ServiceInfo> {
    let text = String::from_utf8_lossy(raw);
    if !text.starts_with("HTTP/1.") && !text.starts_with("HTTP/2") {
        return None;
    }
    let mut info = ServiceInfo::new("http");
    info.banner = Some(printable(raw));
    for line in text.lines().skip(1) {
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("server") {
                let v = v.trim();
                let first = v.split_whitespace().next().unwrap_or(v);
                let (p, ver) = first.split_once('/').unwrap_or((first, ""));
                info = info.with(Some(p), Some(ver));
                info.banner = Some(printable(raw));
            }
        }
    }
    Some(info)
}

/// Parse an answer to a Redis `PING`.
pub fn match_redis(raw: &[u8]) -> Option<ServiceInfo> {
    let t = String::from_utf8_lossy(raw);
    (t.starts_with("+PONG")
        || t.starts_with("-NOAUTH")
        || t.starts_with("-ERR")
        || t.starts_with("-DENIED"))
    .then(|| ServiceInfo {
        banner: Some(printable(raw)),
        ..ServiceInfo::new("redis")
    })
}

/// An MQTT 3.1.1 CONNECT with a clean session and no credentials.
pub fn mqtt_connect() -> Vec<u8> {
    let cid = b"vigil";
    let mut var = vec![
        0x00,
        0x04,
        b'M',
        b'Q',
        b'T',
        b'T',
        0x04,
        0x02,
        0x00,
        0x3c,
        0x00,
        cid.len() as u8,
    ];
    var.extend_from_slice(cid);
    let mut pkt = vec![0x10, var.len() as u8];
    pkt.extend_from_slice(&var);
    pkt
}

/// Return code of an MQTT CONNACK (0 accepted, 4 bad credentials, 5 not authorised).
pub fn mqtt_connack(raw: &[u8]) -> Option<u8> {
    (raw.len() >= 4 && raw[0] == 0x20 && raw[1] == 0x02 && raw[3] <= 5).then(|| raw[3])
}

/// A DNS query over TCP for `version.bind` (CHAOS TXT), which most servers answer.
pub fn dns_version_query() -> Vec<u8> {
    let mut q = vec![0x56, 0x47, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x07version\x04bind\x00");
    q.extend_from_slice(&[0, 16, 0, 3]);
    let mut out = (q.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&q);
    out
}

/// Parse the TCP answer to [`dns_version_query`]: a DNS service, with its version when told.
pub fn match_dns(raw: &[u8]) -> Option<ServiceInfo> {
    let msg = raw.get(2..)?;
    if msg.len() < 12 || msg[0..2] != [0x56, 0x47] || msg[2] & 0x80 == 0 {
        return None;
    }
    let mut info = ServiceInfo::new("dns");
    let ancount = u16::from_be_bytes([msg[6], msg[7]]);
    if ancount > 0 {
        // Skip the question (same name as asked: 14 bytes + type and class).
        let mut at = 12 + 14 + 4;
        // Answer name: a compression pointer or the full name.
        at += if msg.get(at)? & 0xc0 == 0xc0 { 2 } else { 14 };
        at += 10; // type, class, ttl, rdlength
        let len = *msg.get(at)? as usize;
        let text = std::str::from_utf8(msg.get(at + 1..at + 1 + len)?).ok()?;
        let (product, version) = match text.split_once('-') {
            Some((p, v)) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                (Some(p), Some(v))
            }
            _ => (None, Some(text)),
        };
        info = info.with(product, version);
    }
    Some(info)
}

/// Parse an answer to memcached `version`.
pub fn match_memcached(raw: &[u8]) -> Option<ServiceInfo> {
    let t = String::from_utf8_lossy(raw);
    let v = t.strip_prefix("VERSION ")?.trim();
    Some(ServiceInfo {
        banner: Some(printable(raw)),
        ..ServiceInfo::new("memcached").with(Some("memcached"), Some(v))
    })
}

const READ_LIMIT: usize = 8192;

pub(crate) async fn read_some(s: &mut (impl AsyncReadExt + Unpin), wait: Duration) -> Vec<u8> {
    let mut buf = vec![0u8; READ_LIMIT];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => {
            buf.truncate(n);
            buf
        }
        _ => Vec::new(),
    }
}

pub(crate) async fn connect(addr: SocketAddr, t: Duration) -> Option<TcpStream> {
    tokio::time::timeout(t, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()
}

/// Send `req` on a fresh connection and read the answer.
pub(crate) async fn ask(addr: SocketAddr, req: &[u8], t: Duration) -> Vec<u8> {
    let Some(mut s) = connect(addr, t).await else {
        return Vec::new();
    };
    if s.write_all(req).await.is_err() {
        return Vec::new();
    }
    read_some(&mut s, t).await
}

fn http_request(host: &str) -> Vec<u8> {
    http_get_request(host, "/")
}

/// Send `req` on a fresh connection and read until `done` holds for what arrived (or the
/// peer closes, the limit is reached, or the time is up).
pub(crate) async fn ask_until(
    addr: SocketAddr,
    req: &[u8],
    t: Duration,
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + t;
    let Some(mut s) = connect(addr, t).await else {
        return Vec::new();
    };
    exchange(&mut s, req, deadline, done).await
}

/// On an open connection, send `req` and read until `done` holds for what arrived (or the
/// peer closes, `READ_LIMIT` bytes arrived, or `deadline` passes). For conversations of
/// several requests on one connection (MongoDB handshake then `buildInfo`, SMB negotiate then
/// session setup).
pub(crate) async fn exchange(
    s: &mut TcpStream,
    req: &[u8],
    deadline: tokio::time::Instant,
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    match tokio::time::timeout_at(deadline, s.write_all(req)).await {
        Ok(Ok(())) => {}
        _ => return Vec::new(),
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < READ_LIMIT && !done(&out) {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

/// An HTTP/1.0 GET for a path.
pub(crate) fn http_get_request(host: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: Vigil/{}\r\nAccept: */*\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

#[derive(Debug)]
struct AcceptAny;

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS client that completes handshakes with any certificate: detection only, the
/// certificate is judged elsewhere.
pub(crate) fn tls_connector() -> Option<tokio_rustls::TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_no_client_auth();
    Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
}

/// GET `path` over HTTP or HTTPS and return the raw response (bounded).
pub(crate) async fn http_get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    tls: bool,
    t: Duration,
) -> Vec<u8> {
    let req = http_get_request(host, path);
    if !tls {
        let Some(mut s) = connect(addr, t).await else {
            return Vec::new();
        };
        if s.write_all(&req).await.is_err() {
            return Vec::new();
        }
        return read_all(&mut s, t).await;
    }
    let Some(s) = connect(addr, t).await else {
        return Vec::new();
    };
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| rustls::pki_types::ServerName::IpAddress(addr.ip().into()));
    let Some(conn) = tls_connector() else {
        return Vec::new();
    };
    let Ok(Ok(mut tls)) = tokio::time::timeout(t, conn.connect(name, s)).await else {
        return Vec::new();
    };
    if tls.write_all(&req).await.is_err() {
        return Vec::new();
    }
    read_all(&mut tls, t).await
}

/// Read until the peer closes, `READ_LIMIT` bytes, or the time is up.
pub(crate) async fn read_all(s: &mut (impl AsyncReadExt + Unpin), t: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + t;
    let mut buf = [0u8; 4096];
    while out.len() < READ_LIMIT {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    out.truncate(READ_LIMIT);
    out
}

async fn try_tls(addr: SocketAddr, host: &str, t: Duration) -> Option<ServiceInfo> {
    let s = connect(addr, t).await?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| rustls::pki_types::ServerName::IpAddress(addr.ip().into()));
    let mut tls = tokio::time::timeout(t, tls_connector()?.connect(name, s))
        .await
        .ok()?
        .ok()?;
    let mut info = ServiceInfo {
        tls: true,
        ..ServiceInfo::new("tls")
    };
    if tls.write_all(&http_request(host)).await.is_ok() {
        let raw = read_some(&mut tls, t).await;
        if let Some(h) = match_http(&raw) {
            info = ServiceInfo {
                name: "https".into(),
                tls: true,
                ..h
            };
        }
    }
    Some(info)
}

/// Probes to try, most likely first, for a port that stayed silent.
fn probe_order(port: u16) -> Vec<&'static str> {
    let hint: &[&str] = match port {
        6379 | 6380 | 16379 => &["redis"],
        11211 => &["memcached"],
        5432 | 5433 => &["postgresql"],
        443 | 8443 | 9443 | 4443 | 10250 | 6443 | 2376 => &["tls"],
        1883 | 8883 => &["mqtt"],
        53 | 5353 => &["dns"],
        27017..=27019 => &["mongodb"],
        3389 => &["rdp"],
        139 | 445 => &["smb"],
        389 | 3268 => &["ldap"],
        5672 => &["amqp"],
        _ => &[],
    };
    let mut order: Vec<&str> = hint.to_vec();
    for p in [
        "http",
        "tls",
        "redis",
        "memcached",
        "postgresql",
        "mqtt",
        "dns",
        "mongodb",
        "rdp",
        "smb",
        "ldap",
        "amqp",
    ] {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    order
}

/// Identify the service on an open port.
pub async fn detect(addr: SocketAddr, host: &str, t: Duration) -> ServiceInfo {
    // Listen for a banner first: servers that speak first (SSH, FTP, SMTP, MySQL, ...) do so
    // at once, and then no probe is sent at all (a burst of probe connections would also trip
    // limits such as sshd's MaxStartups and make the server drop real logins). After
    // PROBE_DELAY of silence, ask in every likely protocol at the same time, each on its own
    // connection, while still listening: a banner wins; a probe's answer is taken once the
    // banner connection has stayed silent for BANNER_GRACE, so silent services cost one round
    // of probes instead of a full banner timeout.
    let started = tokio::time::Instant::now();
    let banner = async {
        let mut s = connect(addr, t).await?;
        let raw = read_some(&mut s, t).await;
        (!raw.is_empty()).then_some(raw)
    };
    tokio::pin!(banner);
    let from_banner = |raw: Vec<u8>| {
        match_banner(&raw).unwrap_or_else(|| ServiceInfo {
            banner: Some(printable(&raw)),
            ..ServiceInfo::new("unknown")
        })
    };
    let mut banner_done = false;
    match tokio::time::timeout(PROBE_DELAY, &mut banner).await {
        Ok(Some(raw)) => return from_banner(raw),
        Ok(None) => banner_done = true,
        Err(_) => {}
    }
    let probes = probe(addr, host, t);
    tokio::pin!(probes);
    if banner_done {
        return probes.await.unwrap_or_else(|| ServiceInfo::new("unknown"));
    }
    tokio::select! {
        b = &mut banner => match b {
            Some(raw) => from_banner(raw),
            None => probes.await.unwrap_or_else(|| ServiceInfo::new("unknown")),
        },
        p = &mut probes => {
            let grace = tokio::time::sleep_until(started + BANNER_GRACE);
            tokio::select! {
                b = &mut banner => match b {
                    Some(raw) => from_banner(raw),
                    None => p.unwrap_or_else(|| ServiceInfo::new("unknown")),
                },
                _ = grace, if p.is_some() => p.unwrap_or_else(|| ServiceInfo::new("unknown")),
            }
        }
    }
}

/// How long a port may stay silent before Vigil asks in other protocols.
const PROBE_DELAY: Duration = Duration::from_millis(300);

/// How long a port must stay silent before a probe's answer is trusted over a banner.
const BANNER_GRACE: Duration = Duration::from_millis(700);

/// Ask in every likely protocol at once. A TLS answer wins at once (a port that completes
/// a handshake is a TLS service, whatever error page it sends to plain text); otherwise the
/// most likely protocol that answered, once the rest had PROBE_SETTLE to answer too.
async fn probe(addr: SocketAddr, host: &str, t: Duration) -> Option<ServiceInfo> {
    use futures::stream::{FuturesUnordered, StreamExt};
    let mut pending: FuturesUnordered<_> = probe_order(addr.port())
        .into_iter()
        .enumerate()
        .map(|(rank, p)| async move {
            let found = match p {
                "http" => {
                    let raw = ask(addr, &http_request(host), t).await;
                    // MongoDB answers HTTP on its driver port: leave it to the MongoDB probe.
                    match_http(&raw).filter(|_| !probes::is_mongodb_http_notice(&raw))
                }
                "tls" => try_tls(addr, host, t).await,
                "redis" => match_redis(&ask(addr, b"*1\r\n$4\r\nPING\r\n", t).await),
                "memcached" => match_memcached(&ask(addr, b"version\r\n", t).await),
                "mqtt" => mqtt_connack(&ask(addr, &mqtt_connect(), t).await)
                    .map(|_| ServiceInfo::new("mqtt")),
                "dns" => match_dns(&ask(addr, &dns_version_query(), t).await),
                "postgresql" => {
                    let raw = ask(addr, &[0, 0, 0, 8, 4, 210, 22, 47], t).await;
                    (raw.len() == 1 && (raw[0] == b'S' || raw[0] == b'N'))
                        .then(|| ServiceInfo::new("postgresql"))
                }
                "mongodb" => try_mongodb(addr, t).await,
                "rdp" => probes::match_rdp(
                    &ask_until(
                        addr,
                        &probes::rdp_connection_request(),
                        t,
                        probes::rdp_complete,
                    )
                    .await,
                ),
                "smb" => try_smb(addr, t).await,
                "ldap" => probes::match_ldap(
                    &ask_until(
                        addr,
                        &probes::ldap_root_dse_search(),
                        t,
                        probes::ldap_complete,
                    )
                    .await,
                ),
                "amqp" => probes::match_amqp(
                    &ask_until(addr, probes::AMQP_HEADER, t, probes::amqp_complete).await,
                ),
                _ => None,
            };
            (rank, found)
        })
        .collect();
    let mut best: Option<(usize, ServiceInfo)> = None;
    let mut settle: Option<tokio::time::Instant> = None;
    loop {
        let next = match settle {
            Some(at) => match tokio::time::timeout_at(at, pending.next()).await {
                Ok(n) => n,
                Err(_) => break,
            },
            None => pending.next().await,
        };
        let Some((rank, found)) = next else { break };
        let Some(info) = found else { continue };
        if info.tls {
            return Some(info);
        }
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, info));
        }
        settle.get_or_insert_with(|| tokio::time::Instant::now() + PROBE_SETTLE);
    }
    best.map(|(_, info)| info)
}

/// MongoDB: the `isMaster` handshake, then `buildInfo` on the same connection for the
/// version (in the message form the handshake's `maxWireVersion` calls for).
async fn try_mongodb(addr: SocketAddr, t: Duration) -> Option<ServiceInfo> {
    let deadline = tokio::time::Instant::now() + t;
    let mut s = connect(addr, t).await?;
    let hello = exchange(
        &mut s,
        &probes::mongodb_hello(),
        deadline,
        probes::mongo_complete,
    )
    .await;
    let (info, wire) = probes::match_mongodb_hello(&hello)?;
    let build = exchange(
        &mut s,
        &probes::mongodb_build_info(wire),
        deadline,
        probes::mongo_complete,
    )
    .await;
    let version = probes::mongodb_version(&build);
    Some(ServiceInfo { version, ..info })
}

/// SMB: an SMB2 NEGOTIATE (after a NetBIOS session request on port 139) for the dialect,
/// then an anonymous NTLMSSP session setup whose challenge tells Samba from Windows. A server
/// that closes at once on SMB2 gets an SMB1 NEGOTIATE on a new connection (SMB1-only hosts).
async fn try_smb(addr: SocketAddr, t: Duration) -> Option<ServiceInfo> {
    let started = tokio::time::Instant::now();
    let deadline = started + t;
    let mut req = Vec::new();
    if addr.port() == 139 {
        req.extend_from_slice(&probes::netbios_session_request());
    }
    let mut s = connect(addr, t).await?;
    req.extend_from_slice(&probes::smb2_negotiate());
    let raw = exchange(&mut s, &req, deadline, probes::smb_complete).await;
    if let Some(mut info) = probes::match_smb(&raw) {
        // A dialect was negotiated: the session setup can tell Samba from Windows.
        if info.banner.is_some() {
            let raw = exchange(
                &mut s,
                &probes::smb2_session_setup(),
                deadline,
                probes::smb_complete,
            )
            .await;
            if probes::smb_samba_challenge(&raw) {
                info.product = Some("Samba".into());
            }
        }
        return Some(info);
    }
    drop(s);
    // Only a quick refusal (closed, not silent) earns the SMB1 attempt, so that silent
    // services cost one timeout as before.
    if started.elapsed() >= t / 2 {
        return None;
    }
    let mut req = Vec::new();
    if addr.port() == 139 {
        req.extend_from_slice(&probes::netbios_session_request());
    }
    req.extend_from_slice(&probes::smb1_negotiate());
    let mut s = connect(addr, t).await?;
    probes::match_smb(&exchange(&mut s, &req, deadline, probes::smb_complete).await)
}

/// How long other probes may still answer after the first match.
const PROBE_SETTLE: Duration = Duration::from_millis(300);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        let s = match_banner(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").unwrap();
        assert_eq!(
            (s.name.as_str(), s.product.as_deref(), s.version.as_deref()),
            ("ssh", Some("OpenSSH"), Some("9.2p1"))
        );
        let s = match_banner(b"220 (vsFTPd 3.0.3)\r\n").unwrap();
        assert_eq!(
            (s.name.as_str(), s.product.as_deref(), s.version.as_deref()),
            ("ftp", Some("vsftpd"), Some("3.0.3"))
        );
        let s = match_banner(b"220 mail.example.test ESMTP Postfix (Debian/GNU)\r\n").unwrap();
        assert_eq!(
            (s.name.as_str(), s.product.as_deref()),
            ("smtp", Some("Postfix"))
        );
        assert_eq!(
            match_banner(b"+OK Dovecot (Debian) ready.\r\n")
                .unwrap()
                .name,
            "pop3"
        );
        assert_eq!(
            match_banner(b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n")
                .unwrap()
                .name,
            "imap"
        );
        assert_eq!(
            match_banner(b"RFB 003.008\n").unwrap().version.as_deref(),
            Some("003.008")
        );
        let r = match_banner(b"@RSYNCD: 32.0 sha512 sha256 md5\n").unwrap();
        assert_eq!(
            (r.name.as_str(), r.version.as_deref()),
            ("rsync", Some("32.0"))
        );
        assert_eq!(
            match_banner(b"\xff\xfd\x18\xff\xfd\x20").unwrap().name,
            "telnet"
        );
        assert!(match_banner(b"hello world").is_none());
    }

    #[test]
    fn mysql_and_mariadb_handshakes() {
        let mut pkt = vec![0u8, 0, 0, 0, 10];
        pkt.extend_from_slice(b"5.5.5-10.11.6-MariaDB-0+deb12u1\0");
        pkt.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 0]);
        let len = pkt.len() - 4;
        pkt[0] = len as u8;
        let s = match_banner(&pkt).unwrap();
        assert_eq!(
            (s.name.as_str(), s.product.as_deref(), s.version.as_deref()),
            ("mysql", Some("MariaDB"), Some("10.11.6"))
        );
        // A server that refuses the client's host says so in an error packet before any
        // handshake (recorded from MariaDB 10.11).
        let mut err = vec![0u8, 0, 0, 0, 0xff, 0x6a, 0x04];
        err.extend_from_slice(b"Host '10.0.0.5' is not allowed to connect to this MariaDB server");
        err[0] = (err.len() - 4) as u8;
        let s = match_banner(&err).unwrap();
        assert_eq!(
            (s.name.as_str(), s.product.as_deref(), s.version.as_deref()),
            ("mysql", Some("MariaDB"), None)
        );
        assert!(s.banner.unwrap().contains("Host '10.0.0.5' is not allowed"));
        // Truncated or foreign binary data is not MySQL.
        assert!(mysql_handshake(&[1, 0, 0, 0, 10]).is_none());
        assert!(mysql_handshake(&[20, 0, 0, 0, 9, b'5', 0]).is_none());
    }

    #[test]
    fn probe_answers() {
        let h = match_http(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n").unwrap();
        assert_eq!(
            (h.product.as_deref(), h.version.as_deref()),
            (Some("nginx"), Some("1.22.1"))
        );
        assert!(match_http(b"SSH-2.0-x").is_none());
        assert_eq!(
            match_redis(b"-NOAUTH Authentication required.\r\n")
                .unwrap()
                .name,
            "redis"
        );
        assert!(match_redis(b"HTTP/1.1 400").is_none());
        assert_eq!(
            match_memcached(b"VERSION 1.6.18\r\n")
                .unwrap()
                .version
                .as_deref(),
            Some("1.6.18")
        );
    }

    #[test]
    fn mqtt_and_dns_answers() {
        let c = mqtt_connect();
        assert_eq!((c[0], c[1] as usize), (0x10, c.len() - 2));
        assert_eq!(mqtt_connack(b"\x20\x02\x00\x00"), Some(0));
        assert_eq!(mqtt_connack(b"\x20\x02\x00\x05"), Some(5));
        assert_eq!(mqtt_connack(b"HTTP/1.1 400"), None);
        // A recorded dnsmasq answer to version.bind.
        let mut a = vec![0x56, 0x47, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
        a.extend_from_slice(b"\x07version\x04bind\x00\x00\x10\x00\x03");
        a.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 3, 0, 0, 0, 0, 0, 13, 12]);
        a.extend_from_slice(b"dnsmasq-2.90");
        let mut framed = (a.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&a);
        let d = match_dns(&framed).unwrap();
        assert_eq!(
            (d.name.as_str(), d.product.as_deref(), d.version.as_deref()),
            ("dns", Some("dnsmasq"), Some("2.90"))
        );
        // Another query id, or a query instead of an answer, is not a DNS answer to ours.
        framed[2] = 0;
        assert!(match_dns(&framed).is_none());
    }

    proptest::proptest! {
        #[test]
        fn matchers_never_panic(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = match_banner(&raw);
            let _ = match_http(&raw);
            let _ = match_redis(&raw);
            let _ = match_memcached(&raw);
            let _ = match_dns(&raw);
            let _ = mqtt_connack(&raw);
            let _ = printable(&raw);
        }
    }
}
