//! Sensitive information in the package's code and resources, as Tencent MS reports it: per
//! file and category, the words found (`WordList`), the file (`FilePath`) and its SHA-1
//! (`FileSha`). The texts searched are the string pools of every `classes*.dex`, the string
//! pool of `resources.arsc` (every string resource), the attribute values and text of every
//! compiled `res/**.xml`, and text files under `assets/` (a NUL in the first 8 KiB means
//! binary, skipped). Vector path data (`M3.56.71.48 ...`) is not text and is passed over.
//!
//! Categories ([`Category`]): secrets, found by `vigil-detect`'s one secret detector
//! ([`Secrets::find`]) and only ever shown masked (its evidence; a URL, address or e-mail that
//! holds a found secret has it masked too, and so are passwords in URLs and the values of
//! query parameters named like credentials, `access_token=`, `key=`); `http`/`https`
//! URLs with a host (XML namespace identifiers such as `schemas.android.com` are names, not
//! endpoints, and are left out); IPv4 addresses, public ones apart from private, shared and
//! link-local ones (an intranet address in an app shows internal infrastructure or a
//! development leftover); 0.0.0.0, loopback, broadcast, multicast and the documentation
//! ranges are left out; e-mail addresses (a name ending in an image or code extension, such
//! as `icon@2x.png`, is not one). A file's secrets take the highest severity the detector
//! gave them (a cloud key with its secret is Critical, a key id alone Medium); the rest are
//! Info.
//!
//! Everything is bounded: bytes and strings read per file (and the bytes of a pool's strings
//! to twice its file's size, however its entries overlap), characters searched per string,
//! words kept per file and category, files, and findings in total ([`SensitiveLimits`]).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;
use sha1::{Digest, Sha1};
use vigil_core::spec::apk::{ApkSensitiveEvidence, KIND_SENSITIVE};
use vigil_core::{mask, Finding, Severity};
use vigil_detect::{Context, Secrets};

use crate::dex::Dex;
use crate::malware::{read_member, Member};
use crate::package::{Package, RESOURCES};
use crate::res::arsc::ResourceTable;
use crate::res::axml::{Document, Element, Node};
use crate::zip::Entry;

/// What a word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A credential or key (masked).
    Secret,
    /// An `http` or `https` URL.
    Url,
    /// A public IPv4 address.
    Ip,
    /// A private, shared (CGNAT) or link-local IPv4 address.
    PrivateIp,
    /// An e-mail address.
    Email,
}

impl Category {
    /// The name used in evidence: `secret`, `url`, `ip`, `private-ip`, `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Url => "url",
            Category::Ip => "ip",
            Category::PrivateIp => "private-ip",
            Category::Email => "email",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Category::Secret => "Secrets",
            Category::Url => "URLs",
            Category::Ip => "Public IP addresses",
            Category::PrivateIp => "Private IP addresses",
            Category::Email => "E-mail addresses",
        }
    }
}

/// Bounds on the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensitiveLimits {
    /// Largest dex, resource table or XML file read (declared size). Default 64 MiB.
    pub max_file_bytes: u64,
    /// Largest asset read; larger ones are skipped. Default 2 MiB.
    pub max_asset_bytes: u64,
    /// Most bytes read in total. Default 512 MiB.
    pub max_total_bytes: u64,
    /// Most files searched. Default 3 000.
    pub max_files: usize,
    /// Most strings (or asset lines) searched per file. Default 500 000.
    pub max_strings: usize,
    /// Characters of one string searched. Default 4 096.
    pub max_string_chars: usize,
    /// Bytes of a file's joined strings given to the secret detector. Default 4 MiB.
    pub max_secret_bytes: usize,
    /// Words kept per file and category. Default 50.
    pub max_words: usize,
    /// Most findings in total. Default 1 000.
    pub max_findings: usize,
}

impl Default for SensitiveLimits {
    fn default() -> Self {
        SensitiveLimits {
            max_file_bytes: 64 << 20,
            max_asset_bytes: 2 << 20,
            max_total_bytes: 512 << 20,
            max_files: 3_000,
            max_strings: 500_000,
            max_string_chars: 4_096,
            max_secret_bytes: 4 << 20,
            max_words: 50,
            max_findings: 1_000,
        }
    }
}

/// The words of one category in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// The words, in the order found, deduplicated, at most [`SensitiveLimits::max_words`].
    pub words: Vec<String>,
    /// Whether more were found.
    pub truncated: bool,
    /// The highest severity (secrets: the detector's; otherwise Info).
    pub severity: Severity,
}

/// What one file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHits {
    /// The file in the package.
    pub file: String,
    /// Its SHA-1.
    pub sha1: String,
    /// Words by category.
    pub found: BTreeMap<Category, Words>,
}

/// Host names of XML namespace identifiers and schema locations: names, not endpoints.
const NAMESPACE_HOSTS: &[&str] = &[
    "schemas.android.com",
    "www.w3.org",
    "xmlpull.org",
    "ns.adobe.com",
    "purl.org",
    "xml.org",
];

/// File extensions that make `name@2x.png` a file name rather than an e-mail address.
const NOT_TLDS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "xml", "json", "js", "css", "html", "htm",
    "txt", "so", "dex", "jar", "java", "kt", "class", "zip", "apk",
];

/// The URL pattern: a scheme, then characters URLs may hold.
const URL: &str = r#"(?i)\bhttps?://[^\s"'<>\\^`{|}]+"#;
/// Four dotted numbers not inside a longer dotted or alphanumeric run (version strings).
const IPV4: &str = r"(?:^|[^0-9A-Za-z.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:$|[^0-9A-Za-z.])";
/// A local part, `@`, and a domain with a letters-only top level.
const EMAIL: &str = r"(?:^|[^A-Za-z0-9._%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24})\b";

struct Patterns {
    url: Regex,
    ipv4: Regex,
    email: Regex,
}

/// A built-in pattern; the patterns are constants of this module and a test compiles them.
fn re(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("built-in pattern {pattern:?} does not compile: {e}"),
    }
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        url: re(URL),
        ipv4: re(IPV4),
        email: re(EMAIL),
    })
}

/// Most secret values of one file looked for in its other words.
const MAX_HIDDEN: usize = 128;

/// Collects the words of one file, bounded.
struct Collector<'l> {
    limits: &'l SensitiveLimits,
    found: BTreeMap<Category, Words>,
    /// Secret values found in this file, to be masked wherever they appear in other words.
    secrets: Vec<String>,
}

impl<'l> Collector<'l> {
    fn new(limits: &'l SensitiveLimits) -> Self {
        Collector {
            limits,
            found: BTreeMap::new(),
            secrets: Vec::new(),
        }
    }

    fn add(&mut self, category: Category, word: String, severity: Severity) {
        let max = self.limits.max_words;
        let w = self.found.entry(category).or_insert_with(|| Words {
            words: Vec::new(),
            truncated: false,
            severity,
        });
        w.severity = w.severity.max(severity);
        if w.words.contains(&word) {
            return;
        }
        if w.words.len() >= max {
            w.truncated = true;
            return;
        }
        w.words.push(word);
    }

    /// Secrets in `text` (the file's strings joined by newlines, or the file itself).
    fn secrets(&mut self, text: &[u8], ctx: Context<'_>) {
        let text = &text[..text.len().min(self.limits.max_secret_bytes)];
        for f in Secrets::shared().find(text, ctx) {
            for p in &f.parts {
                if let Some(v) = text.get(p.span.clone()) {
                    let v = String::from_utf8_lossy(v).into_owned();
                    if v.len() >= 4 && !self.secrets.contains(&v) && self.secrets.len() < MAX_HIDDEN
                    {
                        self.secrets.push(v);
                    }
                }
            }
            let d = f.detection;
            self.add(
                Category::Secret,
                format!("{}: {}", d.rule, d.evidence),
                d.severity,
            );
        }
    }

    /// URLs, addresses and e-mails in one string.
    fn string(&mut self, s: &str) {
        let s = match s.char_indices().nth(self.limits.max_string_chars) {
            Some((i, _)) => &s[..i],
            None => s,
        };
        if is_path_data(s) {
            return;
        }
        let p = patterns();
        let has = |b: u8| s.as_bytes().contains(&b);
        if has(b':') {
            for m in p.url.find_iter(s).take(self.limits.max_words) {
                if let Some(u) = clean_url(m.as_str()) {
                    let u = self.hide(u);
                    self.add(Category::Url, u, Severity::Info);
                }
            }
        }
        if has(b'.') {
            for c in p.ipv4.captures_iter(s).take(self.limits.max_words) {
                let Some(m) = c.get(1) else { continue };
                if let Some(cat) = m.as_str().parse::<Ipv4Addr>().ok().and_then(ip_category) {
                    self.add(cat, m.as_str().to_string(), Severity::Info);
                }
            }
        }
        if has(b'@') {
            for c in p.email.captures_iter(s).take(self.limits.max_words) {
                let Some(m) = c.get(1) else { continue };
                let e = m.as_str();
                let tld = e.rsplit('.').next().unwrap_or_default();
                if !NOT_TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld)) {
                    let e = self.hide(e.to_string());
                    self.add(Category::Email, e, Severity::Info);
                }
            }
        }
    }

    /// `word` with every secret of this file masked.
    fn hide(&self, mut word: String) -> String {
        for s in &self.secrets {
            if word.contains(s.as_str()) {
                word = word.replace(s.as_str(), &mask(s));
            }
        }
        word
    }
}

/// Whether `s` is vector path data (`M3.56.71.48 ...`: numbers run together, which would
/// read as addresses): a move command, then only numbers, separators and path commands.
fn is_path_data(s: &str) -> bool {
    let t = s.trim_start();
    let mut b = t.bytes();
    matches!(b.next(), Some(b'M' | b'm'))
        && t.len() > 1
        && b.all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b'.' | b',' | b'-' | b'+' | b' ' | b'\n' | b'\t' | b'e' | b'E'
                )
                || b"MmLlHhVvCcSsQqTtAaZz".contains(&c)
        })
}

/// The category of an address worth reporting, `None` for the ones left out.
fn ip_category(ip: Ipv4Addr) -> Option<Category> {
    let o = ip.octets();
    let documentation = matches!(o, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]);
    if ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_broadcast()
        || ip.is_multicast()
        || documentation
        || o[0] == 0
        || o[0] >= 240
    {
        return None;
    }
    let shared = o[0] == 100 && (64..128).contains(&o[1]);
    if ip.is_private() || ip.is_link_local() || shared {
        Some(Category::PrivateIp)
    } else {
        Some(Category::Ip)
    }
}

/// A URL as reported: trailing punctuation dropped, a password in it masked; `None` without a
/// host or for XML namespace hosts.
fn clean_url(raw: &str) -> Option<String> {
    let url = raw.trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?', '\'']);
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => hostport,
    };
    if host.is_empty() || !(host.contains('.') || host.eq_ignore_ascii_case("localhost")) {
        return None;
    }
    if NAMESPACE_HOSTS.iter().any(|n| host.eq_ignore_ascii_case(n)) {
        return None;
    }
    let userinfo = userinfo.map(|u| match u.split_once(':') {
        Some((user, pass)) => format!("{user}:{}@", mask(pass)),
        None => format!("{u}@"),
    });
    Some(format!(
        "{scheme}://{}{hostport}{}",
        userinfo.unwrap_or_default(),
        mask_query(tail)
    ))
}

/// Names of query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
];

/// The path, query and fragment of a URL with the values of credential parameters masked
/// (`?access_token=abcd...` is `?access_token=ab****`).
fn mask_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !v.is_empty() && is_secret_param(k) => format!("{k}={}", mask(v)),
            _ => p.to_string(),
        })
        .collect();
    let mut out = format!("{path}?{}", params.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// What kind of file a member is to this search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dex,
    Arsc,
    Xml,
    Asset,
}

fn kind_of(name: &str) -> Option<Kind> {
    if name.ends_with('/') {
        None
    } else if crate::dex::multidex_index(name).is_some() {
        Some(Kind::Dex)
    } else if name == RESOURCES {
        Some(Kind::Arsc)
    } else if name.starts_with("res/") && name.ends_with(".xml") {
        Some(Kind::Xml)
    } else if name.starts_with("assets/") {
        Some(Kind::Asset)
    } else {
        None
    }
}

/// The strings of a dex file's string pool, bounded.
fn dex_strings(data: &[u8], max: usize) -> Vec<String> {
    let Ok(dex) = Dex::parse(data) else {
        return Vec::new();
    };
    bounded(
        dex.strings().map_while(|s| s.ok()).map(|s| s.into_owned()),
        max,
        data.len().saturating_mul(2),
    )
}

/// At most `max` strings, and no more once their bytes pass `budget`: the entries of a
/// hostile pool may all point at one long string, and this keeps the work (and memory) of a
/// pool within a multiple of its file's size.
fn bounded(strings: impl Iterator<Item = String>, max: usize, budget: usize) -> Vec<String> {
    let mut used = 0usize;
    let mut out = Vec::new();
    for s in strings.take(max) {
        used = used.saturating_add(s.len().max(1));
        if used > budget {
            break;
        }
        out.push(s);
    }
    out
}

/// The strings of a resource table's value pool, bounded.
fn arsc_strings(data: &[u8], max: usize) -> Vec<String> {
    let Ok(table) = ResourceTable::parse(data) else {
        return Vec::new();
    };
    let pool = table.strings();
    bounded(
        (0..pool.len()).filter_map(|i| u32::try_from(i).ok().and_then(|i| pool.opt(i))),
        max,
        data.len().saturating_mul(2),
    )
}

/// Attribute values and text of a compiled XML file, bounded.
fn xml_strings(data: &[u8], max: usize) -> Vec<String> {
    let Ok(doc) = Document::parse(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack: Vec<&Element> = vec![&doc.root];
    // The document is bounded by the parser's node limits; the walk visits each node once.
    while let Some(e) = stack.pop() {
        if out.len() >= max {
            break;
        }
        out.extend(
            e.attributes
                .iter()
                .filter_map(|a| a.string().map(str::to_string)),
        );
        for n in &e.children {
            match n {
                Node::Element(c) => stack.push(c),
                Node::Text(t) if !t.trim().is_empty() => out.push(t.clone()),
                Node::Text(_) => {}
            }
        }
    }
    out.truncate(max);
    out
}

/// Searches the package. Members that cannot be read or parsed are skipped.
pub fn scan(package: &Package<'_>, limits: &SensitiveLimits) -> Vec<FileHits> {
    let mut members: Vec<(&Entry, Kind)> = package
        .archive
        .entries()
        .iter()
        .filter_map(|e| Some((e, kind_of(&e.name)?)))
        .collect();
    // Code, then resources, then assets.
    members.sort_by_key(|(e, k)| (*k as u8, e.index));
    let mut total = 0u64;
    let mut out = Vec::new();
    for (entry, kind) in members.into_iter().take(limits.max_files) {
        let cap = match kind {
            Kind::Asset => limits.max_asset_bytes,
            _ => limits.max_file_bytes,
        };
        let data = match read_member(package, entry, cap, &mut total, limits.max_total_bytes) {
            Member::Skip => continue,
            Member::Stop => break,
            Member::Data(d) => d,
        };
        let mut c = Collector::new(limits);
        match kind {
            Kind::Dex | Kind::Arsc | Kind::Xml => {
                let strings = match kind {
                    Kind::Dex => dex_strings(&data, limits.max_strings),
                    Kind::Arsc => arsc_strings(&data, limits.max_strings),
                    _ => xml_strings(&data, limits.max_strings),
                };
                let mut text = Vec::new();
                for s in &strings {
                    if text.len() >= limits.max_secret_bytes {
                        break;
                    }
                    text.extend_from_slice(s.as_bytes());
                    text.push(b'\n');
                }
                c.secrets(&text, Context::text());
                for s in &strings {
                    c.string(s);
                }
            }
            Kind::Asset => {
                if data[..data.len().min(8192)].contains(&0) {
                    continue;
                }
                c.secrets(&data, Context::file(&entry.name));
                let text = String::from_utf8_lossy(&data);
                for line in text.lines().take(limits.max_strings) {
                    c.string(line);
                }
            }
        }
        if !c.found.is_empty() {
            out.push(FileHits {
                file: entry.name.clone(),
                sha1: sha1_hex(&data),
                found: c.found,
            });
        }
    }
    out
}

/// Findings of sensitive information: one [`KIND_SENSITIVE`] finding per file and category,
/// at most [`SensitiveLimits::max_findings`]. `md5` and `sha256` are the package's.
pub fn findings(package: &Package<'_>, md5: &str, sha256: &str) -> Vec<Finding> {
    let limits = SensitiveLimits::default();
    let mut out = Vec::new();
    for hits in scan(package, &limits) {
        for (category, words) in &hits.found {
            if out.len() >= limits.max_findings {
                return out;
            }
            out.push(finding(&hits, *category, words, md5, sha256));
        }
    }
    out
}

/// The finding of one category in one file.
pub fn finding(
    hits: &FileHits,
    category: Category,
    words: &Words,
    md5: &str,
    sha256: &str,
) -> Finding {
    let evidence = ApkSensitiveEvidence {
        category: category.as_str().to_string(),
        file: hits.file.clone(),
        file_sha1: hits.sha1.clone(),
        words: words.words.clone(),
        truncated: words.truncated,
        md5: md5.to_string(),
        sha256: sha256.to_string(),
    };
    let description = match category {
        Category::Secret => {
            "Credentials or keys are written into the app, where anyone who \
            downloads it can read them out. Revoke them, keep secrets on a server the app \
            authenticates to, and give the app only short-lived, narrowly scoped tokens."
        }
        Category::Url => {
            "URLs the app contains: the servers it talks to. Check that each \
            is expected, uses https, and exposes nothing it should not."
        }
        Category::Ip => {
            "Public IP addresses written into the app: servers reached without \
            name resolution or TLS names. Check that each is expected and protected."
        }
        Category::PrivateIp => {
            "Private or link-local IP addresses written into the app: \
            internal infrastructure or development leftovers that should not ship."
        }
        Category::Email => {
            "E-mail addresses written into the app: contacts that may be \
            personal data or targets for phishing."
        }
    };
    Finding {
        kind: KIND_SENSITIVE.into(),
        severity: Some(words.severity),
        title: format!("{} in {}", category.plural(), hits.file),
        description: Some(description.to_string()),
        path: Some(hits.file.clone()),
        evidence: serde_json::to_value(&evidence).unwrap_or(Value::Null),
        identity: vec![
            category.as_str().to_string(),
            hits.file.clone(),
            md5.to_string(),
        ],
        sensitive: category == Category::Secret,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
