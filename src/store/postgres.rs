//! PostgreSQL: for operators who outgrow one machine. Several daemons may share
//! one database; queue leases use `FOR UPDATE SKIP LOCKED` so they never hand the
//! same item to two agency consumers at once.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::sql::{first_of_each, impl_sql_store, repeat_outcome};
use super::{IntakeOutcome, NewReport, Result, StoreError};

pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// Nothing to ready: deduplication is the unique index.
    async fn warm_up_here(&self) -> Result<()> {
        Ok(())
    }

    /// Commits an intake batch. Several daemons may share the database, so
    /// the unique index on (channel, dedupe_key) decides who claims a key:
    /// claimed first, in the same transaction as the reports.
    async fn commit_intake_here(&self, batch: &[&NewReport]) -> Result<Vec<IntakeOutcome>> {
        let (candidates, first) = first_of_each(batch);
        let mut tx = self.pool.begin().await?;
        let keyed: Vec<&NewReport> = candidates.iter().map(|&i| batch[i]).collect();
        let mut claimed: HashSet<i64> = HashSet::new();
        for chunk in keyed.chunks(500) {
            let mut q = message_keys_insert(chunk);
            q.push(" ON CONFLICT (channel, dedupe_key) DO NOTHING RETURNING report_id");
            let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
            claimed.extend(ids);
        }
        let new: Vec<&NewReport> = keyed
            .into_iter()
            .filter(|r| claimed.contains(&r.id))
            .collect();
        insert_reports(&mut tx, &new).await?;
        // Everything not newly claimed: what the key already holds.
        let mut holders: HashMap<usize, (String, Option<Vec<u8>>)> = HashMap::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            let f = first[&(r.channel.as_str(), r.dedupe_key.as_slice())];
            if f == i && claimed.contains(&r.id) {
                outcomes.push(IntakeOutcome::Created);
                continue;
            }
            if let Entry::Vacant(slot) = holders.entry(f) {
                let row: Option<(String, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT r.tracking_id, k.fingerprint FROM message_keys k \
                     JOIN reports r ON r.id = k.report_id \
                     WHERE k.channel = $1 AND k.dedupe_key = $2",
                )
                .bind(&r.channel)
                .bind(&r.dedupe_key)
                .fetch_optional(&mut *tx)
                .await?;
                let row = row.ok_or_else(|| {
                    StoreError::Corrupt("a message key without its report".into())
                })?;
                slot.insert(row);
            }
            outcomes.push(repeat_outcome(r, &holders[&f]));
        }
        tx.commit().await?;
        Ok(outcomes)
    }
}

impl_sql_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "FOR UPDATE SKIP LOCKED",
    [
        "VACUUM FULL reports",
        "VACUUM FULL reporters",
        "VACUUM FULL message_keys"
    ]
);

super::stats_sql::impl_stats_sql!(PgStore, sqlx::Postgres, "postgres", false);
