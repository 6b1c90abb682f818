//! The modem's status as the daemon's metrics and health checks see it: the driver's
//! state, what the modem last said about the network and its storage, and counters that
//! only grow. The driver task is the only writer (through a `watch` channel); every
//! [`ModemHandle`](super::ModemHandle) clone reads the latest value.

use tokio::sync::watch;

use crate::at::RegistrationState;

/// Where the driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModemState {
    /// Opening the port and initialising for the first time.
    #[default]
    Starting,
    /// Initialised: receiving and sending.
    Ready,
    /// Re-initialising or reopening after a fault; sends fail as transient meanwhile.
    Recovering,
    /// The port cannot be opened or the modem does not come up; retried with back-off.
    /// Also the state once the driver has stopped.
    Down,
}

impl ModemState {
    /// Lower-case name for metrics labels (`starting`, `ready`, `recovering`, `down`).
    pub fn as_str(self) -> &'static str {
        match self {
            ModemState::Starting => "starting",
            ModemState::Ready => "ready",
            ModemState::Recovering => "recovering",
            ModemState::Down => "down",
        }
    }
}

/// Counters since the driver started; they only grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Messages (parts) the sink accepted.
    pub received: u64,
    /// Status reports the sink accepted.
    pub delivery_reports: u64,
    /// Messages or reports the sink refused (kept on the modem, retried).
    pub sink_errors: u64,
    /// Messages deleted from the modem after the sink accepted them.
    pub deleted: u64,
    /// Messages sent (every part accepted by the network).
    pub sent: u64,
    /// Sends that failed.
    pub send_errors: u64,
    /// Commands that timed out.
    pub timeouts: u64,
    /// Times the modem was re-initialised after it stopped answering or rebooted.
    pub reinits: u64,
    /// Times the port was reopened after it was lost or the modem would not initialise.
    pub reopens: u64,
}

/// A snapshot of one modem.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModemStatus {
    /// Where the driver is; sends are accepted only when [`ModemState::Ready`].
    pub state: ModemState,
    /// Last `+CREG` state (from `AT+CREG?` or the URC); `None` until known.
    pub registration: Option<RegistrationState>,
    /// Whether the modem is registered (home or roaming), from `registration`.
    pub registered: bool,
    /// Signal strength from `AT+CSQ`, in dBm; `None` when unknown.
    pub signal_dbm: Option<i16>,
    /// Messages in the configured storage, from `AT+CPMS`.
    pub storage_used: Option<u32>,
    /// Capacity of the configured storage, from `AT+CPMS`.
    pub storage_total: Option<u32>,
    /// What happened since the driver started.
    pub counters: Counters,
}

/// The writing side, owned by the driver task.
#[derive(Debug)]
pub(crate) struct StatusTx(watch::Sender<ModemStatus>);

impl StatusTx {
    pub fn new() -> (Self, watch::Receiver<ModemStatus>) {
        let (tx, rx) = watch::channel(ModemStatus::default());
        (Self(tx), rx)
    }

    pub fn state(&self, state: ModemState) {
        self.0.send_if_modified(|s| {
            let changed = s.state != state;
            s.state = state;
            changed
        });
    }

    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        self.0.send_modify(|s| f(&mut s.counters));
    }

    pub fn registration(&self, state: RegistrationState) {
        self.0.send_modify(|s| {
            s.registration = Some(state);
            s.registered = state.is_registered();
        });
    }

    pub fn signal(&self, dbm: Option<i16>) {
        self.0.send_modify(|s| s.signal_dbm = dbm);
    }

    pub fn storage(&self, used: u32, total: u32) {
        self.0.send_modify(|s| {
            s.storage_used = Some(used);
            s.storage_total = Some(total);
        });
    }

    /// A message was deleted: counted, and one slot of the storage freed.
    pub fn deleted(&self) {
        self.0.send_modify(|s| {
            s.counters.deleted += 1;
            s.storage_used = s.storage_used.map(|u| u.saturating_sub(1));
        });
    }
}
