//! The simulated modem's state, shared by every session and the API: the SIM (message
//! slots, SMSC, the TP-MR counter, which survive a reset), the volatile settings (echo,
//! `AT+CMEE`, `AT+CMGF`, `AT+CNMI`, ... which a reset or a replug puts back to their
//! defaults), the logs tests read, and the faults in force. Sessions hear about new
//! URCs, fault changes and shutdown through channels, so a modem state change never
//! waits on I/O.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::config::{Fault, SentSms, SimConfig};

/// `<stat>` of a stored message (TS 27.005 §3.1, PDU mode).
pub(crate) const REC_UNREAD: u8 = 0;
pub(crate) const REC_READ: u8 = 1;

/// One occupied SIM slot.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub stat: u8,
    /// SMSC field and TPDU, as delivered.
    pub pdu: Vec<u8>,
}

impl Slot {
    /// TPDU octets (SMSC field excluded): the `<length>` of `+CMGL`/`+CMGR`.
    pub fn tpdu_len(&self) -> usize {
        tpdu_len(&self.pdu)
    }
}

/// Octets after the SMSC field of `pdu`.
pub(crate) fn tpdu_len(pdu: &[u8]) -> usize {
    let smsc = pdu.first().map_or(0, |&n| n as usize);
    pdu.len().saturating_sub(1 + smsc)
}

/// Settings a reset (`ATZ`, `AT&F`, `AT+CFUN=1,1`) or a replug restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `ATE`: on after power-up, as on nearly every modem.
    pub echo: bool,
    /// `AT+CMEE`: 0 plain `ERROR`, 1 numeric, 2 verbose.
    pub cmee: u8,
    /// `AT+CMGF`: 0 PDU, 1 text (accepted, but the SMS commands then fail with 302).
    pub cmgf: u8,
    /// `AT+CSCS`.
    pub cscs: String,
    /// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`; SIM800's default 2,1,0,0,0.
    pub cnmi: [u8; 5],
    /// `AT+CREG=<n>`.
    pub creg: u8,
    /// `AT+CSMS=<service>`.
    pub csms: u8,
    /// `AT+CMMS=<n>`.
    pub cmms: u8,
    /// `AT+CFUN`: 1 full, 0/4 radio off (sending fails with 331).
    pub cfun: u8,
    /// `AT+CPMS` memories (all map to the one store).
    pub cpms: [String; 3],
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            echo: true,
            cmee: 0,
            cmgf: 0,
            cscs: "IRA".into(),
            cnmi: [2, 1, 0, 0, 0],
            creg: 0,
            csms: 0,
            cmms: 0,
            cfun: 1,
            cpms: ["SM".into(), "SM".into(), "SM".into()],
        }
    }
}

/// A fault in force, with its countdown or deadline.
#[derive(Debug, Clone)]
pub(crate) enum Active {
    Noise,
    EchoOn,
    CmsError {
        command: String,
        code: u16,
        left: u32,
    },
    Silence,
    NoCmti,
    SimNotReady {
        until: Instant,
    },
}

impl Active {
    pub fn from_fault(fault: Fault) -> Active {
        match fault {
            Fault::Noise => Active::Noise,
            Fault::EchoOn => Active::EchoOn,
            Fault::CmsError {
                command,
                code,
                times,
            } => Active::CmsError {
                command,
                code,
                left: times,
            },
            Fault::Silence => Active::Silence,
            Fault::NoCmti => Active::NoCmti,
            Fault::SimNotReady { for_ } => Active::SimNotReady {
                until: Instant::now() + for_,
            },
        }
    }
}

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    pub settings: Settings,
    /// `AT+CSCA` (kept on the SIM, so a reset does not clear it).
    pub smsc: String,
    pub slots: BTreeMap<u32, Slot>,
    pub sent: Vec<SentSms>,
    pub commands: Vec<String>,
    pub faults: Vec<Active>,
    /// The TP-MR the next accepted `AT+CMGS` gets.
    pub next_mr: u8,
    /// The concatenation reference of the next multipart `deliver_text`.
    pub next_concat_ref: u8,
}

impl State {
    pub fn new(cfg: &SimConfig) -> Self {
        Self {
            settings: Settings::default(),
            smsc: cfg.smsc.clone(),
            slots: BTreeMap::new(),
            sent: Vec::new(),
            commands: Vec::new(),
            faults: Vec::new(),
            next_mr: 1,
            next_concat_ref: 1,
        }
    }

    pub fn noisy(&self) -> bool {
        self.faults.iter().any(|f| matches!(f, Active::Noise))
    }

    pub fn silent(&self) -> bool {
        self.faults.iter().any(|f| matches!(f, Active::Silence))
    }

    pub fn echoing(&self) -> bool {
        self.settings.echo || self.faults.iter().any(|f| matches!(f, Active::EchoOn))
    }

    pub fn cmti_lost(&self) -> bool {
        self.faults.iter().any(|f| matches!(f, Active::NoCmti))
    }

    /// Whether a [`Fault::SimNotReady`] is still running; expired ones are dropped.
    pub fn sim_not_ready(&mut self) -> bool {
        let now = Instant::now();
        self.faults
            .retain(|f| !matches!(f, Active::SimNotReady { until } if *until <= now));
        self.faults
            .iter()
            .any(|f| matches!(f, Active::SimNotReady { .. }))
    }

    /// The `+CMS ERROR` code a [`Fault::CmsError`] forces on `command`, counting it down.
    pub fn take_cms_fault(&mut self, command: &str) -> Option<u16> {
        let hit = self.faults.iter_mut().position(|f| match f {
            Active::CmsError { command: p, .. } => command
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p)),
            _ => false,
        })?;
        let Active::CmsError { code, left, .. } = &mut self.faults[hit] else {
            return None;
        };
        let code = *code;
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.faults.remove(hit);
        }
        Some(code)
    }

    /// The lowest free slot index, if any.
    pub fn free_index(&self, capacity: usize) -> Option<u32> {
        (1..=capacity as u32).find(|i| !self.slots.contains_key(i))
    }
}

/// The state and the channels every session listens on.
#[derive(Debug)]
pub(crate) struct Shared {
    pub cfg: SimConfig,
    state: Mutex<State>,
    /// Unsolicited result codes for every session, each the text between the leading
    /// and trailing CR LF (a two-line URC has a CR LF inside).
    pub urcs: broadcast::Sender<String>,
    /// Bumped whenever the faults change, so sessions start or stop the noise timer.
    pub faults_changed: watch::Sender<u64>,
    /// Bumped on every change tests may wait for (storage, sent, commands).
    pub changed: watch::Sender<u64>,
    /// Set once, by shutdown: every session and timer ends.
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    pub fn new(cfg: SimConfig) -> Self {
        Self {
            state: Mutex::new(State::new(&cfg)),
            cfg,
            urcs: broadcast::channel(1024).0,
            faults_changed: watch::channel(0).0,
            changed: watch::channel(0).0,
            shutdown: watch::channel(false).0,
        }
    }

    /// The state; a panic elsewhere while holding the lock does not poison the model.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a URC to every session (none listening is fine: it is lost, as on a
    /// modem nobody has open).
    pub fn urc(&self, text: String) {
        let _ = self.urcs.send(text);
    }

    pub fn bump_changed(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn bump_faults(&self) {
        self.faults_changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}
