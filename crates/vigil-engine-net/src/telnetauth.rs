//! Telnet logins (RFC 854): answers the server's option negotiation by refusing every
//! option (RFC 1143's safe default), then plays the `login:` / `Password:` dialogue of a Unix
//! login and reads the outcome from what follows: a shell prompt or a login failure.

use crate::service::connect;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;

/// Outcome of one telnet login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelnetLogin {
    /// A shell prompt followed the password, with the text that proved it.
    Ok(String),
    /// The login was refused.
    Rejected,
    /// The answer was neither a prompt nor a refusal.
    Unclear(String),
    /// No login dialogue (not telnet, or no `login:` prompt), with why.
    Unusable(String),
}

/// Split what the server sent into text and the replies its negotiation needs: every
/// `DO x` gets `WONT x`, every `WILL x` gets `DONT x`; subnegotiations are dropped.
pub fn negotiate(raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut text, mut reply) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != IAC {
            text.push(raw[i]);
            i += 1;
            continue;
        }
        match raw.get(i + 1) {
            Some(&IAC) => {
                text.push(IAC);
                i += 2;
            }
            Some(&cmd @ (DO | DONT | WILL | WONT)) => {
                if let Some(&opt) = raw.get(i + 2) {
                    match cmd {
                        DO => reply.extend_from_slice(&[IAC, WONT, opt]),
                        WILL => reply.extend_from_slice(&[IAC, DONT, opt]),
                        _ => {}
                    }
                }
                i += 3;
            }
            Some(&SB) => {
                // Skip to IAC SE.
                let mut j = i + 2;
                while j + 1 < raw.len() && !(raw[j] == IAC && raw[j + 1] == SE) {
                    j += 1;
                }
                i = j + 2;
            }
            _ => i += 2,
        }
    }
    (text, reply)
}

/// Read, answering negotiation, until `done` holds for the text so far or `wait` passes.
async fn read_text(
    s: &mut TcpStream,
    wait: Duration,
    done: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut text = Vec::new();
    let mut buf = [0u8; 2048];
    while text.len() < 16 * 1024 {
        let n = match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => break,
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e.to_string()),
        };
        let (t, reply) = negotiate(&buf[..n]);
        if !reply.is_empty() && s.write_all(&reply).await.is_err() {
            break;
        }
        text.extend_from_slice(&t);
        if done(&String::from_utf8_lossy(&text)) {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

fn asks_login(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    let last = l.trim_end();
    last.ends_with("login:") || last.ends_with("username:") || last.ends_with("user:")
}

fn asks_password(t: &str) -> bool {
    t.to_ascii_lowercase().trim_end().ends_with("password:")
}

/// What the text after the password means.
pub fn judge(after: &str) -> TelnetLogin {
    let l = after.to_ascii_lowercase();
    if [
        "incorrect",
        "failed",
        "denied",
        "invalid",
        "authentication failure",
    ]
    .iter()
    .any(|w| l.contains(w))
        || asks_login(after)
    {
        return TelnetLogin::Rejected;
    }
    let last = after
        .lines()
        .map(str::trim_end)
        .rfind(|x| !x.trim().is_empty())
        .unwrap_or("");
    if last.ends_with('$') || last.ends_with('#') || last.ends_with('>') || last.ends_with('%') {
        return TelnetLogin::Ok(format!("shell prompt `{}`", last.trim()));
    }
    if l.contains("last login") {
        return TelnetLogin::Ok("`Last login` banner".into());
    }
    TelnetLogin::Unclear(after.chars().take(120).collect())
}

/// Try one user and password.
pub async fn login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> TelnetLogin {
    let Some(mut s) = connect(addr, t).await else {
        return TelnetLogin::Unusable("cannot connect".into());
    };
    match read_text(&mut s, t, asks_login).await {
        Ok(txt) if asks_login(&txt) => {}
        Ok(_) => return TelnetLogin::Unusable("no login prompt".into()),
        Err(e) => return TelnetLogin::Unusable(e),
    }
    if s.write_all(format!("{user}\r\n").as_bytes()).await.is_err() {
        return TelnetLogin::Unusable("connection closed".into());
    }
    match read_text(&mut s, t, asks_password).await {
        Ok(txt) if asks_password(&txt) => {}
        Ok(txt) => return judge(&txt),
        Err(e) => return TelnetLogin::Unusable(e),
    }
    if s.write_all(format!("{pass}\r\n").as_bytes()).await.is_err() {
        return TelnetLogin::Unusable("connection closed".into());
    }
    // Unix login pauses about three seconds after a failure before it says so.
    let after = match read_text(&mut s, t + Duration::from_secs(4), |x| {
        !matches!(judge(x), TelnetLogin::Unclear(_))
    })
    .await
    {
        Ok(a) => a,
        Err(e) => return TelnetLogin::Unusable(e),
    };
    let verdict = judge(&after);
    if matches!(verdict, TelnetLogin::Ok(_)) {
        let _ = s.write_all(b"exit\r\n").await;
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_is_refused_and_text_kept() {
        let raw = [
            IAC, DO, 24, IAC, WILL, 1, b'h', b'i', IAC, IAC, IAC, SB, 31, 0, 80, IAC, SE, b'!',
        ];
        let (text, reply) = negotiate(&raw);
        assert_eq!(text, [b'h', b'i', IAC, b'!']);
        assert_eq!(reply, [IAC, WONT, 24, IAC, DONT, 1]);
        // Cut short anywhere: no panic.
        for n in 0..raw.len() {
            let _ = negotiate(&raw[..n]);
        }
    }

    #[test]
    fn outcomes() {
        assert_eq!(
            judge("\r\nLogin incorrect\r\nhost login: "),
            TelnetLogin::Rejected
        );
        assert!(matches!(
            judge("\r\nLinux host 6.1\r\n\r\nalice@host:~$ "),
            TelnetLogin::Ok(_)
        ));
        assert!(matches!(judge("\r\n# "), TelnetLogin::Ok(_)));
        assert!(matches!(judge("\r\nplease wait"), TelnetLogin::Unclear(_)));
        assert!(asks_login("\r\nDebian GNU/Linux 12\r\nhost login: "));
        assert!(asks_password("Password: "));
    }
}
