//! The daemon's side of a running modem: [`spawn`] starts the driver task and returns a
//! [`ModemHandle`], cheap to clone, that reads the status and queues sends. The message
//! is encoded in the caller's task (an invalid number fails at once, without touching
//! the modem); the modem task sends it between its own reads, so the wire sees one
//! thing at a time.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::api::{SendCause, SendFailure, Sink};
use super::config::ModemConfig;
use super::status::{ModemState, ModemStatus, StatusTx};
use super::supervisor::{self, Opener, SerialOpener};
use crate::{encode_submit, EncodedPart, SubmitOptions};

/// Sends waiting for the modem task; more wait in `send` itself.
const QUEUE: usize = 16;

/// One message for the modem task, already split into parts.
pub(crate) struct SendRequest {
    pub parts: Vec<EncodedPart>,
    pub reply: oneshot::Sender<Result<Vec<u8>, SendFailure>>,
}

/// A running modem. Clones share the same driver task.
#[derive(Clone)]
pub struct ModemHandle {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    requests: mpsc::Sender<SendRequest>,
    status: watch::Receiver<ModemStatus>,
    /// Reference shared by the parts of one concatenated message; a new one per message
    /// so a phone never mixes the parts of two replies.
    concat_ref: AtomicU8,
    status_reports: bool,
}

impl fmt::Debug for ModemHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModemHandle")
            .field("name", &self.inner.name)
            .field("state", &self.inner.status.borrow().state)
            .finish()
    }
}

impl ModemHandle {
    /// The configured name (`modem0`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The latest status, for metrics and health checks.
    pub fn status(&self) -> ModemStatus {
        self.inner.status.borrow().clone()
    }

    /// Whether the modem is initialised and sends can go out now.
    pub fn is_ready(&self) -> bool {
        self.inner.status.borrow().state == ModemState::Ready
    }

    /// A receiver that wakes on every status change (state, counters, signal...).
    pub fn subscribe(&self) -> watch::Receiver<ModemStatus> {
        self.inner.status.clone()
    }

    /// Sends one SMS (split into concatenated parts when long; GSM 7-bit when the text
    /// allows, UCS2 otherwise; with a status-report request if configured) through
    /// `AT+CMGS`: wait for the "> " prompt, write PDU hex + Ctrl-Z. Returns each part's
    /// message reference. Transient errors (timeout, port gone, modem not ready, CMS
    /// codes whose `transient()` is true) and permanent ones (invalid number, CMS codes
    /// that are permanent) are distinguished. Dropping the future before the modem task
    /// starts the send cancels it.
    pub async fn send(&self, to: &str, text: &str) -> Result<Vec<u8>, SendFailure> {
        let opts = SubmitOptions {
            request_status_report: self.inner.status_reports,
            concat_ref: self.inner.concat_ref.fetch_add(1, Ordering::Relaxed),
            ..SubmitOptions::default()
        };
        let parts = encode_submit(to, text, &opts)
            .map_err(|e| SendFailure::permanent(SendCause::Invalid(e), 0))?;
        if !self.is_ready() {
            return Err(SendFailure::transient(SendCause::NotReady, 0));
        }
        let (reply, answer) = oneshot::channel();
        self.inner
            .requests
            .send(SendRequest { parts, reply })
            .await
            .map_err(|_| SendFailure::transient(SendCause::Stopped, 0))?;
        answer
            .await
            .unwrap_or(Err(SendFailure::transient(SendCause::Stopped, 0)))
    }
}

/// Starts the driver task for one modem. It runs until `cancel` fires (finishing the
/// command in flight), reopening the port and re-initialising the modem as often as
/// needed; a failing modem never affects another modem's task.
pub fn spawn(
    cfg: ModemConfig,
    sink: Arc<dyn Sink>,
    cancel: CancellationToken,
) -> (ModemHandle, JoinHandle<()>) {
    spawn_with(cfg, sink, cancel, SerialOpener)
}

/// [`spawn`] over any way of opening the port (tests hand out in-memory pipes).
pub(crate) fn spawn_with<O: Opener>(
    cfg: ModemConfig,
    sink: Arc<dyn Sink>,
    cancel: CancellationToken,
    opener: O,
) -> (ModemHandle, JoinHandle<()>) {
    let (status_tx, status) = StatusTx::new();
    let (requests, queue) = mpsc::channel(QUEUE);
    let handle = ModemHandle {
        inner: Arc::new(Inner {
            name: cfg.name.clone(),
            requests,
            status,
            concat_ref: AtomicU8::new(supervisor::random_u8()),
            status_reports: cfg.status_reports,
        }),
    };
    let task = tokio::spawn(supervisor::run(cfg, sink, cancel, opener, queue, status_tx));
    (handle, task)
}
