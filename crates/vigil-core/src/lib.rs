//! Vigil's domain model, free of I/O: severities and the one normalised finding model with its
//! dedup fingerprint, task states and specifications, and schedules (one-off, interval, cron in
//! Unix and Quartz forms) with daily runtime windows and time zones, and the one policy for
//! showing secrets masked ([`mask`]), and the [`Clock`] the store, queue and worker read the
//! time from. Every other crate speaks these types; nothing here knows about HTTP, SQL or
//! sockets.

pub mod canonical;
pub mod clock;
pub mod cron;
pub mod finding;
mod mask;
pub mod schedule;
pub mod spec;
pub mod task;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use finding::{Component, Finding, FindingStatus, Severity};
pub use mask::mask;
pub use schedule::{DailyWindow, Schedule, Trigger};
pub use task::{TaskSpec, TaskState};

/// Milliseconds since the Unix epoch, the one timestamp representation used in storage.
pub type Millis = i64;

/// Current time in milliseconds since the Unix epoch. The store, queue and worker read the
/// time from their [`Clock`] instead.
pub fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
