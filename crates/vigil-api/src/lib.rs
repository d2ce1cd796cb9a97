//! Vigil's HTTP gateway: one [`product::Product`] entry per cloud product (its versions, wire
//! dialect, actions, unserved actions, preflight and extra routes), wire dialects that own
//! authentication, envelopes and error codes (`dialect/`, Tencent Cloud API 3.0 today:
//! TC3-HMAC-SHA256 and v1 signatures, `{"Response": {..., "RequestId"}}`), flattened
//! parameters with declarative validation, routing by (product, version, action) and
//! per-account rate limits. Product modules map cloud actions to store and queue operations
//! and render the cloud's response shapes; they see [`Services`], never the gateway's state.

pub mod action;
pub mod dialect;
pub mod error;
mod gateway;
mod links;
pub mod metrics;
pub mod params;
pub mod product;
pub mod products;
pub mod ratelimit;
pub mod server;
pub mod sign;
pub mod upload;
mod xlsx;

use axum::routing::{any, get};
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use vigil_engine::{Dns, ScopeGuard};
use vigil_store::{Account, Store};

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Time a client has to send an API request's body (uploads have their own limits).
    pub body_read_timeout: Duration,
    /// Allowed clock skew of signed requests.
    pub max_skew: Duration,
    /// Default requests per second per account per action.
    pub rate_per_second: u32,
    /// Per-action overrides of the rate.
    pub rate_overrides: HashMap<String, u32>,
    /// Timeout of ownership-verification fetches.
    pub fetch_timeout: Duration,
    /// Scans each account may start per day, per product (CWS's quota; CSIP runs too).
    pub scan_quota: i64,
    /// Sites each account may register.
    pub max_sites: i64,
    /// Assets (addresses and domains) each account may register.
    pub max_assets: i64,
    /// Base URL of links Vigil hands out (reports), e.g. `https://vigil.example.com`;
    /// when unset, links use `listen` over plain HTTP (see [`links`]).
    pub public_url: Option<String>,
    /// The address the API listens on (set by the binary once bound).
    pub listen: Option<std::net::SocketAddr>,
    /// How long report links stay valid (also download links of exports, and the exports
    /// themselves, for at most a day).
    pub link_ttl: Duration,
    /// IANA time zone in which scan plans (cron fields, `YYYY-MM-DD HH:MM:SS` times) are
    /// read. The clouds' consoles use China Standard Time (`Asia/Shanghai`); Vigil's
    /// default is UTC.
    pub plan_time_zone: String,
    /// Shortest time between two runs of a periodic scan plan.
    pub min_plan_interval: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_body_bytes: 2 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_skew: Duration::from_secs(300),
            rate_per_second: 20,
            rate_overrides: HashMap::new(),
            fetch_timeout: Duration::from_secs(10),
            scan_quota: 1000,
            max_sites: 1000,
            max_assets: 10_000,
            public_url: None,
            listen: None,
            link_ttl: Duration::from_secs(3600),
            plan_time_zone: "UTC".into(),
            min_plan_interval: Duration::from_secs(3600),
        }
    }
}

/// What product modules and their preflights work with: the store, the operator's scope, DNS
/// and the settings. Workers build this alone (`vigil worker` runs no gateway).
pub struct Services {
    /// Database.
    pub store: Store,
    /// Operator scope.
    pub scope: Arc<ScopeGuard>,
    /// DNS client for TXT ownership proofs.
    pub dns: Arc<Dns>,
    /// Settings.
    pub config: ApiConfig,
    /// Where uploads are kept, when the binary enables them (products resolve `upload:` URLs
    /// against it).
    pub upload_dir: Option<std::path::PathBuf>,
    /// The vulnerability template catalogue CSIP's scan item `poc` runs and lists, when the
    /// binary names it (`<data_dir>/templates`).
    pub templates: Arc<products::csip::Templates>,
}

impl Services {
    /// Services from their parts.
    pub fn new(store: Store, scope: Arc<ScopeGuard>, dns: Arc<Dns>, config: ApiConfig) -> Self {
        Services {
            store,
            scope,
            dns,
            config,
            upload_dir: None,
            templates: Arc::default(),
        }
    }

    /// The same services with the template catalogue at `dir`.
    pub fn with_templates(mut self, dir: std::path::PathBuf) -> Self {
        self.templates = Arc::new(products::csip::Templates::new(dir));
        self
    }
}

/// Shared state of the gateway: the products' [`Services`] (reachable through `Deref`) and
/// what only the gateway uses.
pub struct AppState {
    /// What the products work with.
    pub services: Arc<Services>,
    /// Rate limits.
    pub limits: ratelimit::ApiRateLimits,
    /// Metrics.
    pub metrics: metrics::Metrics,
    /// Uploads (`PUT /upload/tcss/images`, `PUT /upload/ms/apps`), when the binary enables
    /// them.
    pub uploads: Option<upload::Uploads>,
}

impl AppState {
    /// State from its parts.
    pub fn new(store: Store, scope: Arc<ScopeGuard>, dns: Arc<Dns>, config: ApiConfig) -> Self {
        let limits = ratelimit::ApiRateLimits::new(config.rate_per_second, &config.rate_overrides);
        AppState {
            services: Arc::new(Services::new(store, scope, dns, config)),
            limits,
            metrics: metrics::Metrics::default(),
            uploads: None,
        }
    }

    /// The same state with uploads enabled (before the services are shared).
    pub fn with_uploads(mut self, uploads: upload::Uploads) -> Self {
        if let Some(s) = Arc::get_mut(&mut self.services) {
            s.upload_dir = Some(uploads.dir.clone());
        }
        self.uploads = Some(uploads);
        self
    }

    /// The same state with the template catalogue at `dir` (before the services are
    /// shared).
    pub fn with_templates(mut self, dir: std::path::PathBuf) -> Self {
        if let Some(s) = Arc::get_mut(&mut self.services) {
            s.templates = Arc::new(products::csip::Templates::new(dir));
        }
        self
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

/// Who is calling and what: built by the gateway after authentication.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Request id returned in the envelope.
    pub request_id: String,
    /// Calling account.
    pub account: Account,
    /// Action name.
    pub action: String,
    /// `X-TC-Region` / `Region`, if given.
    pub region: Option<String>,
    /// `Host` header of the request (for links back to this server).
    pub host: String,
}

/// The HTTP application: the gateway's own routes, then each product's extra routes.
pub fn app(state: Arc<AppState>) -> Router {
    let gateway = Router::new()
        .route(
            "/healthz",
            get(|| async {
                "ok
"
            }),
        )
        .route("/metrics", get(gateway::metrics))
        .route("/", any(gateway::handle))
        .route("/{product}", any(gateway::handle))
        .route("/{product}/", any(gateway::handle))
        .with_state(state.clone());
    product::all()
        .iter()
        .filter_map(|p| p.routes)
        .fold(gateway, |app, routes| {
            app.merge(routes().with_state(state.clone()))
        })
}
