//! `vigil scan ...`: run an engine in this process against targets given on the command line
//! and print one report (table, the JSON output contract, SARIF or HTML): hosts, web sites,
//! container images, Android packages, and nuclei templates.

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use vigil_core::spec::apk::{ApkOptions, ApkSource, ApkTarget};
use vigil_core::spec::net::{NetItem, NetOptions, NetTarget};
use vigil_core::spec::poc::{PocOptions, PocTarget};
use vigil_core::spec::web::{Mode, WebOptions, WebTarget};
use vigil_core::{FindingStatus, Severity};
use vigil_engine::{CollectSink, Engine, EngineError, RateLimiter, ScanCtx, ScopeGuard};
use vigil_report::{EngineInfo, Format, ReportedFinding, ScanReport};

/// What to scan.
#[derive(Subcommand)]
pub enum ScanCmd {
    /// Scan hosts: ports and services.
    Host(HostArgs),
    /// Scan a web site: crawl it, then passive and active checks.
    Web(WebArgs),
    /// Scan a container image: packages and their vulnerabilities, malware, secrets and
    /// configuration risks.
    Image(crate::image::ImageArgs),
    /// Scan an Android package (a file or an http(s) URL): manifest, code, signing and native
    /// library weaknesses.
    Apk(ApkArgs),
    /// Check targets with nuclei templates (known vulnerabilities, exposures,
    /// misconfigurations).
    Poc(PocArgs),
}

/// `vigil scan poc`.
#[derive(Args)]
pub struct PocArgs {
    /// URLs (`https://host:8443/app`) or `host[:port]`.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// A directory or tar archive of templates (default: the data directory's, from
    /// `vigil templates update`).
    #[arg(long)]
    pub templates: Option<String>,
    /// Only templates with these ids (`*` wildcards allowed), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub id: Vec<String>,
    /// Never templates with these ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exclude_id: Vec<String>,
    /// Only templates with any of these tags, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Never templates with any of these tags, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exclude_tags: Vec<String>,
    /// Only templates of these severities (info, low, medium, high, critical, unknown).
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Templates run at once.
    #[arg(long)]
    pub concurrency: Option<u32>,
    /// Data directory whose `templates/` is the default catalogue.
    #[arg(long, env = "VIGIL_DATA_DIR", default_value = crate::image::DEFAULT_DATA_DIR)]
    pub data_dir: std::path::PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `vigil scan apk`.
#[derive(Args)]
pub struct ApkArgs {
    /// The APK: a file, or an http(s) URL to download.
    pub apk: String,
    /// The MD5 the package must have (it is not scanned otherwise).
    #[arg(long)]
    pub md5: Option<String>,
    /// Data directory whose Exodus tracker database (android/exodus-trackers.json) adds to
    /// the built-in SDK signatures.
    #[arg(long, env = "VIGIL_DATA_DIR", default_value = crate::image::DEFAULT_DATA_DIR)]
    pub data_dir: std::path::PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Scan mode of `vigil scan web`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// 300 pages, depth 5, no time-based tests.
    Normal,
    /// 2,000 pages, depth 10, time-based tests, cookies and headers as injection points.
    Deep,
}

/// `vigil scan web`.
#[derive(Args)]
pub struct WebArgs {
    /// Start URL (http or https).
    pub url: String,
    /// Scan mode.
    #[arg(long, value_enum, default_value = "normal")]
    pub mode: ModeArg,
    /// Cookie header for an authenticated scan (`name=value; other=value`).
    #[arg(long)]
    pub cookie: Option<String>,
    /// Regular expression of URLs never requested (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Most pages to fetch.
    #[arg(long)]
    pub max_pages: Option<usize>,
    /// Only these finding kinds, comma-separated (xss, sqli, sensitive-file, ...).
    #[arg(long, value_delimiter = ',')]
    pub checks: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Output format flag.
#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Aligned text (default on a terminal).
    Table,
    /// The JSON output contract (default otherwise).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// A self-contained HTML page.
    Html,
}

/// Flags shared by every scan.
#[derive(Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Exit with status 1 when a finding of at least this severity is found.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Most probes or requests per second.
    #[arg(long)]
    pub rate: Option<u32>,
    #[command(flatten)]
    pub scope: crate::config::ScopeArgs,
}

/// `vigil scan host`.
#[derive(Args)]
pub struct HostArgs {
    /// Addresses, CIDR ranges or host names.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Ports: top100, top1000, all, or a list like 22,80,8000-8100.
    #[arg(long, default_value = "top1000")]
    pub ports: String,
    /// Scan items, comma-separated: port, weakpass, exposedserver, configrisk.
    #[arg(long, default_value = "port", value_delimiter = ',')]
    pub items: Vec<String>,
    /// Scan every host without checking first that it is up.
    #[arg(long)]
    pub skip_discovery: bool,
    /// Do not identify services on open ports.
    #[arg(long)]
    pub no_service_detection: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Run a scan command; returns the process exit status.
pub async fn run(cmd: ScanCmd) -> Result<i32> {
    match cmd {
        ScanCmd::Image(a) => crate::image::scan_image(a).await,
        ScanCmd::Apk(a) => {
            let source = if a.apk.starts_with("http://") || a.apk.starts_with("https://") {
                ApkSource::Url(a.apk.clone())
            } else {
                let path = std::path::absolute(&a.apk)
                    .with_context(|| format!("cannot use the path {}", a.apk))?;
                anyhow::ensure!(path.is_file(), "{} is not a file", path.display());
                ApkSource::Path(path.to_string_lossy().into_owned())
            };
            let target = encode(&ApkTarget {
                source,
                md5: a.md5.clone(),
                size: None,
            })?;
            let options = encode(&ApkOptions::default())?;
            let engine =
                vigil_engine_apk::ApkEngine::with_data_dir(&a.data_dir).with_context(|| {
                    format!(
                        "cannot read the SDK signatures under {}",
                        a.data_dir.display()
                    )
                })?;
            execute(&engine, &a.common, a.apk.clone(), target, options).await
        }
        ScanCmd::Poc(a) => {
            let target = encode(&PocTarget {
                targets: a.targets.clone(),
            })?;
            let options = PocOptions {
                templates: a.templates.clone(),
                ids: a.id.clone(),
                exclude_ids: a.exclude_id.clone(),
                tags: a.tags.clone(),
                exclude_tags: a.exclude_tags.clone(),
                severities: a.severity.clone(),
                concurrency: a.concurrency,
            };
            vigil_engine_poc::filter_of(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
            let engine = vigil_engine_poc::PocEngine::with_data_dir(&a.data_dir);
            execute(
                &engine,
                &a.common,
                a.targets.join(" "),
                target,
                encode(&options)?,
            )
            .await
        }
        ScanCmd::Host(a) => {
            let items = a
                .items
                .iter()
                .map(|i| {
                    NetItem::parse(i).with_context(|| {
                        format!(
                            "unknown scan item `{i}`; items are {}",
                            NetItem::ALL.map(NetItem::as_str).join(", ")
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            vigil_engine_net::ports::parse(&a.ports)?;
            let target = encode(&NetTarget {
                targets: a.targets.clone(),
            })?;
            let options = encode(&NetOptions {
                ports: a.ports.clone(),
                discovery: !a.skip_discovery,
                service_detection: !a.no_service_detection,
                items,
                ..NetOptions::default()
            })?;
            execute(
                &vigil_engine_net::NetEngine,
                &a.common,
                a.targets.join(" "),
                target,
                options,
            )
            .await
        }
        ScanCmd::Web(a) => {
            let target = encode(&WebTarget {
                url: a.url.clone(),
                login_cookie: a.cookie.clone(),
                ..WebTarget::default()
            })?;
            let mut options = WebOptions {
                mode: match a.mode {
                    ModeArg::Normal => Mode::Normal,
                    ModeArg::Deep => Mode::Deep,
                },
                exclude: a.exclude.clone(),
                max_pages: a.max_pages,
                ..WebOptions::default()
            };
            if !a.checks.is_empty() {
                for c in &a.checks {
                    anyhow::ensure!(
                        vigil_engine_web::catalogue::class(c).is_some(),
                        "unknown check `{c}`; checks are {}",
                        vigil_engine_web::catalogue::CLASSES
                            .iter()
                            .map(|c| c.kind)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                options.checks = Some(a.checks.clone());
            }
            let options = encode(&options)?;
            execute(
                &vigil_engine_web::WebEngine::default(),
                &a.common,
                a.url.clone(),
                target,
                options,
            )
            .await
        }
    }
}

/// A contract type as the engine reads it.
fn encode<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).context("cannot encode the scan's settings")
}

async fn execute(
    engine: &dyn Engine,
    common: &CommonArgs,
    label: String,
    target: serde_json::Value,
    options: serde_json::Value,
) -> Result<i32> {
    let show_progress = std::io::stderr().is_terminal();
    let sink = Arc::new(if show_progress {
        CollectSink::on_progress(|percent| eprint!("\r{percent:>3}%"))
    } else {
        CollectSink::new()
    });
    let cancel = CancellationToken::new();
    let ctx = ScanCtx {
        cancel: cancel.clone(),
        // Bursts would break a web site's requests-per-second promise: requests are spaced.
        rate: Arc::new(RateLimiter::strict(common.rate)),
        scope: Arc::new(ScopeGuard::operator(common.scope.policy()?)),
        sink: sink.clone(),
    };
    let c2 = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c2.cancel();
        }
    });
    let started = chrono::Utc::now();
    // An engine panic (a bug a hostile target can trigger) is a failed scan, reported as one.
    let outcome = vigil_worker::catch_panic(engine.run(&ctx, &target, &options))
        .await
        .unwrap_or_else(|why| Err(EngineError::Failed(format!("engine panicked: {why}"))));
    if show_progress {
        eprint!("\r    \r");
    }
    match outcome {
        Ok(_) => {}
        Err(EngineError::Cancelled) => eprintln!("vigil: scan interrupted; partial results follow"),
        Err(e) => return Err(e).context("scan failed"),
    }
    let (findings, components) = sink.take()?;
    let format = common.format.map(|f| match f {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Html => Format::Html,
    });
    Ok(print_report(
        Run {
            target: label,
            started,
            engine: engine_info(engine),
            components,
            findings,
        },
        format,
        common.fail_on,
    ))
}

/// The kind and version of an engine, as reports name it.
pub(crate) fn engine_info(engine: &dyn Engine) -> EngineInfo {
    EngineInfo {
        kind: engine.kind().to_string(),
        version: engine.version().to_string(),
    }
}

/// What one scan produced, for [`print_report`].
pub(crate) struct Run {
    /// What was scanned, as given.
    pub target: String,
    /// When the scan started.
    pub started: chrono::DateTime<chrono::Utc>,
    /// The engine that ran.
    pub engine: EngineInfo,
    /// Inventory.
    pub components: Vec<vigil_core::Component>,
    /// Findings.
    pub findings: Vec<vigil_core::Finding>,
}

/// Prints the report of a finished scan in `format` (by default a table on a terminal, JSON
/// otherwise) and returns the exit status `fail_on` asks for.
pub(crate) fn print_report(run: Run, format: Option<Format>, fail_on: Option<Severity>) -> i32 {
    let report = ScanReport {
        target: run.target,
        started: run.started,
        finished: chrono::Utc::now(),
        components: run.components,
        findings: run
            .findings
            .into_iter()
            .map(|finding| ReportedFinding {
                finding,
                status: FindingStatus::Open,
            })
            .collect(),
        engine: Some(run.engine),
    };
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let mut text = report.render(format);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    crate::out::print(&text);
    report.exit_status(fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;

    /// Panics like the web engine once did: a slice inside a multi-byte character.
    struct Boom;

    #[async_trait]
    impl Engine for Boom {
        fn kind(&self) -> &'static str {
            "boom"
        }
        fn version(&self) -> &'static str {
            "1"
        }
        async fn run(
            &self,
            _: &ScanCtx,
            target: &serde_json::Value,
            _: &serde_json::Value,
        ) -> Result<Box<dyn vigil_engine::Coverage>, EngineError> {
            let text = target["text"].as_str().unwrap_or_default();
            Err(EngineError::Failed(text[..1].to_string()))
        }
    }

    #[tokio::test]
    async fn an_engine_panic_is_a_scan_error() {
        let common = CommonArgs {
            format: Some(FormatArg::Json),
            fail_on: None,
            rate: None,
            scope: Default::default(),
        };
        let target = serde_json::json!({"text": "İstanbul"});
        let err = execute(&Boom, &common, "x".into(), target, serde_json::json!({}))
            .await
            .expect_err("a panic is an error");
        let msg = format!("{err:#}");
        assert!(msg.starts_with("scan failed: engine panicked: "), "{msg}");
        assert!(msg.contains("byte index 1 is not a char boundary"), "{msg}");
    }
}
