//! The parser: precedence climbing over govaluate's operator levels, lowest first:
//! `?:`/`??`, `||`, `&&`, comparisons (`== != < <= > >= =~ !~ in`), bitwise (`& | ^`),
//! shifts, `+ -`, `* / %`, `**` (right-associative), prefix `- ! ~`. Helper names are
//! resolved here, so an unknown helper or a wrong argument count is a parse error, and
//! literal regex arguments are compiled once. Depth and size are bounded.

use std::sync::Arc;

use super::ast::{BinOp, Expr, UnOp};
use super::error::ParseError;
use super::functions;
use super::lexer::{tokenize, Spanned, Tok};
use super::placeholder::Template;
use super::regex_cache;
use super::value::Value;
use super::vars::MemoKey;
use super::{MAX_DEPTH, MAX_EXPRESSION_LEN, MAX_NODES};

/// Parses one expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.len() > MAX_EXPRESSION_LEN {
        return Err(ParseError::TooLong {
            len: src.len(),
            max: MAX_EXPRESSION_LEN,
        });
    }
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
        nodes: 0,
        end: src.len(),
        height: 0,
    };
    if p.toks.is_empty() {
        return Err(ParseError::Syntax {
            pos: 0,
            msg: "empty expression".into(),
        });
    }
    let mut e = p.expr(0)?;
    // govaluate's separator: a top-level `a, b` is a list.
    if p.peek() == Some(&Tok::Comma) {
        let mut items = vec![e];
        while p.peek() == Some(&Tok::Comma) {
            p.i += 1;
            items.push(p.expr(0)?);
        }
        e = Expr::List(items);
    }
    if let Some(t) = p.toks.get(p.i) {
        return Err(ParseError::Syntax {
            pos: t.pos,
            msg: format!("unexpected {:?}", t.tok),
        });
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Spanned>,
    i: usize,
    depth: usize,
    nodes: usize,
    end: usize,
    /// Height of the tree last returned by `expr`/`prefix` (bounds evaluation recursion, which
    /// left-associative chains would otherwise deepen without deepening the parser).
    height: usize,
}

/// Binding power of an infix token: (left, right).
fn infix_power(tok: &Tok) -> Option<(u8, u8)> {
    Some(match tok {
        Tok::Question | Tok::Coalesce | Tok::Colon => (2, 1),
        Tok::Op("||") => (3, 4),
        Tok::Op("&&") => (5, 6),
        Tok::Op("==" | "!=" | "<" | "<=" | ">" | ">=" | "=~" | "!~") | Tok::In => (7, 8),
        Tok::Op("&" | "|" | "^") => (9, 10),
        Tok::Op("<<" | ">>") => (11, 12),
        Tok::Op("+" | "-") => (13, 14),
        Tok::Op("*" | "/" | "%") => (15, 16),
        Tok::Op("**") => (18, 17),
        _ => return None,
    })
}

const PREFIX_POWER: u8 = 19;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.pos)
    }

    fn node(&mut self) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ParseError::TooLarge { max: MAX_NODES });
        }
        Ok(())
    }

    fn grow(&mut self, h: usize) -> Result<usize, ParseError> {
        let h = h + 1;
        if h > MAX_DEPTH {
            return Err(ParseError::TooDeep { max: MAX_DEPTH });
        }
        Ok(h)
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&want) {
            self.i += 1;
            Ok(())
        } else {
            Err(ParseError::Syntax {
                pos: self.pos(),
                msg: format!("expected {what}"),
            })
        }
    }

    fn expr(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::TooDeep { max: MAX_DEPTH });
        }
        let r = self.expr_inner(min_bp);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.prefix()?;
        let mut h = self.height;
        while let Some(tok) = self.peek().cloned() {
            let Some((l_bp, r_bp)) = infix_power(&tok) else {
                break;
            };
            if l_bp < min_bp {
                break;
            }
            self.i += 1;
            self.node()?;
            lhs = match tok {
                Tok::Question => {
                    // govaluate: `c ? a` is nil when `c` is false; `: b` replaces a nil.
                    let a = self.expr(3)?;
                    h = h.max(self.height);
                    let b = if self.peek() == Some(&Tok::Colon) {
                        self.i += 1;
                        self.expr(r_bp)?
                    } else {
                        self.height = 1;
                        Expr::Lit(Value::Null)
                    };
                    Expr::Ternary(Box::new(lhs), Box::new(a), Box::new(b))
                }
                Tok::Coalesce | Tok::Colon => {
                    Expr::Coalesce(Box::new(lhs), Box::new(self.expr(r_bp)?))
                }
                Tok::In => Expr::Binary(BinOp::In, Box::new(lhs), Box::new(self.expr(r_bp)?)),
                Tok::Op(op) => {
                    let rhs = self.expr(r_bp)?;
                    binary(op, lhs, rhs)?
                }
                _ => break,
            };
            h = self.grow(h.max(self.height))?;
        }
        self.height = h;
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        self.node()?;
        let pos = self.pos();
        let Some(tok) = self.peek().cloned() else {
            return Err(ParseError::Syntax {
                pos,
                msg: "unexpected end of expression".into(),
            });
        };
        self.i += 1;
        self.height = 1;
        Ok(match tok {
            Tok::Int(i) => Expr::Lit(Value::Int(i)),
            Tok::Float(f) => Expr::Lit(Value::Float(f)),
            Tok::True => Expr::Lit(Value::Bool(true)),
            Tok::False => Expr::Lit(Value::Bool(false)),
            Tok::Nil => Expr::Lit(Value::Null),
            Tok::Str(s) => string_literal(s),
            Tok::Op(op @ ("-" | "!" | "~")) => {
                let operand = self.expr(PREFIX_POWER)?;
                self.height = self.grow(self.height)?;
                let un = match op {
                    "-" => UnOp::Neg,
                    "!" => UnOp::Not,
                    _ => UnOp::BitNot,
                };
                Expr::Unary(un, Box::new(operand))
            }
            Tok::LParen => {
                let first = self.expr(0)?;
                if self.peek() == Some(&Tok::Comma) {
                    let mut items = vec![first];
                    let mut h = self.height;
                    while self.peek() == Some(&Tok::Comma) {
                        self.i += 1;
                        items.push(self.expr(0)?);
                        h = h.max(self.height);
                    }
                    self.expect(Tok::RParen, "')'")?;
                    self.height = self.grow(h)?;
                    Expr::List(items)
                } else {
                    self.expect(Tok::RParen, "')'")?;
                    first
                }
            }
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.i += 1;
                    self.call(name, pos)?
                } else {
                    Expr::Var(name.into())
                }
            }
            other => {
                return Err(ParseError::Syntax {
                    pos,
                    msg: format!("unexpected {other:?}"),
                })
            }
        })
    }

    fn call(&mut self, name: String, pos: usize) -> Result<Expr, ParseError> {
        let func = functions::lookup(&name).ok_or(ParseError::UnknownHelper {
            name: name.clone(),
            pos,
        })?;
        let mut args = Vec::new();
        let mut h = 0;
        if self.peek() == Some(&Tok::RParen) {
            self.i += 1;
        } else {
            loop {
                args.push(self.expr(0)?);
                h = h.max(self.height);
                match self.peek() {
                    Some(Tok::Comma) => self.i += 1,
                    Some(Tok::RParen) => {
                        self.i += 1;
                        break;
                    }
                    _ => {
                        return Err(ParseError::Syntax {
                            pos: self.pos(),
                            msg: format!("expected ',' or ')' in call to {name}"),
                        })
                    }
                }
            }
        }
        self.height = self.grow(h)?;
        if let Err(e) = func.check_arity(args.len()) {
            // govaluate checks argument counts only when the helper runs.
            return Ok(Expr::Invalid(e.to_string().into()));
        }
        let re = match func.regex_arg.and_then(|i| args.get(i)) {
            Some(Expr::Lit(Value::Str(pattern))) => Some(regex_cache::compile(pattern)?),
            _ => None,
        };
        let mut call = Expr::Call {
            func,
            args,
            re,
            memo: None,
        };
        if let Some((text, true)) = call.memo_key() {
            let mut vars: Vec<Arc<str>> = Vec::new();
            call.walk(&mut |e| {
                if let Expr::Var(v) = e {
                    if !vars.contains(v) {
                        vars.push(v.clone());
                    }
                }
            });
            if let Expr::Call { memo, .. } = &mut call {
                *memo = Some(MemoKey {
                    text: text.into(),
                    vars: vars.into(),
                });
            }
        }
        Ok(call)
    }
}

/// A string literal; one holding `{{...}}` becomes a template rendered at evaluation.
fn string_literal(s: String) -> Expr {
    if s.contains("{{") && s.contains("}}") {
        let t = Template::compile(&s);
        if t.has_dynamic_parts() {
            return Expr::Template(Arc::new(t));
        }
    }
    Expr::Lit(Value::Str(s.into()))
}

fn binary(op: &str, lhs: Expr, rhs: Expr) -> Result<Expr, ParseError> {
    let (l, r) = (Box::new(lhs), Box::new(rhs));
    Ok(match op {
        "&&" => Expr::And(l, r),
        "||" => Expr::Or(l, r),
        "=~" | "!~" => {
            let re = match &*r {
                Expr::Lit(Value::Str(p)) => Some(regex_cache::compile(p)?),
                _ => None,
            };
            Expr::Match {
                negate: op == "!~",
                lhs: l,
                rhs: r,
                re,
            }
        }
        _ => {
            let b = match op {
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                "%" => BinOp::Rem,
                "**" => BinOp::Pow,
                "&" => BinOp::BitAnd,
                "|" => BinOp::BitOr,
                "^" => BinOp::BitXor,
                "<<" => BinOp::Shl,
                ">>" => BinOp::Shr,
                "==" => BinOp::Eq,
                "!=" => BinOp::Ne,
                "<" => BinOp::Lt,
                "<=" => BinOp::Le,
                ">" => BinOp::Gt,
                ">=" => BinOp::Ge,
                other => {
                    return Err(ParseError::Syntax {
                        pos: 0,
                        msg: format!("operator {other} is not binary"),
                    })
                }
            };
            Expr::Binary(b, l, r)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_errors() {
        assert!(matches!(
            parse("1 + 2 * 3"),
            Ok(Expr::Binary(BinOp::Add, _, _))
        ));
        assert!(matches!(parse("a == 1 || b == 2 && c"), Ok(Expr::Or(_, _))));
        assert!(
            matches!(parse("nope(1)"), Err(ParseError::UnknownHelper { name, pos: 0 }) if name == "nope")
        );
        assert!(matches!(parse("md5(1, 2)"), Ok(Expr::Invalid(_))));
        assert!(matches!(parse("a, b"), Ok(Expr::List(_))));
        assert!(matches!(parse("(1 + 2"), Err(ParseError::Syntax { .. })));
        assert!(matches!(
            parse(&"(".repeat(500)),
            Err(ParseError::TooDeep { .. })
        ));
        let chain = vec!["1"; 5000].join("+");
        assert!(matches!(parse(&chain), Err(ParseError::TooDeep { .. })));
        let negs = format!("{}1", "-".repeat(400));
        assert!(matches!(parse(&negs), Err(ParseError::TooDeep { .. })));
        assert!(parse(&vec!["contains(body, 'x')"; 100].join(" || ")).is_ok());
        assert!(matches!(
            parse("regex('(', body)"),
            Err(ParseError::Regex { .. })
        ));
        assert!(parse("tolower(body) == 'x'").is_ok());
    }
}
