//! A product's word after a run of one of its tasks ended: the worker calls the product's
//! [`Finisher`] once the task has reached a final state (succeeded, failed, stopped), so the
//! product can owe what its cloud owes at that moment (Tencent MS calls back once per
//! finished app) through the store's callback outbox. It runs after the task's state and
//! findings are stored; an error is logged and never changes the task.

use async_trait::async_trait;
use vigil_store::TaskRecord;

/// What a product does when one of its tasks has ended.
#[async_trait]
pub trait Finisher: Send + Sync {
    /// `task` as stored after its run ended (its state is final).
    async fn finished(&self, task: &TaskRecord) -> Result<(), String>;
}
