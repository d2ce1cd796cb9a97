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

pub use vigil_core::spec::net::WeakPassOptions;

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

/// A login attempt of one protocol (`sessions` keeps SSH connections between attempts).
type Login = for<'a> fn(
    &'a mut Sessions,
    SocketAddr,
    &'a str,
    &'a str,
    &'a str,
    Duration,
) -> futures::future::BoxFuture<'a, Attempt>;

/// How a protocol's candidate accounts are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Users {
    /// The task's users and the built-in dictionary, each also tried as its own password.
    Dictionary,
    /// Only these accounts (Redis's legacy `default`).
    Only(&'static [&'static str]),
    /// No user names: the protocol has a password only (VNC).
    PasswordOnly,
}

/// What is asked of the server before any password is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precheck {
    /// Nothing.
    None,
    /// The site must answer `401` with a Basic challenge (plain HTTP only).
    BasicChallenge,
    /// The VNC security types: `None` is a hit, no `VNC Authentication` means nothing to try.
    VncSecurityTypes,
    /// The SSH methods offered to user `none`: success is a hit, no `password` nothing to try.
    SshMethods,
}

/// One login protocol of the weak-password item: the detected service it logs into, the
/// family `skip_services` names it by, how candidates are drawn, the account a random
/// password is first tried on, an attempt budget below the task's, and the login itself.
/// Adding a protocol is a login module and one entry in [`AUTHENTICATORS`].
struct Authenticator {
    /// Service name from detection.
    service: &'static str,
    /// Protocol name in findings.
    kind: &'static str,
    /// Candidate accounts.
    users: Users,
    /// The account a random password is tried on (besides the task's users).
    usual_user: &'static str,
    /// Most attempts, when the protocol is slower than the task's budget allows.
    budget: Option<usize>,
    /// Asked before any password.
    precheck: Precheck,
    /// One attempt.
    login: Login,
}

/// Every weak-password protocol.
static AUTHENTICATORS: [Authenticator; 10] = [
    Authenticator {
        service: "redis",
        kind: "redis",
        // Redis before 6 has only a password; 6+ also has ACL users ("default" is the
        // legacy one).
        users: Users::Only(&["default"]),
        usual_user: "",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(redis_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "http",
        kind: "http-basic",
        users: Users::Dictionary,
        usual_user: "admin",
        budget: None,
        precheck: Precheck::BasicChallenge,
        login: |_, addr, host, user, pass, t| Box::pin(http_basic_login(addr, host, user, pass, t)),
    },
    Authenticator {
        service: "postgresql",
        kind: "postgresql",
        users: Users::Dictionary,
        usual_user: "postgres",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(pg_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "ftp",
        kind: "ftp",
        users: Users::Dictionary,
        usual_user: "admin",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(ftp_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "ssh",
        kind: "ssh",
        users: Users::Dictionary,
        usual_user: "root",
        budget: None,
        precheck: Precheck::SshMethods,
        // Key exchange and PAM take a while on a loaded or slow server (reverse DNS with
        // UseDNS): a timeout that cuts a login short proves nothing.
        login: |sessions, addr, _, user, pass, t| {
            Box::pin(ssh_login(
                sessions,
                addr,
                user,
                pass,
                t.max(SSH_LOGIN_TIMEOUT),
            ))
        },
    },
    Authenticator {
        service: "mysql",
        kind: "mysql",
        users: Users::Dictionary,
        usual_user: "root",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(mysql_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "telnet",
        kind: "telnet",
        users: Users::Dictionary,
        usual_user: "root",
        // A failed Unix login costs about three seconds: fewer tries on telnet.
        budget: Some(TELNET_BUDGET),
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(telnet_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "smtp",
        kind: "smtp",
        users: Users::Dictionary,
        usual_user: "admin",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, host, user, pass, t| Box::pin(smtp_login(addr, host, user, pass, t)),
    },
    Authenticator {
        service: "mongodb",
        kind: "mongodb",
        users: Users::Dictionary,
        usual_user: "admin",
        budget: None,
        precheck: Precheck::None,
        login: |_, addr, _, user, pass, t| Box::pin(mongo_login(addr, user, pass, t)),
    },
    Authenticator {
        service: "vnc",
        kind: "vnc",
        users: Users::PasswordOnly,
        usual_user: "",
        budget: None,
        precheck: Precheck::VncSecurityTypes,
        login: |_, addr, _, _, pass, t| Box::pin(vnc_login(addr, pass, t)),
    },
];

async fn pg_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    match crate::pgauth::login(addr, user, pass, t).await {
        crate::pgauth::PgLogin::Ok => Attempt::Success("AuthenticationOk".into()),
        crate::pgauth::PgLogin::Rejected => Attempt::Failure,
        crate::pgauth::PgLogin::Unusable(_) => Attempt::Stop,
    }
}

async fn telnet_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    match crate::telnetauth::login(addr, user, pass, t).await {
        TelnetLogin::Ok(proof) => Attempt::Success(proof),
        TelnetLogin::Rejected => Attempt::Failure,
        TelnetLogin::Unclear(what) => {
            tracing::debug!(%addr, user, what, "telnet login unclear");
            Attempt::Inconclusive
        }
        TelnetLogin::Unusable(_) => Attempt::Stop,
    }
}

async fn smtp_login(addr: SocketAddr, host: &str, user: &str, pass: &str, t: Duration) -> Attempt {
    match crate::smtpauth::login(addr, host, false, user, pass, t).await {
        SmtpLogin::Ok(proof) => Attempt::Success(proof),
        SmtpLogin::Rejected => Attempt::Failure,
        SmtpLogin::NoAuth(_) | SmtpLogin::Unusable(_) => Attempt::Stop,
    }
}

async fn mongo_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    match crate::mongoauth::login(addr, user, pass, t).await {
        MongoLogin::Ok(proof) => Attempt::Success(proof),
        MongoLogin::Rejected => Attempt::Failure,
        MongoLogin::Unusable(why) => {
            tracing::debug!(%addr, user, why, "mongodb login unusable");
            Attempt::Stop
        }
    }
}

async fn vnc_login(addr: SocketAddr, pass: &str, t: Duration) -> Attempt {
    match crate::vncauth::login(addr, pass, t).await {
        VncLogin::Ok(proof) => Attempt::Success(proof),
        VncLogin::Rejected => Attempt::Failure,
        VncLogin::NoPassword(_) | VncLogin::Unusable(_) => Attempt::Stop,
    }
}

async fn mysql_login(addr: SocketAddr, user: &str, pass: &str, t: Duration) -> Attempt {
    match crate::mysqlauth::login(addr, user, pass, t).await {
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
    let Some(auth) = AUTHENTICATORS.iter().find(|a| a.service == svc.name) else {
        return Ok(done(Vec::new()));
    };
    if auth.precheck == Precheck::BasicChallenge && (svc.tls || !wants_basic(addr, host, t).await) {
        return Ok(done(Vec::new()));
    }
    let kind = auth.kind;
    let pairs = match auth.users {
        Users::Dictionary => candidates(opts, USERS, true),
        Users::Only(users) => candidates(opts, users, false),
        Users::PasswordOnly => candidates(opts, &[], false),
    };
    let capped;
    let opts = match auth.budget {
        Some(budget) if opts.max_attempts > budget => {
            capped = WeakPassOptions {
                max_attempts: budget,
                ..opts.clone()
            };
            &capped
        }
        _ => opts,
    };
    if auth.precheck == Precheck::VncSecurityTypes {
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
    if auth.precheck == Precheck::SshMethods {
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
        auth,
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
    auth: &Authenticator,
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
    let kind = auth.kind;
    let mut users: Vec<&str> = match auth.users {
        Users::Dictionary => opts.users.iter().map(String::as_str).collect(),
        Users::Only(_) | Users::PasswordOnly => Vec::new(),
    };
    users.push(auth.usual_user);
    users.dedup();
    for user in users {
        ctx.check_cancelled()?;
        if let Attempt::Success(proof) =
            (auth.login)(sessions, addr, host, user, &nonsense, t).await
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
        let outcome = (auth.login)(sessions, addr, host, user, pass, t).await;
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
    fn every_service_a_task_may_skip_has_one_authenticator() {
        for family in vigil_core::spec::net::WeakpassService::ALL {
            let n = AUTHENTICATORS
                .iter()
                .filter(|a| a.service == family.as_str())
                .count();
            assert_eq!(n, 1, "{family:?}");
        }
        assert_eq!(
            AUTHENTICATORS.len(),
            vigil_core::spec::net::WeakpassService::ALL.len()
        );
    }

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
