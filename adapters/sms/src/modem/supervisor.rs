//! The modem task's outer loop, a small state machine: open the port (resolving
//! `/dev/serial/by-id` symlinks afresh each time), initialise, run a session; when the
//! modem stops answering or resets, initialise again on the same port; when that fails
//! or the port is gone, close it and reopen after a capped exponential back-off with
//! jitter. Sends that cannot be served meanwhile fail at once as transient. The state
//! and the counters in the status follow every step.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::api::{BoxFuture, SendCause, SendFailure, Sink};
use super::config::ModemConfig;
use super::handle::SendRequest;
use super::link::{Link, Port};
use super::session::{Fault, Memory, Session};
use super::status::{ModemState, StatusTx};

/// First back-off step.
const BACKOFF_START: Duration = Duration::from_secs(1);

/// Opens the modem's port.
pub(crate) trait Opener: Send + 'static {
    type Port: Port + 'static;
    /// The open port and a description of what was opened (the resolved path).
    fn open<'a>(
        &'a mut self,
        cfg: &'a ModemConfig,
    ) -> BoxFuture<'a, io::Result<(Self::Port, String)>>;
}

/// A real serial port: 8N1, no flow control, input flushed.
pub(crate) struct SerialOpener;

impl Opener for SerialOpener {
    type Port = tokio_serial::SerialStream;

    fn open<'a>(
        &'a mut self,
        cfg: &'a ModemConfig,
    ) -> BoxFuture<'a, io::Result<(Self::Port, String)>> {
        Box::pin(async move {
            use tokio_serial::{DataBits, FlowControl, Parity, SerialPort, StopBits};
            // A by-id symlink points at whichever ttyUSBn the modem got this time.
            let path = std::fs::canonicalize(&cfg.device)?;
            let shown = path.display().to_string();
            let builder = tokio_serial::new(shown.clone(), cfg.baud)
                .data_bits(DataBits::Eight)
                .parity(Parity::None)
                .stop_bits(StopBits::One)
                .flow_control(FlowControl::None);
            let port = tokio_serial::SerialStream::open(&builder).map_err(io::Error::from)?;
            if let Err(e) = port.clear(tokio_serial::ClearBuffer::All) {
                tracing::debug!(modem = %cfg.name, error = %e, "Could not flush the port.");
            }
            Ok((port, shown))
        })
    }
}

/// Capped exponential back-off.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Self {
        Self {
            next: BACKOFF_START.min(max),
            max,
        }
    }

    /// The next wait, ±20 % so modems on one USB hub do not retry in lockstep.
    fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = (d * 2).min(self.max);
        let spread = d.as_millis() as u64 / 5;
        let offset = if spread == 0 {
            0
        } else {
            random_u64() % (2 * spread + 1)
        };
        (d + Duration::from_millis(offset)).saturating_sub(Duration::from_millis(spread))
    }

    fn reset(&mut self) {
        self.next = BACKOFF_START.min(self.max);
    }
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}

/// A random byte (the first concatenation reference).
pub(crate) fn random_u8() -> u8 {
    random_u64() as u8
}

/// Answers every queued send with `cause`.
fn fail_queued(requests: &mut mpsc::Receiver<SendRequest>, cause: &SendCause) {
    while let Ok(req) = requests.try_recv() {
        let _ = req
            .reply
            .send(Err(SendFailure::transient(cause.clone(), 0)));
    }
}

/// Sleeps unless cancelled; false when cancelled.
async fn wait(cancel: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// The modem task.
pub(crate) async fn run<O: Opener>(
    cfg: ModemConfig,
    sink: Arc<dyn Sink>,
    cancel: CancellationToken,
    mut opener: O,
    mut requests: mpsc::Receiver<SendRequest>,
    status: StatusTx,
) {
    let name = cfg.name.clone();
    tracing::info!(modem = %name, device = %cfg.device.display(), "Modem driver started.");
    let mut backoff = Backoff::new(cfg.max_backoff);
    let mut memory = Memory::default();
    let mut opened_before = false;
    let mut open_failing = false;
    'open: while !cancel.is_cancelled() {
        let opened = tokio::select! {
            _ = cancel.cancelled() => break 'open,
            r = opener.open(&cfg) => r,
        };
        let (port, path) = match opened {
            Ok(p) => p,
            Err(e) => {
                status.state(ModemState::Down);
                if !open_failing {
                    tracing::warn!(modem = %name, device = %cfg.device.display(), error = %e,
                        "Cannot open the modem's port; retrying with back-off.");
                } else {
                    tracing::debug!(modem = %name, error = %e, "Port still cannot be opened.");
                }
                open_failing = true;
                fail_queued(&mut requests, &SendCause::NotReady);
                if !wait(&cancel, backoff.next()).await {
                    break 'open;
                }
                continue;
            }
        };
        open_failing = false;
        if opened_before {
            status.count(|c| c.reopens += 1);
        }
        opened_before = true;
        tracing::info!(modem = %name, device = %path, "Port opened.");
        let link = Link::new(port, &name);
        let mut session = Session::new(link, &cfg, &*sink, &status, &cancel);
        let end = loop {
            if let Err(f) = session.init(&mut memory).await {
                break f;
            }
            backoff.reset();
            status.state(ModemState::Ready);
            tracing::info!(modem = %name, "Modem ready.");
            let f = session.run(&mut requests).await;
            fail_queued(&mut requests, &SendCause::NotReady);
            match f {
                Fault::Unresponsive | Fault::Reset(_) => {
                    status.state(ModemState::Recovering);
                    status.count(|c| c.reinits += 1);
                    tracing::warn!(modem = %name, reason = %f, "Re-initialising the modem.");
                }
                other => break other,
            }
        };
        drop(session);
        if end == Fault::Cancelled {
            break 'open;
        }
        let state = match end {
            Fault::Init(_) => ModemState::Down,
            _ => ModemState::Recovering,
        };
        status.state(state);
        fail_queued(&mut requests, &SendCause::NotReady);
        tracing::warn!(modem = %name, reason = %end, "Port closed; reopening after back-off.");
        if !wait(&cancel, backoff.next()).await {
            break 'open;
        }
    }
    status.state(ModemState::Down);
    requests.close();
    fail_queued(&mut requests, &SendCause::Stopped);
    tracing::info!(modem = %name, "Modem driver stopped.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let mut b = Backoff::new(Duration::from_secs(8));
        let waits: Vec<Duration> = (0..6).map(|_| b.next()).collect();
        for (w, base) in waits.iter().zip([1u64, 2, 4, 8, 8, 8]) {
            let base = Duration::from_secs(base);
            assert!(
                *w >= base * 4 / 5 && *w <= base * 6 / 5,
                "{w:?} vs {base:?}"
            );
        }
        b.reset();
        assert!(b.next() <= Duration::from_millis(1200));
    }
}
