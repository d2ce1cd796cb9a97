//! VNC (RFB, RFC 6143) authentication: the protocol handshake up to the security result,
//! with "VNC Authentication" (a DES challenge-response keyed by the password) and the
//! "None" security type, which lets anyone in.

use crate::service::{connect, read_some};
use des::cipher::{Array, BlockCipherEncrypt, KeyInit};
use des::Des;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Outcome of one VNC login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VncLogin {
    /// The server accepted the password (or asks for none); with what it said.
    Ok(String),
    /// The server refused the password.
    Rejected,
    /// The server offers no security type that takes a password, with its list.
    NoPassword(Vec<u8>),
    /// Not a VNC server, or it refuses further attempts (TigerVNC's blacklist), with why.
    Unusable(String),
}

/// Security type "None" (RFC 6143 7.2.1).
pub const SECURITY_NONE: u8 = 1;
/// Security type "VNC Authentication" (RFC 6143 7.2.2).
pub const SECURITY_VNC_AUTH: u8 = 2;

/// The 16-byte response to a VNC Authentication challenge: the challenge encrypted with DES
/// in ECB mode, keyed by the first 8 bytes of the password (zero-padded) with the bits of each
/// byte reversed, as every RFB implementation does.
pub fn challenge_response(password: &[u8], challenge: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 8];
    for (k, p) in key.iter_mut().zip(password.iter()) {
        *k = p.reverse_bits();
    }
    let mut out = [0u8; 16];
    // An 8-byte key always has the right length.
    let Ok(des) = Des::new_from_slice(&key) else {
        return out;
    };
    for (i, half) in challenge.chunks_exact(8).enumerate() {
        let mut block = [0u8; 8];
        block.copy_from_slice(half);
        let mut b = Array::from(block);
        des.encrypt_block(&mut b);
        out[i * 8..i * 8 + 8].copy_from_slice(b.as_slice());
    }
    out
}

/// Security types a server offers after the version exchange, or its refusal reason.
/// `minor` is the protocol minor version both sides use (3, 7 or 8).
async fn security_types(s: &mut TcpStream, minor: u32, t: Duration) -> Result<Vec<u8>, String> {
    if minor == 3 {
        // 3.3: the server decides alone and sends one u32 type.
        let mut ty = [0u8; 4];
        tokio::time::timeout(t, s.read_exact(&mut ty))
            .await
            .map_err(|_| "no security type".to_string())?
            .map_err(|e| e.to_string())?;
        let ty = u32::from_be_bytes(ty);
        return match u8::try_from(ty) {
            Ok(0) => Err(reason(s, t).await),
            Ok(ty) => Ok(vec![ty]),
            Err(_) => Err(format!("security type {ty}")),
        };
    }
    let mut n = [0u8; 1];
    tokio::time::timeout(t, s.read_exact(&mut n))
        .await
        .map_err(|_| "no security types".to_string())?
        .map_err(|e| e.to_string())?;
    if n[0] == 0 {
        return Err(reason(s, t).await);
    }
    let mut types = vec![0u8; usize::from(n[0])];
    tokio::time::timeout(t, s.read_exact(&mut types))
        .await
        .map_err(|_| "security types cut short".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(types)
}

/// A failure reason: u32 length, then text (bounded).
async fn reason(s: &mut TcpStream, t: Duration) -> String {
    let mut len = [0u8; 4];
    if !matches!(
        tokio::time::timeout(t, s.read_exact(&mut len)).await,
        Ok(Ok(_))
    ) {
        return "refused without a reason".into();
    }
    let len = (u32::from_be_bytes(len) as usize).min(512);
    let mut text = vec![0u8; len];
    match tokio::time::timeout(t, s.read_exact(&mut text)).await {
        Ok(Ok(_)) => String::from_utf8_lossy(&text).into_owned(),
        _ => "refused".into(),
    }
}

/// The protocol minor version to use with a server that greeted with `greeting`.
fn agreed_minor(greeting: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(greeting.get(..12)?).ok()?;
    let rest = text.strip_prefix("RFB ")?.trim_end_matches('\n');
    let (major, minor) = rest.split_once('.')?;
    let (major, minor) = (major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?);
    Some(match (major, minor) {
        (3, m) if m >= 8 => 8,
        (3, 7) => 7,
        (3, _) => 3,
        (m, _) if m > 3 => 8,
        _ => return None,
    })
}

/// The security types a server offers (RFB 3.7 and later list them; 3.3 names one), read
/// without choosing one, so no login attempt is spent.
pub async fn offered(addr: SocketAddr, t: Duration) -> Result<Vec<u8>, String> {
    let mut s = connect(addr, t)
        .await
        .ok_or_else(|| "cannot connect".to_string())?;
    let greeting = read_some(&mut s, t).await;
    let minor = agreed_minor(&greeting).ok_or_else(|| "not an RFB greeting".to_string())?;
    s.write_all(format!("RFB 003.00{minor}\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    security_types(&mut s, minor, t).await
}

/// Try one password.
pub async fn login(addr: SocketAddr, password: &str, t: Duration) -> VncLogin {
    let Some(mut s) = connect(addr, t).await else {
        return VncLogin::Unusable("cannot connect".into());
    };
    let greeting = read_some(&mut s, t).await;
    let Some(minor) = agreed_minor(&greeting) else {
        return VncLogin::Unusable("not an RFB greeting".into());
    };
    if s.write_all(format!("RFB 003.00{minor}\n").as_bytes())
        .await
        .is_err()
    {
        return VncLogin::Unusable("connection closed".into());
    }
    let types = match security_types(&mut s, minor, t).await {
        Ok(t) => t,
        Err(why) => return VncLogin::Unusable(why),
    };
    if types.contains(&SECURITY_NONE) {
        if minor != 3 && s.write_all(&[SECURITY_NONE]).await.is_err() {
            return VncLogin::Unusable("connection closed".into());
        }
        return VncLogin::Ok("security type None: the server asks for no password".into());
    }
    if !types.contains(&SECURITY_VNC_AUTH) {
        return VncLogin::NoPassword(types);
    }
    if minor != 3 && s.write_all(&[SECURITY_VNC_AUTH]).await.is_err() {
        return VncLogin::Unusable("connection closed".into());
    }
    let mut challenge = [0u8; 16];
    match tokio::time::timeout(t, s.read_exact(&mut challenge)).await {
        Ok(Ok(_)) => {}
        _ => return VncLogin::Unusable("no challenge".into()),
    }
    if s.write_all(&challenge_response(password.as_bytes(), &challenge))
        .await
        .is_err()
    {
        return VncLogin::Unusable("connection closed".into());
    }
    let mut result = [0u8; 4];
    match tokio::time::timeout(t, s.read_exact(&mut result)).await {
        Ok(Ok(_)) => {}
        _ => return VncLogin::Unusable("no security result".into()),
    }
    match u32::from_be_bytes(result) {
        0 => VncLogin::Ok("SecurityResult OK for VNC Authentication".into()),
        1 => {
            if minor == 8 {
                let why = reason(&mut s, t).await;
                if why.to_ascii_lowercase().contains("too many") {
                    return VncLogin::Unusable(why);
                }
            }
            VncLogin::Rejected
        }
        // 2: "too many attempts" in RFB 3.8 servers that report it so.
        other => VncLogin::Unusable(format!("security result {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn des_response_matches_vncpasswd() {
        // `vncpasswd -f` stores a password encrypted the same way under a fixed key; the
        // file for "secret1" (TigerVNC 1.12) is b4ab9e8c4e005607. Encrypting the password,
        // padded to 8 bytes, as the challenge with that key as the "password" must give it.
        let fixed: [u8; 8] = [23, 82, 107, 6, 35, 78, 88, 7];
        let mut challenge = [0u8; 16];
        challenge[..7].copy_from_slice(b"secret1");
        let out = challenge_response(&fixed, &challenge);
        assert_eq!(out[..8], [0xb4, 0xab, 0x9e, 0x8c, 0x4e, 0x00, 0x56, 0x07]);
    }

    #[test]
    fn versions() {
        assert_eq!(agreed_minor(b"RFB 003.008\n"), Some(8));
        assert_eq!(agreed_minor(b"RFB 003.007\n"), Some(7));
        assert_eq!(agreed_minor(b"RFB 003.003\n"), Some(3));
        assert_eq!(agreed_minor(b"RFB 003.889\n"), Some(8), "Apple's 3.889");
        assert_eq!(agreed_minor(b"RFB 004.001\n"), Some(8));
        assert_eq!(agreed_minor(b"SSH-2.0-x\r\n"), None);
        assert_eq!(agreed_minor(b"RFB"), None);
    }
}
