//! The public handle: start the simulated modem (in memory or behind a pty), play the
//! network (deliver messages), read what it recorded, inject faults, and unplug/replug it.
//! Clones share one modem.

use std::io;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::task::JoinHandle;

use super::config::{Fault, SentSms, SimConfig, SimError};
use super::pdus;
use super::pty::{open_pty, relink, unlink, Pty};
use super::session;
use super::state::{Active, Settings, Shared, Slot, REC_UNREAD};

/// A simulated GSM modem. See the [module documentation](super).
#[derive(Debug, Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    /// Whether this simulator lives behind a pty (built by [`Simulator::start`]).
    has_pty: bool,
    /// The pty while plugged in.
    device: Mutex<Option<Device>>,
    /// The slave path of the latest pty, kept after a vanish.
    slave_path: Mutex<PathBuf>,
}

/// A plugged-in pty: the task serving its master, and the slave kept open.
#[derive(Debug)]
struct Device {
    task: JoinHandle<()>,
    _slave: OwnedFd,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(device) = lock(&self.device).take() {
            device.task.abort();
        }
        if let (true, Some(link)) = (self.has_pty, &self.shared.cfg.link) {
            unlink(link);
        }
    }
}

impl Simulator {
    /// A simulator with no device: talk to it through [`Simulator::connect`] or
    /// [`Simulator::serve`]. [`SimConfig::link`] is ignored.
    pub fn new(cfg: SimConfig) -> Simulator {
        Self::build(cfg, false)
    }

    fn build(cfg: SimConfig, has_pty: bool) -> Simulator {
        Simulator {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::new(cfg)),
                has_pty,
                device: Mutex::new(None),
                slave_path: Mutex::new(PathBuf::new()),
            }),
        }
    }

    /// Creates the pseudo-terminal (and the [`SimConfig::link`] symlink to it) and
    /// starts answering on it. Must run inside a tokio runtime, which serves it.
    pub async fn start(cfg: SimConfig) -> io::Result<Simulator> {
        let sim = Self::build(cfg, true);
        sim.plug()?;
        Ok(sim)
    }

    /// Opens a new pty (never with the slave path of the previous one, so a client that
    /// kept the old path sees it gone), points the link at it and serves it.
    fn plug(&self) -> io::Result<()> {
        let old = lock(&self.inner.slave_path).clone();
        let mut spares = Vec::new();
        let pty = loop {
            let p = open_pty()?;
            if p.path != old || spares.len() >= 8 {
                break p;
            }
            spares.push(p);
        };
        drop(spares);
        let Pty {
            master,
            slave,
            path,
        } = pty;
        if let Some(link) = &self.inner.shared.cfg.link {
            relink(link, &path)?;
        }
        let shared = self.inner.shared.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = session::serve(shared, master).await {
                tracing::warn!(error = %e, "The modem simulator stopped serving its pty.");
            }
        });
        *lock(&self.inner.device) = Some(Device {
            task,
            _slave: slave,
        });
        *lock(&self.inner.slave_path) = path;
        Ok(())
    }

    /// What a client opens: the link if one is configured, else the pty's slave path
    /// (empty for a simulator built with [`Simulator::new`]).
    pub fn path(&self) -> PathBuf {
        match (&self.inner.shared.cfg.link, self.inner.has_pty) {
            (Some(link), true) => link.clone(),
            _ => self.slave_path(),
        }
    }

    /// The current (or, after a vanish, the last) pty slave path, `/dev/pts/N`.
    pub fn slave_path(&self) -> PathBuf {
        lock(&self.inner.slave_path).clone()
    }

    /// Serves one host on `stream` (a socket, a `tokio::io::duplex` end, a pty master)
    /// until it closes, fails, or the simulator shuts down. Any number of streams may
    /// be served at once; they share the modem and all see its URCs.
    pub async fn serve<S>(&self, stream: S) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        session::serve(self.inner.shared.clone(), stream).await
    }

    /// An in-memory connection to the modem: the host's end of a `tokio::io::duplex`
    /// pair whose other end is served by a spawned task. Must run inside a tokio
    /// runtime. Dropping the stream ends the session.
    pub fn connect(&self) -> DuplexStream {
        let (host, modem) = tokio::io::duplex(64 * 1024);
        let shared = self.inner.shared.clone();
        tokio::spawn(async move {
            if let Err(e) = session::serve(shared, modem).await {
                tracing::debug!(error = %e, "An in-memory modem simulator session ended.");
            }
        });
        host
    }

    /// The network delivers a PDU (SMSC field included, stored as given, not checked
    /// beyond its SMSC length): it is stored as REC UNREAD at the lowest free index,
    /// and `+CMTI: "<mem>",<index>` is raised when `AT+CNMI` asks for it (`<mode>` not
    /// 0, `<mt>` 1) unless [`Fault::NoCmti`] is on. Returns the index.
    pub fn deliver_pdu(&self, pdu_with_smsc: &[u8]) -> Result<u32, SimError> {
        let smsc_len = *pdu_with_smsc.first().ok_or(SimError::InvalidPdu("empty"))? as usize;
        if smsc_len + 1 >= pdu_with_smsc.len() {
            return Err(SimError::InvalidPdu("no TPDU after the SMSC field"));
        }
        let shared = &self.inner.shared;
        let (index, cmti) = {
            let mut st = shared.lock();
            let index = st.free_index(shared.cfg.capacity).ok_or(SimError::Full)?;
            st.slots.insert(
                index,
                Slot {
                    stat: REC_UNREAD,
                    pdu: pdu_with_smsc.to_vec(),
                },
            );
            let [mode, mt, ..] = st.settings.cnmi;
            let indicate = mode != 0 && mt == 1 && !st.cmti_lost();
            let cmti = indicate.then(|| format!("+CMTI: \"{}\",{index}", st.settings.cpms[2]));
            (index, cmti)
        };
        if let Some(cmti) = cmti {
            shared.urc(cmti);
        }
        shared.bump_changed();
        Ok(index)
    }

    /// The network delivers a text from `from` (a number, `+62…` or national digits):
    /// one SMS-DELIVER, or the parts of a concatenated one when the text is too long,
    /// each stored and indicated as by [`Simulator::deliver_pdu`]. Nothing is stored
    /// when the parts do not all fit. Returns the indices.
    pub fn deliver_text(&self, from: &str, text: &str) -> Result<Vec<u32>, SimError> {
        let shared = &self.inner.shared;
        let concat_ref = {
            let mut st = shared.lock();
            let r = st.next_concat_ref;
            st.next_concat_ref = r.wrapping_add(1);
            r
        };
        let parts = pdus::deliver_parts(&shared.cfg.smsc, from, text, concat_ref)?;
        let free = shared.cfg.capacity - shared.lock().slots.len().min(shared.cfg.capacity);
        if free < parts.len() {
            return Err(SimError::Full);
        }
        parts.iter().map(|p| self.deliver_pdu(p)).collect()
    }

    /// The stored messages: index and PDU (SMSC field included), by index.
    pub fn stored(&self) -> Vec<(u32, Vec<u8>)> {
        let st = self.inner.shared.lock();
        st.slots.iter().map(|(i, s)| (*i, s.pdu.clone())).collect()
    }

    /// Every SMS-SUBMIT accepted by `AT+CMGS`, in order.
    pub fn sent(&self) -> Vec<SentSms> {
        self.inner.shared.lock().sent.clone()
    }

    /// Every command line received (from `AT`, without the CR), in order, including
    /// the ones swallowed by [`Fault::Silence`]. PDUs typed after the prompt are not
    /// command lines.
    pub fn commands(&self) -> Vec<String> {
        self.inner.shared.lock().commands.clone()
    }

    /// Puts a fault in force (see [`Fault`]); it takes effect at once.
    pub fn inject(&self, fault: Fault) {
        self.inner
            .shared
            .lock()
            .faults
            .push(Active::from_fault(fault));
        self.inner.shared.bump_faults();
    }

    /// Ends every fault.
    pub fn clear_faults(&self) {
        self.inner.shared.lock().faults.clear();
        self.inner.shared.bump_faults();
    }

    /// Waits until `done(self)` holds, checking again after every change to the storage,
    /// the sent messages or the command log. Wrap it in a timeout.
    pub async fn wait_for<F: FnMut(&Simulator) -> bool>(&self, mut done: F) {
        let mut changes = self.inner.shared.changed.subscribe();
        while !done(self) {
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// The device disappears, as a USB modem that resets or is pulled: the pty master
    /// is closed (clients' reads end and their writes fail) and the link is removed.
    /// The SIM keeps its messages. No-op when already gone.
    pub async fn vanish(&self) {
        if let (true, Some(link)) = (self.inner.has_pty, &self.inner.shared.cfg.link) {
            unlink(link);
        }
        let device = lock(&self.inner.device).take();
        if let Some(device) = device {
            device.task.abort();
            let _ = device.task.await;
        }
    }

    /// The device comes back after a reboot: a new pty with a new slave path, the link
    /// pointed at it, every volatile setting back to its default (echo on, `AT+CMEE=0`,
    /// `AT+CNMI` default, ...), the SIM's storage kept. Vanishes first if still there.
    pub async fn reappear(&self) -> io::Result<()> {
        if !self.inner.has_pty {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "an in-memory simulator has no device",
            ));
        }
        if *self.inner.shared.shutdown.borrow() {
            return Err(io::Error::other("the simulator was shut down"));
        }
        self.vanish().await;
        self.inner.shared.lock().settings = Settings::default();
        self.plug()
    }

    /// Stops every session and timer, closes the pty and removes the link.
    pub async fn shutdown(&self) {
        self.inner.shared.shutdown.send_replace(true);
        self.vanish().await;
    }
}
