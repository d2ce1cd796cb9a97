//! The single entry point for API calls: read and bound the body, pick the request's wire
//! dialect, let it authenticate and route, validate the parameters against the action's
//! schema, dispatch, and let the dialect render the answer or the error. Each request runs in
//! a tracing span carrying its request id, so "see the server log for this RequestId" holds.

use crate::dialect::{self, Raw, Refusal};
use crate::error::{ApiError, Code};
use crate::params::validate;
use crate::{action, AppState};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

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
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id);
    serve(st, request_id, req).instrument(span).await
}

async fn serve(st: Arc<AppState>, request_id: String, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path_product = parts.uri.path().trim_matches('/').to_string();
    let read = axum::body::to_bytes(body, st.config.max_body_bytes);
    let (bytes, unread) = match tokio::time::timeout(st.config.body_read_timeout, read).await {
        Err(_) => (
            Bytes::new(),
            Some(ApiError::new(
                Code::InvalidRequest,
                format!(
                    "The request body was not received within {} seconds.",
                    st.config.body_read_timeout.as_secs()
                ),
            )),
        ),
        Ok(Err(_)) => (
            Bytes::new(),
            Some(ApiError::new(
                Code::RequestSizeLimitExceeded,
                format!(
                    "The request body exceeds {} bytes.",
                    st.config.max_body_bytes
                ),
            )),
        ),
        Ok(Ok(bytes)) => (bytes, None),
    };
    let raw = Raw {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        path_product: &path_product,
        body: &bytes,
    };
    let dialect = dialect::of_request(&raw);
    let result = match unread {
        Some(e) => Err(Refusal::new("-", e)),
        None => process(&st, dialect, &request_id, raw).await,
    };
    let (name, response) = match result {
        Ok((name, fields)) => {
            st.metrics
                .record(&name, "OK", started.elapsed().as_secs_f64());
            let response = dialect.respond(&request_id, Ok(fields), &raw);
            (name, response)
        }
        Err(r) => {
            // Names of refused requests come from the client: only known ones become labels.
            let label = if action::is_known(&r.action) {
                r.action.as_str()
            } else {
                "unknown"
            };
            let code = dialect.wire_code(r.error.code);
            st.metrics
                .record(label, code, started.elapsed().as_secs_f64());
            tracing::info!(action = %r.action, code = %code, "request refused");
            (
                r.action.clone(),
                dialect.respond(&request_id, Err(&r.error), &raw),
            )
        }
    };
    tracing::debug!(action = %name, ms = started.elapsed().as_millis() as u64, "request served");
    response
}

async fn process(
    st: &AppState,
    dialect: &dyn dialect::Dialect,
    request_id: &str,
    raw: Raw<'_>,
) -> Result<(String, Value), Refusal> {
    let authed = dialect.authenticate(st, request_id, raw).await?;
    let name = authed.action.name.to_string();
    let fail = |e: ApiError| Refusal::new(name.clone(), e);
    let params = validate(authed.action.params, &authed.params, authed.form).map_err(fail)?;
    let out = (authed.action.handler)(&st.services, &authed.ctx, params)
        .await
        .map_err(fail)?;
    Ok((name, out))
}
