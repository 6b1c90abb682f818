//! The modem driver against the modem simulator on a real pseudo-terminal: the driver
//! opens the simulator's `/dev/serial/by-id`-style symlink with tokio-serial exactly as
//! it opens a USB modem. Each test has its own simulator and temporary directory, so
//! they run in parallel. Real time, short timeouts: every wait has a deadline and polls.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapor_sms::modem::{
    self, BoxFuture, DeliveryReport, ModemConfig, ModemHandle, ModemState, Received, SendCause,
    Sink, SinkError,
};
use lapor_sms::sim::{Fault, SimConfig, Simulator};
use lapor_sms::{assemble, Pdu};
use tokio_util::sync::CancellationToken;

/// Records what the driver hands over, refuses chosen indices once, and checks on every
/// call that the message is still on the simulated SIM: the driver must not have
/// deleted it before the sink committed it.
struct SimSink {
    sim: Simulator,
    received: Mutex<Vec<Received>>,
    reports: Mutex<Vec<DeliveryReport>>,
    refuse_once: Mutex<HashSet<u32>>,
    refused: AtomicUsize,
    deleted_too_early: AtomicUsize,
}

impl SimSink {
    fn new(sim: &Simulator) -> Arc<Self> {
        Arc::new(Self {
            sim: sim.clone(),
            received: Mutex::default(),
            reports: Mutex::default(),
            refuse_once: Mutex::default(),
            refused: AtomicUsize::new(0),
            deleted_too_early: AtomicUsize::new(0),
        })
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn pdus(&self) -> Vec<Pdu> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|m| Pdu::Deliver(m.decoded.clone().expect("decodable")))
            .collect()
    }
}

impl Sink for SimSink {
    fn received(&self, msg: Received) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let on_sim = self
                .sim
                .stored()
                .iter()
                .any(|(i, pdu)| *i == msg.index && *pdu == msg.pdu);
            if !on_sim {
                self.deleted_too_early.fetch_add(1, Ordering::SeqCst);
            }
            if self.refuse_once.lock().unwrap().remove(&msg.index) {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return Err(SinkError::new("database unavailable"));
            }
            self.received.lock().unwrap().push(msg);
            Ok(())
        })
    }

    fn delivery_report(&self, report: DeliveryReport) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            self.reports.lock().unwrap().push(report);
            Ok(())
        })
    }
}

struct Rig {
    sim: Simulator,
    handle: ModemHandle,
    task: tokio::task::JoinHandle<()>,
    cancel: CancellationToken,
    sink: Arc<SimSink>,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("driver stops after cancellation")
            .unwrap();
        self.sim.shutdown().await;
    }
}

/// A simulator behind a pty with a by-id style link, and the driver on that link.
async fn rig(sim_cfg: SimConfig, faults: Vec<Fault>, tune: impl FnOnce(&mut ModemConfig)) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("usb-SIMCOM_SIM800L-if00-port0");
    let sim = Simulator::start(SimConfig {
        link: Some(link.clone()),
        ..sim_cfg
    })
    .await
    .expect("pty simulator");
    for f in faults {
        sim.inject(f);
    }
    let mut cfg = ModemConfig::new("modem0", &link);
    cfg.command_timeout = Duration::from_secs(2);
    cfg.max_backoff = Duration::from_secs(1);
    tune(&mut cfg);
    let sink = SimSink::new(&sim);
    let cancel = CancellationToken::new();
    let (handle, task) = modem::spawn(cfg, sink.clone(), cancel.clone());
    Rig {
        sim,
        handle,
        task,
        cancel,
        sink,
        _dir: dir,
    }
}

/// Polls `cond` until it holds, failing the test after `secs` seconds.
async fn eventually(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn ready(r: &Rig) {
    eventually("the modem to be ready", 30, || r.handle.is_ready()).await;
}

#[tokio::test]
async fn receives_ten_messages_and_a_multipart_deleting_only_after_the_sink_commits() {
    let r = rig(SimConfig::default(), vec![], |c| {
        c.poll_interval = Duration::from_secs(1)
    })
    .await;
    ready(&r).await;
    r.sink.refuse_once.lock().unwrap().extend([3, 11]);
    for i in 0..10 {
        r.sim
            .deliver_text(
                &format!("+62812000000{i:02}"),
                &format!("laporan nomor {i}"),
            )
            .unwrap();
    }
    let long =
        "Jalan di depan sekolah rusak parah sejak bulan lalu, mohon segera diperbaiki. ".repeat(3);
    let parts = r.sim.deliver_text("081234567890", &long).unwrap();
    assert!(parts.len() >= 2);
    let total = 10 + parts.len();
    eventually("every part committed and deleted", 30, || {
        r.sink.count() == total && r.sim.stored().is_empty()
    })
    .await;
    assert_eq!(r.sink.deleted_too_early.load(Ordering::SeqCst), 0);
    assert_eq!(r.sink.refused.load(Ordering::SeqCst), 2);
    let pdus = r.sink.pdus();
    let (multi, single): (Vec<&Pdu>, Vec<&Pdu>) = pdus.iter().partition(|p| p.concat().is_some());
    let mut texts: Vec<&str> = single.iter().filter_map(|p| p.text()).collect();
    texts.sort();
    let want: Vec<String> = (0..10).map(|i| format!("laporan nomor {i}")).collect();
    assert_eq!(texts, want);
    assert_eq!(assemble(multi).unwrap(), long);
    let c = r.handle.status().counters;
    assert_eq!(c.received as usize, total);
    assert_eq!(c.deleted as usize, total);
    assert_eq!(c.sink_errors, 2);
    r.stop().await;
}

#[tokio::test]
async fn a_lost_cmti_is_recovered_by_the_sweep() {
    let r = rig(SimConfig::default(), vec![], |c| {
        c.poll_interval = Duration::from_secs(1)
    })
    .await;
    ready(&r).await;
    r.sim.inject(Fault::NoCmti);
    r.sim
        .deliver_text("+6281234567890", "tanpa pemberitahuan")
        .unwrap();
    eventually("the swept message", 20, || r.sink.count() == 1).await;
    eventually("its deletion", 10, || r.sim.stored().is_empty()).await;
    assert!(
        !r.sim.commands().iter().any(|c| c.starts_with("AT+CMGR")),
        "found by AT+CMGL, not announced"
    );
    r.stop().await;
}

#[tokio::test]
async fn noise_and_stuck_echo_do_not_confuse_receiving_sending_or_reports() {
    let r = rig(
        SimConfig::default(),
        vec![Fault::Noise, Fault::EchoOn],
        |c| c.status_reports = true,
    )
    .await;
    ready(&r).await;
    for i in 0..3 {
        r.sim
            .deliver_text("+6281234567890", &format!("pesan {i}"))
            .unwrap();
    }
    eventually("three messages", 20, || r.sink.count() == 3).await;
    let mrs = r
        .handle
        .send(
            "+6281234567890",
            "Laporan Anda diterima, nomor tiket 1708-42",
        )
        .await
        .expect("send through noise and echo");
    assert_eq!(mrs.len(), 1);
    let sent = r.sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+6281234567890");
    assert!(sent[0].status_report_requested);
    assert_eq!(
        sent[0].text.as_deref(),
        Some("Laporan Anda diterima, nomor tiket 1708-42")
    );
    eventually("the status report", 20, || {
        !r.sink.reports.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(r.sink.reports.lock().unwrap()[0].mr, mrs[0]);
    assert_eq!(r.handle.status().counters.reinits, 0);
    r.stop().await;
}

#[tokio::test]
async fn a_silent_modem_is_recovered_once_it_answers_again() {
    let r = rig(SimConfig::default(), vec![], |c| {
        c.command_timeout = Duration::from_secs(1);
        c.poll_interval = Duration::from_secs(1);
    })
    .await;
    ready(&r).await;
    r.sim.inject(Fault::Silence);
    eventually("the driver to notice", 30, || !r.handle.is_ready()).await;
    let e = r.handle.send("+6281234567890", "x").await.unwrap_err();
    assert!(e.is_transient());
    r.sim.clear_faults();
    ready(&r).await;
    r.sim.deliver_text("+6281234567890", "sudah pulih").unwrap();
    eventually("a message after recovery", 20, || r.sink.count() == 1).await;
    let c = r.handle.status().counters;
    assert!(c.timeouts >= 2, "{c:?}");
    assert!(c.reinits >= 1, "{c:?}");
    r.stop().await;
}

#[tokio::test]
async fn a_vanished_modem_fails_the_send_as_transient_and_is_found_again() {
    // At 4800 baud a three-part reply takes seconds on the wire: the unplug lands mid-send.
    let sim_cfg = SimConfig {
        baud: Some(4800),
        ..SimConfig::default()
    };
    let r = rig(sim_cfg, vec![], |_| {}).await;
    ready(&r).await;
    let handle = r.handle.clone();
    let long = "Mohon maaf, laporan Anda sedang kami teruskan ke instansi terkait 🙏 ".repeat(3);
    let send = tokio::spawn(async move { handle.send("+6281234567890", &long).await });
    tokio::time::timeout(
        Duration::from_secs(20),
        r.sim
            .wait_for(|s| s.commands().iter().any(|c| c.starts_with("AT+CMGS="))),
    )
    .await
    .expect("the send starts");
    r.sim.vanish().await;
    let e = send.await.unwrap().unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(
        matches!(e.cause(), SendCause::PortGone | SendCause::Timeout),
        "{e}"
    );
    eventually("the driver to see the port gone", 20, || {
        r.handle.status().state == ModemState::Down
    })
    .await;
    let e = r.handle.send("+6281234567890", "x").await.unwrap_err();
    assert_eq!(e.cause(), &SendCause::NotReady);
    r.sim.reappear().await.unwrap();
    eventually("the driver to reconnect", 30, || r.handle.is_ready()).await;
    let mrs = r
        .handle
        .send("+6281234567890", "Terima kasih")
        .await
        .unwrap();
    assert_eq!(mrs.len(), 1);
    assert!(r
        .sim
        .sent()
        .iter()
        .any(|s| s.text.as_deref() == Some("Terima kasih")));
    assert!(r.handle.status().counters.reopens >= 1);
    r.stop().await;
}

#[tokio::test]
async fn a_sim_that_is_not_ready_at_boot_is_waited_for() {
    let r = rig(
        SimConfig::default(),
        vec![Fault::SimNotReady {
            for_: Duration::from_secs(3),
        }],
        |_| {},
    )
    .await;
    ready(&r).await;
    let cpin = r
        .sim
        .commands()
        .iter()
        .filter(|c| c.eq_ignore_ascii_case("AT+CPIN?"))
        .count();
    assert!(cpin >= 2, "asked {cpin} times");
    r.sim.deliver_text("+6281234567890", "halo").unwrap();
    eventually("a message", 20, || r.sink.count() == 1).await;
    r.stop().await;
}
