//! In-memory tests of the simulator: a host on a `tokio::io::duplex` stream, using the
//! crate's own AT [`Decoder`] as its parser, on tokio's paused clock (so delays, noise
//! timers and baud pacing run in virtual time and a missing answer fails fast).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::{timeout, Instant};

use crate::at::{
    parse_cmgl, parse_cmgr, parse_cpms, Decoder, Event, FinalResult, MessageStat, Urc,
};
use crate::pdu::{
    assemble, decode, encode_submit, EncodedPart, Framing, Pdu, SubmitOptions, TypeHint,
};

use super::{Fault, SimConfig, SimError, Simulator};

/// How long a host waits for anything (virtual time).
const WAIT: Duration = Duration::from_secs(5);

struct Host {
    io: DuplexStream,
    dec: Decoder,
    urcs: Vec<Urc>,
    echoes: Vec<String>,
    /// Bytes read from the modem so far.
    received: usize,
}

impl Host {
    fn new(sim: &Simulator) -> Host {
        Host {
            io: sim.connect(),
            dec: Decoder::new(),
            urcs: Vec::new(),
            echoes: Vec::new(),
            received: 0,
        }
    }

    /// A host that has turned echo off and errors on, as a driver does.
    async fn ready(sim: &Simulator) -> Host {
        let mut h = Host::new(sim);
        h.ok("ATE0").await;
        h.ok("AT+CMEE=1").await;
        h
    }

    /// The next decoded event, or `None` after [`WAIT`] of silence or at end of stream.
    async fn event_within(&mut self, wait: Duration) -> Option<Event> {
        loop {
            if let Some(e) = self.dec.next_event() {
                return Some(e);
            }
            let mut buf = [0u8; 1024];
            let n = timeout(wait, self.io.read(&mut buf)).await.ok()?.ok()?;
            if n == 0 {
                return None;
            }
            self.received += n;
            self.dec.push(&buf[..n]);
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.unwrap();
    }

    async fn at(&mut self, cmd: &str) -> (Vec<String>, FinalResult) {
        self.dec.expect(cmd);
        self.send(format!("{cmd}\r").as_bytes()).await;
        self.finish(cmd).await
    }

    async fn ok(&mut self, cmd: &str) -> Vec<String> {
        let (lines, result) = self.at(cmd).await;
        assert_eq!(result, FinalResult::Ok, "{cmd} answered {lines:?}");
        lines
    }

    /// Collects lines up to the final result; URCs and echoes are set aside.
    async fn finish(&mut self, what: &str) -> (Vec<String>, FinalResult) {
        let mut lines = Vec::new();
        loop {
            match self.event_within(WAIT).await {
                None => panic!("no final result for {what} (lines so far {lines:?})"),
                Some(Event::Line(l)) => lines.push(l),
                Some(Event::Final(f)) => return (lines, f),
                Some(Event::Urc(u)) => self.urcs.push(u),
                Some(Event::Echo(e)) => self.echoes.push(e),
                Some(other) => panic!("unexpected {other:?} during {what}"),
            }
        }
    }

    /// `AT+CMGS=<n>`, the prompt, the PDU and Ctrl-Z.
    async fn cmgs(&mut self, part: &EncodedPart) -> (Vec<String>, FinalResult) {
        self.cmgs_raw(part.tpdu_len, &part.pdu_hex).await
    }

    async fn cmgs_raw(&mut self, len: usize, hex: &str) -> (Vec<String>, FinalResult) {
        let cmd = format!("AT+CMGS={len}");
        self.dec.expect(&cmd);
        self.send(format!("{cmd}\r").as_bytes()).await;
        self.prompt(&cmd).await;
        self.dec.expect_echo(hex);
        self.send(format!("{hex}\x1a").as_bytes()).await;
        self.finish(&cmd).await
    }

    async fn prompt(&mut self, what: &str) {
        loop {
            match self.event_within(WAIT).await {
                Some(Event::Prompt) => return,
                Some(Event::Urc(u)) => self.urcs.push(u),
                Some(Event::Echo(e)) => self.echoes.push(e),
                other => panic!("expected the prompt after {what}, got {other:?}"),
            }
        }
    }

    /// The next URC (set-aside ones first), or `None` after `wait`.
    async fn urc_within(&mut self, wait: Duration) -> Option<Urc> {
        if !self.urcs.is_empty() {
            return Some(self.urcs.remove(0));
        }
        match self.event_within(wait).await? {
            Event::Urc(u) => Some(u),
            other => panic!("expected a URC, got {other:?}"),
        }
    }

    async fn urc(&mut self) -> Urc {
        self.urc_within(WAIT).await.expect("a URC")
    }

    /// True when nothing at all arrives for `wait`.
    async fn quiet_for(&mut self, wait: Duration) -> bool {
        let mut buf = [0u8; 256];
        !matches!(timeout(wait, self.io.read(&mut buf)).await, Ok(Ok(n)) if n > 0)
    }
}

fn sim() -> Simulator {
    Simulator::new(SimConfig::default())
}

fn submit(to: &str, text: &str, srr: bool) -> Vec<EncodedPart> {
    let opts = SubmitOptions {
        request_status_report: srr,
        ..SubmitOptions::default()
    };
    encode_submit(to, text, &opts).unwrap()
}

fn listed(lines: &[String]) -> Vec<(u32, MessageStat, Pdu)> {
    parse_cmgl(lines)
        .into_iter()
        .map(|l| {
            let pdu = decode(&l.pdu_hex, Framing::WithSmsc, TypeHint::ByMti).unwrap();
            assert_eq!(l.length, Some(pdu.tpdu_len()));
            (l.index, l.stat.unwrap(), pdu)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn answers_the_basics_with_echo_until_ate0() {
    let sim = sim();
    let mut h = Host::new(&sim);
    h.ok("AT").await;
    assert_eq!(h.echoes, ["AT"], "echo is on after power-up");
    h.ok("ATE0").await;
    h.echoes.clear();
    h.ok("AT").await;
    assert!(h.echoes.is_empty());
    assert_eq!(h.ok("AT+CGMI").await, ["SIMCOM_Ltd"]);
    assert_eq!(h.ok("AT+CGMM").await, ["SIMCOM_SIM800L"]);
    assert_eq!(h.ok("AT+CGMR").await, ["Revision:1418B04SIM800L24"]);
    assert_eq!(h.ok("AT+CGSN").await, ["352099001761481"]);
    assert_eq!(h.ok("AT+CIMI").await, ["510101234567890"]);
    assert!(h
        .ok("ATI")
        .await
        .iter()
        .any(|l| l.contains("SIMCOM_SIM800L")));
    assert_eq!(h.ok("AT+CPIN?").await, ["+CPIN: READY"]);
    assert_eq!(h.ok("AT+CSQ").await, ["+CSQ: 21,0"]);
    assert_eq!(h.ok("AT+CREG?").await, ["+CREG: 0,1"]);
    h.ok("AT+CREG=2").await;
    assert_eq!(h.ok("AT+CREG?").await, ["+CREG: 2,1,\"1A2B\",\"3C4D\""]);
    assert_eq!(h.ok("AT+CFUN?").await, ["+CFUN: 1"]);
    assert_eq!(h.ok("AT+CSCA?").await, ["+CSCA: \"+6281100000\",145"]);
    assert_eq!(h.ok("AT+CMGF=?").await, ["+CMGF: (0,1)"]);
    assert_eq!(h.ok("AT+CNMI?").await, ["+CNMI: 2,1,0,0,0"]);
    assert_eq!(h.ok("AT+CSMS=0").await, ["+CSMS: 1,1,1"]);
    assert_eq!(h.ok("AT+CMMS=?").await, ["+CMMS: (0-2)"]);
    assert!(h.ok("AT+CNUM").await.is_empty());
    h.ok("AT&F").await;
    h.ok("ATZ").await;
    assert_eq!(h.echoes, ["ATZ"], "AT&F turned echo back on");
    // Chained commands, spaces and lower case, as modems allow.
    assert_eq!(
        h.ok("at+cmgf=0; +cmee=1 ;+CMGF?").await,
        ["+CMGF: 0".to_string()]
    );
    assert_eq!(h.at("AT+BOGUS").await.1, FinalResult::Error);
    assert_eq!(h.at("ATV0").await.1, FinalResult::Error);
    assert_eq!(h.ok("ATS3?").await, ["013"]);
    // Lines without AT are ignored, as modems do.
    h.send(b"hello\r").await;
    h.ok("AT").await;
    assert!(!sim.commands().iter().any(|c| c.contains("hello")));
    assert_eq!(sim.commands()[0], "AT");
}

#[tokio::test(start_paused = true)]
async fn errors_follow_cmee() {
    let sim = sim();
    let mut h = Host::new(&sim);
    h.ok("ATE0").await;
    assert_eq!(h.at("AT+CMGR=7").await.1, FinalResult::Error);
    h.ok("AT+CMEE=1").await;
    let (_, f) = h.at("AT+CMGR=7").await;
    assert!(matches!(&f, FinalResult::CmsError(c) if c.is(321) && c.text().is_none()));
    h.ok("AT+CMEE=2").await;
    let (_, f) = h.at("AT+CMGR=7").await;
    assert!(
        matches!(&f, FinalResult::CmsError(c) if c.is(321) && c.text() == Some("invalid memory index"))
    );
    let (_, f) = h.at("AT+CPIN=1234").await;
    assert!(matches!(&f, FinalResult::CmeError(c) if c.is(3)));
    // Text mode is accepted, its commands are not.
    h.ok("AT+CMGF=1").await;
    let (_, f) = h.at("AT+CMGL=4").await;
    assert!(matches!(&f, FinalResult::CmsError(c) if c.is(302)));
}

#[tokio::test(start_paused = true)]
async fn stores_at_the_lowest_free_index_and_raises_cmti() {
    let sim = Simulator::new(SimConfig {
        capacity: 3,
        ..SimConfig::default()
    });
    let mut h = Host::ready(&sim).await;
    assert_eq!(sim.deliver_text("+6281234567890", "satu").unwrap(), [1]);
    assert_eq!(
        h.urc().await,
        Urc::NewMessage {
            storage: "SM".into(),
            index: 1
        }
    );
    assert_eq!(sim.deliver_text("081200000002", "dua").unwrap(), [2]);
    assert_eq!(sim.deliver_text("081200000003", "tiga").unwrap(), [3]);
    assert_eq!(
        sim.deliver_text("081200000004", "empat"),
        Err(SimError::Full)
    );
    let usage = parse_cpms(&h.ok("AT+CPMS?").await).unwrap();
    assert_eq!((usage[0].used, usage[0].total), (3, 3));
    assert!(usage[0].is_full());
    h.ok("AT+CMGD=2").await;
    h.ok("AT+CPMS=\"ME\",\"ME\",\"ME\"").await;
    assert_eq!(sim.deliver_text("081200000005", "lima").unwrap(), [2]);
    for _ in 0..2 {
        h.urc().await;
    }
    assert_eq!(
        h.urc().await,
        Urc::NewMessage {
            storage: "ME".into(),
            index: 2
        }
    );
    let indices: Vec<u32> = sim.stored().iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, [1, 2, 3]);
    // A multipart message that does not fit stores nothing.
    h.ok("AT+CMGD=1").await;
    assert_eq!(
        sim.deliver_text("0812", &"x".repeat(400)),
        Err(SimError::Full)
    );
    assert_eq!(sim.stored().len(), 2);
    assert!(matches!(sim.deliver_pdu(&[]), Err(SimError::InvalidPdu(_))));
    // AT+CNMI=0,0 turns indications off.
    h.ok("AT+CNMI=0,0,0,0,0").await;
    sim.deliver_text("0812", "diam").unwrap();
    assert_eq!(h.urc_within(Duration::from_secs(1)).await, None);
    let (_, f) = h.at("AT+CNMI=2,2,0,0,0").await;
    assert!(
        matches!(&f, FinalResult::CmsError(c) if c.is(303)),
        "+CMT routing is not offered"
    );
}

#[tokio::test(start_paused = true)]
async fn lists_reads_and_deletes_by_stat() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.deliver_text("+6281234567890", "pertama").unwrap();
    sim.deliver_text("+6281234567891", "kedua").unwrap();
    sim.deliver_text("+6281234567892", "ketiga").unwrap();
    let lines = h.ok("AT+CMGR=1").await;
    let read = parse_cmgr(&lines).unwrap();
    assert_eq!(read.stat, Some(MessageStat::ReceivedUnread));
    let pdu = decode(&read.pdu_hex, Framing::WithSmsc, TypeHint::ByMti).unwrap();
    assert_eq!(read.length, Some(pdu.tpdu_len()));
    assert_eq!(pdu.text(), Some("pertama"));
    assert_eq!(pdu.address().value, "+6281234567890");
    assert_eq!(pdu.smsc().unwrap().value, "+6281100000");
    // Now read: AT+CMGL=0 lists only the unread ones, and marks them read.
    let unread = listed(&h.ok("AT+CMGL=0").await);
    assert_eq!(unread.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 3]);
    assert!(listed(&h.ok("AT+CMGL=0").await).is_empty());
    let all = listed(&h.ok("AT+CMGL=4").await);
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|m| m.1 == MessageStat::ReceivedRead));
    assert_eq!(all[2].2.text(), Some("ketiga"));
    assert!(listed(&h.ok("AT+CMGL=2").await).is_empty());
    assert_eq!(h.ok("AT+CMGD=?").await, ["+CMGD: (1,2,3),(0-4)"]);
    sim.deliver_text("+6281234567893", "keempat").unwrap();
    h.ok("AT+CMGD=1,1").await; // every read message, not the new one
    assert_eq!(sim.stored().iter().map(|s| s.0).collect::<Vec<_>>(), [4]);
    h.ok("AT+CMGD=4").await;
    h.ok("AT+CMGD=4").await; // an empty slot deletes fine
    let (_, f) = h.at("AT+CMGD=99").await;
    assert!(matches!(&f, FinalResult::CmsError(c) if c.is(321)));
    assert!(sim.stored().is_empty());
    sim.deliver_text("0812", "a").unwrap();
    sim.deliver_text("0812", "b").unwrap();
    h.ok("AT+CMGD=0,4").await;
    assert!(sim.stored().is_empty());
}

#[tokio::test(start_paused = true)]
async fn multipart_and_ucs2_texts_come_apart_and_back_together() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    let long = "Jalan di depan kantor kelurahan rusak parah dan berlubang. ".repeat(5);
    let emoji = "Banjir lagi 😡 di Kampung Melayu, tolong dibantu segera!";
    assert_eq!(sim.deliver_text("+6281234567890", &long).unwrap(), [1, 2]);
    assert_eq!(sim.deliver_text("081298765432", emoji).unwrap(), [3]);
    let all = listed(&h.ok("AT+CMGL=4").await);
    let parts: Vec<&Pdu> = all[..2].iter().map(|m| &m.2).collect();
    assert!(parts.iter().all(|p| p.concat().is_some()));
    assert_eq!(assemble(parts).unwrap(), long);
    assert_eq!(all[2].2.text(), Some(emoji));
    assert_eq!(all[2].2.address().value, "081298765432");
}

#[tokio::test(start_paused = true)]
async fn cmgs_takes_the_pdu_after_the_prompt() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    let part = &submit("+6281234567890", "Laporan Anda kami terima", false)[0];
    let (lines, f) = h.cmgs(part).await;
    assert_eq!((lines, f), (vec!["+CMGS: 1".to_string()], FinalResult::Ok));
    let (lines, _) = h.cmgs(part).await;
    assert_eq!(lines, ["+CMGS: 2"], "the modem counts TP-MR up");
    let sent = sim.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].to, "+6281234567890");
    assert_eq!(sent[0].text.as_deref(), Some("Laporan Anda kami terima"));
    assert_eq!((sent[0].mr, sent[1].mr), (1, 2));
    assert!(!sent[0].status_report_requested);
    assert_eq!(sent[0].pdu.len(), part.tpdu_len);
    // Wrong length, bad hex, a DELIVER instead of a SUBMIT: 304.
    for (len, hex) in [
        (part.tpdu_len + 1, part.pdu_hex.clone()),
        (3, "00ZZ00".to_string()),
        (5, "0004038121F3".to_string()),
    ] {
        let (_, f) = h.cmgs_raw(len, &hex).await;
        assert!(
            matches!(&f, FinalResult::CmsError(c) if c.is(304)),
            "{hex}: {f:?}"
        );
    }
    // ESC cancels.
    h.dec.expect("AT+CMGS=20");
    h.send(b"AT+CMGS=20\r").await;
    h.prompt("AT+CMGS=20").await;
    h.send(b"0011\x1b").await;
    assert_eq!(h.finish("ESC").await.1, FinalResult::Ok);
    // A concatenated reply.
    for part in submit("081234567890", &"Terima kasih. ".repeat(20), false) {
        h.cmgs(&part).await;
    }
    let sent = sim.sent();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[3].concat.map(|c| (c.seq, c.total)), Some((2, 2)));
    assert!(
        !sim.commands().iter().any(|c| c.contains("0011")),
        "PDUs are not commands"
    );
}

#[tokio::test(start_paused = true)]
async fn status_report_arrives_as_cds_when_cnmi_routes_it() {
    let sim = Simulator::new(SimConfig {
        status_report_delay: Duration::from_secs(3),
        ..SimConfig::default()
    });
    let mut h = Host::ready(&sim).await;
    let part = &submit("+6281234567890", "Balasan", true)[0];
    // <ds> 0: the report is lost.
    h.cmgs(part).await;
    assert_eq!(h.urc_within(Duration::from_secs(5)).await, None);
    h.ok("AT+CNMI=2,1,0,1,0").await;
    let start = Instant::now();
    let (lines, _) = h.cmgs(part).await;
    assert_eq!(lines, ["+CMGS: 2"]);
    let Urc::StatusReport { length, pdu_hex } = h.urc().await else {
        panic!("expected +CDS")
    };
    assert!(start.elapsed() >= Duration::from_secs(3));
    let Pdu::StatusReport(rep) = decode(&pdu_hex, Framing::WithSmsc, TypeHint::ByMti).unwrap()
    else {
        panic!("not a status report")
    };
    assert_eq!(length, Some(rep.tpdu_len));
    assert_eq!(rep.message_ref, 2);
    assert_eq!(rep.recipient.value, "+6281234567890");
    assert_eq!(rep.status, 0);
    assert_eq!(rep.smsc.unwrap().value, "+6281100000");
    assert!(sim.sent()[1].status_report_requested);
}

#[tokio::test(start_paused = true)]
async fn noise_comes_between_entries_and_when_idle() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    for i in 0..3 {
        sim.deliver_text("+6281234567890", &format!("pesan {i}"))
            .unwrap();
    }
    h.ok("AT+CNMI=0,0,0,0,0").await;
    h.urcs.clear();
    sim.inject(Fault::Noise);
    let lines = h.ok("AT+CMGL=4").await;
    assert_eq!(listed(&lines).len(), 3, "noise never splits an entry");
    // Between the three entries and before OK.
    assert!(h.urcs.len() >= 3, "{:?}", h.urcs);
    h.urcs.clear();
    assert!(
        h.urc_within(Duration::from_secs(1)).await.is_some(),
        "idle chatter"
    );
    sim.clear_faults();
    h.ok("AT").await;
    h.urcs.clear();
    assert!(h.quiet_for(Duration::from_secs(2)).await);
}

#[tokio::test(start_paused = true)]
async fn echo_fault_ignores_ate0() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.inject(Fault::EchoOn);
    h.echoes.clear();
    h.ok("ATE0").await;
    h.ok("AT+CMGF=0").await;
    assert_eq!(h.echoes, ["ATE0", "AT+CMGF=0"]);
    // The PDU after the prompt is echoed too.
    let part = &submit("+6281234567890", "gema", false)[0];
    let (lines, _) = h.cmgs(part).await;
    assert_eq!(lines, ["+CMGS: 1"]);
    assert!(h.echoes.iter().any(|e| e.contains(&part.pdu_hex)));
    sim.clear_faults();
    h.echoes.clear();
    h.ok("AT").await;
    assert!(
        h.echoes.is_empty(),
        "ATE0 holds again once the fault is gone"
    );
}

#[tokio::test(start_paused = true)]
async fn cms_error_fault_counts_down() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.inject(Fault::CmsError {
        command: "at+cmgl".into(),
        code: 500,
        times: 2,
    });
    for _ in 0..2 {
        let (_, f) = h.at("AT+CMGL=4").await;
        assert!(matches!(&f, FinalResult::CmsError(c) if c.is(500)));
    }
    h.ok("AT+CMGL=4").await;
    // AT+CMGS fails after the PDU, like a network rejection, and sends nothing.
    sim.inject(Fault::CmsError {
        command: "AT+CMGS".into(),
        code: 42,
        times: 1,
    });
    let part = &submit("+6281234567890", "macet", false)[0];
    let (_, f) = h.cmgs(part).await;
    assert!(matches!(&f, FinalResult::CmsError(c) if c.is(42) && f.transient()));
    assert!(sim.sent().is_empty());
    assert_eq!(h.cmgs(part).await.0, ["+CMGS: 1"]);
}

#[tokio::test(start_paused = true)]
async fn silence_swallows_everything_until_cleared() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.inject(Fault::Silence);
    h.send(b"AT\r").await;
    sim.deliver_text("+6281234567890", "hilang").unwrap();
    assert!(h.quiet_for(Duration::from_secs(10)).await);
    assert_eq!(sim.commands().last().map(String::as_str), Some("AT"));
    sim.clear_faults();
    h.dec.reset();
    h.ok("AT").await;
    assert!(h.urcs.is_empty(), "the +CMTI raised while silent is lost");
    assert_eq!(listed(&h.ok("AT+CMGL=4").await).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn no_cmti_fault_stores_silently() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.inject(Fault::NoCmti);
    sim.deliver_text("+6281234567890", "tanpa kabar").unwrap();
    assert_eq!(h.urc_within(Duration::from_secs(2)).await, None);
    assert_eq!(
        listed(&h.ok("AT+CMGL=4").await)[0].2.text(),
        Some("tanpa kabar")
    );
}

#[tokio::test(start_paused = true)]
async fn sim_not_ready_passes() {
    let sim = sim();
    let mut h = Host::ready(&sim).await;
    sim.inject(Fault::SimNotReady {
        for_: Duration::from_secs(10),
    });
    let (_, f) = h.at("AT+CPIN?").await;
    assert!(matches!(&f, FinalResult::CmeError(c) if c.is(14) && f.transient()));
    let (_, f) = h.at("AT+CIMI").await;
    assert!(matches!(&f, FinalResult::CmeError(c) if c.is(14)));
    for cmd in [
        "AT+CMGL=4",
        "AT+CPMS?",
        "AT+CSCA?",
        "AT+CMGR=1",
        "AT+CMGS=10",
    ] {
        let (_, f) = h.at(cmd).await;
        assert!(
            matches!(&f, FinalResult::CmsError(c) if c.is(310)),
            "{cmd}: {f:?}"
        );
    }
    h.ok("AT+CMGF=0").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(h.ok("AT+CPIN?").await, ["+CPIN: READY"]);
    h.ok("AT+CMGL=4").await;
}

#[tokio::test(start_paused = true)]
async fn baud_pacing_bounds_a_listing_from_below() {
    async fn list_twenty(baud: Option<u32>) -> (usize, Duration) {
        let sim = Simulator::new(SimConfig {
            baud,
            ..SimConfig::default()
        });
        for i in 0..20 {
            let text = format!("Laporan nomor {i}: jalan rusak di RT 0{i}.");
            sim.deliver_text("+6281234567890", &text).unwrap();
        }
        let mut h = Host::ready(&sim).await;
        let before = h.received;
        let start = Instant::now();
        assert_eq!(listed(&h.ok("AT+CMGL=4").await).len(), 20);
        (h.received - before, start.elapsed())
    }
    let (bytes, paced) = list_twenty(Some(9600)).await;
    assert!(bytes > 2000, "{bytes}");
    let floor = Duration::from_secs_f64(bytes as f64 * 10.0 / 9600.0);
    assert!(
        paced >= floor,
        "{bytes} bytes in {paced:?}, floor {floor:?}"
    );
    assert!(paced < floor + Duration::from_millis(200), "{paced:?}");
    let (bytes_unpaced, unpaced) = list_twenty(None).await;
    assert_eq!(bytes_unpaced, bytes);
    assert!(unpaced < floor / 10, "{unpaced:?}");
}

#[tokio::test(start_paused = true)]
async fn baud_pacing_applies_to_input() {
    let sim = Simulator::new(SimConfig {
        baud: Some(9600),
        ..SimConfig::default()
    });
    let mut h = Host::new(&sim);
    h.ok("ATE0").await;
    // 960 bytes of command line take a second to arrive at 9600 baud.
    let long = format!("AT+CSCA=\"{}\"", "1".repeat(950));
    let start = Instant::now();
    h.at(&long).await;
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn every_session_hears_urcs_and_shutdown_ends_them() {
    let sim = sim();
    let mut a = Host::ready(&sim).await;
    let mut b = Host::ready(&sim).await;
    sim.deliver_text("+6281234567890", "untuk semua").unwrap();
    assert!(matches!(a.urc().await, Urc::NewMessage { index: 1, .. }));
    assert!(matches!(b.urc().await, Urc::NewMessage { index: 1, .. }));
    sim.shutdown().await;
    assert_eq!(a.event_within(WAIT).await, None, "the session ended");
}
