//! The SDK and tracker signatures of the data directory: `vigil db update` fetches the Exodus
//! Privacy tracker database (ODbL 1.0, attributed to Exodus Privacy; the JSON its API and
//! MobSF serve) into `DATA_DIR/android/exodus-trackers.json`, where the `apk` engine merges
//! it over its built-in signatures at start. A download is bounded in size and time, read
//! and validated as the engine will read it before it replaces the kept copy (written to a
//! temporary file and renamed), so a bad download never leaves the engine with less.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use vigil_engine_apk::engine::EXODUS_FILE;
use vigil_engine_apk::sdks::{Signatures, MAX_EXODUS_BYTES};

/// Where Exodus Privacy publishes its tracker database.
pub const EXODUS_URL: &str = "https://reports.exodus-privacy.eu.org/api/trackers";

/// What an update brought.
pub struct Updated {
    /// Where it is kept.
    pub path: PathBuf,
    /// Trackers in it.
    pub trackers: usize,
    /// Bytes.
    pub bytes: usize,
}

/// Fetch the tracker database from `url` (http, https or `file:`) into `data_dir`.
pub fn update(data_dir: &Path, url: &str, client: &reqwest::blocking::Client) -> Result<Updated> {
    let text = if let Some(path) = url.strip_prefix("file:") {
        let len = std::fs::metadata(path)
            .with_context(|| format!("cannot read {path}"))?
            .len();
        if len > MAX_EXODUS_BYTES as u64 {
            bail!("{path} is {len} bytes, over the limit of {MAX_EXODUS_BYTES}");
        }
        std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?
    } else {
        let resp = client
            .get(url)
            .send()
            .with_context(|| format!("cannot fetch {url}"))?;
        if !resp.status().is_success() {
            bail!("{url} answered {}", resp.status());
        }
        let mut body = Vec::new();
        resp.take(MAX_EXODUS_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .with_context(|| format!("cannot read {url}"))?;
        if body.len() > MAX_EXODUS_BYTES {
            bail!("{url} sent more than {MAX_EXODUS_BYTES} bytes");
        }
        String::from_utf8(body).with_context(|| format!("{url} did not send UTF-8 text"))?
    };
    let sigs = Signatures::load_exodus(&text)
        .with_context(|| format!("{url} is not an Exodus tracker database"))?;
    let trackers = sigs.sdks().len();
    if trackers == 0 {
        bail!("{url} lists no trackers; the kept database is left as it is");
    }
    let path = data_dir.join(EXODUS_FILE);
    let dir = path.parent().context("tracker database path")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(".exodus-trackers.json.tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Updated {
        path,
        trackers,
        bytes: text.len(),
    })
}

/// The kept database: its path, trackers and age in seconds, if there is one.
pub fn status(data_dir: &Path) -> Option<(PathBuf, Result<usize>, u64)> {
    let path = data_dir.join(EXODUS_FILE);
    let meta = std::fs::metadata(&path).ok()?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .map_or(0, |d| d.as_secs());
    let count = Signatures::load_exodus_path(&path)
        .map(|s| s.sdks().len())
        .map_err(anyhow::Error::from);
    Some((path, count, age))
}
