//! Public statistics of reports, per agency, per kind of agency and overall,
//! for a period of days in WIB; published as JSON and CSV on `/v1/stats`
//! ([`http`]) and exported in more detail for operators ([`query::export`]).
//!
//! The event log is the source of truth. An indexer ([`indexer`]) reads
//! `events` in id order from a cursor and keeps counters per bucket of days
//! (a year, a month, a day: [`days`]) and scope, with histograms of working
//! days for the medians ([`hist`]). It commits the counters, its own view of
//! each report and assignment, and the new cursor in one transaction that only
//! succeeds if the cursor is still where it read it, so indexing is idempotent,
//! survives a crash at any point, and several daemons on one PostgreSQL never
//! count an event twice. A statistics request reads at most a few dozen
//! buckets per scope whatever the period ([`query`]).
//!
//! # What each figure counts
//!
//! Days are WIB calendar days; an event counts on the day of its `at`. Events
//! of a report count only from its first `diterima` up to its first terminal
//! event (`selesai`, `tidak_diproses`, `diarsipkan`) inclusive; later events
//! of the report change nothing. Events are taken in id order.
//!
//! An *assignment* is a spell of a report with one agency: it starts with a
//! `diteruskan` naming the agency in `agencies` (or a `dilimpahkan` to it)
//! while the report is not already with that agency (a repeated forward
//! changes nothing), and ends when the agency passes the report on
//! (`dilimpahkan` from it) or the report ends. Its deadline is the agency's
//! `due` in the event that started it. A `diteruskan` of lapord before the
//! lifecycle (`{"agency": code}`) starts one without a deadline. A
//! `tanggapan` or `terlambat` of an agency that does not hold the report
//! counts nowhere.
//!
//! Overall (and per category, region, channel, weight in the export) the unit
//! is the report; per agency it is the assignment; a kind of agency is the sum
//! of its agencies (a report sent to two local governments counts twice
//! there, once overall).
//!
//! | figure | overall: reports … | per agency: assignments … |
//! |---|---|---|
//! | received | whose `diterima` is in the period | started in the period |
//! | forwarded | whose first `diteruskan` is in the period | the agency passed on in the period |
//! | closed / rejected / archived | whose `selesai` / `tidak_diproses` / `diarsipkan` is in the period | ended by that event in the period |
//! | overdue | whose first `terlambat` counted for one of its agencies is in the period | whose first `terlambat` is in the period |
//! | in_process | received by the end of the period and not ended by then | started by the end of the period and not ended by then |
//! | median working days to first response | `working_days` of the first response counted for one of its agencies, for those in the period | `working_days` of the assignment's first `tanggapan`, for those in the period |
//! | median working days to close | `working_days` of `selesai` events in the period | the same, for assignments the closing ended |
//!
//! A `terlambat` or `tanggapan` counts for an assignment while it is open.
//! Working days are the event's own `working_days` (computed by the
//! lifecycle with the calendar of the day); an event without it counts
//! everywhere except in the median.
//!
//! *Within the deadline*: an assignment with a deadline is decided by the
//! first of its first response (met if at or before the deadline), its first
//! `terlambat` (missed) and its end (missed if after the deadline; not counted
//! if before: the agency was relieved in time). `deadlines` counts decided
//! assignments whose deadline falls in the period, `on_time` those met, and
//! `on_time_share` = on_time / deadlines, to 4 decimal places. Overall
//! these count every assignment. An assignment still undecided is counted
//! once decided. Medians of an even count are the mean of the middle two.
//!
//! So that the figures add up: overall, in_process at the end of a period =
//! in_process before it + received − closed − rejected − archived; per
//! agency, also − forwarded. Anonymous and confidential reports are counted
//! like any other; only counts are ever published.

pub mod days;
pub mod fold;
pub mod hist;
pub mod http;
pub mod indexer;
pub mod query;
pub mod render;

use std::sync::Arc;

use async_trait::async_trait;

use crate::store::{PgStore, Result, SqliteStore, StoreError};
pub use days::Bucket;
pub use hist::Hist;
pub use indexer::{index_once, spawn_indexer, DEFAULT_BATCH};
pub use query::{export, summary, AgencyFigures, ExportDetail, Figures, Grouping, Period, Stats};

/// The counters of a bucket and scope, by index: see [`METRICS`].
pub const METRICS: [&str; 8] = [
    "received",
    "forwarded",
    "closed",
    "rejected",
    "archived",
    "overdue",
    "deadlines",
    "on_time",
];
pub const RECEIVED: usize = 0;
pub const FORWARDED: usize = 1;
pub const CLOSED: usize = 2;
pub const REJECTED: usize = 3;
pub const ARCHIVED: usize = 4;
pub const OVERDUE: usize = 5;
pub const DEADLINES: usize = 6;
pub const ON_TIME: usize = 7;

/// What a scope counts: reports (`all` and the report's dimensions) or an
/// agency's assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    All,
    Agency,
    Category,
    Region,
    Channel,
    Weight,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Agency => "agency",
            Dim::Category => "category",
            Dim::Region => "region",
            Dim::Channel => "channel",
            Dim::Weight => "weight",
        }
    }
}

/// Counters and histograms of one bucket and scope, or of a sum of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub n: [i64; 8],
    pub first_response: Hist,
    pub close: Hist,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.n.iter_mut().zip(other.n) {
            *a += b;
        }
        hist::add(&mut self.first_response, &other.first_response);
        hist::add(&mut self.close, &other.close);
    }

    /// Adds a stored row.
    pub fn add_row(&mut self, row: &CountsRow) -> Result<()> {
        for (a, b) in self.n.iter_mut().zip(row.n) {
            *a += b;
        }
        hist::add_encoded(&mut self.first_response, &row.first_response_wd)
            .and_then(|()| hist::add_encoded(&mut self.close, &row.close_wd))
            .map_err(|e| StoreError::Corrupt(format!("stats_counts {}: {e}", row.bucket)))
    }

    /// How much in_process grows in these counts.
    pub fn balance(&self, dim: Dim) -> i64 {
        let out = self.n[CLOSED] + self.n[REJECTED] + self.n[ARCHIVED];
        if dim == Dim::Agency {
            self.n[RECEIVED] - out - self.n[FORWARDED]
        } else {
            self.n[RECEIVED] - out
        }
    }
}

/// A row of `stats_counts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountsRow {
    pub bucket: String,
    pub dim: String,
    pub code: String,
    pub n: [i64; 8],
    pub first_response_wd: String,
    pub close_wd: String,
}

/// An event as the indexer reads it; `detail` is empty for actions that do
/// not change figures.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub id: i64,
    pub report_id: i64,
    pub at: i64,
    pub action: String,
    pub detail: String,
}

/// The report attributes the export breaks figures down by ('' = none):
/// channel and region as received, category and weight as received and then
/// as the first forwarding set them (the verifier's judgement; the report's
/// `received` moves with it, so every figure of a report counts under one
/// value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dims {
    pub category: String,
    /// The regency part of the Kemendagri region code ("32.73").
    pub region: String,
    pub channel: String,
    pub weight: String,
}

/// What the indexer remembers of a report (flags: [`fold::R_FORWARDED`] …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportState {
    pub report_id: i64,
    pub flags: i64,
    /// The WIB day number of its `diterima`.
    pub received_day: i64,
    pub dims: Dims,
}

/// The latest assignment of a report to an agency (flags: [`fold::A_OPEN`] …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentState {
    pub report_id: i64,
    pub agency: String,
    pub due_at: Option<i64>,
    pub flags: i64,
}

/// Everything one indexing batch writes besides the cursor.
#[derive(Debug, Clone, Default)]
pub struct BatchWrite {
    pub reports: Vec<ReportState>,
    pub assignments: Vec<AssignmentState>,
    /// Counter increments, added to what is stored (histograms untouched).
    pub counts: Vec<CountsRow>,
    /// Counter increments with whole histograms, which replace the stored ones.
    pub histograms: Vec<CountsRow>,
}

/// Which scopes a query reads.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    One(Dim, &'a str),
    /// Every code of a dimension.
    Every(Dim),
}

/// The statistics' storage, implemented for both backends by
/// `store/stats_sql.rs`. Only the indexer writes it.
#[async_trait]
pub trait StatsStore: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    /// True where a missing event id below a visible one can never appear
    /// later (SQLite: one writer, ids in commit order). On PostgreSQL a gap may
    /// be a transaction still in flight; see [`StatsStore::stats_settle`].
    fn gaps_final(&self) -> bool;
    /// The last event id indexed.
    async fn stats_cursor(&self) -> Result<i64>;
    /// Up to `limit` events after `after`, in id order.
    async fn stats_events(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>>;
    /// The indexer's state of these reports and all their assignments.
    async fn stats_states(
        &self,
        report_ids: &[i64],
    ) -> Result<(Vec<ReportState>, Vec<AssignmentState>)>;
    /// The dimensions of these reports, from `reports`.
    async fn stats_dims(&self, report_ids: &[i64]) -> Result<Vec<(i64, Dims)>>;
    /// The stored rows of these (bucket, dim, code) keys.
    async fn stats_rows_by_key(&self, keys: &[(String, Dim, String)]) -> Result<Vec<CountsRow>>;
    /// The rows of these buckets in a scope.
    async fn stats_rows(&self, buckets: &[String], scope: Scope<'_>) -> Result<Vec<CountsRow>>;
    /// The same rows summed by the database per (dim, code), `bucket` empty;
    /// histograms are concatenated (a `wd` may repeat: add them). Several
    /// rows per code are possible for long bucket lists; add them up.
    async fn stats_sums(&self, buckets: &[String], scope: Scope<'_>) -> Result<Vec<CountsRow>>;
    /// Per (dim, code) of a scope, the growth of in_process over these buckets
    /// (see [`Counts::balance`]), summed by the database.
    async fn stats_balance(
        &self,
        buckets: &[String],
        scope: Scope<'_>,
    ) -> Result<Vec<(String, String, i64)>>;
    /// Writes a batch and moves the cursor from `cursor` to `next`, only if it
    /// is still at `cursor`; false (nothing written) if another indexer moved it.
    async fn stats_commit(
        &self,
        cursor: i64,
        next: i64,
        write: &BatchWrite,
        now: i64,
    ) -> Result<bool>;
    /// Waits briefly for every transaction that is writing events to finish
    /// and returns the highest event id then: any id at or below it that is
    /// not visible never will be. `None` if that took too long (try later).
    async fn stats_settle(&self) -> Result<Option<i64>>;
    /// The highest event id committed, for the indexer's lag.
    async fn stats_latest_event(&self) -> Result<i64>;
}

/// Opens the statistics' view of the store a URL names (its own pool).
pub async fn open(url: &str, max_connections: u32) -> Result<Arc<dyn StatsStore>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, max_connections).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url, max_connections).await?))
    }
}
