//! SQLite: the embedded default. One file in the data directory, WAL, and
//! `synchronous=FULL` on every pooled connection, so that a committed (and so
//! acknowledged) report survives power loss. `secure_delete=FAST` zeroes
//! deleted content where that costs no extra I/O; where freed pages must hold
//! nothing (after sealing a plaintext store, after a key rotation) `compact`
//! rewrites the whole file with VACUUM and truncates the WAL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::impl_sql_store;
use super::{Result, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // Zero deleted content where it costs no I/O; `compact` does the rest.
            .pragma("secure_delete", "FAST")
            .pragma("cache_size", "-65536")
            // Checkpoints run in the background (below), not inside the
            // intake writer's commits.
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", "67108864")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await?;
        tokio::spawn(checkpointer(pool.clone()));
        Ok(SqliteStore { pool })
    }

    /// The pool, for tests that inspect connections.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }
}

impl_sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    "",
    ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
);

/// Copies the WAL back into the database file every 100 ms, on its own
/// connection, so the intake writer's commits never pay for a checkpoint. A
/// passive checkpoint never blocks writers or readers; it ends when the pool is
/// closed.
async fn checkpointer(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed; will try again.");
        }
    }
}

super::stats_sql::impl_stats_sql!(SqliteStore, sqlx::Sqlite, "sqlite", true);
