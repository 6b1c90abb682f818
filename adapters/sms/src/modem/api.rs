//! The values the driver hands to the daemon and the contract the daemon implements
//! ([`Sink`]): a message is deleted from the modem only after the sink says it is
//! durably committed, so a crash between the two means the message is read again, never
//! lost. Also the send outcome, split into the caller's two decisions: try again later
//! ([`SendFailure::Transient`]) or give up ([`SendFailure::Permanent`]).

use std::future::Future;
use std::pin::Pin;

use crate::at::FinalResult;
use crate::{Deliver, EncodeError, PduError};

/// A boxed future, so [`Sink`] stays object safe without `async-trait`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message read from the modem (one part of a concatenated message is one
/// `Received`; the daemon assembles them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The modem's configured name.
    pub modem: String,
    /// Storage index the message was read from, or [`Received::DIRECT`] for a message
    /// the modem routed straight to us (`+CMT`). Read twice, a message keeps its index.
    pub index: u32,
    /// The PDU octets as the modem printed them, SMSC field included. When the line was
    /// not valid hex, its text bytes (and `decoded` is `Err(PduError::BadHex)`).
    pub pdu: Vec<u8>,
    /// The decoded SMS-DELIVER, or why it could not be decoded: undecodable PDUs are
    /// handed over too, so nothing the network delivered is lost.
    pub decoded: Result<Deliver, PduError>,
}

impl Received {
    /// The `index` of a message that was never stored on the modem (`+CMT`).
    pub const DIRECT: u32 = u32::MAX;
}

/// A status report: whether a message we sent reached the recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The modem's configured name.
    pub modem: String,
    /// TP-MR of the sent part, as returned by [`ModemHandle::send`](super::ModemHandle::send).
    pub mr: u8,
    /// The recipient as the network reports it (may be national where we sent
    /// international; compare with [`Address::matches`](crate::Address::matches) rules).
    pub recipient: String,
    /// The message reached the phone.
    pub delivered: bool,
    /// No further report will come for this part (delivered, or failed for good); false
    /// while the SMSC is still trying.
    pub final_: bool,
    /// TP-ST as sent by the network.
    pub status: u8,
    /// The status report PDU octets, SMSC field included.
    pub pdu: Vec<u8>,
}

/// Why the sink did not take a message; the driver keeps it on the modem and retries on
/// the next sweep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

impl SinkError {
    /// A sink error with the given reason (no message content, no phone numbers).
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Implemented by the daemon.
pub trait Sink: Send + Sync + 'static {
    /// Ok only after the message (or its part) is durably committed; only then the driver
    /// deletes it from the modem (`AT+CMGD`). Err → keep it on the modem, retry on the
    /// next sweep. The same message may be handed over more than once (a delete that
    /// failed, a crash): the sink dedupes.
    fn received(&self, msg: Received) -> BoxFuture<'_, Result<(), SinkError>>;

    /// Same contract as [`Sink::received`], for status reports of messages we sent.
    fn delivery_report(&self, report: DeliveryReport) -> BoxFuture<'_, Result<(), SinkError>>;
}

/// What went wrong with a send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendCause {
    /// The modem is starting, recovering or down.
    #[error("modem not ready")]
    NotReady,
    /// No prompt or no answer in time.
    #[error("modem did not answer in time")]
    Timeout,
    /// The port went away (USB unplug, I/O error) during the send.
    #[error("serial port lost")]
    PortGone,
    /// The driver is shutting down.
    #[error("modem driver stopped")]
    Stopped,
    /// The modem or the network refused the message.
    #[error("modem answered {0:?}")]
    Rejected(FinalResult),
    /// `OK` without the `+CMGS: <mr>` line.
    #[error("no message reference in the answer")]
    NoReference,
    /// The recipient or text cannot be encoded (invalid number, too many parts).
    #[error("cannot encode: {0}")]
    Invalid(EncodeError),
}

/// A failed [`ModemHandle::send`](super::ModemHandle::send). `parts_sent` parts of a
/// concatenated message went out before the failure (the recipient may see them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Sending the same message later may work: timeout, port gone, modem not ready,
    /// network congestion (CMS codes whose `transient()` is true).
    #[error("transient send failure: {cause} ({parts_sent} part(s) sent)")]
    Transient {
        /// What went wrong.
        cause: SendCause,
        /// Parts that went out before the failure.
        parts_sent: usize,
    },
    /// It will not work: invalid number, message refused (permanent CMS codes).
    #[error("permanent send failure: {cause} ({parts_sent} part(s) sent)")]
    Permanent {
        /// What went wrong.
        cause: SendCause,
        /// Parts that went out before the failure.
        parts_sent: usize,
    },
}

impl SendFailure {
    /// True for [`SendFailure::Transient`].
    pub fn is_transient(&self) -> bool {
        matches!(self, SendFailure::Transient { .. })
    }

    /// What went wrong.
    pub fn cause(&self) -> &SendCause {
        match self {
            SendFailure::Transient { cause, .. } | SendFailure::Permanent { cause, .. } => cause,
        }
    }

    /// Parts of the message that were sent before the failure.
    pub fn parts_sent(&self) -> usize {
        match self {
            SendFailure::Transient { parts_sent, .. }
            | SendFailure::Permanent { parts_sent, .. } => *parts_sent,
        }
    }

    pub(crate) fn transient(cause: SendCause, parts_sent: usize) -> Self {
        SendFailure::Transient { cause, parts_sent }
    }

    pub(crate) fn permanent(cause: SendCause, parts_sent: usize) -> Self {
        SendFailure::Permanent { cause, parts_sent }
    }
}
