//! The store: one trait, two implementations (SQLite, the embedded default, and
//! PostgreSQL), one test story run against both.
//!
//! Everything the core must not lose goes through here in a transaction: a
//! report, its first events and its agency queue items are committed together
//! by [`Store::commit_intake`], which takes a whole batch of reports so that
//! concurrent submissions share one commit (group commit). Database errors are
//! mapped to [`StoreError`] and never reach an HTTP client as such.

mod keydir;
mod postgres;
mod sql;
mod sqlite;
pub(crate) mod stats_sql;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// What went wrong, as the caller must decide it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Could not reach or use the database; nothing was committed. Retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database holds something this code does not understand.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(e.to_string())
            }
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A report ready to be committed; the core has normalised, routed and minted it.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub id: i64,
    pub tracking_id: String,
    pub channel: String,
    /// The channel's message id, sealed (it can lead back to a person: a tweet
    /// or DM id).
    pub message_id_enc: Vec<u8>,
    /// The key the report's identity fields are sealed under.
    pub identity_key_id: i64,
    /// Deduplication key of (channel, message id), a blind index: unique in the store.
    pub dedupe_key: Vec<u8>,
    pub fingerprint: Option<Vec<u8>>,
    pub kind: String,
    pub category: Option<String>,
    pub body: String,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub received_at: i64,
    pub created_at: i64,
    pub state: String,
    pub agency: Option<String>,
    pub weight: String,
    pub anonymous: bool,
    pub confidential: bool,
    /// The routing decision, JSON.
    pub routing: String,
    pub reporter: Option<NewReporter>,
    pub attachments: Vec<NewAttachment>,
    pub events: Vec<NewEvent>,
    /// Agencies whose queues get an item for this report.
    pub enqueue: Vec<String>,
    /// Messages caused by this report (the SMS acknowledgement), committed with it.
    pub outbox: Vec<NewOutbound>,
    /// Verification deadline (reports not forwarded at intake).
    pub verify_due_at: Option<i64>,
    /// Forwarded at intake: when, and the assignment with its deadline.
    pub forwarded_at: Option<i64>,
    pub assignments: Vec<NewAssignment>,
}

/// A message to send, written in the same transaction as what caused it.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// Unique: the same cause queues one message, however often it is handled.
    pub idem_key: Vec<u8>,
    pub channel: String,
    pub report_id: Option<i64>,
    /// What it says, for metrics and operators: ack, status, help, reply, ...
    pub purpose: String,
    pub key_id: i64,
    /// The recipient, sealed (see `outbox::seal_recipient`).
    pub to_enc: Vec<u8>,
    pub body: String,
    pub created_at: i64,
}

/// An outbox message leased for sending.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub idem_key: Vec<u8>,
    pub channel: String,
    pub report_id: Option<i64>,
    pub purpose: String,
    pub to_enc: Option<Vec<u8>>,
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// One part of a concatenated SMS as stored while its siblings arrive.
#[derive(Debug, Clone)]
pub struct NewSmsPart {
    pub part_key: Vec<u8>,
    pub group_key: Vec<u8>,
    pub seq: i64,
    pub total: i64,
    pub key_id: i64,
    pub pdu_enc: Vec<u8>,
    pub modem: String,
    pub received_at: i64,
}

#[derive(Debug, Clone)]
pub struct SmsPartRecord {
    pub id: i64,
    pub part_key: Vec<u8>,
    pub seq: i64,
    pub total: i64,
    pub pdu_enc: Option<Vec<u8>>,
    pub received_at: i64,
}

/// An admin or an agency officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    /// admin or officer.
    pub role: String,
    pub name: String,
    /// An officer's agency.
    pub agency: Option<String>,
}

/// Report fields a [`Change`] sets: `None` leaves a field alone, `Some(None)`
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct ReportUpdate {
    pub state: Option<String>,
    pub agency: Option<Option<String>>,
    pub kind: Option<String>,
    pub category: Option<Option<String>>,
    pub weight: Option<String>,
    pub anonymous: Option<bool>,
    pub confidential: Option<bool>,
    pub verify_due_at: Option<Option<i64>>,
    pub verify_escalated: Option<i64>,
    pub info_requested_at: Option<Option<i64>>,
    pub archive_due_at: Option<Option<i64>>,
    pub forwarded_at: Option<Option<i64>>,
    pub first_response_at: Option<Option<i64>>,
    pub last_response_at: Option<Option<i64>>,
    pub autoclose_due_at: Option<Option<i64>>,
    pub closed_at: Option<Option<i64>>,
    pub close_rule: Option<Option<String>>,
}

/// One transition of a report, applied in one transaction: the report's row
/// (only if it is still as expected), its events, its assignments, the queue
/// items and the messages it causes. Several daemons racing to apply the same
/// transition: one wins, the others see `false`.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub report_id: i64,
    pub at: i64,
    /// Applies only in one of these states (empty: any state).
    pub from_states: Vec<String>,
    /// A further condition on the report's row: trusted SQL the core builds
    /// from column names and integers only (e.g. `verify_escalated = 0`).
    pub guard: Option<String>,
    pub update: ReportUpdate,
    pub events: Vec<NewEvent>,
    pub new_assignments: Vec<NewAssignment>,
    /// Ends the open assignment of each agency, with a reason.
    pub end_assignments: Vec<(String, String)>,
    /// This agency responded: its assignment's first/last response times are
    /// set and its escalation stops.
    pub responded: Option<String>,
    pub enqueue: Vec<String>,
    pub outbox: Vec<NewOutbound>,
    /// The reply to the message that caused this change, written first: if
    /// its idempotency key is already queued, the change was applied before
    /// (the same SMS read twice) and nothing is written again.
    pub reply: Option<NewOutbound>,
}

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub agency: String,
    pub forwarded_at: i64,
    pub due_at: i64,
}

/// A report's deadlines and milestones (Unix ms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Deadlines {
    pub verify_due_at: Option<i64>,
    pub verify_escalated: i64,
    pub info_requested_at: Option<i64>,
    pub archive_due_at: Option<i64>,
    pub forwarded_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub last_response_at: Option<i64>,
    pub autoclose_due_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub close_rule: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentRecord {
    pub id: i64,
    pub report_id: i64,
    pub agency: String,
    pub forwarded_at: i64,
    pub due_at: i64,
    pub first_response_at: Option<i64>,
    pub last_response_at: Option<i64>,
    pub escalation_level: i64,
    pub next_escalation_at: Option<i64>,
    pub ended_at: Option<i64>,
}

impl AssignmentRecord {
    /// Still with the agency, unanswered, and past its follow-up deadline.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.ended_at.is_none() && self.first_response_at.is_none() && self.due_at < now
    }
}

/// One tier of escalation of an overdue assignment, fired once.
#[derive(Debug, Clone)]
pub struct Escalation {
    pub assignment_id: i64,
    pub report_id: i64,
    pub from_level: i64,
    pub to_level: i64,
    /// When the next tier is due; `None` after the last.
    pub next_at: Option<i64>,
    pub event: NewEvent,
    pub enqueue: Vec<String>,
}

/// A sealed value outside the reporter tables (outbox recipient, SMS part),
/// for re-encryption under a new key.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub table: SealedTable,
    pub id: i64,
    /// The row's unique key, part of the associated data.
    pub key: Vec<u8>,
    pub key_id: i64,
    pub sealed: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    Outbox,
    SmsParts,
    SmsQuarantine,
}

/// A reporter as stored: every identifying field (address, name, contacts, raw
/// payload) sealed together as one value (see `identity::seal`), the address
/// also as a blind index.
#[derive(Debug, Clone, Default)]
pub struct NewReporter {
    /// phone, email, twitter, partner, or none.
    pub address_kind: String,
    pub address_index: Option<Vec<u8>>,
    pub identity_enc: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    /// The bytes when kept in the database; `None` when kept as a file.
    pub data: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
    /// JSON.
    pub detail: String,
}

/// What became of one report of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    Created,
    /// Already committed earlier (or earlier in the same batch) with the same content.
    Duplicate {
        tracking_id: String,
    },
    /// The message id was committed with different content.
    Conflict,
}

/// A stored report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRecord {
    pub id: i64,
    pub tracking_id: String,
    pub channel: String,
    pub message_id_enc: Option<Vec<u8>>,
    pub identity_key_id: Option<i64>,
    pub kind: String,
    pub category: Option<String>,
    pub body: String,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub received_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub state: String,
    pub agency: Option<String>,
    pub weight: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub routing: String,
}

/// A stored reporter: sealed fields, opened by `identity::open_reporter`.
#[derive(Debug, Clone, Default)]
pub struct ReporterRecord {
    pub address_kind: String,
    /// All fields sealed as one value (written since schema 0006).
    pub identity_enc: Option<Vec<u8>>,
    /// Fields sealed one by one (written before schema 0006; a key rotation
    /// rewrites them as `identity_enc`).
    pub address_enc: Option<Vec<u8>>,
    pub name_enc: Option<Vec<u8>>,
    pub contacts_enc: Option<Vec<u8>>,
    pub raw_enc: Option<Vec<u8>>,
}

/// A report's identity as written by the code before identity protection
/// (schema version 1): plaintext, to be sealed by the upgrade.
#[derive(Debug, Clone)]
pub struct LegacyIdentity {
    pub report_id: i64,
    pub channel: String,
    pub message_id: String,
    pub address_kind: Option<String>,
    pub address: Option<String>,
    pub name: Option<String>,
    pub contacts: Option<String>,
    pub raw: Option<Vec<u8>>,
}

/// A report's sealed identity, for re-encryption under a new key.
#[derive(Debug, Clone)]
pub struct SealedIdentity {
    pub report_id: i64,
    pub key_id: i64,
    pub message_id_enc: Option<Vec<u8>>,
    pub reporter: Option<ReporterRecord>,
}

/// New sealed values for a report's identity.
#[derive(Debug, Clone)]
pub struct IdentityWrite {
    pub report_id: i64,
    /// Only write if the report is still under this key (`None`: still plaintext).
    pub expected_key_id: Option<i64>,
    pub key_id: i64,
    pub message_id_enc: Vec<u8>,
    pub reporter: Option<NewReporter>,
    /// A new deduplication key for the report's message key, when it changes.
    pub dedupe_key: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub tracking_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRecord {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub in_database: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// A queue item handed to an agency under a lease.
#[derive(Debug, Clone)]
pub struct LeasedItem {
    pub item_id: i64,
    pub report_id: i64,
    pub deliveries: i64,
    pub lease_until: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    Acked,
    AlreadyAcked,
    NotFound,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
    /// Readies what the intake needs before the first report arrives (SQLite:
    /// reads the deduplication keys into memory). The daemon runs it in the
    /// background at start; without it the first batch does the same work.
    async fn warm_up(&self) -> Result<()>;
    async fn close(&self);
    /// The tracking-ID permutation key, created on first use.
    async fn tracking_key(&self) -> Result<Vec<u8>>;
    /// Reserves `n` tracking counters for this process; never handed out again.
    async fn reserve_counters(&self, n: i64) -> Result<Range<i64>>;
    /// Commits a batch in one transaction; one outcome per report, in order.
    async fn commit_intake(&self, batch: &[&NewReport]) -> Result<Vec<IntakeOutcome>>;
    async fn report_by_id(&self, id: i64) -> Result<Option<ReportRecord>>;
    async fn reporter(&self, report_id: i64) -> Result<Option<ReporterRecord>>;
    async fn attachments(&self, report_id: i64) -> Result<Vec<AttachmentRecord>>;
    async fn events(&self, report_id: i64) -> Result<Vec<EventRecord>>;
    /// Leases up to `limit` unacknowledged items of an agency whose lease is free
    /// or expired, until `lease_until`.
    async fn lease(
        &self,
        agency: &str,
        limit: i64,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<LeasedItem>>;
    async fn ack(&self, agency: &str, item_id: i64, now: i64) -> Result<AckOutcome>;
    /// Unacknowledged items per agency (only agencies that have some).
    async fn queue_depths(&self) -> Result<Vec<(String, i64)>>;
    async fn add_agency_token(&self, agency: &str, token_hash: &[u8], now: i64) -> Result<()>;
    /// Revokes every token of an agency; returns how many.
    async fn revoke_agency_tokens(&self, agency: &str, now: i64) -> Result<u64>;
    async fn agency_for_token(&self, token_hash: &[u8]) -> Result<Option<String>>;
    /// Reports in the store (all states).
    async fn count_reports(&self) -> Result<i64>;
    /// Reports whose reporter address has this blind index: (tracking ID,
    /// state). Covers the addresses lapord recognises senders by (phone, email,
    /// Twitter); a partner system's users are recognised by the partner, which
    /// names the report, so they are not in this index.
    async fn reports_by_address_index(&self, index: &[u8]) -> Result<Vec<(String, String)>>;
    /// Identity key ids that sealed something in the store.
    async fn identity_key_ids(&self) -> Result<Vec<i64>>;
    /// Up to `limit` reports whose identity is still plaintext (schema version 1).
    async fn legacy_identities(&self, limit: i64) -> Result<Vec<LegacyIdentity>>;
    /// Up to `limit` reports sealed under a key other than `current`.
    async fn identities_not_under(&self, current: i64, limit: i64) -> Result<Vec<SealedIdentity>>;
    /// Writes new sealed values if the report is still as expected; false if not.
    async fn write_identity(&self, w: &IdentityWrite) -> Result<bool>;
    /// Rewrites the database so that freed pages keep nothing (SQLite: VACUUM
    /// and a truncating WAL checkpoint; PostgreSQL: VACUUM FULL of the tables
    /// that held identities).
    async fn compact(&self) -> Result<()>;
    async fn append_audit(&self, entry: &AuditRecord) -> Result<()>;
    /// The latest `limit` audit entries, oldest first.
    async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditRecord>>;

    /// The blind index of a report's reporter address, if it has one.
    async fn reporter_address_index(&self, report_id: i64) -> Result<Option<Vec<u8>>>;
    /// Queues a message and records the events that go with it, in one
    /// transaction; nothing happens if the message's `idem_key` is already
    /// queued (the same cause handled twice). True when it was new.
    async fn record_interaction(
        &self,
        outbound: &NewOutbound,
        events: &[(i64, NewEvent)],
    ) -> Result<bool>;
    /// Leases up to `limit` due pending messages of a channel until `lease_until`.
    async fn outbox_lease(
        &self,
        channel: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>>;
    /// Sent: the recipient is erased; `mr` is kept to match a delivery report.
    async fn outbox_sent(&self, id: i64, via: &str, mr: Option<i64>, now: i64) -> Result<()>;
    /// Try again at `next_attempt_at`.
    async fn outbox_retry(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()>;
    /// Given up, with the reason; the recipient is erased.
    async fn outbox_failed(&self, id: i64, error: &str, now: i64) -> Result<()>;
    /// A delivery report for the latest message `via` sent with reference `mr`.
    async fn outbox_delivered(
        &self,
        via: &str,
        mr: i64,
        delivered: bool,
        status: &str,
        now: i64,
    ) -> Result<bool>;
    /// Messages per (channel, state).
    async fn outbox_counts(&self) -> Result<Vec<(String, String, i64)>>;
    /// Stores a part of a concatenated SMS; false if this exact part is already
    /// stored (waiting or consumed).
    async fn sms_store_part(&self, part: &NewSmsPart) -> Result<bool>;
    /// The waiting (unconsumed) parts of a group, by sequence number.
    async fn sms_group(&self, group_key: &[u8]) -> Result<Vec<SmsPartRecord>>;
    /// Groups with a waiting part received before `before`.
    async fn sms_groups_waiting(&self, before: i64) -> Result<Vec<Vec<u8>>>;
    /// Marks parts consumed and erases their sealed PDU.
    async fn sms_consume(&self, ids: &[i64], now: i64) -> Result<()>;
    /// Forgets consumed parts older than `before`; returns how many.
    async fn sms_prune(&self, before: i64) -> Result<u64>;
    /// Keeps an undecodable SMS for an operator; false if already kept.
    async fn sms_quarantine(
        &self,
        part_key: &[u8],
        key_id: i64,
        pdu_enc: &[u8],
        modem: &str,
        error: &str,
        at: i64,
    ) -> Result<bool>;
    /// Up to `limit` sealed rows outside the reporter tables under a key other than `current`.
    async fn sealed_rows_not_under(&self, current: i64, limit: i64) -> Result<Vec<SealedRow>>;
    /// Replaces a sealed value if the row is still under `expected_key_id`.
    async fn reseal_row(&self, row: &SealedRow, key_id: i64, sealed: &[u8]) -> Result<bool>;

    async fn add_account(
        &self,
        role: &str,
        name: &str,
        agency: Option<&str>,
        token_hash: &[u8],
        now: i64,
    ) -> Result<()>;
    /// Revokes every token of an account (role and name, and agency for an officer).
    async fn revoke_accounts(&self, role: &str, name: &str, now: i64) -> Result<u64>;
    async fn account_for_token(&self, token_hash: &[u8]) -> Result<Option<Account>>;
    /// Applies a transition if the report is as expected; false if it is not.
    async fn apply_change(&self, change: &Change) -> Result<bool>;
    async fn deadlines(&self, report_id: i64) -> Result<Option<Deadlines>>;
    async fn assignments(&self, report_id: i64) -> Result<Vec<AssignmentRecord>>;
    /// An agency's assignments, open ones only unless `all`, oldest first.
    async fn agency_assignments(
        &self,
        agency: &str,
        all: bool,
        limit: i64,
    ) -> Result<Vec<AssignmentRecord>>;
    /// Reports in these states, oldest received first.
    async fn reports_in_states(&self, states: &[&str], limit: i64) -> Result<Vec<i64>>;
    /// Reports whose verification deadline passed and was not escalated yet.
    async fn due_verifications(&self, now: i64, limit: i64) -> Result<Vec<i64>>;
    /// Reports waiting for information whose archive deadline passed.
    async fn due_archives(&self, now: i64, limit: i64) -> Result<Vec<i64>>;
    /// Reports whose auto-close deadline passed.
    async fn due_autocloses(&self, now: i64, limit: i64) -> Result<Vec<i64>>;
    /// Open assignments whose next escalation tier is due.
    async fn due_escalations(&self, now: i64, limit: i64) -> Result<Vec<AssignmentRecord>>;
    /// Fires one escalation tier if the assignment is still at `from_level`.
    async fn escalate(&self, e: &Escalation) -> Result<bool>;
}

/// Opens the store a URL names. SQLite files are created on first start.
pub async fn open(url: &str, max_connections: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, max_connections).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url, max_connections).await?))
    }
}

#[cfg(test)]
mod tests;
