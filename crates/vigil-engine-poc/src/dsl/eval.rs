//! The evaluator: walks the syntax tree with govaluate's semantics. `+` joins strings when
//! either side is one, arithmetic is integer where exact and float otherwise, comparisons take
//! two numbers or two strings, `&&`/`||`/`!`/`?:` take booleans, `??` falls back on nil or a
//! missing variable. Overflow, division by zero and oversized results are errors, never panics.

use super::regex_cache::LazyRegex as Regex;

use super::ast::{BinOp, Expr, UnOp};
use super::error::EvalError;
use super::regex_cache;
use super::value::Value;
use super::vars::Vars;
use super::MAX_VALUE_LEN;

/// Evaluates expressions over one set of variables.
pub struct Evaluator<'a> {
    vars: &'a dyn Vars,
}

fn type_err(msg: String) -> EvalError {
    EvalError::Type(msg)
}

impl<'a> Evaluator<'a> {
    /// An evaluator over these variables.
    pub fn new(vars: &'a dyn Vars) -> Self {
        Evaluator { vars }
    }

    /// Evaluates one node.
    pub fn eval(&self, e: &Expr) -> Result<Value, EvalError> {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Var(name) => self
                .vars
                .get(name)
                .ok_or_else(|| EvalError::UnknownVariable(name.to_string())),
            Expr::Template(t) => {
                let r = t.render(self.vars);
                if let Some(name) = r.unresolved.first() {
                    return Err(EvalError::UnknownVariable(name.clone()));
                }
                Ok(Value::from_bytes(r.bytes))
            }
            Expr::Invalid(msg) => Err(EvalError::Type(msg.to_string())),
            Expr::Unary(op, a) => unary(*op, self.eval(a)?),
            Expr::And(a, b) => {
                if !self.bool_of(a, "&&")? {
                    return Ok(Value::Bool(false));
                }
                Ok(Value::Bool(self.bool_of(b, "&&")?))
            }
            Expr::Or(a, b) => {
                if self.bool_of(a, "||")? {
                    return Ok(Value::Bool(true));
                }
                Ok(Value::Bool(self.bool_of(b, "||")?))
            }
            Expr::Ternary(c, a, b) => {
                if self.bool_of(c, "?:")? {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Coalesce(a, b) => match self.eval(a) {
                Ok(Value::Null) | Err(EvalError::UnknownVariable(_)) => self.eval(b),
                other => other,
            },
            Expr::Match {
                negate,
                lhs,
                rhs,
                re,
            } => {
                let subject = self.eval(lhs)?;
                let matched = match re {
                    Some(re) => re.is_match(&subject.as_bytes()),
                    None => {
                        let pattern = self.eval(rhs)?;
                        dynamic_regex(&pattern)?.is_match(&subject.as_bytes())
                    }
                };
                Ok(Value::Bool(matched != *negate))
            }
            Expr::List(items) => {
                let vals = items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(vals.into()))
            }
            Expr::Binary(op, a, b) => binary(*op, self.eval(a)?, self.eval(b)?),
            Expr::Call {
                func,
                args,
                re,
                memo,
            } => {
                if let Some(key) = memo {
                    if let Some(v) = self.vars.memo_get(key) {
                        return Ok(v);
                    }
                }
                if func.name == "to_lower" {
                    if let [Expr::Var(name)] = args.as_slice() {
                        if let Some(v) = self.vars.lowered(name) {
                            return Ok(v);
                        }
                    }
                }
                let vals = args
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<Vec<_>, _>>()?;
                let v = check_size(func.call(&vals, re.as_deref())?)?;
                if let Some(key) = memo {
                    self.vars.memo_put(key, &v);
                }
                Ok(v)
            }
        }
    }

    fn bool_of(&self, e: &Expr, op: &str) -> Result<bool, EvalError> {
        match self.eval(e)? {
            Value::Bool(b) => Ok(b),
            other => Err(type_err(format!(
                "{op} needs booleans, got {}",
                other.kind()
            ))),
        }
    }
}

/// Compiles a pattern that was not a literal.
pub fn dynamic_regex(pattern: &Value) -> Result<Regex, EvalError> {
    regex_cache::compile(&pattern.to_text()).map_err(|e| EvalError::Helper {
        name: "regex".into(),
        msg: e.to_string(),
    })
}

fn check_size(v: Value) -> Result<Value, EvalError> {
    let len = match &v {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        _ => 0,
    };
    if len > MAX_VALUE_LEN {
        Err(EvalError::TooLarge { max: MAX_VALUE_LEN })
    } else {
        Ok(v)
    }
}

fn unary(op: UnOp, v: Value) -> Result<Value, EvalError> {
    match (op, &v) {
        (UnOp::Neg, Value::Int(i)) => Ok(i
            .checked_neg()
            .map_or(Value::Float(-(*i as f64)), Value::Int)),
        (UnOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::BitNot, v) if v.is_number() => Ok(Value::Int(!to_int(v)?)),
        _ => Err(type_err(format!("{op:?} does not take a {}", v.kind()))),
    }
}

fn to_int(v: &Value) -> Result<i64, EvalError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(*f as i64),
        other => Err(type_err(format!(
            "expected an integer, got {}",
            other.kind()
        ))),
    }
}

/// Applies a binary operator to two values.
pub fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, EvalError> {
    use BinOp::*;
    match op {
        Eq => return Ok(Value::Bool(a.loose_eq(&b))),
        Ne => return Ok(Value::Bool(!a.loose_eq(&b))),
        In => {
            return match &b {
                Value::List(items) => Ok(Value::Bool(items.iter().any(|i| i.loose_eq(&a)))),
                other => Ok(Value::Bool(other.loose_eq(&a))),
            }
        }
        Lt | Le | Gt | Ge => return compare(op, &a, &b),
        Add if a.is_string() || b.is_string() => {
            let mut out = a.as_bytes().into_owned();
            let rhs = b.as_bytes();
            if out.len() + rhs.len() > MAX_VALUE_LEN {
                return Err(EvalError::TooLarge { max: MAX_VALUE_LEN });
            }
            out.extend_from_slice(&rhs);
            return Ok(Value::from_bytes(out));
        }
        _ => {}
    }
    if !a.is_number() || !b.is_number() {
        return Err(type_err(format!(
            "{op:?} needs numbers, got {} and {}",
            a.kind(),
            b.kind()
        )));
    }
    match op {
        BitAnd | BitOr | BitXor | Shl | Shr => {
            let (x, y) = (to_int(&a)?, to_int(&b)?);
            let shift = (y & 63) as u32;
            return Ok(Value::Int(match op {
                BitAnd => x & y,
                BitOr => x | y,
                BitXor => x ^ y,
                Shl => x.wrapping_shl(shift),
                _ => x.wrapping_shr(shift),
            }));
        }
        _ => {}
    }
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let (x, y) = (*x, *y);
        let exact = match op {
            Add => x.checked_add(y),
            Sub => x.checked_sub(y),
            Mul => x.checked_mul(y),
            Div if y != 0 && x.checked_rem(y) == Some(0) => x.checked_div(y),
            Rem if y != 0 => x.checked_rem(y),
            Pow if (0..=63).contains(&y) => x.checked_pow(y as u32),
            _ => None,
        };
        if let Some(v) = exact {
            return Ok(Value::Int(v));
        }
    }
    let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
    if matches!(op, Div | Rem) && y == 0.0 {
        return Err(type_err("division by zero".into()));
    }
    Ok(Value::Float(match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Rem => x % y,
        _ => x.powf(y),
    }))
}

fn compare(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let ord = if a.is_number() && b.is_number() {
        let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
        match x.partial_cmp(&y) {
            Some(o) => o,
            None => return Ok(Value::Bool(false)),
        }
    } else if a.is_string() && b.is_string() {
        a.as_bytes().cmp(&b.as_bytes())
    } else {
        return Err(type_err(format!(
            "cannot compare {} with {}",
            a.kind(),
            b.kind()
        )));
    };
    use std::cmp::Ordering::*;
    Ok(Value::Bool(match op {
        BinOp::Lt => ord == Less,
        BinOp::Le => ord != Greater,
        BinOp::Gt => ord == Greater,
        _ => ord != Less,
    }))
}
