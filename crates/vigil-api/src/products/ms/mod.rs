//! Tencent Cloud MS (mobile security, version 2018-04-08), its app scanning: up to 20 Android
//! apps per `CreateScanInstances`, each fetched by URL with the MD5 it must have and scanned by
//! the `apk` engine for vulnerabilities, viruses and packers, ad SDKs and other SDKs,
//! permissions and sensitive information; results per app through `DescribeScanResults`, the
//! account's apps through `DescribeScanInstances`, deletion by `AppSid`, the one-call verdict of
//! `DescribeApkDetectionResult`, and one callback per finished app. Shapes follow
//! `tencentcloud-sdk-python-ms` 3.0.885, the last release with the scan actions (the cloud
//! dropped them in 3.0.886 when the product closed to new users; `CommonClient` calls them).
//!
//! A scan (`ItemId`) is a scan group of product `ms` with one item per app (`AppSid`, subject
//! key the app's MD5), each one queue task of kind `apk`. Integers may arrive as decimal
//! strings, as Tencent's own examples send them.
//!
//! Modules: [`apps`] the group's typed facts and each app's state and verdict read from its
//! task, findings and components; [`scans`] creating, listing and deleting; [`results`] the
//! per-app results and the one-call detection; [`callback`] the per-app callback;
//! [`unserved`] the rest of the MS API.

mod apps;
mod callback;
mod results;
mod scans;
mod unserved;

use crate::action::{action, Action};
use crate::error::Code;
use crate::product::Product;

pub(crate) const VERSION: &str = "2018-04-08";
pub(crate) const NAME: &str = "ms";

/// MS's code for a call without apps.
pub(crate) const MISSING_APP_INFO: Code = Code::Product("MissingParameter.MissingAppInfo");
/// MS's code for a call without a scan id.
pub(crate) const MISSING_ITEM_ID: Code = Code::Product("MissingParameter.MissingItemId");
/// MS's code for a scan id that is not the account's.
pub(crate) const ITEM_ID_NOT_FOUND: Code = Code::Product("ResourceNotFound.ItemIdNotFound");
/// MS's code for a bad `Limit`.
pub(crate) const INVALID_LIMIT: Code = Code::Product("InvalidParameterValue.InvalidLimit");
/// MS's code for a bad `Offset`.
pub(crate) const INVALID_OFFSET: Code = Code::Product("InvalidParameterValue.InvalidOffset");
/// MS's code for a bad filter.
pub(crate) const INVALID_FILTER: Code = Code::Product("InvalidParameterValue.InvalidFilter");
/// MS's code for `ItemIds` given with `Filters`.
pub(crate) const COEXIST: Code =
    Code::Product("InvalidParameterValue.InvalidCoexistItemIdsFilters");
/// MS's code for bad `ItemIds`.
pub(crate) const INVALID_ITEM_IDS: Code = Code::Product("InvalidParameterValue.InvalidItemIds");
/// MS's code for a bad `OrderField`.
pub(crate) const INVALID_ORDER_FIELD: Code =
    Code::Product("InvalidParameterValue.InvalidOrderField");
/// MS's code for a bad `OrderDirection`.
pub(crate) const INVALID_ORDER_DIRECTION: Code =
    Code::Product("InvalidParameterValue.InvalidOrderDirection");

/// The MS entry of the product registry.
pub static PRODUCT: Product = Product {
    name: NAME,
    versions: &[VERSION],
    dialect: &crate::dialect::tencent::TENCENT,
    actions: &[&ACTIONS],
    unserved: unserved::NOT_YET_SERVED,
    preflight: None,
    finisher: Some(|s| std::sync::Arc::new(callback::MsFinisher::new(s))),
    routes: Some(|| {
        axum::Router::new().route(
            "/upload/ms/apps",
            axum::routing::put(crate::upload::apps::upload_app),
        )
    }),
};

/// The MS actions.
pub static ACTIONS: [Action; 5] = [
    action!(
        "CreateScanInstances",
        scans::create,
        "Scan up to 20 Android apps, each fetched by URL and checked against its MD5."
    ),
    action!(
        "DescribeScanInstances",
        scans::list,
        "The account's scanned apps with their state, verdict and vulnerability count."
    ),
    action!(
        "DeleteScanInstances",
        scans::delete,
        "Delete scanned apps by AppSid (a running scan is stopped)."
    ),
    action!(
        "DescribeScanResults",
        results::describe,
        "Results of the apps of one scan: details, vulnerabilities, virus verdict, ad SDKs, permissions, sensitive information."
    ),
    action!(
        "DescribeApkDetectionResult",
        results::detection,
        "The verdict of one app by URL and MD5: the latest finished scan's, else a scan is started (ask again)."
    ),
];
