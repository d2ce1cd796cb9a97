//! `vigil templates update|status`: the `poc` engine's catalogue in `DATA_DIR/templates`.
//! `update` fetches the latest nuclei-templates release (its archive, found through GitHub's
//! release API) or the archive a `--url` names (http, https, `file:` or a path), bounded in
//! size and time, and installs it only when it loads as a catalogue with templates (the
//! installed one is replaced by rename, never left half-written). `status` shows where the
//! installed catalogue came from, its age, and how many templates parse and run, with the
//! reasons the others do not.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use vigil_engine_poc::template::{install_archive, installed_source};
use vigil_engine_poc::{Loaded, TEMPLATES_DIR};

/// GitHub's API for the latest nuclei-templates release.
pub const RELEASES_URL: &str =
    "https://api.github.com/repos/projectdiscovery/nuclei-templates/releases/latest";
/// Largest archive downloaded.
pub const MAX_ARCHIVE_BYTES: u64 = 512 * 1024 * 1024;

/// `vigil templates ...`.
#[derive(Subcommand)]
pub enum TemplatesCmd {
    /// Fetch the latest nuclei-templates release (or the archive `--url` names) into the data
    /// directory.
    Update {
        /// A tar or tar.gz archive of templates to install instead of the latest release:
        /// http(s) URL, `file:PATH` or a path.
        #[arg(long)]
        url: Option<String>,
        /// Data directory.
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = crate::image::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Show the installed templates: source, age, and what parses and runs.
    Status {
        /// Data directory.
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = crate::image::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
}

/// Runs a `templates` command.
pub fn run(cmd: TemplatesCmd) -> Result<()> {
    match cmd {
        TemplatesCmd::Update { url, data_dir } => {
            let dest = data_dir.join(TEMPLATES_DIR);
            let tmp = tempfile::Builder::new()
                .prefix(".templates-download-")
                .tempfile_in(ensure_dir(&data_dir)?)
                .context("cannot create a temporary file in the data directory")?;
            let (source, sha256) = match url {
                Some(u) => fetch(&u, tmp.path())?,
                None => {
                    let client = vigil_vulndb::http_client()?;
                    let release: serde_json::Value = client
                        .get(RELEASES_URL)
                        .header("Accept", "application/vnd.github+json")
                        .send()
                        .and_then(|r| r.error_for_status())
                        .and_then(|r| r.json())
                        .with_context(|| {
                            format!("cannot read the latest release from {RELEASES_URL}")
                        })?;
                    let archive = release["tarball_url"]
                        .as_str()
                        .context("the release names no tarball_url")?;
                    let (_, sha) = fetch(archive, tmp.path())?;
                    let tag = release["tag_name"].as_str().unwrap_or("latest");
                    (format!("nuclei-templates {tag} ({archive})"), sha)
                }
            };
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let installed = install_archive(tmp.path(), &dest, &source, &sha256, &now)?;
            crate::out::outln!(
                "templates: {} of {} files parse, from {} (sha256 {}), in {}",
                installed.parsed,
                installed.files,
                installed.source,
                installed.sha256,
                dest.display()
            );
            Ok(())
        }
        TemplatesCmd::Status { data_dir } => {
            let dest = data_dir.join(TEMPLATES_DIR);
            if !dest.exists() {
                bail!(
                    "no templates in {}: run `vigil templates update`",
                    dest.display()
                );
            }
            match installed_source(&dest) {
                Some(s) => crate::out::outln!(
                    "source: {}\ninstalled: {}\nsha256: {}",
                    s.source,
                    s.installed_at,
                    s.sha256
                ),
                None => crate::out::outln!(
                    "source: unknown (not installed by `vigil templates update`)"
                ),
            }
            let loaded = Loaded::load(&dest).map_err(|e| anyhow::anyhow!("{e}"))?;
            let s = loaded.catalog.summary();
            let (runnable, skipped) = loaded.coverage();
            crate::out::outln!(
                "templates: {} files, {} parse, {} run\nby protocol: {}",
                s.files,
                s.parsed,
                runnable,
                s.parsed_by_protocol
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for (reason, n) in &skipped {
                crate::out::outln!("not run: {n:6}  {reason}");
            }
            for r in loaded.catalog.rejected.iter().take(20) {
                crate::out::outln!("rejected: {}: {}", r.path, r.reason);
            }
            if loaded.catalog.rejected.len() > 20 {
                crate::out::outln!("rejected: ... {} more", loaded.catalog.rejected.len() - 20);
            }
            Ok(())
        }
    }
}

fn ensure_dir(dir: &Path) -> Result<&Path> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Copies the archive `url` names into `to`, bounded; returns its name and SHA-256.
fn fetch(url: &str, to: &Path) -> Result<(String, String)> {
    let mut out =
        std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
    let reader: Box<dyn Read> = if url.starts_with("http://") || url.starts_with("https://") {
        let resp = vigil_vulndb::http_client()?
            .get(url)
            .send()
            .with_context(|| format!("cannot fetch {url}"))?;
        if !resp.status().is_success() {
            bail!("{url} answered {}", resp.status());
        }
        Box::new(resp)
    } else {
        let path = url.strip_prefix("file:").unwrap_or(url);
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?)
    };
    let mut limited = reader.take(MAX_ARCHIVE_BYTES + 1);
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = limited
            .read(&mut buf)
            .with_context(|| format!("cannot read {url}"))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_ARCHIVE_BYTES {
            bail!("{url} is larger than {MAX_ARCHIVE_BYTES} bytes");
        }
        hash.update(&buf[..n]);
        out.write_all(&buf[..n])
            .context("cannot write the download")?;
    }
    out.flush().context("cannot write the download")?;
    Ok((url.to_string(), hex::encode(hash.finalize())))
}
