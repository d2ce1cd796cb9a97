//! Container images from the command line: `vigil scan image REF` (the image engine's scan,
//! printed as a table, the JSON output contract, SARIF, HTML, CycloneDX or SPDX), `vigil db
//! import|update|status` (the vulnerability database in the data directory) and `vigil image
//! import REF` (an image into an account's inventory, where the TCSS actions see it).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use vigil_core::Severity;
use vigil_engine::ScopeGuard;
use vigil_engine_image::scan::{self, ScanConfig, Scanners};
use vigil_engine_image::{Platform, ReadOptions, RegistryAccess, RegistryLogin, Source};
use vigil_report::Format;

/// Default data directory (the service's, too).
pub const DEFAULT_DATA_DIR: &str = "vigil-data";

/// Output formats of `vigil scan image`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ImageFormat {
    /// Aligned text (default on a terminal).
    Table,
    /// The JSON output contract (default otherwise).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// A self-contained HTML page.
    Html,
    /// CycloneDX 1.5 JSON (inventory and vulnerabilities).
    Cyclonedx,
    /// SPDX 2.3 JSON (inventory).
    Spdx,
}

/// Registry access flags.
#[derive(Args, Clone, Debug, Default)]
pub struct RegistryArgs {
    /// Registry user name.
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the registry password (never given on the command line).
    #[arg(long, value_name = "VAR", requires = "username")]
    pub password_env: Option<String>,
    /// PEM file of a CA certificate the registry's certificate chains to.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Allow plain HTTP to the registry.
    #[arg(long)]
    pub insecure_registry: bool,
    /// Accept any TLS certificate from the registry (self-signed, expired, wrong name).
    #[arg(long)]
    pub skip_tls_verify: bool,
    #[command(flatten)]
    pub scope: crate::config::ScopeArgs,
}

/// `vigil scan image`.
#[derive(Args)]
pub struct ImageArgs {
    /// docker-archive:PATH, oci:PATH (directory or tar), dir:PATH, or registry:HOST/REPO:TAG
    /// (or @sha256:...).
    pub reference: String,
    /// Scanners, comma-separated: vuln, virus, risk (default: all; without a vulnerability
    /// database the default skips vuln with a note), or `sbom` for the inventory only.
    #[arg(long, value_delimiter = ',')]
    pub scanners: Vec<String>,
    /// Platform of a multi-platform image (os/arch[/variant]; default linux/amd64).
    #[arg(long)]
    pub platform: Option<String>,
    /// Image of a docker archive holding several (one of its tags).
    #[arg(long)]
    pub tag: Option<String>,
    /// Data directory whose vulnerability database is used.
    #[arg(long, env = "VIGIL_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Directory of extra YARA rules (*.yar, *.yara); repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Hash list (SHA-256 / MD5 lines, ClamAV .hdb / .hsb); repeatable.
    #[arg(long = "hash-list", value_name = "FILE")]
    pub hash_lists: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<ImageFormat>,
    /// Exit with status 1 when a finding of at least this severity is found.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `vigil db ...`: the vulnerability database.
#[derive(Subcommand)]
pub enum DbCmd {
    /// Load advisories: OSV JSON files, directories of them, OSV zips, Alpine secdb YAML.
    Import {
        /// Files, directories or zips.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Source name (default: `local:` and the path); re-importing a source replaces it.
        #[arg(long)]
        source: Option<String>,
        /// Data directory.
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Download the official OSV archives of ecosystems and import them, and the Exodus
    /// Privacy tracker database the apk engine matches SDKs against.
    Update {
        /// OSV ecosystems (Debian, Alpine, PyPI, npm, Go, crates.io, Maven, RubyGems,
        /// Packagist, ...); repeatable.
        #[arg(long = "ecosystem", default_values = ["Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard", "Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "PyPI", "npm", "Go", "crates.io", "Maven", "RubyGems", "Packagist"])]
        ecosystems: Vec<String>,
        /// Base URL of the archives.
        #[arg(long, default_value = vigil_vulndb::OSV_BASE_URL)]
        base_url: String,
        /// Where the tracker database is fetched from (http, https or file:PATH).
        #[arg(long, default_value = crate::trackers::EXODUS_URL)]
        trackers_url: String,
        /// Only the tracker database, no advisories.
        #[arg(long, conflicts_with = "no_trackers")]
        trackers_only: bool,
        /// Only advisories, not the tracker database.
        #[arg(long)]
        no_trackers: bool,
        /// Data directory.
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Show sources, counts and age.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Data directory.
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
}

/// `vigil image ...`: the image inventory.
#[derive(Subcommand)]
pub enum ImageCmd {
    /// Read an image and record it in an account's inventory (its image id is its identity).
    Import {
        /// docker-archive:PATH, oci:PATH or registry:HOST/REPO:TAG.
        reference: String,
        /// AppId of the account.
        #[arg(long)]
        app_id: i64,
        /// Platform of a multi-platform image.
        #[arg(long)]
        platform: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        store: crate::config::StoreArgs,
    },
}

/// Read options for a reference, with registry access when it names a registry.
fn read_options(
    source: &Source,
    platform: Option<&str>,
    tag: Option<String>,
    reg: &RegistryArgs,
) -> Result<ReadOptions> {
    let mut opts = ReadOptions {
        tag,
        ..ReadOptions::default()
    };
    if let Some(p) = platform {
        opts.platform = Some(Platform::parse(p)?);
    }
    if let Source::Registry(reference) = source {
        let scope = Arc::new(ScopeGuard::operator(reg.scope.policy()?));
        let ca_pem = match &reg.ca_file {
            Some(ca) => {
                Some(std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?)
            }
            None => None,
        };
        let password = match &reg.password_env {
            Some(var) => std::env::var(var)
                .with_context(|| format!("environment variable {var} is not set"))?,
            None => String::new(),
        };
        let login = RegistryLogin {
            username: reg.username.clone(),
            password,
            ca_pem,
            insecure_http: reg.insecure_registry,
            skip_tls_verify: reg.skip_tls_verify,
        };
        opts.registry = Some(RegistryAccess::connect(reference, scope, login)?);
    }
    Ok(opts)
}

/// The content scanner: built-in rules and secret checks, plus the user's rules and lists.
pub fn detector(rules: &[PathBuf], hash_lists: &[PathBuf]) -> Result<Arc<vigil_detect::Scanner>> {
    let cfg = vigil_detect::Config {
        rules_dirs: rules.to_vec(),
        hash_files: hash_lists.to_vec(),
        ..vigil_detect::Config::default()
    };
    Ok(Arc::new(vigil_detect::Scanner::new(cfg)?))
}

/// `vigil scan image`; returns the exit status.
pub async fn scan_image(a: ImageArgs) -> Result<i32> {
    let source = Source::parse(&a.reference)?;
    let explicit = !a.scanners.is_empty();
    let mut scanners = if explicit {
        Scanners::parse(&a.scanners).map_err(anyhow::Error::msg)?
    } else {
        Scanners::default()
    };
    let has_db = vigil_vulndb::db_path(&a.data_dir).exists();
    if scanners.vuln && !has_db {
        let msg = format!(
            "no vulnerability database in {}: run `vigil db import PATH` or `vigil db update` first",
            a.data_dir.display()
        );
        if explicit {
            bail!("{msg}, or leave out the vuln scanner");
        }
        eprintln!("vigil: {msg}; scanning without the vuln scanner");
        scanners.vuln = false;
    }
    let detector = if scanners.virus || scanners.risk {
        Some(detector(&a.rules, &a.hash_lists)?)
    } else {
        None
    };
    let read = read_options(&source, a.platform.as_deref(), a.tag.clone(), &a.registry)?;
    let cfg = ScanConfig {
        scanners,
        read,
        data_dir: Some(a.data_dir.clone()),
        detector,
    };
    let started = chrono::Utc::now();
    let reference = a.reference.clone();
    let report = tokio::task::spawn_blocking(move || scan::scan(&source, &reference, &cfg))
        .await
        .context("image scan thread")?
        .with_context(|| format!("cannot scan {}", a.reference))?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let format = a.format.map(|f| match f {
        ImageFormat::Table => Format::Table,
        ImageFormat::Json => Format::Json,
        ImageFormat::Sarif => Format::Sarif,
        ImageFormat::Html => Format::Html,
        ImageFormat::Cyclonedx => Format::CycloneDx,
        ImageFormat::Spdx => Format::Spdx,
    });
    let run = crate::scan::Run {
        target: a.reference.clone(),
        started,
        engine: vigil_report::EngineInfo {
            kind: vigil_engine_image::KIND.to_string(),
            version: vigil_engine_image::VERSION.to_string(),
        },
        components: report.components(),
        findings: report.findings(),
    };
    Ok(crate::scan::print_report(run, format, a.fail_on))
}

/// `vigil db ...`.
pub async fn db(cmd: DbCmd) -> Result<()> {
    tokio::task::spawn_blocking(move || db_blocking(cmd))
        .await
        .context("database thread")?
}

fn db_blocking(cmd: DbCmd) -> Result<()> {
    match cmd {
        DbCmd::Import {
            paths,
            source,
            data_dir,
        } => {
            if source.is_some() && paths.len() > 1 {
                bail!("--source names one source: import one path with it");
            }
            let mut db = vigil_vulndb::Database::open(&data_dir)?;
            for p in paths {
                let summary = match &source {
                    Some(name) => db.import_as(&p, name),
                    None => db.import(&p),
                }
                .with_context(|| format!("cannot import {}", p.display()))?;
                crate::out::outln!(
                    "{}: {} advisories ({} affected entries) from {} files in {:.1}s; {} skipped, {} withdrawn",
                    summary.source,
                    summary.advisories,
                    summary.affected,
                    summary.files,
                    summary.elapsed.as_secs_f64(),
                    summary.skipped,
                    summary.withdrawn
                );
                for issue in summary.issues.iter().take(20) {
                    eprintln!("  skipped {}: {}", issue.file, issue.reason);
                }
                if summary.issues.len() > 20 {
                    eprintln!("  ... and {} more", summary.issues.len() - 20);
                }
            }
            Ok(())
        }
        DbCmd::Update {
            ecosystems,
            base_url,
            trackers_url,
            trackers_only,
            no_trackers,
            data_dir,
        } => {
            let client = vigil_vulndb::http_client()?;
            let mut failed = 0;
            if !no_trackers {
                match crate::trackers::update(&data_dir, &trackers_url, &client) {
                    Ok(u) => crate::out::outln!(
                        "trackers: {} Exodus Privacy trackers ({} bytes) in {}",
                        u.trackers,
                        u.bytes,
                        u.path.display()
                    ),
                    Err(e) => {
                        failed += 1;
                        eprintln!("trackers: failed: {e:#}");
                    }
                }
            }
            if trackers_only {
                if failed > 0 {
                    bail!("the tracker database could not be updated");
                }
                return Ok(());
            }
            let ecos: Vec<&str> = ecosystems.iter().map(String::as_str).collect();
            let results = vigil_vulndb::update(&data_dir, &base_url, &ecos, &client)?;
            for u in results {
                match u.result {
                    Ok(s) => crate::out::outln!(
                        "{}: {} advisories ({} bytes downloaded)",
                        u.source,
                        s.advisories,
                        u.downloaded_bytes
                    ),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: failed: {e}", u.ecosystem);
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} source(s) could not be updated");
            }
            Ok(())
        }
        DbCmd::Status { json, data_dir } => {
            let trackers = crate::trackers::status(&data_dir);
            let db = vigil_vulndb::Database::open_existing(&data_dir)?;
            let st = db.status()?;
            if json {
                let sources: Vec<serde_json::Value> = st
                    .sources
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "name": s.name, "kind": format!("{:?}", s.kind), "origin": s.origin,
                            "imported_at": s.imported_at, "age_secs": s.age.as_secs(),
                            "records": s.records, "skipped": s.skipped,
                        })
                    })
                    .collect();
                crate::out::outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "path": st.path, "schema_version": st.schema_version,
                        "size_bytes": st.size_bytes, "advisories": st.advisories,
                        "affected": st.affected, "sources": sources,
                        "trackers": trackers.as_ref().map(|(path, n, age)| serde_json::json!({
                            "path": path, "trackers": n.as_ref().ok(),
                            "error": n.as_ref().err().map(|e| format!("{e:#}")), "age_secs": age,
                        })),
                    }))?
                );
            } else {
                crate::out::outln!(
                    "{}: {} advisories, {} affected entries, {} bytes",
                    st.path.display(),
                    st.advisories,
                    st.affected,
                    st.size_bytes
                );
                for s in &st.sources {
                    crate::out::outln!(
                        "  {:<40} {:>8} records  {:>4} skipped  age {}",
                        s.name,
                        s.records,
                        s.skipped,
                        age(s.age)
                    );
                }
                match &trackers {
                    Some((path, Ok(n), secs)) => crate::out::outln!(
                        "trackers: {n} Exodus Privacy trackers in {}, age {}",
                        path.display(),
                        age(std::time::Duration::from_secs(*secs))
                    ),
                    Some((path, Err(e), _)) => {
                        crate::out::outln!("trackers: {} cannot be read: {e:#}", path.display())
                    }
                    None => crate::out::outln!(
                        "trackers: none (built-in SDK signatures only; `vigil db update --trackers-only`)"
                    ),
                }
            }
            Ok(())
        }
    }
}

fn age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `vigil image ...`.
pub async fn image(cmd: ImageCmd) -> Result<()> {
    match cmd {
        ImageCmd::Import {
            reference,
            app_id,
            platform,
            registry,
            store,
        } => {
            let source = Source::parse(&reference)?;
            if matches!(source, Source::Dir(_)) {
                bail!(
                    "a dir: source has no image id; import a docker-archive, oci or registry image"
                );
            }
            let source = match source {
                // Keep local paths absolute: the service reads them later from its own directory.
                Source::DockerArchive(p) => Source::DockerArchive(std::path::absolute(&p)?),
                Source::Oci(p) => Source::Oci(std::path::absolute(&p)?),
                other => other,
            };
            let stored_ref = match &source {
                Source::DockerArchive(p) => format!("docker-archive:{}", p.display()),
                Source::Oci(p) => format!("oci:{}", p.display()),
                Source::Registry(r) => format!("registry:{r}"),
                Source::Dir(_) => unreachable!("refused above"),
            };
            let opts = read_options(&source, platform.as_deref(), None, &registry)?;
            let image = tokio::task::spawn_blocking(move || {
                vigil_engine_image::read(&source, &opts, &|_| false)
            })
            .await
            .context("image reading thread")?
            .with_context(|| format!("cannot read {reference}"))?;
            let st = store.open().await?;
            let account = st.account_by_app_id(app_id).await?;
            let img = inventory_record(&image, stored_ref);
            let row = st.upsert_image(account.id, &img).await?;
            crate::out::outln!("{} {}", img.image_id, serde_json::to_string(&row.name)?);
            Ok(())
        }
    }
}

/// The inventory record of an image read from `source` (its image id is the identity).
fn inventory_record(image: &vigil_engine_image::Image, source: String) -> vigil_store::NewImage {
    let created_at = image
        .config
        .created
        .as_deref()
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .map(|t| t.timestamp_millis());
    let history: Vec<String> = image
        .config
        .history
        .iter()
        .filter_map(|h| h.created_by.clone())
        .collect();
    let name = image
        .repo_tags
        .first()
        .cloned()
        .unwrap_or_else(|| "<none>:<none>".into());
    vigil_store::NewImage {
        image_id: image.config_digest.clone(),
        digest: if image.digest == image.config_digest {
            String::new()
        } else {
            image.digest.clone()
        },
        source,
        name,
        size: image.layers.iter().map(|l| l.size as i64).sum(),
        os_name: image.config.os.clone().unwrap_or_default(),
        architecture: image.config.architecture.clone().unwrap_or_default(),
        history: history.join("\n"),
        created_at,
        ..vigil_store::NewImage::default()
    }
}

/// Reads uploaded archives for the gateway's `PUT /upload/tcss/images`: a `docker save` tar,
/// else an OCI image layout tar, with the engine's default limits.
pub struct ArchiveImporter;

impl vigil_api::upload::ImageImporter for ArchiveImporter {
    fn import(&self, path: &std::path::Path) -> Result<vigil_store::NewImage, String> {
        let opts = ReadOptions::default();
        let docker = Source::DockerArchive(path.to_path_buf());
        let docker_err = match vigil_engine_image::read(&docker, &opts, &|_| false) {
            Ok(image) => {
                return Ok(inventory_record(
                    &image,
                    format!("docker-archive:{}", path.display()),
                ))
            }
            Err(e) => e,
        };
        let oci = Source::Oci(path.to_path_buf());
        match vigil_engine_image::read(&oci, &opts, &|_| false) {
            Ok(image) => Ok(inventory_record(&image, format!("oci:{}", path.display()))),
            Err(oci_err) => Err(format!(
                "as a docker archive: {docker_err}; as an OCI layout: {oci_err}"
            )),
        }
    }
}
