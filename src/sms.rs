//! The SMS channel in the core: what the modem drivers hand over becomes
//! reports, thread messages and replies.
//!
//! Every message read from a modem arrives here ([`SmsService`] is the
//! drivers' [`Sink`]), and the driver deletes it from the SIM only after this
//! returns Ok — after whatever it caused is committed:
//! - a single-part SMS is handled at once (a new report through the intake,
//!   or a citizen's command), its reply queued in the outbox in the same
//!   transaction;
//! - a part of a long SMS is stored (sealed) first; when its group is complete
//!   the message is assembled and handled, and a sweep makes a report of
//!   groups whose missing parts never came (marked incomplete);
//! - an SMS that cannot be decoded is kept sealed in a quarantine table for an
//!   operator, so it neither blocks the SIM nor gets lost.
//!
//! Reading the same message twice (a crash between commit and delete, a
//! re-listed index) is harmless: its key is derived from the PDU itself, the
//! intake deduplicates reports by it, parts are unique by it, and replies are
//! queued under an idempotency key derived from it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use lapor_channel::{Address, Channel, InboundMessage, IntakeHandle, Reporter};
use lapor_sms::modem::{DeliveryReport, Received, Sink, SinkError};
use lapor_sms::{Deliver, TypeOfNumber};
use tokio_util::sync::CancellationToken;

use crate::commands::{self, Command};
use crate::identity::address_domain;
use crate::intake::now_ms;
use crate::lifecycle::{ActionError, Lifecycle};
use crate::metrics::Metrics;
use crate::model::State;
use crate::outbox;
use crate::privacy::cipher::{self, blind_index};
use crate::privacy::{mask, KeyringHandle};
use crate::replies;
use crate::store::{NewEvent, NewSmsPart, ReportRecord, SmsPartRecord, Store, StoreError};
use crate::tracking::TrackingId;

/// Table name in the associated data of sealed SMS parts.
const PARTS: &str = "sms_parts";
const QUARANTINE: &str = "sms_quarantine";

/// Settings of the SMS core.
#[derive(Debug, Clone)]
pub struct SmsCoreConfig {
    /// How long the parts of a long SMS wait for their siblings.
    pub concat_wait: Duration,
    /// Status lookups (`CEK`) per sender per hour, and burst.
    pub lookups_per_hour: u32,
    pub lookups_burst: u32,
    /// Lookups of unknown IDs per sender per hour, and burst.
    pub misses_per_hour: u32,
    pub misses_burst: u32,
}

pub struct SmsService {
    store: Arc<dyn Store>,
    keys: Arc<KeyringHandle>,
    intake: IntakeHandle,
    lifecycle: Arc<Lifecycle>,
    metrics: Arc<Metrics>,
    cfg: SmsCoreConfig,
    lookups: DefaultKeyedRateLimiter<Vec<u8>>,
    misses: DefaultKeyedRateLimiter<Vec<u8>>,
}

/// A whole message from a citizen, assembled.
struct Incoming {
    /// E.164 or, for an alphanumeric sender, as given.
    sender: String,
    text: String,
    /// Derived from the PDU(s): the same message always has the same id.
    message_id: String,
    raw: Vec<u8>,
    received_at: i64,
    /// Parts that never arrived, for a message assembled incomplete.
    missing: Vec<i64>,
}

fn per_hour(n: u32, burst: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
    Quota::with_period(Duration::from_secs(3600) / n.get())
        .expect("a positive period")
        .allow_burst(burst)
}

impl SmsService {
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<KeyringHandle>,
        intake: IntakeHandle,
        lifecycle: Arc<Lifecycle>,
        metrics: Arc<Metrics>,
        cfg: SmsCoreConfig,
    ) -> Arc<SmsService> {
        Arc::new(SmsService {
            lookups: RateLimiter::keyed(per_hour(cfg.lookups_per_hour, cfg.lookups_burst)),
            misses: RateLimiter::keyed(per_hour(cfg.misses_per_hour, cfg.misses_burst)),
            store,
            keys,
            intake,
            lifecycle,
            metrics,
            cfg,
        })
    }

    /// Handles one message read from a modem. Ok means: committed, delete it.
    pub async fn accept(&self, msg: Received) -> Result<(), SinkError> {
        let keys = self.keys.get();
        let part_key = blind_index(&keys, "sms:pdu", &lapor_sms::to_hex(&msg.pdu));
        let deliver = match &msg.decoded {
            Ok(d) => d,
            Err(e) => {
                return self
                    .quarantine(&part_key, &msg, &format!("undecodable PDU: {e}"))
                    .await;
            }
        };
        let Some(sender) = sender_of(deliver) else {
            // Operators' promotions and notices come from names, not numbers:
            // nobody to answer, nothing to report.
            return self
                .quarantine(&part_key, &msg, "alphanumeric sender (not a citizen)")
                .await;
        };
        self.metrics.add("lapord_sms_received_total", &msg.modem, 1);
        let received_at = received_at(deliver);
        match deliver.user_data.udh.as_ref().and_then(|u| u.concat()) {
            Some(c) if c.total > 1 => {
                let group_key = blind_index(
                    &keys,
                    "sms:group",
                    &format!("{sender}|{}|{}", c.reference, c.total),
                );
                let part = NewSmsPart {
                    pdu_enc: cipher::seal_row(&keys, PARTS, &part_key, &msg.pdu),
                    part_key,
                    group_key: group_key.clone(),
                    seq: i64::from(c.seq),
                    total: i64::from(c.total),
                    key_id: i64::from(keys.active().0),
                    modem: msg.modem.clone(),
                    // When lapord got it: the wait for missing parts counts
                    // from here, not from the network's time stamp (parts that
                    // waited on the SIM while lapord was down are not late).
                    received_at: now_ms(),
                };
                let stored = self.store.sms_store_part(&part).await.map_err(sink_error)?;
                tracing::debug!(
                    modem = %msg.modem,
                    seq = c.seq,
                    total = c.total,
                    new = stored,
                    "Stored a part of a long SMS."
                );
                // The part is durable: the modem may delete it whatever the
                // assembly does next; the sweep retries a group that fails.
                if let Err(e) = self.try_group(&group_key, false).await {
                    tracing::warn!(error = %e, "Could not assemble a long SMS yet; the sweep retries.");
                }
                Ok(())
            }
            _ => {
                let text = deliver.user_data.text.clone().unwrap_or_default();
                self.handle(Incoming {
                    sender,
                    text,
                    message_id: hex::encode(&part_key),
                    raw: msg.pdu.clone(),
                    received_at,
                    missing: vec![],
                })
                .await
                .map_err(sink_error)
            }
        }
    }

    async fn quarantine(
        &self,
        part_key: &[u8],
        msg: &Received,
        why: &str,
    ) -> Result<(), SinkError> {
        let keys = self.keys.get();
        let sealed = cipher::seal_row(&keys, QUARANTINE, part_key, &msg.pdu);
        let new = self
            .store
            .sms_quarantine(
                part_key,
                i64::from(keys.active().0),
                &sealed,
                &msg.modem,
                why,
                now_ms(),
            )
            .await
            .map_err(sink_error)?;
        if new {
            self.metrics
                .add("lapord_sms_quarantined_total", &msg.modem, 1);
            tracing::warn!(modem = %msg.modem, index = msg.index, reason = why, pdu_octets = msg.pdu.len(), "Kept an SMS apart for an operator (sms_quarantine).");
        }
        Ok(())
    }

    /// Assembles a group when complete, or (`force`) from what arrived.
    async fn try_group(&self, group_key: &[u8], force: bool) -> Result<bool, StoreError> {
        let parts = self.store.sms_group(group_key).await?;
        let Some(first) = parts.first() else {
            return Ok(false);
        };
        let total = first.total;
        let mut by_seq: Vec<Option<&SmsPartRecord>> = vec![None; total.max(0) as usize];
        for p in &parts {
            if p.seq >= 1 && p.seq <= total {
                by_seq[(p.seq - 1) as usize].get_or_insert(p);
            }
        }
        let missing: Vec<i64> = (1..=total)
            .filter(|s| by_seq[(s - 1) as usize].is_none())
            .collect();
        if !missing.is_empty() && !force {
            return Ok(false);
        }
        let keys = self.keys.get();
        let mut text = String::new();
        let mut raw = Vec::new();
        let mut sender = None;
        let mut received_at = i64::MAX;
        let mut ids = String::new();
        for (i, slot) in by_seq.iter().enumerate() {
            let Some(p) = slot else {
                text.push_str(" [...] ");
                continue;
            };
            ids.push_str(&hex::encode(&p.part_key));
            let Some(sealed) = &p.pdu_enc else { continue };
            let pdu = cipher::open_row(&keys, PARTS, &p.part_key, sealed)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if i > 0 || !raw.is_empty() {
                raw.push(b'\n');
            }
            raw.extend_from_slice(&pdu);
            if let Ok(lapor_sms::Pdu::Deliver(d)) = lapor_sms::decode(
                &pdu[..],
                lapor_sms::Framing::WithSmsc,
                lapor_sms::TypeHint::ByMti,
            ) {
                sender = sender.or_else(|| sender_of(&d));
                received_at = received_at.min(self::received_at(&d));
                text.push_str(d.user_data.text.as_deref().unwrap_or_default());
            }
        }
        let Some(sender) = sender else {
            return Err(StoreError::Corrupt(
                "a stored SMS part without a sender".into(),
            ));
        };
        if received_at == i64::MAX {
            received_at = now_ms();
        }
        let message_id = hex::encode(blind_index(&keys, "sms:msg", &ids));
        if !missing.is_empty() {
            self.metrics.add("lapord_sms_incomplete_total", "", 1);
            tracing::warn!(missing = ?missing, total, "Parts of a long SMS never came; reporting what arrived, marked incomplete.");
        }
        self.handle(Incoming {
            sender,
            text: text.trim().to_string(),
            message_id,
            raw,
            received_at,
            missing,
        })
        .await?;
        let ids: Vec<i64> = parts.iter().map(|p| p.id).collect();
        self.store.sms_consume(&ids, now_ms()).await?;
        Ok(true)
    }

    /// One sweep: groups that waited too long are reported incomplete; old
    /// consumed parts are forgotten.
    pub async fn sweep(&self) -> Result<(), StoreError> {
        let due = now_ms() - self.cfg.concat_wait.as_millis() as i64;
        for group in self.store.sms_groups_waiting(now_ms()).await? {
            let parts = self.store.sms_group(&group).await?;
            let oldest = parts
                .iter()
                .map(|p| p.received_at)
                .min()
                .unwrap_or(i64::MAX);
            // Complete groups are assembled at once (one whose assembly failed
            // earlier); incomplete ones after the wait.
            self.try_group(&group, oldest < due).await?;
        }
        // A part deleted from the SIM cannot come back after a week.
        self.store
            .sms_prune(now_ms() - 7 * 24 * 3600 * 1000)
            .await?;
        Ok(())
    }

    /// Runs the sweep every few seconds until `stop`.
    pub fn spawn_sweeper(self: Arc<Self>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let period = (self.cfg.concat_wait / 4)
                .clamp(Duration::from_millis(200), Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(period) => {}
                }
                if let Err(e) = self.sweep().await {
                    tracing::warn!(error = %e, "SMS sweep failed; retrying.");
                }
            }
        })
    }

    /// What a whole message means, done.
    async fn handle(&self, m: Incoming) -> Result<(), StoreError> {
        let command = commands::parse(&m.text);
        tracing::debug!(from = %mask::phone(&m.sender), "SMS received.");
        match command {
            Command::NewReport {
                text,
                anonymous,
                confidential,
            } => self.new_report(&m, text, anonymous, confidential).await,
            c @ Command::MaybeReply { .. } => {
                let Command::MaybeReply { id, ref text, .. } = c else {
                    unreachable!()
                };
                match self.own_report(&m.sender, id).await? {
                    Some(r) => self.thread_message(&m, &r, text.clone()).await,
                    None => match c.not_a_reply() {
                        Command::NewReport {
                            text,
                            anonymous,
                            confidential,
                        } => self.new_report(&m, text, anonymous, confidential).await,
                        _ => unreachable!("not_a_reply makes a report"),
                    },
                }
            }
            Command::Status { id } => self.status(&m, id).await,
            Command::Reply { id, text } => match self.own_report(&m.sender, id).await? {
                Some(r) => self.thread_message(&m, &r, text).await,
                None => {
                    self.reply(&m, "refused", None, replies::not_yours(id), vec![])
                        .await
                }
            },
            Command::EmptyReply { id } => match self.own_report(&m.sender, id).await? {
                Some(r) => {
                    self.reply(
                        &m,
                        "reply_empty",
                        Some(r.id),
                        replies::empty_reply(id),
                        vec![],
                    )
                    .await
                }
                None => {
                    self.reply(&m, "refused", None, replies::not_yours(id), vec![])
                        .await
                }
            },
            Command::Satisfied { id } => self.closure(&m, id, true).await,
            Command::Close { id } => self.closure(&m, id, false).await,
            Command::Help | Command::Empty => {
                self.reply(&m, "help", None, replies::help(), vec![]).await
            }
            Command::Invalid { kind, reason } => {
                self.reply(
                    &m,
                    "invalid",
                    None,
                    replies::invalid_command(kind, reason),
                    vec![],
                )
                .await
            }
            Command::InvalidId { digits, .. } => {
                self.reply(&m, "invalid_id", None, replies::invalid_id(&digits), vec![])
                    .await
            }
        }
    }

    async fn new_report(
        &self,
        m: &Incoming,
        text: String,
        anonymous: bool,
        confidential: bool,
    ) -> Result<(), StoreError> {
        if text.trim().is_empty() {
            // An SMS with no readable text (8-bit data, a picture message).
            return self
                .reply(m, "unreadable", None, replies::unreadable(), vec![])
                .await;
        }
        let msg = InboundMessage {
            channel: Channel::Sms,
            message_id: m.message_id.clone(),
            fingerprint: None,
            reporter: Reporter {
                address: Some(Address::Phone {
                    number: m.sender.clone(),
                }),
                name: None,
                contacts: vec![],
            },
            text,
            anonymous,
            confidential,
            kind: None,
            category: None,
            location: None,
            attachments: vec![],
            received_at_ms: m.received_at,
            raw: Some(m.raw.clone()),
            incomplete: (!m.missing.is_empty()).then(|| m.missing.clone()),
        };
        // The intake commits the report and its acknowledgement together.
        match self.intake.submit(msg).await {
            Ok(receipt) => {
                tracing::debug!(tracking_id = %receipt.tracking_id, created = receipt.created, "SMS report committed.");
                Ok(())
            }
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        }
    }

    /// The report `id` if it exists and this sender reported it.
    async fn own_report(
        &self,
        sender: &str,
        id: TrackingId,
    ) -> Result<Option<ReportRecord>, StoreError> {
        let Some(r) = crate::lookup::report(&*self.store, &self.lifecycle.minter, id).await? else {
            return Ok(None);
        };
        let mine = blind_index(&self.keys.get(), &address_domain("phone"), sender);
        Ok(match self.store.reporter_address_index(r.id).await? {
            Some(index) if index == mine => Some(r),
            _ => None,
        })
    }

    async fn status(&self, m: &Incoming, id: TrackingId) -> Result<(), StoreError> {
        let who = blind_index(&self.keys.get(), "sms:sender", &m.sender);
        if self.lookups.check_key(&who).is_err() {
            self.metrics.add("lapord_sms_lookups_refused_total", "", 1);
            tracing::info!(from = %mask::phone(&m.sender), "Too many CEK from one number; not answering.");
            return Ok(());
        }
        let report = crate::lookup::report(&*self.store, &self.lifecycle.minter, id).await?;
        // A confidential report is shown only to its own reporter; to anyone
        // else it is exactly an unknown ID, misses included.
        let visible = match report {
            Some(r) if !r.confidential => Some(r),
            Some(r) => self
                .own_report(&m.sender, id)
                .await?
                .filter(|o| o.id == r.id),
            None => None,
        };
        let Some(r) = visible else {
            if self.misses.check_key(&who).is_err() {
                self.metrics.add("lapord_sms_lookups_refused_total", "", 1);
                tracing::info!(from = %mask::phone(&m.sender), "Too many CEK of unknown IDs from one number; not answering.");
                return Ok(());
            }
            return self
                .reply(m, "status", None, replies::unknown_id(id), vec![])
                .await;
        };
        let state: State = r.state.parse().map_err(StoreError::Corrupt)?;
        let agency = r.agency.as_deref().map(|code| {
            self.lifecycle
                .rules
                .directory
                .get(code)
                .map_or(code.to_string(), |a| a.name.clone())
        });
        let body = replies::status(id, state, agency.as_deref());
        self.reply(m, "status", Some(r.id), body, vec![]).await
    }

    async fn thread_message(
        &self,
        m: &Incoming,
        r: &ReportRecord,
        text: String,
    ) -> Result<(), StoreError> {
        let id = crate::tracking::parse(&r.tracking_id)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut change = self
            .lifecycle
            .reporter_message_change(r, &text, "sms")
            .await
            .map_err(action_error)?;
        change.reply =
            Some(self.outbound(m, "reply_recorded", Some(r.id), replies::reply_recorded(id)));
        if self.store.apply_change(&change).await? {
            self.metrics
                .add("lapord_sms_commands_total", "reply_recorded", 1);
            return Ok(());
        }
        // The report moved on between reading and writing: try once more.
        let r = self.lifecycle.find(id).await.map_err(action_error)?;
        let mut change = self
            .lifecycle
            .reporter_message_change(&r, &text, "sms")
            .await
            .map_err(action_error)?;
        change.reply =
            Some(self.outbound(m, "reply_recorded", Some(r.id), replies::reply_recorded(id)));
        self.store.apply_change(&change).await?;
        Ok(())
    }

    async fn closure(
        &self,
        m: &Incoming,
        id: TrackingId,
        satisfied: bool,
    ) -> Result<(), StoreError> {
        let Some(r) = self.own_report(&m.sender, id).await? else {
            return self
                .reply(m, "refused", None, replies::not_yours(id), vec![])
                .await;
        };
        let state: State = r.state.parse().map_err(StoreError::Corrupt)?;
        if matches!(
            state,
            State::Selesai | State::TidakDiproses | State::Diarsipkan
        ) {
            return self
                .reply(
                    m,
                    "already_closed",
                    Some(r.id),
                    replies::already_closed(id),
                    vec![],
                )
                .await;
        }
        if satisfied && state == State::MenungguPenutupan {
            // Said before; an admin is closing it.
            return self
                .reply(
                    m,
                    "pelapor_puas",
                    Some(r.id),
                    replies::satisfied_accepted(id),
                    vec![],
                )
                .await;
        }
        let responded = matches!(state, State::Ditindaklanjuti | State::MenungguPenutupan);
        if !responded {
            return self
                .reply(
                    m,
                    "too_early",
                    Some(r.id),
                    replies::feedback_too_early(id),
                    vec![],
                )
                .await;
        }
        let (purpose, body, mut change) = if satisfied {
            (
                "pelapor_puas",
                replies::satisfied_accepted(id),
                self.lifecycle.reporter_satisfied_change(&r),
            )
        } else {
            (
                "pelapor_tutup",
                replies::close_accepted(id),
                self.lifecycle
                    .reporter_close_change(&r)
                    .await
                    .map_err(action_error)?,
            )
        };
        change.reply = Some(self.outbound(m, purpose, Some(r.id), body));
        if self.store.apply_change(&change).await? {
            self.metrics.add("lapord_sms_commands_total", purpose, 1);
            Ok(())
        } else {
            // Moved on meanwhile (closed by the scheduler, say).
            self.reply(
                m,
                "already_closed",
                Some(r.id),
                replies::already_closed(id),
                vec![],
            )
            .await
        }
    }

    fn outbound(
        &self,
        m: &Incoming,
        purpose: &str,
        report_id: Option<i64>,
        body: String,
    ) -> crate::store::NewOutbound {
        outbox::message(
            &self.keys.get(),
            "sms",
            report_id,
            purpose,
            &format!("reply:{}", m.message_id),
            &m.sender,
            body,
        )
    }

    /// Queues a reply to the sender, with the events it goes with, once.
    async fn reply(
        &self,
        m: &Incoming,
        purpose: &str,
        report_id: Option<i64>,
        body: String,
        events: Vec<(i64, NewEvent)>,
    ) -> Result<(), StoreError> {
        let out = self.outbound(m, purpose, report_id, body);
        let new = self.store.record_interaction(&out, &events).await?;
        if new {
            self.metrics.add("lapord_sms_commands_total", purpose, 1);
        }
        Ok(())
    }

    pub async fn delivery(&self, r: DeliveryReport) -> Result<(), SinkError> {
        let status = format!("TP-ST {:#04x}", r.status);
        if !r.final_ {
            return Ok(());
        }
        let found = self
            .store
            .outbox_delivered(&r.modem, i64::from(r.mr), r.delivered, &status, now_ms())
            .await
            .map_err(sink_error)?;
        self.metrics.add(
            "lapord_sms_delivery_reports_total",
            if r.delivered { "delivered" } else { "failed" },
            1,
        );
        tracing::debug!(modem = %r.modem, mr = r.mr, delivered = r.delivered, matched = found, "Delivery report.");
        Ok(())
    }
}

/// The sender as the reporter's address: E.164 for numbers, `None` for names.
fn sender_of(d: &Deliver) -> Option<String> {
    let a = &d.sender;
    match a.ton {
        TypeOfNumber::Alphanumeric => None,
        TypeOfNumber::International => Some(format!("+{}", a.digits())),
        _ => {
            let digits = a.digits();
            if digits.is_empty() {
                return None;
            }
            Some(crate::phone::normalise(digits).unwrap_or_else(|_| digits.to_string()))
        }
    }
}

/// When the citizen sent it: the service centre's time stamp, unless it is in
/// the future (a modem with a wrong clock), then now.
fn received_at(d: &Deliver) -> i64 {
    let now = now_ms();
    let scts = d.scts.unix_seconds() * 1000;
    if scts > 0 && scts <= now + 5 * 60 * 1000 {
        scts
    } else {
        now
    }
}

fn action_error(e: ActionError) -> StoreError {
    match e {
        ActionError::Store(e) => e,
        other => StoreError::Corrupt(other.to_string()),
    }
}

fn sink_error(e: StoreError) -> SinkError {
    SinkError::new(e.to_string())
}

impl Sink for SmsService {
    fn received(&self, msg: Received) -> lapor_sms::modem::BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.accept(msg))
    }

    fn delivery_report(
        &self,
        report: DeliveryReport,
    ) -> lapor_sms::modem::BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.delivery(report))
    }
}
