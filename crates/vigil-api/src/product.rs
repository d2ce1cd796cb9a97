//! The product registry: one [`Product`] entry is the single place a cloud product is
//! declared (name, API versions, wire dialect, action tables, the cloud actions it does not
//! serve yet, the preflight of its scheduled runs, the hook when its runs end, extra HTTP
//! routes). Routing, validation,
//! `vigil actions --json`, the workers' preflights and the HTTP application all read
//! [`all`]; adding a product is its own module plus one line there.

use crate::action::Action;
use crate::dialect::Dialect;
use crate::error::{ApiError, Code};
use crate::{AppState, Services};
use axum::Router;
use std::sync::Arc;

/// Builds a product's preflight from the services it works with.
pub type MakePreflight = fn(Arc<Services>) -> Arc<dyn vigil_worker::Preflight>;
/// Builds a product's finish hook from the services it works with.
pub type MakeFinisher = fn(Arc<Services>) -> Arc<dyn vigil_worker::Finisher>;

/// One cloud product.
pub struct Product {
    /// Service name as the clients send it (credential scope, host label), e.g. `cws`.
    pub name: &'static str,
    /// API versions served, the current one first; every action serves each.
    pub versions: &'static [&'static str],
    /// The wire dialect its clients speak.
    pub dialect: &'static dyn Dialect,
    /// Its action tables (one per module that declares actions).
    pub actions: &'static [&'static [Action]],
    /// Actions of the cloud API that Vigil does not serve yet: calling one answers
    /// `UnsupportedOperation` (not `InvalidAction`), so clients can tell "not yet" from "no
    /// such".
    pub unserved: &'static [&'static str],
    /// The checks made before a scheduled run of one of its saved scans starts.
    pub preflight: Option<MakePreflight>,
    /// What it does when a run of one of its tasks has ended (callbacks its cloud owes).
    pub finisher: Option<MakeFinisher>,
    /// HTTP routes beside the API (reports, downloads, uploads).
    pub routes: Option<fn() -> Router<Arc<AppState>>>,
}

impl Product {
    /// The served action called `name`.
    pub fn action(&self, name: &str) -> Option<&'static Action> {
        self.actions
            .iter()
            .flat_map(|t| t.iter())
            .find(|a| a.name == name)
    }

    /// Every served action, in declaration order.
    pub fn all_actions(&self) -> impl Iterator<Item = &'static Action> {
        self.actions.iter().flat_map(|t| t.iter())
    }

    /// The current API version.
    pub fn version(&self) -> &'static str {
        self.versions.first().copied().unwrap_or_default()
    }

    /// The action `name` of `version`, or why there is none: an unserved version, an
    /// action Vigil does not serve yet (`UnsupportedOperation`), or no such action.
    pub fn route(&self, version: &str, name: &str) -> Result<&'static Action, ApiError> {
        let product = self.name;
        if !self.versions.contains(&version) {
            return Err(ApiError::new(
                Code::InvalidAction,
                format!(
                    "The version `{version}` of product `{product}` is not supported; use `{}`.",
                    self.versions.join("`, `")
                ),
            ));
        }
        if let Some(a) = self.action(name) {
            return Ok(a);
        }
        if self.unserved.contains(&name) {
            return Err(ApiError::unsupported(format!(
                "The action `{name}` of {product} {version} is part of the cloud API but not implemented by Vigil yet."
            )));
        }
        Err(ApiError::new(
            Code::InvalidAction,
            format!("The action `{name}` does not exist in {product} {version}."),
        ))
    }
}

/// Every product, in the order `vigil actions` lists them.
pub fn all() -> &'static [&'static Product] {
    static ALL: [&Product; 4] = [
        &crate::products::cws::PRODUCT,
        &crate::products::csip::PRODUCT,
        &crate::products::tcss::PRODUCT,
        &crate::products::ms::PRODUCT,
    ];
    &ALL
}

/// The product called `name`.
pub fn find(name: &str) -> Option<&'static Product> {
    all().iter().copied().find(|p| p.name == name)
}

/// The finish hook of every product that has one, by product name, for the workers.
pub fn finishers(services: &Arc<Services>) -> Vec<(&'static str, Arc<dyn vigil_worker::Finisher>)> {
    all()
        .iter()
        .filter_map(|p| p.finisher.map(|make| (p.name, make(services.clone()))))
        .collect()
}

/// The preflight of every product that has one, by product name, for the workers.
pub fn preflights(
    services: &Arc<Services>,
) -> Vec<(&'static str, Arc<dyn vigil_worker::Preflight>)> {
    all()
        .iter()
        .filter_map(|p| p.preflight.map(|make| (p.name, make(services.clone()))))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_actions_are_unique() {
        let mut names: Vec<&str> = super::all().iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), super::all().len());
        for p in super::all() {
            assert!(!p.versions.is_empty(), "{} has no version", p.name);
            let mut actions: Vec<&str> = p.all_actions().map(|a| a.name).collect();
            let n = actions.len();
            actions.sort();
            actions.dedup();
            assert_eq!(n, actions.len(), "{} declares an action twice", p.name);
            for u in p.unserved {
                assert!(
                    p.action(u).is_none(),
                    "{}: {u} is both served and unserved",
                    p.name
                );
            }
        }
    }
}
