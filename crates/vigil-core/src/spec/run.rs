//! The worker's part of a task's options ([`RunOptions`]): rate, runtime window, timeout,
//! the finding scope, the kinds a run may mark fixed, a finish webhook and the product's own
//! record. They sit beside the engine's options in the stored `options` object; [`KEYS`]
//! names them, and a test keeps it equal to the struct's fields.

use crate::Schedule;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Option names that belong to the worker, not the engine.
pub const KEYS: &[&str] = &[
    "rate_per_second",
    "rate_strict",
    "scope_key",
    "schedule",
    "finding_kinds",
    "finish_webhook",
    "timeout_secs",
    "meta",
];

/// How the worker runs a task, whatever its engine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// Requests (or connection attempts) per second; none means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_second: Option<u32>,
    /// Requests evenly spaced, never a burst.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rate_strict: bool,
    /// The group of findings a run is compared with (default: the engine's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_key: Option<String>,
    /// Runtime window: outside it the task pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Only findings of these kinds can become `fixed` after a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_kinds: Option<Vec<String>>,
    /// A URL receiving a JSON POST with the outcome (through the scope guard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_webhook: Option<String>,
    /// The run fails when it takes longer (0 or none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// The product's own record of the run (ids it renders results by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_exactly_the_fields() {
        let full = RunOptions {
            rate_per_second: Some(1),
            rate_strict: true,
            scope_key: Some("k".into()),
            schedule: Some(Schedule::new(crate::Trigger::Once {
                at: chrono::DateTime::UNIX_EPOCH,
            })),
            finding_kinds: Some(vec![]),
            finish_webhook: Some("u".into()),
            timeout_secs: Some(1),
            meta: Some(Value::Null),
        };
        let v = serde_json::to_value(full).unwrap();
        let mut fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys = KEYS.to_vec();
        fields.sort();
        keys.sort();
        assert_eq!(fields, keys);
    }
}
