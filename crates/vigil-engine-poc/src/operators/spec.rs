//! The YAML form of a matcher and an extractor, as nuclei writes them (kebab-case keys).
//! Lists also accept a single scalar, and scalars may be numbers or booleans (YAML `- 200`).
//! Keys nuclei has but this model does not name, and keys nuclei does not have, are kept in
//! `unknown` for the loader to warn about.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A YAML scalar: string, number or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    /// The scalar as YAML would print it.
    pub fn text(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => crate::dsl::Value::Float(*f).to_text().into_owned(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    /// The scalar as a non-negative integer, if it is one (`port: 6379`, `read: "64"`).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Scalar::Int(i) => u64::try_from(*i).ok(),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Float(_) | Scalar::Bool(_) => None,
        }
    }

    /// The scalar as a number, if it is one (`cvss-score: 9.8`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Bool(_) => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Scalar>),
    One(Scalar),
}

fn scalars<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(s)) => vec![s],
    })
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(scalars(d)?.iter().map(Scalar::text).collect())
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Option::<Scalar>::deserialize(d)? {
        Some(Scalar::Bool(b)) => b,
        Some(Scalar::Str(s)) => s.eq_ignore_ascii_case("true"),
        Some(Scalar::Int(i)) => i != 0,
        _ => false,
    })
}

fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| s.text()))
}

/// One entry of a `matchers:` list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct MatcherSpec {
    #[serde(rename = "type", deserialize_with = "opt_string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub condition: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub part: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub negative: bool,
    #[serde(deserialize_with = "opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub internal: bool,
    #[serde(deserialize_with = "flag")]
    pub case_insensitive: bool,
    #[serde(deserialize_with = "flag")]
    pub match_all: bool,
    #[serde(deserialize_with = "opt_string")]
    pub encoding: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub words: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub regex: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub binary: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub dsl: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub xpath: Vec<String>,
    #[serde(deserialize_with = "scalars")]
    pub status: Vec<Scalar>,
    #[serde(deserialize_with = "scalars")]
    pub size: Vec<Scalar>,
    /// Keys this model does not know, with their values.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// One entry of an `extractors:` list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct ExtractorSpec {
    #[serde(rename = "type", deserialize_with = "opt_string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub part: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub internal: bool,
    #[serde(deserialize_with = "flag")]
    pub case_insensitive: bool,
    #[serde(deserialize_with = "strings")]
    pub regex: Vec<String>,
    #[serde(deserialize_with = "scalars")]
    pub group: Vec<Scalar>,
    #[serde(deserialize_with = "strings")]
    pub kval: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub json: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub xpath: Vec<String>,
    #[serde(deserialize_with = "opt_string")]
    pub attribute: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub dsl: Vec<String>,
    /// Keys this model does not know, with their values.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}
