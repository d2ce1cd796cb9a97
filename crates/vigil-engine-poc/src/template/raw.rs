//! The YAML shape of a nuclei template, as serde reads it: loose where the corpus is loose
//! (a string or a list, a number or a string, unknown keys ignored) so that `parse.rs` can
//! turn it into the typed model and say precisely what does not fit.

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

/// A whole template file (keys the engine does not read, such as `self-contained` or
/// `threads`, are ignored as nuclei ignores what it does not know).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawTemplate {
    pub id: Option<String>,
    pub info: Option<RawInfo>,
    #[serde(default)]
    pub variables: Option<Mapping>,
    #[serde(default)]
    pub constants: Option<Mapping>,
    pub flow: Option<String>,
    /// `http`, or its old name `requests`.
    pub http: Option<Vec<RawHttp>>,
    pub requests: Option<Vec<RawHttp>>,
    /// `tcp`, or its old name `network`.
    pub tcp: Option<Vec<RawNetwork>>,
    pub network: Option<Vec<RawNetwork>>,
    pub dns: Option<Vec<RawDns>>,
    pub ssl: Option<Vec<RawSsl>>,
    pub headless: Option<Value>,
    pub code: Option<Value>,
    pub javascript: Option<Value>,
    pub workflows: Option<Value>,
    pub file: Option<Value>,
    pub websocket: Option<Value>,
    pub whois: Option<Value>,
}

/// `info:`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawInfo {
    pub name: Option<String>,
    pub author: Option<StringOrList>,
    pub severity: Option<String>,
    pub description: Option<String>,
    pub reference: Option<StringOrList>,
    pub tags: Option<StringOrList>,
    pub classification: Option<RawClassification>,
    pub remediation: Option<String>,
    pub impact: Option<String>,
    pub metadata: Option<Mapping>,
}

/// `info.classification:`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawClassification {
    pub cve_id: Option<StringOrList>,
    pub cwe_id: Option<StringOrList>,
    pub cvss_metrics: Option<String>,
    pub cvss_score: Option<Scalar>,
    pub epss_score: Option<Scalar>,
    pub cpe: Option<String>,
}

/// One `http:` request block.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawHttp {
    pub method: Option<String>,
    pub path: Option<Vec<String>>,
    pub raw: Option<Vec<String>>,
    pub headers: Option<Mapping>,
    pub body: Option<String>,
    #[serde(rename = "unsafe")]
    pub unsafe_: Option<bool>,
    pub payloads: Option<Mapping>,
    pub attack: Option<String>,
    pub redirects: Option<bool>,
    pub host_redirects: Option<bool>,
    pub max_redirects: Option<Scalar>,
    pub stop_at_first_match: Option<bool>,
    pub disable_cookie: Option<bool>,
    pub req_condition: Option<bool>,
    pub max_size: Option<Scalar>,
    pub skip_variables_check: Option<bool>,
    pub disable_path_automerge: Option<bool>,
    pub iterate_all: Option<bool>,
    pub digest_username: Option<String>,
    pub digest_password: Option<String>,
    pub race: Option<bool>,
    pub pipeline: Option<bool>,
    pub fuzzing: Option<Value>,
    pub global_matchers: Option<bool>,
    pub matchers: Option<Vec<Value>>,
    pub matchers_condition: Option<String>,
    pub extractors: Option<Vec<Value>>,
}

/// Matchers and extractors of a request block, kept as YAML until they are compiled.
/// (Written out in each block rather than flattened: serde's flatten buffers the block and
/// that buffer cannot hold the 128-bit integers some templates write.)
#[derive(Debug, Default, Clone)]
pub struct RawOperators {
    pub matchers: Option<Vec<Value>>,
    pub matchers_condition: Option<String>,
    pub extractors: Option<Vec<Value>>,
}

/// One `tcp:` (`network:`) block.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawNetwork {
    pub host: Option<Vec<String>>,
    pub address: Option<Vec<String>>,
    pub port: Option<Scalar>,
    pub inputs: Option<Vec<RawInput>>,
    pub read_size: Option<Scalar>,
    pub read_all: Option<bool>,
    pub payloads: Option<Mapping>,
    pub attack: Option<String>,
    pub matchers: Option<Vec<Value>>,
    pub matchers_condition: Option<String>,
    pub extractors: Option<Vec<Value>>,
}

/// One element of a network block's `inputs:`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawInput {
    /// A string even when written as a number (`data: 4449...`), as nuclei reads it.
    pub data: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub read: Option<Scalar>,
    pub name: Option<String>,
}

/// One `dns:` block.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawDns {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub class: Option<String>,
    pub recursion: Option<bool>,
    pub matchers: Option<Vec<Value>>,
    pub matchers_condition: Option<String>,
    pub extractors: Option<Vec<Value>>,
}

/// One `ssl:` block.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawSsl {
    pub address: Option<String>,
    /// nuclei writes these three with underscores.
    #[serde(rename = "min_version")]
    pub min_version: Option<String>,
    #[serde(rename = "max_version")]
    pub max_version: Option<String>,
    #[serde(rename = "cipher_suites")]
    pub cipher_suites: Option<Vec<String>>,
    pub matchers: Option<Vec<Value>>,
    pub matchers_condition: Option<String>,
    pub extractors: Option<Vec<Value>>,
}

/// A field the corpus writes either as one string or as a list (or, for `tags`, as one
/// comma-separated string).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum StringOrList {
    One(Scalar),
    Many(Vec<Scalar>),
}

impl StringOrList {
    /// The values, each split on commas when `split` (authors, tags), trimmed, empty ones
    /// dropped.
    pub fn values(&self, split: bool) -> Vec<String> {
        let items: Vec<String> = match self {
            StringOrList::One(s) => vec![s.text()],
            StringOrList::Many(v) => v.iter().map(Scalar::text).collect(),
        };
        items
            .iter()
            .flat_map(|s| {
                if split {
                    s.split(',').map(str::to_string).collect::<Vec<_>>()
                } else {
                    s.lines().map(str::to_string).collect()
                }
            })
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// A YAML scalar read as text whatever its type (`port: 6379`, `port: "25,465"`,
/// `cvss-score: 9.8`): the operators' own.
pub(crate) use crate::operators::Scalar;

/// A YAML value (a variable's or payload's) as text: scalars as written, anything else as
/// compact JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The matchers and extractors of each kind of block.
macro_rules! operators_of {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn operators(&self) -> RawOperators {
                RawOperators {
                    matchers: self.matchers.clone(),
                    matchers_condition: self.matchers_condition.clone(),
                    extractors: self.extractors.clone(),
                }
            }
        }
    )*};
}
operators_of!(RawHttp, RawNetwork, RawDns, RawSsl);
