//! Integration tests of vigil-worker, in one test binary (matklad's layout: each file of this
//! directory is a module): a worker that dies mid-task, stop requests, runtime windows,
//! product checks of scheduled runs, and panic isolation of engines, checks and supervised
//! loops, on SQLite and on PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is set. `support` holds
//! the worker configuration, tasks and polling they share.

mod panic;
mod support;
mod worker;
