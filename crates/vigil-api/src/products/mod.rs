//! One module per cloud product, mapping its actions to store and queue operations and
//! rendering the product's response shapes.

pub mod csip;
pub mod cws;
pub mod ms;
mod ownership;
pub mod tcss;

use crate::error::{ApiError, ApiResult, Code};

/// Why a product may not start more runs: the daily scan quota would be passed (`used`
/// runs in the last 24 hours, `asked` more, `quota` allowed), or the store failed. Products
/// name the code (CWS has its own; the others answer `LimitExceeded` through `From`).
#[derive(Debug)]
pub(crate) enum QuotaError {
    /// The quota would be passed.
    Exceeded { used: i64, asked: i64, quota: i64 },
    /// The store failed.
    Store(vigil_store::StoreError),
}

impl QuotaError {
    /// The error under `code` when the quota would be passed.
    pub(crate) fn with_code(self, code: Code) -> ApiError {
        match self {
            QuotaError::Exceeded { used, asked, quota } => ApiError::new(
                code,
                format!("The account has started {used} scans in the last 24 hours; {asked} more would pass its quota of {quota}."),
            ),
            QuotaError::Store(e) => e.into(),
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(e: QuotaError) -> Self {
        e.with_code(Code::LimitExceeded)
    }
}

/// Refuses `new_runs` more runs of `product` when the account would pass its daily quota
/// (`api.scan_quota` runs in 24 hours; a run already queued counts itself, so it asks for 0).
pub(crate) async fn check_quota(
    st: &crate::Services,
    account_id: i64,
    product: &str,
    new_runs: i64,
) -> Result<(), QuotaError> {
    let used = st
        .store
        .count_tasks_since(account_id, product, st.store.now() - 86_400_000)
        .await
        .map_err(QuotaError::Store)?;
    if used + new_runs > st.config.scan_quota {
        return Err(QuotaError::Exceeded {
            used,
            asked: new_runs,
            quota: st.config.scan_quota,
        });
    }
    Ok(())
}

/// Record a change the caller made (`action` as `product.Action`) in the audit log.
pub(crate) async fn audit(
    st: &crate::Services,
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
