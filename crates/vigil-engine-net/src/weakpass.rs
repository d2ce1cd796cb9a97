//! Weak passwords: logs in with built-in dictionaries (common user names, common passwords,
//! vendor defaults) plus the task's own lists, through each protocol's real authentication.
//! Safe by default: one attempt at a time per service, a pause between attempts, an overall
//! attempt budget, and a user is not tried again once a password worked. Findings carry the
//! service, the user and a masked password. Protocols so far: Redis (AUTH), HTTP Basic,
//! PostgreSQL (cleartext and SCRAM-SHA-256), FTP, SSH (password authentication, several tries
//! per connection below the server's `MaxAuthTries`, only where the server offers passwords)
//! MySQL/MariaDB (`mysql_native_password`, `caching_sha2_password` fast authentication),
//! MongoDB (SCRAM-SHA-256), SMTP AUTH (PLAIN or LOGIN, after STARTTLS where needed), telnet (a Unix `login:`
//! dialogue) and VNC (VNC Authentication; a server that asks for no
//! password at all is reported as such).

use crate::mongoauth::MongoLogin;
use crate::mysqlauth::MyLogin;
use crate::service::{ask_until, connect, http_get_request, read_all, ServiceInfo};
use crate::smtpauth::SmtpLogin;
use crate::sshauth::{offered_methods, SshAuth, SshConn};
use crate::telnetauth::TelnetLogin;
use crate::vncauth::VncLogin;
use base64::Engine as _;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use vigil_engine::{EngineError, ScanCtx};

/// Common user names tried on services that have users.
pub const USERS: &[&str] = &[
    "root",
    "admin",
    "administrator",
    "test",
    "guest",
    "user",
    "postgres",
    "mysql",
    "ftp",
    "oracle",
];
/// Common passwords (and the empty one), most common first.
pub const PASSWORDS: &[&str] = &[
    "",
    "123456",
    "password",
    "12345678",
    "qwerty",
    "123456789",
    "12345",
    "1234",
    "111111",
    "1234567",
    "123123",
    "admin",
    "root",
    "toor",
    "test",
    "guest",
    "password1",
    "P@ssw0rd",
    "admin123",
    "root123",
    "changeme",
    "letmein",
    "welcome",
    "abc123",
    "qwerty123",
    "1q2w3e4r",
    "000000",
    "iloveyou",
    "redis",
    "postgres",
    "mysql",
];
/// Vendor default (user, password) pairs tried first.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("root", "root"),
    ("postgres", "postgres"),
    ("tomcat", "tomcat"),
    ("admin", "password"),
    ("guest", "guest"),
    ("test", "test"),
    ("user", "user"),
    ("elastic", "changeme"),
    ("kibana", "changeme"),
];

/// The task's settings (`TaskAdvanceCFG.WeakPwdRisk` maps onto these).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeakPassOptions {
    /// Extra user names, tried before the built-in ones.
    #[serde(default)]
    pub users: Vec<String>,
    /// Extra passwords, tried before the built-in ones.
    #[serde(default)]
    pub passwords: Vec<String>,
    /// Most login attempts per service.
    #[serde(default = "default_budget")]
    pub max_attempts: usize,
    /// Pause between attempts on one service, in milliseconds.
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
}

fn default_budget() -> usize {
    400
}
fn default_delay() -> u64 {
    20
}

impl Default for WeakPassOptions {
    fn default() -> Self {
        WeakPassOptions {
            users: vec![],
            passwords: vec![],
            max_attempts: default_budget(),
            delay_ms: default_delay(),
        }
    }
}

/// A password that worked.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Protocol.
    pub service: String,
    /// User name (empty where the protocol has none).
    pub user: String,
    /// The password, masked.
    pub masked: String,
    /// What the server answered to the successful login.
    pub proof: String,
}

/// A password as findings show it: the workspace's masking policy ([`vigil_core::mask`]: at
/// most the first four characters, never more than a quarter), and `(empty)` for the empty
/// password, which is the weakness itself and reveals nothing more.
pub fn mask(p: &str) -> String {
    if p.is_empty() {
        "(empty)".into()
    } else {
        vigil_core::mask(p)
    }
}

/// Candidate (user, password) pairs in trying order, without repeats.
pub fn candidates(
    opts: &WeakPassOptions,
    users: &[&str],
    with_users: bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |u: &str, p: &str| {
        let pair = (
            if with_users {
                u.to_string()
            } else {
                String::new()
            },
            p.to_string(),
        );
        if !out.contains(&pair) {
            out.push(pair);
        }
    };
    let user_list: Vec<String> = opts
        .users
        .iter()
        .cloned()
        .chain(users.iter().map(|s| s.to_string()))
        .collect();
    let pass_list: Vec<String> = opts
        .passwords
        .iter()
        .cloned()
        .chain(PASSWORDS.iter().map(|s| s.to_string()))
        .collect();
    if with_users {
        // Users the task names are the likeliest real accounts: every password for them first.
        for u in &opts.users {
            for p in &pass_list {
                push(u, p);
            }
        }
        for (u, p) in DEFAULTS {
            if user_list.iter().any(|x| x == u) {
                push(u, p);
            }
        }
        for p in &pass_list {
            for u in &user_list {
                push(u, p);
            }
        }
    } else {
        for p in &pass_list {
            push("", p);
        }
    }
    out
}

/// Result of one login attempt.
enum Attempt {
    Success(String),
    Failure,
    /// Neither proven nor refused (a MySQL account the client cannot check): not a hit.
    Inconclusive,
    /// The service refused further attempts or is not what was expected: stop.
    Stop,
}

/// Connections kept between attempts (SSH takes several tries per connection).
struct Sessions {
    ssh: Option<SshConn>,
    /// Password tries per SSH connection, lowered when the server cuts connections sooner.
    ssh_tries: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            ssh: None,
            ssh_tries: SSH_TRIES_PER_CONNECTION,
        }
    }
}

impl Sessions {
    async fn close(&mut self) {
        if let Some(c) = self.ssh.take() {
            c.close().await;
        }
    }
}

/// Least time allowed for one SSH login attempt.
const SSH_LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Most telnet logins tried per service, whatever the task's budget.
pub const TELNET_BUDGET: usize = 40;

/// Password tries per SSH connection (all for one user: OpenSSH ends a connection whose user
/// changes): below OpenSSH's default `MaxAuthTries` (6) and the common hardened value (3), so
/// the server never has to cut the connection.
pub const SSH_TRIES_PER_CONNECTION: usize = 3;

async fn ssh_login(
    sessions: &mut Sessions,
    addr: SocketAddr,
    user: &str,
    pass: &str,
    t: Duration,
) -> Attempt {
    // A connection the server ended (a lower MaxAuthTries, LoginGraceTime) teaches nothing:
    // the same pair is tried once more on a fresh one.
    for _ in 0..2 {
        let reuse = sessions.ssh.as_ref().is_some_and(|c| {
            c.requests < sessions.ssh_tries
                && !c.is_closed()
                && c.user.as_deref().is_none_or(|u| u == user)
        });
        if !reuse {
            sessions.close().await;
            match SshConn::open(addr, t).await {
                Ok(c) => sessions.ssh = Some(c),
                Err(e) => {
                    tracing::debug!(%addr, error = %e, "ssh connection failed");
                    return Attempt::Stop;
                }
            }
        }
        let Some(conn) = sessions.ssh.as_mut() else {
            return Attempt::Stop;
        };
        match conn.password(user, pass, t).await {
            SshAuth::Accepted => {
                // The session is logged in; the next user needs a new one.
                sessions.close().await;
                return Attempt::Success(format!(
                    "SSH_MSG_USERAUTH_SUCCESS: password authentication accepted for user `{user}`"
                ));
            }
            SshAuth::Rejected(_) => return Attempt::Failure,
            SshAuth::Closed => {
                // Cut after `requests - 1` answered tries: stay below that from now on.
                if conn.requests > 1 {
                    sessions.ssh_tries = sessions.ssh_tries.min(conn.requests - 1);
                }
                sessions.close().await;
            }
        }
    }
    Attempt::Stop
}

async fn redis_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    let cmd = if user.is_empty() {
        format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{pass}\r\n", pass.len())
    } else {
        format!(
            "*3\r\n$4\r\nAUTH\r\n${}\r\n{user}\r\n${}\r\n{pass}\r\n",
            user.len(),
            pass.len()
        )
    };
    let ans = ask_until(addr, cmd.as_bytes(), t, |b| b.ends_with(b"\r\n")).await;
    if ans.starts_with(b"+OK") {
        Attempt::Success("+OK".into())
    } else if ans.starts_with(b"-WRONGPASS") || ans.starts_with(b"-ERR invalid password") {
        Attempt::Failure
    } else {
        Attempt::Stop
    }
}

/// Status code of an HTTP response.
fn status(raw: &[u8]) -> u16 {
    std::str::from_utf8(raw.get(9..12).unwrap_or(b"000"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn http_basic_login(
    addr: SocketAddr,
    host: &str,
    user: &str,
    pass: &str,
    t: Duration,
) -> Attempt {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let mut req = http_get_request(host, "/");
    req.truncate(req.len() - 2);
    req.extend_from_slice(format!("Authorization: Basic {token}\r\n\r\n").as_bytes());
    let Some(mut s) = connect(addr, t).await else {
        return Attempt::Stop;
    };
    if s.write_all(&req).await.is_err() {
        return Attempt::Stop;
    }
    let raw = read_all(&mut s, t).await;
    match status(&raw) {
        200..=399 => Attempt::Success(
            String::from_utf8_lossy(&raw[..raw.len().min(60)])
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        ),
        401 | 403 => Attempt::Failure,
        _ => Attempt::Stop,
    }
}

/// Whether `GET /` asks for HTTP Basic credentials.
async fn wants_basic(addr: SocketAddr, host: &str, t: Duration) -> bool {
    let Some(mut s) = connect(addr, t).await else {
        return false;
    };
    if s.write_all(&http_get_request(host, "/")).await.is_err() {
        return false;
    }
    let raw = read_all(&mut s, t).await;
    let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    status(&raw) == 401 && text.contains("www-authenticate: basic")
}

async fn attempt(
    sessions: &mut Sessions,
    kind: &str,
    addr: SocketAddr,
    host: &str,
    user: &str,
    pass: &str,
    t: Duration,
) -> Attempt {
    match kind {
        "redis" => redis_login(addr, user, pass, t).await,
        "postgresql" => match crate::pgauth::login(addr, user, pass, t).await {
            crate::pgauth::PgLogin::Ok => Attempt::Success("AuthenticationOk".into()),
            crate::pgauth::PgLogin::Rejected => Attempt::Failure,
            crate::pgauth::PgLogin::Unusable(_) => Attempt::Stop,
        },
        "ftp" => ftp_login(addr, user, pass, t).await,
        // Key exchange and PAM take a while on a loaded or slow server (reverse DNS with
        // UseDNS): a timeout that cuts a login short proves nothing.
        "ssh" => ssh_login(sessions, addr, user, pass, t.max(SSH_LOGIN_TIMEOUT)).await,
        "telnet" => match crate::telnetauth::login(addr, user, pass, t).await {
            TelnetLogin::Ok(proof) => Attempt::Success(proof),
            TelnetLogin::Rejected => Attempt::Failure,
            TelnetLogin::Unclear(what) => {
                tracing::debug!(%addr, user, what, "telnet login unclear");
                Attempt::Inconclusive
            }
            TelnetLogin::Unusable(_) => Attempt::Stop,
        },
        "smtp" => match crate::smtpauth::login(addr, host, false, user, pass, t).await {
            SmtpLogin::Ok(proof) => Attempt::Success(proof),
            SmtpLogin::Rejected => Attempt::Failure,
            SmtpLogin::NoAuth(_) | SmtpLogin::Unusable(_) => Attempt::Stop,
        },
        "mongodb" => match crate::mongoauth::login(addr, user, pass, t).await {
            MongoLogin::Ok(proof) => Attempt::Success(proof),
            MongoLogin::Rejected => Attempt::Failure,
            MongoLogin::Unusable(why) => {
                tracing::debug!(%addr, user, why, "mongodb login unusable");
                Attempt::Stop
            }
        },
        "vnc" => match crate::vncauth::login(addr, pass, t).await {
            VncLogin::Ok(proof) => Attempt::Success(proof),
            VncLogin::Rejected => Attempt::Failure,
            VncLogin::NoPassword(_) | VncLogin::Unusable(_) => Attempt::Stop,
        },
        "mysql" => match crate::mysqlauth::login(addr, user, pass, t).await {
            MyLogin::Ok(proof) => Attempt::Success(proof),
            MyLogin::Rejected => Attempt::Failure,
            MyLogin::Unverifiable(why) => {
                tracing::debug!(%addr, user, why, "mysql login not verifiable");
                Attempt::Inconclusive
            }
            MyLogin::Unusable(why) => {
                tracing::debug!(%addr, user, why, "mysql login unusable");
                Attempt::Stop
            }
        },
        _ => http_basic_login(addr, host, user, pass, t).await,
    }
}

async fn ftp_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    use crate::service::read_some;
    let Some(mut s) = connect(addr, t).await else {
        return Attempt::Stop;
    };
    if !read_some(&mut s, t).await.starts_with(b"220") {
        return Attempt::Stop;
    }
    if s.write_all(format!("USER {user}\r\n").as_bytes())
        .await
        .is_err()
    {
        return Attempt::Stop;
    }
    let reply = read_some(&mut s, t).await;
    if reply.starts_with(b"230") {
        return Attempt::Success(String::from_utf8_lossy(&reply).trim().to_string());
    }
    if !reply.starts_with(b"331") {
        return Attempt::Failure;
    }
    if s.write_all(format!("PASS {pass}\r\n").as_bytes())
        .await
        .is_err()
    {
        return Attempt::Stop;
    }
    // Servers pause after a failed login (vsftpd: 1 s); wait for the answer.
    let reply = read_some(&mut s, t + Duration::from_secs(2)).await;
    let _ = s.write_all(b"QUIT\r\n").await;
    if reply.starts_with(b"230") {
        Attempt::Success(String::from_utf8_lossy(&reply).trim().to_string())
    } else if reply.starts_with(b"530") {
        Attempt::Failure
    } else {
        Attempt::Stop
    }
}

/// What the password check of one service found, and whether it tried everything it meant to.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Logins that worked.
    pub hits: Vec<Hit>,
    /// Every candidate got a clear answer (or the service takes no passwords): an account
    /// with a weak password that is not among `hits` has none now. False when the attempt
    /// budget ran out, a server stopped answering or an answer was unclear.
    pub complete: bool,
}

/// Try logins on one service; no hits when it has no weak password or is not supported.
pub async fn check(
    ctx: &ScanCtx,
    addr: SocketAddr,
    host: &str,
    svc: &ServiceInfo,
    opts: &WeakPassOptions,
    t: Duration,
) -> Result<Outcome, EngineError> {
    let done = |hits| Outcome {
        hits,
        complete: true,
    };
    let (pairs, kind) = match svc.name.as_str() {
        // Redis before 6 has only a password; 6+ also has ACL users ("default" is the legacy one).
        "redis" => (candidates(opts, &["default"], false), "redis"),
        "http" if !svc.tls && wants_basic(addr, host, t).await => {
            (candidates(opts, USERS, true), "http-basic")
        }
        "postgresql" => (candidates(opts, USERS, true), "postgresql"),
        "ftp" => (candidates(opts, USERS, true), "ftp"),
        "ssh" => (candidates(opts, USERS, true), "ssh"),
        "mysql" => (candidates(opts, USERS, true), "mysql"),
        "telnet" => (candidates(opts, USERS, true), "telnet"),
        "smtp" => (candidates(opts, USERS, true), "smtp"),
        "mongodb" => (candidates(opts, USERS, true), "mongodb"),
        "vnc" => (candidates(opts, &[], false), "vnc"),
        _ => return Ok(done(Vec::new())),
    };
    // A failed Unix login costs about three seconds: fewer tries on telnet.
    let capped;
    let opts = if kind == "telnet" && opts.max_attempts > TELNET_BUDGET {
        capped = WeakPassOptions {
            max_attempts: TELNET_BUDGET,
            ..opts.clone()
        };
        &capped
    } else {
        opts
    };
    if kind == "vnc" {
        match crate::vncauth::offered(addr, t).await {
            Ok(types) if types.contains(&crate::vncauth::SECURITY_NONE) => {
                return Ok(done(vec![Hit {
                    service: kind.to_string(),
                    user: String::new(),
                    masked: "(no authentication)".into(),
                    proof: "the server offers security type None: anyone may connect".into(),
                }]));
            }
            Ok(types) if types.contains(&crate::vncauth::SECURITY_VNC_AUTH) => {}
            // Only other types (e.g. VeNCrypt with certificates): no VNC password to guess.
            Ok(_) => return Ok(done(Vec::new())),
            Err(why) => {
                tracing::debug!(%addr, why, "vnc security types not readable");
                return Ok(Outcome::default());
            }
        }
    }
    let mut hits: Vec<Hit> = Vec::new();
    if kind == "ssh" {
        // Only where the server takes passwords (asked with method `none`, no secret sent).
        let probe_user = opts.users.first().map(String::as_str).unwrap_or("root");
        match offered_methods(addr, probe_user, t).await {
            Some(m) if m.iter().any(|x| x == "none") => {
                return Ok(done(vec![Hit {
                    service: kind.to_string(),
                    user: probe_user.to_string(),
                    masked: "(no authentication)".into(),
                    proof: format!(
                        "SSH_MSG_USERAUTH_SUCCESS for method `none`: user `{probe_user}` needs no password"
                    ),
                }]));
            }
            Some(m) if m.iter().any(|x| x == "password") => {}
            // Passwords are not offered: none can be weak.
            Some(_) => return Ok(done(hits)),
            None => return Ok(Outcome::default()),
        }
    }
    let mut sessions = Sessions::default();
    let found = try_pairs(
        ctx,
        addr,
        host,
        kind,
        &pairs,
        opts,
        t,
        &mut sessions,
        &mut hits,
    )
    .await;
    sessions.close().await;
    let complete = found?;
    Ok(Outcome { hits, complete })
}

/// The any-password probe, then the dictionary; hits go to `hits`. True when every candidate
/// got a clear answer.
#[allow(clippy::too_many_arguments)]
async fn try_pairs(
    ctx: &ScanCtx,
    addr: SocketAddr,
    host: &str,
    kind: &str,
    pairs: &[(String, String)],
    opts: &WeakPassOptions,
    t: Duration,
    sessions: &mut Sessions,
    hits: &mut Vec<Hit>,
) -> Result<bool, EngineError> {
    // A service that takes a random password takes any: that is no authentication at all,
    // reported once per user instead of as a dictionary hit.
    let nonsense = format!("vigil-{:016x}", rand::random::<u64>());
    // Probed with: the task's users and the service's usual administrator.
    let usual = match kind {
        "postgresql" => "postgres",
        "ssh" | "mysql" | "telnet" => "root",
        "redis" | "vnc" => "",
        _ => "admin",
    };
    let mut users: Vec<&str> = opts.users.iter().map(String::as_str).collect();
    if kind == "redis" || kind == "vnc" {
        users.clear();
    }
    users.push(usual);
    users.dedup();
    for user in users {
        ctx.check_cancelled()?;
        if let Attempt::Success(proof) =
            attempt(sessions, kind, addr, host, user, &nonsense, t).await
        {
            hits.push(Hit {
                service: kind.to_string(),
                user: user.to_string(),
                masked: "(any password)".into(),
                proof,
            });
        }
    }
    if !hits.is_empty() {
        return Ok(true);
    }
    let mut complete = true;
    for (attempts, (user, pass)) in pairs.iter().enumerate() {
        ctx.check_cancelled()?;
        if attempts >= opts.max_attempts {
            complete = false;
            break;
        }
        if hits.iter().any(|h| &h.user == user) {
            continue;
        }
        ctx.rate.acquire().await;
        let outcome = attempt(sessions, kind, addr, host, user, pass, t).await;
        match outcome {
            Attempt::Success(proof) => {
                hits.push(Hit {
                    service: kind.to_string(),
                    user: user.clone(),
                    masked: mask(pass),
                    proof,
                });
                // Password-only services have one account.
                if user.is_empty() {
                    break;
                }
            }
            Attempt::Failure => {}
            Attempt::Inconclusive => complete = false,
            Attempt::Stop => {
                complete = false;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(opts.delay_ms)).await;
    }
    Ok(complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_never_reveals_short_passwords() {
        // The one policy: no more than a quarter, never the last character (`1***6` showed a
        // third of a six-character password).
        assert_eq!(mask(""), "(empty)");
        assert_eq!(mask("abc"), "****");
        assert_eq!(mask("123456"), "1****");
        assert_eq!(mask("пароль1"), "п****");
    }

    #[test]
    fn candidate_order_and_custom_lists() {
        let opts = WeakPassOptions {
            users: vec!["ops".into()],
            passwords: vec!["Winter2026!".into()],
            ..Default::default()
        };
        let c = candidates(&opts, USERS, true);
        assert_eq!(
            c[0],
            ("ops".to_string(), "Winter2026!".to_string()),
            "custom pairs first"
        );
        let pos = |u: &str, p: &str| {
            c.iter()
                .position(|x| x == &(u.to_string(), p.to_string()))
                .unwrap()
        };
        // The named user meets every password before any built-in user is tried...
        let ops_last = c.iter().rposition(|(u, _)| u == "ops").unwrap();
        assert_eq!(
            ops_last,
            PASSWORDS.len(),
            "custom password plus the built-in list"
        );
        // ...then vendor defaults come before the built-in user x password sweep.
        assert_eq!(pos("admin", "admin"), ops_last + 1, "vendor defaults next");
        assert!(pos("admin", "admin") < pos("root", ""));
        let mut seen = c.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), c.len(), "no repeats");
        let p = candidates(&WeakPassOptions::default(), &["default"], false);
        assert!(p.iter().all(|(u, _)| u.is_empty()));
        assert_eq!(p[1].1, "123456");
    }
}
