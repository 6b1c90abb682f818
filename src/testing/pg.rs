//! A fresh PostgreSQL database per test, so tests run in parallel.
//!
//! The server is `LAPORD_TEST_PG` (default postgres://postgres@127.0.0.1:5432/postgres).
//! Without a server the test is skipped with a message, or fails under CI.

use sqlx::Connection;

pub struct FreshDb {
    pub url: String,
    name: String,
    admin: String,
}

fn admin_url() -> String {
    std::env::var("LAPORD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl FreshDb {
    /// Creates `lapord_t_<random>`; `None` (after saying why) when there is no
    /// server and not under CI.
    pub async fn create() -> Option<FreshDb> {
        let admin = admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if super::in_ci() {
                    panic!("PostgreSQL is required under CI ({admin}): {e}");
                }
                eprintln!("SKIPPED: no PostgreSQL at {admin}: {e}");
                return None;
            }
        };
        let name = format!("lapord_t_{}", hex::encode(rand::random::<[u8; 6]>()));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(FreshDb {
            url: format!("{base}/{name}"),
            name,
            admin,
        })
    }

    pub async fn drop(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}
