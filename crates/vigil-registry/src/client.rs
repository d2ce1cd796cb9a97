//! The registry client: one [`Client`] per registry. Every connection — to the registry, to
//! the token service a `WWW-Authenticate: Bearer` challenge names, and to every redirect
//! target (blob storage) — goes through the [`ScopeGuard`]: the host is resolved once, checked,
//! and the HTTP client is pinned to that address (`ClientBuilder::resolve`), so DNS cannot be
//! rebound between check and connect. HTTPS only unless `insecure_http` is set. Redirects are
//! followed by hand, a bounded number of times, and credentials never leave the origin they
//! were meant for. Every body read is bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LINK, LOCATION,
    WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use url::Url;
use vigil_engine::ScopeGuard;

use crate::auth::{next_link, parse_challenges, Challenge, Credentials};
use crate::digest::Digest;
use crate::error::{redact, ReferenceError, RegistryError};
use crate::reference::{is_valid_repository, parse_host_port, Reference, DOCKER_HUB_REGISTRY};
use crate::{MANIFEST_MEDIA_TYPES, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST};

/// Redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// Largest body of a listing page (catalog, tags).
pub const MAX_LIST_PAGE_BYTES: u64 = 4 * 1024 * 1024;
/// Most entries a listing may return in total.
pub const MAX_LIST_ENTRIES: usize = 1_000_000;
/// Largest token service answer.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;
/// Largest error body read to explain a failure.
const MAX_ERROR_BYTES: u64 = 16 * 1024;
/// How long a resolved and pinned address is reused before the guard is asked again.
const PIN_TTL: Duration = Duration::from_secs(300);
/// Pinned HTTP clients kept (registry, token service, blob storage hosts).
const MAX_PINNED: usize = 32;
/// Bearer tokens kept.
const MAX_TOKENS: usize = 256;

/// How to reach one registry.
#[derive(Clone)]
pub struct ClientConfig {
    /// `host[:port]` of the registry, as [`Reference::registry`] gives it (`docker.io` is
    /// mapped to `registry-1.docker.io`).
    pub registry: String,
    /// Credentials, if any.
    pub credentials: Option<Credentials>,
    /// PEM certificates added to the trusted roots (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    /// Explicit opt-in to plain HTTP (registry, token service, redirects). Off: HTTPS only.
    pub insecure_http: bool,
    /// Explicit opt-in to HTTPS without certificate verification (a registry with a
    /// self-signed certificate; the cloud's `Insecure` 1). Scope checks and pinning still apply.
    pub skip_tls_verify: bool,
    /// Connect timeout, read-stall timeout, and total timeout of every request except blob
    /// downloads (which time out when stalled, and at `blob_deadline`).
    pub timeout: Duration,
    /// Longest one blob download may take, from the request to its last byte (a blob that
    /// trickles in slower fails with [`RegistryError::Deadline`]).
    pub blob_deadline: Duration,
    /// Largest manifest or index read.
    pub max_manifest_bytes: u64,
    /// Largest blob read.
    pub max_blob_bytes: u64,
    /// Most pages of a listing followed through `Link` headers.
    pub max_pages: usize,
    /// The operator's scope: every host contacted is resolved, checked and pinned by it.
    pub scope: Arc<ScopeGuard>,
}

impl ClientConfig {
    /// Anonymous HTTPS access to `registry` with default bounds: 30 s timeout, 30 minutes per
    /// blob, 4 MiB manifests, 4 GiB blobs, 100 listing pages.
    pub fn new(registry: &str, scope: Arc<ScopeGuard>) -> Self {
        ClientConfig {
            registry: registry.to_string(),
            credentials: None,
            ca_pem: None,
            insecure_http: false,
            skip_tls_verify: false,
            timeout: Duration::from_secs(30),
            blob_deadline: Duration::from_secs(30 * 60),
            max_manifest_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 4 * 1024 * 1024 * 1024,
            max_pages: 100,
            scope,
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("registry", &self.registry)
            .field("credentials", &self.credentials)
            .field("ca_pem", &self.ca_pem.as_ref().map(|c| c.len()))
            .field("insecure_http", &self.insecure_http)
            .field("skip_tls_verify", &self.skip_tls_verify)
            .field("timeout", &self.timeout)
            .field("blob_deadline", &self.blob_deadline)
            .field("max_manifest_bytes", &self.max_manifest_bytes)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

/// A manifest or index as the registry served it, its digest verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// One of the four manifest media types Vigil reads.
    pub media_type: String,
    /// The sha256 of `bytes`.
    pub digest: Digest,
    /// The manifest as served (its digest is over these exact bytes).
    pub bytes: Vec<u8>,
}

/// How the registry wants to be authenticated, as learnt from its challenges.
#[derive(Debug, Clone)]
enum Mode {
    Unknown,
    Basic,
    Bearer { realm: Url, service: Option<String> },
}

/// What authorization a request carried.
#[derive(Debug, Clone)]
enum Sent {
    None,
    Basic,
    Bearer,
    Static,
}

struct AuthState {
    mode: Mode,
    /// Scope key -> (token, valid until).
    tokens: HashMap<String, (String, Instant)>,
}

/// One request to be sent with authentication.
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// The bearer token scope the request needs (`repository:a/b:pull`).
    pub(crate) scope: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// Apply the total timeout (off for blob downloads).
    pub(crate) timed: bool,
}

impl Call {
    pub(crate) fn get(url: Url, scope: Option<String>) -> Self {
        Call {
            method: Method::GET,
            url,
            scope,
            headers: HeaderMap::new(),
            body: None,
            timed: true,
        }
    }
}

/// An OCI distribution API client for one registry.
pub struct Client {
    cfg: ClientConfig,
    base: Url,
    roots: Vec<reqwest::Certificate>,
    pins: Mutex<HashMap<String, (reqwest::Client, Instant)>>,
    auth: Mutex<AuthState>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("cfg", &self.cfg).finish()
    }
}

impl Client {
    /// A client for `config.registry`. Nothing is contacted yet.
    pub fn new(mut config: ClientConfig) -> Result<Client, RegistryError> {
        let (host, port) = parse_host_port(&config.registry)?;
        let host = if port.is_none() && matches!(host.as_str(), "docker.io" | "index.docker.io") {
            DOCKER_HUB_REGISTRY.to_string()
        } else {
            host
        };
        config.registry = match port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let scheme = if config.insecure_http {
            "http"
        } else {
            "https"
        };
        let base = Url::parse(&format!("{scheme}://{}/", config.registry))
            .map_err(|e| ReferenceError::BadHost(format!("{}: {e}", config.registry)))?;
        let roots = match &config.ca_pem {
            None => Vec::new(),
            Some(pem) => {
                let certs = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| RegistryError::Config(format!("ca_pem: {e}")))?;
                if certs.is_empty() {
                    return Err(RegistryError::Config(
                        "ca_pem holds no PEM certificate".into(),
                    ));
                }
                certs
            }
        };
        Ok(Client {
            cfg: config,
            base,
            roots,
            pins: Mutex::new(HashMap::new()),
            auth: Mutex::new(AuthState {
                mode: Mode::Unknown,
                tokens: HashMap::new(),
            }),
        })
    }

    /// `host[:port]` of the registry.
    pub fn registry(&self) -> &str {
        &self.cfg.registry
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// `GET /v2/`: the registry speaks the distribution API and accepts the credentials.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let url = self.url("v2/")?;
        let resp = self.send(Call::get(url.clone(), None)).await?;
        if resp.status() == StatusCode::OK {
            Ok(())
        } else {
            Err(fail(resp, &url, "the /v2/ endpoint".into()).await)
        }
    }

    /// Every repository of the registry (`GET /v2/_catalog`), `page_size` names per page,
    /// following `Link` headers for at most `max_pages` pages.
    pub async fn catalog(&self, page_size: usize) -> Result<Vec<String>, RegistryError> {
        let mut url = self.url("v2/_catalog")?;
        url.query_pairs_mut()
            .append_pair("n", &page_size.clamp(1, 10_000).to_string());
        self.paginate(url, "registry:catalog:*".into(), "repositories")
            .await
    }

    /// Every tag of `repository` (`GET /v2/<repo>/tags/list`), `page_size` names per page
    /// when given, following `Link` headers for at most `max_pages` pages.
    pub async fn tags(
        &self,
        repository: &str,
        page_size: Option<usize>,
    ) -> Result<Vec<String>, RegistryError> {
        check_repository(repository)?;
        let mut url = self.url(&format!("v2/{repository}/tags/list"))?;
        if let Some(n) = page_size {
            url.query_pairs_mut()
                .append_pair("n", &n.clamp(1, 10_000).to_string());
        }
        self.paginate(url, pull_scope(repository), "tags").await
    }

    /// The manifest or index `reference` names, asking for OCI and Docker v2 manifests and
    /// indexes. Its sha256 must equal the reference's digest (when it pins one) and the
    /// registry's `Docker-Content-Digest` (when sent); at most `max_manifest_bytes`.
    pub async fn manifest(&self, reference: &Reference) -> Result<Fetched, RegistryError> {
        self.check_registry(reference)?;
        let repo = reference.repository();
        let target = reference.target();
        let url = self.url(&format!("v2/{repo}/manifests/{target}"))?;
        let mut call = Call::get(url.clone(), Some(pull_scope(repo)));
        call.headers.insert(
            ACCEPT,
            HeaderValue::from_static(
                "application/vnd.oci.image.index.v1+json, \
                 application/vnd.oci.image.manifest.v1+json, \
                 application/vnd.docker.distribution.manifest.list.v2+json, \
                 application/vnd.docker.distribution.manifest.v2+json",
            ),
        );
        let resp = self.send(call).await?;
        let what = format!("manifest {reference}");
        if resp.status() != StatusCode::OK {
            return Err(fail(resp, &url, what).await);
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let announced = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = read_bounded(resp, &url, self.cfg.max_manifest_bytes, &what).await?;
        let digest = Digest::of(&bytes);
        if let Some(expected) = reference.digest() {
            if *expected != digest {
                return Err(RegistryError::DigestMismatch {
                    what,
                    expected: expected.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        if let Some(a) = announced.filter(|a| a.starts_with("sha256:")) {
            let a = Digest::parse(&a).map_err(|_| {
                RegistryError::protocol(&url, "malformed Docker-Content-Digest header")
            })?;
            if a != digest {
                return Err(RegistryError::DigestMismatch {
                    what: format!("{what} (Docker-Content-Digest)"),
                    expected: a.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        let media_type = manifest_media_type(content_type.as_deref(), &bytes).ok_or_else(|| {
            RegistryError::protocol(
                &url,
                format!(
                    "unsupported manifest media type `{}` (expected an OCI or Docker v2 \
                     manifest or index)",
                    content_type
                        .as_deref()
                        .unwrap_or("none")
                        .chars()
                        .take(100)
                        .collect::<String>()
                ),
            )
        })?;
        Ok(Fetched {
            media_type,
            digest,
            bytes,
        })
    }

    fn check_registry(&self, reference: &Reference) -> Result<(), RegistryError> {
        if reference.registry() == self.cfg.registry {
            Ok(())
        } else {
            Err(RegistryError::Config(format!(
                "reference {reference} is not on this client's registry {}",
                self.cfg.registry
            )))
        }
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, RegistryError> {
        self.base
            .join(path)
            .map_err(|e| RegistryError::protocol(&self.base, format!("bad path: {e}")))
    }

    /// Whether `url` is on the registry's own origin (where credentials may go).
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    async fn paginate(
        &self,
        first: Url,
        scope: String,
        field: &str,
    ) -> Result<Vec<String>, RegistryError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Option<Vec<String>>,
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut out = Vec::new();
        let mut url = first.clone();
        for _ in 0..self.cfg.max_pages.max(1) {
            let resp = self
                .send(Call::get(url.clone(), Some(scope.clone())))
                .await?;
            if resp.status() != StatusCode::OK {
                return Err(fail(resp, &url, format!("listing {}", redact(&url))).await);
            }
            let next = resp
                .headers()
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link);
            let body = read_bounded(resp, &url, MAX_LIST_PAGE_BYTES, "listing page").await?;
            let page: Page = serde_json::from_slice(&body)
                .map_err(|e| RegistryError::protocol(&url, format!("bad listing JSON: {e}")))?;
            let items = if field == "tags" {
                page.tags
            } else {
                page.repositories
            };
            out.extend(items.unwrap_or_default());
            if out.len() > MAX_LIST_ENTRIES {
                return Err(RegistryError::TooLarge {
                    what: format!("listing {}", redact(&first)),
                    limit: MAX_LIST_ENTRIES as u64,
                });
            }
            let Some(next) = next else {
                return Ok(out);
            };
            let next = url
                .join(&next)
                .map_err(|e| RegistryError::protocol(&url, format!("bad Link target: {e}")))?;
            if !self.same_origin(&next) {
                return Err(RegistryError::protocol(
                    &url,
                    format!("Link header leads off the registry to {}", redact(&next)),
                ));
            }
            url = next;
        }
        Err(RegistryError::TooManyPages {
            url: redact(&first),
            limit: self.cfg.max_pages.max(1),
        })
    }

    /// Sends a call to the registry with the authorization it needs: answers one 401
    /// challenge (Basic credentials, or a Bearer token from the realm) and retries once.
    pub(crate) async fn send(&self, call: Call) -> Result<reqwest::Response, RegistryError> {
        if !self.same_origin(&call.url) {
            return Err(RegistryError::protocol(
                &call.url,
                "refusing to send registry credentials off the registry",
            ));
        }
        let (auth, sent) = self.auth_for(call.scope.as_deref()).await?;
        let resp = self.exec(&call, auth.as_ref()).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let challenges: Vec<Challenge> = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(parse_challenges)
            .collect();
        drop(resp);
        let (auth, sent) = self
            .answer(&challenges, call.scope.as_deref(), &sent)
            .await?;
        let resp = self.exec(&call, Some(&auth)).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let reason = match sent {
            Sent::Basic => format!(
                "the registry rejected the username or password for user `{}`",
                self.username().unwrap_or_default()
            ),
            Sent::Bearer => format!(
                "the registry refused the token issued for scope `{}`",
                call.scope.as_deref().unwrap_or("")
            ),
            Sent::Static => "the registry rejected the configured token".into(),
            Sent::None => "the registry requires authentication".into(),
        };
        Err(RegistryError::Unauthorized {
            host: self.cfg.registry.clone(),
            reason,
        })
    }

    fn username(&self) -> Option<String> {
        match &self.cfg.credentials {
            Some(Credentials::Basic { username, .. }) => Some(username.clone()),
            _ => None,
        }
    }

    fn basic_header(&self) -> Option<HeaderValue> {
        let Some(Credentials::Basic { username, password }) = &self.cfg.credentials else {
            return None;
        };
        let raw =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let mut v = HeaderValue::from_str(&format!("Basic {raw}")).ok()?;
        v.set_sensitive(true);
        Some(v)
    }

    fn bearer_header(token: &str) -> Result<HeaderValue, RegistryError> {
        let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            RegistryError::Config("a bearer token holds characters not allowed in a header".into())
        })?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// The authorization to send before any challenge of this request, from what earlier
    /// requests learnt.
    async fn auth_for(
        &self,
        scope: Option<&str>,
    ) -> Result<(Option<HeaderValue>, Sent), RegistryError> {
        if let Some(Credentials::Token(t)) = &self.cfg.credentials {
            return Ok((Some(Self::bearer_header(t)?), Sent::Static));
        }
        let (mode, cached) = {
            let st = self.lock_auth();
            let key = scope.unwrap_or("").to_string();
            let cached = st
                .tokens
                .get(&key)
                .filter(|(_, until)| *until > Instant::now())
                .map(|(t, _)| t.clone());
            (st.mode.clone(), cached)
        };
        match mode {
            Mode::Unknown => Ok((None, Sent::None)),
            Mode::Basic => Ok((self.basic_header(), Sent::Basic)),
            Mode::Bearer { realm, service } => {
                let token = match cached {
                    Some(t) => t,
                    None => {
                        let scopes: Vec<String> = scope.map(str::to_string).into_iter().collect();
                        self.fetch_token(&realm, service.as_deref(), &scopes, scope)
                            .await?
                    }
                };
                Ok((Some(Self::bearer_header(&token)?), Sent::Bearer))
            }
        }
    }

    /// Answers a 401's challenges with fresh authorization, or says why it cannot.
    async fn answer(
        &self,
        challenges: &[Challenge],
        scope: Option<&str>,
        sent: &Sent,
    ) -> Result<(HeaderValue, Sent), RegistryError> {
        let unauthorized = |reason: String| RegistryError::Unauthorized {
            host: self.cfg.registry.clone(),
            reason,
        };
        if let Sent::Static = sent {
            return Err(unauthorized(
                "the registry rejected the configured token".into(),
            ));
        }
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => Some((realm, service, scope)),
            _ => None,
        });
        if let Some((realm, service, challenge_scope)) = bearer {
            let realm_url = Url::parse(realm).map_err(|_| {
                unauthorized("the Bearer challenge's realm is not an absolute URL".into())
            })?;
            {
                let mut st = self.lock_auth();
                st.mode = Mode::Bearer {
                    realm: realm_url.clone(),
                    service: service.clone(),
                };
            }
            let scopes: Vec<String> = match (scope, challenge_scope) {
                (Some(s), _) => vec![s.to_string()],
                (None, Some(c)) => vec![c.clone()],
                (None, None) => vec![],
            };
            let token = self
                .fetch_token(&realm_url, service.as_deref(), &scopes, scope)
                .await?;
            return Ok((Self::bearer_header(&token)?, Sent::Bearer));
        }
        if challenges.iter().any(|c| matches!(c, Challenge::Basic)) {
            let Some(header) = self.basic_header() else {
                return Err(unauthorized(
                    "the registry requires a username and password, and none is configured".into(),
                ));
            };
            if let Sent::Basic = sent {
                return Err(unauthorized(format!(
                    "the registry rejected the username or password for user `{}`",
                    self.username().unwrap_or_default()
                )));
            }
            self.lock_auth().mode = Mode::Basic;
            return Ok((header, Sent::Basic));
        }
        Err(unauthorized(
            "HTTP 401 without a supported WWW-Authenticate challenge (Basic or Bearer)".into(),
        ))
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the token service at `realm` for a token (with the Basic credentials when
    /// configured) and caches it under `cache_scope`.
    async fn fetch_token(
        &self,
        realm: &Url,
        service: Option<&str>,
        scopes: &[String],
        cache_scope: Option<&str>,
    ) -> Result<String, RegistryError> {
        #[derive(Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let mut url = realm.clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            for s in scopes {
                q.append_pair("scope", s);
            }
            if let Some(u) = self.username() {
                q.append_pair("account", &u);
            }
        }
        let call = Call::get(url.clone(), None);
        let host = realm.host_str().unwrap_or("").to_string();
        let resp = self.exec(&call, self.basic_header().as_ref()).await?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let reason = if self.username().is_some() {
                format!(
                    "the token service rejected the credentials of user `{}` (HTTP {})",
                    self.username().unwrap_or_default(),
                    status.as_u16()
                )
            } else {
                format!(
                    "the token service requires credentials, and none are configured (HTTP {})",
                    status.as_u16()
                )
            };
            return Err(RegistryError::Unauthorized { host, reason });
        }
        if status != StatusCode::OK {
            return Err(fail(resp, &url, "a token".into()).await);
        }
        let body = read_bounded(resp, &url, MAX_TOKEN_BYTES, "token answer").await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| RegistryError::protocol(&url, "the token answer is not valid JSON"))?;
        let token = answer
            .token
            .filter(|t| !t.is_empty())
            .or(answer.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| {
                RegistryError::protocol(&url, "the token answer holds no token or access_token")
            })?;
        // Validate it as a header value now, so a bad token fails here, not later.
        Self::bearer_header(&token)?;
        let lifetime = answer.expires_in.unwrap_or(60).clamp(60, 24 * 3600);
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(10));
        let mut st = self.lock_auth();
        if st.tokens.len() >= MAX_TOKENS {
            st.tokens.clear();
        }
        st.tokens.insert(
            cache_scope.unwrap_or("").to_string(),
            (token.clone(), until),
        );
        Ok(token)
    }

    /// An HTTP client pinned to the address the scope guard resolved for `url`'s host.
    async fn http_for(&self, url: &Url) -> Result<reqwest::Client, RegistryError> {
        match url.scheme() {
            "https" => {}
            "http" if self.cfg.insecure_http => {}
            "http" => {
                return Err(RegistryError::InsecureScheme {
                    url: redact(url),
                    reason: "plain HTTP is refused unless insecure_http is set".into(),
                })
            }
            _ => {
                return Err(RegistryError::InsecureScheme {
                    url: redact(url),
                    reason: "only http and https URLs are followed".into(),
                })
            }
        }
        let host = url
            .host_str()
            .ok_or_else(|| RegistryError::protocol(url, "URL without a host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| RegistryError::protocol(url, "URL without a port"))?;
        let key = format!("{}://{host}:{port}", url.scheme());
        {
            let pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((c, at)) = pins.get(&key) {
                if at.elapsed() < PIN_TTL {
                    return Ok(c.clone());
                }
            }
        }
        let pinned = self.cfg.scope.resolve(host, port).await?;
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .use_rustls_tls()
            .https_only(!self.cfg.insecure_http)
            .danger_accept_invalid_certs(self.cfg.skip_tls_verify)
            .connect_timeout(self.cfg.timeout)
            .read_timeout(self.cfg.timeout)
            .pool_max_idle_per_host(4)
            .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")));
        for c in &self.roots {
            b = b.add_root_certificate(c.clone());
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::IpAddr>().is_err() {
            b = b.resolve(bare, pinned.addr);
        }
        let client = b
            .build()
            .map_err(|e| RegistryError::Config(format!("cannot build HTTP client: {e}")))?;
        tracing::debug!(target = %key, addr = %pinned.addr, "registry connection pinned");
        let mut pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        if pins.len() >= MAX_PINNED {
            pins.clear();
        }
        pins.insert(key, (client.clone(), Instant::now()));
        Ok(client)
    }

    /// Sends one request, following GET/HEAD redirects by hand (at most [`MAX_REDIRECTS`]);
    /// `auth` goes only to the origin of `call.url`.
    pub(crate) async fn exec(
        &self,
        call: &Call,
        auth: Option<&HeaderValue>,
    ) -> Result<reqwest::Response, RegistryError> {
        let origin = call.url.origin();
        let mut url = call.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let http = self.http_for(&url).await?;
            let mut rb = http
                .request(call.method.clone(), url.clone())
                .headers(call.headers.clone());
            if url.origin() == origin {
                if let Some(a) = auth {
                    rb = rb.header(AUTHORIZATION, a.clone());
                }
            }
            if let Some(b) = &call.body {
                rb = rb
                    .header(CONTENT_LENGTH, b.len().to_string())
                    .body(b.clone());
            }
            if call.timed {
                rb = rb.timeout(self.cfg.timeout);
            }
            let resp = rb.send().await.map_err(|e| transport(&url, e))?;
            tracing::debug!(url = %redact(&url), status = resp.status().as_u16(), "registry request");
            let follow = matches!(call.method, Method::GET | Method::HEAD)
                && resp.status().is_redirection()
                && resp.status() != StatusCode::NOT_MODIFIED;
            if !follow {
                return Ok(resp);
            }
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| RegistryError::protocol(&url, "redirect without Location"))?;
            url = url
                .join(location)
                .map_err(|e| RegistryError::protocol(&url, format!("bad redirect: {e}")))?;
        }
        Err(RegistryError::TooManyRedirects(MAX_REDIRECTS))
    }
}

pub(crate) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

pub(crate) fn check_repository(repository: &str) -> Result<(), RegistryError> {
    if is_valid_repository(repository) {
        Ok(())
    } else {
        Err(ReferenceError::BadRepository(repository.chars().take(260).collect()).into())
    }
}

/// The media type of a fetched manifest: the `Content-Type` when it is one Vigil reads,
/// else the document's own `mediaType`, else what its shape says.
fn manifest_media_type(content_type: Option<&str>, bytes: &[u8]) -> Option<String> {
    if let Some(ct) = content_type.filter(|ct| MANIFEST_MEDIA_TYPES.contains(ct)) {
        return Some(ct.to_string());
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        config: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        schema_version: Option<u64>,
    }
    let shape: Shape = serde_json::from_slice(bytes).ok()?;
    if let Some(mt) = shape.media_type {
        return MANIFEST_MEDIA_TYPES.contains(&mt.as_str()).then_some(mt);
    }
    if shape.schema_version != Some(2) {
        return None;
    }
    let generic = content_type.is_none_or(|ct| {
        ct.is_empty() || ct == "application/json" || ct == "application/octet-stream"
    });
    if !generic {
        return None;
    }
    match (shape.manifests.is_some(), shape.config.is_some()) {
        (true, false) => Some(MEDIA_OCI_INDEX.to_string()),
        (false, true) => Some(MEDIA_OCI_MANIFEST.to_string()),
        _ => None,
    }
}

/// Reads a body of at most `limit` bytes.
pub(crate) async fn read_bounded(
    mut resp: reqwest::Response,
    url: &Url,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::TooLarge {
        what: what.to_string(),
        limit,
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(url, e))? {
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The error for an unexpected status, with the registry's error text.
pub(crate) async fn fail(resp: reqwest::Response, url: &Url, what: String) -> RegistryError {
    let status = resp.status();
    let message = error_text(resp, url).await;
    match status {
        StatusCode::UNAUTHORIZED => RegistryError::Unauthorized {
            host: url.host_str().unwrap_or("").to_string(),
            reason: message,
        },
        StatusCode::FORBIDDEN => RegistryError::Denied {
            url: redact(url),
            message,
        },
        StatusCode::NOT_FOUND => RegistryError::NotFound { what, message },
        _ => RegistryError::Status {
            url: redact(url),
            status: status.as_u16(),
            message,
        },
    }
}

/// The registry's error codes (`{"errors":[{"code"}]}`, the distribution spec's fixed
/// vocabulary such as `NAME_UNKNOWN`), never the server's own text: these errors reach
/// tenants, and a body chosen by whatever answered must not.
async fn error_text(resp: reqwest::Response, url: &Url) -> String {
    #[derive(Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
    }
    let body = read_bounded(resp, url, MAX_ERROR_BYTES, "error body")
        .await
        .unwrap_or_default();
    let codes: Vec<String> = serde_json::from_slice::<Errors>(&body)
        .map(|e| e.errors)
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.code)
        .filter(|c| {
            !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
        .take(5)
        .collect();
    if codes.is_empty() {
        "no error code given".into()
    } else {
        format!("registry error {}", codes.join(", "))
    }
}

/// A transport error without the URL's query (reqwest's own text includes the full URL).
pub(crate) fn transport(url: &Url, e: reqwest::Error) -> RegistryError {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    let mut depth = 0;
    while let Some(s) = src {
        depth += 1;
        if depth > 6 {
            break;
        }
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    if timeout {
        message.push_str(" (timed out)");
    }
    if url.scheme() == "https"
        && (message.contains("InvalidContentType") || message.contains("corrupt message"))
    {
        message
            .push_str(" (the server does not seem to speak TLS; plain HTTP needs insecure_http)");
    }
    RegistryError::Transport {
        url: redact(url),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MEDIA_DOCKER_MANIFEST;

    #[test]
    fn media_type_choice() {
        assert_eq!(
            manifest_media_type(Some(MEDIA_DOCKER_MANIFEST), b"{}").as_deref(),
            Some(MEDIA_DOCKER_MANIFEST)
        );
        assert_eq!(
            manifest_media_type(
                Some("application/json"),
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"#
            )
            .as_deref(),
            Some(MEDIA_OCI_INDEX)
        );
        assert_eq!(
            manifest_media_type(None, br#"{"schemaVersion":2,"config":{}}"#).as_deref(),
            Some(MEDIA_OCI_MANIFEST)
        );
        assert_eq!(
            manifest_media_type(
                Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
                br#"{"schemaVersion":1}"#
            ),
            None
        );
        assert_eq!(manifest_media_type(None, b"not json"), None);
    }

    #[test]
    fn config_checks() {
        let scope = Arc::new(ScopeGuard::default());
        let c = Client::new(ClientConfig::new("docker.io", scope.clone())).unwrap();
        assert_eq!(c.registry(), DOCKER_HUB_REGISTRY);
        assert!(Client::new(ClientConfig::new("bad host", scope.clone())).is_err());
        let mut cfg = ClientConfig::new("127.0.0.1:5000", scope);
        cfg.ca_pem = Some(b"not a pem".to_vec());
        assert!(matches!(
            Client::new(cfg.clone()),
            Err(RegistryError::Config(_))
        ));
        cfg.ca_pem = None;
        cfg.credentials = Some(Credentials::Basic {
            username: "u".into(),
            password: "sekrit".into(),
        });
        let c = Client::new(cfg).unwrap();
        assert!(!format!("{c:?}").contains("sekrit"));
    }
}
