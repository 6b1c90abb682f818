//! The SMS rig of the end-to-end tests: the modem simulator on a pty and a
//! `lapord` home configured to drive it, plus the helpers that count at the
//! real receivers.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use lapor_sms::sim::{SimConfig, Simulator};

use super::needles::assert_clean;
use super::{Daemon, Home};

/// `common::needles::PHONE_SMS` in E.164: the searches for identities at rest
/// and in logs look for it in every form.
pub const CITIZEN: &str = "+6281234567890";

pub struct Rig {
    pub rt: tokio::runtime::Runtime,
    pub sim: Simulator,
    pub home: Home,
}

impl Rig {
    pub fn new(capacity: usize) -> Rig {
        Rig::with_baud(capacity, None)
    }

    /// `baud`: the simulator paces its line like a real serial port.
    pub fn with_baud(capacity: usize, baud: Option<u32>) -> Rig {
        Rig::with(capacity, baud, "")
    }

    /// `sms_toml`: more keys for `[channels.sms]`.
    pub fn with(capacity: usize, baud: Option<u32>, sms_toml: &str) -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let home = Home::new("");
        let link = home.dir.path().join("modem0");
        let sim = rt
            .block_on(Simulator::start(SimConfig {
                capacity,
                baud,
                link: Some(link.clone()),
                status_report_delay: Duration::from_millis(50),
                ..SimConfig::default()
            }))
            .expect("start the modem simulator");
        let mut home = home;
        home.extra_toml = format!(
            r#"
[channels.sms]
concat_wait_secs = 3
send_per_minute = 60000
{sms_toml}
[channels.sms.modems.m0]
device = "{}"
poll_secs = 1
status_secs = 5
command_timeout_secs = 3
"#,
            link.display()
        );
        Rig { rt, sim, home }
    }

    pub fn start(&self) -> Daemon {
        self.home.start()
    }

    /// Sends `text` from `from` and returns the one reply it gets.
    pub fn ask(&self, d: &Daemon, from: &str, text: &str) -> String {
        let before = self.sent_to(from).len();
        self.sim.deliver_text(from, text).unwrap();
        wait_for(
            &format!("the reply to {text:?}"),
            Duration::from_secs(30),
            || self.sent_to(from).len() > before,
            || d.logs(),
        );
        let replies = self.sent_to(from);
        assert_eq!(replies.len(), before + 1, "{replies:?}");
        let reply = replies[before].clone();
        assert!(
            lapor_sms::gsm7_septets(&reply).is_some_and(|n| n <= 160),
            "not one GSM 7-bit segment: {reply:?}"
        );
        reply
    }

    /// SMS the simulator was given to send to `to`.
    pub fn sent_to(&self, to: &str) -> Vec<String> {
        self.sim
            .sent()
            .into_iter()
            .filter(|s| s.to == to)
            .map(|s| s.text.unwrap_or_default())
            .collect()
    }
}

/// No trace of the test citizen's number in the store's files or the logs.
pub fn assert_no_identity(d: &Daemon) {
    assert_clean("the debug logs", d.logs().as_bytes());
    let data = d.dir.join("data");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("lapord.db") {
            assert_clean(&name, &std::fs::read(&path).unwrap());
        }
    }
}

pub fn wait_for(
    what: &str,
    limit: Duration,
    mut ok: impl FnMut() -> bool,
    logs: impl Fn() -> String,
) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}\n--- logs ---\n{}", logs());
}

/// The ten-digit tracking ID in a reply.
pub fn tracking_id_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 10)
        .unwrap_or_else(|| panic!("no tracking ID in {text:?}"))
        .to_string()
}

pub fn report_show(d: &Daemon, id: &str) -> serde_json::Value {
    let out = d.cli(&["report", "show", id, "--reason", "test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The PDUs of a concatenated UCS2 SMS-DELIVER (8-bit reference UDH), built by
/// hand from TS 23.040 so the test does not trust the codec under test.
pub fn ucs2_parts(from: &str, text: &str, reference: u8) -> Vec<Vec<u8>> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let chunks: Vec<&[u16]> = units.chunks(67).collect();
    let total = chunks.len() as u8;
    let digits = from.trim_start_matches('+');
    let mut oa = vec![digits.len() as u8, 0x91];
    let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    for pair in d.chunks(2) {
        oa.push(pair[0] | (pair.get(1).copied().unwrap_or(0xF) << 4));
    }
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut pdu = vec![0x00, 0x44];
            pdu.extend_from_slice(&oa);
            pdu.extend_from_slice(&[0x00, 0x08]);
            pdu.extend_from_slice(&[0x62, 0x11, 0x82, 0x21, 0x43, 0x65, 0x28]);
            let mut ud = vec![0x05, 0x00, 0x03, reference, total, i as u8 + 1];
            for u in chunk.iter() {
                ud.extend_from_slice(&u.to_be_bytes());
            }
            pdu.push(ud.len() as u8);
            pdu.extend_from_slice(&ud);
            pdu
        })
        .collect()
}

pub fn outbox_counts(d: &Daemon) -> Vec<(String, String, i64)> {
    super::with_store(&d.dir, |store| {
        Box::pin(async move { store.outbox_counts().await.unwrap() })
    })
}

/// Another ten-digit ID with a valid check digit: no such report.
pub fn unknown_valid_id(id: &str) -> String {
    let mut digits: Vec<u8> = id.bytes().map(|b| b - b'0').collect();
    digits[3] = (digits[3] + 5) % 10;
    digits[9] = lapor::tracking::damm(&digits[..9]);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}
