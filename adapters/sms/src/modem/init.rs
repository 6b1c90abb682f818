//! Bringing a modem to a known state, run on every open and after every reset: sync
//! with `AT` (flushing garbage, leaving a stuck `> ` prompt), reset (`ATZ`, else
//! `AT&F`), echo off, numeric errors, SIM ready (PIN entered once; "not ready" and SIM
//! busy waited out), PDU mode, storage, new-message indications (with fallbacks), the
//! `+CNMA` requirement, then registration and signal for the status. Settings a reset
//! loses are all set here, so re-running it is always safe.

use std::time::Duration;

use super::link::{LinkError, Port, Response, ESC};
use super::session::{Fault, Memory, Session};
use crate::at::{parse_cpms, FinalResult, Urc};

/// `AT` attempts before the modem counts as unresponsive.
const SYNC_TRIES: u32 = 5;
/// How often `AT+CPIN?` is asked while the SIM is not ready (with [`SIM_WAIT`] between).
const SIM_TRIES: u32 = 30;
/// Wait between SIM checks and between retries of a "SIM busy" command.
const SIM_WAIT: Duration = Duration::from_secs(2);
/// Retries of an init command answered with a transient error (SIM busy).
const BUSY_TRIES: u32 = 10;
/// `AT+CNMI` settings, best first: +CMTI for stored messages, +CDS (then +CDSI) for
/// status reports; then without status reports; then `<mode>` 1 for older firmware.
const CNMI: &[&str] = &[
    "2,1,0,1,0",
    "2,1,0,2,0",
    "1,1,0,1,0",
    "2,1,0,0,0",
    "1,1,0,0,0",
];

impl<'a, P: Port> Session<'a, P> {
    /// Runs the init sequence. Any error ends it; the supervisor then reopens the port.
    pub async fn init(&mut self, memory: &mut Memory) -> Result<(), Fault> {
        self.timeouts = 0;
        self.sync().await?;
        self.step()?;
        if !self.cmd("ATZ").await?.is_ok() {
            self.cmd("AT&F").await?;
        }
        self.step()?;
        // The decoder copes with echo either way; a modem stuck with echo on is fine.
        self.optional("ATE0").await?;
        self.optional("AT+CMEE=1").await?;
        self.sim_ready(memory).await?;
        self.step()?;
        self.required("AT+CMGF=0").await?;
        self.select_storage().await?;
        self.step()?;
        self.notifications().await?;
        self.cnma = self.csms_service().await? == Some(1);
        self.poll_status(false).await?;
        // Banners from our own ATZ are no news.
        let urcs: Vec<Urc> = self.link.take_urcs().into_iter().collect();
        for u in urcs {
            if !u.is_boot_banner() {
                self.link.requeue_urc(u);
            }
        }
        Ok(())
    }

    fn step(&self) -> Result<(), Fault> {
        if self.cancel.is_cancelled() {
            return Err(Fault::Cancelled);
        }
        Ok(())
    }

    /// Leaves a stuck prompt, flushes garbage and waits for an `OK` to `AT`.
    async fn sync(&mut self) -> Result<(), Fault> {
        let t = self.cfg.command_timeout;
        // Long enough to hear the end of any garbage at any baud rate (a byte
        // takes 1 ms at 9600); short, because every start waits for it.
        let quiet = (t / 4).min(Duration::from_millis(50));
        self.link.write_raw(&[ESC, b'\r'], t).await?;
        self.link.drain(quiet, t).await?;
        let per_try = t.min(Duration::from_secs(3));
        for attempt in 1..=SYNC_TRIES {
            self.step()?;
            match self.link.command("AT", per_try).await {
                Ok(r) if r.is_ok() => {
                    if attempt > 1 {
                        // An earlier attempt's late OK may still be on its way.
                        self.link.drain(quiet, t).await?;
                    }
                    return Ok(());
                }
                Ok(_) | Err(LinkError::Timeout { .. }) => {
                    tracing::debug!(modem = %self.name(), attempt, "No OK to AT yet.");
                    self.link.drain(quiet, t).await?;
                }
                Err(LinkError::Gone(e)) => return Err(Fault::Gone(e)),
            }
        }
        Err(Fault::Unresponsive)
    }

    /// A command whose failure is logged and otherwise ignored.
    async fn optional(&mut self, command: &str) -> Result<(), Fault> {
        let r = self.busy_retry(command).await?;
        if !r.is_ok() {
            tracing::debug!(modem = %self.name(), command, result = ?r.result, "Optional command refused.");
        }
        Ok(())
    }

    /// A command that must succeed.
    async fn required(&mut self, command: &str) -> Result<(), Fault> {
        let r = self.busy_retry(command).await?;
        if !r.is_ok() {
            return Err(Fault::Init(format!("{command} answered {:?}", r.result)));
        }
        Ok(())
    }

    /// Sends a command, waiting out transient errors (SIM busy right after boot).
    async fn busy_retry(&mut self, command: &str) -> Result<Response, Fault> {
        let mut tries = 0;
        loop {
            let r = self.cmd(command).await?;
            tries += 1;
            if !r.result.transient() || tries >= BUSY_TRIES {
                return Ok(r);
            }
            tracing::debug!(modem = %self.name(), command, result = ?r.result, "Busy; retrying.");
            self.pause(SIM_WAIT).await?;
        }
    }

    /// Waits for the SIM, entering the PIN once if it asks for one.
    async fn sim_ready(&mut self, memory: &mut Memory) -> Result<(), Fault> {
        let mut pin_sent = false;
        for _ in 0..SIM_TRIES {
            self.step()?;
            let (lines, result) = match self
                .link
                .command("AT+CPIN?", self.cfg.command_timeout)
                .await
            {
                Ok(r) => (r.lines, Some(r.result)),
                // Wavecom answers `+CPIN: READY` without a final OK.
                Err(LinkError::Timeout { lines }) if !lines.is_empty() => (lines, None),
                Err(LinkError::Timeout { .. }) => {
                    self.timed_out("AT+CPIN?")?;
                    self.quiet().await?;
                    continue;
                }
                Err(LinkError::Gone(e)) => return Err(Fault::Gone(e)),
            };
            self.timeouts = 0;
            let state = lines
                .iter()
                .find_map(|l| l.trim_start().strip_prefix("+CPIN:"))
                .map(|s| s.trim().trim_matches('"').to_ascii_uppercase());
            match (state.as_deref(), &result) {
                (Some("READY"), _) => return Ok(()),
                (Some("SIM PIN"), _) => {
                    let Some(pin) = self.cfg.pin.clone() else {
                        return Err(Fault::Init(
                            "the SIM asks for a PIN and none is configured".into(),
                        ));
                    };
                    if memory.pin_rejected || pin_sent {
                        return Err(Fault::Init("the SIM still asks for its PIN; the configured PIN is not entered again".into()));
                    }
                    pin_sent = true;
                    tracing::info!(modem = %self.name(), "Entering the SIM PIN.");
                    let r = self.cmd(&format!("AT+CPIN=\"{pin}\"")).await?;
                    if !r.is_ok() && !r.result.transient() {
                        memory.pin_rejected = true;
                        tracing::error!(modem = %self.name(), result = ?r.result,
                            "The SIM refused the configured PIN; it will not be entered again.");
                        return Err(Fault::Init("SIM PIN refused".into()));
                    }
                }
                (Some(s), _) if s.contains("NOT READY") => {}
                (Some(other), _) => {
                    return Err(Fault::Init(format!("the SIM wants {other}")));
                }
                (None, Some(FinalResult::CmeError(c)))
                    if c.transient() || [10, 13].iter().any(|&n| c.is(n)) => {}
                (None, Some(FinalResult::CmsError(c)))
                    if c.transient() || c.is(310) || c.is(313) => {}
                (None, Some(FinalResult::Error)) => {}
                (None, r) => {
                    return Err(Fault::Init(format!("AT+CPIN? answered {r:?}")));
                }
            }
            tracing::info!(modem = %self.name(), "Waiting for the SIM.");
            self.pause(SIM_WAIT).await?;
        }
        Err(Fault::Init("the SIM did not become ready".into()))
    }

    /// Selects the configured storage for reading, writing and receiving; Wavecom takes
    /// only two arguments, some modems one.
    async fn select_storage(&mut self) -> Result<(), Fault> {
        let m = self.cfg.storage.as_str();
        let forms = [
            format!("AT+CPMS=\"{m}\",\"{m}\",\"{m}\""),
            format!("AT+CPMS=\"{m}\",\"{m}\""),
            format!("AT+CPMS=\"{m}\""),
        ];
        for form in forms {
            let r = self.busy_retry(&form).await?;
            if r.is_ok() {
                if let Some(u) = parse_cpms(&r.lines).ok().and_then(|l| l.into_iter().next()) {
                    self.status.storage(u.used, u.total);
                }
                self.cpms = form;
                return Ok(());
            }
        }
        Err(Fault::Init(format!(
            "the modem refused message storage {m}"
        )))
    }

    /// Asks for `+CMTI` (and status report indications), trying the fallbacks.
    async fn notifications(&mut self) -> Result<(), Fault> {
        for setting in CNMI {
            if self.cmd(&format!("AT+CNMI={setting}")).await?.is_ok() {
                tracing::debug!(modem = %self.name(), setting, "New-message indications on.");
                return Ok(());
            }
        }
        tracing::warn!(
            modem = %self.name(),
            every = ?self.cfg.poll_interval,
            "The modem refused every AT+CNMI setting; relying on the periodic sweep."
        );
        Ok(())
    }

    /// `<service>` of `AT+CSMS?`: 1 means direct messages need `AT+CNMA`.
    async fn csms_service(&mut self) -> Result<Option<u8>, Fault> {
        let r = self.cmd("AT+CSMS?").await?;
        Ok(r.is_ok()
            .then(|| {
                r.lines.iter().find_map(|l| {
                    let rest = l.trim_start().strip_prefix("+CSMS:")?;
                    rest.split(',').next()?.trim().parse().ok()
                })
            })
            .flatten())
    }
}
