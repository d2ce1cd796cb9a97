//! Reading an image from a registry: the manifest (through any image index, choosing the
//! platform as for OCI layouts), the config and every layer fetched with
//! [`vigil_registry::Client`], whose connections the scope guard checks and pins. Layers are
//! streamed from the network straight into the layer reader, never written to disk; every
//! blob is verified against its digest (by the client and again by the layer reader) and the
//! uncompressed layers against the config's diff ids. Each blob must arrive within the client's
//! overall deadline (`ClientConfig::blob_deadline`, 30 minutes unless the caller's client says
//! otherwise); past it the read fails with the registry's error naming `blob_deadline`, and a
//! cancelled read stops at its next read of the blob.
//!
//! The reading itself is synchronous, like every other source: it must run on a thread that
//! may block (inside `spawn_blocking`), and drives the asynchronous client through the
//! runtime [`tokio::runtime::Handle`] of [`RegistryAccess`].

use std::sync::Arc;

use vigil_engine::ScopeGuard;
use vigil_registry::{Client, ClientConfig, Credentials, Digest, Reference, RegistryError};

use crate::layers::Visitor;
use crate::manifest::{
    apply_layers, check_platform, choose_manifest, digest_hex, ImageConfig, ImageIndex,
    ImageManifest, MAX_INDEX_DEPTH,
};
use crate::{Image, ImageError, ReadOptions};

/// What reading from a registry needs: a client for the image's registry (credentials, CA,
/// scope guard) and the runtime that drives it.
#[derive(Clone)]
pub struct RegistryAccess {
    /// The client; its registry must be the reference's.
    pub client: Arc<Client>,
    /// The tokio runtime the client's futures run on.
    pub handle: tokio::runtime::Handle,
}

/// How to log in to a registry and how much transport security to insist on.
#[derive(Clone, Default)]
pub struct RegistryLogin {
    /// User name for Basic authentication (and token requests); none or empty: anonymous.
    pub username: Option<String>,
    /// Its password.
    pub password: String,
    /// PEM certificates of a private CA to trust besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Allow plain HTTP.
    pub insecure_http: bool,
    /// Accept any TLS certificate.
    pub skip_tls_verify: bool,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("username", &self.username)
            .field("insecure_http", &self.insecure_http)
            .field("skip_tls_verify", &self.skip_tls_verify)
            .finish_non_exhaustive()
    }
}

impl RegistryAccess {
    /// Access to the registry of `reference` with `login`, every connection checked by
    /// `scope`, driven by the current tokio runtime (call it inside one).
    pub fn connect(
        reference: &Reference,
        scope: Arc<ScopeGuard>,
        login: RegistryLogin,
    ) -> Result<Self, RegistryError> {
        let mut cfg = ClientConfig::new(&reference.registry(), scope);
        cfg.insecure_http = login.insecure_http;
        cfg.skip_tls_verify = login.skip_tls_verify;
        cfg.ca_pem = login.ca_pem;
        if let Some(username) = login.username.filter(|u| !u.is_empty()) {
            cfg.credentials = Some(Credentials::Basic {
                username,
                password: login.password,
            });
        }
        Ok(RegistryAccess {
            client: Arc::new(Client::new(cfg)?),
            handle: tokio::runtime::Handle::current(),
        })
    }
}

impl std::fmt::Debug for RegistryAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAccess")
            .field("registry", &self.client.registry())
            .finish()
    }
}

fn registry_error(e: RegistryError) -> ImageError {
    ImageError::Registry(e.to_string())
}

fn is_index_type(media_type: &str) -> bool {
    media_type == vigil_registry::MEDIA_OCI_INDEX || media_type == vigil_registry::MEDIA_DOCKER_LIST
}

/// Reads the image `reference` names. Synchronous; see the module documentation.
pub fn read_registry(
    reference: &Reference,
    access: &RegistryAccess,
    opts: &ReadOptions,
    visit: &mut Visitor<'_>,
) -> Result<Image, ImageError> {
    let limits = &opts.limits;
    let client = &access.client;
    let repo = reference.repository().to_string();

    let mut current = reference.clone();
    let mut depth = 0;
    let fetched = loop {
        let fetched = access
            .handle
            .block_on(client.manifest(&current))
            .map_err(registry_error)?;
        if fetched.bytes.len() as u64 > limits.max_json_bytes {
            return Err(ImageError::Limit {
                limit: "max_json_bytes",
                max: limits.max_json_bytes,
            });
        }
        if !is_index_type(&fetched.media_type) {
            break fetched;
        }
        depth += 1;
        if depth > MAX_INDEX_DEPTH {
            return Err(ImageError::Invalid(
                "image indexes nested too deeply".into(),
            ));
        }
        let index: ImageIndex =
            serde_json::from_slice(&fetched.bytes).map_err(|source| ImageError::Json {
                what: "image index".into(),
                source,
            })?;
        let desc = choose_manifest(&index, opts.platform.as_ref())?;
        let digest =
            Digest::parse(&desc.digest).map_err(|_| ImageError::BadDigest(desc.digest.clone()))?;
        current = reference.with_digest(digest);
    };
    let manifest: ImageManifest =
        serde_json::from_slice(&fetched.bytes).map_err(|source| ImageError::Json {
            what: "image manifest".into(),
            source,
        })?;
    let config_digest = Digest::parse(&manifest.config.digest)
        .map_err(|_| ImageError::BadDigest(manifest.config.digest.clone()))?;
    let config_bytes = access
        .handle
        .block_on(client.blob_bytes(&repo, &config_digest, limits.max_json_bytes))
        .map_err(registry_error)?;
    let config: ImageConfig =
        serde_json::from_slice(&config_bytes).map_err(|source| ImageError::Json {
            what: "image config".into(),
            source,
        })?;
    check_platform(&config, opts.platform.as_ref())?;
    for layer in &manifest.layers {
        digest_hex(&layer.digest)?;
    }
    let (layers, fs) = apply_layers(
        &config,
        manifest.layers.len(),
        |i| manifest.layers.get(i).map(|d| d.digest.clone()),
        |i| manifest.layers.get(i).and_then(|d| d.media_type.clone()),
        |i| {
            let desc = &manifest.layers[i];
            let digest = Digest::parse(&desc.digest)
                .map_err(|_| ImageError::BadDigest(desc.digest.clone()))?;
            let blob = access
                .handle
                .block_on(client.blob_reader_blocking(&repo, &digest, desc.size))
                .map_err(registry_error)?;
            Ok(Box::new(blob) as Box<dyn std::io::Read>)
        },
        limits,
        visit,
    )?;
    Ok(Image {
        config,
        digest: fetched.digest.to_string(),
        config_digest: manifest.config.digest,
        repo_tags: vec![reference.to_string()],
        layers,
        fs,
    })
}
