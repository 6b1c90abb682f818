//! PostgreSQL: for operators who outgrow one machine. Several daemons may share
//! one database; queue leases use `FOR UPDATE SKIP LOCKED` so they never hand the
//! same item to two agency consumers at once.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::sql::impl_sql_store;
use super::Result;

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
