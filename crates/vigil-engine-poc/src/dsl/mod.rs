//! nuclei's expression language: govaluate syntax parsed into an AST, evaluated over named
//! values with the helper functions templates use, and `{{...}}` placeholders in request text.
//!
//! Parse once with [`Expression::parse`] (unknown helpers and bad literal regexes are parse
//! errors), evaluate many times with [`Expression::eval`] over any [`Vars`]; compile request
//! text once with [`Template::compile`] and render it with [`Template::render`].

mod ast;
mod error;
mod eval;
mod functions;
mod go_regex;
mod lexer;
mod parser;
mod placeholder;
mod regex_cache;
mod value;
mod vars;

#[cfg(test)]
mod tests;

pub use ast::{BinOp, Expr, Expression, UnOp};
pub use error::{EvalError, ParseError};
pub use functions::{lookup as lookup_helper, names as helper_names, Func};
pub use placeholder::{Rendered, Template};
pub use regex_cache::{compile as compile_regex, LazyRegex};
pub use value::Value;
pub use vars::{Layered, MemoKey, NoVars, Vars};

/// Longest expression accepted, in bytes (the corpus's longest placeholder is about 28 KiB).
pub const MAX_EXPRESSION_LEN: usize = 64 * 1024;
/// Deepest nesting of sub-expressions (the height of the syntax tree, which bounds the
/// evaluator's recursion).
pub const MAX_DEPTH: usize = 200;
/// Most syntax-tree nodes in one expression.
pub const MAX_NODES: usize = 8192;
/// Largest string or list a helper or operator may produce, in bytes or items.
pub const MAX_VALUE_LEN: usize = 16 << 20;
