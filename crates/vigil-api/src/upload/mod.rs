//! Files uploaded beside the cloud actions (which have no upload): image archives into the
//! TCSS inventory (`PUT /upload/tcss/images`, [`images`]) and Android packages for MS scans
//! (`PUT /upload/ms/apps`, [`apps`]), Vigil extensions.
//!
//! Both are received the same way ([`receive`]): the request is signed with TC3-HMAC-SHA256
//! for the product's service like any API call, with the body's SHA-256 in
//! `X-TC-Content-SHA256` (`UNSIGNED-PAYLOAD` is refused); the signature is checked before the
//! body is read, the body is streamed to a temporary file in the account's upload directory
//! while it is hashed and counted (at most `max_bytes`, the account's total bounded, one
//! upload per account and four in all at a time, an idle and an overall deadline), and only a
//! body whose hash is the signed one is kept, under its hash. Answers are the usual envelope.

pub mod apps;
pub mod images;

pub use images::{upload_image, ImageImporter};

use crate::dialect::tencent::{verify_tc3, TENCENT};
use crate::error::{ApiError, Code};
use crate::{sign, AppState, RequestCtx};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// Where uploads go and how big they may be.
pub struct Uploads {
    /// Directory of uploads (`<dir>/<app_id>/<sha256>.tar`, `<sha256>.apk`); workers read
    /// them, so several processes need it shared.
    pub dir: PathBuf,
    /// Largest accepted upload in bytes.
    pub max_bytes: u64,
    /// Bytes of uploads an account may keep (default four uploads' worth).
    pub max_account_bytes: u64,
    /// The reader of image archives.
    pub importer: Arc<dyn ImageImporter>,
    /// Uploads in progress at once, over all accounts (each holds a file and a thread).
    pub slots: Arc<tokio::sync::Semaphore>,
    /// Accounts with an upload in progress: one at a time per account, so one tenant cannot
    /// hold every slot.
    busy: Mutex<HashSet<i64>>,
}

impl Uploads {
    /// Uploads into `dir`, at most `max_bytes` each and four uploads' worth per account, four
    /// at a time and one per account.
    pub fn new(dir: PathBuf, max_bytes: u64, importer: Arc<dyn ImageImporter>) -> Self {
        Uploads {
            dir,
            max_bytes,
            max_account_bytes: max_bytes.saturating_mul(4),
            importer,
            slots: Arc::new(tokio::sync::Semaphore::new(4)),
            busy: Mutex::new(HashSet::new()),
        }
    }
}

/// Longest pause between two pieces of a body.
const IDLE: Duration = Duration::from_secs(30);
/// Longest time one upload may take in all.
const DEADLINE: Duration = Duration::from_secs(3600);

/// An account's upload in progress, released on drop.
struct Busy<'a>(&'a Mutex<HashSet<i64>>, i64);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.0.lock() {
            set.remove(&self.1);
        }
    }
}

/// Bytes of the uploads kept in an account's upload directory.
async fn used_bytes(dir: &Path) -> u64 {
    let mut used = 0u64;
    if let Ok(mut rd) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(e)) = rd.next_entry().await {
            if let Ok(m) = e.metadata().await {
                if m.is_file() {
                    used = used.saturating_add(m.len());
                }
            }
        }
    }
    used
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// A temporary file removed on drop unless kept.
struct Spool(Option<PathBuf>);

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What a kind of upload is.
pub(crate) struct Kind {
    /// The service the request is signed for (`tcss`, `ms`).
    pub(crate) service: &'static str,
    /// The name rate limits and logs use.
    pub(crate) action: &'static str,
    /// What is uploaded, for messages (`an image archive`).
    pub(crate) what: &'static str,
    /// The extension the kept file gets (`tar`, `apk`).
    pub(crate) ext: &'static str,
}

/// An upload received and kept: `<dir>/<app_id>/<sha256>.<ext>`. Dropped without
/// [`Received::keep`], a file this upload created is removed again.
pub(crate) struct Received {
    /// The calling request, as the products' audit takes it.
    pub(crate) rc: RequestCtx,
    /// Where it is kept.
    pub(crate) path: PathBuf,
    /// The account's upload directory.
    pub(crate) dir: PathBuf,
    /// SHA-256 (the signed one), lower-case hex.
    pub(crate) sha256: String,
    /// MD5, lower-case hex.
    pub(crate) md5: String,
    /// Bytes.
    pub(crate) size: u64,
    spool: Spool,
}

impl Received {
    /// Keep the file whatever happens next.
    pub(crate) fn keep(&mut self) {
        self.spool.0 = None;
    }
}

/// Answer an upload: `{"Response": {...fields, "RequestId"}}` or the Tencent error envelope.
pub(crate) fn answer(action: &str, request_id: &str, result: Result<Value, ApiError>) -> Response {
    let body = match result {
        Ok(mut fields) => {
            if let Value::Object(m) = &mut fields {
                m.insert("RequestId".into(), Value::String(request_id.to_string()));
            }
            json!({ "Response": fields })
        }
        Err(e) => {
            tracing::info!(request_id = %request_id, action, code = %e.code, "upload refused");
            TENCENT.error_body(request_id, &e)
        }
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}
/// Receive an upload of `kind` (see the module documentation).
pub(crate) async fn receive(
    st: &AppState,
    request_id: &str,
    req: Request,
    kind: &Kind,
) -> Result<Received, ApiError> {
    let Some(up) = st.uploads.as_ref() else {
        return Err(ApiError::unsupported(
            "Uploads are not enabled on this server.",
        ));
    };
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let auth = header(headers, "authorization").ok_or_else(|| {
        ApiError::new(
            Code::InvalidAuthorization,
            "Uploads need a TC3-HMAC-SHA256 Authorization header.",
        )
    })?;
    let a = sign::parse_tc3_authorization(auth).ok_or_else(|| {
        ApiError::new(
            Code::InvalidAuthorization,
            "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.",
        )
    })?;
    if a.service != kind.service {
        return Err(ApiError::new(
            Code::InvalidAuthorization,
            format!(
                "These uploads are signed for the service `{}`.",
                kind.service
            ),
        ));
    }
    let want = header(headers, "x-tc-content-sha256")
        .ok_or_else(|| ApiError::missing("X-TC-Content-SHA256"))?
        .to_ascii_lowercase();
    if want.len() != 64 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid_value(
            "`X-TC-Content-SHA256` must be the hex SHA-256 of the body (UNSIGNED-PAYLOAD is not accepted for uploads).",
        ));
    }
    let query = parts.uri.query().unwrap_or("");
    let cred = verify_tc3(
        st,
        &parts.method,
        parts.uri.path(),
        query,
        headers,
        &a,
        &want,
    )
    .await?;
    let account = cred.account;
    if !st.limits.allow(account.id, kind.action) {
        return Err(ApiError::new(
            Code::RequestLimitExceeded,
            format!(
                "Too many uploads; the limit is {} per second.",
                st.config.rate_per_second
            ),
        ));
    }
    let too_big = || {
        ApiError::new(
            Code::RequestSizeLimitExceeded,
            format!("Uploads may not exceed {} bytes.", up.max_bytes),
        )
    };
    if header(headers, "content-length")
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > up.max_bytes)
    {
        return Err(too_big());
    }
    let in_progress = || {
        ApiError::new(
            Code::RequestLimitExceeded,
            "Too many uploads in progress; try again shortly.",
        )
    };
    let _busy = {
        let mut set = up.busy.lock().map_err(|_| in_progress())?;
        if !set.insert(account.id) {
            return Err(ApiError::new(
                Code::RequestLimitExceeded,
                "This account already has an upload in progress; one at a time.",
            ));
        }
        Busy(&up.busy, account.id)
    };
    let _slot = up
        .slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| in_progress())?;

    let dir = up.dir.join(account.app_id.to_string());
    let used = used_bytes(&dir).await;
    let over_quota = || {
        ApiError::new(
            Code::LimitExceeded,
            format!(
                "The account's uploads would exceed {} bytes.",
                up.max_account_bytes
            ),
        )
    };
    let declared = header(headers, "content-length")
        .and_then(|l| l.trim().parse::<u64>().ok())
        .unwrap_or(0);
    if used.saturating_add(declared) > up.max_account_bytes {
        return Err(over_quota());
    }
    let made = dir.clone();
    tokio::task::spawn_blocking(move || vigil_store::private::private_dir(&made))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&format!("upload directory {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".upload-{request_id}"));
    let mut spool = Spool(Some(tmp.clone()));
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut file = opts
        .open(&tmp)
        .await
        .map_err(|e| ApiError::internal(&format!("{}: {e}", tmp.display())))?;
    let mut hasher = Sha256::new();
    let mut md5 = md5::Md5::new();
    let mut total: u64 = 0;
    let mut stream = body.into_data_stream();
    let started = Instant::now();
    loop {
        let wait = IDLE.min(DEADLINE.saturating_sub(started.elapsed()));
        let next = tokio::time::timeout(wait, stream.next())
            .await
            .map_err(|_| {
                ApiError::new(
                    Code::InvalidParameter,
                    format!(
                        "The upload stalled for {} s or took longer than {} s.",
                        IDLE.as_secs(),
                        DEADLINE.as_secs()
                    ),
                )
            })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                Code::InvalidParameter,
                format!("The upload was interrupted: {e}"),
            )
        })?;
        total += chunk.len() as u64;
        if total > up.max_bytes {
            return Err(too_big());
        }
        if used.saturating_add(total) > up.max_account_bytes {
            return Err(over_quota());
        }
        hasher.update(&chunk);
        md5.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::internal(&format!("{}: {e}", tmp.display())))?;
    }
    file.sync_all()
        .await
        .map_err(|e| ApiError::internal(&format!("{}: {e}", tmp.display())))?;
    drop(file);
    if hex::encode(hasher.finalize()) != want {
        return Err(ApiError::new(
            Code::SignatureFailure,
            "The body's SHA-256 does not match the signed X-TC-Content-SHA256.",
        ));
    }
    if total == 0 {
        return Err(ApiError::missing(&format!("body ({})", kind.what)));
    }
    // Content-addressed: the same file uploaded twice is one file.
    let path = dir.join(format!("{want}.{}", kind.ext));
    let existed = tokio::fs::try_exists(&path).await.unwrap_or(false);
    tokio::fs::rename(&tmp, &path)
        .await
        .map_err(|e| ApiError::internal(&format!("{}: {e}", path.display())))?;
    spool.0 = if existed { None } else { Some(path.clone()) };
    let rc = RequestCtx {
        request_id: request_id.to_string(),
        account,
        action: kind.action.to_string(),
        region: header(headers, "x-tc-region").map(str::to_string),
        host: header(headers, "host").unwrap_or("").to_string(),
    };
    Ok(Received {
        rc,
        path,
        dir,
        sha256: want,
        md5: hex::encode(md5.finalize()),
        size: total,
        spool,
    })
}
