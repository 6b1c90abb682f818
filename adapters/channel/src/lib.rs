//! The contract between lapord's core and its channel adapters.
//!
//! An adapter speaks one channel (SMS, Twitter, email, webhooks). It turns what
//! arrives into an [`InboundMessage`], hands it to the core through an
//! [`IntakeHandle`], and acknowledges upstream (deletes the SMS, flags the mail,
//! answers 2xx) only after [`IntakeHandle::submit`] has returned a [`Receipt`]:
//! the receipt exists only once the report is committed. The other way round, the
//! core gives an adapter [`OutboundMessage`]s to send to an address on its channel.
//!
//! This crate knows nothing of the database, routing or agencies, and no adapter
//! crate may depend on anything that does.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// A boxed future, so the traits below stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The channels a report can arrive on. Closed: adding one is a compile error
/// wherever channels are matched, until it is wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Twitter,
    Email,
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Sms,
        Channel::Twitter,
        Channel::Email,
        Channel::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Twitter => "twitter",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a reporter can be reached on some channel. These values identify a
/// person: the core protects them (never logged in clear, never shown to an
/// agency when the reporter is anonymous).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Address {
    /// A phone number as the channel gave it; the core normalises it to E.164.
    Phone {
        number: String,
    },
    Email {
        address: String,
    },
    Twitter {
        user_id: String,
        handle: String,
    },
    /// A user of a partner system that submitted the report by webhook.
    Partner {
        source: String,
        user_id: String,
    },
}

impl fmt::Debug for Address {
    // Debug output ends up in logs; it must not carry the identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Phone { .. } => f.write_str("Address::Phone(<redacted>)"),
            Address::Email { .. } => f.write_str("Address::Email(<redacted>)"),
            Address::Twitter { .. } => f.write_str("Address::Twitter(<redacted>)"),
            Address::Partner { source, .. } => write!(f, "Address::Partner({source}, <redacted>)"),
        }
    }
}

/// Who sent a message, as far as the channel knows.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    /// The address the message came from: replies go back here.
    pub address: Option<Address>,
    /// A display name, when the channel or the partner system gives one.
    pub name: Option<String>,
    /// Further ways to reach the reporter that the sender volunteered.
    pub contacts: Vec<Address>,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("address", &self.address)
            .field("name", &self.name.as_ref().map(|_| "<redacted>"))
            .field("contacts", &self.contacts.len())
            .finish()
    }
}

/// An optional place a report is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Kemendagri region code ("32", "32.73", "32.73.01").
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A file that came with a message.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One message from a channel, as the adapter understood it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub channel: Channel,
    /// The channel's own id for this message (SMS storage key, tweet id,
    /// Message-ID, webhook-id scoped to its source). With the channel it is the
    /// deduplication key: the same id twice is one report.
    pub message_id: String,
    /// A digest of the content. The same `message_id` with another fingerprint is
    /// a conflict, not a retry. `None` when the channel cannot tell.
    pub fingerprint: Option<[u8; 32]>,
    pub reporter: Reporter,
    pub text: String,
    pub anonymous: bool,
    pub confidential: bool,
    /// The report kind, when the sender stated it (`pengaduan`, `aspirasi`,
    /// `permintaan_informasi`, `apresiasi`).
    pub kind: Option<String>,
    /// A category code from the configured taxonomy, when the sender stated it.
    pub category: Option<String>,
    pub location: Option<Location>,
    pub attachments: Vec<Attachment>,
    /// When the channel received it, in Unix milliseconds.
    pub received_at_ms: i64,
    /// The raw channel payload (a PDU, a mail), kept for operators.
    pub raw: Option<Vec<u8>>,
    /// Set when the channel could deliver only part of the message (a long SMS
    /// whose other parts never came): which parts are missing, as the channel
    /// numbers them. Recorded with the report.
    pub incomplete: Option<Vec<i64>>,
}

/// What the core answers once a message is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub tracking_id: String,
    /// False when the message was a repeat of one already committed.
    pub created: bool,
}

/// Why the core could not take a message. Each variant is a decision for the
/// adapter: refuse it, or keep it upstream and try again later.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    /// The same message id was already committed with different content.
    #[error("message id already used for different content")]
    Conflict,
    /// The message is unacceptable as it stands.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Nothing was committed; try again later and keep the message upstream.
    #[error("intake unavailable: {reason}")]
    Unavailable { reason: String },
}

/// The core's side of the intake, implemented by the daemon.
pub trait Intake: Send + Sync + 'static {
    fn submit(&self, message: InboundMessage) -> BoxFuture<'_, Result<Receipt, IntakeError>>;
}

/// How an adapter submits messages. Cheap to clone.
#[derive(Clone)]
pub struct IntakeHandle(Arc<dyn Intake>);

impl IntakeHandle {
    pub fn new(intake: Arc<dyn Intake>) -> Self {
        IntakeHandle(intake)
    }

    /// Submits a message and waits until it is committed. Only an `Ok` allows
    /// the adapter to acknowledge the message upstream.
    pub async fn submit(&self, message: InboundMessage) -> Result<Receipt, IntakeError> {
        self.0.submit(message).await
    }
}

/// A message the core wants delivered on a channel.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    pub to: Address,
    pub text: String,
    /// The tracking ID this message is about, for threading and logs.
    pub tracking_id: Option<String>,
    /// Stable across retries, so a channel that can deduplicate does.
    pub idempotency_key: String,
}

/// What a channel says after taking an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The channel's id for what was sent, if it gives one.
    pub channel_message_id: Option<String>,
}

/// Why a send failed: try again, or give up and record why.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    #[error("transient send failure: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("permanent send failure: {reason}")]
    Permanent { reason: String },
}

/// Why an inbound adapter stopped.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("adapter misconfigured: {0}")]
    Config(String),
    #[error("adapter failed: {0}")]
    Failed(String),
}

/// An adapter that receives. `run` returns within a second of `shutdown` being
/// cancelled, after finishing (commit, then acknowledge) the message in hand.
pub trait InboundAdapter: Send + 'static {
    fn name(&self) -> &str;
    fn run(
        self: Box<Self>,
        intake: IntakeHandle,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, Result<(), AdapterError>>;
}

/// An adapter that sends on its channel.
pub trait OutboundAdapter: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    fn send(&self, message: OutboundMessage) -> BoxFuture<'_, Result<SendReceipt, SendError>>;
}
