//! Endpoints (a method, a URL and a body shape) and their injection points: query and form
//! fields, JSON keys, an XML body, numeric or id-like path segments, and in deep mode cookies
//! and selected headers. An endpoint's key ignores parameter values, so `/product?id=1` and
//! `/product?id=2` are one endpoint.

use crate::http::{Body, Request};
use serde_json::Value;
use url::Url;

/// Where a value goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loc {
    /// URL query parameter.
    Query,
    /// Form field of the body.
    Form,
    /// Top-level key of a JSON body.
    Json,
    /// The whole XML body (the value is the document).
    Xml,
    /// Path segment, by index among the path's segments.
    Path(usize),
    /// Cookie.
    Cookie,
    /// Request header.
    Header,
}

impl Loc {
    /// Name used in findings and reports.
    pub fn label(&self) -> &'static str {
        match self {
            Loc::Query => "query",
            Loc::Form => "form",
            Loc::Json => "json",
            Loc::Xml => "body",
            Loc::Path(_) => "path",
            Loc::Cookie => "cookie",
            Loc::Header => "header",
        }
    }
}

/// One place a test value can be put.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Point {
    /// Where.
    pub loc: Loc,
    /// Parameter, field, cookie or header name (`{segment}` for path segments, `body` for XML).
    pub name: String,
    /// The value it has normally.
    pub original: String,
}

/// A request shape worth testing.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Method.
    pub method: String,
    /// URL with its query.
    pub url: Url,
    /// Body, if any.
    pub body: Option<Body>,
}

/// Headers tested in deep mode.
pub const HEADERS: &[&str] = &["User-Agent", "Referer", "X-Forwarded-For"];

impl Endpoint {
    /// A GET of `url`.
    pub fn get(url: Url) -> Self {
        Endpoint {
            method: "GET".into(),
            url,
            body: None,
        }
    }

    /// Identity ignoring values: method, path (numeric segments generalised) and the sorted
    /// names of query and body parameters.
    pub fn key(&self) -> String {
        let path: Vec<String> = self
            .url
            .path_segments()
            .map(|s| {
                s.map(|seg| {
                    if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
                        "{n}".to_string()
                    } else {
                        seg.to_string()
                    }
                })
                .collect()
            })
            .unwrap_or_default();
        let mut names: Vec<String> = self
            .url
            .query_pairs()
            .map(|(k, _)| k.into_owned())
            .collect();
        match &self.body {
            Some(Body::Form(f)) => names.extend(f.iter().map(|(k, _)| format!("f:{k}"))),
            Some(Body::Json(Value::Object(o))) => names.extend(o.keys().map(|k| format!("j:{k}"))),
            Some(Body::Raw { content_type, .. }) => names.push(format!("raw:{content_type}")),
            _ => {}
        }
        names.sort();
        names.dedup();
        format!("{} /{}?{}", self.method, path.join("/"), names.join("&"))
    }

    /// Injection points; cookies (other than `keep`) and headers only when `deep`.
    pub fn points(&self, deep: bool, cookies: &[(String, String)], keep: &[String]) -> Vec<Point> {
        let mut out = Vec::new();
        for (k, v) in self.url.query_pairs() {
            out.push(Point {
                loc: Loc::Query,
                name: k.into_owned(),
                original: v.into_owned(),
            });
        }
        match &self.body {
            Some(Body::Form(f)) => out.extend(f.iter().map(|(k, v)| Point {
                loc: Loc::Form,
                name: k.clone(),
                original: v.clone(),
            })),
            Some(Body::Json(Value::Object(o))) => out.extend(o.iter().map(|(k, v)| Point {
                loc: Loc::Json,
                name: k.clone(),
                original: match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })),
            Some(Body::Raw {
                content_type,
                bytes,
            }) if content_type.contains("xml") => out.push(Point {
                loc: Loc::Xml,
                name: "body".into(),
                original: String::from_utf8_lossy(bytes).into_owned(),
            }),
            _ => {}
        }
        if let Some(segs) = self.url.path_segments() {
            for (i, seg) in segs.enumerate() {
                if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
                    out.push(Point {
                        loc: Loc::Path(i),
                        name: "{segment}".into(),
                        original: seg.to_string(),
                    });
                }
            }
        }
        if deep {
            for (k, v) in cookies.iter().filter(|(k, _)| !keep.contains(k)) {
                out.push(Point {
                    loc: Loc::Cookie,
                    name: k.clone(),
                    original: v.clone(),
                });
            }
            for h in HEADERS {
                out.push(Point {
                    loc: Loc::Header,
                    name: (*h).to_string(),
                    original: String::new(),
                });
            }
        }
        out
    }

    /// The endpoint's normal request.
    pub fn request(&self) -> Request {
        Request::with_body(&self.method, self.url.clone(), self.body.clone())
    }

    /// The request with `value` at `point` (replacing its value).
    pub fn inject(&self, point: &Point, value: &str) -> Request {
        let mut req = self.request();
        match &point.loc {
            Loc::Query => {
                let pairs: Vec<(String, String)> = self
                    .url
                    .query_pairs()
                    .map(|(k, v)| {
                        if k == point.name {
                            (k.into_owned(), value.to_string())
                        } else {
                            (k.into_owned(), v.into_owned())
                        }
                    })
                    .collect();
                req.url.query_pairs_mut().clear().extend_pairs(pairs.iter());
            }
            Loc::Form => {
                if let Some(Body::Form(f)) = &mut req.body {
                    for (k, v) in f.iter_mut() {
                        if *k == point.name {
                            *v = value.to_string();
                        }
                    }
                }
            }
            Loc::Json => {
                if let Some(Body::Json(Value::Object(o))) = &mut req.body {
                    o.insert(point.name.clone(), Value::String(value.to_string()));
                }
            }
            Loc::Xml => {
                if let Some(Body::Raw { bytes, .. }) = &mut req.body {
                    *bytes = value.as_bytes().to_vec();
                }
            }
            Loc::Path(i) => {
                let segs: Vec<String> = self
                    .url
                    .path_segments()
                    .map(|s| s.map(str::to_string).collect())
                    .unwrap_or_default();
                if let Ok(mut p) = req.url.path_segments_mut() {
                    p.clear();
                    for (j, s) in segs.iter().enumerate() {
                        if j == *i {
                            p.push(value);
                        } else {
                            p.push(s);
                        }
                    }
                }
            }
            Loc::Cookie => req.cookies.push((point.name.clone(), cookie_safe(value))),
            Loc::Header => req
                .headers
                .push((point.name.clone(), value.replace(['\r', '\n'], " "))),
        }
        req
    }
}

/// A value as a cookie can carry it (no `;`, `,`, spaces or control characters: percent-encoded).
fn cookie_safe(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b';' | b',' | b' ' | b'"' | b'\\' | 0..=0x1f | 0x7f..=0xff => format!("%{b:02X}"),
            _ => (b as char).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_values() {
        let a = Endpoint::get(Url::parse("http://h/product?id=1&x=2").unwrap());
        let b = Endpoint::get(Url::parse("http://h/product?x=9&id=137").unwrap());
        let c = Endpoint::get(Url::parse("http://h/items/17").unwrap());
        let d = Endpoint::get(Url::parse("http://h/items/3").unwrap());
        assert_eq!(a.key(), b.key());
        assert_eq!(c.key(), d.key());
        assert_ne!(a.key(), c.key());
    }

    #[test]
    fn injection_everywhere() {
        let e = Endpoint {
            method: "POST".into(),
            url: Url::parse("http://h/items/7?q=a").unwrap(),
            body: Some(Body::Json(serde_json::json!({"name": "x", "n": 2}))),
        };
        let pts = e.points(
            true,
            &[("track".into(), "1".into()), ("session".into(), "s".into())],
            &["session".into()],
        );
        let labels: Vec<(String, String)> = pts
            .iter()
            .map(|p| (p.loc.label().into(), p.name.clone()))
            .collect();
        assert!(labels.contains(&("query".into(), "q".into())));
        assert!(labels.contains(&("json".into(), "n".into())));
        assert!(labels.contains(&("path".into(), "{segment}".into())));
        assert!(labels.contains(&("cookie".into(), "track".into())));
        assert!(!labels.contains(&("cookie".into(), "session".into())));
        assert!(labels.contains(&("header".into(), "Referer".into())));
        let path = pts.iter().find(|p| p.loc == Loc::Path(1)).unwrap();
        assert_eq!(e.inject(path, "7'").url.path(), "/items/7'");
        let q = pts.iter().find(|p| p.name == "q").unwrap();
        assert_eq!(e.inject(q, "<x>").url.query(), Some("q=%3Cx%3E"));
        let j = pts.iter().find(|p| p.name == "n").unwrap();
        assert_eq!(
            e.inject(j, "1 OR 1=1").body,
            Some(Body::Json(
                serde_json::json!({"name": "x", "n": "1 OR 1=1"})
            ))
        );
        let c = pts.iter().find(|p| p.name == "track").unwrap();
        assert_eq!(
            e.inject(c, "1'; x").cookies,
            vec![("track".to_string(), "1'%3B%20x".to_string())]
        );
        assert!(e
            .points(false, &[("track".into(), "1".into())], &[])
            .iter()
            .all(|p| p.loc != Loc::Cookie));
    }
}
