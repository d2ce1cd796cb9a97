//! Downloading osv.dev ecosystem archives into the database.
//!
//! For each ecosystem, `GET {base_url}/{ECOSYSTEM}/all.zip` (the layout of
//! the official bucket, [`OSV_BASE_URL`]) is streamed to a temporary file in
//! `DATA_DIR/vulndb/` — refused past [`ImportLimits::max_download_bytes`],
//! whatever `Content-Length` claims — and imported as the source
//! `osv:ECOSYSTEM` (replacing its previous records in one transaction). The
//! temporary file is removed afterwards. One ecosystem failing does not stop
//! the others; each outcome is reported.
//!
//! The HTTP client is blocking: call this from a thread where blocking is
//! allowed (`tokio::task::spawn_blocking`), never from async code directly.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::db::{Database, ImportLimits, ImportSummary, SourceKind};
use crate::error::DbError;

/// The official osv.dev bucket.
pub const OSV_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The outcome for one ecosystem.
#[derive(Debug)]
pub struct EcosystemUpdate {
    /// The ecosystem as requested (`PyPI`, `Debian`).
    pub ecosystem: String,
    /// The source name used (`osv:PyPI`).
    pub source: String,
    /// The URL fetched.
    pub url: String,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
    /// The import summary, or why this ecosystem failed (its previous records
    /// are then unchanged).
    pub result: Result<ImportSummary, DbError>,
}

/// A blocking HTTP client suitable for [`update`]: rustls, a 30 s connect
/// timeout, a 30 min overall timeout, at most 5 redirects, and a
/// `vigil-vulndb` user agent.
pub fn http_client() -> Result<reqwest::blocking::Client, DbError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30 * 60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("vigil-vulndb/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DbError::Download {
            url: String::new(),
            reason: format!("cannot build HTTP client: {e}"),
        })
}

/// Downloads and imports `{base_url}/{ECOSYSTEM}/all.zip` for each of
/// `ecosystems` into the database of `data_dir` (created if absent), with
/// default [`ImportLimits`].
pub fn update(
    data_dir: &Path,
    base_url: &str,
    ecosystems: &[&str],
    client: &reqwest::blocking::Client,
) -> Result<Vec<EcosystemUpdate>, DbError> {
    update_with(
        data_dir,
        base_url,
        ecosystems,
        client,
        &ImportLimits::default(),
    )
}

/// [`update`] within `limits`.
pub fn update_with(
    data_dir: &Path,
    base_url: &str,
    ecosystems: &[&str],
    client: &reqwest::blocking::Client,
    limits: &ImportLimits,
) -> Result<Vec<EcosystemUpdate>, DbError> {
    let base = base_url.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() > 2048 {
        return Err(DbError::Invalid {
            what: "base URL",
            value: base_url.chars().take(120).collect(),
        });
    }
    for e in ecosystems {
        if !valid_ecosystem(e) {
            return Err(DbError::Invalid {
                what: "ecosystem",
                value: e.chars().take(80).collect(),
            });
        }
    }
    let mut db = Database::open(data_dir)?;
    let dir = data_dir.join(crate::db::DB_DIR);
    let mut out = Vec::with_capacity(ecosystems.len());
    for (i, eco) in ecosystems.iter().enumerate() {
        let url = format!("{base}/{}/all.zip", encode_segment(eco));
        let source = format!("osv:{eco}");
        let tmp = dir.join(format!("download-{}-{i}.zip.part", std::process::id()));
        let (downloaded_bytes, result) =
            match download(client, &url, &tmp, limits.max_download_bytes) {
                Ok(n) => (
                    n,
                    db.import_inner(&tmp, &source, limits, Some((&url, SourceKind::OsvDownload)))
                        .map_err(|e| name_url(e, &url)),
                ),
                Err(e) => (0, Err(e)),
            };
        let _ = std::fs::remove_file(&tmp);
        out.push(EcosystemUpdate {
            ecosystem: (*eco).to_owned(),
            source,
            url,
            downloaded_bytes,
            result,
        });
    }
    Ok(out)
}

/// Errors about the temporary download file name the URL instead.
fn name_url(e: DbError, url: &str) -> DbError {
    match e {
        DbError::Import { reason, .. } => DbError::Import {
            path: url.into(),
            reason,
        },
        DbError::NothingImported { errors, first, .. } => DbError::NothingImported {
            path: url.into(),
            errors,
            first,
        },
        other => other,
    }
}

/// OSV ecosystem names: letters, digits, space and `.:_-` (`crates.io`,
/// `Rocky Linux`, `Debian:12`), 1–100 characters, not `.`/`..`.
fn valid_ecosystem(e: &str) -> bool {
    !e.is_empty()
        && e.len() <= 100
        && e != "."
        && e != ".."
        && e.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | ':' | '_' | '-'))
}

/// Percent-encodes what a path segment may not hold as is (here: space and `:`).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn download(
    client: &reqwest::blocking::Client,
    url: &str,
    dest: &Path,
    max: u64,
) -> Result<u64, DbError> {
    let fail = |reason: String| DbError::Download {
        url: url.to_owned(),
        reason,
    };
    let mut resp = client.get(url).send().map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("HTTP status {}", resp.status())));
    }
    if let Some(len) = resp.content_length() {
        if len > max {
            return Err(fail(format!(
                "{len} bytes announced, more than the limit of {max} bytes"
            )));
        }
    }
    let mut file = File::create(dest).map_err(|e| DbError::io(dest, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(format!("reading the body: {e}"))),
        };
        total += n as u64;
        if total > max {
            return Err(fail(format!("body larger than the limit of {max} bytes")));
        }
        file.write_all(&buf[..n])
            .map_err(|e| DbError::io(dest, e))?;
    }
    file.flush().map_err(|e| DbError::io(dest, e))?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_names() {
        assert!(valid_ecosystem("crates.io"));
        assert!(valid_ecosystem("Rocky Linux"));
        assert!(valid_ecosystem("Debian:12"));
        assert!(!valid_ecosystem("../etc"));
        assert!(!valid_ecosystem(".."));
        assert!(!valid_ecosystem("a/b"));
        assert!(!valid_ecosystem(""));
        assert_eq!(encode_segment("Rocky Linux"), "Rocky%20Linux");
        assert_eq!(encode_segment("Debian:12"), "Debian%3A12");
    }
}
