//! What the simulated modem is ([`SimConfig`]), what it records ([`SentSms`]), what can
//! be made to go wrong with it ([`Fault`]) and how its API refuses ([`SimError`]).

use std::path::PathBuf;
use std::time::Duration;

use crate::pdu::{Concat, EncodeError};

/// How the simulated modem presents itself. `Default` is a SIMCom SIM800L on
/// Telkomsel, unpaced, with 30 SIM slots, no symlink and 1 s status-report delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Serial line speed to imitate. `None` (default): as fast as the stream goes.
    /// `Some(b)`: nothing crosses the line, in either direction, faster than `b / 10`
    /// bytes per second (start bit, 8 data bits, stop bit), like a UART at `b` baud.
    pub baud: Option<u32>,
    /// SIM message slots (the total of `AT+CPMS`), indices `1..=capacity`. Default 30.
    pub capacity: usize,
    /// A symlink to the pty's slave (like `/dev/serial/by-id/usb-...`): created by
    /// [`Simulator::start`](super::Simulator::start), re-pointed by `reappear`, removed
    /// by `vanish` and `shutdown`. Its directory must exist. Default none.
    pub link: Option<PathBuf>,
    /// `AT+CGSN`. Default `352099001761481`.
    pub imei: String,
    /// `AT+CGMM`. Default `SIMCOM_SIM800L`.
    pub model: String,
    /// `AT+CGMI`. Default `SIMCOM_Ltd`.
    pub manufacturer: String,
    /// `AT+CGMR`. Default `Revision:1418B04SIM800L24`.
    pub revision: String,
    /// `AT+CIMI` (MCC 510, MNC 10 is Telkomsel). Default `510101234567890`.
    pub imsi: String,
    /// `AT+CNUM`; `None` (default) answers with no number, as most SIMs do.
    pub own_number: Option<String>,
    /// The SMS centre (`AT+CSCA?`), also put in the SMSC field of delivered PDUs and
    /// status reports. Default `+6281100000`.
    pub smsc: String,
    /// How long after an accepted `AT+CMGS` that asked for one the `+CDS` status report
    /// arrives (when `AT+CNMI` routes reports, `<ds>` 1 or 2). Default 1 s.
    pub status_report_delay: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            baud: None,
            capacity: 30,
            link: None,
            imei: "352099001761481".into(),
            model: "SIMCOM_SIM800L".into(),
            manufacturer: "SIMCOM_Ltd".into(),
            revision: "Revision:1418B04SIM800L24".into(),
            imsi: "510101234567890".into(),
            own_number: None,
            smsc: "+6281100000".into(),
            status_report_delay: Duration::from_secs(1),
        }
    }
}

/// One SMS-SUBMIT the simulator accepted through `AT+CMGS` (one per part of a
/// concatenated message), as the network would have received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// The TPDU as received, without the SMSC field (its TP-MR is the client's, not
    /// the one the modem assigned).
    pub pdu: Vec<u8>,
    /// The recipient, `+62…` for international numbers.
    pub to: String,
    /// The decoded text of this part, `None` for 8-bit data.
    pub text: Option<String>,
    /// The TP-MR the modem assigned and answered with `+CMGS: <mr>`; status reports
    /// carry it.
    pub mr: u8,
    /// TP-SRR was set.
    pub status_report_requested: bool,
    /// Which part of which concatenated message this is, if it is one.
    pub concat: Option<Concat>,
}

/// A way for the simulated modem to misbehave, as real ones do. Faults stay until
/// [`Simulator::clear_faults`](super::Simulator::clear_faults) (or run out, for
/// [`Fault::CmsError`] and [`Fault::SimNotReady`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Unsolicited vendor chatter (`RING`, `+CREG: 1`, `^RSSI: 17`, `^BOOT:...`,
    /// `+CIEV: 2,3`, `^MODE: 5,4`) every 300 ms while idle, and inside responses:
    /// between intermediate lines (never between a `+CMGL:` header and its PDU) and
    /// before the final result.
    Noise,
    /// Echo commands (and PDUs after the prompt) back as with `ATE1`, whatever `ATE0`
    /// says: some modems turn echo back on after a reset.
    EchoOn,
    /// Answer the next `times` commands starting with `command` (e.g. `AT+CMGS`,
    /// compared without regard to case) with `+CMS ERROR: <code>` (formatted per
    /// `AT+CMEE`). `AT+CMGS` still gives the prompt and takes the PDU, then fails, as a
    /// network rejection does; the message is not recorded as sent.
    CmsError {
        command: String,
        code: u16,
        times: u32,
    },
    /// Stop answering anything: input is read and dropped (command lines are still
    /// logged in [`Simulator::commands`](super::Simulator::commands)), no echo, no
    /// results, no URCs (they are lost), until cleared.
    Silence,
    /// Store incoming messages but raise no `+CMTI` (a full or confused SIM, lost
    /// indications): only polling `AT+CMGL`/`AT+CPMS?` finds them.
    NoCmti,
    /// The SIM is still initialising for this long after the fault is injected:
    /// `AT+CPIN?` and `AT+CIMI` answer `+CME ERROR: 14` (SIM busy) and the SMS commands
    /// that need the SIM (`AT+CPMS`, `AT+CMGL`, `AT+CMGR`, `AT+CMGD`, `AT+CMGS`,
    /// `AT+CSCA`) `+CMS ERROR: 310`, as a SIM800 does right after boot.
    SimNotReady { for_: Duration },
}

/// Why the simulator refused a request from its API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Every storage slot is used; the network would keep the message.
    #[error("message storage is full")]
    Full,
    /// The text or the sender could not be encoded (e.g. an alphanumeric sender).
    #[error("cannot encode the message: {0}")]
    Encode(#[from] EncodeError),
    /// `deliver_pdu` was given nothing, or a PDU whose SMSC field is longer than it.
    #[error("not a PDU: {0}")]
    InvalidPdu(&'static str),
}
