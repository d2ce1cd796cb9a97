//! Numbered migrations, one SQL file per backend per number, applied in order at start and
//! recorded in `schema_migrations`.

use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;

/// (version, SQLite SQL, PostgreSQL SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        include_str!("../migrations/sqlite/0002_components.sql"),
        include_str!("../migrations/postgres/0002_components.sql"),
    ),
    (
        3,
        include_str!("../migrations/sqlite/0003_jobs.sql"),
        include_str!("../migrations/postgres/0003_jobs.sql"),
    ),
    (
        4,
        include_str!("../migrations/sqlite/0004_settings.sql"),
        include_str!("../migrations/postgres/0004_settings.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_images.sql"),
        include_str!("../migrations/postgres/0005_images.sql"),
    ),
    (
        6,
        include_str!("../migrations/sqlite/0006_exports.sql"),
        include_str!("../migrations/postgres/0006_exports.sql"),
    ),
    (
        7,
        include_str!("../migrations/sqlite/0007_fairness.sql"),
        include_str!("../migrations/postgres/0007_fairness.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_finding_facts.sql"),
        include_str!("../migrations/postgres/0008_finding_facts.sql"),
    ),
    (
        9,
        include_str!("../migrations/sqlite/0009_attempt_engine.sql"),
        include_str!("../migrations/postgres/0009_attempt_engine.sql"),
    ),
    (
        10,
        include_str!("../migrations/sqlite/0010_scan_groups.sql"),
        include_str!("../migrations/postgres/0010_scan_groups.sql"),
    ),
    (
        11,
        include_str!("../migrations/sqlite/0011_callbacks.sql"),
        include_str!("../migrations/postgres/0011_callbacks.sql"),
    ),
    (
        12,
        include_str!("../migrations/sqlite/0012_component_detail.sql"),
        include_str!("../migrations/postgres/0012_component_detail.sql"),
    ),
];

/// Apply every migration not yet recorded, up to `last` (all of them without).
pub(crate) async fn run(store: &Store, last: Option<i64>) -> Result<()> {
    for (version, sqlite, pg) in MIGRATIONS {
        if last.is_some_and(|l| *version > l) {
            break;
        }
        let sql = match store.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => pg,
        };
        let mut tx = store.pool.begin().await?;
        if store.backend == Backend::Postgres {
            // Serialise concurrent starts of several processes on one database.
            sqlx::query("SELECT pg_advisory_xact_lock(7361236)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = $1")
            .bind(*version)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("n")?;
        if done > 0 {
            tx.commit().await?;
            continue;
        }
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(stmt)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: *version,
                    source,
                })?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(store.now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}
