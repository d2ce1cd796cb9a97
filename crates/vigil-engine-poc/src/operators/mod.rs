//! Matchers and extractors, evaluated over the named parts of one response.
//!
//! Deserialize the YAML lists into [`MatcherSpec`] / [`ExtractorSpec`] (unknown keys are kept
//! in `unknown` so the loader can warn), compile them once with [`Operators::compile`] (or
//! [`Matcher::compile`] / [`Extractor::compile`]), then evaluate many times with
//! [`Operators::evaluate`] over a [`Data`], which the executor fills with the response's parts
//! and which caches their lower-cased form for case-insensitive word matchers.

mod data;
mod error;
mod evaluate;
mod extractor;
mod json;
mod matcher;
mod scope;
mod spec;

#[cfg(test)]
mod tests;

pub use data::{header_var_name, Data, HttpParts};
pub use error::CompileError;
pub use evaluate::{Evaluation, Operators};
pub use extractor::{Extractor, ExtractorKind};
pub use json::JqProgram;
pub use matcher::{Condition, Matcher, MatcherKind, Word};
pub use spec::{ExtractorSpec, MatcherSpec, Scalar};
