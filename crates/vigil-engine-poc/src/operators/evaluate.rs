//! [`Operators`]: a request's matchers, their `matchers-condition` and its extractors, compiled
//! once and evaluated per response as nuclei's `Operators.Execute` does: extractors run first
//! and their values become variables for the matchers; with `or`, every named matcher that
//! matched is reported; with `and`, the first failing matcher ends the evaluation.

use std::collections::{BTreeMap, HashMap};

use super::data::Data;
use super::error::CompileError;
use super::extractor::Extractor;
use super::matcher::{Condition, Matcher};
use super::scope::Scope;
use super::spec::{ExtractorSpec, MatcherSpec};
use crate::dsl::Value;

/// A request's compiled matchers and extractors.
#[derive(Debug, Clone, Default)]
pub struct Operators {
    /// The matchers, in template order.
    pub matchers: Vec<Matcher>,
    /// How the matchers combine (`or` by default).
    pub condition: Condition,
    /// The extractors, in template order.
    pub extractors: Vec<Extractor>,
}

/// The outcome of evaluating [`Operators`] on one response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Whether to report a result: the matchers matched, or there are no matchers and a
    /// non-internal extractor extracted something.
    pub matched: bool,
    /// Names of the matchers that matched, when the condition is `or` (one result each in
    /// nuclei's output); internal matchers are left out.
    pub matcher_names: Vec<String>,
    /// Non-internal extracted values by extractor name (named extractors only).
    pub extracted: BTreeMap<String, Vec<String>>,
    /// All non-internal extracted values, de-duplicated, in order.
    pub output: Vec<String>,
    /// Internal extractors' first values, for later requests' `{{name}}`.
    pub dynamic: BTreeMap<String, Value>,
    /// Internal extractors' values, all of them.
    pub dynamic_all: BTreeMap<String, Vec<String>>,
}

impl Operators {
    /// Compiles a request's operators; the first bad matcher or extractor is the error.
    pub fn compile(
        matchers: &[MatcherSpec],
        matchers_condition: Option<&str>,
        extractors: &[ExtractorSpec],
    ) -> Result<Operators, CompileError> {
        Ok(Operators {
            matchers: matchers
                .iter()
                .map(Matcher::compile)
                .collect::<Result<_, _>>()?,
            condition: Condition::parse(matchers_condition)?,
            extractors: extractors
                .iter()
                .map(Extractor::compile)
                .collect::<Result<_, _>>()?,
        })
    }

    /// True when there is nothing to evaluate.
    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty() && self.extractors.is_empty()
    }

    /// Evaluates on one response's data.
    pub fn evaluate(&self, data: &Data) -> Evaluation {
        let mut ev = Evaluation::default();
        let mut extra: HashMap<String, Value> = HashMap::new();
        for ex in &self.extractors {
            let values = ex.extract(&Scope {
                data,
                extra: &extra,
            });
            if values.is_empty() {
                continue;
            }
            if ex.internal {
                ev.dynamic_all
                    .entry(ex.name.clone())
                    .or_default()
                    .extend(values.iter().cloned());
            } else {
                for v in &values {
                    if !ev.output.contains(v) {
                        ev.output.push(v.clone());
                    }
                }
                if !ex.name.is_empty() {
                    ev.extracted.insert(ex.name.clone(), values.clone());
                }
            }
            extra.insert(ex.name.clone(), list_or_single(&values));
        }
        for (name, values) in &ev.dynamic_all {
            if let Some(first) = values.first() {
                ev.dynamic.insert(name.clone(), Value::from(first.as_str()));
            }
            if values.len() > 1 {
                for (i, v) in values.iter().enumerate() {
                    extra.insert(format!("{name}{i}"), Value::from(v.as_str()));
                }
            }
            extra.insert(name.clone(), list_or_single(values));
        }
        let scope = Scope {
            data,
            extra: &extra,
        };
        let mut any = false;
        for m in &self.matchers {
            if m.matches(&scope) {
                any = true;
                if self.condition == Condition::Or && !m.internal {
                    if let Some(name) = &m.name {
                        if !ev.matcher_names.contains(name) {
                            ev.matcher_names.push(name.clone());
                        }
                    }
                }
            } else if self.condition == Condition::And {
                ev.matcher_names.clear();
                return ev;
            }
        }
        ev.matched = if self.matchers.is_empty() {
            !ev.output.is_empty()
        } else {
            any
        };
        ev
    }
}

fn list_or_single(values: &[String]) -> Value {
    match values {
        [one] => Value::from(one.as_str()),
        many => Value::list_of_strings(many.iter().map(String::as_str)),
    }
}
