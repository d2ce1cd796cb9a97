//! `PUT /upload/tcss/images`: an image archive (a `docker save` tar or an OCI layout tar)
//! uploaded into the calling account's TCSS image inventory, signed for service `tcss`. The
//! archive is read by the binary's [`ImageImporter`] (the image engine: digests verified,
//! every size bounded) and recorded with its image id as identity, exactly as
//! `vigil image import` does. The answer is
//! `{"Response": {"ImageId", "ImageName", "ImageDigest", "Size", "RequestId"}}`.

use super::{answer, receive, Kind};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads an uploaded archive into an inventory record (implemented by the binary with the
/// image engine, so the gateway does not link it).
pub trait ImageImporter: Send + Sync {
    /// Read the archive at `path` (blocking; called off the async runtime) and describe it;
    /// `source` of the result must name `path`. The error is shown to the caller.
    fn import(&self, path: &Path) -> Result<vigil_store::NewImage, String>;
}

/// An image archive.
const KIND: Kind = Kind {
    service: crate::products::tcss::NAME,
    action: "UploadAssetImage",
    what: "an image archive",
    ext: "tar",
};

/// Removes the archives of an account's upload directory that no inventory image reads
/// any more (an image uploaded again in other bytes keeps only its newest archive).
async fn remove_unreferenced(st: &AppState, account_id: i64, dir: &Path) -> Result<(), ApiError> {
    let images = st
        .store
        .images(account_id, vigil_store::ImageSet::Local)
        .await?;
    let kept: HashSet<PathBuf> = images
        .iter()
        .filter_map(|i| {
            i.source
                .strip_prefix("docker-archive:")
                .or_else(|| i.source.strip_prefix("oci:"))
                .map(PathBuf::from)
        })
        .collect();
    if let Ok(mut rd) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(e)) = rd.next_entry().await {
            let path = e.path();
            let archive = path.extension().is_some_and(|x| x == "tar");
            if archive && !kept.contains(&path) {
                let _ = tokio::fs::remove_file(&path).await;
            }
        }
    }
    Ok(())
}

/// `PUT /upload/tcss/images`.
pub async fn upload_image(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = accept(&st, &request_id, req).await;
    answer(KIND.action, &request_id, result)
}

async fn accept(st: &AppState, request_id: &str, req: Request) -> Result<Value, ApiError> {
    let mut got = receive(st, request_id, req, &KIND).await?;
    let Some(up) = st.uploads.as_ref() else {
        return Err(ApiError::unsupported(
            "Uploads are not enabled on this server.",
        ));
    };
    let importer = up.importer.clone();
    let read_path = got.path.clone();
    let img = tokio::task::spawn_blocking(move || importer.import(&read_path))
        .await
        .map_err(|e| ApiError::internal(&format!("image reading thread: {e}")))?
        .map_err(|e| {
            ApiError::invalid_value(format!("The upload is not a readable image archive: {e}"))
        })?;
    let account = got.rc.account.id;
    let row = st.store.upsert_image(account, &img).await?;
    got.keep();
    remove_unreferenced(st, account, &got.dir).await?;
    crate::products::audit(st, &got.rc, "tcss.UploadAssetImage", &img.image_id).await?;
    Ok(json!({
        "ImageId": img.image_id,
        "ImageName": row.name,
        "ImageDigest": img.digest,
        "Size": img.size,
    }))
}
