//! Wire dialects: how a family of cloud APIs authenticates requests, names and routes
//! actions, spells errors and wraps answers. Each [`Product`] names its dialect; the gateway
//! picks the dialect of a request (the first that recognises its signature, else the dialect
//! of the product its host or path names, else the first product's), lets it authenticate
//! and route, and hands it the outcome to render. Adding a dialect is a module here and a
//! [`Product`] entry that names it.

pub mod tencent;

use crate::action::Action;
use crate::error::{ApiError, Code};
use crate::product::{self, Product};
use crate::{AppState, RequestCtx};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use futures::future::BoxFuture;
use serde_json::Value;

/// The parts of an HTTP request a dialect reads.
#[derive(Clone, Copy)]
pub struct Raw<'a> {
    /// Method.
    pub method: &'a Method,
    /// URI (path and query).
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// First path segment (a product hint), possibly empty.
    pub path_product: &'a str,
    /// Body (empty when it could not be read).
    pub body: &'a Bytes,
}

impl<'a> Raw<'a> {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The product named by the `Host` header's first label or, failing that, the first
    /// path segment (checked against the registry only for the host).
    pub fn product_hint(&self) -> Option<String> {
        let host = self.header("host").unwrap_or("");
        let label = host.split('.').next().unwrap_or("").to_ascii_lowercase();
        if product::find(&label).is_some() {
            return Some(label);
        }
        if !self.path_product.is_empty() {
            return Some(self.path_product.to_ascii_lowercase());
        }
        None
    }
}

/// An authenticated, routed request.
pub struct Authed {
    /// Who is calling and what.
    pub ctx: RequestCtx,
    /// The action called.
    pub action: &'static Action,
    /// Its parameters, not yet validated.
    pub params: Value,
    /// Whether the parameters came as form text (strings to coerce to the declared types).
    pub form: bool,
}

/// A refused request: the action name the client sent (`-` when unknown), for logs and
/// metrics, and why.
pub struct Refusal {
    /// Action name as sent.
    pub action: String,
    /// The error.
    pub error: ApiError,
}

impl Refusal {
    /// A refusal of action `name`.
    pub fn new(action: impl Into<String>, error: ApiError) -> Self {
        Refusal {
            action: action.into(),
            error,
        }
    }
}

/// One wire dialect.
pub trait Dialect: Send + Sync {
    /// Short name, for logs.
    fn name(&self) -> &'static str;

    /// Whether the request is signed the way this dialect signs.
    fn recognises(&self, raw: &Raw<'_>) -> bool;

    /// Check the signature and credential, find the product and action, apply the rate
    /// limit (before anything is written for the request) and read the parameters.
    fn authenticate<'a>(
        &'a self,
        st: &'a AppState,
        request_id: &'a str,
        raw: Raw<'a>,
    ) -> BoxFuture<'a, Result<Authed, Refusal>>;

    /// How an error code is spelt on this wire.
    fn wire_code(&self, code: Code) -> &'static str;

    /// The HTTP response for an action's result (`Ok` holds the response fields).
    fn respond(
        &self,
        request_id: &str,
        outcome: Result<Value, &ApiError>,
        raw: &Raw<'_>,
    ) -> Response;
}

/// The dialect of a request: the first product dialect that recognises its signature, else
/// the dialect of the product its host or path names, else the first product's.
pub fn of_request(raw: &Raw<'_>) -> &'static dyn Dialect {
    let products = product::all();
    if let Some(p) = products.iter().find(|p| p.dialect.recognises(raw)) {
        return p.dialect;
    }
    if let Some(p) = raw.product_hint().and_then(|h| product::find(&h)) {
        return p.dialect;
    }
    products[0].dialect
}

/// The product of a request in `dialect`: the one `named` (a credential scope or a host or
/// path hint), else the one product of the dialect serving `version`.
pub fn product_of(
    dialect: &dyn Dialect,
    named: Option<&str>,
    version: &str,
) -> Result<&'static Product, ApiError> {
    let ours = || {
        product::all()
            .iter()
            .copied()
            .filter(move |p| p.dialect.name() == dialect.name())
    };
    let found = match named {
        Some(name) => ours().find(|p| p.name == name).ok_or_else(|| {
            ApiError::new(
                Code::InvalidAction,
                format!("The product `{name}` is not served by this endpoint."),
            )
        })?,
        None => {
            let by_version: Vec<&Product> =
                ours().filter(|p| p.versions.contains(&version)).collect();
            match by_version.as_slice() {
                [one] => *one,
                _ => return Err(ApiError::new(
                    Code::InvalidAction,
                    format!("Cannot tell the product of this request: no product serves version `{version}`; use a `<product>.` host name or a `/<product>` path."),
                )),
            }
        }
    };
    Ok(found)
}

/// The per-account, per-action rate limit; dialects check it after the signature and
/// before anything is written for the request (nonces included).
pub fn rate_limit(st: &AppState, account_id: i64, action: &str) -> Result<(), ApiError> {
    if st.limits.allow(account_id, action) {
        return Ok(());
    }
    Err(ApiError::new(
        Code::RequestLimitExceeded,
        format!(
            "Too many {action} requests; the limit is {} per second.",
            st.limits.rate_of(action)
        ),
    ))
}

/// The account behind an access key id, when it exists and is active.
pub async fn credential(
    st: &AppState,
    secret_id: &str,
) -> Result<vigil_store::Credential, ApiError> {
    match st.store.credential(secret_id).await {
        Ok(Some(c)) if c.active => Ok(c),
        Ok(_) => Err(ApiError::new(
            Code::SecretIdNotFound,
            "The SecretId does not exist or has been revoked.",
        )),
        Err(e) => Err(ApiError::internal(&e)),
    }
}
