//! SQLite: the embedded default. One file in the data directory, WAL, and
//! `synchronous=FULL` on every pooled connection, so that a committed (and so
//! acknowledged) report survives power loss. `secure_delete=FAST` zeroes
//! deleted content where that costs no extra I/O; where freed pages must hold
//! nothing (after sealing a plaintext store, after a key rotation) `compact`
//! rewrites the whole file with VACUUM and truncates the WAL.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::SqlitePool;

use super::keydir::KeyDir;
use super::sql::{first_of_each, impl_sql_store, repeat_outcome};
use super::{IntakeOutcome, NewReport, Result, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
    /// The deduplication lookup (see `keydir`); its lock also orders this
    /// process's intake transactions.
    keydir: tokio::sync::Mutex<KeyDir>,
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
        Ok(SqliteStore {
            pool,
            keydir: Default::default(),
        })
    }

    /// The pool, for tests that inspect connections.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// The key directory, read from the store the first time (outside the
    /// write lock: everything committed so far).
    async fn key_directory(&self) -> Result<tokio::sync::MutexGuard<'_, KeyDir>> {
        let mut dir = self.keydir.lock().await;
        if !dir.loaded {
            let started = std::time::Instant::now();
            let mut conn = self.pool.acquire().await?;
            catch_up(&mut conn, &mut dir).await?;
            dir.loaded = true;
            tracing::info!(
                keys = dir.len(),
                ms = started.elapsed().as_millis() as u64,
                "Read the deduplication keys into memory."
            );
        }
        Ok(dir)
    }

    async fn warm_up_here(&self) -> Result<()> {
        self.key_directory().await.map(drop)
    }

    /// Commits an intake batch, deduplicating through the key directory
    /// (`keydir`): `message_keys` is appended to in insertion order, and which
    /// report holds a key is looked up in memory, confirmed against the table.
    async fn commit_intake_here(&self, batch: &[&NewReport]) -> Result<Vec<IntakeOutcome>> {
        let mut dir = self.key_directory().await?;
        // The write lock first, so that nobody appends keys between the
        // catch-up (normally nothing: only another process appends) and this
        // batch's own.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        catch_up(&mut tx, &mut dir).await?;
        let (candidates, first) = first_of_each(batch);
        // Keys already held: (tracking id, fingerprint) by batch index.
        let mut holders: HashMap<usize, (String, Option<Vec<u8>>)> = HashMap::new();
        for &i in &candidates {
            let r = batch[i];
            for report in dir.holders(KeyDir::hash(&r.channel, &r.dedupe_key)) {
                let row: Option<HeldKey> = sqlx::query_as(
                    "SELECT k.channel, k.dedupe_key, k.fingerprint, r.tracking_id FROM message_keys k \
                     JOIN reports r ON r.id = k.report_id WHERE k.report_id = $1",
                )
                .bind(report)
                .fetch_optional(&mut *tx)
                .await?;
                let (channel, key, fingerprint, tracking_id) = row.ok_or_else(|| {
                    StoreError::Corrupt("a message key without its report".into())
                })?;
                if channel == r.channel && key == r.dedupe_key {
                    holders.insert(i, (tracking_id, fingerprint));
                    break;
                }
            }
        }
        let new: Vec<&NewReport> = candidates
            .iter()
            .filter(|i| !holders.contains_key(i))
            .map(|&i| batch[i])
            .collect();
        let mut filed = Vec::with_capacity(new.len());
        for chunk in new.chunks(500) {
            let mut q = message_keys_insert(chunk);
            q.push(" RETURNING id, report_id");
            let ids: Vec<(i64, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
            filed.extend(ids);
        }
        insert_reports(&mut tx, &new).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            let f = first[&(r.channel.as_str(), r.dedupe_key.as_slice())];
            outcomes.push(match holders.get(&f) {
                Some(holder) => repeat_outcome(r, holder),
                None if f == i => IntakeOutcome::Created,
                None => repeat_outcome(
                    r,
                    &(batch[f].tracking_id.clone(), batch[f].fingerprint.clone()),
                ),
            });
        }
        tx.commit().await?;
        let by_report: HashMap<i64, &NewReport> = new.iter().map(|r| (r.id, *r)).collect();
        for (id, report) in filed {
            let r = by_report[&report];
            dir.add(id, KeyDir::hash(&r.channel, &r.dedupe_key), report);
        }
        Ok(outcomes)
    }
}

/// A stored message key: channel, key, fingerprint, and its report's tracking ID.
type HeldKey = (String, Vec<u8>, Option<Vec<u8>>, String);

/// Files the keys appended to `message_keys` since the directory last looked.
async fn catch_up(conn: &mut SqliteConnection, dir: &mut KeyDir) -> Result<()> {
    loop {
        let rows: Vec<(i64, String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, channel, dedupe_key, report_id FROM message_keys \
             WHERE id > $1 ORDER BY id LIMIT 10000",
        )
        .bind(dir.seen)
        .fetch_all(&mut *conn)
        .await?;
        let done = rows.len() < 10000;
        for (id, channel, key, report) in rows {
            dir.add(id, KeyDir::hash(&channel, &key), report);
        }
        if done {
            return Ok(());
        }
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
