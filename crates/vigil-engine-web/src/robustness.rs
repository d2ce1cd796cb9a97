//! Property tests: every function of the web engine that reads what a scanned server sent
//! (the passive checks, the sensitive-file validators, the active checks' judges of an
//! answer, link and call extraction, evidence excerpts) takes any text without panicking.
//! Bodies are built from the markup those functions look for (`<meta http-equiv="refresh"`,
//! `<script>`, `location=`, secrets, traces, listings) mixed with multi-byte text ('İ',
//! whose lower case is longer, 'ẞ', emoji, CJK, combining marks), so that byte offsets found
//! in one place and used in another land inside characters. A panic here once stopped every
//! tenant's scans (see `active::redirect`).

use crate::active::{redirect, sqli, traversal, xss, xxe};
use crate::crawl::Page;
use crate::endpoint::{Endpoint, Loc};
use crate::http::{self, Body, Request, Response};
use crate::{extract, files, passive};
use proptest::prelude::*;
use serde_json::json;
use url::Url;

/// Pieces of hostile pages: what the analysers look for, and text they must not split.
const PIECES: &[&str] = &[
    "<meta http-equiv=\"refresh\" content=\"0; url=",
    "http-equiv=\"refresh\"",
    "url=https://vigil-redirect.example/",
    "<meta ",
    "<script>",
    "</script>",
    "<script src=\"/a.js\">",
    "location=",
    "window.location='",
    "fetch('/api/items?q=', {method: 'POST', headers: {'Content-Type': 'application/xml'}, body: '<a>' + q + '</a>'});",
    "function f(){",
    "}",
    "<title>",
    "</title>",
    "<a href=\"",
    "\">",
    "<form action=\"http://x.test/login\" method=\"post\"><input type=\"password\" name=\"p\">",
    "<img src=\"http://cdn.test/i.png\">",
    "Index of /",
    "<h1>Index of /files</h1>",
    "Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in <module>\n",
    "at java.lang.Thread.run(Thread.java:750)\n",
    "You have an error in your SQL syntax",
    "ORA-01756",
    "root:x:0:0:root:/root:/bin/bash\n",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "-----END RSA PRIVATE KEY-----",
    "AKIAIOSFODNN7QWERTYU",
    " secret = \"",
    "password = '",
    "ghp_",
    "10.0.12.7",
    "192.168.1.1",
    "&#304;",
    "&#x1F600;",
    "&amp;",
    "<?xml version=\"1.0\"?>",
    "<root><item>",
    "</item></root>",
    "[core]\n\trepositoryformatversion = 0\n",
    "PHP Version 8.1",
    "Apache Server Status for",
    "<configuration>",
    "İ",
    "İİİ",
    "ẞ",
    "ß",
    "😀",
    "👩‍👩‍👧",
    "重定向页面",
    "e\u{301}",
    "\u{200d}",
    "\u{feff}",
    "\u{fffd}",
    "\n",
    "\r\n",
    " ",
    "\"",
    "'",
];

/// A page assembled from pieces and bits of arbitrary text.
fn body() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => "\\PC{0,8}",
        1 => "[a-zA-Z0-9 =/<>\"';:.-]{0,12}",
        1 => "[İẞ😀重ǅ\u{301}]{1,6}",
    ];
    prop::collection::vec(piece, 0..48).prop_map(|v| v.concat())
}

fn base() -> Url {
    Url::parse("https://shop.test/go?next=/home").unwrap()
}

fn response(status: u16, content_type: &str, header: &str, body: &str) -> Response {
    Response {
        status,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("location".into(), header.into()),
            ("set-cookie".into(), header.into()),
            ("server".into(), header.into()),
            ("x-powered-by".into(), header.into()),
            ("content-security-policy".into(), header.into()),
            ("strict-transport-security".into(), header.into()),
            ("access-control-allow-origin".into(), header.into()),
            ("access-control-allow-credentials".into(), "true".into()),
        ],
        body: body.as_bytes().to_vec(),
        ..Default::default()
    }
}

const TYPES: &[&str] = &[
    "text/html; charset=utf-8",
    "application/json",
    "application/javascript",
    "text/plain",
    "application/xml",
];

const KINDS: &[files::Kind] = &[
    files::Kind::GitHead,
    files::Kind::GitConfig,
    files::Kind::SvnEntries,
    files::Kind::SvnWcDb,
    files::Kind::Env,
    files::Kind::DsStore,
    files::Kind::WebConfig,
    files::Kind::Source,
    files::Kind::Swap,
    files::Kind::PhpInfo,
    files::Kind::Zip,
    files::Kind::Gzip,
    files::Kind::Sql,
    files::Kind::Htpasswd,
    files::Kind::ServerStatus,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn passive_checks_take_any_page(text in body(), header in body(), https in any::<bool>()) {
        for ct in TYPES {
            let resp = response(200, ct, &header, &text);
            let _ = crate::headers::missing_headers(&resp, &text, https);
            let _ = passive::canary_text(&resp);
            let _ = passive::is_text(&resp);
            let shown = crate::leak::masked_response(&resp);
            let _ = shown.wire(Some(&header));
            let _ = crate::cors::cors_allows(&resp, "https://evil.test");
            let page = Page {
                request: Request::get(base()),
                response: resp,
                depth: 0,
                password_forms: vec![],
                subresources: vec![text.clone()],
            };
            let _ = crate::cors::cors_candidate(&page);
        }
        let _ = crate::headers::cookie_problems(&header, https);
        let _ = crate::headers::header_version(&header);
        let _ = passive::stack_trace(&text);
        let _ = passive::directory_listing(&text);
        let _ = passive::mixed_content(&text);
        let _ = passive::private_ips(&text, None);
        let _ = passive::private_ips(&text, Some("10.0.12.7"));
        let _ = passive::decode_entities(&text);
        let _ = vigil_detect::mask(&text);
        let _ = vigil_detect::redact(&text);
        let _ = passive::inline_scripts(&text);
        let _ = passive::json_strings(text.as_bytes());
        let _ = passive::json_strings(json!({"error": text}).to_string().as_bytes());
        let _ = passive::decode_mark(&text, &header);
        for script in [false, true] {
            for s in crate::leak::secrets(&text, script) {
                // Spans are whole characters of the text and hold the value.
                prop_assert_eq!(text.get(s.span.0..s.span.1), Some(s.value.as_str()));
            }
        }
        let _ = http::excerpt(&text, Some(&header), 600);
        let _ = http::excerpt(&text, Some("İ"), 7);
        let _ = http::parse_cookie_header(&header);
    }

    #[test]
    fn sensitive_file_checks_take_any_answer(text in body(), other in body(), raw in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = raw.clone();
        bytes.extend_from_slice(text.as_bytes());
        for kind in KINDS {
            let _ = files::validate(*kind, text.as_bytes());
            let _ = files::validate(*kind, &bytes);
            let _ = files::masked_file_text(*kind, &text);
            let _ = files::shown(*kind, &response(200, "text/plain", "", &text));
        }
        let a = response(200, "text/html", "", &text);
        let b = response(200, "text/html", "", &other);
        let _ = files::same_page(&a, "/.env", &b, &format!("/{other}"));
        let _ = files::backups_of(&text);
    }

    #[test]
    fn active_checks_judge_any_answer(text in body(), header in body(), marker in "[a-z]{3}[0-9]{2}|\\PC{0,6}") {
        for status in [200u16, 302] {
            for ct in TYPES {
                let resp = response(status, ct, &header, &text);
                let _ = redirect::sends_away(&resp, &base());
                let _ = xss::html_like(&resp);
                let _ = resp.wire(Some(&marker));
            }
        }
        let a = response(200, "text/html", "", &text);
        let b = response(200, "text/html", "", &header);
        let _ = sqli::dbms_error(&text);
        let _ = sqli::similarity(&a, &b, &["'", &marker, &header]);
        let _ = traversal::file_proof(&text);
        let _ = xss::broke_out(&text, &marker);
        let _ = xss::code_has_ident(&text, &marker);
        let _ = xxe::with_entity(&text, "/etc/passwd");
        // Injection points whose normal values came from the site.
        let url = Url::parse_with_params("https://shop.test/items/5", [("next", text.as_str())]).unwrap();
        let endpoints = [
            Endpoint::get(url.clone()),
            Endpoint { method: "POST".into(), url: url.clone(), body: Some(Body::Form(vec![(header.clone(), text.clone())])) },
            Endpoint { method: "POST".into(), url: url.clone(), body: Some(Body::Json(json!({ "q": text }))) },
            Endpoint { method: "POST".into(), url, body: Some(Body::Raw { content_type: "application/xml".into(), bytes: text.clone().into_bytes() }) },
        ];
        for ep in &endpoints {
            let _ = ep.key();
            for pt in ep.points(true, &[(header.clone(), text.clone())], &[]) {
                let req = ep.inject(&pt, &format!("{}'\"<{marker}>", pt.original));
                let _ = req.wire(Some(&header));
                let _ = crate::active::point_url(ep, &pt);
                if pt.loc == Loc::Xml {
                    let _ = xxe::with_entity(&pt.original, "/etc/passwd");
                }
            }
        }
    }

    #[test]
    fn extraction_takes_any_page(text in body()) {
        let base = base();
        let links = extract::html(&base, &text);
        for call in &links.calls {
            let _ = call.xml.as_deref().map(|x| xxe::with_entity(x, "/etc/passwd"));
        }
        let _ = extract::script_calls(&base, &text);
        let _ = extract::robots(&base, &text);
        let _ = extract::sitemap(&base, &text);
        let _ = extract::json_urls(&base, &json!({ "a": text, "b": [format!("/{text}")], "c": { "d": format!("https://shop.test/{text}") } }));
    }
}

/// The exact page that stopped scanning: a 200 with a meta refresh followed by multi-byte
/// text, through every judge at once.
#[test]
fn meta_refresh_with_multibyte_text() {
    let text = format!(
        "<meta http-equiv=\"refresh\" content=\"0; url=/home\">{}",
        "İ😀".repeat(200)
    );
    let resp = response(200, "text/html", "", &text);
    assert_eq!(redirect::sends_away(&resp, &base()), None);
    let _ = passive::canary_text(&resp);
    let _ = crate::leak::secrets(&text, true);
    let _ = xss::broke_out(&text, "vglabcd12345");
    let _ = extract::html(&base(), &text);
}
