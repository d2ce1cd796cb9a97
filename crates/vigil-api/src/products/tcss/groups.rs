//! TCSS's image scans as the store's scan groups: a scan task is a group of product
//! [`vigil_store::IMAGE_SCAN_PRODUCT`] (`tcss`), kind `local` or `registry`, with one item per
//! image (subject row: the image's row, subject key: the image id scanned). What TCSS keeps
//! beyond the common columns is typed here: on the group whether it is a one-click scan and
//! its scanners, on each item the scanners its task runs.

use crate::error::ApiResult;
use crate::Services;
use serde::{Deserialize, Serialize};
use vigil_core::TaskState;
use vigil_store::{
    GroupItem, NewGroupItem, NewScanGroup, ScanGroup, StopReason, IMAGE_SCAN_PRODUCT,
};

/// What TCSS keeps on a scan group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScanFacts {
    /// A one-click scan (`IsOneClickScanningTask`, the one-key registry scan).
    #[serde(default)]
    pub(crate) one_click: bool,
    /// Scanners run: `vuln`, `virus`, `risk`.
    #[serde(default)]
    pub(crate) scanners: Vec<String>,
}

/// What TCSS keeps on one image of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ItemFacts {
    /// Scanners the image's task runs.
    #[serde(default)]
    pub(crate) scanners: Vec<String>,
}

/// A TCSS scan task.
pub(crate) type ImageScan = ScanGroup<ScanFacts>;
/// One image of a scan task with its queue task.
pub(crate) type ImageScanItem = GroupItem<ItemFacts>;
/// A scan task to create.
pub(crate) type NewImageScan = NewScanGroup<ScanFacts, ItemFacts>;
/// One image of a scan task to create.
pub(crate) type NewScanItem = NewGroupItem<ItemFacts>;

/// The kind of group of a local image scan.
pub(crate) const LOCAL: &str = "local";
/// The kind of group of a registry image scan.
pub(crate) const REGISTRY: &str = "registry";

/// Whether a task in this state has yet to end (queued, running, paused).
pub(crate) fn unfinished(s: TaskState) -> bool {
    matches!(
        s,
        TaskState::Queued | TaskState::Running | TaskState::Paused
    )
}

/// Whether every task of the scan has ended.
pub(crate) fn ended(items: &[ImageScanItem]) -> bool {
    items.iter().all(|i| !unfinished(i.task.state))
}

/// `READY` (nothing started yet), `SCANNING`, `END`.
pub(crate) fn task_status(items: &[ImageScanItem]) -> &'static str {
    if ended(items) {
        "END"
    } else if items
        .iter()
        .all(|i| i.task.state == TaskState::Queued && i.task.started_at.is_none())
    {
        "READY"
    } else {
        "SCANNING"
    }
}

/// `Success`, `Timeout`, `Cancel`, `Error`; empty while the task runs.
pub(crate) fn sub_status(scan: &ImageScan, items: &[ImageScanItem]) -> &'static str {
    if !ended(items) {
        return "";
    }
    match scan.stop_reason {
        Some(StopReason::Timeout) => "Timeout",
        Some(_) => "Cancel",
        None if items.iter().any(|i| i.task.state == TaskState::Stopped) => "Cancel",
        None if items.iter().any(|i| i.task.state == TaskState::Failed) => "Error",
        None => "Success",
    }
}

/// Stop the account's scan tasks whose time ran out (they report `SubStatus` `Timeout`).
pub(crate) async fn expire(st: &Services, account: i64) -> ApiResult<()> {
    st.store
        .expire_scan_groups(account, IMAGE_SCAN_PRODUCT, st.store.now())
        .await?;
    Ok(())
}

/// The account's scan tasks of one kind ([`LOCAL`], [`REGISTRY`]) or all, newest first.
pub(crate) async fn scans(
    st: &Services,
    account: i64,
    kind: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<ImageScan>> {
    Ok(st
        .store
        .scan_groups(account, IMAGE_SCAN_PRODUCT, kind, limit)
        .await?)
}

/// The images of a scan task with their queue tasks, in creation order.
pub(crate) async fn items(st: &Services, account: i64, scan: i64) -> ApiResult<Vec<ImageScanItem>> {
    Ok(st.store.group_items(account, scan).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_scans_are_groups_of_this_product() {
        assert_eq!(super::super::NAME, vigil_store::IMAGE_SCAN_PRODUCT);
    }

    #[test]
    fn facts_read_what_the_migration_wrote() {
        // 0010_scan_groups.sql spells the facts of the image scans it copies so.
        let g: ScanFacts =
            serde_json::from_str(r#"{"one_click":true,"scanners":["vuln","risk"]}"#).unwrap();
        assert!(g.one_click);
        assert_eq!(g.scanners, vec!["vuln", "risk"]);
        let i: ItemFacts = serde_json::from_str(r#"{"scanners":["virus"]}"#).unwrap();
        assert_eq!(i.scanners, vec!["virus"]);
    }
}
