//! One module per cloud product, mapping its actions to store and queue operations and
//! rendering the product's response shapes.

pub mod csip;
pub mod cws;
mod ownership;
pub mod tcss;

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
            std::sync::Arc::new(cws::monitors::CwsPreflight::new(state.clone())),
        ),
        (
            tcss::PRODUCT,
            std::sync::Arc::new(tcss::TcssPreflight::new(state)),
        ),
    ]
}

/// Refuses `new_runs` more runs of `product` when the account would pass its daily quota
/// (`api.scan_quota` runs in 24 hours; a run already queued counts itself, so it asks for 0).
pub(crate) async fn check_quota(
    st: &crate::AppState,
    account_id: i64,
    product: &str,
    new_runs: i64,
) -> ApiResult<()> {
    let used = st
        .store
        .count_tasks_since(account_id, product, vigil_core::now_millis() - 86_400_000)
        .await?;
    if used + new_runs > st.config.scan_quota {
        // CWS has its own code for this; the other products use the common one.
        let code = if product == "cws" {
            "LimitExceeded.ScanQuota"
        } else {
            "LimitExceeded"
        };
        return Err(ApiError::new(
            code,
            format!(
                "The account has started {used} scans in the last 24 hours; {new_runs} more would pass its quota of {}.",
                st.config.scan_quota
            ),
        ));
    }
    Ok(())
}

/// Record a change the caller made (`action` as `product.Action`) in the audit log.
pub(crate) async fn audit(
    st: &crate::AppState,
    rc: &crate::RequestCtx,
    action: &str,
    detail: &str,
) -> ApiResult<()> {
    st.store
        .audit(Some(rc.account.id), &rc.request_id, action, detail)
        .await?;
    Ok(())
}

/// Ids as an audit detail.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
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
