//! Why a matcher or extractor cannot be compiled: an unsupported feature (named, so the loader
//! can count them), an unknown type or condition, a regex the engine rejects, a DSL expression
//! that does not parse (naming an unknown helper), or a bad value.

use thiserror::Error;

use crate::dsl::ParseError;

/// A matcher or extractor that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompileError {
    /// A feature this engine does not run; the text names it ("xpath matcher").
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A `type` nuclei does not have.
    #[error("unknown {what} type {kind:?}")]
    UnknownType { what: &'static str, kind: String },
    /// A `condition` other than `and`/`or`.
    #[error("unknown condition {0:?}")]
    UnknownCondition(String),
    /// A regex the engine cannot compile.
    #[error("invalid regex {pattern:?}: {reason}")]
    Regex { pattern: String, reason: String },
    /// A DSL expression that does not parse.
    #[error("dsl expression {expr:?}: {error}")]
    Dsl { expr: String, error: ParseError },
    /// A value of the wrong form (non-hex `binary`, non-numeric `status`, missing list).
    #[error("{0}")]
    Invalid(String),
}

impl CompileError {
    /// A short reason without the offending text, for counting failures by kind.
    pub fn category(&self) -> String {
        match self {
            CompileError::Unsupported(what) => format!("unsupported: {what}"),
            CompileError::UnknownType { what, kind } => format!("unknown {what} type {kind}"),
            CompileError::UnknownCondition(c) => format!("unknown condition {c}"),
            CompileError::Regex { .. } => "invalid regex".into(),
            CompileError::Dsl { error, .. } => match error {
                ParseError::UnknownHelper { name, .. } => format!("dsl: unknown helper {name}"),
                ParseError::Syntax { .. } => "dsl: syntax error".into(),
                ParseError::Arity { name, .. } => format!("dsl: wrong argument count for {name}"),
                ParseError::Regex { .. } => "dsl: invalid regex".into(),
                other => format!("dsl: {other}"),
            },
            CompileError::Invalid(msg) => msg.split(':').next().unwrap_or(msg).to_string(),
        }
    }
}

impl From<ParseError> for CompileError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Regex { pattern, reason } => CompileError::Regex { pattern, reason },
            other => CompileError::Dsl {
                expr: String::new(),
                error: other,
            },
        }
    }
}

/// `list`, or an error when it is empty (`what` values of a `kind`: "regex" of a "matcher").
pub(crate) fn nonempty<T>(list: Vec<T>, kind: &str, what: &str) -> Result<Vec<T>, CompileError> {
    if list.is_empty() {
        Err(CompileError::Invalid(format!(
            "{what} {kind} without {what} values"
        )))
    } else {
        Ok(list)
    }
}

/// DSL expressions, each parsed once.
pub(crate) fn expressions(list: &[String]) -> Result<Vec<crate::dsl::Expression>, CompileError> {
    list.iter()
        .map(|d| {
            crate::dsl::Expression::parse(d).map_err(|error| CompileError::Dsl {
                expr: d.clone(),
                error,
            })
        })
        .collect()
}
