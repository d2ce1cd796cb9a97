//! PostgreSQL password login (protocol 3.0): cleartext, MD5 (still common on servers that
//! were upgraded from old versions) and SCRAM-SHA-256 (RFC 5802/7677). Used by the weak-password check; it only logs in.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type HmacSha256 = Hmac<Sha256>;

/// What the server said to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgLogin {
    /// Authenticated and the session is ready (`AuthenticationOk`, then `ReadyForQuery`).
    Ok,
    /// Wrong password or user (SQLSTATE 28P01 / 28000).
    Rejected,
    /// Something else (unsupported method, not PostgreSQL, network): stop trying.
    Unusable(String),
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// PBKDF2-HMAC-SHA-256 with one output block (32 bytes), as SCRAM's `Hi()`.
pub fn hi(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u.clone();
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// The client's final SCRAM message for a server-first message, or `None` if malformed.
pub fn scram_client_final(
    password: &str,
    client_first_bare: &str,
    server_first: &str,
    client_nonce: &str,
) -> Option<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut nonce = None;
    let mut salt = None;
    let mut iterations = None;
    for part in server_first.split(',') {
        match part.split_once('=') {
            Some(("r", v)) => nonce = Some(v),
            Some(("s", v)) => salt = b64.decode(v).ok(),
            Some(("i", v)) => iterations = v.parse::<u32>().ok(),
            _ => {}
        }
    }
    let (nonce, salt, iterations) = (nonce?, salt?, iterations?);
    if !nonce.starts_with(client_nonce) || !(1..=1_000_000).contains(&iterations) {
        return None;
    }
    let salted = hi(password.as_bytes(), &salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(&client_key);
    let without_proof = format!("c=biws,r={nonce}");
    let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
    let signature = hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(a, b)| a ^ b)
        .collect();
    Some(format!("{without_proof},p={}", b64.encode(proof)))
}

async fn read_msg(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let tag = s.read_u8().await.ok()?;
    let len = s.read_u32().await.ok()? as usize;
    if !(4..=1 << 20).contains(&len) {
        return None;
    }
    let mut body = vec![0u8; len - 4];
    s.read_exact(&mut body).await.ok()?;
    Some((tag, body))
}

fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// SQLSTATE of an ErrorResponse body.
/// The answer to AuthenticationMD5Password: `md5` + hex(md5(hex(md5(password + user)) + salt)).
pub fn md5_response(user: &str, password: &str, salt: &[u8; 4]) -> String {
    use md5::{Digest, Md5};
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let inner = hex(&Md5::digest(format!("{password}{user}").as_bytes()));
    let mut outer = Md5::new();
    outer.update(inner.as_bytes());
    outer.update(salt);
    format!("md5{}", hex(&outer.finalize()))
}

fn sqlstate(body: &[u8]) -> String {
    body.split(|b| *b == 0)
        .find(|f| f.first() == Some(&b'C'))
        .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
        .unwrap_or_default()
}

async fn login_inner(addr: SocketAddr, user: &str, password: &str) -> Option<PgLogin> {
    use base64::Engine as _;
    let mut s = TcpStream::connect(addr).await.ok()?;
    let mut startup = 196_608u32.to_be_bytes().to_vec();
    for (k, v) in [
        ("user", user),
        ("database", "template1"),
        ("application_name", "vigil"),
    ] {
        startup.extend_from_slice(k.as_bytes());
        startup.push(0);
        startup.extend_from_slice(v.as_bytes());
        startup.push(0);
    }
    startup.push(0);
    let mut first = ((startup.len() + 4) as u32).to_be_bytes().to_vec();
    first.extend_from_slice(&startup);
    s.write_all(&first).await.ok()?;
    let mut scram: Option<(String, String)> = None;
    loop {
        let (tag, body) = read_msg(&mut s).await?;
        match tag {
            b'E' => {
                let state = sqlstate(&body);
                return Some(if state == "28P01" || state == "28000" {
                    PgLogin::Rejected
                } else {
                    PgLogin::Unusable(format!("error {state}"))
                });
            }
            b'R' => {
                let code = u32::from_be_bytes(body.get(..4)?.try_into().ok()?);
                match code {
                    // Authenticated; the session is usable once ReadyForQuery arrives (a
                    // missing role can still end it here under `trust`).
                    0 => {}
                    3 => {
                        let mut p = password.as_bytes().to_vec();
                        p.push(0);
                        s.write_all(&msg(b'p', &p)).await.ok()?;
                    }
                    5 => {
                        let salt: [u8; 4] = body.get(4..8)?.try_into().ok()?;
                        let mut p = md5_response(user, password, &salt).into_bytes();
                        p.push(0);
                        s.write_all(&msg(b'p', &p)).await.ok()?;
                    }
                    10 => {
                        if !body[4..].split(|b| *b == 0).any(|m| m == b"SCRAM-SHA-256") {
                            return Some(PgLogin::Unusable("no SCRAM-SHA-256 offered".into()));
                        }
                        let nonce: String = {
                            use rand::Rng;
                            let bytes: [u8; 18] = rand::thread_rng().gen();
                            base64::engine::general_purpose::STANDARD.encode(bytes)
                        };
                        let bare = format!("n=,r={nonce}");
                        let client_first = format!("n,,{bare}");
                        let mut b = b"SCRAM-SHA-256\0".to_vec();
                        b.extend_from_slice(&(client_first.len() as u32).to_be_bytes());
                        b.extend_from_slice(client_first.as_bytes());
                        s.write_all(&msg(b'p', &b)).await.ok()?;
                        scram = Some((bare, nonce));
                    }
                    11 => {
                        let (bare, nonce) = scram.as_ref()?;
                        let server_first = std::str::from_utf8(&body[4..]).ok()?;
                        let Some(fin) = scram_client_final(password, bare, server_first, nonce)
                        else {
                            return Some(PgLogin::Unusable("malformed SCRAM challenge".into()));
                        };
                        s.write_all(&msg(b'p', fin.as_bytes())).await.ok()?;
                    }
                    12 => {}
                    other => {
                        return Some(PgLogin::Unusable(format!(
                            "authentication method {other} not supported"
                        )))
                    }
                }
            }
            b'Z' => return Some(PgLogin::Ok),
            // ParameterStatus, BackendKeyData, NoticeResponse after authentication.
            b'S' | b'K' | b'N' => {}
            _ => return Some(PgLogin::Unusable("not a PostgreSQL answer".into())),
        }
    }
}

/// Try one login.
pub async fn login(addr: SocketAddr, user: &str, password: &str, t: Duration) -> PgLogin {
    match tokio::time::timeout(t, login_inner(addr, user, password)).await {
        Ok(Some(r)) => r,
        Ok(None) => PgLogin::Unusable("connection failed".into()),
        Err(_) => PgLogin::Unusable("timed out".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_answer() {
        // hashlib: "md5" + md5(md5("postgres" + "postgres").hexdigest() + b"\x01\x02\x03\x04")
        assert_eq!(
            md5_response("postgres", "postgres", &[1, 2, 3, 4]),
            "md568be9ed08db75f318087ab337aaea044"
        );
    }

    /// RFC 7677 section 3 test vector (user "user", password "pencil").
    #[test]
    fn scram_sha256_rfc7677_vector() {
        let fin = scram_client_final(
            "pencil",
            "n=user,r=rOprNGfwEbeRWgbNEkqO",
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "rOprNGfwEbeRWgbNEkqO",
        )
        .unwrap();
        assert_eq!(fin, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        // A server nonce that does not extend ours is refused.
        assert!(scram_client_final(
            "pencil",
            "n=user,r=abc",
            "r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "abc"
        )
        .is_none());
    }
}
