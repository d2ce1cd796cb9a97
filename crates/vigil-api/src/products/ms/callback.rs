//! The callback MS owes when one app of a scan has finished: a POST of
//! `{"Response": {"ItemId", "AppSid", "AppMd5", "AppPkgName", "AppName", "TaskStatus",
//! "TaskTime", "SafeType", "VulCount", "StatusCode", "StatusDesc"}}` to the scan's
//! `CallbackUrl`. Tencent documents the scan callback's body only up to `{ItemId:`; this
//! follows its documented shield callback (`{"Response": {"ItemId", ..., "TaskStatus",
//! "TaskTime"}}`) with the app's MD5 and verdict. It is owed in the store's callback outbox
//! first and delivered through the account's scope guard, retried with backoff until the
//! receiver answers `{"Result": "ok"}`, at most [`ATTEMPTS`] times. The hook runs when a
//! worker ends an app's run: an app deleted before it ends is not called back, and neither is
//! one whose scan was stopped before its run started.

use super::apps::{AppFacts, AppView, ScanFacts};
use super::NAME;
use crate::Services;
use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use vigil_store::{Accept, NewCallback, TaskRecord};

/// Delivery attempts of one callback.
pub(crate) const ATTEMPTS: i64 = 8;

/// MS's finish hook: owes the callback of each finished app whose scan names one.
pub(crate) struct MsFinisher {
    st: Arc<Services>,
}

impl MsFinisher {
    pub(crate) fn new(st: Arc<Services>) -> Self {
        MsFinisher { st }
    }

    async fn owe(&self, task: &TaskRecord) -> crate::error::ApiResult<()> {
        let st = &self.st;
        let account = task.account_id;
        let Some(item) = st
            .store
            .group_item_of_task::<AppFacts>(account, task.id)
            .await?
        else {
            return Ok(());
        };
        let scan = st
            .store
            .scan_group::<ScanFacts>(account, NAME, item.group_id)
            .await?;
        if scan.facts.callback_url.is_empty() {
            return Ok(());
        }
        let v = AppView::load(st, account, item, scan.stop_reason).await?;
        let body = json!({"Response": {
            "ItemId": scan.id.to_string(),
            "AppSid": v.item.id.to_string(),
            "AppMd5": v.item.facts.app_md5,
            "AppPkgName": v.pkg_name(),
            "AppName": v.app_name(),
            "TaskStatus": v.status,
            "TaskTime": v.task_time(),
            "SafeType": v.verdict.safe_type,
            "VulCount": v.vulns.len(),
            "StatusCode": v.status_code,
            "StatusDesc": v.status_desc,
        }});
        st.store
            .enqueue_callback(&NewCallback {
                account_id: account,
                url: scan.facts.callback_url.clone(),
                body: body.to_string(),
                accept: Accept::ResultOk,
                max_attempts: ATTEMPTS,
            })
            .await?;
        Ok(())
    }
}

#[async_trait]
impl vigil_worker::Finisher for MsFinisher {
    async fn finished(&self, task: &TaskRecord) -> Result<(), String> {
        self.owe(task).await.map_err(|e| e.to_string())
    }
}
