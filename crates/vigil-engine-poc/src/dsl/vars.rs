//! Where expressions find their variables: the [`Vars`] trait, implemented by maps and by
//! [`Layered`], which stacks several sources (extracted values over response parts over
//! template variables) without copying them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::value::Value;

/// A source of named values.
pub trait Vars {
    /// The value of a variable, if it is known.
    fn get(&self, name: &str) -> Option<Value>;

    /// The variable's value lower-cased, when the source keeps it cached (`to_lower(body)` is
    /// in hundreds of templates evaluated on the same response). `None` means "compute it".
    fn lowered(&self, _name: &str) -> Option<Value> {
        None
    }

    /// A cached result of a deterministic helper call, by the call's canonical text. Sources
    /// shared by many templates (one response's data) may keep these; the default keeps none.
    fn memo_get(&self, _key: &MemoKey) -> Option<Value> {
        None
    }

    /// Offers a deterministic helper call's result for caching.
    fn memo_put(&self, _key: &MemoKey, _value: &Value) {}
}

/// Identifies a deterministic helper call for caching: its canonical text and the variables
/// it reads (a cache must only reuse a result when those variables are the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoKey {
    /// The call's canonical text, e.g. `mmh3(base64_py($body))`.
    pub text: Arc<str>,
    /// The variables the call reads.
    pub vars: Arc<[Arc<str>]>,
}

impl Vars for HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<Value> {
        HashMap::get(self, name).cloned()
    }
}

impl Vars for BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Option<Value> {
        BTreeMap::get(self, name).cloned()
    }
}

impl<T: Vars + ?Sized> Vars for &T {
    fn get(&self, name: &str) -> Option<Value> {
        (**self).get(name)
    }

    fn lowered(&self, name: &str) -> Option<Value> {
        (**self).lowered(name)
    }

    fn memo_get(&self, key: &MemoKey) -> Option<Value> {
        (**self).memo_get(key)
    }

    fn memo_put(&self, key: &MemoKey, value: &Value) {
        (**self).memo_put(key, value)
    }
}

/// No variables at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVars;

impl Vars for NoVars {
    fn get(&self, _name: &str) -> Option<Value> {
        None
    }
}

/// Several sources searched in order: the first that has a name wins.
#[derive(Clone, Copy)]
pub struct Layered<'a> {
    layers: &'a [&'a dyn Vars],
}

impl<'a> Layered<'a> {
    /// Layers searched first to last.
    pub fn new(layers: &'a [&'a dyn Vars]) -> Self {
        Layered { layers }
    }
}

impl Vars for Layered<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        self.layers.iter().find_map(|l| l.get(name))
    }
}
