//! The statistics' SQL (`crate::stats::StatsStore`), shared by both backends
//! like `sql.rs`: the macro expands to one implementation per store. The
//! backends differ in whether an event id gap can still fill (`$gaps_final`:
//! never on SQLite, whose single writer hands out ids in commit order; on
//! PostgreSQL a settle waits for the writers of `events`, [`SETTLE_WAIT`]).

/// Bind parameters per statement, below SQLite's limit (32,766).
pub(crate) const MAX_PARAMS: usize = 30_000;

/// PostgreSQL: a transaction that has taken an id from the events sequence
/// holds ROW EXCLUSIVE on `events` until it ends, so once SHARE is granted
/// every such transaction has committed or rolled back. If that takes longer
/// than the timeout (a long transaction), the settle gives up and the indexer
/// tries again on its next round; writers queue behind the request meanwhile,
/// hence the short timeout.
pub(crate) const SETTLE_WAIT: &[&str] = &[
    "SET LOCAL lock_timeout = '200ms'",
    "LOCK TABLE events IN SHARE MODE",
];

/// Counters are increments, added to what is stored.
pub(crate) const COUNTERS_ADD: &str = concat!(
    " ON CONFLICT (bucket, dim, code) DO UPDATE SET received = stats_counts.received + excluded.received, ",
    "forwarded = stats_counts.forwarded + excluded.forwarded, closed = stats_counts.closed + excluded.closed, ",
    "rejected = stats_counts.rejected + excluded.rejected, archived = stats_counts.archived + excluded.archived, ",
    "overdue = stats_counts.overdue + excluded.overdue, deadlines = stats_counts.deadlines + excluded.deadlines, ",
    "on_time = stats_counts.on_time + excluded.on_time"
);

/// Histograms come whole (merged by the indexer) and replace what is stored.
pub(crate) const HISTOGRAMS_SET: &str =
    ", first_response_wd = excluded.first_response_wd, close_wd = excluded.close_wd";

macro_rules! impl_stats_sql {
    ($Store:ident, $DB:ty, $backend:literal, $gaps_final:literal) => {
        #[async_trait::async_trait]
        impl $crate::stats::StatsStore for $Store {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn gaps_final(&self) -> bool {
                $gaps_final
            }

            async fn stats_cursor(&self) -> $crate::store::Result<i64> {
                Ok(sqlx::query_scalar("SELECT last_id FROM stats_cursor WHERE name = 'events'")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn stats_events(&self, after: i64, limit: i64) -> $crate::store::Result<Vec<$crate::stats::RawEvent>> {
                let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
                    "SELECT id, report_id, at, action, CASE WHEN action IN ('diteruskan', 'dilimpahkan', \
                     'tanggapan', 'terlambat', 'selesai') THEN detail ELSE '' END \
                     FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, report_id, at, action, detail)| $crate::stats::RawEvent { id, report_id, at, action, detail })
                    .collect())
            }

            async fn stats_states(
                &self,
                report_ids: &[i64],
            ) -> $crate::store::Result<(Vec<$crate::stats::ReportState>, Vec<$crate::stats::AssignmentState>)> {
                use $crate::stats::{AssignmentState, Dims, ReportState};
                let (mut reports, mut assignments) = (Vec::new(), Vec::new());
                for chunk in report_ids.chunks($crate::store::stats_sql::MAX_PARAMS) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "SELECT report_id, flags, received_day, category, region, channel, weight FROM stats_reports \
                         WHERE report_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let rows: Vec<(i64, i64, i64, String, String, String, String)> =
                        q.build_query_as().fetch_all(&self.pool).await?;
                    reports.extend(rows.into_iter().map(
                        |(report_id, flags, received_day, category, region, channel, weight)| ReportState {
                            report_id,
                            flags,
                            received_day,
                            dims: Dims { category, region, channel, weight },
                        },
                    ));
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "SELECT report_id, agency, due_at, flags FROM stats_assignments WHERE report_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let rows: Vec<(i64, String, Option<i64>, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
                    assignments.extend(rows.into_iter().map(|(report_id, agency, due_at, flags)| {
                        AssignmentState { report_id, agency, due_at, flags }
                    }));
                }
                Ok((reports, assignments))
            }

            async fn stats_dims(&self, report_ids: &[i64]) -> $crate::store::Result<Vec<(i64, $crate::stats::Dims)>> {
                let mut out = Vec::new();
                for chunk in report_ids.chunks($crate::store::stats_sql::MAX_PARAMS) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "SELECT id, category, region_code, channel, weight FROM reports WHERE id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let rows: Vec<(i64, Option<String>, Option<String>, String, String)> =
                        q.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows.into_iter().map(|(id, category, region, channel, weight)| {
                        (id, $crate::stats::fold::dims(category, region, channel, weight))
                    }));
                }
                Ok(out)
            }

            async fn stats_rows_by_key(
                &self,
                keys: &[(String, $crate::stats::Dim, String)],
            ) -> $crate::store::Result<Vec<$crate::stats::CountsRow>> {
                let mut out = Vec::new();
                for chunk in keys.chunks($crate::store::stats_sql::MAX_PARAMS / 3) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(concat!(
                        "SELECT bucket, dim, code, received, forwarded, closed, rejected, archived, overdue, ",
                        "deadlines, on_time, first_response_wd, close_wd FROM stats_counts ",
                        "WHERE (bucket, dim, code) IN (VALUES "
                    ));
                    let mut list = q.separated(", ");
                    for (bucket, dim, code) in chunk {
                        list.push("(");
                        list.push_bind_unseparated(bucket.as_str());
                        list.push_unseparated(", ");
                        list.push_bind_unseparated(dim.as_str());
                        list.push_unseparated(", ");
                        list.push_bind_unseparated(code.as_str());
                        list.push_unseparated(")");
                    }
                    q.push(")");
                    let rows: Vec<StatsRow> = q.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows.into_iter().map(stats_counts_row));
                }
                Ok(out)
            }

            async fn stats_rows(
                &self,
                buckets: &[String],
                scope: $crate::stats::Scope<'_>,
            ) -> $crate::store::Result<Vec<$crate::stats::CountsRow>> {
                stats_counts_in(
                    &self.pool,
                    concat!(
                        "SELECT bucket, dim, code, received, forwarded, closed, rejected, archived, overdue, ",
                        "deadlines, on_time, first_response_wd, close_wd FROM stats_counts WHERE "
                    ),
                    "",
                    buckets,
                    scope,
                )
                .await
            }

            async fn stats_sums(
                &self,
                buckets: &[String],
                scope: $crate::stats::Scope<'_>,
            ) -> $crate::store::Result<Vec<$crate::stats::CountsRow>> {
                stats_counts_in(
                    &self.pool,
                    concat!(
                        "SELECT '' AS bucket, dim, code, CAST(SUM(received) AS BIGINT), ",
                        "CAST(SUM(forwarded) AS BIGINT), CAST(SUM(closed) AS BIGINT), CAST(SUM(rejected) AS BIGINT), ",
                        "CAST(SUM(archived) AS BIGINT), CAST(SUM(overdue) AS BIGINT), CAST(SUM(deadlines) AS BIGINT), ",
                        "CAST(SUM(on_time) AS BIGINT), COALESCE(string_agg(NULLIF(first_response_wd, ''), ','), ''), ",
                        "COALESCE(string_agg(NULLIF(close_wd, ''), ','), '') FROM stats_counts WHERE "
                    ),
                    " GROUP BY dim, code",
                    buckets,
                    scope,
                )
                .await
            }

            async fn stats_balance(
                &self,
                buckets: &[String],
                scope: $crate::stats::Scope<'_>,
            ) -> $crate::store::Result<Vec<(String, String, i64)>> {
                let mut sums: std::collections::BTreeMap<(String, String), i64> = Default::default();
                for chunk in buckets.chunks($crate::store::stats_sql::MAX_PARAMS) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "SELECT dim, code, CAST(SUM(received - closed - rejected - archived \
                         - CASE WHEN dim = 'agency' THEN forwarded ELSE 0 END) AS BIGINT) FROM stats_counts WHERE ",
                    );
                    stats_scope_where(&mut q, chunk, scope);
                    q.push(" GROUP BY dim, code");
                    let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
                    for (dim, code, n) in rows {
                        *sums.entry((dim, code)).or_insert(0) += n;
                    }
                }
                Ok(sums.into_iter().map(|((d, c), n)| (d, c, n)).collect())
            }

            async fn stats_commit(
                &self,
                cursor: i64,
                next: i64,
                write: &$crate::stats::BatchWrite,
                now: i64,
            ) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                // First, so that SQLite takes its write lock at once and a
                // second PostgreSQL indexer waits here for this one's outcome.
                let moved = sqlx::query(
                    "UPDATE stats_cursor SET last_id = $1, updated_at = $2 WHERE name = 'events' AND last_id = $3",
                )
                .bind(next)
                .bind(now)
                .bind(cursor)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                for chunk in write.reports.chunks($crate::store::stats_sql::MAX_PARAMS / 7) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO stats_reports (report_id, flags, received_day, category, region, channel, weight) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(r.report_id)
                            .push_bind(r.flags)
                            .push_bind(r.received_day)
                            .push_bind(r.dims.category.as_str())
                            .push_bind(r.dims.region.as_str())
                            .push_bind(r.dims.channel.as_str())
                            .push_bind(r.dims.weight.as_str());
                    });
                    q.push(
                        " ON CONFLICT (report_id) DO UPDATE SET flags = excluded.flags, \
                         category = excluded.category, weight = excluded.weight",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in write.assignments.chunks($crate::store::stats_sql::MAX_PARAMS / 4) {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO stats_assignments (report_id, agency, due_at, flags) ",
                    );
                    q.push_values(chunk, |mut b, a| {
                        b.push_bind(a.report_id)
                            .push_bind(a.agency.as_str())
                            .push_bind(a.due_at)
                            .push_bind(a.flags);
                    });
                    q.push(" ON CONFLICT (report_id, agency) DO UPDATE SET due_at = excluded.due_at, flags = excluded.flags");
                    q.build().execute(&mut *tx).await?;
                }
                for (rows, histograms) in [(&write.counts, ""), (&write.histograms, $crate::store::stats_sql::HISTOGRAMS_SET)] {
                    for chunk in rows.chunks($crate::store::stats_sql::MAX_PARAMS / 13) {
                        let mut q = sqlx::QueryBuilder::<$DB>::new(concat!(
                            "INSERT INTO stats_counts (bucket, dim, code, received, forwarded, closed, rejected, ",
                            "archived, overdue, deadlines, on_time, first_response_wd, close_wd) "
                        ));
                        q.push_values(chunk, |mut b, r| {
                            b.push_bind(r.bucket.as_str()).push_bind(r.dim.as_str()).push_bind(r.code.as_str());
                            for n in r.n {
                                b.push_bind(n);
                            }
                            b.push_bind(r.first_response_wd.as_str()).push_bind(r.close_wd.as_str());
                        });
                        q.push($crate::store::stats_sql::COUNTERS_ADD);
                        q.push(histograms);
                        q.build().execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn stats_settle(&self) -> $crate::store::Result<Option<i64>> {
                let mut tx = self.pool.begin().await?;
                let settle: &[&str] = if $gaps_final { &[] } else { $crate::store::stats_sql::SETTLE_WAIT };
                for sql in settle {
                    if let Err(e) = sqlx::query(sql).execute(&mut *tx).await {
                        let timed_out = e
                            .as_database_error()
                            .and_then(|d| d.code())
                            .is_some_and(|c| c == "55P03");
                        let _ = tx.rollback().await;
                        return if timed_out { Ok(None) } else { Err(e.into()) };
                    }
                }
                let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(max))
            }

            async fn stats_latest_event(&self) -> $crate::store::Result<i64> {
                Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
                    .fetch_one(&self.pool)
                    .await?)
            }
        }

        type StatsRow = (String, String, String, i64, i64, i64, i64, i64, i64, i64, i64, String, String);

        fn stats_counts_row(
            (bucket, dim, code, a, b, c, d, e, f, g, h, first_response_wd, close_wd): StatsRow,
        ) -> $crate::stats::CountsRow {
            $crate::stats::CountsRow { bucket, dim, code, n: [a, b, c, d, e, f, g, h], first_response_wd, close_wd }
        }

        /// Rows of `stats_counts` in `buckets` and `scope`: `select` (up to its
        /// `WHERE`), the condition, then `tail`; one query per chunk of buckets.
        async fn stats_counts_in(
            pool: &sqlx::Pool<$DB>,
            select: &'static str,
            tail: &'static str,
            buckets: &[String],
            scope: $crate::stats::Scope<'_>,
        ) -> $crate::store::Result<Vec<$crate::stats::CountsRow>> {
            let mut out = Vec::new();
            for chunk in buckets.chunks($crate::store::stats_sql::MAX_PARAMS) {
                let mut q = sqlx::QueryBuilder::<$DB>::new(select);
                stats_scope_where(&mut q, chunk, scope);
                q.push(tail);
                let rows: Vec<StatsRow> = q.build_query_as().fetch_all(pool).await?;
                out.extend(rows.into_iter().map(stats_counts_row));
            }
            Ok(out)
        }

        /// `bucket IN (…) AND <scope>`: both databases walk the primary key
        /// (bucket, dim, code) once per bucket.
        fn stats_scope_where<'a>(
            q: &mut sqlx::QueryBuilder<'a, $DB>,
            buckets: &'a [String],
            scope: $crate::stats::Scope<'a>,
        ) {
            q.push("bucket IN (");
            let mut list = q.separated(", ");
            for b in buckets {
                list.push_bind(b.as_str());
            }
            q.push(") AND dim = ");
            match scope {
                $crate::stats::Scope::One(dim, code) => {
                    q.push_bind(dim.as_str()).push(" AND code = ").push_bind(code);
                }
                $crate::stats::Scope::Every(dim) => {
                    q.push_bind(dim.as_str());
                }
            }
        }
    };
}

pub(crate) use impl_stats_sql;
