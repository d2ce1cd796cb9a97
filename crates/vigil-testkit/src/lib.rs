//! Helpers for Vigil's test suites (never a dependency of product code): a fresh, empty
//! database on every available backend — SQLite always, PostgreSQL when
//! `VIGIL_TEST_POSTGRES_URL` names a server (`scripts/test` starts one; required when `CI` is
//! set) — scratch directories, a fixed master key, a sink that collects what an engine
//! sends ([`engine`]), server processes stopped with their whole process group ([`daemon`]), dnsmasq
//! answering for `example.test` ([`dnsmasq`]), a real container registry ([`registry`]), the deliberately vulnerable test web application
//! ([`webapp`]) and golden files regenerated with `UPDATE_GOLDEN=1` ([`golden`]).

pub mod daemon;
pub mod dnsmasq;
pub mod engine;
pub mod golden;
pub mod registry;
pub mod webapp;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use vigil_store::SecretBox;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fixed test master key.
pub fn secrets() -> SecretBox {
    SecretBox::from_hex(&"ab".repeat(32)).expect("valid test key")
}

/// An empty scratch directory unique to this process and call.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("vigil-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// The URL of a fresh SQLite database.
pub fn sqlite_url(tag: &str) -> String {
    vigil_store::sqlite_url_for_dir(&scratch_dir(tag))
}

/// URLs of fresh, empty databases: SQLite, and PostgreSQL when a test server is configured.
pub async fn database_urls(tag: &str) -> Vec<String> {
    let mut urls = vec![sqlite_url(tag)];
    match std::env::var("VIGIL_TEST_POSTGRES_URL") {
        Ok(admin) => urls.push(fresh_postgres(&admin, tag).await),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("VIGIL_TEST_POSTGRES_URL must be set in CI (scripts/test starts PostgreSQL)")
        }
        Err(_) => eprintln!("note: VIGIL_TEST_POSTGRES_URL not set; PostgreSQL variant skipped"),
    }
    urls
}

async fn fresh_postgres(admin: &str, tag: &str) -> String {
    sqlx::any::install_default_drivers();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    // Unquoted identifiers: letters, digits and underscores only.
    let tag: String = tag
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name = format!("vigil_{tag}_{}_{n}", std::process::id());
    let pool = sqlx::AnyPool::connect(admin)
        .await
        .expect("connect to test PostgreSQL");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(&sql)
            .execute(&pool)
            .await
            .expect("create test database");
    }
    pool.close().await;
    let base = admin.rsplit_once('/').expect("URL with a database name").0;
    format!("{base}/{name}")
}
