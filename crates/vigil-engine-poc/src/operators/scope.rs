//! What one evaluation reads: the response's [`Data`] under the values extracted earlier in the
//! same evaluation (nuclei adds each extractor's results to the data before matching).

use std::collections::HashMap;
use std::sync::Arc;

use super::data::{lower, Data};
use crate::dsl::{MemoKey, Value, Vars};

/// The response data with this evaluation's extracted values on top.
pub(crate) struct Scope<'a> {
    pub(crate) data: &'a Data,
    pub(crate) extra: &'a HashMap<String, Value>,
}

impl Scope<'_> {
    /// A part's value (see [`Data::part`]); extracted values win over the data.
    pub(crate) fn part(&self, part: &str) -> Option<Value> {
        match self.extra.get(part) {
            Some(v) => Some(v.clone()),
            None => self.data.part(part),
        }
    }

    /// A part's lower-cased bytes, cached in the data.
    pub(crate) fn part_lowered(&self, part: &str) -> Option<Arc<[u8]>> {
        match self.extra.get(part) {
            Some(v) => Some(lower(v).into()),
            None => self.data.part_lowered(part),
        }
    }
}

impl Vars for Scope<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        self.extra
            .get(name)
            .cloned()
            .or_else(|| self.data.get(name))
    }

    fn lowered(&self, name: &str) -> Option<Value> {
        if self.extra.contains_key(name) {
            return None;
        }
        self.data.lowered(name)
    }

    fn memo_get(&self, key: &MemoKey) -> Option<Value> {
        // A value extracted in this evaluation may shadow the data's: no sharing then.
        if key.vars.iter().any(|v| self.extra.contains_key(&**v)) {
            return None;
        }
        self.data.memo_get(key)
    }

    fn memo_put(&self, key: &MemoKey, value: &Value) {
        if !key.vars.iter().any(|v| self.extra.contains_key(&**v)) {
            self.data.memo_put(key, value)
        }
    }
}
