//! Configuration: command-line flags, `VIGIL_*` environment variables and an optional TOML
//! file, merged with flags winning over the file.

use anyhow::{Context, Result};
use clap::Args;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use vigil_engine::{ScopeGuard, ScopePolicy, ScopeRule};
use vigil_store::{SecretBox, Store};

/// Where the data lives.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// Data directory for the SQLite database and the master key file.
    #[arg(long, env = "VIGIL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://...) or SQLite URL instead of the data directory's database.
    #[arg(long, env = "VIGIL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Master key file (default: DATA_DIR/master.key); VIGIL_MASTER_KEY (64 hex) takes precedence.
    #[arg(long, env = "VIGIL_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The data directory (default `vigil-data`).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("vigil-data"))
    }

    /// Open the store, creating the data directory and key file as needed.
    pub async fn open(&self) -> Result<Store> {
        if let Some(url) = &self.database_url {
            // Refuse a wrong URL before creating or reading anything.
            Store::backend_of(url)?;
        }
        let dir = self.data_dir();
        let needs_dir = self.database_url.is_none()
            || (self.key_file.is_none() && std::env::var("VIGIL_MASTER_KEY").is_err());
        if needs_dir {
            vigil_store::private::private_dir(&dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        }
        let secrets = match std::env::var("VIGIL_MASTER_KEY") {
            Ok(hex) => SecretBox::from_hex(&hex).context("VIGIL_MASTER_KEY")?,
            Err(_) => {
                let path = self
                    .key_file
                    .clone()
                    .unwrap_or_else(|| dir.join("master.key"));
                SecretBox::load_or_create(&path)?
            }
        };
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| vigil_store::sqlite_url_for_dir(&dir));
        let store = Store::open(&url, secrets).await?;
        if self.database_url.is_none() {
            for name in ["vigil.db", "vigil.db-wal", "vigil.db-shm"] {
                let path = dir.join(name);
                vigil_store::private::private_file(&path)
                    .with_context(|| format!("cannot make {} private", path.display()))?;
            }
        }
        Ok(store)
    }
}

/// The operator's scope flags, shared by `serve`, `worker` and `scan`.
#[derive(Args, Debug, Clone, Default)]
pub struct ScopeArgs {
    /// Allowed scope (CIDR, address or domain); repeatable. With any, only these are reachable.
    #[arg(long = "scope-allow", value_name = "CIDR|DOMAIN")]
    pub allow: Vec<String>,
    /// Denied scope; repeatable; wins over allow.
    #[arg(long = "scope-deny", value_name = "CIDR|DOMAIN")]
    pub deny: Vec<String>,
}

impl ScopeArgs {
    /// Add another set of rules (e.g. the config file's).
    pub fn extend(&mut self, other: &ScopeArgs) {
        self.allow.extend(other.allow.iter().cloned());
        self.deny.extend(other.deny.iter().cloned());
    }

    /// The parsed policy.
    pub fn policy(&self) -> Result<ScopePolicy> {
        let parse = |v: &[String]| -> Result<Vec<ScopeRule>> {
            v.iter()
                .map(|s| {
                    s.parse::<ScopeRule>()
                        .map_err(|e| anyhow::anyhow!("invalid scope rule: {e}"))
                })
                .collect()
        };
        Ok(ScopePolicy {
            allow: parse(&self.allow)?,
            deny: parse(&self.deny)?,
        })
    }
}

/// Flags of `vigil worker`, also part of `vigil serve`.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Workers in this process.
    #[arg(long, env = "VIGIL_WORKERS")]
    pub workers: Option<usize>,
    /// TOML configuration file.
    #[arg(long, env = "VIGIL_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// DNS server (IP:PORT) for host names and TXT ownership proofs, instead of the system's.
    #[arg(long, env = "VIGIL_DNS_SERVER")]
    pub dns_server: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Flags of `vigil serve`: the worker flags plus the API's.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VIGIL_LISTEN")]
    pub listen: Option<String>,
    /// API requests per second per account per action.
    #[arg(long, env = "VIGIL_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    #[command(flatten)]
    pub run: WorkerArgs,
}

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<String>,
    workers: Option<usize>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    key_file: Option<PathBuf>,
    dns_server: Option<std::net::SocketAddr>,
    #[serde(default)]
    scope: FileScope,
    #[serde(default)]
    api: FileApi,
    #[serde(default)]
    worker: FileWorker,
}

/// `[worker]`: how long a claimed task stays a worker's without a heartbeat, and how many
/// tasks of one account may run at once.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWorker {
    lease_secs: Option<f64>,
    heartbeat_secs: Option<f64>,
    max_running_per_account: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScope {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApi {
    rate_per_second: Option<u32>,
    #[serde(default)]
    rate_overrides: HashMap<String, u32>,
    max_body_bytes: Option<usize>,
    header_read_timeout_secs: Option<u64>,
    body_read_timeout_secs: Option<u64>,
    scan_quota: Option<i64>,
    max_sites: Option<i64>,
    max_assets: Option<i64>,
    public_url: Option<String>,
    link_ttl_secs: Option<u64>,
    plan_time_zone: Option<String>,
    min_plan_interval_secs: Option<u64>,
    upload_dir: Option<PathBuf>,
    max_upload_bytes: Option<u64>,
}

/// Effective configuration.
pub struct Config {
    pub listen: String,
    pub workers: usize,
    pub store: StoreArgs,
    pub api: vigil_api::ApiConfig,
    pub dns_server: Option<std::net::SocketAddr>,
    /// A task's lease: a worker that dies holding one gives the task up after this long.
    pub lease: std::time::Duration,
    /// How often a worker renews its lease (and reports progress).
    pub heartbeat: std::time::Duration,
    /// Most tasks of one account running at once over every worker (0: no cap).
    pub max_running_per_account: i64,
    /// Directory of uploaded image archives (default DATA_DIR/uploads); shared by every
    /// process that runs image tasks.
    pub upload_dir: Option<PathBuf>,
    /// Largest image archive `PUT /upload/tcss/images` accepts.
    pub max_upload_bytes: u64,
    scope: ScopeArgs,
}

impl Config {
    /// Read the TOML file, if any.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let file: FileConfig = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid configuration in {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let mut api = vigil_api::ApiConfig::default();
        if let Some(r) = file.api.rate_per_second {
            api.rate_per_second = r;
        }
        api.rate_overrides = file.api.rate_overrides.clone();
        if let Some(b) = file.api.max_body_bytes {
            api.max_body_bytes = b;
        }
        if let Some(t) = file.api.header_read_timeout_secs {
            anyhow::ensure!(t > 0, "api.header_read_timeout_secs must be at least 1");
            api.header_read_timeout = std::time::Duration::from_secs(t);
        }
        if let Some(t) = file.api.body_read_timeout_secs {
            anyhow::ensure!(t > 0, "api.body_read_timeout_secs must be at least 1");
            api.body_read_timeout = std::time::Duration::from_secs(t);
        }
        if let Some(q) = file.api.scan_quota {
            api.scan_quota = q;
        }
        if let Some(m) = file.api.max_sites {
            api.max_sites = m;
        }
        if let Some(m) = file.api.max_assets {
            api.max_assets = m;
        }
        if let Some(u) = &file.api.public_url {
            let parsed =
                url::Url::parse(u).with_context(|| format!("api.public_url `{u}` is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "api.public_url `{u}` must be an http or https URL"
            );
            api.public_url = Some(u.clone());
        }
        if let Some(tz) = &file.api.plan_time_zone {
            let probe = vigil_core::Schedule {
                time_zone: tz.clone(),
                ..vigil_core::Schedule::new(vigil_core::Trigger::Cron {
                    expr: "0 0 * * *".into(),
                })
            };
            probe
                .validate()
                .with_context(|| format!("api.plan_time_zone `{tz}`"))?;
            api.plan_time_zone = tz.clone();
        }
        if let Some(m) = file.api.min_plan_interval_secs {
            api.min_plan_interval = std::time::Duration::from_secs(m);
        }
        if let Some(t) = file.api.link_ttl_secs {
            anyhow::ensure!(t > 0, "api.link_ttl_secs must be positive");
            api.link_ttl = std::time::Duration::from_secs(t);
        }
        let secs = |v: Option<f64>, default: f64, name: &str| -> Result<std::time::Duration> {
            let v = v.unwrap_or(default);
            anyhow::ensure!(
                v.is_finite() && (0.05..=86_400.0).contains(&v),
                "worker.{name} must be between 0.05 and 86400 seconds"
            );
            Ok(std::time::Duration::from_secs_f64(v))
        };
        let lease = secs(file.worker.lease_secs, 30.0, "lease_secs")?;
        let heartbeat = secs(file.worker.heartbeat_secs, 5.0, "heartbeat_secs")?;
        anyhow::ensure!(
            heartbeat * 3 <= lease,
            "worker.heartbeat_secs must be at most a third of worker.lease_secs"
        );
        let max_running_per_account = file.worker.max_running_per_account.unwrap_or(8);
        anyhow::ensure!(
            max_running_per_account >= 0,
            "worker.max_running_per_account must be 0 (no cap) or more"
        );
        let max_upload_bytes = file.api.max_upload_bytes.unwrap_or(2 << 30);
        anyhow::ensure!(
            max_upload_bytes > 0,
            "api.max_upload_bytes must be positive"
        );
        Ok(Config {
            lease,
            heartbeat,
            max_running_per_account,
            upload_dir: file.api.upload_dir.clone(),
            max_upload_bytes,
            listen: file
                .listen
                .clone()
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            workers: file.workers.unwrap_or(2),
            store: StoreArgs {
                data_dir: file.data_dir.clone(),
                database_url: file.database_url.clone(),
                key_file: file.key_file.clone(),
            },
            api,
            dns_server: file.dns_server,
            scope: ScopeArgs {
                allow: file.scope.allow.clone(),
                deny: file.scope.deny.clone(),
            },
        })
    }

    fn merge_store(&mut self, s: &StoreArgs) {
        if s.data_dir.is_some() {
            self.store.data_dir = s.data_dir.clone();
        }
        if s.database_url.is_some() {
            self.store.database_url = s.database_url.clone();
        }
        if s.key_file.is_some() {
            self.store.key_file = s.key_file.clone();
        }
    }

    /// Apply `serve` flags.
    pub fn merge_serve(self, a: &ServeArgs) -> Result<Self> {
        let mut c = self.merge_worker(&a.run)?;
        if let Some(l) = &a.listen {
            c.listen = l.clone();
        }
        if let Some(r) = a.rate_limit {
            c.api.rate_per_second = r;
        }
        Ok(c)
    }

    /// Apply `worker` flags.
    pub fn merge_worker(mut self, a: &WorkerArgs) -> Result<Self> {
        if let Some(w) = a.workers {
            self.workers = w;
        }
        if a.dns_server.is_some() {
            self.dns_server = a.dns_server;
        }
        self.scope.extend(&a.scope);
        self.merge_store(&a.store);
        Ok(self)
    }

    /// The DNS client: the configured server, else the system configuration.
    pub fn dns(&self) -> Result<std::sync::Arc<vigil_engine::Dns>> {
        Ok(std::sync::Arc::new(vigil_engine::Dns::new(
            self.dns_server,
        )?))
    }

    /// The scope guard from allow and deny rules; names resolve through the configured DNS
    /// server when there is one.
    pub fn scope_guard(&self) -> Result<ScopeGuard> {
        let guard = ScopeGuard::new(self.scope.policy()?);
        Ok(match self.dns_server {
            Some(_) => guard.with_dns(self.dns()?),
            None => guard,
        })
    }
}
