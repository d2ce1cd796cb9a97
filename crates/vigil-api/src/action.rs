//! An action: one cloud API call Vigil serves (name, parameter schema, handler, doc). A
//! product's entry in [`crate::product`] lists its action tables; routing, validation and
//! `vigil actions --json` all read them from there.

use crate::error::ApiResult;
use crate::params::{describe, Param, Params};
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

/// The parameter schema of a handler: that of the request struct it takes.
pub const fn params_of<R, F>(_handler: &F) -> &'static [Param]
where
    R: Params,
    F: AsyncFn(&Services, &RequestCtx, R) -> ApiResult,
{
    R::PARAMS
}

/// An [`Action`] entry: name, async handler `fn(&Services, &RequestCtx, R) -> ApiResult`
/// whose request struct `R` (`#[derive(Params)]`) is the action's parameter schema,
/// description. The validated parameters are read into `R` before the handler runs.
macro_rules! action {
    ($name:literal, $handler:path, $doc:literal) => {
        $crate::action::Action {
            name: $name,
            params: $crate::action::params_of(&$handler),
            handler: |s, c, p| {
                Box::pin(async move { $handler(s, c, $crate::params::decode(p)?).await })
            },
            doc: $doc,
        }
    };
}
pub(crate) use action;
