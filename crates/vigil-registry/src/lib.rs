//! Vigil's client for the OCI distribution API (Docker Registry HTTP API v2): how Vigil's
//! image engine reads images from registries and how the TCSS product syncs a registry's
//! contents. This crate owns image references (`HOST[:PORT]/REPO[:TAG|@sha256:HEX]`, the
//! registry always explicit), registry authentication (anonymous, Basic, and Bearer tokens
//! from the realm a `WWW-Authenticate` challenge names, cached per scope), listings
//! (catalog and tags with bounded `Link` pagination), manifest and index fetching with digest
//! verification, and streamed blob reading verified against digest and size — as an
//! `AsyncRead`, or through `SyncIoBridge` for synchronous layer readers. Every connection
//! (registry, token service, redirect target) is resolved, checked and pinned by the
//! operator's [`vigil_engine::ScopeGuard`]; HTTPS is required unless plain HTTP is
//! explicitly allowed; every size, page count and redirect chain is bounded; passwords and
//! tokens never appear in errors or logs. It does not interpret manifests beyond their
//! media type (that is `vigil-engine-image`'s job).

#![warn(missing_docs)]

mod auth;
mod blob;
mod client;
mod digest;
mod error;
mod reference;
#[cfg(feature = "testing")]
pub mod testing;

pub use auth::{next_link, parse_challenges, Challenge, Credentials};
pub use blob::{BlobReader, BlockingBlob};
pub use client::{
    Client, ClientConfig, Fetched, MAX_LIST_ENTRIES, MAX_LIST_PAGE_BYTES, MAX_REDIRECTS,
};
pub use digest::Digest;
pub use error::{redact, ReferenceError, RegistryError};
pub use reference::{is_valid_repository, is_valid_tag, Reference, DOCKER_HUB_REGISTRY};

/// OCI image index.
pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list (v2 schema 2).
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest (v2 schema 2).
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The manifest media types Vigil asks for and reads.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    MEDIA_OCI_INDEX,
    MEDIA_OCI_MANIFEST,
    MEDIA_DOCKER_LIST,
    MEDIA_DOCKER_MANIFEST,
];
