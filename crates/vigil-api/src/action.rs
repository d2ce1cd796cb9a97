//! The action table: every cloud action Vigil serves is one entry (product, version, name,
//! parameter schema, handler, doc). Routing, validation and `vigil actions --json` all read it.

use crate::error::ApiResult;
use crate::params::{describe, Param};
use crate::{AppState, RequestCtx};
use futures::future::BoxFuture;
use serde_json::{json, Value};

/// Handler of one action: validated parameters in, response fields out.
pub type Handler = for<'a> fn(&'a AppState, &'a RequestCtx, Value) -> BoxFuture<'a, ApiResult>;

/// One served action.
pub struct Action {
    /// Product (service name in the credential scope and host), e.g. `cws`.
    pub product: &'static str,
    /// API version of the product.
    pub version: &'static str,
    /// Action name.
    pub name: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Implementation.
    pub handler: Handler,
    /// One-line description.
    pub doc: &'static str,
}

/// Every action of every product.
pub fn all() -> Vec<&'static Action> {
    crate::products::cws::ACTIONS
        .iter()
        .chain(crate::products::cws::scans::ACTIONS.iter())
        .chain(crate::products::cws::monitors::ACTIONS.iter())
        .chain(crate::products::csip::ACTIONS.iter())
        .chain(crate::products::tcss::ACTIONS.iter())
        .collect()
}

/// Actions of a product's cloud API that Vigil does not serve yet; calling one answers
/// `UnsupportedOperation` (not `InvalidAction`), so clients can tell "not yet" from "no such".
pub fn not_yet_served(product: &str) -> &'static [&'static str] {
    match product {
        "cws" => crate::products::cws::NOT_YET_SERVED,
        "csip" => crate::products::csip::NOT_YET_SERVED,
        "tcss" => crate::products::tcss::NOT_YET_SERVED,
        _ => &[],
    }
}

/// Products and their versions.
pub fn products() -> Vec<(&'static str, &'static str)> {
    let mut p: Vec<(&str, &str)> = all().iter().map(|a| (a.product, a.version)).collect();
    p.sort();
    p.dedup();
    p
}

/// Find an action.
pub fn find(product: &str, name: &str) -> Option<&'static Action> {
    all()
        .into_iter()
        .find(|a| a.product == product && a.name == name)
}

/// The machine-readable list behind `vigil actions --json`.
pub fn catalogue() -> Value {
    Value::Array(
        all()
            .iter()
            .map(|a| {
                json!({"Product": a.product, "Version": a.version, "Action": a.name,
                       "Description": a.doc, "Parameters": describe(a.params)})
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_are_unique() {
        let mut keys: Vec<(&str, &str)> =
            super::all().iter().map(|a| (a.product, a.name)).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(n, keys.len());
        assert!(n >= 7);
    }
}
