//! Vigil's background machinery: workers that claim tasks from the durable queue, run the
//! matching engine with a scan context, store findings as they stream in and keep the lease
//! alive with heartbeats (which also carry progress and bring back stop requests); the
//! scheduler that fires due schedules; the product hook that re-checks a scheduled run; and the rescuer that returns expired leases.

mod preflight;
mod scheduler;
mod worker;

pub use preflight::{Preflight, Prepared};
pub use scheduler::{run_rescuer, run_scheduler};
pub use worker::{Worker, WorkerConfig};
