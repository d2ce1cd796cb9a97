//! Vigil's background machinery: workers that claim tasks from the durable queue, run the
//! matching engine with a scan context (recording on the attempt which engine kind and version
//! ran it), store findings as they stream in and keep the lease alive with heartbeats (which
//! also carry progress and bring back stop requests); the scheduler that fires due schedules;
//! the product hook that re-checks a scheduled run; the rescuer that returns expired leases;
//! the deliverer of the store's callback outbox (finish webhooks, app scan callbacks);
//! and the panic isolation that keeps one bad run (an engine panicking on a hostile answer)
//! from stopping a worker, and restarts a loop that dies.

mod callbacks;
mod finisher;
mod preflight;
mod scheduler;
mod supervise;
mod worker;

pub use callbacks::{backoff_ms, deliver_due, run_callbacks};
pub use finisher::Finisher;
pub use preflight::{Preflight, Prepared};
pub use scheduler::{run_rescuer, run_scheduler};
pub use supervise::{catch_panic, panic_message, supervise, RESTART_DELAY};
pub use worker::{DuplicatePreflight, Worker, WorkerConfig};
