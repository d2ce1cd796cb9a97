//! Test helpers (feature `testing`): the real upload protocol of the distribution API, so
//! tests can put images into a registry without docker. Blobs: `HEAD` (skip when present),
//! `POST /v2/<repo>/blobs/uploads/`, then `PUT <Location>&digest=` with the bytes (a
//! monolithic upload). Manifests and indexes: `PUT /v2/<repo>/manifests/<tag>`. The same
//! authentication, scope guard and redirect rules apply as for reading. Also a registry of
//! fixed content on loopback that can trickle blobs ([`StaticRegistry`], in `serve`).

use bytes::Bytes;
use reqwest::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::client::{check_repository, fail, Call, Client};
use crate::digest::Digest;
use crate::error::{ReferenceError, RegistryError};
use crate::reference::is_valid_tag;
use crate::{MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST};

mod serve;
pub use serve::{StaticRegistry, Trickle};

/// What a push stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Digest of the manifest or index.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Digest of the config blob (images only).
    pub config: Option<Digest>,
    /// Digests of the layer blobs, bottom first (images only).
    pub layers: Vec<Digest>,
}

/// One entry of an index to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The manifest's digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, ...
    pub architecture: String,
    /// `v8`, if any.
    pub variant: Option<String>,
}

fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

/// Uploads one blob (unless the registry already has it) and returns its digest.
pub async fn push_blob(client: &Client, repo: &str, bytes: &[u8]) -> Result<Digest, RegistryError> {
    check_repository(repo)?;
    let digest = Digest::of(bytes);
    let blob_url = client.url(&format!("v2/{repo}/blobs/{digest}"))?;
    let mut head = Call::get(blob_url.clone(), Some(push_scope(repo)));
    head.method = Method::HEAD;
    let resp = client.send(head).await?;
    if resp.status() == StatusCode::OK {
        return Ok(digest);
    }
    drop(resp);

    let start_url = client.url(&format!("v2/{repo}/blobs/uploads/"))?;
    let mut post = Call::get(start_url.clone(), Some(push_scope(repo)));
    post.method = Method::POST;
    post.body = Some(Bytes::new());
    let resp = client.send(post).await?;
    if resp.status() != StatusCode::ACCEPTED {
        return Err(fail(resp, &start_url, format!("upload to {repo}")).await);
    }
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| RegistryError::protocol(&start_url, "upload started without Location"))?;
    let mut put_url = start_url
        .join(location)
        .map_err(|e| RegistryError::protocol(&start_url, format!("bad upload Location: {e}")))?;
    if !client.same_origin(&put_url) {
        return Err(RegistryError::protocol(
            &start_url,
            "upload Location leads off the registry",
        ));
    }
    put_url
        .query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    let mut put = Call::get(put_url.clone(), Some(push_scope(repo)));
    put.method = Method::PUT;
    put.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    put.body = Some(Bytes::copy_from_slice(bytes));
    let resp = client.send(put).await?;
    if resp.status() != StatusCode::CREATED {
        return Err(fail(resp, &put_url, format!("upload of {digest}")).await);
    }
    Ok(digest)
}

/// Stores a manifest or index under `reference` (a tag or its digest); returns its digest
/// after checking the registry's `Docker-Content-Digest`.
pub async fn push_manifest(
    client: &Client,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<Digest, RegistryError> {
    check_repository(repo)?;
    let digest = Digest::of(bytes);
    if !is_valid_tag(reference) && reference != digest.to_string() {
        return Err(ReferenceError::BadTag(reference.chars().take(140).collect()).into());
    }
    let url = client.url(&format!("v2/{repo}/manifests/{reference}"))?;
    let mut put = Call::get(url.clone(), Some(push_scope(repo)));
    put.method = Method::PUT;
    put.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(media_type)
            .map_err(|_| RegistryError::Config("media type is not a header value".into()))?,
    );
    put.body = Some(Bytes::copy_from_slice(bytes));
    let resp = client.send(put).await?;
    if resp.status() != StatusCode::CREATED {
        return Err(fail(resp, &url, format!("manifest {repo}:{reference}")).await);
    }
    if let Some(d) = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
    {
        if d != digest.to_string() {
            return Err(RegistryError::DigestMismatch {
                what: format!("pushed manifest {repo}:{reference}"),
                expected: digest.to_string(),
                actual: d.chars().take(80).collect(),
            });
        }
    }
    Ok(digest)
}

/// The layer media type for `bytes` (gzip and zstd told by their magic bytes).
fn layer_media_type(bytes: &[u8], docker: bool) -> &'static str {
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let zstd = bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    match (docker, gzip, zstd) {
        (true, true, _) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        (true, false, false) => "application/vnd.docker.image.rootfs.diff.tar",
        (false, true, _) => "application/vnd.oci.image.layer.v1.tar+gzip",
        (_, _, true) => "application/vnd.oci.image.layer.v1.tar+zstd",
        (false, false, false) => "application/vnd.oci.image.layer.v1.tar",
    }
}

/// Pushes an image: its config and layer blobs, then a manifest of `media_type` (OCI image
/// manifest or Docker v2 schema 2) tagged `tag`.
pub async fn push_image(
    client: &Client,
    repo: &str,
    tag: &str,
    config: Vec<u8>,
    layers: Vec<Vec<u8>>,
    media_type: &str,
) -> Result<Pushed, RegistryError> {
    let docker = match media_type {
        MEDIA_OCI_MANIFEST => false,
        MEDIA_DOCKER_MANIFEST => true,
        other => {
            return Err(RegistryError::Config(format!(
                "push_image makes OCI or Docker v2 manifests, not {other}"
            )))
        }
    };
    let config_digest = push_blob(client, repo, &config).await?;
    let mut layer_digests = Vec::new();
    let mut layer_descs = Vec::new();
    for layer in &layers {
        let d = push_blob(client, repo, layer).await?;
        layer_descs.push(json!({
            "mediaType": layer_media_type(layer, docker),
            "digest": d.to_string(),
            "size": layer.len(),
        }));
        layer_digests.push(d);
    }
    let config_type = if docker {
        "application/vnd.docker.container.image.v1+json"
    } else {
        "application/vnd.oci.image.config.v1+json"
    };
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": config_type,
            "digest": config_digest.to_string(),
            "size": config.len(),
        },
        "layers": layer_descs,
    });
    let bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| RegistryError::Config(format!("manifest JSON: {e}")))?;
    let digest = push_manifest(client, repo, tag, media_type, &bytes).await?;
    Ok(Pushed {
        digest,
        size: bytes.len() as u64,
        media_type: media_type.to_string(),
        bytes,
        config: Some(config_digest),
        layers: layer_digests,
    })
}

/// Pushes an index of `media_type` (OCI image index or Docker manifest list) over
/// manifests already in `repo`, tagged `tag`.
pub async fn push_index(
    client: &Client,
    repo: &str,
    tag: &str,
    entries: &[IndexEntry],
    media_type: &str,
) -> Result<Pushed, RegistryError> {
    if media_type != MEDIA_OCI_INDEX && media_type != MEDIA_DOCKER_LIST {
        return Err(RegistryError::Config(format!(
            "push_index makes OCI indexes or Docker manifest lists, not {media_type}"
        )));
    }
    let manifests: Vec<_> = entries
        .iter()
        .map(|e| {
            let mut platform = json!({"os": e.os, "architecture": e.architecture});
            if let Some(v) = &e.variant {
                platform["variant"] = json!(v);
            }
            json!({
                "mediaType": e.media_type,
                "digest": e.digest.to_string(),
                "size": e.size,
                "platform": platform,
            })
        })
        .collect();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec_pretty(&index)
        .map_err(|e| RegistryError::Config(format!("index JSON: {e}")))?;
    let digest = push_manifest(client, repo, tag, media_type, &bytes).await?;
    Ok(Pushed {
        digest,
        size: bytes.len() as u64,
        media_type: media_type.to_string(),
        bytes,
        config: None,
        layers: Vec::new(),
    })
}
