//! The `poc` engine: known-vulnerability checks written as nuclei templates. Templates are
//! parsed once into a typed model (`template`), apart from the executor, and each file that
//! cannot run says why; `dsl` is nuclei's expression language (govaluate syntax and its
//! helper functions) used by matchers, extractors and `{{...}}` placeholders; `operators`
//! are the matchers and extractors evaluated over one response's parts; `exec` runs compiled
//! templates on targets through `vigil_engine::wire`; `engine` is the [`PocEngine`].

pub mod dsl;
mod engine;
pub mod exec;
pub mod operators;
pub mod template;

pub use engine::{filter_of, findings, level, Loaded, PocEngine, Ran, TEMPLATES_DIR};
