//! Vigil's persistence: one [`Store`] over SQLite (default, WAL) or PostgreSQL with the same
//! numbered migrations for each, secrets encrypted at rest, and the durable task queue (claims
//! with leases and heartbeats, `FOR UPDATE SKIP LOCKED` on PostgreSQL, a rescuer for expired
//! leases, retries). Every query that touches account data takes the account id, so one
//! account can never reach another's rows. Every "now" the store takes itself (timestamps,
//! lease expiry, retry times, deadlines) comes from its [`vigil_core::Clock`], the system clock
//! unless [`Store::with_clock`] gives another, so tests move a manual clock past a lease or a
//! deadline instead of sleeping; methods that take a time (`fire_due_schedules`, export
//! expiry, `expire_image_scans`) use the one they are given.

mod accounts;
mod assets;
mod audit;
mod callbacks;
mod error;
mod exports;
mod findings;
mod groups;
mod image_scans;
mod images;
mod jobs;
mod migrate;
mod nonces;
pub mod private;
mod queue;
mod schedules;
mod secrets;
mod settings;
mod sites;

pub use accounts::{Account, ApiKeyInfo, Credential, NewKey};
pub use assets::Asset;
pub use callbacks::{Accept, Callback, CallbackState, NewCallback};
pub use error::StoreError;
pub use exports::{Export, NewExport};
pub use findings::StoredFinding;
pub use groups::{
    GroupItem, GroupOrigin, NewGroupItem, NewScanGroup, ScanGroup, StopReason, Subjects,
};
pub use image_scans::{ImageScanState, ScanSummary, IMAGE_SCAN_PRODUCT};
pub use images::{
    is_image_id, ImageRow, ImageSet, NewImage, NewRegistry, RegistryRow, SealedSecret,
};
pub use jobs::{Job, JobPlan};
pub use queue::{Attempt, Lease, NewTask, TaskRecord, TaskStats};
pub use schedules::ScheduleRecord;
pub use secrets::SecretBox;
pub use settings::Setting;
pub use sites::{NewSite, Site, SiteFilter, SiteUpdate, Verification};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::Path;
use std::time::Duration;
use vigil_core::{Millis, SharedClock, SystemClock};

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a store talks to; the few dialect differences switch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    secrets: SecretBox,
    clock: SharedClock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("clock", &self.clock)
            .finish()
    }
}

/// The SQLite URL for the default database file inside a data directory.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("vigil.db").display())
}

impl Store {
    /// The backend a database URL names, or an error for any other URL.
    pub fn backend_of(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL scheme in `{}` (use sqlite:// or postgres://)",
                redact_url(url)
            )))
        }
    }

    /// Connect to `url` (`sqlite://...` or `postgres://...`), apply pending migrations, and use
    /// `secrets` to encrypt secret columns. The store reads the system clock; see
    /// [`Store::with_clock`].
    pub async fn open(url: &str, secrets: SecretBox) -> Result<Self> {
        Self::open_until(url, secrets, None).await
    }

    /// [`Store::open`] with the migrations applied only up to `last`, for tests that write
    /// data as an older version did and then open the store again to migrate it. The store
    /// returned expects the newest schema: use it only to write what that older schema has.
    #[doc(hidden)]
    pub async fn open_migrated_to(url: &str, secrets: SecretBox, last: i64) -> Result<Self> {
        Self::open_until(url, secrets, Some(last)).await
    }

    async fn open_until(url: &str, secrets: SecretBox, last: Option<i64>) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Self::backend_of(url)?;
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        opts = match backend {
            Backend::Sqlite => opts.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode=WAL",
                        "PRAGMA busy_timeout=10000",
                        "PRAGMA foreign_keys=ON",
                        "PRAGMA synchronous=NORMAL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            }),
            Backend::Postgres => opts.max_connections(10),
        };
        let pool = opts.connect(url).await.map_err(|e| {
            StoreError::Config(format!("cannot open database {}: {e}", redact_url(url)))
        })?;
        let store = Store {
            pool,
            backend,
            secrets,
            clock: SystemClock::shared(),
        };
        migrate::run(&store, last).await?;
        Ok(store)
    }

    /// This store (and its clones made from now on) reading the time from `clock`: lease
    /// expiry, `run_after`, retry backoff, schedule firing, deadlines and every timestamp
    /// written. Workers and the scheduler using this store read the same clock.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock this store reads.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The current time by this store's clock, in milliseconds since the Unix epoch.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// The master-key holder (encryption and link tags).
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Number of tasks waiting to run (queued or paused), for metrics.
    pub async fn queue_depth(&self) -> Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM tasks WHERE state IN ('queued', 'paused')")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}

/// Hide the password in a database URL before it goes into a message.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

fn opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

fn opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}
