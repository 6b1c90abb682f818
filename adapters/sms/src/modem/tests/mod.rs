//! Unit tests of the driver against a scripted modem on an in-memory pipe, in paused
//! time: a silent modem times out as soon as everything else is idle, so timeouts,
//! sweeps and back-off run in virtual time and never make a test slow or flaky.

mod fake;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use self::fake::{Fake, FakeState, Pipes, Reply, TestSink, Timeline};
use super::handle::spawn_with;
use super::{ModemConfig, ModemHandle, ModemState, Received, SendCause, SendFailure};
use crate::at::FinalResult;
use crate::{
    decode, encode_deliver, encode_submit, DeliverOptions, Framing, Scts, SubmitOptions, TypeHint,
};

struct Rig {
    handle: ModemHandle,
    task: tokio::task::JoinHandle<()>,
    cancel: CancellationToken,
    timeline: Timeline,
    sink: Arc<TestSink>,
    fakes: Vec<Fake>,
    /// The opener's queue: a pipe added here is what the next (re)open finds.
    pipes: Pipes,
}

fn config() -> ModemConfig {
    let mut c = ModemConfig::new("modem0", "/dev/serial/by-id/test");
    c.command_timeout = Duration::from_secs(1);
    c.max_backoff = Duration::from_secs(4);
    c
}

/// Starts the driver with one fake modem per state, handed out one per (re)open.
fn rig_with(cfg: ModemConfig, states: Vec<FakeState>) -> Rig {
    let timeline = Timeline::default();
    let pipes = Pipes::default();
    let mut fakes = Vec::new();
    for st in states {
        let (fake, port) = Fake::start(st, &timeline);
        pipes.add(port);
        fakes.push(fake);
    }
    let sink = TestSink::new(&timeline);
    let cancel = CancellationToken::new();
    let (handle, task) = spawn_with(cfg, sink.clone(), cancel.clone(), pipes.clone());
    Rig {
        handle,
        task,
        cancel,
        timeline,
        sink,
        fakes,
        pipes,
    }
}

fn rig(state: FakeState) -> Rig {
    rig_with(config(), vec![state])
}

/// Waits (in virtual time) until `cond` holds.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..40_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

async fn ready(r: &Rig) {
    until("the modem to be ready", || r.handle.is_ready()).await;
}

fn deliver_hex(from: &str, text: &str) -> String {
    let scts = Scts {
        year: 2026,
        month: 3,
        day: 14,
        hour: 9,
        minute: 30,
        second: 0,
        tz_quarter_hours: 28,
    };
    encode_deliver(from, text, &scts, &DeliverOptions::default())
        .unwrap()
        .pdu_hex
}

/// A status report (ModemManager's `test_parse_cds`): TP-MR 0x5A, delivered.
const STATUS_REPORT: &str = "07914356060013F1065A098136395339F6219011700463802190117004638030";

fn stored(messages: &[(u32, u8, String)]) -> FakeState {
    let mut st = FakeState::default();
    for (i, stat, hex) in messages {
        st.stored.insert(*i, (*stat, hex.clone()));
    }
    st
}

fn texts(sink: &TestSink) -> Vec<String> {
    sink.received()
        .iter()
        .map(|m: &Received| m.decoded.as_ref().unwrap().user_data.text.clone().unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn init_sequence_then_first_sweep() {
    let r = rig(FakeState::default());
    ready(&r).await;
    until("the first sweep", || r.timeline.count("AT+CMGL=4") == 1).await;
    let want = [
        "AT",
        "ATZ",
        "ATE0",
        "AT+CMEE=1",
        "AT+CPIN?",
        "AT+CMGF=0",
        "AT+CPMS=\"SM\",\"SM\",\"SM\"",
        "AT+CNMI=2,1,0,1,0",
        "AT+CSMS?",
        "AT+CREG?",
        "AT+CSQ",
        "AT+CMGL=4",
    ];
    let seen: Vec<String> = r
        .timeline
        .all()
        .into_iter()
        .filter(|c| c != "<ESC>")
        .collect();
    assert_eq!(seen, want);
    let s = r.handle.status();
    assert_eq!(s.state, ModemState::Ready);
    assert!(s.registered);
    assert_eq!(s.signal_dbm, Some(-73));
    assert_eq!((s.storage_used, s.storage_total), (Some(0), Some(30)));
    assert_eq!(r.handle.name(), "modem0");
}

#[tokio::test(start_paused = true)]
async fn echo_stuck_on_and_urc_noise_do_not_confuse_init_or_reads() {
    let mut st = stored(&[(1, 0, deliver_hex("+6281234567890", "jalan rusak"))]);
    st.echo = true;
    st.stuck_echo = true;
    st.noise = true;
    let r = rig(st);
    ready(&r).await;
    until("the message to be deleted", || {
        r.timeline.count("AT+CMGD=1") == 1
    })
    .await;
    assert_eq!(texts(&r.sink), ["jalan rusak"]);
    // A +CMTI between other chatter, answered with echo and noise around +CMGR.
    r.fakes[0].with(|s| {
        s.stored
            .insert(4, (0, deliver_hex("081234567890", "lampu mati")))
    });
    r.fakes[0].urc("^RSSI:12\r\n+CMTI: \"SM\",4\r\n^BOOT:27710117,0,0,0,75");
    until("the announced message", || {
        r.timeline.count("AT+CMGD=4") == 1
    })
    .await;
    assert_eq!(texts(&r.sink), ["jalan rusak", "lampu mati"]);
    assert_eq!(r.handle.status().counters.reinits, 0);
    assert_eq!(r.timeline.count("ATZ"), 1);
}

#[tokio::test(start_paused = true)]
async fn sink_first_then_delete_and_refusal_keeps_the_message() {
    let st = stored(&[
        (1, 1, deliver_hex("+6281111111111", "satu")),
        (2, 0, deliver_hex("+6282222222222", "dua")),
    ]);
    let r = rig(st);
    r.sink.fail.lock().unwrap().insert(2, 1);
    ready(&r).await;
    until("message 1 deleted", || r.timeline.count("AT+CMGD=1") == 1).await;
    let t = r.timeline.all();
    let pos = |e: &str| t.iter().position(|x| x == e).unwrap();
    assert!(pos("sink:1") < pos("AT+CMGD=1"));
    assert!(t.contains(&"sink-refused:2".to_string()));
    assert_eq!(
        r.timeline.count("AT+CMGD=2"),
        0,
        "refused message must stay"
    );
    assert!(r.fakes[0].with(|s| s.stored.contains_key(&2)));
    // The next sweep hands it over again; now it is committed and deleted.
    until("message 2 deleted", || r.timeline.count("AT+CMGD=2") == 1).await;
    assert!(r.timeline.position("sink:2").unwrap() < r.timeline.position("AT+CMGD=2").unwrap());
    let c = r.handle.status().counters;
    assert_eq!((c.received, c.deleted, c.sink_errors), (2, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn submits_are_left_alone_reports_and_undecodable_pdus_go_to_the_sink() {
    let submit = encode_submit("+6281234567890", "balasan", &SubmitOptions::default()).unwrap();
    let st = stored(&[
        (1, 3, submit[0].pdu_hex.clone()),
        (2, 0, STATUS_REPORT.to_string()),
        (3, 0, "07916258000000F0FF".to_string()),
        (4, 1, "0011223".to_string()),
    ]);
    let r = rig(st);
    ready(&r).await;
    // All three committed: one bulk delete of the read messages.
    until("all three deleted", || r.timeline.count("AT+CMGD=1,1") == 1).await;
    assert_eq!(
        r.timeline.count("AT+CMGD=1"),
        0,
        "stored SUBMIT must not be deleted"
    );
    let reports = r.sink.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].mr, 0x5A);
    // TP-ST 0x30: the SMSC is still trying.
    assert_eq!(reports[0].status, 0x30);
    assert!(!reports[0].delivered && !reports[0].final_);
    assert_eq!(reports[0].pdu, crate::parse_hex(STATUS_REPORT).unwrap());
    let got = r.sink.received();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.decoded.is_err()));
    assert_eq!(got[1].pdu, b"0011223".to_vec(), "bad hex is kept as text");
    assert!(
        r.timeline.position("report:90").unwrap() < r.timeline.position("AT+CMGD=1,1").unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn direct_cmt_goes_to_the_sink_then_is_acknowledged() {
    let st = FakeState {
        csms: 1,
        ..FakeState::default()
    };
    let r = rig(st);
    ready(&r).await;
    let hex = deliver_hex("+6281234567890", "langsung");
    r.fakes[0].urc(&format!("+CMT: ,{}\r\n{hex}", hex.len() / 2 - 1));
    until("the acknowledgement", || r.timeline.count("AT+CNMA") == 1).await;
    assert!(
        r.timeline.position("sink:4294967295").unwrap() < r.timeline.position("AT+CNMA").unwrap()
    );
    assert_eq!(r.sink.received()[0].index, Received::DIRECT);
    assert_eq!(texts(&r.sink), ["langsung"]);
}

#[tokio::test(start_paused = true)]
async fn one_timeout_is_retried_without_reinit() {
    let mut st = stored(&[(1, 0, deliver_hex("+6281234567890", "halo"))]);
    st.overrides.push(("AT+CMGL=4", 1, Reply::Silence));
    let r = rig(st);
    ready(&r).await;
    until("the message deleted", || r.timeline.count("AT+CMGD=1") == 1).await;
    let c = r.handle.status().counters;
    assert_eq!((c.timeouts, c.reinits, c.reopens), (1, 0, 0));
    assert_eq!(r.timeline.count("AT+CMGL=4"), 2);
    assert_eq!(r.timeline.count("ATZ"), 1);
}

#[tokio::test(start_paused = true)]
async fn repeated_timeouts_reinitialise_on_the_same_port() {
    let mut st = FakeState::default();
    // Init asks once; the status poll a minute later gets two silences in a row.
    st.overrides.push(("AT+CSQ", 0, Reply::Silence));
    let r = rig(st);
    ready(&r).await;
    r.fakes[0].with(|s| s.overrides[0].1 = 2);
    until("a re-init", || r.timeline.count("ATZ") == 2).await;
    ready(&r).await;
    let c = r.handle.status().counters;
    assert_eq!((c.timeouts, c.reinits, c.reopens), (2, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_dead_modem_is_closed_and_reopened_with_backoff() {
    let first = FakeState::default();
    let second = stored(&[(1, 0, deliver_hex("+6281234567890", "kembali"))]);
    let r = rig_with(config(), vec![first, second]);
    ready(&r).await;
    r.fakes[0].with(|s| s.silent = true);
    until("the state to leave ready", || !r.handle.is_ready()).await;
    until("the second modem's message", || {
        r.sink.received().len() == 1
    })
    .await;
    ready(&r).await;
    let c = r.handle.status().counters;
    assert_eq!((c.reinits, c.reopens), (1, 1));
    assert_eq!(texts(&r.sink), ["kembali"]);
}

#[tokio::test(start_paused = true)]
async fn a_vanished_port_fails_the_send_as_transient_then_reconnects() {
    let mut first = FakeState::default();
    first.overrides.push(("AT+CMGS=", 1, Reply::HangUp));
    let r = rig_with(config(), vec![first]);
    ready(&r).await;
    let err = r.handle.send("+6281234567890", "tunggu").await.unwrap_err();
    assert_eq!(
        err,
        SendFailure::Transient {
            cause: SendCause::PortGone,
            parts_sent: 0
        }
    );
    until("the port to be down", || {
        r.handle.status().state == ModemState::Down
    })
    .await;
    let err = r.handle.send("+6281234567890", "tunggu").await.unwrap_err();
    assert_eq!(err.cause(), &SendCause::NotReady);
    // The device comes back (a new pipe) and the driver finds it on its next attempt.
    let (fake, port) = Fake::start(FakeState::default(), &r.timeline);
    let pipes_opened = r.handle.status().counters.reopens;
    r.pipes.add(port);
    ready(&r).await;
    assert_eq!(r.handle.status().counters.reopens, pipes_opened + 1);
    let mrs = r.handle.send("+6281234567890", "sudah").await.unwrap();
    assert_eq!(mrs, [7]);
    assert_eq!(fake.with(|s| s.sent.len()), 1);
}

#[tokio::test(start_paused = true)]
async fn send_waits_for_the_prompt_and_returns_the_references() {
    let mut cfg = config();
    cfg.status_reports = true;
    let r = rig_with(cfg, vec![FakeState::default()]);
    ready(&r).await;
    let mrs = r
        .handle
        .send("+6281234567890", "Laporan diterima")
        .await
        .unwrap();
    assert_eq!(mrs, [7]);
    let sent = r.fakes[0].with(|s| s.sent.clone());
    let want = encode_submit(
        "+6281234567890",
        "Laporan diterima",
        &SubmitOptions {
            request_status_report: true,
            ..SubmitOptions::default()
        },
    )
    .unwrap();
    assert_eq!(sent, [want[0].pdu_hex.clone()]);
    let t = r.timeline.all();
    let at = t
        .iter()
        .position(|c| c == &format!("AT+CMGS={}", want[0].tpdu_len))
        .unwrap();
    assert_eq!(t[at + 1], "<PDU>");
    // A long UCS2 reply: three parts, one reference each, one concatenation reference.
    let long = "Terima kasih 🙏 ".repeat(12);
    let mrs = r.handle.send("081234567890", &long).await.unwrap();
    assert_eq!(mrs, [8, 9, 10]);
    let parts: Vec<_> = r.fakes[0].with(|s| s.sent[1..].to_vec());
    let concat: Vec<_> = parts
        .iter()
        .map(|h| {
            let crate::Pdu::Submit(s) =
                decode(h.as_str(), Framing::WithSmsc, TypeHint::ByMti).unwrap()
            else {
                panic!("not a submit")
            };
            assert!(s.first_octet & 0x20 != 0, "status report requested");
            s.user_data.udh.as_ref().and_then(|u| u.concat()).unwrap()
        })
        .collect();
    assert_eq!(concat.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(concat
        .iter()
        .all(|c| c.reference == concat[0].reference && c.total == 3));
    assert_eq!(r.handle.status().counters.sent, 2);
}

#[tokio::test(start_paused = true)]
async fn send_with_echo_and_noise() {
    let st = FakeState {
        echo: true,
        stuck_echo: true,
        noise: true,
        ..FakeState::default()
    };
    let r = rig(st);
    ready(&r).await;
    assert_eq!(r.handle.send("+6281234567890", "ok").await.unwrap(), [7]);
}

#[tokio::test(start_paused = true)]
async fn cms_errors_are_transient_or_permanent() {
    let st = FakeState {
        overrides: vec![
            ("PDU", 1, Reply::Lines("+CMS ERROR: 42")),
            ("PDU", 1, Reply::Lines("+CMS ERROR: congestion")),
            ("PDU", 1, Reply::Lines("+CMS ERROR: 21")),
            ("PDU", 1, Reply::Lines("+CMS ERROR: 304")),
        ],
        ..FakeState::default()
    };
    let r = rig(st);
    ready(&r).await;
    let to = "+6281234567890";
    let e = r.handle.send(to, "a").await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(matches!(e.cause(), SendCause::Rejected(FinalResult::CmsError(c)) if c.is(42)));
    let e = r.handle.send(to, "b").await.unwrap_err();
    assert!(e.is_transient(), "verbose congestion is transient too: {e}");
    let e = r.handle.send(to, "c").await.unwrap_err();
    assert!(!e.is_transient(), "{e}");
    let e = r.handle.send(to, "d").await.unwrap_err();
    assert!(!e.is_transient(), "{e}");
    // An invalid number never reaches the modem.
    let before = r.timeline.all().len();
    let e = r.handle.send("08-12 abc", "e").await.unwrap_err();
    assert!(matches!(
        e,
        SendFailure::Permanent {
            cause: SendCause::Invalid(_),
            ..
        }
    ));
    assert_eq!(r.timeline.all().len(), before);
    assert_eq!(r.handle.send(to, "f").await.unwrap(), [7]);
    let c = r.handle.status().counters;
    assert_eq!((c.sent, c.send_errors), (1, 4));
    assert!(r.handle.is_ready());
}

#[tokio::test(start_paused = true)]
async fn a_missing_prompt_times_out_and_escapes() {
    let mut st = FakeState::default();
    st.overrides.push(("AT+CMGS=", 1, Reply::Silence));
    let r = rig(st);
    ready(&r).await;
    let e = r.handle.send("+6281234567890", "x").await.unwrap_err();
    assert_eq!(e.cause(), &SendCause::Timeout);
    assert!(e.is_transient());
    let t = r.timeline.all();
    let at = t.iter().rposition(|c| c.starts_with("AT+CMGS=")).unwrap();
    assert_eq!(t[at + 1], "<ESC>");
    // One timeout is not a dead modem; the next send goes through.
    assert_eq!(r.handle.send("+6281234567890", "y").await.unwrap(), [7]);
    assert_eq!(r.handle.status().counters.reinits, 0);
}

#[tokio::test(start_paused = true)]
async fn a_sim_that_is_not_ready_at_boot_is_waited_for() {
    let st = FakeState {
        cpin: [
            "+CME ERROR: 14",
            "+CPIN: NOT READY\nOK",
            "+CME ERROR: SIM busy",
        ]
        .into(),
        ..FakeState::default()
    };
    let r = rig(st);
    ready(&r).await;
    assert_eq!(r.timeline.count("AT+CPIN?"), 4);
    assert!(r.timeline.position("AT+CPIN?").unwrap() < r.timeline.position("AT+CMGF=0").unwrap());
}

#[tokio::test(start_paused = true)]
async fn the_pin_is_entered_once_and_a_refused_pin_never_again() {
    let mut cfg = config();
    cfg.pin = Some("1234".into());
    let good = FakeState {
        cpin: ["+CPIN: SIM PIN\nOK"].into(),
        ..FakeState::default()
    };
    let r = rig_with(cfg.clone(), vec![good]);
    ready(&r).await;
    assert_eq!(r.timeline.count("AT+CPIN=\"1234\""), 1);

    let bad = FakeState {
        cpin: ["+CPIN: SIM PIN\nOK"; 3].into(),
        overrides: vec![("AT+CPIN=", 5, Reply::Lines("+CME ERROR: 16"))],
        ..FakeState::default()
    };
    let again = FakeState {
        cpin: ["+CPIN: SIM PIN\nOK"; 3].into(),
        ..FakeState::default()
    };
    let r = rig_with(cfg, vec![bad, again]);
    until("the second open", || {
        r.handle.status().counters.reopens == 1
    })
    .await;
    until("the second SIM query", || r.timeline.count("AT+CPIN?") == 2).await;
    until("the driver to give up on it", || {
        r.handle.status().state == ModemState::Down
    })
    .await;
    assert_eq!(r.timeline.count("AT+CPIN=\"1234\""), 1);
}

#[tokio::test(start_paused = true)]
async fn cancellation_stops_the_task_and_fails_later_sends() {
    let r = rig(FakeState::default());
    ready(&r).await;
    r.cancel.cancel();
    tokio::time::timeout(Duration::from_secs(1), r.task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.handle.status().state, ModemState::Down);
    let e = r.handle.send("+6281234567890", "x").await.unwrap_err();
    assert!(e.is_transient());
}

#[tokio::test(start_paused = true)]
async fn a_boot_banner_triggers_reinit() {
    let r = rig(FakeState::default());
    ready(&r).await;
    r.fakes[0].urc("RDY");
    until("a re-init", || r.timeline.count("ATZ") == 2).await;
    ready(&r).await;
    assert_eq!(r.handle.status().counters.reinits, 1);
}

#[tokio::test(start_paused = true)]
async fn a_port_that_closes_while_idle_is_reopened() {
    let second = stored(&[(1, 0, deliver_hex("+6281234567890", "lagi"))]);
    let r = rig_with(config(), vec![FakeState::default(), second]);
    ready(&r).await;
    r.fakes[0].hang_up();
    until("the second modem's message", || {
        r.sink.received().len() == 1
    })
    .await;
    let c = r.handle.status().counters;
    assert_eq!((c.reopens, c.reinits), (1, 0));
    assert!(r.handle.is_ready());
}
