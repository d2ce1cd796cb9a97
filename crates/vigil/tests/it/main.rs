//! Integration tests of the `vigil` binary, in one test binary (matklad's layout: each file
//! of this directory is a module): the CLI end to end (`keys`, `actions`, `migrate`, `serve`
//! with graceful shutdown, `scan host|web|apk`), `vigil db` and `vigil scan image` with the image
//! import, peak memory of an image scan, and a worker process killed mid-task, and the
//! golden `vigil actions --json`. Every test
//! runs the real binary (`CARGO_BIN_EXE_vigil`) as a child process.

mod apk_cli;
mod cli;
mod golden_actions;
mod image_cli;
mod image_memory;
mod poc_cli;
mod worker_kill;
