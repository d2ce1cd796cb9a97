//! SSH user authentication as a client (RFC 4252) over `russh`: the methods a server offers
//! (asked with method `none`, so no secret is sent) and password logins. Used by the
//! weak-password check and the `ssh_password_auth` configuration risk; it never opens a
//! channel, so nothing runs on the server even when a password works.

use crate::service::connect;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why a connection could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// No TCP connection.
    #[error("connection failed")]
    Connect,
    /// The handshake (version exchange, key exchange) did not finish in time.
    #[error("timed out")]
    Timeout,
    /// The server broke the protocol or no algorithms were in common.
    #[error("ssh: {0}")]
    Protocol(String),
}

/// What the server answered to one authentication request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshAuth {
    /// `SSH_MSG_USERAUTH_SUCCESS`.
    Accepted,
    /// `SSH_MSG_USERAUTH_FAILURE`, with the methods that can continue.
    Rejected(Vec<String>),
    /// The connection ended or the server did not answer in time (for example after
    /// `MaxAuthTries` failures): nothing was learnt.
    Closed,
}

/// The client side of the handshake. Host keys are not judged: the scanner sends no secret
/// of anyone's, only dictionary passwords, and judges the server instead.
struct Client;

impl russh::client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Client identification, the same as the configuration-risk probe's.
const CLIENT_ID: &str = "SSH-2.0-Vigil_scanner";

/// One SSH connection past key exchange, ready for authentication requests.
pub struct SshConn {
    handle: russh::client::Handle<Client>,
    /// Authentication requests sent on this connection.
    pub requests: usize,
    /// The user those requests were for: OpenSSH ends a connection whose user changes.
    pub user: Option<String>,
}

impl std::fmt::Debug for SshConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshConn")
            .field("requests", &self.requests)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl SshConn {
    /// Connect and complete the key exchange within `t`.
    pub async fn open(addr: SocketAddr, t: Duration) -> Result<SshConn, SshError> {
        let stream = connect(addr, t).await.ok_or(SshError::Connect)?;
        let _ = stream.set_nodelay(true);
        let config = russh::client::Config {
            client_id: russh::SshId::Standard(CLIENT_ID.into()),
            inactivity_timeout: Some(t.max(Duration::from_secs(10))),
            ..Default::default()
        };
        let handle = tokio::time::timeout(
            t,
            russh::client::connect_stream(Arc::new(config), stream, Client),
        )
        .await
        .map_err(|_| SshError::Timeout)?
        .map_err(|e| SshError::Protocol(e.to_string()))?;
        Ok(SshConn {
            handle,
            requests: 0,
            user: None,
        })
    }

    /// Whether the server has ended the connection.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    fn answer(
        r: Result<Result<russh::client::AuthResult, russh::Error>, tokio::time::error::Elapsed>,
    ) -> SshAuth {
        match r {
            Ok(Ok(russh::client::AuthResult::Success)) => SshAuth::Accepted,
            // russh reports a connection that ended before the answer as a failure with no
            // methods; a real failure always names at least one way to continue.
            Ok(Ok(russh::client::AuthResult::Failure {
                remaining_methods, ..
            })) if !remaining_methods.is_empty() => SshAuth::Rejected(
                remaining_methods
                    .iter()
                    .map(|m| <&'static str>::from(m).to_string())
                    .collect(),
            ),
            _ => SshAuth::Closed,
        }
    }

    /// Ask with method `none`: the answer lists the methods the server offers `user`.
    pub async fn methods(&mut self, user: &str, t: Duration) -> SshAuth {
        self.requests += 1;
        self.user = Some(user.to_string());
        Self::answer(tokio::time::timeout(t, self.handle.authenticate_none(user)).await)
    }

    /// Try one password. Servers pause after a failure (and PAM for about two seconds), so
    /// the answer may take longer than `t`.
    pub async fn password(&mut self, user: &str, password: &str, t: Duration) -> SshAuth {
        self.requests += 1;
        self.user = Some(user.to_string());
        Self::answer(
            tokio::time::timeout(
                t + Duration::from_secs(4),
                self.handle.authenticate_password(user, password),
            )
            .await,
        )
    }

    /// Say goodbye.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// The authentication methods the server offers `user`, from a `none` request on a fresh
/// connection; `None` when the server could not be asked. `["none"]` means it let the user in
/// without any authentication.
pub async fn offered_methods(addr: SocketAddr, user: &str, t: Duration) -> Option<Vec<String>> {
    let mut conn = SshConn::open(addr, t).await.ok()?;
    let out = match conn.methods(user, t).await {
        SshAuth::Accepted => Some(vec!["none".to_string()]),
        SshAuth::Rejected(m) => Some(m),
        SshAuth::Closed => None,
    };
    conn.close().await;
    out
}
