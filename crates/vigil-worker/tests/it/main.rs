//! Integration tests of vigil-worker, in one test binary (matklad's layout: each file of this
//! directory is a module): a worker that dies mid-task, stop requests, runtime windows,
//! product checks of scheduled runs, panic isolation of engines, checks and supervised loops,
//! and the scheduler loop, on SQLite and on PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is set.
//! `support` holds the worker configuration, tasks, the manual clock and polling they share.

mod callbacks;
mod panic;
mod scheduler;
mod support;
mod worker;
