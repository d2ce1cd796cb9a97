//! Where expressions find their variables: the [`Vars`] trait, implemented by maps and by
//! [`Layered`], which stacks several sources (extracted values over response parts over
//! template variables) without copying them.

use std::collections::{BTreeMap, HashMap};

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
