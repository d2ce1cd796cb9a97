//! From a template file's text to the typed [`Template`]: YAML through `serde_yaml_ng`
//! (bounded in size; aliases and nesting bounded by the crate), then every field checked
//! and normalised. A file that is not a template is a [`ParseError`] naming what is wrong;
//! a template that parses but cannot run gets a [`Skip`] saying why.

use crate::template::model::{
    Attack, Body, DnsRequest, Flow, HttpKind, HttpRequest, Info, NetworkHost, NetworkInput,
    NetworkRequest, Payloads, Redirects, Severity, Skip, SslRequest, Template,
};
use crate::template::raw::{
    value_text, RawDns, RawHttp, RawInfo, RawNetwork, RawSsl, RawTemplate, Scalar,
};
use serde_yaml_ng::Mapping;

/// Largest template file read.
pub const MAX_TEMPLATE_BYTES: usize = 4 * 1024 * 1024;
/// Most request blocks, paths or raw requests in one template.
pub const MAX_REQUESTS: usize = 1_000;
/// Most values in all payload sets of one block.
pub const MAX_PAYLOAD_VALUES: usize = 500_000;
/// Most combinations one block's payloads may produce.
pub const MAX_COMBINATIONS: usize = 1_000_000;
/// Most requests nuclei's default `max-redirects` follows.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// Default `read-size` of network blocks.
pub const DEFAULT_READ_SIZE: usize = 1024;
/// Largest `read-size` honoured.
pub const MAX_READ_SIZE: usize = 1024 * 1024;

/// Why a file is not a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Over [`MAX_TEMPLATE_BYTES`].
    #[error("template is larger than {MAX_TEMPLATE_BYTES} bytes")]
    TooLarge,
    /// Not YAML, or YAML of the wrong shape.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// A required field is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field has a value this engine cannot read.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as written in templates.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No request block of any protocol.
    #[error("no requests (http, tcp, dns, ssl, ...)")]
    NoRequests,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ParseError {
    ParseError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Reads a wordlist a payload names (a path relative to the catalogue's root) as lines.
pub trait PayloadFiles {
    /// The file's non-empty lines, or why it cannot be read.
    fn lines(&self, path: &str) -> Result<Vec<String>, String>;
}

/// No payload files: any wordlist reference is an error.
pub struct NoFiles;

impl PayloadFiles for NoFiles {
    fn lines(&self, path: &str) -> Result<Vec<String>, String> {
        Err(format!("payload file {path} cannot be read here"))
    }
}

/// Parses one template file. `path` is where it came from (kept on the template); payload
/// wordlists are read through `files`.
pub fn parse_template(
    text: &str,
    path: &str,
    files: &dyn PayloadFiles,
) -> Result<Template, ParseError> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(ParseError::TooLarge);
    }
    let raw: RawTemplate =
        serde_yaml_ng::from_str(text).map_err(|e| ParseError::Yaml(e.to_string()))?;
    let id = raw
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ParseError::Missing("id"))?
        .to_string();
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "id",
            format!("{id:?} has characters other than letters, digits, '-', '_' and '.'"),
        ));
    }
    let info = parse_info(raw.info.as_ref().ok_or(ParseError::Missing("info"))?)?;
    let variables = pairs(raw.variables.as_ref(), "variables")?;
    let constants = pairs(raw.constants.as_ref(), "constants")?;
    let mut skip = None;
    let body = if let Some(http) = raw.http.as_ref().or(raw.requests.as_ref()) {
        let reqs = bounded(http, "http")?
            .iter()
            .enumerate()
            .map(|(i, r)| parse_http(r, i, files, &mut skip))
            .collect::<Result<Vec<_>, _>>()?;
        Body::Http(reqs)
    } else if let Some(net) = raw.tcp.as_ref().or(raw.network.as_ref()) {
        let reqs = bounded(net, "tcp")?
            .iter()
            .enumerate()
            .map(|(i, r)| parse_network(r, i, files))
            .collect::<Result<Vec<_>, _>>()?;
        Body::Network(reqs)
    } else if let Some(dns) = &raw.dns {
        Body::Dns(bounded(dns, "dns")?.iter().map(parse_dns).collect())
    } else if let Some(ssl) = &raw.ssl {
        Body::Ssl(bounded(ssl, "ssl")?.iter().map(parse_ssl).collect())
    } else {
        let other = [
            ("headless", raw.headless.is_some()),
            ("code", raw.code.is_some()),
            ("javascript", raw.javascript.is_some()),
            ("workflows", raw.workflows.is_some()),
            ("file", raw.file.is_some()),
            ("websocket", raw.websocket.is_some()),
            ("whois", raw.whois.is_some()),
        ]
        .into_iter()
        .find(|(_, present)| *present)
        .map(|(p, _)| p)
        .ok_or(ParseError::NoRequests)?;
        skip = Some(Skip::Protocol(other));
        Body::Other(other)
    };
    let blocks = match &body {
        Body::Http(r) => r.len(),
        Body::Network(r) => r.len(),
        Body::Dns(r) => r.len(),
        Body::Ssl(r) => r.len(),
        Body::Other(_) => 0,
    };
    // A second protocol beside the first runs only through a flow mixing them.
    let protocols = [
        raw.http.is_some() || raw.requests.is_some(),
        raw.tcp.is_some() || raw.network.is_some(),
        raw.dns.is_some(),
        raw.ssl.is_some(),
        raw.headless.is_some(),
        raw.code.is_some(),
        raw.javascript.is_some(),
    ]
    .iter()
    .filter(|p| **p)
    .count();
    if skip.is_none() && protocols > 1 {
        skip = Some(Skip::Unsupported(
            "several protocols in one template".into(),
        ));
    }
    let flow = match raw.flow.as_deref() {
        Some(src) => match parse_flow(src, blocks) {
            Ok(f) => Some(f),
            Err(reason) => {
                skip.get_or_insert(Skip::Unsupported(reason));
                None
            }
        },
        None => None,
    };
    if text.contains("{{interactsh-url}}") || text.contains("interactsh_") {
        skip = Some(Skip::Interactsh);
    }
    Ok(Template {
        id,
        path: path.to_string(),
        info,
        variables,
        constants,
        body,
        flow,
        skip,
    })
}

fn bounded<'a, T>(v: &'a [T], field: &str) -> Result<&'a [T], ParseError> {
    if v.len() > MAX_REQUESTS {
        return Err(invalid(field, format!("more than {MAX_REQUESTS} entries")));
    }
    Ok(v)
}

fn pairs(m: Option<&Mapping>, field: &str) -> Result<Vec<(String, String)>, ParseError> {
    let Some(m) = m else { return Ok(Vec::new()) };
    m.iter()
        .map(|(k, v)| {
            let name = k
                .as_str()
                .ok_or_else(|| invalid(field, "a name is not a string"))?;
            Ok((name.to_string(), value_text(v)))
        })
        .collect()
}

fn parse_info(raw: &RawInfo) -> Result<Info, ParseError> {
    let name = raw
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ParseError::Missing("info.name"))?
        .to_string();
    let severity = match raw.severity.as_deref() {
        None => Severity::Unknown,
        Some(s) => Severity::parse(s)
            .ok_or_else(|| invalid("info.severity", format!("unknown severity {s:?}")))?,
    };
    let c = raw.classification.as_ref();
    let list = |f: Option<&crate::template::raw::StringOrList>| {
        f.map(|v| v.values(true)).unwrap_or_default()
    };
    let cve = list(c.and_then(|c| c.cve_id.as_ref()))
        .into_iter()
        .map(|s| s.to_ascii_uppercase())
        .collect();
    let cwe = list(c.and_then(|c| c.cwe_id.as_ref()))
        .into_iter()
        .map(|s| {
            let up = s.to_ascii_uppercase();
            if up.starts_with("CWE-") {
                up
            } else {
                format!("CWE-{up}")
            }
        })
        .collect();
    let metadata = raw
        .metadata
        .as_ref()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), value_text(v))))
                .collect()
        })
        .unwrap_or_default();
    Ok(Info {
        name,
        authors: raw
            .author
            .as_ref()
            .map(|a| a.values(true))
            .unwrap_or_default(),
        severity,
        description: raw
            .description
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        references: raw
            .reference
            .as_ref()
            .map(|r| r.values(false))
            .unwrap_or_default(),
        tags: list(raw.tags.as_ref())
            .into_iter()
            .map(|t| t.to_ascii_lowercase())
            .collect(),
        cve,
        cwe,
        cvss_metrics: c.and_then(|c| c.cvss_metrics.clone()),
        cvss_score: c
            .and_then(|c| c.cvss_score.as_ref())
            .and_then(Scalar::as_f64),
        epss_score: c
            .and_then(|c| c.epss_score.as_ref())
            .and_then(Scalar::as_f64),
        cpe: c.and_then(|c| c.cpe.clone()),
        remediation: raw
            .remediation
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        impact: raw.impact.clone().unwrap_or_default().trim().to_string(),
        metadata,
    })
}

fn parse_http(
    r: &RawHttp,
    index: usize,
    files: &dyn PayloadFiles,
    skip: &mut Option<Skip>,
) -> Result<HttpRequest, ParseError> {
    let field = |f: &str| format!("http[{index}].{f}");
    if r.fuzzing.is_some() {
        *skip = Some(Skip::Fuzzing);
    }
    if r.iterate_all == Some(true) {
        skip.get_or_insert(Skip::Unsupported(
            "iterate-all (every value of an internal extractor in turn)".into(),
        ));
    }
    if r.race == Some(true) {
        skip.get_or_insert(Skip::Unsupported("race requests".into()));
    }
    if r.pipeline == Some(true) {
        skip.get_or_insert(Skip::Unsupported("HTTP pipelining".into()));
    }
    let kind = match (&r.path, &r.raw) {
        (Some(_), Some(_)) => return Err(invalid(field("raw"), "both path and raw are given")),
        (None, None) if r.global_matchers == Some(true) => {
            skip.get_or_insert(Skip::Unsupported(
                "global matchers (matchers applied to other templates' responses)".into(),
            ));
            HttpKind::Path {
                method: "GET".into(),
                paths: Vec::new(),
                headers: Vec::new(),
                body: None,
            }
        }
        (None, None) => return Err(invalid(field("path"), "neither path nor raw is given")),
        (Some(paths), None) => {
            let method = r
                .method
                .as_deref()
                .unwrap_or("GET")
                .trim()
                .to_ascii_uppercase();
            if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(invalid(
                    field("method"),
                    format!("{method:?} is not a method"),
                ));
            }
            let headers = pairs(r.headers.as_ref(), &field("headers"))?;
            HttpKind::Path {
                method,
                paths: bounded(paths, &field("path"))?.to_vec(),
                headers,
                body: r.body.clone(),
            }
        }
        (None, Some(raws)) => {
            if raws.iter().any(|s| s.trim().is_empty()) {
                return Err(invalid(field("raw"), "an empty raw request"));
            }
            HttpKind::Raw {
                requests: bounded(raws, &field("raw"))?.to_vec(),
                unsafe_: r.unsafe_.unwrap_or(false),
            }
        }
    };
    let payloads = parse_payloads(
        r.payloads.as_ref(),
        r.attack.as_deref(),
        files,
        &field("payloads"),
    )?;
    let max = match &r.max_redirects {
        Some(s) => u32::try_from(
            s.as_u64()
                .ok_or_else(|| invalid(field("max-redirects"), "not a number"))?,
        )
        .unwrap_or(u32::MAX)
        .min(50),
        None => DEFAULT_MAX_REDIRECTS,
    };
    let redirects = Redirects {
        follow: r.redirects == Some(true) || r.host_redirects == Some(true),
        same_host: r.host_redirects == Some(true) && r.redirects != Some(true),
        max,
    };
    let max_size = r
        .max_size
        .as_ref()
        .map(|s| {
            s.as_u64()
                .ok_or_else(|| invalid(field("max-size"), "not a number"))
        })
        .transpose()?
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if r.digest_username.is_some() || r.digest_password.is_some() {
        skip.get_or_insert(Skip::Unsupported("HTTP digest authentication".into()));
    }
    Ok(HttpRequest {
        kind,
        payloads,
        operators: r.operators(),
        redirects,
        stop_at_first_match: r.stop_at_first_match.unwrap_or(false),
        cookies: !r.disable_cookie.unwrap_or(false),
        req_condition: r.req_condition.unwrap_or(false),
        max_size,
        skip_variables_check: r.skip_variables_check.unwrap_or(false),
        disable_path_automerge: r.disable_path_automerge.unwrap_or(false),
    })
}

fn parse_payloads(
    m: Option<&Mapping>,
    attack: Option<&str>,
    files: &dyn PayloadFiles,
    field: &str,
) -> Result<Option<Payloads>, ParseError> {
    let Some(m) = m.filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    let mut sets = Vec::with_capacity(m.len());
    let mut total = 0usize;
    for (k, v) in m {
        let name = k
            .as_str()
            .ok_or_else(|| invalid(field, "a payload name is not a string"))?
            .to_string();
        let values: Vec<String> = match v {
            serde_yaml_ng::Value::Sequence(items) => items.iter().map(value_text).collect(),
            serde_yaml_ng::Value::String(path) if !path.contains('\n') => files
                .lines(path.trim())
                .map_err(|e| invalid(format!("{field}.{name}"), e))?,
            serde_yaml_ng::Value::String(inline) => inline
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect(),
            other => vec![value_text(other)],
        };
        total = total.saturating_add(values.len());
        if total > MAX_PAYLOAD_VALUES {
            return Err(invalid(
                field,
                format!("more than {MAX_PAYLOAD_VALUES} payload values"),
            ));
        }
        sets.push((name, values));
    }
    let attack = match attack.map(|a| a.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => {
            if sets.len() == 1 {
                Attack::BatteringRam
            } else {
                Attack::ClusterBomb
            }
        }
        Some("batteringram") | Some("sniper") => Attack::BatteringRam,
        Some("pitchfork") => Attack::Pitchfork,
        Some("clusterbomb") => Attack::ClusterBomb,
        Some(other) => return Err(invalid("attack", format!("unknown attack type {other:?}"))),
    };
    let payloads = Payloads { attack, sets };
    let n = payloads
        .sets
        .iter()
        .map(|(_, v)| v.len())
        .fold(1usize, |a, n| a.saturating_mul(n));
    if attack == Attack::ClusterBomb && n > MAX_COMBINATIONS {
        return Err(invalid(
            field,
            format!("more than {MAX_COMBINATIONS} combinations"),
        ));
    }
    Ok(Some(payloads))
}

fn parse_network(
    r: &RawNetwork,
    index: usize,
    files: &dyn PayloadFiles,
) -> Result<NetworkRequest, ParseError> {
    let field = |f: &str| format!("tcp[{index}].{f}");
    let hosts: Vec<NetworkHost> = r
        .host
        .iter()
        .chain(r.address.iter())
        .flatten()
        .map(|h| {
            let h = h.trim();
            match h.strip_prefix("tls://") {
                Some(rest) => NetworkHost {
                    tls: true,
                    address: rest.to_string(),
                },
                None => NetworkHost {
                    tls: false,
                    address: h.to_string(),
                },
            }
        })
        .collect();
    if hosts.is_empty() {
        return Err(invalid(field("host"), "no host"));
    }
    let ports = match &r.port {
        None => Vec::new(),
        Some(p) => p
            .text()
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| invalid(field("port"), format!("{s:?} is not a port")))
            })
            .collect::<Result<_, _>>()?,
    };
    let inputs = r
        .inputs
        .iter()
        .flatten()
        .map(|i| {
            let hex = match i.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("text") | Some("") => false,
                Some("hex") => true,
                Some(other) => {
                    return Err(invalid(
                        field("inputs.type"),
                        format!("unknown type {other:?}"),
                    ))
                }
            };
            let read = i
                .read
                .as_ref()
                .map(|n| {
                    n.as_u64()
                        .ok_or_else(|| invalid(field("inputs.read"), "not a number"))
                })
                .transpose()?
                .map(|n| {
                    usize::try_from(n)
                        .unwrap_or(MAX_READ_SIZE)
                        .min(MAX_READ_SIZE)
                });
            Ok(NetworkInput {
                data: i.data.clone().unwrap_or_default(),
                hex,
                read,
                name: i.name.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let read_size = r
        .read_size
        .as_ref()
        .map(|n| {
            n.as_u64()
                .ok_or_else(|| invalid(field("read-size"), "not a number"))
        })
        .transpose()?
        .map_or(DEFAULT_READ_SIZE, |n| {
            usize::try_from(n)
                .unwrap_or(MAX_READ_SIZE)
                .min(MAX_READ_SIZE)
        });
    Ok(NetworkRequest {
        hosts,
        ports,
        inputs,
        read_size,
        read_all: r.read_all.unwrap_or(false),
        payloads: parse_payloads(
            r.payloads.as_ref(),
            r.attack.as_deref(),
            files,
            &field("payloads"),
        )?,
        operators: r.operators(),
    })
}

fn parse_dns(r: &RawDns) -> DnsRequest {
    DnsRequest {
        name: r.name.clone().unwrap_or_else(|| "{{FQDN}}".into()),
        kind: r.kind.as_deref().unwrap_or("A").trim().to_ascii_uppercase(),
        class: r
            .class
            .as_deref()
            .unwrap_or("INET")
            .trim()
            .to_ascii_uppercase(),
        recursion: r.recursion.unwrap_or(true),
        operators: r.operators(),
    }
}

fn parse_ssl(r: &RawSsl) -> SslRequest {
    SslRequest {
        address: r
            .address
            .clone()
            .unwrap_or_else(|| "{{Host}}:{{Port}}".into()),
        min_version: r.min_version.clone(),
        max_version: r.max_version.clone(),
        cipher_suites: r.cipher_suites.clone().unwrap_or_default(),
        operators: r.operators(),
    }
}

/// Reads a `flow:` made of request calls joined by `&&`/`||`, parentheses, `;` and new
/// lines; anything else (JavaScript statements) is refused with the reason.
pub fn parse_flow(src: &str, blocks: usize) -> Result<Flow, String> {
    let tokens = flow_tokens(src)?;
    let mut p = FlowParser {
        tokens: &tokens,
        at: 0,
        blocks,
        depth: 0,
    };
    let flow = p.sequence()?;
    if p.at != tokens.len() {
        return Err("flow with JavaScript statements".into());
    }
    Ok(flow)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FlowToken {
    Call(Option<usize>),
    And,
    Or,
    Open,
    Close,
    End,
}

fn flow_tokens(src: &str) -> Result<Vec<FlowToken>, String> {
    const PROTOCOLS: [&str; 5] = ["http", "tcp", "network", "dns", "ssl"];
    let js = || "flow with JavaScript statements".to_string();
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' | b';' => {
                out.push(FlowToken::End);
                i += 1;
            }
            b'(' => {
                out.push(FlowToken::Open);
                i += 1;
            }
            b')' => {
                out.push(FlowToken::Close);
                i += 1;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                out.push(FlowToken::And);
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                out.push(FlowToken::Or);
                i += 2;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let word = &src[start..i];
                if !PROTOCOLS.contains(&word) || b.get(i) != Some(&b'(') {
                    return Err(js());
                }
                i += 1;
                let num_start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let index = if i > num_start {
                    Some(src[num_start..i].parse::<usize>().map_err(|_| js())?)
                } else {
                    None
                };
                if b.get(i) != Some(&b')') {
                    return Err(js());
                }
                i += 1;
                out.push(FlowToken::Call(index));
            }
            _ => return Err(js()),
        }
    }
    Ok(out)
}

struct FlowParser<'a> {
    tokens: &'a [FlowToken],
    at: usize,
    blocks: usize,
    depth: usize,
}

impl FlowParser<'_> {
    fn peek(&self) -> Option<&FlowToken> {
        self.tokens.get(self.at)
    }

    fn sequence(&mut self) -> Result<Flow, String> {
        let mut items = Vec::new();
        loop {
            while self.peek() == Some(&FlowToken::End) {
                self.at += 1;
            }
            match self.peek() {
                None | Some(FlowToken::Close) => break,
                _ => items.push(self.or()?),
            }
        }
        match items.len() {
            0 => Err("empty flow".into()),
            1 => Ok(items.remove(0)),
            _ => Ok(Flow::Seq(items)),
        }
    }

    fn or(&mut self) -> Result<Flow, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&FlowToken::Or) {
            self.at += 1;
            let right = self.and()?;
            left = Flow::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Flow, String> {
        let mut left = self.atom()?;
        while self.peek() == Some(&FlowToken::And) {
            self.at += 1;
            let right = self.atom()?;
            left = Flow::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Flow, String> {
        match self.tokens.get(self.at).cloned() {
            Some(FlowToken::Call(Some(n))) => {
                self.at += 1;
                if n == 0 {
                    return Err("flow calls request 0; requests count from 1".into());
                }
                // A call past the last block runs nothing and is false, as in nuclei.
                Ok(Flow::Call(n))
            }
            Some(FlowToken::Call(None)) => {
                self.at += 1;
                Ok(Flow::Seq((1..=self.blocks).map(Flow::Call).collect()))
            }
            Some(FlowToken::Open) => {
                self.depth += 1;
                if self.depth > 32 {
                    return Err("flow nested too deeply".into());
                }
                self.at += 1;
                let inner = self.or()?;
                if self.peek() != Some(&FlowToken::Close) {
                    return Err("flow: unbalanced parentheses".into());
                }
                self.at += 1;
                self.depth -= 1;
                Ok(inner)
            }
            _ => Err("flow with JavaScript statements".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "id: x\ninfo:\n  name: X\n  severity: high\n  tags: a,b\nhttp:\n  - method: GET\n    path:\n      - \"{{BaseURL}}/a\"\n    payloads:\n      p: [1, 2]\n    matchers:\n      - type: word\n        words: [ok]\n";

    #[test]
    fn a_template_parses() {
        let t = parse_template(SAMPLE, "x.yaml", &NoFiles).unwrap();
        assert_eq!(t.id, "x");
        assert_eq!(t.info.severity, Severity::High);
        assert_eq!(t.info.tags, ["a", "b"]);
        assert!(t.runnable());
        assert_eq!(t.max_requests(), 2);
    }

    #[test]
    fn what_is_not_a_template_says_why() {
        for (text, want) in [
            ("info: {name: x}\nhttp: []", "missing id"),
            ("id: 'a b'\ninfo: {name: x}\nhttp: []", "id"),
            (
                "id: a\ninfo: {name: x, severity: severe}\nhttp: []",
                "severity",
            ),
            ("id: a\ninfo: {name: x}\n", "no requests"),
            (
                "id: a\ninfo: {name: x}\nhttp: [{method: GET}]",
                "neither path nor raw",
            ),
            (
                "id: a\ninfo: {name: x}\ntcp: [{host: ['{{Hostname}}'], port: 'x'}]",
                "not a port",
            ),
            ("- a\n- b", "invalid YAML"),
        ] {
            let e = parse_template(text, "t.yaml", &NoFiles)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn flows_of_calls_parse_and_javascript_is_refused() {
        assert_eq!(
            parse_flow("http(1) && (http(2) || http(3))", 3),
            Ok(Flow::And(
                Box::new(Flow::Call(1)),
                Box::new(Flow::Or(Box::new(Flow::Call(2)), Box::new(Flow::Call(3))))
            ))
        );
        assert_eq!(
            parse_flow("http(1)\nhttp(2);", 2),
            Ok(Flow::Seq(vec![Flow::Call(1), Flow::Call(2)]))
        );
        assert!(parse_flow("if (http(1)) { http(2) }", 2).is_err());
        assert!(parse_flow("http(1) &&", 2).is_err());
        assert!(parse_flow(&"(".repeat(100), 2).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary text never panics the parser.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            let _ = parse_template(&text, "p.yaml", &NoFiles);
        }

        /// Mutations of a real template never panic it.
        #[test]
        fn mutated_templates_never_panic(at in 0usize..SAMPLE.len(), cut in 0usize..40, junk in "[ -~\n]{0,20}") {
            let mut text = SAMPLE.to_string();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at + cut).min(text.len());
            text.replace_range(at..end, &junk);
            let _ = parse_template(&text, "p.yaml", &NoFiles);
        }

        /// Flows of any shape never panic.
        #[test]
        fn arbitrary_flows_never_panic(text in "[a-z()&|;\n 0-9]{0,80}") {
            let _ = parse_flow(&text, 3);
        }
    }
}
