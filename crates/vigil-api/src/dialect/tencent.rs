//! The Tencent Cloud API 3.0 dialect (CWS, CSIP, TCSS; MS next): TC3-HMAC-SHA256 from the
//! `Authorization` header, else v1 HmacSHA1/HmacSHA256 from query or form parameters (nonces
//! single-use within the signature window); the product from the credential scope (TC3) or
//! the host or path (v1, else the one product serving the version); timestamps in Unix
//! seconds; every answer HTTP 200 `application/json` wrapped as `{"Response": {...,
//! "RequestId"}}`, errors as `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` with
//! the codes named as [`Code::name`] spells them.

use super::{Authed, Dialect, Raw, Refusal};
use crate::dialect;
use crate::error::{ApiError, Code};
use crate::params::{parse_pairs, unflatten};
use crate::sign;
use crate::{AppState, RequestCtx};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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

/// The dialect.
pub struct Tencent;

/// The one instance products name.
pub static TENCENT: Tencent = Tencent;

impl Dialect for Tencent {
    fn name(&self) -> &'static str {
        "tencent"
    }

    fn recognises(&self, raw: &Raw<'_>) -> bool {
        raw.header("authorization")
            .is_some_and(|a| a.starts_with("TC3-"))
            || raw.header("x-tc-action").is_some()
            || raw
                .uri
                .query()
                .is_some_and(|q| q.contains("SecretId=") || q.contains("Signature="))
            || raw.body.windows(9).any(|w| w == b"SecretId=")
    }

    fn authenticate<'a>(
        &'a self,
        st: &'a AppState,
        request_id: &'a str,
        raw: Raw<'a>,
    ) -> BoxFuture<'a, Result<Authed, Refusal>> {
        Box::pin(authenticate(st, request_id, raw))
    }

    fn wire_code(&self, code: Code) -> &'static str {
        code.name()
    }

    fn respond(
        &self,
        request_id: &str,
        outcome: Result<Value, &ApiError>,
        _raw: &Raw<'_>,
    ) -> Response {
        let body = match outcome {
            Ok(mut fields) => {
                if let Value::Object(m) = &mut fields {
                    m.insert("RequestId".into(), Value::String(request_id.to_string()));
                }
                json!({ "Response": fields })
            }
            Err(e) => self.error_body(request_id, e),
        };
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

impl Tencent {
    /// The error envelope.
    pub fn error_body(&self, request_id: &str, e: &ApiError) -> Value {
        json!({"Response": {"Error": {"Code": self.wire_code(e.code), "Message": e.message}, "RequestId": request_id}})
    }
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
            Code::SignatureExpire,
            format!("The request timestamp {t} differs from the server time {now} by more than {} seconds.", st.config.max_skew.as_secs()),
        ));
    }
    Ok(())
}

async fn authenticate(st: &AppState, request_id: &str, raw: Raw<'_>) -> Result<Authed, Refusal> {
    let Raw {
        method, uri, body, ..
    } = raw;
    let query = uri.query().unwrap_or("");
    if let Some(auth) = raw.header("authorization") {
        let name = raw.header("x-tc-action").unwrap_or("-").to_string();
        return tc3(st, request_id, raw, auth)
            .await
            .map_err(|e| Refusal::new(name, e));
    }
    // v1: parameters in the query (GET) or a form body (POST).
    let encoded: &[u8] = if *method == Method::GET {
        query.as_bytes()
    } else {
        body
    };
    let pairs = parse_pairs(encoded).map_err(|e| Refusal::new("-", e))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let name = get("Action").unwrap_or("-").to_string();
    if get("Signature").is_none() {
        if raw.header("x-tc-action").is_some() {
            return Err(Refusal::new(
                name,
                ApiError::new(
                    Code::InvalidAuthorization,
                    "The Authorization header is missing.",
                ),
            ));
        }
        return Err(Refusal::new(name, ApiError::new(Code::InvalidAuthorization, "The request is not signed: send a TC3-HMAC-SHA256 Authorization header or v1 Signature parameters.")));
    }
    v1(st, request_id, raw, &pairs)
        .await
        .map_err(|e| Refusal::new(name, e))
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
            Code::InvalidAuthorization,
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
    let product = dialect::product_of(&TENCENT, Some(&a.service), version)?;
    let act = product.route(version, action_name)?;
    dialect::rate_limit(st, cred.account.id, act.name)?;
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
pub async fn verify_tc3(
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
            Code::SignatureFailure,
            "The credential scope date does not match X-TC-Timestamp.",
        ));
    }
    if header_str(headers, "x-tc-token").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::new(
            Code::TokenFailure,
            "Temporary credentials (X-TC-Token) are not issued by this endpoint.",
        ));
    }
    let cred = dialect::credential(st, &a.secret_id).await?;
    let mut lines = String::new();
    let mut lower = String::new();
    for h in &a.signed_headers {
        let v = header_str(headers, h)
            .ok_or_else(|| {
                ApiError::new(
                    Code::InvalidAuthorization,
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
            Code::SignatureFailure,
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
            Code::TokenFailure,
            "Temporary credentials (Token) are not issued by this endpoint.",
        ));
    }
    let cred = dialect::credential(st, secret_id).await?;
    let host = header_str(headers, "host").unwrap_or("");
    let to_sign = sign::v1_string_to_sign(method.as_str(), host, uri.path(), pairs);
    let expected = sign::v1_signature(&cred.secret_key, method_name, &to_sign).unwrap_or_default();
    if !sign::same(&expected, signature) {
        return Err(ApiError::new(
            Code::SignatureFailure,
            "The request signature does not match.",
        ));
    }
    let product = dialect::product_of(&TENCENT, raw.product_hint().as_deref(), version)?;
    let act = product.route(version, action_name)?;
    dialect::rate_limit(st, cred.account.id, act.name)?;
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
            Code::SignatureFailure,
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
