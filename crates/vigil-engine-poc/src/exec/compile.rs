//! A parsed template made ready to run: every placeholder text compiled once, matchers and
//! extractors compiled once, and everything this engine cannot run turned into a [`Skip`]
//! naming it (an unknown helper, a matcher type, a protocol not run yet), so that a run's
//! coverage counts it instead of dropping it.

use crate::dsl::Template as Text;
use crate::operators::{ExtractorSpec, MatcherSpec, Operators};
use crate::template::{Body, HttpKind, Skip, Template};
use regex::Regex;
use std::sync::{Arc, LazyLock};

/// A template ready to run.
#[derive(Debug)]
pub struct Compiled {
    /// The template.
    pub template: Arc<Template>,
    /// `variables:` in order, then `constants:`.
    pub variables: Vec<(String, Text)>,
    /// `randstr`-style variables and the random value each has for this template (fixed
    /// when it is compiled, as nuclei fixes it when it loads a template, so that matchers
    /// can look for it).
    pub random: Vec<(String, String)>,
    /// The request blocks.
    pub blocks: Blocks,
}

impl Compiled {
    /// Whether block `i` has matchers and all of them are internal: a precondition that
    /// stops the template when it fails.
    pub fn gates(&self, i: usize) -> bool {
        let ops = match &self.blocks {
            Blocks::Http(b) => b.get(i).map(|b| &b.operators),
            Blocks::Network(b) => b.get(i).map(|b| &b.operators),
            Blocks::Ssl(b) => b.get(i).map(|b| &b.operators),
            Blocks::Dns(b) => b.get(i).map(|b| &b.operators),
        };
        ops.is_some_and(|o| !o.matchers.is_empty() && o.matchers.iter().all(|m| m.internal))
    }
}

/// Request blocks by protocol.
#[derive(Debug)]
pub enum Blocks {
    /// `http:`.
    Http(Vec<HttpBlock>),
    /// `tcp:`.
    Network(Vec<NetworkBlock>),
    /// `ssl:`.
    Ssl(Vec<SslBlock>),
    /// `dns:`.
    Dns(Vec<DnsBlock>),
}

impl Blocks {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        match self {
            Blocks::Http(b) => b.len(),
            Blocks::Network(b) => b.len(),
            Blocks::Ssl(b) => b.len(),
            Blocks::Dns(b) => b.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One compiled `http:` block (the model's block is `template.body`'s at `index`).
#[derive(Debug)]
pub struct HttpBlock {
    /// Position in the template, from 0.
    pub index: usize,
    /// The requests.
    pub requests: Vec<HttpText>,
    /// Matchers and extractors.
    pub operators: Operators,
    /// Matchers read earlier responses of the block (`body_1`, `status_code_2`): they are
    /// evaluated once, after the block's last request.
    pub indexed: bool,
}

/// One request of a block, as placeholder texts.
#[derive(Debug)]
pub enum HttpText {
    /// A `path` request.
    Path {
        /// Method.
        method: String,
        /// URL.
        url: Text,
        /// Headers.
        headers: Vec<(String, Text)>,
        /// Body.
        body: Option<Text>,
    },
    /// A `raw` request.
    Raw(Text),
}

/// One compiled `dns:` block.
#[derive(Debug)]
pub struct DnsBlock {
    /// The name asked about.
    pub name: Text,
    /// The record type.
    pub kind: String,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// One compiled `ssl:` block.
#[derive(Debug)]
pub struct SslBlock {
    /// Position in the template, from 0.
    pub index: usize,
    /// The address to shake hands with.
    pub address: Text,
    /// Matchers and extractors.
    pub operators: Operators,
}

/// One compiled `tcp:` block.
#[derive(Debug)]
pub struct NetworkBlock {
    /// Position in the template, from 0.
    pub index: usize,
    /// Addresses (`tls://` flag, placeholder text).
    pub hosts: Vec<(bool, Text)>,
    /// Inputs: text, hex, bytes to read after, name.
    pub inputs: Vec<(Text, bool, Option<usize>, Option<String>)>,
    /// Matchers and extractors.
    pub operators: Operators,
}

static INDEXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[a-z][a-z_]*_[0-9]+\b").unwrap_or_else(|_| Regex::new("$^").expect("regex"))
});

/// Compiles `template`, or says why it cannot run.
pub fn compile(template: Arc<Template>) -> Result<Compiled, Skip> {
    if let Some(skip) = &template.skip {
        return Err(skip.clone());
    }
    let mut texts: Vec<&Text> = Vec::new();
    let random = random_values(&template);
    let variables: Vec<(String, Text)> = template
        .variables
        .iter()
        .chain(template.constants.iter())
        .map(|(k, v)| (k.clone(), Text::compile(v)))
        .collect();
    let blocks = match &template.body {
        Body::Http(reqs) => {
            let mut blocks = Vec::with_capacity(reqs.len());
            for (index, r) in reqs.iter().enumerate() {
                let requests = match &r.kind {
                    HttpKind::Path {
                        method,
                        paths,
                        headers,
                        body,
                    } => paths
                        .iter()
                        .map(|p| HttpText::Path {
                            method: method.clone(),
                            url: Text::compile(p),
                            headers: headers
                                .iter()
                                .map(|(k, v)| (k.clone(), Text::compile(v)))
                                .collect(),
                            body: body.as_deref().map(Text::compile),
                        })
                        .collect(),
                    HttpKind::Raw { requests, .. } => requests
                        .iter()
                        .map(|r| HttpText::Raw(Text::compile(r)))
                        .collect(),
                };
                let (operators, indexed) = operators_of(&r.operators, &random)?;
                blocks.push(HttpBlock {
                    index,
                    requests,
                    operators,
                    indexed: indexed || r.req_condition,
                });
            }
            Blocks::Http(blocks)
        }
        Body::Network(reqs) => {
            let mut blocks = Vec::with_capacity(reqs.len());
            for (index, r) in reqs.iter().enumerate() {
                let (operators, _) = operators_of(&r.operators, &random)?;
                blocks.push(NetworkBlock {
                    index,
                    hosts: r
                        .hosts
                        .iter()
                        .map(|h| (h.tls, Text::compile(&h.address)))
                        .collect(),
                    inputs: r
                        .inputs
                        .iter()
                        .map(|i| (Text::compile(&i.data), i.hex, i.read, i.name.clone()))
                        .collect(),
                    operators,
                });
            }
            Blocks::Network(blocks)
        }
        Body::Dns(reqs) => {
            let mut blocks = Vec::with_capacity(reqs.len());
            for r in reqs {
                let (operators, _) = operators_of(&r.operators, &random)?;
                blocks.push(DnsBlock {
                    name: Text::compile(&r.name),
                    kind: r.kind.clone(),
                    operators,
                });
            }
            Blocks::Dns(blocks)
        }
        Body::Ssl(reqs) => {
            let mut blocks = Vec::with_capacity(reqs.len());
            for (index, r) in reqs.iter().enumerate() {
                if r.min_version.is_some() || r.max_version.is_some() || !r.cipher_suites.is_empty()
                {
                    return Err(Skip::Unsupported(
                        "TLS versions or cipher suites of choice (the TLS stack speaks TLS 1.2 and 1.3 with modern suites)".into(),
                    ));
                }
                let (operators, _) = operators_of(&r.operators, &random)?;
                blocks.push(SslBlock {
                    index,
                    address: Text::compile(&r.address),
                    operators,
                });
            }
            Blocks::Ssl(blocks)
        }
        Body::Other(p) => return Err(Skip::Protocol(p)),
    };
    match &blocks {
        Blocks::Http(bs) => {
            for b in bs {
                for r in &b.requests {
                    match r {
                        HttpText::Path {
                            url, headers, body, ..
                        } => {
                            texts.push(url);
                            texts.extend(headers.iter().map(|(_, v)| v));
                            texts.extend(body.iter());
                        }
                        HttpText::Raw(t) => texts.push(t),
                    }
                }
            }
        }
        Blocks::Network(bs) => {
            for b in bs {
                texts.extend(b.hosts.iter().map(|(_, t)| t));
                texts.extend(b.inputs.iter().map(|(t, ..)| t));
            }
        }
        Blocks::Ssl(bs) => texts.extend(bs.iter().map(|b| &b.address)),
        Blocks::Dns(bs) => texts.extend(bs.iter().map(|b| &b.name)),
    }
    texts.extend(variables.iter().map(|(_, t)| t));
    // A placeholder calling a function nuclei does not know is a payload (template
    // injection probes such as `{{shell_exec('id')}}`) and is sent as written; a known
    // helper this engine cannot run makes the template skip.
    for t in &texts {
        if let Some((name, why)) = t.unsupported_functions().first() {
            return Err(Skip::Unsupported(format!("helper {name} ({why})")));
        }
    }
    Ok(Compiled {
        template,
        variables,
        random,
        blocks,
    })
}

static RANDSTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{(randstr(?:_[0-9]+)?)\}\}")
        .unwrap_or_else(|_| Regex::new("$^").expect("regex"))
});

/// A random value for every `{{randstr}}`, `{{randstr_1}}`, ... the template's requests or
/// operators name.
fn random_values(t: &Template) -> Vec<(String, String)> {
    let mut names: Vec<String> = Vec::new();
    let mut look = |text: &str| {
        for c in RANDSTR.captures_iter(text) {
            let n = c[1].to_string();
            if !names.contains(&n) {
                names.push(n);
            }
        }
    };
    for (_, v) in t.variables.iter().chain(t.constants.iter()) {
        look(v);
    }
    let ops = |o: &crate::template::RawOperators| {
        serde_json::to_string(&(&o.matchers, &o.extractors)).unwrap_or_default()
    };
    match &t.body {
        Body::Http(reqs) => {
            for r in reqs {
                match &r.kind {
                    HttpKind::Path {
                        paths,
                        headers,
                        body,
                        ..
                    } => {
                        paths.iter().for_each(|p| look(p));
                        headers.iter().for_each(|(_, v)| look(v));
                        body.iter().for_each(|b| look(b));
                    }
                    HttpKind::Raw { requests, .. } => requests.iter().for_each(|r| look(r)),
                }
                look(&ops(&r.operators));
            }
        }
        Body::Network(reqs) => {
            for r in reqs {
                r.hosts.iter().for_each(|h| look(&h.address));
                r.inputs.iter().for_each(|i| look(&i.data));
                look(&ops(&r.operators));
            }
        }
        _ => {}
    }
    names
        .into_iter()
        .map(|n| (n, super::random_string(27)))
        .collect()
}

/// Replaces `{{randstr...}}` in every string of a matcher or extractor.
fn fix_random(v: &mut serde_yaml_ng::Value, random: &[(String, String)]) {
    match v {
        serde_yaml_ng::Value::String(s) if s.contains("{{randstr") => {
            for (name, value) in random {
                *s = s.replace(&format!("{{{{{name}}}}}"), value);
            }
        }
        serde_yaml_ng::Value::Sequence(items) => {
            items.iter_mut().for_each(|i| fix_random(i, random))
        }
        serde_yaml_ng::Value::Mapping(m) => m.iter_mut().for_each(|(_, i)| fix_random(i, random)),
        _ => {}
    }
}

/// Reads matchers or extractors (`what` names them in errors) from their YAML, with the
/// template's random values in place.
fn specs<T: serde::de::DeserializeOwned>(
    list: Option<&Vec<serde_yaml_ng::Value>>,
    random: &[(String, String)],
    what: &str,
) -> Result<Vec<T>, Skip> {
    list.into_iter()
        .flatten()
        .map(|v| {
            let mut v = v.clone();
            fix_random(&mut v, random);
            serde_yaml_ng::from_value(v)
                .map_err(|e| Skip::Unsupported(format!("{what} that cannot be read ({e})")))
        })
        .collect()
}

fn operators_of(
    raw: &crate::template::RawOperators,
    random: &[(String, String)],
) -> Result<(Operators, bool), Skip> {
    let matchers: Vec<MatcherSpec> = specs(raw.matchers.as_ref(), random, "a matcher")?;
    let extractors: Vec<ExtractorSpec> = specs(raw.extractors.as_ref(), random, "an extractor")?;
    let indexed = raw
        .matchers
        .iter()
        .flatten()
        .chain(raw.extractors.iter().flatten())
        .any(|v| serde_json::to_string(v).is_ok_and(|s| INDEXED.is_match(&s)));
    let ops = Operators::compile(&matchers, raw.matchers_condition.as_deref(), &extractors)
        .map_err(|e| Skip::Unsupported(e.category()))?;
    Ok((ops, indexed))
}
