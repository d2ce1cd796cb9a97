//! [`Data`]: the named values of one response that matchers, extractors and DSL expressions
//! read (nuclei's "internal event"), over lower-priority layers such as template variables and
//! values extracted by earlier requests. Part names resolve as nuclei's HTTP protocol does: no
//! part is `body`, `header` is `all_headers`, `all` is body then headers. The lower-cased form
//! of a part is computed once per `Data` and shared by every case-insensitive matcher of every
//! template evaluated on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::dsl::{MemoKey, Value, Vars};

/// The values of one response, cheap to share across many templates' operators.
#[derive(Default)]
pub struct Data {
    values: HashMap<String, Value>,
    layers: Vec<Arc<dyn Vars + Send + Sync>>,
    lowered: Mutex<HashMap<String, Arc<[u8]>>>,
    lowered_vars: Mutex<HashMap<String, Value>>,
    memo: Mutex<HashMap<Arc<str>, Value>>,
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Data")
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .field("layers", &self.layers.len())
            .finish()
    }
}

/// Most helper results one `Data` caches.
const MEMO_CAP: usize = 100_000;

/// The parts of an HTTP response, for [`Data::from_http`].
#[derive(Debug, Clone, Default)]
pub struct HttpParts {
    /// The status code.
    pub status_code: i64,
    /// Header names and values as received (repeated names allowed).
    pub headers: Vec<(String, String)>,
    /// The raw header block (status line and headers) as received.
    pub raw_headers: String,
    /// The body (decoded from its transfer/content encoding).
    pub body: Vec<u8>,
    /// The raw request as sent.
    pub request: String,
    /// The `host` value (the target's host).
    pub host: String,
    /// The URL the request went to (`matched`).
    pub matched: String,
    /// The round-trip time in seconds.
    pub duration_secs: f64,
    /// `Content-Length` when the server gave one.
    pub content_length: Option<i64>,
}

/// A header name as a variable name: lower-cased, `-` as `_` (`Content-Type` → `content_type`).
pub fn header_var_name(name: &str) -> String {
    name.trim().replace('-', "_").to_lowercase()
}

impl Data {
    /// Empty data.
    pub fn new() -> Data {
        Data::default()
    }

    /// The data nuclei builds from an HTTP response: `status_code`, `body`, `header` and
    /// `all_headers`, `response` (headers then body), `request`, `host`, `matched`,
    /// `duration`, `content_length`, and every header and cookie by name (repeated headers
    /// joined with a space).
    pub fn from_http(p: HttpParts) -> Data {
        let mut d = Data::new();
        let mut joined: Vec<(String, String)> = Vec::new();
        for (name, value) in &p.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                if let Some((k, v)) = value.split(';').next().and_then(|c| c.split_once('=')) {
                    d.insert(k.trim().to_lowercase(), v.trim().to_string());
                }
            }
            let key = header_var_name(name);
            match joined.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(value);
                }
                None => joined.push((key, value.clone())),
            }
        }
        for (k, v) in joined {
            d.insert(k, v);
        }
        let body_len = p.body.len() as i64;
        let body = Value::from_bytes(p.body);
        let mut response = p.raw_headers.clone().into_bytes();
        response.extend_from_slice(&body.as_bytes());
        d.insert("host", p.host);
        d.insert("matched", p.matched);
        d.insert("request", p.request);
        d.insert("response", Value::from_bytes(response));
        d.insert("status_code", p.status_code);
        d.insert("body", body);
        d.insert("all_headers", p.raw_headers.clone());
        d.insert("header", p.raw_headers);
        d.insert("duration", p.duration_secs);
        d.insert(
            "content_length",
            p.content_length.filter(|l| *l >= 0).unwrap_or(body_len),
        );
        d
    }

    /// Sets a value (replacing one of the same name).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        if let Ok(mut cache) = self.lowered.lock() {
            cache.remove(&name);
            if matches!(name.as_str(), "body" | "all_headers" | "header") {
                cache.clear();
            }
        }
        if let Ok(mut cache) = self.lowered_vars.lock() {
            cache.remove(&name);
        }
        if let Ok(mut memo) = self.memo.lock() {
            memo.clear();
        }
        self.values.insert(name, value.into());
    }

    /// Adds a source searched after this data's own values (template variables, values
    /// extracted by earlier requests); layers added first are searched first.
    pub fn push_layer(&mut self, layer: Arc<dyn Vars + Send + Sync>) {
        self.layers.push(layer);
        if let Ok(mut cache) = self.lowered_vars.lock() {
            cache.clear();
        }
    }

    /// Copies every own value of `other` under `name_N` (`body_2`, `status_code_2`), as nuclei
    /// does for the responses of a multi-request template.
    pub fn add_indexed(&mut self, other: &Data, index: usize) {
        for (k, v) in &other.values {
            self.values.insert(format!("{k}_{index}"), v.clone());
        }
        self.clear_caches();
    }

    /// The value of a part, resolving `""` to `body`, `header` to `all_headers` and `all`
    /// to body then headers.
    pub fn part(&self, part: &str) -> Option<Value> {
        match part {
            "" | "body" => self.get("body"),
            "header" | "all_headers" => self.get("all_headers").or_else(|| self.get("header")),
            "all" => {
                let mut out = self
                    .get("body")
                    .map(|v| v.as_bytes().into_owned())
                    .unwrap_or_default();
                if let Some(h) = self.get("all_headers") {
                    out.extend_from_slice(&h.as_bytes());
                }
                Some(Value::from_bytes(out))
            }
            other => self.get(other),
        }
    }

    fn clear_caches(&self) {
        if let Ok(mut c) = self.lowered_vars.lock() {
            c.clear();
        }
        if let Ok(mut c) = self.memo.lock() {
            c.clear();
        }
        if let Ok(mut c) = self.lowered.lock() {
            c.clear();
        }
    }

    fn owns_all(&self, vars: &[Arc<str>]) -> bool {
        vars.iter().all(|v| self.values.contains_key(&**v))
    }

    /// The lower-cased bytes of a part, computed once (Unicode lower case for UTF-8 text,
    /// ASCII lower case otherwise).
    pub fn part_lowered(&self, part: &str) -> Option<Arc<[u8]>> {
        let key = match part {
            "" => "body",
            "header" => "all_headers",
            other => other,
        };
        if let Ok(cache) = self.lowered.lock() {
            if let Some(v) = cache.get(key) {
                return Some(v.clone());
            }
        }
        let lowered: Arc<[u8]> = lower(&self.part(key)?).into();
        if let Ok(mut cache) = self.lowered.lock() {
            cache.insert(key.to_string(), lowered.clone());
        }
        Some(lowered)
    }
}

/// Lower-cases a value's bytes.
pub fn lower(v: &Value) -> Vec<u8> {
    match v {
        Value::Str(s) => s.to_lowercase().into_bytes(),
        other => other.as_bytes().to_ascii_lowercase(),
    }
}

impl Vars for Data {
    fn get(&self, name: &str) -> Option<Value> {
        self.values
            .get(name)
            .cloned()
            .or_else(|| self.layers.iter().find_map(|l| l.get(name)))
    }

    /// Cached only when every variable the call reads is one of this data's own values
    /// (the response's parts), never a layer's (template variables differ per template).
    fn memo_get(&self, key: &MemoKey) -> Option<Value> {
        if !self.owns_all(&key.vars) {
            return None;
        }
        self.memo.lock().ok()?.get(&key.text).cloned()
    }

    fn memo_put(&self, key: &MemoKey, value: &Value) {
        if !self.owns_all(&key.vars) {
            return;
        }
        if let Ok(mut memo) = self.memo.lock() {
            if memo.len() < MEMO_CAP {
                memo.insert(key.text.clone(), value.clone());
            }
        }
    }

    fn lowered(&self, name: &str) -> Option<Value> {
        if let Ok(cache) = self.lowered_vars.lock() {
            if let Some(v) = cache.get(name) {
                return Some(v.clone());
            }
        }
        let lowered = match self.get(name)? {
            Value::Str(s) => Value::from(s.to_lowercase()),
            Value::Bytes(b) => Value::from_bytes(b.to_ascii_lowercase()),
            _ => return None,
        };
        if let Ok(mut cache) = self.lowered_vars.lock() {
            cache.insert(name.to_string(), lowered.clone());
        }
        Some(lowered)
    }
}
