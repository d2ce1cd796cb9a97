//! The single entry point for API calls: read and bound the body, authenticate (TC3 or v1),
//! route, rate-limit, validate, dispatch, and wrap the answer or error in the envelope.

use crate::action::{self, Action};
use crate::error::ApiError;
use crate::params::{parse_pairs, unflatten, validate};
use crate::sign;
use crate::{AppState, RequestCtx};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// Parameters of v1 requests that are not action parameters.
const V1_COMMON: &[&str] = &[
    "Action",
    "Version",
    "Nonce",
    "Timestamp",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Region",
    "Token",
    "Language",
    "RequestClient",
];

/// The parts of an HTTP request the gateway reads.
#[derive(Clone, Copy)]
struct Raw<'a> {
    method: &'a Method,
    uri: &'a axum::http::Uri,
    headers: &'a HeaderMap,
    /// First path segment (a product hint), possibly empty.
    path_product: &'a str,
    body: &'a Bytes,
}

/// What authentication established.
struct Authed {
    ctx: RequestCtx,
    action: &'static Action,
    params: Value,
    form: bool,
}

/// `GET /metrics`. The task gauges come from the store at most once per second, however
/// often the endpoint is hit; concurrent scrapes wait for the one refresh in flight.
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let (depth, tasks) = st.metrics.gauges(&st.store).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(depth, &tasks),
    )
        .into_response()
}

/// Every API call.
pub async fn handle(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let path_product = parts.uri.path().trim_matches('/').to_string();
    let read = axum::body::to_bytes(body, st.config.max_body_bytes);
    let result = match tokio::time::timeout(st.config.body_read_timeout, read).await {
        Err(_) => Err((
            "-".to_string(),
            ApiError::new(
                "InvalidRequest",
                format!(
                    "The request body was not received within {} seconds.",
                    st.config.body_read_timeout.as_secs()
                ),
            ),
        )),
        Ok(Err(_)) => Err((
            "-".to_string(),
            ApiError::new(
                "RequestSizeLimitExceeded",
                format!(
                    "The request body exceeds {} bytes.",
                    st.config.max_body_bytes
                ),
            ),
        )),
        Ok(Ok(bytes)) => {
            let raw = Raw {
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                path_product: &path_product,
                body: &bytes,
            };
            process(&st, &request_id, raw).await
        }
    };
    let (action_name, body) = match result {
        Ok((name, mut fields)) => {
            if let Value::Object(m) = &mut fields {
                m.insert("RequestId".into(), Value::String(request_id.clone()));
            }
            st.metrics
                .record(&name, "OK", started.elapsed().as_secs_f64());
            (name, serde_json::json!({ "Response": fields }))
        }
        Err((name, e)) => {
            // Names of refused requests come from the client: only known ones become labels.
            let label = if action::all().iter().any(|a| a.name == name) {
                name.as_str()
            } else {
                "unknown"
            };
            st.metrics
                .record(label, &e.code, started.elapsed().as_secs_f64());
            tracing::info!(request_id = %request_id, action = %name, code = %e.code, "request refused");
            (name, e.envelope(&request_id))
        }
    };
    tracing::debug!(request_id = %request_id, action = %action_name, ms = started.elapsed().as_millis() as u64, "request served");
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn process(
    st: &AppState,
    request_id: &str,
    raw: Raw<'_>,
) -> Result<(String, Value), (String, ApiError)> {
    let authed = authenticate(st, request_id, raw).await?;
    let name = authed.action.name.to_string();
    let fail = |e: ApiError| (name.clone(), e);
    let params = validate(authed.action.params, &authed.params, authed.form).map_err(fail)?;
    let out = (authed.action.handler)(st, &authed.ctx, params)
        .await
        .map_err(fail)?;
    Ok((name, out))
}

/// The per-account, per-action rate limit; checked after the signature and before anything
/// is written for the request (v1 nonces included).
fn rate_limit(st: &AppState, account_id: i64, action: &str) -> Result<(), ApiError> {
    if st.limits.allow(account_id, action) {
        return Ok(());
    }
    Err(ApiError::new(
        "RequestLimitExceeded",
        format!(
            "Too many {action} requests; the limit is {} per second.",
            st.limits.rate_of(action)
        ),
    ))
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_skew(st: &AppState, ts: &str) -> Result<(), ApiError> {
    let t: i64 = ts
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid_value("`Timestamp` must be a Unix time in seconds."))?;
    let now = chrono::Utc::now().timestamp();
    if now.abs_diff(t) > st.config.max_skew.as_secs() {
        return Err(ApiError::new(
            "AuthFailure.SignatureExpire",
            format!("The request timestamp {t} differs from the server time {now} by more than {} seconds.", st.config.max_skew.as_secs()),
        ));
    }
    Ok(())
}

async fn credential(st: &AppState, secret_id: &str) -> Result<vigil_store::Credential, ApiError> {
    match st.store.credential(secret_id).await {
        Ok(Some(c)) if c.active => Ok(c),
        Ok(_) => Err(ApiError::new(
            "AuthFailure.SecretIdNotFound",
            "The SecretId does not exist or has been revoked.",
        )),
        Err(e) => Err(ApiError::internal(&e)),
    }
}

/// Route to an action from the product hint and version.
fn route(product: Option<&str>, version: &str, name: &str) -> Result<&'static Action, ApiError> {
    let products = action::products();
    let product = match product {
        Some(p) => p.to_string(),
        None => {
            let by_version: Vec<&str> = products
                .iter()
                .filter(|(_, v)| *v == version)
                .map(|(p, _)| *p)
                .collect();
            match by_version.as_slice() {
                [one] => one.to_string(),
                _ => {
                    return Err(ApiError::new(
                        "InvalidAction",
                        format!("Cannot tell the product of this request: no product serves version `{version}`; use a `<product>.` host name or a `/<product>` path."),
                    ))
                }
            }
        }
    };
    let Some((_, served)) = products.iter().find(|(p, _)| *p == product) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!("The product `{product}` is not served by this endpoint."),
        ));
    };
    if *served != version {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "The version `{version}` of product `{product}` is not supported; use `{served}`."
            ),
        ));
    }
    if let Some(a) = action::find(&product, name) {
        return Ok(a);
    }
    if action::not_yet_served(&product).contains(&name) {
        return Err(ApiError::unsupported(format!(
            "The action `{name}` of {product} {version} is part of the cloud API but not implemented by Vigil yet."
        )));
    }
    Err(ApiError::new(
        "InvalidAction",
        format!("The action `{name}` does not exist in {product} {version}."),
    ))
}

/// A product name from the Host header's first label or the path.
fn product_hint(headers: &HeaderMap, path_product: &str) -> Option<String> {
    let known = action::products();
    let is_known = |p: &str| known.iter().any(|(k, _)| *k == p);
    let host = header_str(headers, "host").unwrap_or("");
    let label = host.split('.').next().unwrap_or("").to_ascii_lowercase();
    if is_known(&label) {
        return Some(label);
    }
    if !path_product.is_empty() {
        return Some(path_product.to_ascii_lowercase());
    }
    None
}

async fn authenticate(
    st: &AppState,
    request_id: &str,
    raw: Raw<'_>,
) -> Result<Authed, (String, ApiError)> {
    let Raw {
        method,
        uri,
        headers,
        body,
        ..
    } = raw;
    let query = uri.query().unwrap_or("");
    if let Some(auth) = header_str(headers, "authorization") {
        let name = header_str(headers, "x-tc-action")
            .unwrap_or("-")
            .to_string();
        return tc3(st, request_id, raw, auth).await.map_err(|e| (name, e));
    }
    // v1: parameters in the query (GET) or a form body (POST).
    let encoded: &[u8] = if *method == Method::GET {
        query.as_bytes()
    } else {
        body
    };
    let pairs = parse_pairs(encoded).map_err(|e| ("-".to_string(), e))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let name = get("Action").unwrap_or("-").to_string();
    if get("Signature").is_none() {
        if header_str(headers, "x-tc-action").is_some() {
            return Err((
                name,
                ApiError::new(
                    "AuthFailure.InvalidAuthorization",
                    "The Authorization header is missing.",
                ),
            ));
        }
        return Err((name, ApiError::new("AuthFailure.InvalidAuthorization", "The request is not signed: send a TC3-HMAC-SHA256 Authorization header or v1 Signature parameters.")));
    }
    v1(st, request_id, raw, &pairs).await.map_err(|e| (name, e))
}

async fn tc3(
    st: &AppState,
    request_id: &str,
    raw: Raw<'_>,
    auth: &str,
) -> Result<Authed, ApiError> {
    let Raw {
        method,
        uri,
        headers,
        body,
        ..
    } = raw;
    let query = uri.query().unwrap_or("");
    let a = sign::parse_tc3_authorization(auth).ok_or_else(|| {
        ApiError::new(
            "AuthFailure.InvalidAuthorization",
            "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.",
        )
    })?;
    let action_name =
        header_str(headers, "x-tc-action").ok_or_else(|| ApiError::missing("X-TC-Action"))?;
    let version =
        header_str(headers, "x-tc-version").ok_or_else(|| ApiError::missing("X-TC-Version"))?;
    let unsigned = header_str(headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD");
    let payload_hash = if unsigned {
        hex::encode(Sha256::digest(b"UNSIGNED-PAYLOAD"))
    } else {
        hex::encode(Sha256::digest(body))
    };
    let canon_query = if *method == Method::GET { query } else { "" };
    let cred = verify_tc3(
        st,
        method,
        uri.path(),
        canon_query,
        headers,
        &a,
        &payload_hash,
    )
    .await?;
    let act = route(Some(&a.service), version, action_name)?;
    rate_limit(st, cred.account.id, act.name)?;
    let (params, form) = if *method == Method::GET {
        (unflatten(&parse_pairs(query.as_bytes())?)?, true)
    } else if body.is_empty() {
        (Value::Object(Default::default()), false)
    } else {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("The request body is not valid JSON: {e}")))?;
        (v, false)
    };
    Ok(Authed {
        ctx: RequestCtx {
            request_id: request_id.to_string(),
            account: cred.account,
            action: act.name.to_string(),
            region: header_str(headers, "x-tc-region").map(str::to_string),
            host: header_str(headers, "host").unwrap_or("").to_string(),
        },
        action: act,
        params,
        form,
    })
}

/// Check a TC3 signature whose payload is known by its hex SHA-256, and the timestamp, scope
/// date and credential behind it; the credential when all hold.
pub(crate) async fn verify_tc3(
    st: &AppState,
    method: &Method,
    path: &str,
    canon_query: &str,
    headers: &HeaderMap,
    a: &sign::Tc3Authorization,
    payload_hash: &str,
) -> Result<vigil_store::Credential, ApiError> {
    let ts =
        header_str(headers, "x-tc-timestamp").ok_or_else(|| ApiError::missing("X-TC-Timestamp"))?;
    check_skew(st, ts)?;
    let date = ts
        .parse::<i64>()
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    if date != a.date {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The credential scope date does not match X-TC-Timestamp.",
        ));
    }
    if header_str(headers, "x-tc-token").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "Temporary credentials (X-TC-Token) are not issued by this endpoint.",
        ));
    }
    let cred = credential(st, &a.secret_id).await?;
    let mut lines = String::new();
    let mut lower = String::new();
    for h in &a.signed_headers {
        let v = header_str(headers, h)
            .ok_or_else(|| {
                ApiError::new(
                    "AuthFailure.InvalidAuthorization",
                    format!("Signed header `{h}` is missing."),
                )
            })?
            .trim();
        lines.push_str(&format!("{h}:{v}\n"));
        lower.push_str(&format!("{h}:{}\n", v.to_ascii_lowercase()));
    }
    let signed = a.signed_headers.join(";");
    let mut input = sign::Tc3Input {
        method: method.as_str(),
        uri: path,
        query: canon_query,
        canonical_headers: &lines,
        signed_headers: &signed,
        payload: None,
        timestamp: ts,
        date: &a.date,
        service: &a.service,
    };
    let ok = sign::same(
        &sign::tc3_signature_hashed(&cred.secret_key, &input, payload_hash),
        &a.signature,
    ) || {
        input.canonical_headers = &lower;
        sign::same(
            &sign::tc3_signature_hashed(&cred.secret_key, &input, payload_hash),
            &a.signature,
        )
    };
    if !ok {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The request signature does not match.",
        ));
    }
    Ok(cred)
}

async fn v1(
    st: &AppState,
    request_id: &str,
    raw: Raw<'_>,
    pairs: &[(String, String)],
) -> Result<Authed, ApiError> {
    let Raw {
        method,
        uri,
        headers,
        path_product,
        ..
    } = raw;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let req = |k: &'static str| get(k).ok_or_else(|| ApiError::missing(k));
    let action_name = req("Action")?;
    let version = req("Version")?;
    let secret_id = req("SecretId")?;
    let signature = req("Signature")?;
    let ts = req("Timestamp")?;
    let nonce = req("Nonce")?;
    // A positive integer, as Tencent documents it: also keeps `&` and `=` out of the string
    // to sign, which joins raw values.
    if nonce.is_empty()
        || nonce.len() > 20
        || !nonce.bytes().all(|b| b.is_ascii_digit())
        || nonce.bytes().all(|b| b == b'0')
    {
        return Err(ApiError::invalid_value(
            "`Nonce` must be a positive integer.",
        ));
    }
    let method_name = get("SignatureMethod").unwrap_or("HmacSHA1");
    if method_name != "HmacSHA1" && method_name != "HmacSHA256" {
        return Err(ApiError::invalid_value(
            "`SignatureMethod` must be HmacSHA1 or HmacSHA256.",
        ));
    }
    check_skew(st, ts)?;
    if get("Token").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "Temporary credentials (Token) are not issued by this endpoint.",
        ));
    }
    let cred = credential(st, secret_id).await?;
    let host = header_str(headers, "host").unwrap_or("");
    let to_sign = sign::v1_string_to_sign(method.as_str(), host, uri.path(), pairs);
    let expected = sign::v1_signature(&cred.secret_key, method_name, &to_sign).unwrap_or_default();
    if !sign::same(&expected, signature) {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "The request signature does not match.",
        ));
    }
    let hint = product_hint(headers, path_product);
    let act = route(hint.as_deref(), version, action_name)?;
    rate_limit(st, cred.account.id, act.name)?;
    let rest: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !V1_COMMON.contains(&k.as_str()))
        .cloned()
        .collect();
    let params = unflatten(&rest)?;
    let now = vigil_core::now_millis();
    let ttl = st.config.max_skew.as_millis() as i64 * 2;
    match st.store.use_nonce(secret_id, nonce, now, now + ttl).await {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            "Replayed request: this Nonce was already used within the signature validity window.",
        )),
        Err(e) => return Err(ApiError::internal(&e)),
    }
    Ok(Authed {
        ctx: RequestCtx {
            request_id: request_id.to_string(),
            account: cred.account,
            action: act.name.to_string(),
            region: get("Region").map(str::to_string),
            host: host.to_string(),
        },
        action: act,
        params,
        form: true,
    })
}
