//! Reflected cross-site scripting. A plain marker first: if it does not come back in an HTML
//! response, nothing more is sent. Otherwise payloads for each context (HTML text, quoted and
//! unquoted attributes, a JavaScript string, a URL attribute) are tried, and a payload counts
//! only when the response, parsed as a browser parses it, holds what the payload meant to
//! create: an element of the marker's name, an attribute of the marker's name, the marker as
//! code (outside any string or comment) in a script, or a `javascript:` URL with the marker.

use super::{marker, report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use scraper::{Html, Selector};
use serde_json::json;
use vigil_engine::EngineError;

/// Where a payload proved to break out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A new element in HTML text.
    Html,
    /// A new attribute on an element.
    Attribute,
    /// Code in a script.
    Script,
    /// A `javascript:` URL in a link or source attribute.
    Url,
}

impl Context {
    fn label(self) -> &'static str {
        match self {
            Context::Html => "html",
            Context::Attribute => "attribute",
            Context::Script => "script",
            Context::Url => "url",
        }
    }
}

/// Whether `ident` occurs as code in JavaScript source: outside strings, template literals
/// and comments.
pub fn code_has_ident(src: &str, ident: &str) -> bool {
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        c if c == q => break,
                        b'\n' if q != b'`' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                if &src[start..i] == ident {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// What the marker `m` became in an HTML document, if anything executable.
pub fn broke_out(html: &str, m: &str) -> Option<Context> {
    let doc = Html::parse_document(html);
    let all = Selector::parse("*").ok()?;
    let attr = format!("{m}a");
    let js_url = format!("javascript:{m}");
    for e in doc.select(&all) {
        let v = e.value();
        if v.name() == m {
            return Some(Context::Html);
        }
        for (name, value) in v.attrs() {
            if name == attr {
                return Some(Context::Attribute);
            }
            if matches!(
                name,
                "href" | "src" | "action" | "formaction" | "data" | "xlink:href"
            ) && value
                .trim()
                .to_ascii_lowercase()
                .replace(['\t', '\n', '\r'], "")
                .starts_with(&js_url)
            {
                return Some(Context::Url);
            }
        }
        if v.name() == "script" && v.attr("src").is_none() {
            let code: String = e.text().collect();
            if code_has_ident(&code, m) {
                return Some(Context::Script);
            }
        }
    }
    None
}

/// Whether a browser renders this answer as HTML: an HTML content type, and not a redirect
/// (browsers follow a redirect's `Location` and never show its body).
pub(crate) fn html_like(r: &Response) -> bool {
    !(300..400).contains(&r.status)
        && r.header("content-type")
            .is_none_or(|c| c.to_ascii_lowercase().contains("html"))
}

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    _base: &Response,
) -> Result<(), EngineError> {
    let m = marker();
    let Some(r) = send(scan, &ep.inject(pt, &m)).await? else {
        return Ok(());
    };
    if !html_like(&r) || !r.text().contains(&m) {
        return Ok(());
    }
    let payloads = [
        format!("{m}\"'><{m}>"),
        format!("{m}\" {m}a=\"1"),
        format!("{m}' {m}a='1"),
        format!("{m} {m}a=1 "),
        format!("';{m}=1;//"),
        format!("\";{m}=1;//"),
        format!("</script><{m}>"),
        format!("javascript:{m}()"),
    ];
    for p in payloads {
        let req = ep.inject(pt, &p);
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        if !html_like(&resp) {
            continue;
        }
        if let Some(ctx) = broke_out(&resp.text(), &m) {
            let proof = json!({
                "payload": p,
                "context": ctx.label(),
                "proof": format!("the response, parsed as HTML, holds the payload as {} (marker `{m}`)", match ctx {
                    Context::Html => "a new element",
                    Context::Attribute => "a new attribute",
                    Context::Script => "script code outside any string",
                    Context::Url => "a javascript: URL",
                }),
            });
            return report(scan, "xss", ep, pt, &req, &resp, Some(&m), proof).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "vglabcd12345";

    #[test]
    fn contexts_that_execute() {
        assert_eq!(broke_out(&format!("<p>x<{M}></p>"), M), Some(Context::Html));
        assert_eq!(
            broke_out(&format!("<input value=\"{M}\" {M}a=\"1\">"), M),
            Some(Context::Attribute)
        );
        assert_eq!(
            broke_out(&format!("<script>var s = '';{M}=1;//';</script>"), M),
            Some(Context::Script)
        );
        assert_eq!(
            broke_out(&format!("<a href=\" JavaScript:{M}()\">x</a>"), M),
            Some(Context::Url)
        );
    }

    #[test]
    fn encoded_reflections_are_safe() {
        for safe in [
            format!("<p>&lt;{M}&gt;</p>"),
            format!("<input value=\"{M}&quot; {M}a=&quot;1\">"),
            format!("<script>var s = \"\\\";{M}=1;//\";</script>"),
            format!("<script>var s = '\\';{M}=1;//';</script>"),
            format!("<script>// {M}=1\n/* {M} */</script>"),
            format!("<a href=\"http://x/?q=javascript:{M}()\">x</a>"),
            format!("<!-- <{M}> -->"),
            format!("<textarea><{M}></textarea>"),
        ] {
            assert_eq!(broke_out(&safe, M), None, "{safe}");
        }
    }

    proptest::proptest! {
        #[test]
        fn lexer_never_panics(s in ".{0,300}") {
            let _ = code_has_ident(&s, "x");
        }
    }
}
