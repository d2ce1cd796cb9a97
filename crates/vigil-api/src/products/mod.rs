//! One module per cloud product, mapping its actions to store and queue operations and
//! rendering the product's response shapes.

pub mod csip;
pub mod cws;
mod ownership;

use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use serde_json::Value;

/// The checks each product makes before a scheduled run of one of its saved scans starts,
/// by product name, for the workers.
pub fn preflights(
    state: std::sync::Arc<crate::AppState>,
) -> Vec<(&'static str, std::sync::Arc<dyn vigil_worker::Preflight>)> {
    vec![
        (
            csip::PRODUCT,
            std::sync::Arc::new(csip::CsipPreflight::new(state.clone())),
        ),
        (
            cws::scans::PRODUCT,
            std::sync::Arc::new(cws::monitors::CwsPreflight::new(state)),
        ),
    ]
}

/// Deserialize validated parameters into a handler's request struct.
pub(crate) fn params<T: for<'de> Deserialize<'de>>(p: Value) -> ApiResult<T> {
    serde_json::from_value(p).map_err(|e| ApiError::invalid(e.to_string()))
}

/// A time as the clouds print it (`2006-01-02 15:04:05`, UTC); empty for none.
pub(crate) fn time_str(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// [`time_str`] of an optional time.
pub(crate) fn opt_time_str(ms: Option<i64>) -> String {
    ms.map(time_str).unwrap_or_default()
}
