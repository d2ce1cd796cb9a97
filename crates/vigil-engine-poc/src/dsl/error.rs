//! The errors of the expression language: parse errors carry the byte position and name an
//! unknown helper; evaluation errors name the missing variable or the failing helper.

use thiserror::Error;

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParseError {
    /// Longer than [`super::MAX_EXPRESSION_LEN`].
    #[error("expression too long: {len} bytes (at most {max})")]
    TooLong { len: usize, max: usize },
    /// Nested deeper than [`super::MAX_DEPTH`].
    #[error("expression nested too deeply (at most {max} levels)")]
    TooDeep { max: usize },
    /// More nodes than [`super::MAX_NODES`].
    #[error("expression too large (at most {max} nodes)")]
    TooLarge { max: usize },
    /// A syntax error at a byte offset.
    #[error("syntax error at {pos}: {msg}")]
    Syntax { pos: usize, msg: String },
    /// A call to a helper nuclei does not have.
    #[error("unknown helper {name} at {pos}")]
    UnknownHelper { name: String, pos: usize },
    /// A helper called with a number of arguments it does not take.
    #[error("helper {name} takes {expected} arguments, got {got}")]
    Arity {
        name: String,
        expected: String,
        got: usize,
    },
    /// A literal regular expression the regex engine cannot compile.
    #[error("invalid regex {pattern:?}: {reason}")]
    Regex { pattern: String, reason: String },
}

/// Why evaluating an expression failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// A variable the caller's [`super::Vars`] does not have (govaluate: "No parameter").
    #[error("no variable {0}")]
    UnknownVariable(String),
    /// A helper nuclei has that this engine does not run (network, code generation, ...).
    #[error("helper {name} is not supported: {reason}")]
    Unsupported { name: String, reason: String },
    /// A helper failed on its arguments.
    #[error("{name}: {msg}")]
    Helper { name: String, msg: String },
    /// An operator applied to values of kinds it does not take.
    #[error("type error: {0}")]
    Type(String),
    /// A result over [`super::MAX_VALUE_LEN`] bytes.
    #[error("value too large (at most {max} bytes)")]
    TooLarge { max: usize },
}
