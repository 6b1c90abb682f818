//! Unit tests fed from the transcripts in `shared/reference/at-modem-notes.md`; each
//! literal cites its section. Every decoding test also checks that feeding the same
//! bytes one at a time gives the same events as one push.

use super::*;

/// Decodes `bytes` with `command` pending, in one push and byte by byte, and checks that
/// both give the same events.
fn decode(command: Option<&str>, bytes: &[u8]) -> Vec<Event> {
    let run = |chunk: usize| {
        let mut d = Decoder::new();
        if let Some(c) = command {
            d.expect(c);
        }
        for part in bytes.chunks(chunk) {
            d.push(part);
        }
        d.events().collect::<Vec<_>>()
    };
    let whole = run(bytes.len().max(1));
    assert_eq!(whole, run(1), "byte-by-byte feeding differs");
    assert_eq!(whole, run(7), "7-byte chunks differ");
    whole
}

fn line(s: &str) -> Event {
    Event::Line(s.to_string())
}

fn lines_of(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Line(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

// §3.1 pygsm fake listing, §1.1 +CMTI, §1.4 ^RSSI, §1.3 two-line +CDS, and pygsm's
// garbage line, interleaved inside the response.
const CMGL_PDU0: &str =
    "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034";
const CDS_PDU: &str = "07914356060013F1065A098136395339F6219011700463802190117004638030";

#[test]
fn cmgl_with_urcs_interleaved() {
    let input = format!(
        "AT+CMGL=4\r\r\n+CMGL: 0,0,,35\r\n\r\n+CMTI: \"SM\",3\r\n{CMGL_PDU0}\r\n\
         ^RSSI:18\r\r\n+CMGL: 1,1,,161\r\n07917248010080F020109172480010359099990000312070101344809FCEF21D14\r\n\
         \r\n+CDS: 24\r\n{CDS_PDU}\r\n\
         AFSDLF SDKFJSKDLFJLKSDJF SJDLKFSKLDJFKSDFS\r\n\
         +CMGL: 2,1,,159\r\n07917248010080F0240B917248001064F30000312070604220809F537AD84D0E\r\n\r\nOK\r\n"
    );
    let ev = decode(Some("AT+CMGL=4"), input.as_bytes());
    assert_eq!(ev[0], Event::Echo("AT+CMGL=4".into()));
    assert!(ev.contains(&Event::Urc(Urc::NewMessage {
        storage: "SM".into(),
        index: 3
    })));
    assert!(ev.contains(&Event::Urc(Urc::Noise {
        line: "^RSSI:18".into()
    })));
    assert!(ev.contains(&Event::Urc(Urc::StatusReport {
        length: Some(24),
        pdu_hex: CDS_PDU.into()
    })));
    assert_eq!(ev.last(), Some(&Event::Final(FinalResult::Ok)));
    let listed = parse_cmgl(&lines_of(&ev));
    assert_eq!(listed.len(), 3);
    assert_eq!(
        listed[0],
        ListedPdu {
            index: 0,
            stat: Some(MessageStat::ReceivedUnread),
            length: Some(35),
            pdu_hex: CMGL_PDU0.into()
        }
    );
    assert_eq!(listed[1].stat, Some(MessageStat::ReceivedRead));
    assert_eq!(listed[2].index, 2);
    assert_eq!(listed[2].length, Some(159));
    assert!(listed[2].pdu_hex.starts_with("07917248010080F0240B"));
}

#[test]
fn cmgl_pantech_truncated_and_glued_header() {
    // §3.1 MM Pantech (3 fields, last PDU truncated) and Gammu's missing new line.
    let lines = [
        "+CMGL: 17,3,35",
        "079100F40D1101000F001000B917118336058F300001954747A0E4ACF41F27298CDCE83C6EF371B0402814020+CMGL: 11,3,35",
        "079100F40D1101000F001000B917118336058F300",
    ];
    let listed = parse_cmgl(&lines);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].stat, Some(MessageStat::StoredSent));
    assert!(listed[0].pdu_hex.ends_with("0402814020"));
    assert_eq!(listed[1].index, 11);
    assert_eq!(
        listed[1].pdu_hex,
        "079100F40D1101000F001000B917118336058F300"
    );
}

#[test]
fn prompt_then_cmgs_then_ok_with_echo() {
    // §4 txgsm transcript, echo on; the prompt has no line end.
    let pdu = "0001000B817267443908F600000BE8329BFD06DDDF723619";
    let mut d = Decoder::new();
    d.expect("AT+CMGS=23");
    d.push(b"AT+CMGS=23\r\r\n> ");
    assert_eq!(d.next_event(), Some(Event::Echo("AT+CMGS=23".into())));
    assert_eq!(d.next_event(), Some(Event::Prompt));
    assert_eq!(d.next_event(), None);
    d.expect_echo(pdu);
    d.push(format!("{pdu}\x1a\r\n\r\n+CMGS: 198\r\n\r\nOK\r\n").as_bytes());
    let ev: Vec<_> = d.events().collect();
    assert_eq!(
        ev,
        [
            Event::Echo(pdu.into()),
            line("+CMGS: 198"),
            Event::Final(FinalResult::Ok)
        ]
    );
    assert_eq!(parse_cmgs(&lines_of(&ev)), Ok(198));
}

#[test]
fn pygsm_send_sequence_and_late_cdsi() {
    // §4 pygsm fake: ['> \r\n', '+CMGS: 183\r\n', 'OK\r\n', 0.1, '+CDSI: "SM",3\r\n'].
    let ev = decode(
        Some("AT+CMGS=23"),
        b"\r\n> \r\n+CMGS: 183\r\nOK\r\n+CDSI: \"SM\",3\r\n",
    );
    assert_eq!(
        ev,
        [
            Event::Prompt,
            line("+CMGS: 183"),
            Event::Final(FinalResult::Ok),
            Event::Urc(Urc::StatusReportStored {
                storage: "SM".into(),
                index: 3
            }),
        ]
    );
    // Quectel p.95: `+CMGS: <mr>[,<ackpdu>]`.
    assert_eq!(parse_cmgs(&["+CMGS: 12,00AB"]), Ok(12));
    assert_eq!(
        parse_cmgs(&["OK"]),
        Err(ParseError::Missing { prefix: "+CMGS:" })
    );
}

#[test]
fn cms_321_on_empty_slot() {
    // §2.1: CMGR on an empty slot.
    let ev = decode(Some("AT+CMGR=5"), b"\r\n+CMS ERROR: 321\r\n");
    let Event::Final(FinalResult::CmsError(code)) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert!(code.is(CmsCode::INVALID_MEMORY_INDEX));
    assert_eq!(code.name(), Some("invalid memory index"));
    assert!(!code.transient());
}

#[test]
fn verbose_errors() {
    // §2 MM textual form; §2.1 pygsm CME 14 SIM busy.
    let ev = decode(
        Some("AT+CSCA?"),
        b"\r\n+CME ERROR: SIM busy\r\n\r\n+CMS ERROR:330\r\n",
    );
    let Event::Final(FinalResult::CmeError(cme)) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(cme.number(), Some(14));
    assert_eq!(cme.text(), Some("SIM busy"));
    assert!(cme.transient());
    assert_eq!(cme.to_string(), "+CME ERROR: SIM busy");
    let Event::Final(FinalResult::CmsError(cms)) = &ev[1] else {
        panic!("{ev:?}")
    };
    assert!(cms.is(CmsCode::SMSC_ADDRESS_UNKNOWN));
    let odd = CmsCode::parse("something vendor specific");
    assert_eq!((odd.number(), odd.transient()), (None, false));
}

#[test]
fn code_classification() {
    for n in [314, 331, 332, 38, 41, 42, 47] {
        assert!(CmsCode::new(n).transient(), "CMS {n}");
    }
    for n in [1, 300, 302, 304, 321, 322, 330, 500, 512, 999] {
        assert!(!CmsCode::new(n).transient(), "CMS {n}");
    }
    for n in [14, 515] {
        assert!(CmeCode::new(n).transient(), "CME {n}");
    }
    assert!(!CmeCode::new(11).transient());
    assert!(FinalResult::CmeError(CmeCode::new(515)).transient());
    assert!(!FinalResult::Error.transient());
    assert_eq!(
        CmsCode::new(322).to_string(),
        "+CMS ERROR: 322 (memory full)"
    );
}

#[test]
fn huawei_double_cr_and_command_not_support() {
    // §1.4 Huawei URCs ending in \r\r\n; §5 E1752 CLAC lines and COMMAND NOT SUPPORT.
    let ev = decode(
        Some("AT+CLAC"),
        b"\r\n^MODE:3,3\r\r\n+CGMI\r\r\n+CMGL\r\r\n\r\nOK\r\n",
    );
    assert_eq!(
        ev,
        [
            Event::Urc(Urc::Noise {
                line: "^MODE:3,3".into()
            }),
            line("+CGMI"),
            line("+CMGL"),
            Event::Final(FinalResult::Ok),
        ]
    );
    let ev = decode(Some("AT^FOO"), b"\r\nCOMMAND NOT SUPPORT\r\n");
    assert_eq!(ev, [Event::Final(FinalResult::CommandNotSupport)]);
}

#[test]
fn two_line_urcs() {
    // §1.3 MM test_parse_cds, exact framing.
    let ev = decode(None, format!("\r\n+CDS: 24\r\n{CDS_PDU}\r\n").as_bytes());
    assert_eq!(
        ev,
        [Event::Urc(Urc::StatusReport {
            length: Some(24),
            pdu_hex: CDS_PDU.into()
        })]
    );
    // §1.2 +CMT with empty alpha, and SIM900 without alpha.
    let pdu =
        "0791535880770101200C915358508282420000691170413375081154747A0E4ACF41F4F29C9E769F4121";
    let ev = decode(
        None,
        format!("+CMT: ,34\r\n{pdu}\r\n+CMT: 34\r\n{pdu}\r\n").as_bytes(),
    );
    let want = Event::Urc(Urc::Deliver {
        alpha: None,
        length: Some(34),
        pdu_hex: pdu.into(),
    });
    assert_eq!(ev, [want.clone(), want]);
    // A header whose PDU never comes is reported, and the next line is read afresh.
    let ev = decode(Some("AT"), b"+CMT: ,34\r\nOK\r\n");
    assert_eq!(
        ev,
        [
            Event::Urc(Urc::Unknown {
                line: "+CMT: ,34".into()
            }),
            Event::Final(FinalResult::Ok)
        ]
    );
}

#[test]
fn creg_ambiguity() {
    // §1.4: +CREG: is a URC, and also the answer to AT+CREG?.
    let ev = decode(
        Some("AT+CREG?"),
        b"\r\n+CREG: 1\r\n+CREG: 2,1,\"00C3\",\"1234\"\r\n\r\nOK\r\n+CREG: 5\r\n",
    );
    let urc = |state| {
        Event::Urc(Urc::Registration(Registration {
            mode: None,
            state,
            lac: None,
            cell_id: None,
        }))
    };
    assert_eq!(
        ev,
        [
            urc(RegistrationState::Home),
            line("+CREG: 2,1,\"00C3\",\"1234\""),
            Event::Final(FinalResult::Ok),
            urc(RegistrationState::Roaming),
        ]
    );
    let r = parse_creg("+CREG: 2,1,\"00C3\",\"1234\"").unwrap();
    assert_eq!(r.mode, Some(2));
    assert!(r.state.is_registered());
    assert_eq!(r.lac.as_deref(), Some("00C3"));
    let u = parse_creg("+CREG: 2,\"00C3\",\"1234\"").unwrap();
    assert_eq!((u.mode, u.state), (None, RegistrationState::Searching));
    assert!(!RegistrationState::Denied.is_registered());
}

#[test]
fn unknown_prefixed_lines_are_not_the_response() {
    // §1.4 rule: unknown ^XXX:/+XXX: lines are never the pending command's answer.
    let ev = decode(
        Some("AT+CSQ"),
        b"\r\n+FOO: 1\r\n^BAR:2\r\n+CSQ: 18,99\r\n\r\nOK\r\n",
    );
    assert_eq!(
        ev[..2],
        [
            Event::Urc(Urc::Unknown {
                line: "+FOO: 1".into()
            }),
            Event::Urc(Urc::Unknown {
                line: "^BAR:2".into()
            }),
        ]
    );
    let q = parse_csq(&lines_of(&ev)).unwrap();
    assert_eq!((q.rssi, q.ber, q.dbm()), (Some(18), None, Some(-77)));
    let q = parse_csq(&["+CSQ: 99,99"]).unwrap();
    assert_eq!((q.rssi, q.dbm()), (None, None));
    assert_eq!(parse_csq(&["+CSQ: 0,0"]).unwrap().dbm(), Some(-113));
    assert_eq!(parse_csq(&["+CSQ: 31,0"]).unwrap().dbm(), Some(-51));
}

#[test]
fn vendor_noise_and_boot_banners() {
    // §1.4 and §5: SIMCom, Quectel, Cinterion, Huawei, u-blox.
    let ev = decode(
        None,
        b"RDY\r\n+CPIN: READY\r\nSMS DONE\r\nPB DONE\r\n+QUSIM: 1\r\n^SYSSTART\r\n\
          ^HCSQ:\"LTE\",59,50,161,24\r\n^BOOT:27710117,0,0,0,75\r\n+CIEV: service,1\r\n\
          ^DSFLOWRPT:00000124,00000082,00000EA6,0000000000012325,000000000022771D,0000BB80,0001F400\r\n\
          RING\r\nNO CARRIER\r\n^SMMEMFULL:\"SM\"\r\n",
    );
    assert_eq!(ev.len(), 13);
    let banners = ev
        .iter()
        .filter(|e| matches!(e, Event::Urc(u) if u.is_boot_banner()))
        .count();
    assert_eq!(banners, 2);
    assert!(ev[..10]
        .iter()
        .all(|e| matches!(e, Event::Urc(Urc::Noise { .. }))));
    assert_eq!(ev[10], Event::Urc(Urc::Ring));
    assert!(matches!(&ev[11], Event::Urc(Urc::Noise { line }) if line == "NO CARRIER"));
    assert_eq!(
        ev[12],
        Event::Urc(Urc::MemoryFull {
            storage: "SM".into()
        })
    );
}

#[test]
fn wavecom_cpin_without_ok_and_bad_line_ends() {
    // §5 Wavecom: `+CPIN: READY` with no final; §2 Gammu "AT with bad end of lines".
    let mut d = Decoder::new();
    d.expect("AT+CPIN?");
    d.push(b"\r\n+CPIN: READY\r\n");
    assert_eq!(d.next_event(), Some(line("+CPIN: READY")));
    assert_eq!(d.pending_prefix(), Some("+CPIN:"));
    d.expect_none();
    let ev = decode(Some("AT"), b"OK\n");
    assert_eq!(ev, [Event::Final(FinalResult::Ok)]);
    let ev = decode(Some("AT"), b"\rERROR\r");
    assert_eq!(ev, [Event::Final(FinalResult::Error)]);
}

#[test]
fn cmgr_header_variants() {
    // §3.2: every header variant of the notes.
    let pdu = "07914306073011F00405";
    type Case<'a> = (&'a str, Option<u8>, Option<&'a str>, Option<usize>);
    let cases: &[Case] = &[
        ("+CMGR: 3,,29", Some(3), None, Some(29)),
        ("+CMGR: 0,23", Some(0), None, Some(23)),
        ("+CMGR: 24", None, None, Some(24)),
        ("+CMGR: ,,92", None, None, Some(92)),
        ("+CMGR: 4,1,,151", Some(1), None, Some(151)),
        ("+CMGR: 0,\"\",50", Some(0), None, Some(50)),
        ("+CMGR: 0,\"abc123\",29", Some(0), Some("abc123"), Some(29)),
        (
            "+CMGR: 0,Test User 123,29",
            Some(0),
            Some("Test User 123"),
            Some(29),
        ),
        (
            "+CMGR: 0,9876543231,29",
            Some(0),
            Some("9876543231"),
            Some(29),
        ),
    ];
    for (header, stat, alpha, length) in cases {
        let r = parse_cmgr(&[*header, pdu]).unwrap();
        assert_eq!(r.stat, stat.map(MessageStat::from_number), "{header}");
        assert_eq!(r.alpha.as_deref(), *alpha, "{header}");
        assert_eq!(r.length, *length, "{header}");
        assert_eq!(r.pdu_hex, pdu, "{header}");
        assert!(!r.is_empty_slot());
    }
    let same_line = parse_cmgr(&[format!("+CMGR: 1,,147 {pdu}")]).unwrap();
    assert_eq!(
        (same_line.length, same_line.pdu_hex.as_str()),
        (Some(147), pdu)
    );
    assert!(parse_cmgr(&["+CMGR: 0,,0"]).unwrap().is_empty_slot());
    assert!(parse_cmgr(&["+CMGR: 2,2,,174", "00FFFFFFFFFFFF"])
        .unwrap()
        .is_empty_slot());
    assert!(matches!(
        parse_cmgr(&["+CMGR: \"REC READ\",\"+85291234567\",,\"07/02/18,00:05:10+32\""]),
        Err(ParseError::TextMode { .. })
    ));
}

#[test]
fn cpms_forms() {
    // §3.3: the set form, and the query form.
    let set = parse_cpms(&["+CPMS: 14,50,14,50"]).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(
        (set[0].storage.as_deref(), set[0].used, set[0].total),
        (None, 14, 50)
    );
    let q = parse_cpms(&["+CPMS: \"SM\",50,50,\"ME\", 3, 100,\"SM\",50,50"]).unwrap();
    assert_eq!(q.len(), 3);
    assert!(q[0].is_full());
    assert_eq!(q[1].storage.as_deref(), Some("ME"));
    assert!(!q[1].is_full());
    assert!(parse_cpms(&["+CPMS: (\"ME\",\"MT\"),\"ME\",(\"SM\")"]).is_err());
    assert!(parse_cpms(&["+CPMS: "]).unwrap().is_empty());
}

#[test]
fn response_prefixes() {
    assert_eq!(response_prefix("AT+CMGL=4").as_deref(), Some("+CMGL:"));
    assert_eq!(response_prefix("AT+CSQ").as_deref(), Some("+CSQ:"));
    assert_eq!(response_prefix("at+cpms=\"SM\"").as_deref(), Some("+CPMS:"));
    assert_eq!(response_prefix("AT^SYSINFO").as_deref(), Some("^SYSINFO:"));
    assert_eq!(response_prefix("ATE0"), None);
}

#[test]
fn overflow_resyncs_at_line_end() {
    let mut d = Decoder::with_max_line(64);
    d.expect("AT+CMGL=4");
    d.push(&[b'A'; 1000]);
    assert!(d.buffered() <= 64);
    d.push(b"BBB\r\nOK\r\n");
    let ev: Vec<_> = d.events().collect();
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(matches!(&ev[0], Event::Overflow { prefix } if prefix.starts_with("AAAA")));
    assert_eq!(ev[1], Event::Final(FinalResult::Ok));
}

#[test]
fn non_utf8_is_lossy() {
    let ev = decode(Some("ATI"), b"\xff\xfeQuectel\x80\r\n\x00OK\r\n");
    assert_eq!(ev.len(), 2);
    assert!(matches!(&ev[0], Event::Line(l) if l.contains("Quectel")));
    assert_eq!(ev[1], Event::Final(FinalResult::Ok));
}

/// xorshift64, fixed seed: deterministic pseudo-random bytes without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn fuzz_random_bytes_never_panic() {
    const CAP: usize = 256;
    // Bytes that matter to the framer, mixed with arbitrary ones.
    const ALPHABET: &[u8] = b"\r\n> +:,\"0123456789ABCDEFOKERRCMTIGSDLQ^\x1a\x00\xff";
    let commands = ["AT+CMGL=4", "AT+CMGS=23", "AT+CREG?", "ATE0", ""];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut d = Decoder::with_max_line(CAP);
    for i in 0..10_000 {
        let cmd = commands[i % commands.len()];
        if cmd.is_empty() {
            d.expect_none();
        } else {
            d.expect(cmd);
        }
        let len = (rng.next() % 600) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(3) {
                    (r >> 8) as u8
                } else {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                }
            })
            .collect();
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let n = 1 + (rng.next() % 64) as usize;
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            d.push(chunk);
            rest = tail;
            assert!(d.buffered() <= CAP);
        }
        for e in d.events() {
            if let Event::Line(l) = &e {
                let _ = parse_cmgl(&[l.as_str()]);
                let _ = parse_cmgr(&[l.as_str()]);
                let _ = parse_cpms(&[l.as_str()]);
                let _ = parse_csq(&[l.as_str()]);
                let _ = parse_creg(l);
            }
        }
        assert_eq!(d.queued(), 0);
    }
}
