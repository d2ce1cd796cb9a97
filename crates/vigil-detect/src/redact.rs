//! A text as it may be shown: every secret the detectors know, every value assigned to a
//! credential-like name (`DB_PASSWORD=...`, `"api_key": "..."`, `token => ...`) and every
//! password in a URL (`scheme://user:pass@host`) replaced by its [`mask`]. The web engine
//! shows response bodies and headers this way in evidence.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use crate::secrets::{Context, Secrets};
use crate::text::mask;

fn pattern(cell: &'static OnceLock<Regex>, p: &str) -> &'static Regex {
    // The patterns are constants of this module; a test runs every one of them.
    cell.get_or_init(|| match Regex::new(p) {
        Ok(r) => r,
        Err(e) => panic!("built-in redaction pattern {p:?} does not compile: {e}"),
    })
}

/// `text` with secrets masked; borrowed when there is nothing to mask.
///
/// ```
/// let text = "DB_PASSWORD=Sup3rS3cretDbPass! url=https://bob:hunter22@git.example/x";
/// let shown = vigil_detect::redact(text);
/// assert_eq!(shown, "DB_PASSWORD=Sup3**** url=https://bob:hu****@git.example/x");
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    static URL_PASSWORD: OnceLock<Regex> = OnceLock::new();
    let mut spans: Vec<(usize, usize)> = Secrets::shared()
        .find(text.as_bytes(), Context::code())
        .into_iter()
        .flat_map(|f| f.parts)
        .map(|p| (p.span.start, p.span.end))
        .collect();
    let assign = pattern(
        &ASSIGN,
        r#"(?im)(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|app[_-]?key|access[_-]?key|credentials?)[A-Za-z0-9_\-]*["']?\s*(?:=>|[:=])\s*["']?([^\s"';&<]{4,})"#,
    );
    for c in assign.captures_iter(text) {
        if let Some(v) = c.get(1) {
            spans.push((v.start(), v.end()));
        }
    }
    let url = pattern(
        &URL_PASSWORD,
        r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:([^\s@/]{3,})@",
    );
    for c in url.captures_iter(text) {
        if let Some(v) = c.get(1) {
            spans.push((v.start(), v.end()));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in spans {
        // Overlapping spans (a token inside an assignment) are masked once, from the first.
        let (Some(before), Some(secret)) = (text.get(at..s), text.get(s..e)) else {
            continue;
        };
        out.push_str(before);
        out.push_str(&mask(secret));
        at = e;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_assignments_and_url_passwords() {
        let id = ["AKIA", "Y3VIGILFIXTURE7Q"].concat();
        let text = format!(
            "id={id} DB_PASSWORD=Sup3rS3cretDbPass! url=https://bob:hunter22@git.example/x"
        );
        let m = redact(&text);
        assert!(!m.contains(&id) && m.contains("AKIA****"), "{m}");
        assert!(
            !m.contains("Sup3rS3cretDbPass!") && m.contains("Sup3"),
            "{m}"
        );
        assert!(!m.contains("hunter22"), "{m}");
        let key = ["ghp_", "q8Zr2LmX0pVt7KcW4nYsB1dF6hJ9kQ3wE5rT"].concat();
        assert_eq!(redact(&format!("see {key}.")), "see ghp_****.");
        assert!(matches!(
            redact("nothing here"),
            Cow::Borrowed("nothing here")
        ));
    }

    proptest! {
        #[test]
        fn redaction_never_panics_and_keeps_plain_text(text in "(\\PC|\n){0,400}") {
            let shown = redact(&text);
            if !shown.contains("****") {
                prop_assert_eq!(shown.as_ref(), text.as_str());
            }
        }
    }
}
