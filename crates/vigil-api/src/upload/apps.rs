//! `PUT /upload/ms/apps`: an Android package uploaded for MS scans, signed for service `ms`.
//! The answer names it by an `AppUrl` of the scheme `upload:` (`upload:<sha256>`) with its
//! MD5 and size; `CreateScanInstances` and `DescribeApkDetectionResult` take that URL like a
//! download URL, read only from the caller's own upload directory. Uploaded packages are kept
//! for [`KEEP_SECS`] after their last upload; each upload removes the account's older ones.
//!
//! The answer is `{"Response": {"AppUrl", "AppMd5", "AppSize", "Sha256", "RequestId"}}`.

use super::{answer, receive, Kind};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncReadExt;

/// The scheme of an uploaded app's `AppUrl`.
pub const SCHEME: &str = "upload";
/// Seconds an uploaded package is kept after its last upload.
pub const KEEP_SECS: u64 = 24 * 3600;

/// An Android package.
const KIND: Kind = Kind {
    service: crate::products::ms::NAME,
    action: "UploadApp",
    what: "an Android package",
    ext: "apk",
};

/// The file behind `upload:<sha256>` of the account `app_id` under the upload directory
/// `dir`, or `None` when `rest` is not a SHA-256.
pub fn path_of(dir: &Path, app_id: i64, rest: &str) -> Option<PathBuf> {
    let sha = rest.trim();
    let ok = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| {
        dir.join(app_id.to_string())
            .join(format!("{}.apk", sha.to_ascii_lowercase()))
    })
}

/// `PUT /upload/ms/apps`.
pub async fn upload_app(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = accept(&st, &request_id, req).await;
    answer(KIND.action, &request_id, result)
}

/// Removes the account's uploaded packages older than [`KEEP_SECS`], except `keep`.
async fn remove_old(dir: &Path, keep: &Path) {
    let Ok(mut rd) = tokio::fs::read_dir(dir).await else {
        return;
    };
    let cutoff = SystemTime::now() - Duration::from_secs(KEEP_SECS);
    while let Ok(Some(e)) = rd.next_entry().await {
        let path = e.path();
        let old = match e.metadata().await.and_then(|m| m.modified()) {
            Ok(t) => t < cutoff,
            Err(_) => false,
        };
        if old && path != keep && path.extension().is_some_and(|x| x == KIND.ext) {
            let _ = tokio::fs::remove_file(&path).await;
        }
    }
}

async fn accept(st: &AppState, request_id: &str, req: Request) -> Result<Value, ApiError> {
    let mut got = receive(st, request_id, req, &KIND).await?;
    let mut magic = [0u8; 4];
    let mut f = tokio::fs::File::open(&got.path)
        .await
        .map_err(|e| ApiError::internal(&format!("{}: {e}", got.path.display())))?;
    let n = f.read(&mut magic).await.unwrap_or(0);
    if n < 4 || &magic != b"PK\x03\x04" {
        return Err(ApiError::invalid_value(
            "The upload is not an Android package (a zip file).",
        ));
    }
    drop(f);
    // A new upload of the same bytes counts as fresh.
    let now = std::fs::FileTimes::new().set_modified(SystemTime::now());
    let touch = got.path.clone();
    let _ = tokio::task::spawn_blocking(move || {
        std::fs::File::options()
            .write(true)
            .open(&touch)
            .and_then(|f| f.set_times(now))
    })
    .await;
    got.keep();
    remove_old(&got.dir, &got.path).await;
    crate::products::audit(st, &got.rc, "ms.UploadApp", &got.md5).await?;
    Ok(json!({
        "AppUrl": format!("{SCHEME}:{}", got.sha256),
        "AppMd5": got.md5,
        "AppSize": got.size,
        "Sha256": got.sha256,
    }))
}
