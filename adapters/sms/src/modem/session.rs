//! One session with an initialised modem on an open port: the loop that waits for URCs,
//! send requests, the sweep timer and the status timer, and does one thing at a time, so
//! reads, deletes and sends never interleave on the wire and no storage index is ever
//! processed twice at once. A session ends with a [`Fault`] that tells the supervisor
//! what to do next: re-initialise, reopen the port, or stop. Initialisation is in
//! `init.rs`, receiving in `receive.rs`, sending in `send.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::api::Sink;
use super::config::ModemConfig;
use super::handle::SendRequest;
use super::link::{Link, LinkError, Port, Response};
use super::status::StatusTx;
use crate::at::{parse_cpms, parse_creg, parse_csq, Urc};

/// Why a session (or an init) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Two commands in a row timed out: re-initialise.
    Unresponsive,
    /// The modem lost its settings (boot banner, text mode): re-initialise.
    Reset(&'static str),
    /// The port is gone (I/O error, end of file): reopen.
    Gone(String),
    /// Initialisation failed: close and reopen.
    Init(String),
    /// Cancelled: close.
    Cancelled,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Unresponsive => f.write_str("modem stopped answering"),
            Fault::Reset(why) => write!(f, "modem was reset ({why})"),
            Fault::Gone(e) => write!(f, "port lost: {e}"),
            Fault::Init(e) => write!(f, "initialisation failed: {e}"),
            Fault::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl From<LinkError> for Fault {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Timeout { .. } => Fault::Unresponsive,
            LinkError::Gone(e) => Fault::Gone(e),
        }
    }
}

/// A stored message to read because a `+CMTI`/`+CDSI` announced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Announced {
    pub storage: String,
    pub index: u32,
}

/// What survives re-initialisation and reopening.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    /// The SIM refused the configured PIN: never enter it again (three wrong PINs lock
    /// the SIM).
    pub pin_rejected: bool,
}

pub(crate) struct Session<'a, P> {
    pub(super) link: Link<P>,
    pub(super) cfg: &'a ModemConfig,
    pub(super) sink: &'a dyn Sink,
    pub(super) status: &'a StatusTx,
    pub(super) cancel: &'a CancellationToken,
    /// Commands in a row that timed out.
    pub(super) timeouts: u32,
    /// `AT+CSMS` service 1: `+CMT`/`+CDS` must be acknowledged with `AT+CNMA`.
    pub(super) cnma: bool,
    /// The `AT+CPMS=...` that init found accepted, to restore after reading elsewhere.
    pub(super) cpms: String,
    /// Announced messages waiting to be read, without duplicates.
    pub(super) announced: VecDeque<Announced>,
    /// A full storage or similar asked for a sweep before the timer.
    pub(super) sweep_due: bool,
}

impl<'a, P: Port> Session<'a, P> {
    pub fn new(
        link: Link<P>,
        cfg: &'a ModemConfig,
        sink: &'a dyn Sink,
        status: &'a StatusTx,
        cancel: &'a CancellationToken,
    ) -> Self {
        Self {
            link,
            cfg,
            sink,
            status,
            cancel,
            timeouts: 0,
            cnma: false,
            cpms: String::new(),
            announced: VecDeque::new(),
            sweep_due: false,
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Runs an initialised session until something ends it.
    pub async fn run(&mut self, requests: &mut mpsc::Receiver<SendRequest>) -> Fault {
        let start = Instant::now();
        let mut sweep = interval_at(start + self.cfg.poll_interval, self.cfg.poll_interval);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut poll = interval_at(start + self.cfg.status_interval, self.cfg.status_interval);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        self.sweep_due = true;
        loop {
            if let Err(f) = self.work().await {
                return f;
            }
            if self.cancel.is_cancelled() {
                return Fault::Cancelled;
            }
            let step = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => Err(Fault::Cancelled),
                r = self.link.idle() => r.map_err(Fault::from),
                Some(req) = requests.recv() => self.send(req).await,
                _ = sweep.tick() => {
                    self.sweep_due = true;
                    Ok(())
                }
                _ = poll.tick() => self.poll_status(true).await,
            };
            if let Err(f) = step {
                return f;
            }
        }
    }

    /// Handles queued URCs, announced messages and a due sweep, checking cancellation
    /// between messages.
    async fn work(&mut self) -> Result<(), Fault> {
        loop {
            for urc in self.link.take_urcs() {
                self.on_urc(urc).await?;
            }
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            if let Some(a) = self.announced.pop_front() {
                self.read_announced(a).await?;
            } else if std::mem::take(&mut self.sweep_due) {
                self.sweep().await?;
            } else if self.link.has_urcs() {
                continue;
            } else {
                return Ok(());
            }
        }
    }

    async fn on_urc(&mut self, urc: Urc) -> Result<(), Fault> {
        match urc {
            Urc::NewMessage { storage, index } | Urc::StatusReportStored { storage, index } => {
                tracing::debug!(modem = %self.name(), index, "Message announced.");
                let a = Announced { storage, index };
                if !self.announced.contains(&a) {
                    self.announced.push_back(a);
                }
            }
            Urc::Deliver { pdu_hex, .. } => self.direct(&pdu_hex, false).await?,
            Urc::StatusReport { pdu_hex, .. } => self.direct(&pdu_hex, true).await?,
            Urc::Registration(r) => self.status.registration(r.state),
            Urc::MemoryFull { .. } => {
                tracing::warn!(modem = %self.name(), "Modem reports its message storage full.");
                self.sweep_due = true;
            }
            u if u.is_boot_banner() => return Err(Fault::Reset("boot banner")),
            Urc::Broadcast { .. } => {
                tracing::debug!(modem = %self.name(), "Cell broadcast ignored.")
            }
            Urc::Ring => tracing::debug!(modem = %self.name(), "Incoming call ignored."),
            Urc::Noise { line } | Urc::Unknown { line } => {
                tracing::debug!(modem = %self.name(), len = line.len(), "Unsolicited line ignored.")
            }
        }
        Ok(())
    }

    /// Sends a command, retrying once after a timeout. Two timeouts in a row (this
    /// command's or the previous one's) mean the modem stopped answering.
    pub(super) async fn cmd(&mut self, command: &str) -> Result<Response, Fault> {
        loop {
            match self.link.command(command, self.cfg.command_timeout).await {
                Ok(r) => {
                    self.timeouts = 0;
                    return Ok(r);
                }
                Err(LinkError::Gone(e)) => return Err(Fault::Gone(e)),
                Err(LinkError::Timeout { .. }) => {
                    self.timed_out(command)?;
                    self.quiet().await?;
                }
            }
        }
    }

    /// Counts a timeout; the second in a row is [`Fault::Unresponsive`].
    pub(super) fn timed_out(&mut self, command: &str) -> Result<(), Fault> {
        self.timeouts += 1;
        self.status.count(|c| c.timeouts += 1);
        tracing::warn!(
            modem = %self.name(),
            command = %loggable(command),
            in_a_row = self.timeouts,
            "Command timed out."
        );
        if self.timeouts >= 2 {
            return Err(Fault::Unresponsive);
        }
        Ok(())
    }

    /// Lets the late answer of an abandoned command arrive and be dropped.
    pub(super) async fn quiet(&mut self) -> Result<(), Fault> {
        let quiet = (self.cfg.command_timeout / 4).min(Duration::from_millis(300));
        self.link
            .drain(quiet, self.cfg.command_timeout)
            .await
            .map_err(Fault::from)
    }

    /// Waits, unless cancelled.
    pub(super) async fn pause(&mut self, d: Duration) -> Result<(), Fault> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Fault::Cancelled),
            _ = tokio::time::sleep(d) => Ok(()),
        }
    }

    /// Polls registration and signal (and storage use when `storage` is set) into the
    /// status. Answers that cannot be read are logged and skipped.
    pub(super) async fn poll_status(&mut self, storage: bool) -> Result<(), Fault> {
        let r = self.cmd("AT+CREG?").await?;
        match r
            .is_ok()
            .then(|| r.lines.iter().find_map(|l| parse_creg(l).ok()))
        {
            Some(Some(reg)) => self.status.registration(reg.state),
            _ => {
                tracing::debug!(modem = %self.name(), result = ?r.result, "No registration state.")
            }
        }
        let r = self.cmd("AT+CSQ").await?;
        match parse_csq(&r.lines) {
            Ok(q) if r.is_ok() => self.status.signal(q.dbm()),
            _ => tracing::debug!(modem = %self.name(), result = ?r.result, "No signal quality."),
        }
        if storage {
            let r = self.cmd("AT+CPMS?").await?;
            let wanted = self.cfg.storage.as_str();
            match parse_cpms(&r.lines) {
                Ok(list) if r.is_ok() => {
                    let mine = list
                        .iter()
                        .find(|u| u.storage.as_deref() == Some(wanted))
                        .or(list.first());
                    if let Some(u) = mine {
                        self.status.storage(u.used, u.total);
                        if u.is_full() {
                            tracing::warn!(modem = %self.name(), used = u.used, "Message storage full.");
                            self.sweep_due = true;
                        }
                    }
                }
                _ => tracing::debug!(modem = %self.name(), result = ?r.result, "No storage use."),
            }
        }
        Ok(())
    }
}

/// A command as it may appear in logs: the PIN is masked.
pub(super) fn loggable(command: &str) -> &str {
    if command.len() >= 8 && command[..8].eq_ignore_ascii_case("AT+CPIN=") {
        "AT+CPIN=<pin>"
    } else {
        command
    }
}
