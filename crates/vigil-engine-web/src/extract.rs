//! What a page leads to: links, forms and scripts of HTML (parsed by html5ever, as browsers
//! parse it), URLs and API calls in JavaScript (`fetch(...)` with its method and JSON or XML
//! body, string literals that look like paths), URLs in JSON, `robots.txt` and
//! `sitemap.xml`. Only URLs are produced here; the crawler decides what is in scope.

use regex::Regex;
use scraper::{Html, Selector};
use serde_json::Value;
use std::sync::OnceLock;
use url::Url;

/// A form as a browser would submit it.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Where it is submitted.
    pub action: Url,
    /// `GET` or `POST`.
    pub method: String,
    /// Field names with their default (or a sample) value.
    pub fields: Vec<(String, String)>,
    /// It has a password field.
    pub has_password: bool,
}

/// An API call found in JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptCall {
    /// Path or URL as written.
    pub url: Url,
    /// Method (`GET` unless the call says otherwise).
    pub method: String,
    /// JSON body keys (`JSON.stringify({a: .., b: ..})`).
    pub json_keys: Vec<String>,
    /// An XML body template, with the script's variables replaced by a sample value.
    pub xml: Option<String>,
}

/// Everything an HTML page leads to.
#[derive(Debug, Clone, Default)]
pub struct PageLinks {
    /// `a`, `area`, `link`, `iframe`, `frame` targets and meta refresh.
    pub links: Vec<Url>,
    /// Forms.
    pub forms: Vec<Form>,
    /// External scripts.
    pub scripts: Vec<Url>,
    /// Calls and paths found in inline scripts.
    pub calls: Vec<ScriptCall>,
    /// `<script src>` and other loads over plain http from an https page are judged by the
    /// passive checks; here only their URLs.
    pub subresources: Vec<String>,
}

fn sel(s: &'static str) -> Selector {
    // The selectors are constant and valid.
    Selector::parse(s).unwrap_or_else(|_| unreachable!("selector {s}"))
}

/// Sample value for a form field without a default.
fn sample(name: &str, ty: &str) -> String {
    let n = name.to_ascii_lowercase();
    match ty {
        "email" => "vigil@example.com".into(),
        "number" | "range" => "1".into(),
        "url" => "http://example.com/".into(),
        "tel" => "5550100".into(),
        "date" => "2026-01-01".into(),
        _ if n.contains("mail") => "vigil@example.com".into(),
        _ if n.contains("id") || n.contains("page") || n.contains("num") => "1".into(),
        _ => "vigil".into(),
    }
}

/// Links, forms and scripts of an HTML page at `base`.
pub fn html(base: &Url, body: &str) -> PageLinks {
    let doc = Html::parse_document(body);
    let base = doc
        .select(&sel("base[href]"))
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| base.join(h).ok())
        .unwrap_or_else(|| base.clone());
    let mut out = PageLinks::default();
    let join = |raw: &str| -> Option<Url> {
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            return None;
        }
        let lower = raw.to_ascii_lowercase();
        if ["javascript:", "mailto:", "tel:", "data:"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return None;
        }
        let mut u = base.join(raw).ok()?;
        u.set_fragment(None);
        Some(u)
    };
    for (s, attr) in [
        ("a[href]", "href"),
        ("area[href]", "href"),
        ("link[href]", "href"),
        ("iframe[src]", "src"),
        ("frame[src]", "src"),
    ] {
        for e in doc.select(&sel(s)) {
            if let Some(u) = e.value().attr(attr).and_then(join) {
                out.links.push(u);
            }
        }
    }
    for e in doc.select(&sel("meta[http-equiv]")) {
        let v = e.value();
        if v.attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
        {
            if let Some(target) = v
                .attr("content")
                .and_then(|c| c.split_once('='))
                .map(|(_, u)| u.trim_matches(|c| c == '\'' || c == '"' || c == ' '))
                .and_then(join)
            {
                out.links.push(target);
            }
        }
    }
    for e in doc.select(&sel("script")) {
        match e.value().attr("src") {
            Some(src) => {
                out.subresources.push(src.to_string());
                if let Some(u) = join(src) {
                    out.scripts.push(u);
                }
            }
            None => {
                let code: String = e.text().collect();
                out.calls.extend(script_calls(&base, &code));
            }
        }
    }
    for e in doc.select(&sel(
        "img[src], iframe[src], link[href], embed[src], video[src], audio[src], source[src]",
    )) {
        let v = e.value();
        if let Some(s) = v.attr("src").or_else(|| v.attr("href")) {
            out.subresources.push(s.to_string());
        }
    }
    let field_sel = sel("input[name], textarea[name], select[name], button[name]");
    let option_sel = sel("option");
    for f in doc.select(&sel("form")) {
        let v = f.value();
        let action = match v.attr("action").map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => match join(a) {
                Some(u) => u,
                None => continue,
            },
            None => base.clone(),
        };
        let method = v
            .attr("method")
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| m == "POST")
            .unwrap_or_else(|| "GET".into());
        let mut fields = Vec::new();
        let mut has_password = false;
        for i in f.select(&field_sel) {
            let iv = i.value();
            let Some(name) = iv.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            let ty = iv.attr("type").unwrap_or("text").to_ascii_lowercase();
            if ty == "password" {
                has_password = true;
            }
            if matches!(ty.as_str(), "submit" | "reset" | "image" | "file") && iv.name() == "input"
            {
                continue;
            }
            if (ty == "checkbox" || ty == "radio") && fields.iter().any(|(n, _)| n == name) {
                continue;
            }
            let value = match iv.name() {
                "textarea" => i.text().collect::<String>(),
                "select" => i
                    .select(&option_sel)
                    .next()
                    .map(|o| {
                        o.value()
                            .attr("value")
                            .map(str::to_string)
                            .unwrap_or_else(|| o.text().collect())
                    })
                    .unwrap_or_default(),
                _ => iv.attr("value").unwrap_or("").to_string(),
            };
            let value = if value.is_empty() && ty != "hidden" {
                sample(name, &ty)
            } else {
                value
            };
            fields.push((name.to_string(), value));
        }
        out.forms.push(Form {
            action,
            method,
            fields,
            has_password,
        });
    }
    out
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are constant and valid.
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("{e}")))
}

/// Extensions of files that lead nowhere (images, fonts, media, archives, styles).
pub fn is_static(u: &Url) -> bool {
    let p = u.path().to_ascii_lowercase();
    [
        ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".bmp", ".woff", ".woff2",
        ".ttf", ".eot", ".otf", ".mp4", ".mp3", ".webm", ".avi", ".pdf", ".zip", ".gz", ".tar",
        ".css", ".map",
    ]
    .iter()
    .any(|e| p.ends_with(e))
}

/// API calls and path literals in JavaScript source. A call's method and body are read from
/// the function it appears in: `method: 'POST'`, `JSON.stringify({a: .., b: ..})`, an XML
/// body built from string pieces.
pub fn script_calls(base: &Url, code: &str) -> Vec<ScriptCall> {
    static PATH: OnceLock<Regex> = OnceLock::new();
    static METHOD: OnceLock<Regex> = OnceLock::new();
    static JSON_KEYS: OnceLock<Regex> = OnceLock::new();
    static KEY: OnceLock<Regex> = OnceLock::new();
    static XML: OnceLock<Regex> = OnceLock::new();
    static CONCAT: OnceLock<Regex> = OnceLock::new();
    let path = re(
        &PATH,
        r#"["'`]((?:https?://[A-Za-z0-9.\-:\[\]]+)?/[A-Za-z0-9_\-./%~]*(?:\?[A-Za-z0-9_\-.%=&]*)?)["'`]"#,
    );
    let method = re(&METHOD, r#"method\s*:\s*["'](POST|PUT|PATCH|DELETE)["']"#);
    let json_keys = re(&JSON_KEYS, r#"JSON\.stringify\(\s*\{([^}]*)\}"#);
    let key = re(&KEY, r#"["']?([A-Za-z_$][A-Za-z0-9_$]*)["']?\s*:"#);
    let xml = re(&XML, r#"["'](<\?xml[^"']*|<[A-Za-z][^"']*)["']"#);
    let concat = re(
        &CONCAT,
        r#"["']\s*\+\s*[A-Za-z_$][A-Za-z0-9_$.]*\s*\+\s*["']"#,
    );
    // Functions as units: a call's details are looked for in the innermost function around
    // its URL; outside functions, in its statement.
    let spans = function_spans(code);
    let unit_of = |at: usize| -> &str {
        match spans
            .iter()
            .filter(|(s, e)| *s <= at && at < *e)
            .min_by_key(|(s, e)| e - s)
        {
            Some((s, e)) => &code[*s..*e],
            None => {
                let start = code[..at]
                    .rfind([';', '\n', '}'])
                    .map(|i| i + 1)
                    .unwrap_or(0);
                let end = code[at..]
                    .find([';', '\n'])
                    .map(|i| at + i)
                    .unwrap_or(code.len());
                &code[start..end]
            }
        }
    };
    let mut out: Vec<ScriptCall> = Vec::new();
    for m in path.captures_iter(code) {
        let (Some(whole), Some(raw)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let raw = raw.as_str();
        if raw == "/" || raw.starts_with("//") || raw.contains("/*") {
            continue;
        }
        // `'/api/products?page=' + page`: the literal ends with `=`; keep the parameter.
        let mut url = match base.join(raw) {
            Ok(u) => u,
            Err(_) => continue,
        };
        url.set_fragment(None);
        if let Some(q) = url.query().map(str::to_string) {
            let filled: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, "")) => format!("{k}=1"),
                    _ => kv.to_string(),
                })
                .collect();
            url.set_query(Some(&filled.join("&")));
        }
        let unit = unit_of(whole.start());
        let m_method = method
            .captures(unit)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string());
        let keys: Vec<String> = json_keys
            .captures(unit)
            .and_then(|c| c.get(1))
            .map(|inner| {
                key.captures_iter(inner.as_str())
                    .filter_map(|k| k.get(1).map(|k| k.as_str().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let xml_body = (unit.contains("application/xml") || unit.contains("text/xml"))
            .then(|| {
                let pieces: Vec<&str> = xml
                    .captures_iter(unit)
                    .filter_map(|c| c.get(0))
                    .map(|m| m.as_str())
                    .collect();
                let start = pieces.first()?;
                // The body expression runs from its first XML literal to the end of the
                // statement: literals joined, variables replaced by a sample.
                let from = unit.find(start)?;
                let stmt = &unit[from..];
                let stmt = &stmt[..stmt.find(';').unwrap_or(stmt.len())];
                let joined = concat.replace_all(stmt, "vigil");
                Some(
                    joined
                        .trim()
                        .trim_matches(|c| c == '\'' || c == '"')
                        .to_string(),
                )
            })
            .flatten();
        let call = ScriptCall {
            url,
            method: if m_method.is_some() && (!keys.is_empty() || xml_body.is_some()) {
                m_method.unwrap_or_else(|| "GET".into())
            } else {
                "GET".into()
            },
            json_keys: keys,
            xml: xml_body,
        };
        let call = if call.method == "GET" {
            ScriptCall {
                json_keys: vec![],
                xml: None,
                ..call
            }
        } else {
            call
        };
        if !out.contains(&call) {
            out.push(call);
        }
    }
    out
}

/// Byte spans of the functions in JavaScript source (`function` to its matching brace),
/// skipping braces inside strings; bounded.
fn function_spans(code: &str) -> Vec<(usize, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    for (start, _) in code.match_indices("function").take(2000) {
        let Some(open) = code[start..].find('{').map(|i| start + i) else {
            continue;
        };
        let (mut depth, mut i, mut quote) = (0usize, open, None::<u8>);
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(_) if c == b'\\' => i += 1,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'\'' || c == b'"' || c == b'`' => quote = Some(c),
                None if c == b'{' => depth += 1,
                None if c == b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                None => {}
            }
            i += 1;
        }
        out.push((start, (i + 1).min(code.len())));
    }
    out
}

/// Same-site paths and URLs among the string values of a JSON document (bounded walk).
pub fn json_urls(base: &Url, v: &Value) -> Vec<Url> {
    let mut out = Vec::new();
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 32 || out.len() > 500 {
            break;
        }
        match v {
            Value::String(s) if s.starts_with('/') && !s.starts_with("//") => {
                if let Ok(mut u) = base.join(s) {
                    u.set_fragment(None);
                    out.push(u);
                }
            }
            Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
                if let Ok(u) = Url::parse(s) {
                    out.push(u);
                }
            }
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, depth + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, depth + 1))),
            _ => {}
        }
    }
    out
}

/// `Disallow`/`Allow` paths (as seeds: they exist) and `Sitemap` URLs of a robots.txt.
pub fn robots(base: &Url, text: &str) -> (Vec<Url>, Vec<Url>) {
    let (mut paths, mut maps) = (Vec::new(), Vec::new());
    for line in text.lines().take(2000) {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "disallow" | "allow" if v.starts_with('/') && !v.contains('*') && !v.contains('$') => {
                if let Ok(u) = base.join(v) {
                    paths.push(u);
                }
            }
            "sitemap" => {
                if let Ok(u) = base.join(v) {
                    maps.push(u);
                }
            }
            _ => {}
        }
    }
    (paths, maps)
}

/// `<loc>` URLs of a sitemap (or sitemap index).
pub fn sitemap(base: &Url, text: &str) -> Vec<Url> {
    static LOC: OnceLock<Regex> = OnceLock::new();
    re(&LOC, r"<loc>\s*([^<\s]+)\s*</loc>")
        .captures_iter(text)
        .take(5000)
        .filter_map(|c| c.get(1))
        .filter_map(|m| base.join(&m.as_str().replace("&amp;", "&")).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://shop.test/dir/page").unwrap()
    }

    #[test]
    fn links_forms_and_scripts() {
        let page = r##"<html><head><script src="/static/app.js"></script>
          <meta http-equiv="refresh" content="5; url=/later"></head><body>
          <a href="about">a</a><a href="http://shop.test/products#x">b</a>
          <a href="javascript:void(0)">c</a><a href="mailto:x@y">d</a><a href="#top">e</a>
          <form action="/search"><input name="q"><input type="submit" name="go" value="Go"></form>
          <form method="post"><input name="user" value="bob"><input type="password" name="pw">
            <select name="size"><option value="L">Large</option></select><textarea name="t">hi</textarea>
            <input type="hidden" name="csrf" value=""></form>
          <script>var u = '/inline-only/stats'; fetch('/api/x?page=' + n);</script>
          </body></html>"##;
        let l = html(&base(), page);
        let links: Vec<&str> = l.links.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            links,
            [
                "http://shop.test/dir/about",
                "http://shop.test/products",
                "http://shop.test/later"
            ]
        );
        assert_eq!(l.scripts[0].as_str(), "http://shop.test/static/app.js");
        assert_eq!(l.forms.len(), 2);
        assert_eq!(l.forms[0].method, "GET");
        assert_eq!(l.forms[0].fields, vec![("q".into(), "vigil".into())]);
        let f = &l.forms[1];
        assert_eq!(
            (f.method.as_str(), f.action.as_str()),
            ("POST", "http://shop.test/dir/page")
        );
        assert!(f.has_password);
        assert_eq!(
            f.fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["user", "pw", "size", "t", "csrf"]
        );
        assert_eq!(f.fields[2].1, "L");
        let calls: Vec<&str> = l.calls.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            calls,
            [
                "http://shop.test/inline-only/stats",
                "http://shop.test/api/x?page=1"
            ]
        );
    }

    #[test]
    fn api_calls_in_javascript() {
        let js = r#"
function load(page) { return fetch('/api/products?page=' + (page || 1)); }
function search(name, safe) {
  var url = safe ? '/api/search-safe' : '/api/search';
  return fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                     body: JSON.stringify({name: name, "limit": 5})});
}
function sendOrder(safe) {
  var body = '<?xml version="1.0"?><order><name>' + name + '</name></order>';
  fetch(safe ? '/xml/parse-safe' : '/xml/parse', {method: 'POST', headers: {'Content-Type': 'application/xml'}, body: body});
}
var reportUrl = '/js-only/report';
"#;
        let calls = script_calls(&base(), js);
        let find = |p: &str| calls.iter().find(|c| c.url.path() == p).unwrap();
        assert_eq!(find("/api/products").method, "GET");
        assert_eq!(find("/api/products").url.query(), Some("page=1"));
        let s = find("/api/search");
        assert_eq!(
            (s.method.as_str(), s.json_keys.clone()),
            ("POST", vec!["name".to_string(), "limit".into()])
        );
        assert_eq!(find("/api/search-safe").method, "POST");
        let x = find("/xml/parse");
        assert_eq!(x.method, "POST");
        assert_eq!(
            x.xml.as_deref(),
            Some(r#"<?xml version="1.0"?><order><name>vigil</name></order>"#)
        );
        assert_eq!(find("/js-only/report").method, "GET");
    }

    #[test]
    fn robots_sitemaps_and_json() {
        let (paths, maps) = robots(
            &base(),
            "User-agent: *\nDisallow: /hidden/\nDisallow: /*.php$\nSitemap: http://shop.test/sitemap.xml\n",
        );
        assert_eq!(paths[0].as_str(), "http://shop.test/hidden/");
        assert_eq!(paths.len(), 1);
        assert_eq!(maps[0].as_str(), "http://shop.test/sitemap.xml");
        let locs = sitemap(
            &base(),
            "<urlset><url><loc>http://shop.test/a?x=1&amp;y=2</loc></url></urlset>",
        );
        assert_eq!(locs[0].as_str(), "http://shop.test/a?x=1&y=2");
        let v: Value = serde_json::json!({"items": [{"url": "/items/1"}], "next": "/api?page=2", "n": 3, "ext": "https://other.test/x"});
        let mut urls: Vec<String> = json_urls(&base(), &v)
            .iter()
            .map(|u| u.to_string())
            .collect();
        urls.sort();
        assert_eq!(
            urls,
            [
                "http://shop.test/api?page=2",
                "http://shop.test/items/1",
                "https://other.test/x"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn extractors_never_panic(s in ".{0,400}") {
            let _ = html(&base(), &s);
            let _ = script_calls(&base(), &s);
            let _ = robots(&base(), &s);
            let _ = sitemap(&base(), &s);
        }
    }
}
