//! A compiled matcher and how it matches, following nuclei's `pkg/operators/matchers`: words
//! (with `{{...}}` rendered against the data, hex `encoding`, `case-insensitive`), regex, hex
//! `binary` over raw bytes, `status`, `size`, and `dsl`; each list combined by `condition`
//! (`or` by default), then `negative` applied. A missing part fails the matcher outright.

use crate::dsl::LazyRegex as Regex;
use memchr::memmem;

use std::collections::HashMap;

use super::data::Data;
use super::error::CompileError;
use super::scope::Scope;
use super::spec::MatcherSpec;
use crate::dsl::{compile_regex, Expression, Template, Value};

/// How a list of words, patterns or expressions combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    /// Any one suffices (nuclei's default).
    #[default]
    Or,
    /// All must hold.
    And,
}

impl Condition {
    /// Parses `and`/`or` (empty is `or`).
    pub fn parse(s: Option<&str>) -> Result<Condition, CompileError> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("or") => Ok(Condition::Or),
            Some("and") => Ok(Condition::And),
            Some(other) => Err(CompileError::UnknownCondition(other.to_string())),
        }
    }
}

/// A word of a word matcher: fixed bytes, or a text with placeholders rendered per response.
#[derive(Debug, Clone)]
pub enum Word {
    Static(Vec<u8>),
    Dynamic(Box<Template>),
}

/// What a matcher tests.
#[derive(Debug, Clone)]
pub enum MatcherKind {
    Words(Vec<Word>),
    Regex(Vec<Regex>),
    Binary(Vec<Vec<u8>>),
    Status(Vec<i64>),
    Size(Vec<i64>),
    Dsl(Vec<Expression>),
}

/// A compiled matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The matcher's `name`, if any.
    pub name: Option<String>,
    /// The part it reads (`body` when unset).
    pub part: String,
    /// Whether the result is inverted.
    pub negative: bool,
    /// Whether a match is hidden from the output.
    pub internal: bool,
    /// How its list combines.
    pub condition: Condition,
    /// Whether every word/regex is looked for (changes only the reported snippets in nuclei).
    pub match_all: bool,
    /// Whether words compare case-insensitively.
    pub case_insensitive: bool,
    /// What it tests.
    pub kind: MatcherKind,
}

fn numbers(list: &[super::spec::Scalar], what: &str) -> Result<Vec<i64>, CompileError> {
    list.iter()
        .map(|s| {
            Value::from(s.text()).to_i64().ok_or_else(|| {
                CompileError::Invalid(format!("{what}: {:?} is not a number", s.text()))
            })
        })
        .collect()
}

fn nonempty<T>(list: Vec<T>, what: &str) -> Result<Vec<T>, CompileError> {
    super::error::nonempty(list, "matcher", what)
}

impl Matcher {
    /// Compiles a matcher: regexes and DSL expressions once, hex decoded once, words
    /// lower-cased once when case-insensitive.
    pub fn compile(spec: &MatcherSpec) -> Result<Matcher, CompileError> {
        let kind_name = spec
            .kind
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if spec.case_insensitive && kind_name != "word" {
            return Err(CompileError::Invalid(format!(
                "case-insensitive: supported only for word matchers (not {kind_name:?})"
            )));
        }
        let kind = match kind_name.as_str() {
            "word" | "words" => {
                let hex = spec.encoding.as_deref() == Some("hex");
                let words = spec.words.iter().map(|w| {
                    let mut text = w.clone();
                    if hex {
                        if let Ok(decoded) = hex::decode(w.trim()) {
                            if !decoded.is_empty() {
                                return Word::Static(lower_if(decoded, spec.case_insensitive));
                            }
                        }
                    }
                    if spec.case_insensitive {
                        text = text.to_lowercase();
                    }
                    let t = Template::compile(&text);
                    if t.has_dynamic_parts() {
                        Word::Dynamic(Box::new(t))
                    } else {
                        Word::Static(text.into_bytes())
                    }
                });
                MatcherKind::Words(words.collect())
            }
            "regex" => MatcherKind::Regex(nonempty(
                spec.regex
                    .iter()
                    .map(|r| compile_regex(r).map_err(CompileError::from))
                    .collect::<Result<_, _>>()?,
                "regex",
            )?),
            "binary" => MatcherKind::Binary(nonempty(
                spec.binary
                    .iter()
                    .map(|b| {
                        hex::decode(b.trim())
                            .map_err(|_| CompileError::Invalid(format!("binary: {b:?} is not hex")))
                    })
                    .collect::<Result<_, _>>()?,
                "binary",
            )?),
            "status" => MatcherKind::Status(nonempty(numbers(&spec.status, "status")?, "status")?),
            "size" => MatcherKind::Size(nonempty(numbers(&spec.size, "size")?, "size")?),
            "dsl" => MatcherKind::Dsl(nonempty(super::error::expressions(&spec.dsl)?, "dsl")?),
            "xpath" => return Err(CompileError::Unsupported("xpath matcher".into())),
            other => {
                return Err(CompileError::UnknownType {
                    what: "matcher",
                    kind: other.to_string(),
                })
            }
        };
        Ok(Matcher {
            name: spec.name.clone().filter(|n| !n.is_empty()),
            part: spec.part.clone().unwrap_or_default(),
            negative: spec.negative,
            internal: spec.internal,
            condition: Condition::parse(spec.condition.as_deref())?,
            match_all: spec.match_all,
            case_insensitive: spec.case_insensitive,
            kind,
        })
    }

    /// Whether the matcher matches one response's data (after `negative`).
    pub fn matches_data(&self, data: &Data) -> bool {
        let extra = HashMap::new();
        self.matches(&Scope {
            data,
            extra: &extra,
        })
    }

    /// Whether the matcher matches (after `negative`), with this evaluation's extracted values.
    pub(crate) fn matches(&self, scope: &Scope<'_>) -> bool {
        let raw = match &self.kind {
            MatcherKind::Dsl(exprs) => self.match_dsl(exprs, scope),
            MatcherKind::Status(codes) => match scope.get_status() {
                Some(code) => codes.contains(&code),
                None => return false,
            },
            kind => {
                // Borrow the part's bytes: no copy of the body per matcher.
                let (lowered, value);
                let cow;
                let corpus: &[u8] = if self.case_insensitive {
                    lowered = scope.part_lowered(&self.part);
                    match &lowered {
                        Some(b) => b,
                        None => return false,
                    }
                } else {
                    value = scope.part(&self.part);
                    match &value {
                        Some(v) => {
                            cow = v.as_bytes();
                            &cow
                        }
                        None => return false,
                    }
                };
                match kind {
                    MatcherKind::Words(words) => self.match_words(words, corpus, scope),
                    MatcherKind::Regex(res) => {
                        self.combine(res.iter().map(|r| Some(r.is_match(corpus))))
                    }
                    MatcherKind::Binary(bins) => {
                        self.combine(bins.iter().map(|b| Some(memmem::find(corpus, b).is_some())))
                    }
                    MatcherKind::Size(sizes) => sizes.contains(&(corpus.len() as i64)),
                    _ => false,
                }
            }
        };
        raw != self.negative
    }

    /// Combines per-item results; `None` is an item that could not be evaluated (it fails
    /// an `and`, and is skipped by an `or`).
    fn combine(&self, results: impl Iterator<Item = Option<bool>>) -> bool {
        let mut any = false;
        for r in results {
            match (self.condition, r) {
                (Condition::And, Some(true)) => any = true,
                (Condition::And, _) => return false,
                (Condition::Or, Some(true)) => return true,
                (Condition::Or, _) => {}
            }
        }
        any
    }

    fn match_words(&self, words: &[Word], corpus: &[u8], scope: &Scope<'_>) -> bool {
        self.combine(words.iter().map(|w| match w {
            Word::Static(b) => Some(memmem::find(corpus, b).is_some()),
            Word::Dynamic(t) => {
                let r = t.render(scope);
                if !r.is_complete() && self.condition == Condition::And {
                    return None;
                }
                let needle = if self.case_insensitive {
                    super::data::lower(&Value::from_bytes(r.bytes))
                } else {
                    r.bytes
                };
                Some(memmem::find(corpus, &needle).is_some())
            }
        }))
    }

    /// nuclei's `MatchDSL`: an error fails an `and` and is skipped by an `or`; a non-boolean
    /// result is skipped.
    fn match_dsl(&self, exprs: &[Expression], scope: &Scope<'_>) -> bool {
        let last = exprs.len().saturating_sub(1);
        for (i, e) in exprs.iter().enumerate() {
            match e.eval(scope) {
                Err(_) => {
                    if self.condition == Condition::And {
                        return false;
                    }
                    continue;
                }
                Ok(Value::Bool(true)) => {
                    if self.condition == Condition::Or || i == last {
                        return true;
                    }
                }
                Ok(Value::Bool(false)) => {
                    if self.condition == Condition::And {
                        return false;
                    }
                }
                Ok(_) => continue,
            }
        }
        false
    }
}

fn lower_if(b: Vec<u8>, yes: bool) -> Vec<u8> {
    if yes {
        super::data::lower(&Value::from_bytes(b))
    } else {
        b
    }
}

impl Scope<'_> {
    /// `status_code` when it is an integer.
    fn get_status(&self) -> Option<i64> {
        match crate::dsl::Vars::get(self, "status_code")? {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => None,
        }
    }
}
