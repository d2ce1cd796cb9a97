//! MongoDB logins and unauthenticated access: the handshake, then SCRAM-SHA-256 (RFC 7677,
//! the default since MongoDB 4.0) through `saslStart` / `saslContinue` on `admin`, and
//! `listDatabases`, which a server without access control answers to anyone. Built on the
//! wire and BSON helpers of [`crate::probes`] and [`crate::bson`].

use crate::bson::{Document, Value};
use crate::pgauth::scram_client_final;
use crate::probes::{
    match_mongodb_hello, mongo_command, mongo_complete, mongodb_hello, parse_reply,
};
use crate::service::{connect, exchange};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// Outcome of one MongoDB login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MongoLogin {
    /// Authenticated, with the server's last answer.
    Ok(String),
    /// `AuthenticationFailed` (code 18) or another refusal of the credentials.
    Rejected,
    /// Not MongoDB, too old for SCRAM-SHA-256, or the conversation broke, with why.
    Unusable(String),
}

/// The wire version of MongoDB 4.0, the first with SCRAM-SHA-256.
const WIRE_VERSION_SCRAM_SHA256: i64 = 7;

/// A connection after the handshake, with the server's `maxWireVersion`.
async fn session(addr: SocketAddr, t: Duration) -> Result<(TcpStream, i64), String> {
    let mut s = connect(addr, t)
        .await
        .ok_or_else(|| "cannot connect".to_string())?;
    let deadline = tokio::time::Instant::now() + t;
    let raw = exchange(&mut s, &mongodb_hello(), deadline, mongo_complete).await;
    let (_, wire) =
        match_mongodb_hello(&raw).ok_or_else(|| "not a MongoDB handshake".to_string())?;
    Ok((s, wire))
}

/// Run one command on `admin` and read its reply document.
async fn command(
    s: &mut TcpStream,
    id: i32,
    doc: &Document,
    wire: i64,
    t: Duration,
) -> Result<Document, String> {
    let deadline = tokio::time::Instant::now() + t;
    let raw = exchange(
        s,
        &mongo_command(id, "admin", doc, wire),
        deadline,
        mongo_complete,
    )
    .await;
    parse_reply(&raw).ok_or_else(|| "no reply document".to_string())
}

/// `n=` user name of SCRAM (RFC 5802 5.1: `=` and `,` escaped).
fn sasl_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

fn refused(doc: &Document) -> MongoLogin {
    match doc.get_i64("code") {
        // AuthenticationFailed, MechanismUnavailable for this user, UserNotFound.
        Some(18) | Some(334) | Some(11) => MongoLogin::Rejected,
        other => MongoLogin::Unusable(format!(
            "error {} {}",
            other.unwrap_or(0),
            doc.get_str("errmsg").unwrap_or("")
        )),
    }
}

/// Try one user and password with SCRAM-SHA-256 on the `admin` database.
pub async fn login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> MongoLogin {
    let (mut s, wire) = match session(addr, t).await {
        Ok(x) => x,
        Err(why) => return MongoLogin::Unusable(why),
    };
    if wire < WIRE_VERSION_SCRAM_SHA256 {
        return MongoLogin::Unusable(format!(
            "maxWireVersion {wire}: SCRAM-SHA-256 needs MongoDB 4.0"
        ));
    }
    use rand::Rng;
    let nonce: String = {
        use base64::Engine as _;
        let bytes: [u8; 18] = rand::thread_rng().gen();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let bare = format!("n={},r={nonce}", sasl_name(user));
    let start = Document::new()
        .with("saslStart", 1)
        .with("mechanism", "SCRAM-SHA-256")
        .with(
            "payload",
            Value::Binary(0, format!("n,,{bare}").into_bytes()),
        )
        .with("autoAuthorize", 1)
        .with("options", Document::new().with("skipEmptyExchange", true));
    let first = match command(&mut s, 2, &start, wire, t).await {
        Ok(d) => d,
        Err(why) => return MongoLogin::Unusable(why),
    };
    if !first.is_ok() {
        return refused(&first);
    }
    let (Some(conversation), Some(server_first)) = (
        first.get("conversationId").cloned(),
        first
            .get_binary("payload")
            .map(|p| String::from_utf8_lossy(p).into_owned()),
    ) else {
        return MongoLogin::Unusable("saslStart answer without conversation".into());
    };
    let Some(client_final) = scram_client_final(pass, &bare, &server_first, &nonce) else {
        return MongoLogin::Unusable("malformed SCRAM challenge".into());
    };
    let cont = Document::new()
        .with("saslContinue", 1)
        .with("conversationId", conversation)
        .with("payload", Value::Binary(0, client_final.into_bytes()));
    match command(&mut s, 3, &cont, wire, t).await {
        Ok(d) if d.is_ok() => MongoLogin::Ok("saslContinue answered ok: 1 (SCRAM-SHA-256)".into()),
        Ok(d) => refused(&d),
        Err(why) => MongoLogin::Unusable(why),
    }
}

/// Database names a server lists to anyone (access control off), or `None` when it asks
/// for authentication or is not MongoDB.
pub async fn open_databases(addr: SocketAddr, t: Duration) -> Option<Vec<String>> {
    let (mut s, wire) = session(addr, t).await.ok()?;
    let doc = Document::new()
        .with("listDatabases", 1)
        .with("nameOnly", true);
    let reply = command(&mut s, 2, &doc, wire, t).await.ok()?;
    if !reply.is_ok() {
        return None;
    }
    let names = reply
        .get_array("databases")?
        .iter()
        .filter_map(|d| match d {
            Value::Doc(d) => d.get_str("name").map(str::to_string),
            _ => None,
        })
        .collect();
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        assert_eq!(sasl_name("a=b,c"), "a=3Db=2Cc");
    }

    #[test]
    fn refusals() {
        let d = |code: i32| {
            Document::new()
                .with("ok", 0.0)
                .with("code", code)
                .with("errmsg", "x")
        };
        assert_eq!(refused(&d(18)), MongoLogin::Rejected);
        assert!(matches!(refused(&d(13)), MongoLogin::Unusable(_)));
    }
}
