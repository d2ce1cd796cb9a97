//! An action: one cloud API call Vigil serves (name, parameter schema, handler, doc). A
//! product's entry in [`crate::product`] lists its action tables; routing, validation and
//! `vigil actions --json` all read them from there.

use crate::error::ApiResult;
use crate::params::{describe, Param};
use crate::{RequestCtx, Services};
use futures::future::BoxFuture;
use serde_json::{json, Value};

/// Handler of one action: validated parameters in, response fields out.
pub type Handler = for<'a> fn(&'a Services, &'a RequestCtx, Value) -> BoxFuture<'a, ApiResult>;

/// One served action.
pub struct Action {
    /// Action name.
    pub name: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Implementation.
    pub handler: Handler,
    /// One-line description.
    pub doc: &'static str,
}

/// Whether some product serves an action called `name` (for metric labels: names of refused
/// requests come from the client).
pub fn is_known(name: &str) -> bool {
    crate::product::all()
        .iter()
        .any(|p| p.action(name).is_some())
}

/// The machine-readable list behind `vigil actions --json`.
pub fn catalogue() -> Value {
    Value::Array(
        crate::product::all()
            .iter()
            .flat_map(|p| {
                p.all_actions().map(move |a| {
                    json!({"Product": p.name, "Version": p.version(), "Action": a.name,
                           "Description": a.doc, "Parameters": describe(a.params)})
                })
            })
            .collect(),
    )
}

/// Every action of every product, in catalogue order.
pub fn all() -> Vec<&'static Action> {
    crate::product::all()
        .iter()
        .flat_map(|p| p.all_actions())
        .collect()
}

/// An [`Action`] entry: name, parameter schema, async handler `fn(&Services, &RequestCtx,
/// Value) -> ApiResult`, description.
macro_rules! action {
    ($name:literal, $params:expr, $handler:path, $doc:literal) => {
        $crate::action::Action {
            name: $name,
            params: $params,
            handler: |s, c, p| Box::pin($handler(s, c, p)),
            doc: $doc,
        }
    };
}
pub(crate) use action;
