//! The syntax tree of a parsed expression, and [`Expression`]: a parsed expression with its
//! source, ready to be evaluated many times.

use std::sync::Arc;

use super::regex_cache::LazyRegex as Regex;

use super::error::{EvalError, ParseError};
use super::eval::Evaluator;
use super::functions::Func;
use super::placeholder::Template;
use super::value::Value;
use super::vars::{MemoKey, Vars};

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    BitNot,
}

/// Binary operators other than the short-circuiting ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

/// One node of the syntax tree.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A literal.
    Lit(Value),
    /// A variable looked up in the caller's [`Vars`].
    Var(Arc<str>),
    /// A string literal holding `{{...}}` placeholders, rendered against the variables.
    Template(Arc<Template>),
    /// `-x`, `!x`, `~x`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a && b`.
    And(Box<Expr>, Box<Expr>),
    /// `a || b`.
    Or(Box<Expr>, Box<Expr>),
    /// `c ? a : b`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `a ?? b`.
    Coalesce(Box<Expr>, Box<Expr>),
    /// `a =~ b` / `a !~ b`; the regex is compiled at parse time when `b` is a literal.
    Match {
        negate: bool,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        re: Option<Regex>,
    },
    /// `(a, b, c)`.
    List(Vec<Expr>),
    /// A call that cannot run (wrong argument count): evaluates to this error message.
    Invalid(Arc<str>),
    /// A helper call; `re` is its regex argument compiled at parse time when it is a literal;
    /// `memo` is the call's canonical text when it is deterministic and reads variables, so
    /// that a [`Vars`] shared by many templates can cache its result.
    Call {
        func: &'static Func,
        args: Vec<Expr>,
        re: Option<Regex>,
        memo: Option<MemoKey>,
    },
}

impl Expr {
    /// The canonical text of a deterministic call tree over literals and variables, and
    /// whether it reads a variable; `None` for anything else.
    pub(crate) fn memo_key(&self) -> Option<(String, bool)> {
        match self {
            Expr::Lit(Value::Str(s)) => Some((format!("{s:?}"), false)),
            Expr::Lit(v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null)) => {
                Some((format!("{v:?}"), false))
            }
            Expr::Var(name) => Some((format!("${name}"), true)),
            Expr::Call { func, args, .. } if func.is_deterministic() => {
                let mut text = format!("{}(", func.name);
                let mut reads = false;
                for (i, a) in args.iter().enumerate() {
                    let (k, r) = a.memo_key()?;
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(&k);
                    reads |= r;
                }
                text.push(')');
                Some((text, reads))
            }
            _ => None,
        }
    }

    /// Visits this node and every node under it.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Lit(_) | Expr::Var(_) | Expr::Template(_) | Expr::Invalid(_) => {}
            Expr::Unary(_, a) => a.walk(f),
            Expr::Binary(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) | Expr::Coalesce(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Match { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            Expr::Ternary(a, b, c) => {
                a.walk(f);
                b.walk(f);
                c.walk(f);
            }
            Expr::List(items) | Expr::Call { args: items, .. } => {
                for item in items {
                    item.walk(f);
                }
            }
        }
    }
}

/// A parsed expression with its source text. Parse once, evaluate many times.
#[derive(Debug, Clone)]
pub struct Expression {
    source: Arc<str>,
    root: Expr,
}

impl Expression {
    /// Parses govaluate syntax with nuclei's helpers; an unknown helper is an error.
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let root = super::parser::parse(source)?;
        Ok(Expression {
            source: source.into(),
            root,
        })
    }

    /// Evaluates over the caller's variables. Never panics.
    pub fn eval(&self, vars: &dyn Vars) -> Result<Value, EvalError> {
        Evaluator::new(vars).eval(&self.root)
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree.
    pub fn root(&self) -> &Expr {
        &self.root
    }

    /// The names of the variables the expression reads, in order of first use.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.root.walk(&mut |e| match e {
            Expr::Var(name) if !out.iter().any(|n| n == &**name) => out.push(name.to_string()),
            Expr::Template(t) => {
                for name in t.variables() {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
            _ => {}
        });
        out
    }

    /// The canonical names of the helpers the expression calls, in order of first use.
    pub fn functions(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        self.root.walk(&mut |e| {
            if let Expr::Call { func, .. } = e {
                if !out.contains(&func.name) {
                    out.push(func.name);
                }
            }
        });
        out
    }

    /// The helpers the expression calls that this engine does not run, with the reason.
    pub fn unsupported_functions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        self.root.walk(&mut |e| {
            if let Expr::Call { func, .. } = e {
                if let Some(reason) = func.unsupported_reason() {
                    if !out.iter().any(|(n, _)| *n == func.name) {
                        out.push((func.name, reason));
                    }
                }
            }
        });
        out
    }
}
