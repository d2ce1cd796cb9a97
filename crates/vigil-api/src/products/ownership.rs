//! Proof that an account may scan a host, shared by the products: the operator's scope
//! (an allow rule naming it), a token file served by the host, or a DNS TXT record at
//! `_vigil-verify.<host>`. Proofs are fetched through the scope guard with the address pinned.
//!
//! What a proof covers: the operator's scope, the TXT record, and a token file served on
//! the host's default HTTP or HTTPS port (80, 443) prove the whole host (every site on it,
//! and CSIP's port, password and configuration checks). A token file served on any other
//! port proves only that site: its scheme, host and port ([`site_key`]), recorded in a
//! verification row of its own keyed by that origin.

use crate::error::ApiResult;
use crate::Services;
use vigil_engine::ScopeError;
use vigil_store::Verification;

/// How long a verification token stays valid.
const TOKEN_VALID_DAYS: i64 = 30;
/// Largest verification file read.
const MAX_PROOF_BYTES: usize = 64 * 1024;

/// A verified record whose validity ended counts as expired (2), except operator scope.
pub(crate) fn effective_status(v: &Verification) -> i64 {
    if v.verify_status == 1 && v.method != "scope" && v.valid_to < vigil_core::now_millis() {
        2
    } else {
        v.verify_status
    }
}

fn new_token() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..32)
        .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
        .collect()
}

/// The verification record of a host, created with a fresh token if there is none.
pub(crate) async fn ensure_verification(
    st: &Services,
    account_id: i64,
    host: &str,
) -> ApiResult<Verification> {
    let valid_to = st.store.now() + TOKEN_VALID_DAYS * 86_400_000;
    Ok(st
        .store
        .verification(account_id, host, &new_token(), valid_to)
        .await?)
}

/// Fetch the proof file through the scope guard (pinned address, no redirects, bounded body).
async fn proof_present(st: &Services, url: &str, token: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let Ok((client, _)) = st
        .scope
        .pinned_http_client(&u, st.config.fetch_timeout)
        .await
    else {
        return false;
    };
    let Ok(mut resp) = client.get(u).send().await else {
        return false;
    };
    if !resp.status().is_success() {
        return false;
    }
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_PROOF_BYTES {
            return false;
        }
    }
    String::from_utf8_lossy(&body).contains(token)
}

/// The key of a site-level proof: `scheme://host:port` with the port always written.
pub(crate) fn site_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port_or_known_default().unwrap_or(80);
    format!("{}://{host}:{port}", url.scheme())
}

/// Whether a file proof at `url` proves the whole host: served on the scheme's default
/// port.
pub(crate) fn proves_host(url: &url::Url) -> bool {
    url.port().is_none()
        || url.port()
            == Some(match url.scheme() {
                "https" => 443,
                _ => 80,
            })
}

/// The verification status of a site from its host's record and its own origin's record:
/// 1 when either proves it, else the host's (or the origin's expired) status.
pub(crate) fn combined_status(host: Option<&Verification>, site: Option<&Verification>) -> i64 {
    let h = host.map_or(0, effective_status);
    let s = site.map_or(0, effective_status);
    if h == 1 || s == 1 {
        1
    } else {
        h.max(s)
    }
}

/// Path of the proof file for a token.
pub(crate) fn proof_path(v: &Verification) -> String {
    format!("/vigil-verify-{}.txt", &v.token[..12.min(v.token.len())])
}

/// Whether the account may scan `host` (an address or a name): the operator's scope names
/// it, or a proof of ownership is on record or found now (token file over HTTP or HTTPS on
/// the default ports, or the TXT record). Hosts the scope denies are never authorised.
pub(crate) async fn authorised(st: &Services, account_id: i64, host: &str) -> ApiResult<bool> {
    match st.scope.resolve(host, 0).await {
        Ok(p) if p.trusted => return Ok(true),
        Ok(_) | Err(ScopeError::Unresolvable(_)) => {}
        Err(ScopeError::Denied { .. } | ScopeError::Internal { .. }) => return Ok(false),
    }
    let v = ensure_verification(st, account_id, host).await?;
    if effective_status(&v) == 1 {
        return Ok(true);
    }
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let urls: Vec<String> = ["http", "https"]
        .iter()
        .map(|scheme| format!("{scheme}://{bracketed}{}", proof_path(&v)))
        .collect();
    if let Some(method) = find_proof(st, host, &urls, &v).await {
        st.store.set_verified(account_id, host, 1, method).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Which proof of ownership of `host` is in place: the token file at one of `urls` (`file`),
/// else, for host names, the TXT record at `_vigil-verify.<host>` (`dns`).
pub(crate) async fn find_proof(
    st: &Services,
    host: &str,
    urls: &[String],
    v: &Verification,
) -> Option<&'static str> {
    for url in urls {
        if proof_present(st, url, &v.token).await {
            return Some("file");
        }
    }
    if host.parse::<std::net::IpAddr>().is_err() {
        let txt = st.dns.txt(&format!("_vigil-verify.{host}")).await;
        if txt.iter().any(|t| t.trim() == v.token) {
            return Some("dns");
        }
    }
    None
}
