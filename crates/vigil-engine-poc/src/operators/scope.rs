//! What one evaluation reads: the response's [`Data`] under the values extracted earlier in the
//! same evaluation (nuclei adds each extractor's results to the data before matching).

use std::collections::HashMap;
use std::sync::Arc;

use super::data::{lower, Data};
use crate::dsl::{Value, Vars};

/// The response data with this evaluation's extracted values on top.
pub struct Scope<'a> {
    pub data: &'a Data,
    pub extra: &'a HashMap<String, Value>,
}

impl Scope<'_> {
    /// A part's value (see [`Data::part`]); extracted values win over the data.
    pub fn part(&self, part: &str) -> Option<Value> {
        match self.extra.get(part) {
            Some(v) => Some(v.clone()),
            None => self.data.part(part),
        }
    }

    /// A part's lower-cased bytes, cached in the data.
    pub fn part_lowered(&self, part: &str) -> Option<Arc<[u8]>> {
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
}
