//! `{{...}}` placeholders in request text and matcher words, compiled once into literal pieces,
//! variable lookups and expressions. As in nuclei: a bare name (hyphens allowed, as in
//! `interactsh-url`) is a lookup; anything else that parses and calls a helper or reads a
//! variable is an expression; what does not parse, or is a constant such as `{{7*7}}` (an
//! injection payload), is left verbatim. Rendering leaves an unresolvable placeholder
//! unchanged and reports its variable, so the executor can skip the request.

use super::ast::{Expr, Expression};
use super::error::{EvalError, ParseError};
use super::value::Value;
use super::vars::Vars;

/// Deepest `{{ {{ }} }}` nesting compiled; deeper text stays literal.
const MAX_NESTING: usize = 4;

/// One piece of a compiled text.
#[derive(Debug, Clone)]
enum Part {
    Lit(Vec<u8>),
    Var {
        name: String,
        raw: String,
    },
    Expr {
        expr: Box<Expression>,
        raw: String,
    },
    /// An expression holding placeholders itself (`{{md5({{num}})}}`): rendered, then parsed.
    Nested {
        inner: Box<Template>,
        raw: String,
    },
}

/// A text with placeholders, compiled once.
#[derive(Debug, Clone, Default)]
pub struct Template {
    parts: Vec<Part>,
    unknown_helpers: Vec<String>,
}

/// The result of rendering a [`Template`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// The text (bytes: helpers such as `hex_decode` make binary payloads).
    pub bytes: Vec<u8>,
    /// Variables that were missing; their placeholders were left as written.
    pub unresolved: Vec<String>,
    /// Other evaluation failures, one message each; those placeholders were left as written.
    pub errors: Vec<String>,
}

impl Rendered {
    /// The text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// True when every placeholder was resolved.
    pub fn is_complete(&self) -> bool {
        self.unresolved.is_empty() && self.errors.is_empty()
    }
}

fn is_simple_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Finds the `}}` that closes a `{{` opened just before `from`, counting nested pairs.
fn find_close(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 1usize;
    let mut i = from;
    while i + 1 < b.len() {
        if b[i] == b'{' && b[i + 1] == b'{' {
            depth += 1;
            i += 2;
        } else if b[i] == b'}' && b[i + 1] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

fn is_constant(e: &Expression) -> bool {
    let mut dynamic = false;
    e.root().walk(&mut |n| {
        if matches!(n, Expr::Var(_) | Expr::Call { .. } | Expr::Template(_)) {
            dynamic = true;
        }
    });
    !dynamic
}

impl Template {
    /// Compiles a text. Never fails: what cannot be an expression stays literal.
    pub fn compile(s: &str) -> Template {
        Template::compile_nested(s, 0)
    }

    fn compile_nested(s: &str, nesting: usize) -> Template {
        let mut t = Template::default();
        let mut lit = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            let Some(close) = find_close(rest, open + 2) else {
                break;
            };
            lit.extend_from_slice(&rest.as_bytes()[..open]);
            let raw = &rest[open..close + 2];
            let inner = rest[open + 2..close].trim();
            let part = t.piece(inner, raw, nesting);
            match part {
                Part::Lit(b) => lit.extend_from_slice(&b),
                other => {
                    if !lit.is_empty() {
                        t.parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    t.parts.push(other);
                }
            }
            rest = &rest[close + 2..];
        }
        lit.extend_from_slice(rest.as_bytes());
        if !lit.is_empty() {
            t.parts.push(Part::Lit(lit));
        }
        t
    }

    fn piece(&mut self, inner: &str, raw: &str, nesting: usize) -> Part {
        if is_simple_name(inner) {
            return Part::Var {
                name: inner.to_string(),
                raw: raw.to_string(),
            };
        }
        if inner.contains("{{") {
            if nesting >= MAX_NESTING {
                return Part::Lit(raw.as_bytes().to_vec());
            }
            return Part::Nested {
                inner: Box::new(Template::compile_nested(inner, nesting + 1)),
                raw: raw.to_string(),
            };
        }
        match Expression::parse(inner) {
            Ok(e) if !is_constant(&e) => Part::Expr {
                expr: Box::new(e),
                raw: raw.to_string(),
            },
            Ok(_) => Part::Lit(raw.as_bytes().to_vec()),
            Err(ParseError::UnknownHelper { name, .. }) => {
                if !self.unknown_helpers.contains(&name) {
                    self.unknown_helpers.push(name);
                }
                Part::Lit(raw.as_bytes().to_vec())
            }
            Err(_) => Part::Lit(raw.as_bytes().to_vec()),
        }
    }

    /// True when some piece depends on variables or helpers.
    pub fn has_dynamic_parts(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Lit(_)))
    }

    /// Helper-looking placeholders left verbatim because the helper is unknown (nuclei would
    /// fail them too); a loader may report them.
    pub fn unknown_helpers(&self) -> &[String] {
        &self.unknown_helpers
    }

    /// The helpers used by the placeholders that this engine does not run, with the reason.
    pub fn unsupported_functions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        for p in &self.parts {
            if let Part::Expr { expr, .. } = p {
                for f in expr.unsupported_functions() {
                    if !out.contains(&f) {
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    /// The canonical names of the helpers the placeholders call.
    pub fn functions(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for p in &self.parts {
            if let Part::Expr { expr, .. } = p {
                for f in expr.functions() {
                    if !out.contains(&f) {
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    /// The variables the placeholders read.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |n: String| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        for p in &self.parts {
            match p {
                Part::Var { name, .. } => add(name.clone()),
                Part::Expr { expr, .. } => expr.variables().into_iter().for_each(&mut add),
                Part::Nested { inner, .. } => inner.variables().into_iter().for_each(&mut add),
                Part::Lit(_) => {}
            }
        }
        out
    }

    /// Renders against variables.
    pub fn render(&self, vars: &dyn Vars) -> Rendered {
        let mut r = Rendered::default();
        for p in &self.parts {
            match p {
                Part::Lit(b) => r.bytes.extend_from_slice(b),
                Part::Var { name, raw } => match vars.get(name) {
                    Some(v) => r.bytes.extend_from_slice(&v.as_bytes()),
                    None => {
                        r.bytes.extend_from_slice(raw.as_bytes());
                        r.unresolved.push(name.clone());
                    }
                },
                Part::Expr { expr, raw } => push_eval(&mut r, expr.eval(vars), raw),
                Part::Nested { inner, raw } => {
                    let pre = inner.render(vars);
                    if !pre.is_complete() {
                        r.bytes.extend_from_slice(raw.as_bytes());
                        r.unresolved.extend(pre.unresolved);
                        r.errors.extend(pre.errors);
                        continue;
                    }
                    match Expression::parse(&pre.text()) {
                        Ok(e) => push_eval(&mut r, e.eval(vars), raw),
                        Err(err) => {
                            r.bytes.extend_from_slice(raw.as_bytes());
                            r.errors.push(format!("{raw}: {err}"));
                        }
                    }
                }
            }
        }
        r
    }

    /// Renders to text (invalid UTF-8 replaced).
    pub fn render_text(&self, vars: &dyn Vars) -> (String, Vec<String>) {
        let r = self.render(vars);
        (r.text(), r.unresolved)
    }
}

fn push_eval(r: &mut Rendered, v: Result<Value, EvalError>, raw: &str) {
    match v {
        Ok(v) => r.bytes.extend_from_slice(&v.as_bytes()),
        Err(EvalError::UnknownVariable(name)) => {
            r.bytes.extend_from_slice(raw.as_bytes());
            r.unresolved.push(name);
        }
        Err(e) => {
            r.bytes.extend_from_slice(raw.as_bytes());
            r.errors.push(format!("{raw}: {e}"));
        }
    }
}
