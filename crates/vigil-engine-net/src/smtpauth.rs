//! SMTP authentication (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms. Servers
//! that offer AUTH only after STARTTLS (RFC 3207) are upgraded first; implicit-TLS ports
//! (465) are entered over TLS. Each attempt is one connection: greeting, EHLO, AUTH, QUIT.

use crate::service::{connect, tls_connector};
use base64::Engine as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Outcome of one SMTP login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpLogin {
    /// `235`: authenticated, with the server's line.
    Ok(String),
    /// `535` (or another 5xx to the credentials): refused.
    Rejected,
    /// The server offers no password mechanism Vigil speaks (`AUTH` absent, even after
    /// STARTTLS), with the mechanisms it lists.
    NoAuth(Vec<String>),
    /// Not SMTP, or the dialogue broke, with why.
    Unusable(String),
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One SMTP reply: its code and text lines (multi-line replies joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Three-digit code (0 when unreadable).
    pub code: u16,
    /// Text of every line, without the codes.
    pub lines: Vec<String>,
}

/// Parse one complete reply (`250-a`, `250-b`, `250 c`); `None` until the last line is in.
pub fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(raw);
    let mut lines = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let code = line.get(..3)?.parse::<u16>().ok()?;
        let sep = line.as_bytes().get(3).copied();
        lines.push(line.get(4..).unwrap_or("").to_string());
        if sep != Some(b'-') {
            return Some(Reply { code, lines });
        }
    }
    None
}

/// Mechanisms in an EHLO reply's `AUTH` line, upper-case.
pub fn auth_mechanisms(ehlo: &Reply) -> Vec<String> {
    ehlo.lines
        .iter()
        .filter_map(|l| {
            let up = l.to_ascii_uppercase();
            up.strip_prefix("AUTH ")
                .or_else(|| up.strip_prefix("AUTH="))
                .map(|m| m.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

async fn read_reply(s: &mut dyn Io, t: Duration) -> Result<Reply, String> {
    let deadline = tokio::time::Instant::now() + t;
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    while raw.len() < 16 * 1024 {
        let n = match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return Err("no reply".into()),
            Ok(Ok(0)) => return Err("connection closed".into()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e.to_string()),
        };
        raw.extend_from_slice(&buf[..n]);
        if raw.ends_with(b"\r\n") {
            if let Some(r) = parse_reply(&raw) {
                return Ok(r);
            }
        }
    }
    Err("reply too long".into())
}

async fn say(s: &mut dyn Io, line: &str, t: Duration) -> Result<Reply, String> {
    s.write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_reply(s, t).await
}

/// Greeting and EHLO on a fresh session.
async fn hello(s: &mut dyn Io, t: Duration) -> Result<Reply, String> {
    let greeting = read_reply(s, t).await?;
    if greeting.code != 220 {
        return Err(format!("greeting {}", greeting.code));
    }
    let ehlo = say(s, "EHLO vigil.invalid", t).await?;
    if ehlo.code != 250 {
        return Err(format!("EHLO answered {}", ehlo.code));
    }
    Ok(ehlo)
}

/// Connect, read the greeting and EHLO, upgrading with STARTTLS when AUTH is not offered in
/// clear; returns the stream and the EHLO reply that lists the mechanisms.
async fn session(
    addr: SocketAddr,
    host: &str,
    tls: bool,
    t: Duration,
) -> Result<(Box<dyn Io>, Reply), String> {
    let mut tcp = connect(addr, t)
        .await
        .ok_or_else(|| "cannot connect".to_string())?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| rustls::pki_types::ServerName::IpAddress(addr.ip().into()));
    let connector = tls_connector().ok_or_else(|| "no TLS".to_string())?;
    if tls {
        let mut s = tokio::time::timeout(t, connector.connect(name, tcp))
            .await
            .map_err(|_| "TLS handshake timed out".to_string())?
            .map_err(|e| e.to_string())?;
        let ehlo = hello(&mut s, t).await?;
        return Ok((Box::new(s), ehlo));
    }
    let ehlo = hello(&mut tcp, t).await?;
    let offers_tls = ehlo
        .lines
        .iter()
        .any(|l| l.eq_ignore_ascii_case("STARTTLS"));
    if !auth_mechanisms(&ehlo).is_empty() || !offers_tls {
        return Ok((Box::new(tcp), ehlo));
    }
    if say(&mut tcp, "STARTTLS", t).await?.code != 220 {
        return Ok((Box::new(tcp), ehlo));
    }
    let mut s = tokio::time::timeout(t, connector.connect(name, tcp))
        .await
        .map_err(|_| "TLS handshake timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let ehlo = say(&mut s, "EHLO vigil.invalid", t).await?;
    Ok((Box::new(s), ehlo))
}

/// Try one user and password.
pub async fn login(
    addr: SocketAddr,
    host: &str,
    tls: bool,
    user: &str,
    pass: &str,
    t: Duration,
) -> SmtpLogin {
    let (mut s, ehlo) = match session(addr, host, tls, t).await {
        Ok(x) => x,
        Err(why) => return SmtpLogin::Unusable(why),
    };
    let mechs = auth_mechanisms(&ehlo);
    let b64 = |x: &[u8]| base64::engine::general_purpose::STANDARD.encode(x);
    let reply = if mechs.iter().any(|m| m == "PLAIN") {
        let token = b64(format!("\0{user}\0{pass}").as_bytes());
        say(&mut *s, &format!("AUTH PLAIN {token}"), t).await
    } else if mechs.iter().any(|m| m == "LOGIN") {
        match say(&mut *s, "AUTH LOGIN", t).await {
            Ok(r) if r.code == 334 => match say(&mut *s, &b64(user.as_bytes()), t).await {
                Ok(r) if r.code == 334 => say(&mut *s, &b64(pass.as_bytes()), t).await,
                other => other,
            },
            other => other,
        }
    } else {
        return SmtpLogin::NoAuth(mechs);
    };
    let _ = s.write_all(b"QUIT\r\n").await;
    match reply {
        Ok(r) if r.code == 235 => SmtpLogin::Ok(format!("235 {}", r.lines.join(" "))),
        Ok(r) if (500..600).contains(&r.code) && r.code != 504 => SmtpLogin::Rejected,
        Ok(r) => SmtpLogin::Unusable(format!("AUTH answered {}", r.code)),
        Err(why) => SmtpLogin::Unusable(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_and_mechanisms() {
        let r = parse_reply(
            b"250-vigil.test Hello\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n",
        )
        .unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(auth_mechanisms(&r), ["PLAIN", "LOGIN"]);
        assert!(parse_reply(b"250-first\r\n").is_none(), "not complete");
        assert_eq!(parse_reply(b"535 Incorrect\r\n").unwrap().code, 535);
        let old = parse_reply(b"250-x\r\n250 AUTH=LOGIN\r\n").unwrap();
        assert_eq!(auth_mechanisms(&old), ["LOGIN"]);
        assert!(parse_reply(b"xx\r\n").is_none());
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            if let Some(r) = parse_reply(&raw) {
                let _ = auth_mechanisms(&r);
            }
        }
    }
}
