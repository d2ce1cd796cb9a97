//! Task states and the specification a product module hands to the queue: which engine kind
//! runs, against what target, with which options.

use serde::{Deserialize, Serialize};

/// Lifecycle of a queued task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting for a worker (possibly not before `run_after`).
    Queued,
    /// Claimed by a worker holding a lease.
    Running,
    /// Outside its runtime window; re-queued for the next window opening.
    Paused,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error after exhausting its attempts.
    Failed,
    /// Stopped on request.
    Stopped,
}

impl TaskState {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Paused => "paused",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Stopped => "stopped",
        }
    }

    /// Parse a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => TaskState::Queued,
            "running" => TaskState::Running,
            "paused" => TaskState::Paused,
            "succeeded" => TaskState::Succeeded,
            "failed" => TaskState::Failed,
            "stopped" => TaskState::Stopped,
            _ => return None,
        })
    }

    /// Whether the task will not run again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Succeeded | TaskState::Failed | TaskState::Stopped
        )
    }
}

/// What to run: created by a product module, stored with the task, read by the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Product that owns the task (`cws`, `csip`, ...), used to render results.
    pub product: String,
    /// Engine kind that runs it (`net`, `web`, ...).
    pub kind: String,
    /// Engine-specific target description.
    pub target: serde_json::Value,
    /// Engine-specific options.
    pub options: serde_json::Value,
    /// How many times a lost or failed run is retried before the task fails.
    pub max_attempts: i64,
    /// The saved scan definition (a product's named, possibly periodic scan) this run
    /// belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for s in [
            TaskState::Queued,
            TaskState::Running,
            TaskState::Paused,
            TaskState::Succeeded,
            TaskState::Failed,
            TaskState::Stopped,
        ] {
            assert_eq!(TaskState::parse(s.as_str()), Some(s));
        }
        assert!(TaskState::Stopped.is_terminal());
        assert!(!TaskState::Paused.is_terminal());
    }
}
