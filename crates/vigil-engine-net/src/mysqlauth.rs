//! MySQL and MariaDB password login (client/server protocol 4.1): the initial handshake,
//! `mysql_native_password` (SHA-1 scramble), `caching_sha2_password` fast authentication
//! (SHA-256 scramble) and authentication switch requests to either. Used by the weak-password
//! check; it only logs in and quits.
//!
//! `caching_sha2_password` proves a password only on its fast path (the server has the account
//! cached from an earlier login). Otherwise the server asks for full authentication, which
//! without TLS means sending the password RSA-encrypted; that is not done, and such an attempt
//! is reported as unverifiable, never as a hit.

use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the server said to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MyLogin {
    /// Logged in: an OK packet after authentication (or the server's "password expired" error,
    /// which it sends only once the password was right). The text describes the answer.
    Ok(String),
    /// Wrong user or password (error 1045, 1698).
    Rejected,
    /// Neither proven nor refused (full `caching_sha2_password` authentication without TLS,
    /// an authentication plugin this client does not speak).
    Unverifiable(String),
    /// Something else (host not allowed, too many connections, not MySQL, network): stop.
    Unusable(String),
}

const CLIENT_LONG_PASSWORD: u32 = 0x1;
const CLIENT_LONG_FLAG: u32 = 0x4;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_TRANSACTIONS: u32 = 0x2000;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_MULTI_RESULTS: u32 = 0x2_0000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;

const NATIVE: &str = "mysql_native_password";
const CACHING_SHA2: &str = "caching_sha2_password";

/// Largest packet accepted from the server while logging in.
const MAX_PACKET: usize = 64 * 1024;

/// The facts of an initial handshake (protocol 10) that a login needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// Server version string (`5.5.5-10.11.6-MariaDB-0+deb12u1`).
    pub version: String,
    /// Capability flags.
    pub capabilities: u32,
    /// The 20-byte nonce.
    pub scramble: Vec<u8>,
    /// Default authentication plugin (`mysql_native_password` when not named).
    pub plugin: String,
}

/// Parse the payload of the server's first packet; `Err` carries the text of an error packet
/// (`Host '10.0.0.5' is not allowed to connect to this MariaDB server`) or says why it is not
/// a greeting.
pub fn parse_greeting(p: &[u8]) -> Result<Greeting, String> {
    if p.first() == Some(&0xff) {
        return Err(error_text(p));
    }
    if p.first() != Some(&10) {
        return Err("not a protocol 10 handshake".into());
    }
    let bad = || "truncated handshake".to_string();
    let end = p.iter().skip(1).position(|b| *b == 0).ok_or_else(bad)? + 1;
    let version = String::from_utf8_lossy(&p[1..end]).into_owned();
    // connection id (4), scramble part 1 (8), filler (1), capabilities low (2)
    let at = end + 1 + 4;
    let mut scramble = p.get(at..at + 8).ok_or_else(bad)?.to_vec();
    let low = p.get(at + 9..at + 11).ok_or_else(bad)?;
    let mut capabilities = u32::from(u16::from_le_bytes([low[0], low[1]]));
    let mut plugin = NATIVE.to_string();
    // charset (1), status (2), capabilities high (2), scramble length (1), reserved (10)
    if let Some(rest) = p.get(at + 11..at + 11 + 16) {
        capabilities |= u32::from(u16::from_le_bytes([rest[3], rest[4]])) << 16;
        let data_len = rest[5] as usize;
        let mut tail = &p[at + 27..];
        if capabilities & CLIENT_SECURE_CONNECTION != 0 {
            let n = data_len.saturating_sub(8).max(13);
            let part2 = tail.get(..n).ok_or_else(bad)?;
            // The second part ends with a NUL that is not part of the nonce.
            let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
            scramble.extend_from_slice(part2);
            tail = &tail[n..];
        }
        if capabilities & CLIENT_PLUGIN_AUTH != 0 {
            let name = tail.split(|b| *b == 0).next().unwrap_or(&[]);
            if !name.is_empty() {
                plugin = String::from_utf8_lossy(name).into_owned();
            }
        }
    }
    Ok(Greeting {
        version,
        capabilities,
        scramble,
        plugin,
    })
}

/// Error code and message of an error packet payload.
fn error_parts(p: &[u8]) -> (u16, String) {
    let code = match p.get(1..3) {
        Some(c) => u16::from_le_bytes([c[0], c[1]]),
        None => 0,
    };
    let mut msg = p.get(3..).unwrap_or(&[]);
    // Protocol 4.1 errors carry `#` and a five-character SQLSTATE before the text.
    if msg.first() == Some(&b'#') && msg.len() >= 6 {
        msg = &msg[6..];
    }
    (code, String::from_utf8_lossy(msg).into_owned())
}

fn error_text(p: &[u8]) -> String {
    let (code, msg) = error_parts(p);
    format!("error {code}: {msg}")
}

/// `mysql_native_password`: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))); nothing for
/// an empty password.
pub fn native_scramble(password: &str, nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let h1 = Sha1::digest(password.as_bytes());
    let h2 = Sha1::digest(h1);
    let mut m = Sha1::new();
    m.update(nonce);
    m.update(h2);
    let h3 = m.finalize();
    h1.iter().zip(h3.iter()).map(|(a, b)| a ^ b).collect()
}

/// `caching_sha2_password` fast path: SHA256(password) XOR SHA256(SHA256(SHA256(password)) +
/// nonce); nothing for an empty password.
pub fn sha2_scramble(password: &str, nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let d1 = Sha256::digest(password.as_bytes());
    let d2 = Sha256::digest(d1);
    let mut m = Sha256::new();
    m.update(d2);
    m.update(nonce);
    let d3 = m.finalize();
    d1.iter().zip(d3.iter()).map(|(a, b)| a ^ b).collect()
}

/// The answer for `plugin` to `nonce`, if this client speaks the plugin.
fn auth_response(plugin: &str, password: &str, nonce: &[u8]) -> Option<Vec<u8>> {
    match plugin {
        NATIVE => Some(native_scramble(password, nonce)),
        CACHING_SHA2 => Some(sha2_scramble(password, nonce)),
        _ => None,
    }
}

/// The HandshakeResponse41 payload for a greeting.
pub fn handshake_response(g: &Greeting, user: &str, password: &str) -> Vec<u8> {
    let wanted = CLIENT_LONG_PASSWORD
        | CLIENT_LONG_FLAG
        | CLIENT_PROTOCOL_41
        | CLIENT_TRANSACTIONS
        | CLIENT_SECURE_CONNECTION
        | CLIENT_MULTI_RESULTS
        | CLIENT_PLUGIN_AUTH;
    let caps = wanted & g.capabilities;
    // Answer with the server's default plugin when it is one this client speaks, else with
    // the native scramble; the server switches to what the account needs.
    let (plugin, auth) = match auth_response(&g.plugin, password, &g.scramble) {
        Some(a) => (g.plugin.as_str(), a),
        None => (NATIVE, native_scramble(password, &g.scramble)),
    };
    let mut p = caps.to_le_bytes().to_vec();
    p.extend_from_slice(&(16u32 << 20).to_le_bytes());
    p.push(33); // utf8_general_ci
    p.extend_from_slice(&[0u8; 23]);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    p.push(auth.len() as u8);
    p.extend_from_slice(&auth);
    if caps & CLIENT_PLUGIN_AUTH != 0 {
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
    }
    p
}

/// What to do with one packet the server sent after the handshake response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The outcome is known.
    Done(MyLogin),
    /// Send this payload (an answer to an authentication switch) and read on.
    Send(Vec<u8>),
    /// Read the next packet.
    Read,
}

/// Judge one packet during authentication. `plugin` is the plugin in use and is updated on an
/// authentication switch.
pub fn step(packet: &[u8], plugin: &mut String, password: &str) -> Step {
    match packet.first() {
        Some(0x00) => Step::Done(MyLogin::Ok(format!(
            "OK packet after {plugin} authentication"
        ))),
        Some(0xff) => {
            let (code, msg) = error_parts(packet);
            Step::Done(match code {
                // Access denied; access denied without password (unix_socket accounts).
                1045 | 1698 => MyLogin::Rejected,
                // Password expired: sent only after the password was checked and right.
                1862 => MyLogin::Ok(format!(
                    "error 1862 after {plugin} authentication (right password, expired): {msg}"
                )),
                _ => MyLogin::Unusable(format!("error {code}: {msg}")),
            })
        }
        Some(0xfe) if packet.len() > 1 => {
            let body = &packet[1..];
            let name_end = body.iter().position(|b| *b == 0).unwrap_or(body.len());
            let name = String::from_utf8_lossy(&body[..name_end]).into_owned();
            let data = body.get(name_end + 1..).unwrap_or(&[]);
            let nonce = data.strip_suffix(&[0]).unwrap_or(data);
            match auth_response(&name, password, nonce) {
                Some(a) => {
                    *plugin = name;
                    Step::Send(a)
                }
                None => Step::Done(MyLogin::Unverifiable(format!(
                    "account uses authentication plugin {name}"
                ))),
            }
        }
        // An old-style switch to the pre-4.1 password hash.
        Some(0xfe) => Step::Done(MyLogin::Unusable("pre-4.1 password hashing".into())),
        Some(0x01) if *plugin == CACHING_SHA2 => match packet.get(1) {
            // Fast authentication succeeded; the OK packet follows.
            Some(3) => Step::Read,
            Some(4) => Step::Done(MyLogin::Unverifiable(
                "caching_sha2_password asks for full authentication (needs TLS or RSA)".into(),
            )),
            _ => Step::Done(MyLogin::Unusable(
                "unexpected caching_sha2_password data".into(),
            )),
        },
        _ => Step::Done(MyLogin::Unusable("not a MySQL answer".into())),
    }
}

/// Read one packet: (sequence id, payload).
async fn read_packet(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await.ok()?;
    let len = head[0] as usize | (head[1] as usize) << 8 | (head[2] as usize) << 16;
    if len > MAX_PACKET {
        return None;
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.ok()?;
    Some((head[3], body))
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut p = len.to_le_bytes()[..3].to_vec();
    p.push(seq);
    p.extend_from_slice(payload);
    p
}

async fn login_inner(addr: SocketAddr, user: &str, password: &str) -> Option<MyLogin> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let (_, first) = read_packet(&mut s).await?;
    let g = match parse_greeting(&first) {
        Ok(g) => g,
        Err(e) => return Some(MyLogin::Unusable(e)),
    };
    if g.capabilities & CLIENT_PROTOCOL_41 == 0 || g.capabilities & CLIENT_SECURE_CONNECTION == 0 {
        return Some(MyLogin::Unusable("pre-4.1 server".into()));
    }
    let mut plugin = if auth_response(&g.plugin, password, &g.scramble).is_some() {
        g.plugin.clone()
    } else {
        NATIVE.to_string()
    };
    s.write_all(&packet(1, &handshake_response(&g, user, password)))
        .await
        .ok()?;
    // At most a few switches and extra data packets; a server that keeps asking is odd.
    for _ in 0..4 {
        let (seq, p) = read_packet(&mut s).await?;
        match step(&p, &mut plugin, password) {
            Step::Done(r) => {
                if let MyLogin::Ok(text) = r {
                    // COM_QUIT.
                    let _ = s.write_all(&packet(0, &[0x01])).await;
                    return Some(MyLogin::Ok(format!("{text}; server {}", g.version)));
                }
                return Some(r);
            }
            Step::Send(a) => s.write_all(&packet(seq.wrapping_add(1), &a)).await.ok()?,
            Step::Read => {}
        }
    }
    Some(MyLogin::Unusable("authentication did not finish".into()))
}

/// Try one login.
pub async fn login(addr: SocketAddr, user: &str, password: &str, t: Duration) -> MyLogin {
    match tokio::time::timeout(t, login_inner(addr, user, password)).await {
        Ok(Some(r)) => r,
        Ok(None) => MyLogin::Unusable("connection failed".into()),
        Err(_) => MyLogin::Unusable("timed out".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MariaDB 10.11 greeting as sent on the wire (payload only).
    fn mariadb_greeting() -> Vec<u8> {
        let mut p = vec![10u8];
        p.extend_from_slice(b"5.5.5-10.11.6-MariaDB-0+deb12u1\0");
        p.extend_from_slice(&[6, 0, 0, 0]);
        p.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        p.push(0);
        p.extend_from_slice(&[0xfe, 0xf7]); // capabilities low
        p.push(8); // charset
        p.extend_from_slice(&[2, 0]); // status
        p.extend_from_slice(&[0xff, 0x81]); // capabilities high (with PLUGIN_AUTH)
        p.push(21);
        p.extend_from_slice(&[0; 6]);
        p.extend_from_slice(&[0x1d, 0, 0, 0]); // MariaDB extended capabilities
        p.extend_from_slice(&[9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0]);
        p.extend_from_slice(b"mysql_native_password\0");
        p
    }

    #[test]
    fn greeting_fields() {
        let g = parse_greeting(&mariadb_greeting()).unwrap();
        assert_eq!(g.version, "5.5.5-10.11.6-MariaDB-0+deb12u1");
        assert_eq!(g.scramble, (1..=20).collect::<Vec<u8>>());
        assert_eq!(g.plugin, NATIVE);
        assert_ne!(g.capabilities & CLIENT_PLUGIN_AUTH, 0);
        let denied = b"\xffj\x04Host '10.0.0.5' is not allowed to connect to this MariaDB server";
        assert_eq!(
            parse_greeting(denied).unwrap_err(),
            "error 1130: Host '10.0.0.5' is not allowed to connect to this MariaDB server"
        );
        // Truncations never panic and are errors.
        let full = mariadb_greeting();
        for n in 0..40 {
            assert!(parse_greeting(&full[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn scrambles() {
        // MySQL's stored hash of "123456" is *6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9,
        // SHA1(SHA1(password)): the server side of the native scheme.
        let stage2 = Sha1::digest(Sha1::digest(b"123456"));
        assert_eq!(
            format!("{stage2:x}"),
            "6bb4837eb74329105ee4568dda7dc67ed2ca2ad9"
        );
        let nonce: Vec<u8> = (1..=20).collect();
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(native_scramble("123456", &nonce)),
            "9315cb762383621827109359a71c7be241589fb2"
        );
        assert_eq!(
            hex(sha2_scramble("123456", &nonce)),
            "6196a891bc94a955e434f9c4b7d705fe97da916d472a4d11d8d17c54647ff958"
        );
        assert!(native_scramble("", &nonce).is_empty());
        // The server checks SHA1(scramble XOR SHA1(nonce + stage2)) == stage2.
        let mut m = Sha1::new();
        m.update(&nonce);
        m.update(stage2);
        let key = m.finalize();
        let stage1: Vec<u8> = native_scramble("123456", &nonce)
            .iter()
            .zip(key.iter())
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(Sha1::digest(&stage1), stage2);
    }

    #[test]
    fn answers_after_authentication() {
        let mut plugin = NATIVE.to_string();
        assert!(matches!(
            step(&[0, 0, 0, 2, 0, 0, 0], &mut plugin, "x"),
            Step::Done(MyLogin::Ok(_))
        ));
        let denied = b"\xff\x15\x04#28000Access denied for user 'root'@'localhost'";
        assert_eq!(
            step(denied, &mut plugin, "x"),
            Step::Done(MyLogin::Rejected)
        );
        let busy = b"\xff\x10\x04#08004Too many connections";
        assert!(matches!(
            step(busy, &mut plugin, "x"),
            Step::Done(MyLogin::Unusable(_))
        ));
        // Switch to caching_sha2_password: answered with the SHA-256 scramble of the new nonce.
        let mut switch = b"\xfecaching_sha2_password\0".to_vec();
        switch.extend(1..=20u8);
        switch.push(0);
        let nonce: Vec<u8> = (1..=20).collect();
        assert_eq!(
            step(&switch, &mut plugin, "123456"),
            Step::Send(sha2_scramble("123456", &nonce))
        );
        assert_eq!(plugin, CACHING_SHA2);
        // Fast authentication success is followed by OK; full authentication is not a hit.
        assert_eq!(step(&[1, 3], &mut plugin, "123456"), Step::Read);
        assert!(matches!(
            step(&[1, 4], &mut plugin, "123456"),
            Step::Done(MyLogin::Unverifiable(_))
        ));
        // A plugin this client does not speak is not a hit either.
        let mut plugin = NATIVE.to_string();
        assert!(matches!(
            step(b"\xfeclient_ed25519\0abc\0", &mut plugin, "x"),
            Step::Done(MyLogin::Unverifiable(_))
        ));
        assert!(matches!(
            step(b"", &mut plugin, "x"),
            Step::Done(MyLogin::Unusable(_))
        ));
    }

    #[test]
    fn response_layout() {
        let g = parse_greeting(&mariadb_greeting()).unwrap();
        let r = handshake_response(&g, "root", "123456");
        let caps = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
        assert_ne!(caps & CLIENT_PROTOCOL_41, 0);
        assert_eq!(&r[32..37], b"root\0");
        assert_eq!(r[37], 20);
        assert_eq!(&r[38..58], &native_scramble("123456", &g.scramble)[..]);
        assert_eq!(&r[58..], b"mysql_native_password\0");
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_greeting(&raw);
            let mut plugin = CACHING_SHA2.to_string();
            let _ = step(&raw, &mut plugin, "pw");
        }
    }
}
