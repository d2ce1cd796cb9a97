//! The typed model of a template: what the executor runs and what findings and catalogues
//! show. Built only by `parse.rs`; every value here has been checked (a method is a
//! method, a port list holds ports, payload sets of a pitchfork have one length).

use crate::template::raw::RawOperators;
use std::fmt;

/// One parsed template.
#[derive(Debug)]
pub struct Template {
    /// `id:`, unique in a catalogue.
    pub id: String,
    /// Where it was read from, relative to the catalogue's root.
    pub path: String,
    /// `info:`.
    pub info: Info,
    /// `variables:` in their order (later ones may use earlier ones), as placeholders.
    pub variables: Vec<(String, String)>,
    /// `constants:`.
    pub constants: Vec<(String, String)>,
    /// The requests to send and what to match, by protocol.
    pub body: Body,
    /// `flow:` when it is a chain of request calls this engine runs.
    pub flow: Option<Flow>,
    /// Why this template is not run, when it is not.
    pub skip: Option<Skip>,
}

impl Template {
    /// The protocol, as named in the template.
    pub fn protocol(&self) -> &'static str {
        match &self.body {
            Body::Http(_) => "http",
            Body::Network(_) => "tcp",
            Body::Dns(_) => "dns",
            Body::Ssl(_) => "ssl",
            Body::Other(p) => p,
        }
    }

    /// Whether the engine runs it.
    pub fn runnable(&self) -> bool {
        self.skip.is_none()
    }

    /// How many requests one target may get from it at most (before redirects), as
    /// nuclei's `max-request` counts them.
    pub fn max_requests(&self) -> usize {
        match &self.body {
            Body::Http(reqs) => reqs.iter().map(HttpRequest::max_requests).sum(),
            Body::Network(reqs) => reqs.iter().map(|r| r.hosts.len().max(1)).sum(),
            Body::Dns(reqs) => reqs.len(),
            Body::Ssl(reqs) => reqs.len(),
            Body::Other(_) => 0,
        }
    }
}

/// `info:`.
#[derive(Debug, Default)]
pub struct Info {
    /// Title.
    pub name: String,
    /// Authors.
    pub authors: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// Description.
    pub description: String,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Tags, lower-case.
    pub tags: Vec<String>,
    /// CVE ids, upper-case.
    pub cve: Vec<String>,
    /// CWE ids as `CWE-79`.
    pub cwe: Vec<String>,
    /// CVSS vector.
    pub cvss_metrics: Option<String>,
    /// CVSS base score.
    pub cvss_score: Option<f64>,
    /// EPSS score.
    pub epss_score: Option<f64>,
    /// CPE of the affected product.
    pub cpe: Option<String>,
    /// How to fix it.
    pub remediation: String,
    /// What an attacker gains.
    pub impact: String,
    /// `metadata.vendor`, `metadata.product` and the like, as text.
    pub metadata: Vec<(String, String)>,
}

/// Template severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    /// `info`.
    #[default]
    Info,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
    /// `unknown` (or anything else).
    Unknown,
}

impl Severity {
    /// Reads nuclei's spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "info" | "informative" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }

    /// nuclei's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
            Severity::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The requests of a template, by protocol.
#[derive(Debug)]
pub enum Body {
    /// `http:`.
    Http(Vec<HttpRequest>),
    /// `tcp:` / `network:`.
    Network(Vec<NetworkRequest>),
    /// `dns:`.
    Dns(Vec<DnsRequest>),
    /// `ssl:`.
    Ssl(Vec<SslRequest>),
    /// A protocol this engine does not run (`headless`, `code`, `javascript`, workflows...).
    Other(&'static str),
}

/// One `http:` block.
#[derive(Debug)]
pub struct HttpRequest {
    /// What is sent.
    pub kind: HttpKind,
    /// `payloads:` and `attack:`.
    pub payloads: Option<Payloads>,
    /// Matchers and extractors, as written.
    pub operators: RawOperators,
    /// `redirects` / `host-redirects` and `max-redirects`.
    pub redirects: Redirects,
    /// `stop-at-first-match`.
    pub stop_at_first_match: bool,
    /// Cookies set by earlier responses are sent (nuclei's default; `disable-cookie` turns
    /// it off).
    pub cookies: bool,
    /// `req-condition`: matchers see every response of the block (`status_code_1`, ...).
    pub req_condition: bool,
    /// `max-size`: most body bytes read.
    pub max_size: Option<usize>,
    /// `skip-variables-check`: send even with unresolved `{{...}}`.
    pub skip_variables_check: bool,
    /// `disable-path-automerge`: a raw request's path is not joined to the target's path.
    pub disable_path_automerge: bool,
}

impl HttpRequest {
    /// Requests this block sends to one target at most (payload combinations included).
    pub fn max_requests(&self) -> usize {
        let n = match &self.kind {
            HttpKind::Path { paths, .. } => paths.len(),
            HttpKind::Raw { requests, .. } => requests.len(),
        };
        n.saturating_mul(self.payloads.as_ref().map_or(1, Payloads::combinations))
    }
}

/// `path:` or `raw:` requests.
#[derive(Debug)]
pub enum HttpKind {
    /// `method` + `path` list + `headers` + `body`.
    Path {
        /// Method, upper-case.
        method: String,
        /// Paths, each usually starting with `{{BaseURL}}` or `{{RootURL}}`.
        paths: Vec<String>,
        /// Headers in their order.
        headers: Vec<(String, String)>,
        /// Body.
        body: Option<String>,
    },
    /// `raw:` requests, each a whole HTTP request with placeholders.
    Raw {
        /// The requests.
        requests: Vec<String>,
        /// `unsafe: true`: the bytes are sent as they are, no header or length fixed.
        unsafe_: bool,
    },
}

/// Redirect handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirects {
    /// Follow redirects at all.
    pub follow: bool,
    /// Only redirects to the same host (`host-redirects`).
    pub same_host: bool,
    /// At most this many hops.
    pub max: u32,
}

/// `payloads:` with their attack type.
#[derive(Debug, Clone)]
pub struct Payloads {
    /// How the sets combine.
    pub attack: Attack,
    /// The sets in their order: name and values (files already read).
    pub sets: Vec<(String, Vec<String>)>,
}

impl Payloads {
    /// Number of combinations the attack produces: batteringram walks each set in turn,
    /// pitchfork stops at the shortest set, clusterbomb takes every combination (as
    /// nuclei's iterator does).
    pub fn combinations(&self) -> usize {
        let lens = self.sets.iter().map(|(_, v)| v.len());
        match self.attack {
            Attack::BatteringRam => lens.sum(),
            Attack::Pitchfork => lens.min().unwrap_or(0),
            Attack::ClusterBomb => lens.fold(1usize, |a, n| a.saturating_mul(n)),
        }
    }

    /// The `i`-th combination (name, value), `None` past the end.
    pub fn combination(&self, i: usize) -> Option<Vec<(&str, &str)>> {
        if i >= self.combinations() {
            return None;
        }
        match self.attack {
            Attack::BatteringRam => {
                let mut rest = i;
                for (n, v) in &self.sets {
                    if rest < v.len() {
                        return Some(vec![(n.as_str(), v[rest].as_str())]);
                    }
                    rest -= v.len();
                }
                None
            }
            Attack::Pitchfork => self
                .sets
                .iter()
                .map(|(n, v)| v.get(i).map(|x| (n.as_str(), x.as_str())))
                .collect(),
            Attack::ClusterBomb => {
                // The first set varies fastest, as nuclei's iterator does.
                let mut rest = i;
                let mut out = Vec::with_capacity(self.sets.len());
                for (n, v) in &self.sets {
                    let len = v.len().max(1);
                    out.push((n.as_str(), v.get(rest % len)?.as_str()));
                    rest /= len;
                }
                Some(out)
            }
        }
    }
}

/// `attack:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// One value at a time, the same in every position (one set).
    BatteringRam,
    /// The i-th values of every set together.
    Pitchfork,
    /// Every combination.
    ClusterBomb,
}

impl Attack {
    /// nuclei's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Attack::BatteringRam => "batteringram",
            Attack::Pitchfork => "pitchfork",
            Attack::ClusterBomb => "clusterbomb",
        }
    }
}

/// One `tcp:` block.
#[derive(Debug)]
pub struct NetworkRequest {
    /// Addresses to connect to, each with placeholders (`{{Hostname}}`,
    /// `tls://{{Host}}:7001`).
    pub hosts: Vec<NetworkHost>,
    /// `port:`: the ports tried when a host names none.
    pub ports: Vec<u16>,
    /// What is sent and read, in order.
    pub inputs: Vec<NetworkInput>,
    /// `read-size` of the final read (default 1024).
    pub read_size: usize,
    /// `read-all`: read until the peer closes (bounded).
    pub read_all: bool,
    /// `payloads:` and `attack:`.
    pub payloads: Option<Payloads>,
    /// Matchers and extractors, as written.
    pub operators: RawOperators,
}

/// One `host:` entry of a network block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkHost {
    /// `tls://` prefix.
    pub tls: bool,
    /// The address with placeholders, prefix removed.
    pub address: String,
}

/// One `inputs:` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInput {
    /// Bytes to send (placeholders are rendered before `hex` is decoded).
    pub data: String,
    /// `type: hex`.
    pub hex: bool,
    /// `read:` bytes read after sending, if any.
    pub read: Option<usize>,
    /// `name:` the read data is also available under this name.
    pub name: Option<String>,
}

/// One `dns:` block.
#[derive(Debug)]
pub struct DnsRequest {
    /// The name queried, with placeholders.
    pub name: String,
    /// Record type, upper-case.
    pub kind: String,
    /// Class, upper-case.
    pub class: String,
    /// Recursion desired.
    pub recursion: bool,
    /// Matchers and extractors, as written.
    pub operators: RawOperators,
}

/// One `ssl:` block.
#[derive(Debug)]
pub struct SslRequest {
    /// The address with placeholders.
    pub address: String,
    /// Lowest protocol version offered.
    pub min_version: Option<String>,
    /// Highest protocol version offered.
    pub max_version: Option<String>,
    /// Cipher suites offered.
    pub cipher_suites: Vec<String>,
    /// Matchers and extractors, as written.
    pub operators: RawOperators,
}

/// A `flow:` this engine runs: requests called by their 1-based index, joined by `&&` and
/// `||` (short-circuit, as JavaScript does) and parentheses; statements separated by `;`
/// or new lines run one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// `http(N)` (or `tcp(N)`, ...): run block N, true when its matchers matched.
    Call(usize),
    /// Both, the second only if the first matched.
    And(Box<Flow>, Box<Flow>),
    /// Either, the second only if the first did not match.
    Or(Box<Flow>, Box<Flow>),
    /// Statements in order; the template matched when any did.
    Seq(Vec<Flow>),
}

/// Why a template that parsed is not run: counted in a run's coverage, never silently
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A protocol the engine does not run (`headless`, `code`, `javascript`, `workflows`,
    /// `file`, `websocket`, `whois`).
    Protocol(&'static str),
    /// Needs an out-of-band interaction server (`{{interactsh-url}}`, `interactsh_*` parts).
    Interactsh,
    /// A fuzzing template (DAST), which runs on captured requests, not on targets.
    Fuzzing,
    /// A feature the engine does not implement, named.
    Unsupported(String),
}

impl Skip {
    /// Short stable label for counting (`protocol:headless`, `interactsh`, ...).
    pub fn label(&self) -> String {
        match self {
            Skip::Protocol(p) => format!("protocol:{p}"),
            Skip::Interactsh => "interactsh".into(),
            Skip::Fuzzing => "fuzzing".into(),
            Skip::Unsupported(what) => format!("unsupported:{what}"),
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Protocol(p) => write!(f, "the {p} protocol is not run by this engine"),
            Skip::Interactsh => f.write_str(
                "needs an out-of-band interaction server (interactsh), which this engine does not run",
            ),
            Skip::Fuzzing => f.write_str("fuzzing templates run on captured requests, not on targets"),
            Skip::Unsupported(what) => write!(f, "uses {what}, which this engine does not support"),
        }
    }
}
