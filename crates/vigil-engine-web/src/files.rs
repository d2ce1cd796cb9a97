//! Sensitive-file probes (class `sensitive-file`): version-control metadata, environment and
//! server configuration files, backups and dumps, `phpinfo()` and Apache's status page,
//! requested at the site root and the start URL's directory (and in deep mode in up to 16
//! directories the crawl saw, shallowest first), plus backup copies of up to 5 (deep: 20)
//! server-side scripts the crawl fetched.
//!
//! A hit is decided by content, never by status alone: each file has a validator that knows
//! its format (`ref: refs/` for `.git/HEAD`, the `Bud1` magic of `.DS_Store`, `KEY=VALUE`
//! lines for `.env`, ...). A body that validates is then compared with the site's answer
//! for random names that cannot exist in the same directory (`vigil-<random>.txt` and
//! `.vigil-<random>`, and one inside the file's own sub-directory such as `.git/`): a site
//! that answers every path with the same page (a soft 404, an SPA shell) never produces a
//! hit. Secrets shown in the evidence are masked.

use crate::crawl::Page;
use crate::http::{Http, HttpError, Request, Response};
use crate::passive::decode_entities;
use crate::{catalogue, Scan};
use futures::stream::{self, StreamExt};
use rand::Rng;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use url::Url;
use vigil_detect::{mask, redact};
use vigil_engine::text::clip;
use vigil_engine::EngineError;

/// How a probed file is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.git/HEAD`: `ref: refs/...` or a commit id.
    GitHead,
    /// `.git/config`: a `[core]` section.
    GitConfig,
    /// `.svn/entries` (format 4-12, or the old XML form).
    SvnEntries,
    /// `.svn/wc.db`: an SQLite database.
    SvnWcDb,
    /// `.env`: `KEY=VALUE` lines.
    Env,
    /// `.DS_Store`: the `Bud1` magic.
    DsStore,
    /// IIS / ASP.NET `web.config`.
    WebConfig,
    /// A backup of a server-side script: its source code.
    Source,
    /// A vim swap file.
    Swap,
    /// `phpinfo()` output.
    PhpInfo,
    /// A zip archive.
    Zip,
    /// A gzip (tar.gz) archive.
    Gzip,
    /// An SQL dump.
    Sql,
    /// `.htpasswd` user:hash lines.
    Htpasswd,
    /// Apache `mod_status`.
    ServerStatus,
}

/// One file to look for, relative to a directory.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Path relative to the directory (`.git/HEAD`).
    pub rel: String,
    /// What it is, for the title.
    pub label: &'static str,
    /// Its validator.
    pub kind: Kind,
}

fn cand(rel: &str, label: &'static str, kind: Kind) -> Candidate {
    Candidate {
        rel: rel.to_string(),
        label,
        kind,
    }
}

/// Files probed in every directory (and at the root).
pub fn standard(root: bool) -> Vec<Candidate> {
    let mut v = vec![
        cand(".git/HEAD", "Git repository metadata", Kind::GitHead),
        cand(
            ".git/config",
            "Git repository configuration",
            Kind::GitConfig,
        ),
        cand(".svn/entries", "Subversion metadata", Kind::SvnEntries),
        cand(
            ".svn/wc.db",
            "Subversion working copy database",
            Kind::SvnWcDb,
        ),
        cand(".env", "Environment file", Kind::Env),
        cand(
            ".DS_Store",
            "macOS folder metadata (.DS_Store)",
            Kind::DsStore,
        ),
        cand("web.config", "IIS / ASP.NET configuration", Kind::WebConfig),
        cand("index.php.bak", "Backup of a PHP script", Kind::Source),
        cand("phpinfo.php", "phpinfo() page", Kind::PhpInfo),
        cand("backup.zip", "Backup archive", Kind::Zip),
        cand("backup.tar.gz", "Backup archive", Kind::Gzip),
        cand("backup.sql", "Database dump", Kind::Sql),
        cand(".htpasswd", "Password file (.htpasswd)", Kind::Htpasswd),
    ];
    if root {
        v.push(cand(
            "server-status",
            "Apache server status",
            Kind::ServerStatus,
        ));
    }
    v
}

/// Extensions of server-side scripts whose backups leak source code.
const SCRIPT_EXT: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "phtml", "inc", "asp", "aspx", "ascx", "asmx", "jsp",
    "jspx", "cfm", "pl", "cgi", "py", "rb", "config", "conf", "ini",
];

/// Backup names of a script `name` (last path segment): `.bak`, `.orig`, `.old`, `~` and
/// vim's `.name.swp`.
pub fn backups_of(name: &str) -> Vec<Candidate> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !ext.is_some_and(|e| SCRIPT_EXT.contains(&e.as_str())) {
        return vec![];
    }
    let mut v: Vec<Candidate> = ["bak", "orig", "old"]
        .iter()
        .map(|s| {
            cand(
                &format!("{name}.{s}"),
                "Backup of a server-side script",
                Kind::Source,
            )
        })
        .collect();
    v.push(cand(
        &format!("{name}~"),
        "Backup of a server-side script",
        Kind::Source,
    ));
    v.push(cand(
        &format!(".{name}.swp"),
        "Editor swap file of a server-side script",
        Kind::Swap,
    ));
    v
}

fn looks_html(text: &str) -> bool {
    // The first 200 bytes, whole characters only.
    let t = clip(text.trim_start(), 200);
    let l = t.to_ascii_lowercase();
    l.starts_with("<!doctype")
        || l.starts_with("<html")
        || l.contains("<body")
        || l.contains("<head")
}

/// The text that proves `body` is a file of this kind (the mark for the evidence), or
/// `None`.
pub fn validate(kind: Kind, body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    let magic = |m: &[u8]| body.starts_with(m);
    match kind {
        Kind::GitHead => (t.len() < 300
            && regex!(r"^(?:ref: refs/[^\s]+|[0-9a-f]{40})$").is_match(t))
        .then(|| t.chars().take(12).collect()),
        Kind::GitConfig => (!looks_html(t)
            && t.contains("[core]")
            && regex!(r#"(?m)^\s*(?:repositoryformatversion|filemode|bare|logallrefupdates)\s*=|\[remote ""#)
                .is_match(t))
        .then(|| "[core]".into()),
        Kind::SvnEntries => {
            if t.contains("<wc-entries") {
                return Some("<wc-entries".into());
            }
            regex!(r"^(?:[4-9]|1[0-2])\s*\n\s*\n?(?:[^\n]*\n)?dir\n")
                .is_match(t)
                .then(|| "dir".into())
        }
        Kind::SvnWcDb => magic(b"SQLite format 3\0").then(|| "SQLite format 3".into()),
        Kind::Env => {
            if looks_html(t) {
                return None;
            }
            let lines: Vec<&str> = t
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            let kv = regex!(r"^(?:export\s+)?[A-Z][A-Z0-9_]*\s*=");
            let n = lines.iter().filter(|l| kv.is_match(l)).count();
            (n >= 2 && n * 10 >= lines.len() * 8)
                .then(|| lines.iter().find(|l| kv.is_match(l)).map(|l| l.split('=').next().unwrap_or("").to_string()))
                .flatten()
        }
        Kind::DsStore => magic(b"\x00\x00\x00\x01Bud1").then(|| "Bud1".into()),
        Kind::WebConfig => {
            let head = clip(t, 100).to_ascii_lowercase();
            ((head.starts_with("<?xml") || head.starts_with("<configuration"))
                && t.contains("<configuration")
                && regex!(r"<(?:system\.web|system\.webServer|connectionStrings|appSettings)\b|</configuration>")
                    .is_match(t))
            .then(|| "<configuration".into())
        }
        Kind::Source => regex!(r"<\?php\b|<%@|<%=|<%\s|<cf(?:query|set|component)\b|^#!/usr/bin/")
            .find(t)
            .map(|m| m.as_str().trim().to_string()),
        Kind::Swap => magic(b"b0VIM ").then(|| "b0VIM".into()),
        Kind::PhpInfo => (regex!(r"PHP Version [0-9]").is_match(t)
            && (t.contains("phpinfo()") || t.contains(r#"class="e""#)))
        .then(|| "PHP Version".into()),
        Kind::Zip => ((magic(b"PK\x03\x04") || magic(b"PK\x05\x06")) && body.len() >= 22)
            .then(|| "PK".into()),
        Kind::Gzip => magic(b"\x1f\x8b\x08").then(|| "gzip".into()),
        Kind::Sql => {
            if looks_html(t) {
                return None;
            }
            regex!(r"-- (?:MySQL dump|MariaDB dump|PostgreSQL database dump|phpMyAdmin SQL Dump)")
                .find(t)
                .map(|m| m.as_str().to_string())
                .or_else(|| {
                    (regex!(r"(?i)\bCREATE TABLE\b").is_match(t)
                        && regex!(r"(?i)\bINSERT INTO\b").is_match(t))
                    .then(|| "CREATE TABLE".into())
                })
        }
        Kind::Htpasswd => {
            if looks_html(t) {
                return None;
            }
            let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            let entry =
                regex!(r"^[^:\s<>]+:(?:\$apr1\$|\$2[aby]\$|\{SHA\}|\$[156]\$|[A-Za-z0-9./]{13}$)");
            let n = lines.iter().filter(|l| entry.is_match(l)).count();
            (n >= 1 && n * 2 >= lines.len())
                .then(|| lines.iter().find(|l| entry.is_match(l)).map(|l| l.split(':').next().unwrap_or("").to_string()))
                .flatten()
        }
        Kind::ServerStatus => {
            let d = decode_entities(t);
            (d.contains("Apache Server Status for")
                && (d.contains("Server uptime")
                    || d.contains("requests currently being processed")
                    || d.contains("Scoreboard Key")))
            .then(|| "Apache Server Status".into())
        }
    }
}

fn words(s: &str) -> BTreeSet<&str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `a` (for `a_path`) is the same page as `b` (for `b_path`): the same bytes, or,
/// once each page's own path is removed (soft-404 pages often repeat it), nearly the same
/// words and length.
pub fn same_page(a: &Response, a_path: &str, b: &Response, b_path: &str) -> bool {
    if a.body == b.body {
        return true;
    }
    if a.body.is_empty() || b.body.is_empty() {
        return false;
    }
    let strip = |r: &Response, p: &str| {
        let mut t = r.text();
        let name = p.rsplit('/').next().unwrap_or(p);
        for s in [p, name] {
            if !s.is_empty() {
                t = t.replace(s, "");
            }
        }
        t
    };
    let (ta, tb) = (strip(a, a_path), strip(b, b_path));
    if ta == tb {
        return true;
    }
    let (la, lb) = (ta.len() as f64, tb.len() as f64);
    if la.min(lb) / la.max(lb).max(1.0) < 0.8 {
        return false;
    }
    let (wa, wb) = (words(&ta), words(&tb));
    let inter = wa.intersection(&wb).count() as f64;
    let union = wa.union(&wb).count().max(1) as f64;
    inter / union >= 0.85
}

/// Mask what a sensitive file's evidence would show: known secrets, credential-looking
/// assignments and URL passwords ([`vigil_detect::redact`]), and, in source code, every longer
/// string literal and, in `.htpasswd` files, every hash ([`vigil_detect::mask`]).
pub fn masked_file_text(kind: Kind, text: &str) -> String {
    let out = redact(text).into_owned();
    match kind {
        Kind::Source => regex!(r#"'([^'\n]{7,200})'|"([^"\n]{7,200})""#)
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let (q, v) = match (c.get(1), c.get(2)) {
                    (Some(v), _) => ('\'', v.as_str()),
                    (_, Some(v)) => ('"', v.as_str()),
                    _ => return c[0].to_string(),
                };
                format!("{q}{}{q}", mask(v))
            })
            .into_owned(),
        Kind::Htpasswd => regex!(r"(?m)^([^:\s]+):(\S+)$")
            .replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{}:{}", &c[1], mask(&c[2]))
            })
            .into_owned(),
        _ => out,
    }
}

fn binary(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::DsStore | Kind::SvnWcDb | Kind::Zip | Kind::Gzip | Kind::Swap
    )
}

/// The response as evidence shows it: text masked; binary files as their size and first
/// bytes.
pub(crate) fn shown(kind: Kind, resp: &Response) -> Response {
    let mut r = resp.clone();
    r.body = if binary(kind) {
        let head: Vec<String> = resp
            .body
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "[binary, {} bytes; first bytes: {}]",
            resp.body.len(),
            head.join(" ")
        )
        .into_bytes()
    } else {
        masked_file_text(kind, &resp.text()).into_bytes()
    };
    r
}

fn token() -> String {
    let mut r = rand::thread_rng();
    (0..10)
        .map(|_| (b'a' + r.gen_range(0..26)) as char)
        .collect()
}

async fn fetch(http: &Http, url: &Url) -> Result<Option<Response>, EngineError> {
    match http.send(&Request::get(url.clone())).await {
        Ok(r) => Ok(Some(r)),
        Err(HttpError::Cancelled) => Err(EngineError::Cancelled),
        Err(e) => {
            tracing::debug!(url = %url, error = %e, "file probe failed");
            Ok(None)
        }
    }
}

/// Answers for names that cannot exist, per directory path.
struct Baselines<'a> {
    http: &'a Http,
    token: String,
    by_dir: HashMap<String, Vec<(String, Response)>>,
}

impl Baselines<'_> {
    /// The soft-404 answers of `dir` (a URL ending in `/`), fetched once.
    async fn of(&mut self, dir: &Url) -> Result<&[(String, Response)], EngineError> {
        let key = dir.path().to_string();
        if !self.by_dir.contains_key(&key) {
            let mut got = Vec::new();
            for name in [
                format!("vigil-{}.txt", self.token),
                format!(".vigil-{}", self.token),
            ] {
                if let Ok(u) = dir.join(&name) {
                    if let Some(r) = fetch(self.http, &u).await? {
                        got.push((u.path().to_string(), r));
                    }
                }
            }
            self.by_dir.insert(key.clone(), got);
        }
        Ok(self.by_dir.get(&key).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// The directory URL (ending in `/`) a page's path is in.
fn dir_of(u: &Url) -> Option<Url> {
    let mut d = u.clone();
    d.set_query(None);
    d.set_fragment(None);
    let path = d.path();
    let cut = path.rfind('/')?;
    let p = path[..=cut].to_string();
    d.set_path(&p);
    Some(d)
}

/// Probe for sensitive files next to the fetched pages.
pub async fn check(scan: &Scan<'_>, pages: &[Page]) -> Result<(), EngineError> {
    if !scan.enabled("sensitive-file") {
        return Ok(());
    }
    let root = crate::passive::site_root(scan.http.origin());
    let crawled: HashMap<String, &Page> = pages
        .iter()
        .filter(|p| p.request.method == "GET")
        .map(|p| (p.request.url.path().to_string(), p))
        .collect();

    // Directory URL -> candidates.
    let mut plan: Vec<(Url, Vec<Candidate>)> = vec![(root.clone(), standard(true))];
    // A site started below the root (an application under `/shop/`) keeps its files there.
    if let Some(start) = dir_of(scan.http.origin()).filter(|d| d.path() != "/") {
        plan.push((start, standard(false)));
    }
    if scan.deep {
        let mut dirs: Vec<Url> = pages
            .iter()
            .filter(|p| p.response.status < 400)
            .filter_map(|p| dir_of(&p.request.url))
            .filter(|d| d.path() != "/" && scan.http.in_scope(d))
            .collect();
        dirs.sort_by(|a, b| {
            let depth = |u: &Url| u.path().matches('/').count();
            (depth(a), a.path()).cmp(&(depth(b), b.path()))
        });
        dirs.dedup();
        for d in dirs.into_iter().take(16) {
            if !plan.iter().any(|(p, _)| *p == d) {
                plan.push((d, standard(false)));
            }
        }
    }
    // Backups of the server-side scripts the crawl fetched.
    let mut scripts: Vec<&Url> = pages
        .iter()
        .filter(|p| p.response.status < 400)
        .map(|p| &p.request.url)
        .filter(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back())
                .is_some_and(|n| !backups_of(n).is_empty())
        })
        .collect();
    scripts.sort_by_key(|u| u.path().to_string());
    scripts.dedup_by_key(|u| u.path().to_string());
    for u in scripts.into_iter().take(if scan.deep { 20 } else { 5 }) {
        let (Some(dir), Some(name)) =
            (dir_of(u), u.path_segments().and_then(|mut s| s.next_back()))
        else {
            continue;
        };
        let extra: Vec<Candidate> = backups_of(name)
            .into_iter()
            .filter(|c| !(dir.path() == "/" && c.rel == "index.php.bak"))
            .collect();
        match plan.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, list)) => {
                for c in extra {
                    if !list.iter().any(|x| x.rel == c.rel) {
                        list.push(c);
                    }
                }
            }
            None => plan.push((dir, extra)),
        }
    }

    let mut base = Baselines {
        http: scan.http,
        token: token(),
        by_dir: HashMap::new(),
    };
    for (dir, list) in plan {
        // The directory's soft-404 answers come first.
        base.of(&dir).await?;
        let urls: Vec<(Candidate, Url)> = list
            .into_iter()
            .filter_map(|c| dir.join(&c.rel).ok().map(|u| (c, u)))
            .filter(|(_, u)| scan.http.in_scope(u))
            .collect();
        let answers: Vec<_> = stream::iter(urls.into_iter().map(|(c, u)| {
            let reuse = crawled.get(u.path()).map(|p| p.response.clone());
            async move {
                let r = match reuse {
                    Some(r) => Ok(Some(r)),
                    None => fetch(scan.http, &u).await,
                };
                (c, u, r)
            }
        }))
        .buffered(6)
        .collect()
        .await;
        for (c, u, r) in answers {
            scan.looked("sensitive-file", "GET", &u, None);
            let Some(resp) = r? else { continue };
            if !(200..300).contains(&resp.status) {
                continue;
            }
            let Some(mark) = validate(c.kind, &resp.body) else {
                continue;
            };
            // Not a hit if the directory (or the file's own sub-directory) answers any name
            // with the same page.
            let mut soft = false;
            let own_dir = dir_of(&u).unwrap_or_else(|| dir.clone());
            for d in [&dir, &own_dir] {
                if base
                    .of(d)
                    .await?
                    .iter()
                    .any(|(p, b)| same_page(&resp, u.path(), b, p))
                {
                    soft = true;
                    break;
                }
            }
            if soft {
                tracing::debug!(url = %u, "sensitive-file candidate equals the soft-404 page");
                continue;
            }
            let req = Request::get(u.clone());
            let show = shown(c.kind, &resp);
            let mark = if binary(c.kind) {
                None
            } else {
                Some(redact(&mark).into_owned())
            };
            let mut ev = scan.evidence(&req, &show, mark.as_deref());
            if let serde_json::Value::Object(e) = &mut ev {
                e.insert("file".into(), json!(u.path()));
                e.insert("validated_by".into(), json!(format!("{:?}", c.kind)));
                e.insert("size".into(), json!(resp.body.len()));
            }
            scan.report(catalogue::finding(
                "sensitive-file",
                "GET",
                &u,
                None,
                &format!("{} at {}", c.label, u.path()),
                ev,
            ))
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(status: u16, body: &[u8]) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.to_vec(),
            ..Default::default()
        }
    }

    const SPA: &str = "<!DOCTYPE html>\n<html><head><title>Web app</title></head><body><div id=\"root\">Loading...</div></body></html>";

    #[test]
    fn validators_accept_the_real_files() {
        let ok: &[(Kind, &[u8])] = &[
            (Kind::GitHead, b"ref: refs/heads/main\n"),
            (Kind::GitHead, b"3f786850e387550fdab836ed7e6dc881de23001b\n"),
            (
                Kind::GitConfig,
                b"[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
            ),
            (
                Kind::SvnEntries,
                b"10\n\ndir\n1842\nhttps://svn.example/x\n",
            ),
            (
                Kind::SvnEntries,
                b"<?xml version=\"1.0\"?>\n<wc-entries xmlns=\"svn:\">",
            ),
            (Kind::SvnWcDb, b"SQLite format 3\0rest"),
            (Kind::Env, b"APP_ENV=production\n# c\nDB_PASSWORD=x\n"),
            (Kind::DsStore, b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00"),
            (
                Kind::WebConfig,
                b"<?xml version=\"1.0\"?>\n<configuration>\n<connectionStrings/>\n</configuration>",
            ),
            (Kind::Source, b"<?php\n$db = new mysqli('db', 'u', 'p');\n"),
            (Kind::Source, b"<%@ Page Language=\"C#\" %>"),
            (Kind::Swap, b"b0VIM 8.2\x00\x00"),
            (
                Kind::PhpInfo,
                b"<title>PHP 7.4.3 - phpinfo()</title><h1 class=\"p\">PHP Version 7.4.3</h1>",
            ),
            (
                Kind::Zip,
                b"PK\x03\x04\x14\x00\x00\x00\x08\x00aaaaaaaaaaaaaaaaaaaa",
            ),
            (Kind::Gzip, b"\x1f\x8b\x08\x00\x00\x00"),
            (
                Kind::Sql,
                b"-- MySQL dump 10.13\nCREATE TABLE `u` (id int);",
            ),
            (
                Kind::Sql,
                b"CREATE TABLE u (id int);\nINSERT INTO u VALUES (1);",
            ),
            (Kind::Htpasswd, b"admin:$apr1$abc$0123456789abcdefghijkl\n"),
            (
                Kind::ServerStatus,
                b"<h1>Apache Server Status for shop</h1><dl><dt>Server uptime: 2 days</dt>",
            ),
        ];
        for (k, body) in ok {
            assert!(
                validate(*k, body).is_some(),
                "{k:?} {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn validators_refuse_lookalikes() {
        // Soft-404 pages, SPA shells and prose that mention the file.
        let no: &[(Kind, &[u8])] = &[
            (Kind::GitHead, SPA.as_bytes()),
            (Kind::GitHead, b"<p>Your HEAD is ref: refs/heads/main</p>"),
            (
                Kind::GitConfig,
                b"<html><body>Set [core] options with repositoryformatversion = 0</body></html>",
            ),
            (Kind::SvnEntries, b"12\n"),
            (Kind::Env, SPA.as_bytes()),
            (Kind::Env, b"Welcome!\nNothing to see here.\nA=1"),
            (Kind::DsStore, b"Bud1"),
            (
                Kind::WebConfig,
                b"<html><body>Edit your <configuration> in web.config</body></html>",
            ),
            (Kind::Source, SPA.as_bytes()),
            (Kind::PhpInfo, b"<p>We run PHP Version 8 in production.</p>"),
            (Kind::Zip, b"<html>PK</html>"),
            (
                Kind::Sql,
                b"<html><body>CREATE TABLE and INSERT INTO tutorial</body></html>",
            ),
            (Kind::Htpasswd, b"<html><body>user:password</body></html>"),
            (Kind::Htpasswd, b"Not found\nuser: nobody here\n"),
            (
                Kind::ServerStatus,
                b"<p>Apache Server Status for our users: all good</p>",
            ),
        ];
        for (k, body) in no {
            assert!(
                validate(*k, body).is_none(),
                "{k:?} {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn soft_404_pages_are_the_same_page() {
        let a = r(200, SPA.as_bytes());
        assert!(same_page(
            &a,
            "/app/.env",
            &r(200, SPA.as_bytes()),
            "/app/vigil-x.txt"
        ));
        // A page that repeats the requested path.
        let echo = |p: &str| {
            r(
                404,
                format!("<h1>Not found</h1><p>{p} does not exist.</p>").as_bytes(),
            )
        };
        assert!(same_page(
            &echo("/.env"),
            "/.env",
            &echo("/vigil-abc.txt"),
            "/vigil-abc.txt"
        ));
        // The real file is not the error page.
        let env = r(200, b"APP_ENV=production\nDB_PASSWORD=x\n");
        assert!(!same_page(
            &env,
            "/.env",
            &echo("/vigil-abc.txt"),
            "/vigil-abc.txt"
        ));
        assert!(!same_page(&env, "/.env", &a, "/vigil-abc.txt"));
    }

    #[test]
    fn backups_only_of_scripts() {
        let names: Vec<String> = backups_of("index.php").into_iter().map(|c| c.rel).collect();
        assert_eq!(
            names,
            vec![
                "index.php.bak",
                "index.php.orig",
                "index.php.old",
                "index.php~",
                ".index.php.swp"
            ]
        );
        assert!(backups_of("about").is_empty());
        assert!(backups_of("style.css").is_empty());
    }

    #[test]
    fn evidence_is_masked() {
        let env =
            "APP_KEY=base64:dmlnaWwtZml4dHVyZS1hcHAta2V5LTAwMDE=\nDB_PASSWORD=Sup3rS3cretDbPass!\n";
        let m = masked_file_text(Kind::Env, env);
        assert!(
            !m.contains("Sup3rS3cretDbPass!")
                && !m.contains("dmlnaWwtZml4dHVyZS1hcHAta2V5LTAwMDE="),
            "{m}"
        );
        assert!(m.contains("DB_PASSWORD=Sup3"), "{m}");
        let php = "<?php\n$db = new mysqli('db', 'shop', 'Sup3rS3cretDbPass!', 'shop');\n";
        let m = masked_file_text(Kind::Source, php);
        assert!(
            !m.contains("Sup3rS3cretDbPass!") && m.contains("'shop'"),
            "{m}"
        );
        let wc = r#"<add connectionString="Server=db;User Id=shop;Password=Sup3rS3cretDbPass!" />"#;
        assert!(!masked_file_text(Kind::WebConfig, wc).contains("Sup3rS3cretDbPass!"));
        let ht = masked_file_text(Kind::Htpasswd, "admin:$apr1$abc$0123456789abcdefghijkl");
        assert!(
            ht.starts_with("admin:$apr") && !ht.contains("0123456789abcdef"),
            "{ht}"
        );
        let bin = shown(Kind::Zip, &r(200, b"PK\x03\x04secret-ish bytes"));
        assert!(
            bin.text().starts_with("[binary, 20 bytes"),
            "{}",
            bin.text()
        );
    }

    #[test]
    fn directories() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            dir_of(&u("http://h/a/b?x=1")).unwrap().as_str(),
            "http://h/a/"
        );
        assert_eq!(
            dir_of(&u("http://h/app/")).unwrap().as_str(),
            "http://h/app/"
        );
        assert_eq!(dir_of(&u("http://h/")).unwrap().as_str(), "http://h/");
    }
}
