//! The `vigil` binary: `serve` (API, workers, scheduler), `worker` (workers only, for several
//! machines sharing PostgreSQL), `keys`, `migrate` and `actions`. Thin: parsing, configuration
//! and wiring; the work lives in the library crates.

mod config;
mod image;
mod out;
mod scan;
mod templates;
mod trackers;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use config::{Config, StoreArgs};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_engine::Registry;
use vigil_worker::{Worker, WorkerConfig};

#[derive(Parser)]
#[command(
    name = "vigil",
    version,
    about = "Self-hosted security scanning with cloud-compatible APIs"
)]
struct Cli {
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "VIGIL_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the API with in-process workers, the scheduler and the lease rescuer.
    Serve(config::ServeArgs),
    /// Run workers only (several machines can share one PostgreSQL).
    Worker(config::WorkerArgs),
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Scan targets directly and print a report (table, JSON or SARIF).
    Scan {
        #[command(subcommand)]
        cmd: scan::ScanCmd,
    },
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// The vulnerability database: import advisories, update from OSV, show status.
    Db {
        #[command(subcommand)]
        cmd: image::DbCmd,
    },
    /// The templates of the `poc` engine: fetch the latest nuclei-templates, show status.
    Templates {
        #[command(subcommand)]
        cmd: templates::TemplatesCmd,
    },
    /// The image inventory: import images so the TCSS actions see them.
    Image {
        #[command(subcommand)]
        cmd: image::ImageCmd,
    },
    /// List the supported cloud actions and their parameters.
    Actions {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create a new account with a key pair and print it as JSON.
    Create {
        /// Label of the account and key.
        #[arg(long, default_value = "default")]
        name: String,
        /// Add the key to the account with this AppId instead of creating an account.
        #[arg(long)]
        app_id: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List keys (without secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key.
    Revoke {
        /// SecretId to revoke.
        secret_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// Panics are logged like other errors, with where they happened (and a backtrace when
/// `RUST_BACKTRACE` asks for one); the run or command a panic ended reports it as its error.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        let message = vigil_worker::panic_message(info.payload());
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(%location, %message, %backtrace, "panic");
        } else {
            tracing::error!(%location, %message, "panic");
        }
    }));
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // Port scans keep thousands of sockets open: lift the soft open-file limit to the hard one.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    init_logs(cli.log_json);
    log_panics();
    if let Err(e) = run(cli.cmd).await {
        eprintln!("vigil: {e:#}");
        std::process::exit(2);
    }
}

async fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Serve(args) => serve(args).await,
        Cmd::Worker(args) => worker_only(args).await,
        Cmd::Keys { cmd } => keys(cmd).await,
        Cmd::Scan { cmd } => {
            let status = scan::run(cmd).await?;
            if status != 0 {
                std::process::exit(status);
            }
            Ok(())
        }
        Cmd::Db { cmd } => image::db(cmd).await,
        Cmd::Image { cmd } => image::image(cmd).await,
        Cmd::Templates { cmd } => tokio::task::spawn_blocking(move || templates::run(cmd))
            .await
            .context("the templates command failed")?,
        Cmd::Migrate(s) => {
            let store = s.open().await?;
            out::outln!("migrations applied ({:?})", store.backend());
            Ok(())
        }
        Cmd::Actions { json } => {
            let cat = vigil_api::action::catalogue();
            if json {
                out::outln!("{}", serde_json::to_string_pretty(&cat)?);
            } else {
                for a in cat.as_array().into_iter().flatten() {
                    out::outln!(
                        "{:<6} {:<11} {:<28} {}",
                        a["Product"].as_str().unwrap_or(""),
                        a["Version"].as_str().unwrap_or(""),
                        a["Action"].as_str().unwrap_or(""),
                        a["Description"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
    }
}

async fn keys(cmd: KeysCmd) -> Result<()> {
    match cmd {
        KeysCmd::Create {
            name,
            app_id,
            store,
        } => {
            let store = store.open().await?;
            let account = match app_id {
                Some(id) => store
                    .account_by_app_id(id)
                    .await
                    .with_context(|| format!("no account with AppId {id}"))?,
                None => store.create_account(&name).await?,
            };
            let key = store.create_key(&account, &name).await?;
            out::outln!("{}", serde_json::to_string(&key)?);
        }
        KeysCmd::List { store } => {
            let store = store.open().await?;
            for k in store.list_keys().await? {
                out::outln!("{}", serde_json::to_string(&k)?);
            }
        }
        KeysCmd::Revoke { secret_id, store } => {
            let store = store.open().await?;
            store
                .revoke_key(&secret_id)
                .await
                .with_context(|| format!("no active key {secret_id}"))?;
            out::outln!("revoked {secret_id}");
        }
    }
    Ok(())
}

/// The engines this build can run; the image engine is built once and shared. Secrets sealed
/// into tasks (login cookies, registry passwords) are opened with the store's master key. Two
/// engines of one kind are an error: the service does not start.
fn engines(
    image: Arc<vigil_engine_image::ImageEngine>,
    apk: vigil_engine_apk::ApkEngine,
    poc: vigil_engine_poc::PocEngine,
    store: &vigil_store::Store,
) -> Result<Registry, vigil_engine::RegistryError> {
    let mut r = Registry::new();
    r.register(Arc::new(vigil_engine_net::NetEngine))?;
    r.register(Arc::new(vigil_engine_web::WebEngine::with_unseal(unseal(
        store,
    ))))?;
    r.register(image)?;
    r.register(Arc::new(apk))?;
    r.register(Arc::new(poc))?;
    Ok(r)
}

/// Opens what the service sealed into tasks, with the store's master key.
fn unseal(store: &vigil_store::Store) -> vigil_engine::Unseal {
    let secrets = store.secrets().clone();
    Arc::new(move |sealed: &str, purpose: &str| {
        secrets.open(purpose, sealed).map_err(|e| e.to_string())
    })
}

/// The image engine: the data directory's vulnerability database, the built-in content rules,
/// and registry passwords opened with the store's master key.
fn image_engine(
    cfg: &Config,
    store: &vigil_store::Store,
) -> Result<Arc<vigil_engine_image::ImageEngine>> {
    Ok(Arc::new(vigil_engine_image::ImageEngine::new(
        cfg.store.data_dir(),
        image::detector(&[], &[])?,
        Some(unseal(store)),
    )))
}

/// Start `n` workers; each product re-checks scheduled runs of its saved scans through `state`.
fn spawn_workers(
    cfg: &Config,
    state: &Arc<vigil_api::Services>,
    shutdown: &CancellationToken,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let image = image_engine(cfg, &state.store)?;
    let apk = vigil_engine_apk::ApkEngine::with_data_dir(&cfg.store.data_dir())
        .context("reading the SDK signatures of the data directory")?;
    let poc = vigil_engine_poc::PocEngine::with_data_dir(&cfg.store.data_dir());
    let registry = engines(image, apk, poc, &state.store).context("registering engines")?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let workers = (0..cfg.workers)
        .map(|i| {
            let mut wc = WorkerConfig::new(format!("{host}:{}:{i}", std::process::id()));
            wc.lease = cfg.lease;
            wc.heartbeat = cfg.heartbeat;
            wc.max_running_per_account = cfg.max_running_per_account;
            Worker::new(
                state.store.clone(),
                registry.clone(),
                state.scope.clone(),
                wc,
            )
            .with_preflights(vigil_api::product::preflights(state))
            .and_then(|w| w.with_finishers(vigil_api::product::finishers(state)))
            .context("registering preflight checks and finish hooks")
        })
        .collect::<Result<Vec<Worker>>>()?;
    // One hostile target must not stop scanning: an engine panic fails its run, and should the
    // worker loop itself ever die, it is started again.
    Ok(workers
        .into_iter()
        .map(|w| tokio::spawn(Arc::new(w).run_supervised(shutdown.clone())))
        .collect())
}

/// The scheduler loop, started again should it ever die.
fn supervised_scheduler(
    store: &vigil_store::Store,
    shutdown: &CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (store, sd) = (store.clone(), shutdown.clone());
    vigil_worker::supervise(
        "scheduler".into(),
        shutdown.clone(),
        vigil_worker::RESTART_DELAY,
        move || vigil_worker::run_scheduler(store.clone(), Duration::from_secs(1), sd.clone()),
    )
}

/// The lease rescuer loop, started again should it ever die.
fn supervised_rescuer(
    store: &vigil_store::Store,
    cfg: &Config,
    shutdown: &CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (store, sd, tick) = (
        store.clone(),
        shutdown.clone(),
        cfg.lease.min(Duration::from_secs(5)),
    );
    vigil_worker::supervise(
        "lease rescuer".into(),
        shutdown.clone(),
        vigil_worker::RESTART_DELAY,
        move || vigil_worker::run_rescuer(store.clone(), tick, sd.clone()),
    )
}

/// The callback outbox's deliverer (finish webhooks, app scan callbacks), started again should
/// it ever die.
fn supervised_callbacks(
    store: &vigil_store::Store,
    scope: &Arc<vigil_engine::ScopeGuard>,
    shutdown: &CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (store, scope, sd) = (store.clone(), scope.clone(), shutdown.clone());
    vigil_worker::supervise(
        "callbacks".into(),
        shutdown.clone(),
        vigil_worker::RESTART_DELAY,
        move || {
            vigil_worker::run_callbacks(
                store.clone(),
                scope.clone(),
                Duration::from_secs(1),
                sd.clone(),
            )
        },
    )
}

async fn shutdown_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    token.cancel();
                    return;
                }
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    token.cancel();
}

async fn serve(args: config::ServeArgs) -> Result<()> {
    let mut cfg = Config::load(args.run.config.as_deref())?.merge_serve(&args)?;
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let bound = listener.local_addr()?;
    cfg.api.listen = Some(bound);
    if cfg.api.public_url.is_none() && bound.ip().is_unspecified() {
        tracing::warn!(
            "listening on every address without api.public_url: links in answers name the loopback address; set api.public_url"
        );
    }
    let store = cfg.store.open().await?;
    let scope = Arc::new(cfg.scope_guard()?);
    let shutdown = CancellationToken::new();
    let upload_dir = cfg
        .upload_dir
        .clone()
        .unwrap_or_else(|| cfg.store.data_dir().join("uploads"));
    // Stored image sources name the file; workers may run elsewhere in the tree.
    let upload_dir = std::path::absolute(&upload_dir)
        .with_context(|| format!("upload directory {}", upload_dir.display()))?;
    let state = Arc::new(
        vigil_api::AppState::new(store.clone(), scope, cfg.dns()?, cfg.api.clone())
            .with_uploads(vigil_api::upload::Uploads::new(
                upload_dir,
                cfg.max_upload_bytes,
                Arc::new(image::ArchiveImporter),
            ))
            .with_templates(cfg.store.data_dir().join(vigil_engine_poc::TEMPLATES_DIR)),
    );
    let mut tasks = spawn_workers(&cfg, &state.services, &shutdown)?;
    tasks.push(tokio::spawn(supervised_scheduler(&store, &shutdown)));
    tasks.push(tokio::spawn(supervised_rescuer(&store, &cfg, &shutdown)));
    tasks.push(tokio::spawn(supervised_callbacks(
        &store,
        &state.services.scope,
        &shutdown,
    )));
    tracing::info!(addr = %listener.local_addr()?, backend = ?store.backend(), workers = cfg.workers, "vigil serving");
    tokio::spawn(shutdown_signal(shutdown.clone()));
    let sd = shutdown.clone();
    let header_timeout = cfg.api.header_read_timeout;
    vigil_api::server::serve(
        listener,
        vigil_api::app(state),
        header_timeout,
        async move { sd.cancelled().await },
    )
    .await;
    for t in tasks {
        let _ = t.await;
    }
    store.close().await;
    Ok(())
}

async fn worker_only(args: config::WorkerArgs) -> Result<()> {
    let cfg = Config::load(args.config.as_deref())?.merge_worker(&args)?;
    if cfg.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let store = cfg.store.open().await?;
    let scope = Arc::new(cfg.scope_guard()?);
    let shutdown = CancellationToken::new();
    // Workers need what the products' preflights work with, not the gateway.
    let state = Arc::new(
        vigil_api::Services::new(store.clone(), scope, cfg.dns()?, cfg.api.clone())
            .with_templates(cfg.store.data_dir().join(vigil_engine_poc::TEMPLATES_DIR)),
    );
    let mut tasks = spawn_workers(&cfg, &state, &shutdown)?;
    tasks.push(tokio::spawn(supervised_rescuer(&store, &cfg, &shutdown)));
    tasks.push(tokio::spawn(supervised_callbacks(
        &store,
        &state.scope,
        &shutdown,
    )));
    tracing::info!(workers = cfg.workers, "vigil workers running");
    shutdown_signal(shutdown.clone()).await;
    for t in tasks {
        let _ = t.await;
    }
    store.close().await;
    Ok(())
}
