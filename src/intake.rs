//! Intake: from an adapter's [`InboundMessage`] to a committed report.
//!
//! `submit` runs on the adapter's task: it normalises the reporter, routes the
//! text, mints the tracking ID and stores attachment files — work that spreads
//! over all cores. It then hands the prepared report to the single writer task
//! and waits. The writer takes everything waiting (up to `intake.batch_max`),
//! commits it in one transaction, and only then answers each submitter: many
//! concurrent reports share one fsync, and nobody hears "committed" before the
//! commit.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use lapor_channel::{Channel, InboundMessage, Intake, IntakeError, Receipt};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_util::sync::CancellationToken;

use crate::identity;
use crate::metrics::Metrics;
use crate::model::{Kind, State};
use crate::outbox;
use crate::privacy::cipher::{self, Field};
use crate::privacy::KeyringHandle;
use crate::replies;
use crate::routing::{Router, Stated};
use crate::store::{IntakeOutcome, NewAttachment, NewEvent, NewReport, Store};
use crate::tracking::Minter;

/// How many tracking counters a daemon reserves at a time.
const COUNTER_BLOCK: i64 = 1000;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// Settings the intake needs.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub forward_threshold: f64,
    /// `None` keeps attachment bytes in the database.
    pub attachments_dir: Option<PathBuf>,
    pub max_attachment_bytes: usize,
    pub batch_max: usize,
    pub queue_capacity: usize,
    /// Deadlines set at intake; `None` sets none (tools and tests).
    pub deadlines: Option<crate::lifecycle::DeadlineRules>,
}

struct Pending {
    report: NewReport,
    /// forwarded, verification or unrouted: counted once committed.
    routing_outcome: &'static str,
    reply: oneshot::Sender<Result<Receipt, IntakeError>>,
}

/// The daemon's implementation of the adapters' [`Intake`].
pub struct IntakeService {
    router: Arc<Router>,
    keys: Arc<KeyringHandle>,
    minter: Minter,
    counters: Mutex<Range<i64>>,
    store: Arc<dyn Store>,
    tx: mpsc::Sender<Pending>,
    cfg: IntakeConfig,
    closed: AtomicBool,
    stop: CancellationToken,
}

impl IntakeService {
    /// Starts the writer; returns the service and the writer's task.
    pub async fn start(
        store: Arc<dyn Store>,
        router: Arc<Router>,
        keys: Arc<KeyringHandle>,
        metrics: Arc<Metrics>,
        cfg: IntakeConfig,
    ) -> Result<(Arc<IntakeService>, tokio::task::JoinHandle<()>), crate::store::StoreError> {
        let key = store.tracking_key().await?;
        let (tx, rx) = mpsc::channel(cfg.queue_capacity);
        let stop = CancellationToken::new();
        let writer = tokio::spawn(writer(
            store.clone(),
            rx,
            cfg.batch_max,
            metrics,
            stop.clone(),
        ));
        let svc = Arc::new(IntakeService {
            router,
            keys,
            minter: Minter::new(&key),
            counters: Mutex::new(0..0),
            store,
            tx,
            cfg,
            closed: AtomicBool::new(false),
            stop,
        });
        Ok((svc, writer))
    }

    /// The tracking-ID minter, for lookups that invert IDs to row ids.
    pub fn minter(&self) -> &Minter {
        &self.minter
    }

    /// Refuses new submissions; the writer commits what it holds, then ends.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.stop.cancel();
    }

    async fn next_counter(&self) -> Result<i64, IntakeError> {
        let mut block = self.counters.lock().await;
        if block.is_empty() {
            *block = self
                .store
                .reserve_counters(COUNTER_BLOCK)
                .await
                .map_err(unavailable)?;
        }
        Ok(block.next().expect("a fresh block is not empty"))
    }

    async fn prepare(&self, msg: InboundMessage) -> Result<(NewReport, &'static str), IntakeError> {
        let now = now_ms();
        let identity = identity::identity_of(&msg)?;
        let stated_kind = msg.kind.as_deref().and_then(|k| k.parse::<Kind>().ok());
        let region = msg.location.as_ref().and_then(|l| l.region_code.as_deref());
        let decision = self.router.decide(
            &msg.text,
            &Stated {
                kind: stated_kind,
                category: msg.category.as_deref(),
                region_code: region,
            },
        );
        let counter = self.next_counter().await?;
        let tracking =
            self.minter
                .mint(counter as u64)
                .ok_or_else(|| IntakeError::Unavailable {
                    reason: "tracking ID space exhausted".into(),
                })?;
        let mut attachments = Vec::with_capacity(msg.attachments.len());
        for (i, a) in msg.attachments.iter().enumerate() {
            if a.bytes.len() > self.cfg.max_attachment_bytes {
                return Err(IntakeError::Invalid {
                    field: format!("attachments[{i}]"),
                    reason: format!("larger than {} bytes", self.cfg.max_attachment_bytes),
                });
            }
            let sha: [u8; 32] = Sha256::digest(&a.bytes).into();
            let data = match &self.cfg.attachments_dir {
                None => Some(a.bytes.clone()),
                Some(dir) => {
                    store_file(dir, &sha, &a.bytes).await.map_err(|e| {
                        IntakeError::Unavailable {
                            reason: format!("cannot store attachment: {e}"),
                        }
                    })?;
                    None
                }
            };
            attachments.push(NewAttachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.bytes.len() as i64,
                sha256: sha.to_vec(),
                data,
            });
        }
        let forward =
            decision.agency.is_some() && decision.confidence >= self.cfg.forward_threshold;
        let channel_actor = format!("channel:{}", msg.channel);
        let mut events = vec![NewEvent {
            at: now,
            actor: channel_actor,
            action: State::Diterima.as_str().into(),
            detail: json!({
                "channel": msg.channel.as_str(),
                "routing": {"agency": decision.agency, "confidence": decision.confidence, "rule": decision.rule},
                "incomplete": msg.incomplete,
            })
            .to_string(),
        }];
        let weight = decision.weight.as_str();
        let mut assignments = Vec::new();
        let mut verify_due_at = None;
        let (state, enqueue) = if forward {
            let agency = decision.agency.clone().expect("checked above");
            let due = self
                .cfg
                .deadlines
                .as_ref()
                .and_then(|d| d.followup_due(now, &agency, weight));
            if let Some(due_at) = due {
                assignments.push(crate::store::NewAssignment {
                    agency: agency.clone(),
                    forwarded_at: now,
                    due_at,
                });
            }
            events.push(NewEvent {
                at: now,
                actor: "system:routing".into(),
                action: State::Diteruskan.as_str().into(),
                detail: json!({
                    "agency": agency,
                    "agencies": [agency],
                    "due": {agency.as_str(): due},
                    "rule": decision.rule,
                    "confidence": decision.confidence,
                })
                .to_string(),
            });
            (State::Diteruskan, vec![agency])
        } else {
            verify_due_at = self
                .cfg
                .deadlines
                .as_ref()
                .and_then(|d| d.verify_due(msg.received_at_ms));
            (State::Diterima, vec![])
        };
        // Seal the identity with the report's id as associated data.
        let keys = self.keys.get();
        let reporter = identity.as_ref().map(|i| identity::seal(&keys, counter, i));
        let channel = msg.channel.as_str();
        let dedupe_key = identity::message_key(&keys, channel, &msg.message_id);
        // A citizen who wrote from a phone hears back at once with the
        // tracking ID: queued with the report, sent by the outbox.
        let mut outbox = Vec::new();
        if msg.channel == Channel::Sms {
            if let Some(to) = identity
                .as_ref()
                .filter(|i| i.address_kind == "phone")
                .and_then(|i| i.address.as_deref())
            {
                outbox.push(outbox::message(
                    &keys,
                    "sms",
                    Some(counter),
                    "ack",
                    &format!("ack:{}", hex::encode(&dedupe_key)),
                    to,
                    if msg.incomplete.is_some() {
                        replies::received_incomplete(tracking)
                    } else {
                        replies::received(tracking, msg.anonymous, msg.confidential)
                    },
                ));
            }
        }
        tracing::debug!(
            tracking_id = %tracking,
            channel,
            reporter = identity.as_ref().map_or("-".to_string(), |i| i.masked()),
            anonymous = msg.anonymous,
            "Prepared a report."
        );
        let routing_outcome = match (&decision.agency, forward) {
            (_, true) => "forwarded",
            (Some(_), false) => "verification",
            (None, _) => "unrouted",
        };
        let report = NewReport {
            id: counter,
            tracking_id: tracking.to_string(),
            channel: channel.into(),
            message_id_enc: cipher::seal(
                &keys,
                Field::MessageId,
                counter,
                msg.message_id.as_bytes(),
            ),
            identity_key_id: i64::from(keys.active().0),
            dedupe_key,
            fingerprint: msg.fingerprint.map(|f| f.to_vec()),
            kind: decision.kind.as_str().into(),
            category: decision.category.clone(),
            body: msg.text,
            region_code: msg.location.as_ref().and_then(|l| l.region_code.clone()),
            latitude: msg.location.as_ref().and_then(|l| l.latitude),
            longitude: msg.location.as_ref().and_then(|l| l.longitude),
            received_at: msg.received_at_ms,
            created_at: now,
            state: state.as_str().into(),
            agency: if forward {
                decision.agency.clone()
            } else {
                None
            },
            weight: decision.weight.as_str().into(),
            anonymous: msg.anonymous,
            confidential: msg.confidential,
            routing: serde_json::to_string(&decision).expect("a decision serialises"),
            reporter,
            attachments,
            events,
            enqueue,
            outbox,
            verify_due_at,
            forwarded_at: forward.then_some(now),
            assignments,
        };
        Ok((report, routing_outcome))
    }
}

fn unavailable(e: crate::store::StoreError) -> IntakeError {
    IntakeError::Unavailable {
        reason: e.to_string(),
    }
}

/// Writes an attachment under its hash, durably, before the report commits.
async fn store_file(dir: &std::path::Path, sha: &[u8; 32], bytes: &[u8]) -> std::io::Result<()> {
    let name = hex::encode(sha);
    let path = dir.join(&name[..2]).join(&name);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(());
    }
    tokio::fs::create_dir_all(path.parent().expect("has a parent")).await?;
    let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
    let mut f = tokio::fs::File::create(&tmp).await?;
    tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
    f.sync_all().await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(())
}

impl Intake for IntakeService {
    fn submit(
        &self,
        message: InboundMessage,
    ) -> lapor_channel::BoxFuture<'_, Result<Receipt, IntakeError>> {
        Box::pin(async move {
            if self.closed.load(Ordering::SeqCst) {
                return Err(IntakeError::Unavailable {
                    reason: "shutting down".into(),
                });
            }
            let (report, routing_outcome) = self.prepare(message).await?;
            let (reply, answer) = oneshot::channel();
            self.tx
                .try_send(Pending {
                    report,
                    routing_outcome,
                    reply,
                })
                .map_err(|e| IntakeError::Unavailable {
                    reason: match e {
                        mpsc::error::TrySendError::Full(_) => "intake is overloaded".into(),
                        mpsc::error::TrySendError::Closed(_) => "shutting down".into(),
                    },
                })?;
            answer.await.map_err(|_| IntakeError::Unavailable {
                reason: "intake stopped before committing".into(),
            })?
        })
    }
}

async fn writer(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Pending>,
    batch_max: usize,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(batch_max);
    loop {
        let stopping = tokio::select! {
            biased;
            n = rx.recv_many(&mut batch, batch_max) => {
                if n == 0 { break; }
                false
            }
            _ = stop.cancelled() => true,
        };
        if stopping {
            // Commit whatever is still waiting, then end.
            rx.close();
            while let Ok(p) = rx.try_recv() {
                batch.push(p);
                if batch.len() >= batch_max {
                    commit(&*store, &mut batch, &metrics).await;
                }
            }
            commit(&*store, &mut batch, &metrics).await;
            break;
        }
        commit(&*store, &mut batch, &metrics).await;
    }
    tracing::debug!("Intake writer stopped.");
}

async fn commit(store: &dyn Store, batch: &mut Vec<Pending>, metrics: &Metrics) {
    if batch.is_empty() {
        return;
    }
    let reports: Vec<&NewReport> = batch.iter().map(|p| &p.report).collect();
    let started = std::time::Instant::now();
    let result = store.commit_intake(&reports).await;
    tracing::debug!(
        reports = reports.len(),
        took_us = started.elapsed().as_micros() as u64,
        "Committed a batch."
    );
    metrics.add("lapord_intake_batches_total", "", 1);
    metrics.add("lapord_intake_batch_reports_total", "", batch.len() as u64);
    match result {
        Ok(outcomes) => {
            for (p, outcome) in batch.drain(..).zip(outcomes) {
                let r = &p.report;
                let answer = match outcome {
                    IntakeOutcome::Created => {
                        metrics.add("lapord_reports_received_total", &r.channel, 1);
                        metrics.add("lapord_routing_total", p.routing_outcome, 1);
                        tracing::info!(
                            tracking_id = %r.tracking_id,
                            channel = %r.channel,
                            state = %r.state,
                            agency = r.agency.as_deref().unwrap_or("-"),
                            "Report committed."
                        );
                        Ok(Receipt {
                            tracking_id: r.tracking_id.clone(),
                            created: true,
                        })
                    }
                    IntakeOutcome::Duplicate { tracking_id } => {
                        metrics.add("lapord_reports_duplicate_total", &r.channel, 1);
                        tracing::info!(tracking_id = %tracking_id, channel = %r.channel, "Repeated message; answered with its report.");
                        Ok(Receipt {
                            tracking_id,
                            created: false,
                        })
                    }
                    IntakeOutcome::Conflict => {
                        tracing::info!(channel = %r.channel, "Message id reused with different content; refused.");
                        Err(IntakeError::Conflict)
                    }
                };
                // The submitter may have gone (a closed connection); the report
                // is committed all the same and a retry will find it.
                let _ = p.reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, reports = batch.len(), "Could not commit a batch of reports; refusing them so senders retry.");
            for p in batch.drain(..) {
                let _ = p.reply.send(Err(IntakeError::Unavailable {
                    reason: "the store could not commit".into(),
                }));
            }
        }
    }
}
