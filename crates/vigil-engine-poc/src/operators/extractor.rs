//! A compiled extractor and how it extracts, following nuclei's `pkg/operators/extractors`:
//! regex (capture `group`, 0 by default), kval (values by variable name, keys normalised as
//! nuclei does: lower case, `-` as `_`), json (jq programs), dsl (each expression's value as
//! text). Values are de-duplicated and kept in the order found.

use crate::dsl::LazyRegex as Regex;

use std::collections::HashMap;

use super::data::Data;
use super::error::CompileError;
use super::json::{self, JqProgram};
use super::scope::Scope;
use super::spec::ExtractorSpec;
use crate::dsl::{compile_regex, EvalError, Expression, Value, Vars};

/// What an extractor extracts.
#[derive(Debug, Clone)]
pub enum ExtractorKind {
    Regex { regexes: Vec<Regex>, group: usize },
    Kval(Vec<String>),
    Json(Vec<JqProgram>),
    Dsl(Vec<Expression>),
}

/// A compiled extractor.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// The extractor's `name` (empty when unset).
    pub name: String,
    /// The part it reads (`body` when unset).
    pub part: String,
    /// Whether its values are kept for later requests instead of output.
    pub internal: bool,
    /// Whether kval lookups ignore case.
    pub case_insensitive: bool,
    /// What it extracts.
    pub kind: ExtractorKind,
}

fn nonempty<T>(list: Vec<T>, what: &str) -> Result<Vec<T>, CompileError> {
    super::error::nonempty(list, "extractor", what)
}

impl Extractor {
    /// Compiles an extractor.
    pub fn compile(spec: &ExtractorSpec) -> Result<Extractor, CompileError> {
        let kind_name = spec
            .kind
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let kind = match kind_name.as_str() {
            "regex" => {
                let group = match spec.group.first() {
                    Some(g) => Value::from(g.text())
                        .to_i64()
                        .and_then(|g| usize::try_from(g).ok())
                        .ok_or_else(|| {
                            CompileError::Invalid(format!(
                                "group: {:?} is not a group number",
                                g.text()
                            ))
                        })?,
                    None => 0,
                };
                let regexes = spec
                    .regex
                    .iter()
                    .map(|r| compile_regex(r).map_err(CompileError::from))
                    .collect::<Result<Vec<_>, _>>()?;
                ExtractorKind::Regex {
                    regexes: nonempty(regexes, "regex")?,
                    group,
                }
            }
            "kval" => ExtractorKind::Kval(
                spec.kval
                    .iter()
                    .map(|k| k.trim().replace('-', "_").to_lowercase())
                    .collect(),
            ),
            "json" => ExtractorKind::Json(nonempty(
                spec.json
                    .iter()
                    .map(|j| JqProgram::compile(j))
                    .collect::<Result<_, _>>()?,
                "json",
            )?),
            "dsl" => ExtractorKind::Dsl(nonempty(super::error::expressions(&spec.dsl)?, "dsl")?),
            "xpath" => return Err(CompileError::Unsupported("xpath extractor".into())),
            other => {
                return Err(CompileError::UnknownType {
                    what: "extractor",
                    kind: other.to_string(),
                })
            }
        };
        Ok(Extractor {
            name: spec.name.clone().unwrap_or_default(),
            part: spec.part.clone().unwrap_or_default(),
            internal: spec.internal,
            case_insensitive: spec.case_insensitive,
            kind,
        })
    }

    /// The values extracted from one response's data, de-duplicated, in the order found.
    pub fn extract_data(&self, data: &Data) -> Vec<String> {
        let extra = HashMap::new();
        self.extract(&Scope {
            data,
            extra: &extra,
        })
    }

    /// The values extracted, with this evaluation's earlier extracted values in scope.
    pub(crate) fn extract(&self, scope: &Scope<'_>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        match &self.kind {
            ExtractorKind::Regex { regexes, group } => {
                let Some(part) = scope.part(&self.part) else {
                    return out;
                };
                let corpus = part.as_bytes();
                for re in regexes {
                    for caps in re.captures_iter(&corpus) {
                        if let Some(m) = caps.get(*group) {
                            out.push(String::from_utf8_lossy(m.as_bytes()).into_owned());
                        }
                    }
                }
            }
            ExtractorKind::Kval(keys) => {
                for k in keys {
                    let v = if self.case_insensitive {
                        scope.get(k).map(|v| v.to_text().to_lowercase())
                    } else {
                        scope.get(k).map(|v| v.to_text().into_owned())
                    };
                    out.extend(v);
                }
            }
            ExtractorKind::Json(programs) => {
                let Some(part) = scope.part(&self.part) else {
                    return out;
                };
                let Some(doc) = json::parse(&part.as_bytes()) else {
                    return out;
                };
                for p in programs {
                    p.run(&doc, &mut out);
                }
            }
            ExtractorKind::Dsl(exprs) => {
                for e in exprs {
                    match e.eval(scope) {
                        Ok(Value::Null) => {}
                        Ok(v) => {
                            let s = v.to_string();
                            if !s.is_empty() {
                                out.push(s);
                            }
                        }
                        Err(EvalError::UnknownVariable(_)) => {}
                        Err(_) => break,
                    }
                }
            }
        }
        dedup(out)
    }
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|s| seen.insert(s.clone())).collect()
}
