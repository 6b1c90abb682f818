//! Unsolicited result codes: lines the modem sends on its own, at any time, including in
//! the middle of another command's response. The SMS ones are typed ([`Urc::NewMessage`],
//! the two-line [`Urc::Deliver`] and [`Urc::StatusReport`], ...); the vendor chatter
//! listed in the notes (Huawei `^RSSI`, SIMCom `SMS DONE`, Quectel `RDY`, ...) is
//! [`Urc::Noise`]; any other `+XXX:`/`^XXX:` line that is not the pending command's
//! answer is [`Urc::Unknown`], to be logged and dropped.

use super::fields::{after_prefix, split, Field};
use super::response::{parse_creg, Registration};

/// An unsolicited result code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    /// `+CMTI: <mem>,<index>`: a message was stored; read it with `AT+CMGR`.
    NewMessage { storage: String, index: u32 },
    /// `+CMT: [<alpha>],<length>` + PDU line: a message routed straight to us
    /// (acknowledge with `AT+CNMA` when `AT+CSMS=1`).
    Deliver {
        alpha: Option<String>,
        length: Option<usize>,
        pdu_hex: String,
    },
    /// `+CDS: <length>` + PDU line: a status report routed straight to us.
    StatusReport {
        length: Option<usize>,
        pdu_hex: String,
    },
    /// `+CDSI: <mem>,<index>`: a status report was stored.
    StatusReportStored { storage: String, index: u32 },
    /// `+CBM: <length>` + PDU line: a cell broadcast.
    Broadcast {
        length: Option<usize>,
        pdu_hex: String,
    },
    /// Huawei `^SMMEMFULL: <mem>`: message storage overflowed.
    MemoryFull { storage: String },
    /// `RING` or `+CRING: ...`: an incoming call.
    Ring,
    /// `+CREG: <stat>[,<lac>,<ci>...]`: network registration changed.
    Registration(Registration),
    /// Known vendor chatter: status, signal, boot banners. See [`Urc::is_boot_banner`].
    Noise { line: String },
    /// A `+XXX:`/`^XXX:`-style line that is neither known nor the pending command's
    /// answer, or a two-line URC whose second line never came.
    Unknown { line: String },
}

impl Urc {
    /// True for banners that mean the modem has just (re)started, so every volatile
    /// setting (echo, CMGF, CNMI, CMEE) is back to its default and the driver must re-run
    /// its init sequence.
    pub fn is_boot_banner(&self) -> bool {
        match self {
            Urc::Noise { line } => BOOT_BANNERS.iter().any(|b| line.eq_ignore_ascii_case(b)),
            _ => false,
        }
    }
}

const BOOT_BANNERS: &[&str] = &["RDY", "^SYSSTART", "+AT: READY", "+CPIN: NOT READY"];

/// Whole lines that are noise.
const NOISE_LINES: &[&str] = &[
    "RDY",
    "SMS DONE",
    "PB DONE",
    "Call Ready",
    "SMS Ready",
    "NORMAL POWER DOWN",
    "UNDER-VOLTAGE POWER DOWN",
    "OVER-VOLTAGE WARNNING",
    "POWERED DOWN",
    "^SYSSTART",
    "^SHUTDOWN",
    "+CUSATEND",
    "+ZEND",
    "+PBREADY",
    "+AT: READY",
    "NOT FOND ^,NOT CUSTOM AT",
    "SAMSUNG PTS DG Test",
];

/// Line prefixes that are noise.
const NOISE_PREFIXES: &[&str] = &[
    "^RSSI:",
    "^RSSILVL:",
    "^HCSQ:",
    "^DSFLOWRPT:",
    "^BOOT:",
    "^MODE:",
    "^CSNR:",
    "^SRVST:",
    "^SIMST:",
    "^STIN:",
    "^NWTIME:",
    "^CONNECT",
    "^DSDORMANT:",
    "^PDPDEACT:",
    "^NDISEND:",
    "^RFSWITCH:",
    "^POSITION:",
    "^POSEND:",
    "^ECCLIST:",
    "^LTERSRP:",
    "^CSCHANNELINFO:",
    "^CCALLSTATE:",
    "^EONS:",
    "^LWURC:",
    "+SPNWNAME:",
    "+PSBEARER:",
    "+ZUSIMR:",
    "#STN:",
    "_OSIGQ:",
    "_OBS:",
    "*EBCA",
    "+MBAN:",
    "SDNDCRC =",
    "+CLIP:",
    "+CCWA:",
    "+CUSD:",
    "+CGREG:",
    "+CEREG:",
    "+CUSATP:",
    "+NITZ:",
    "+CPIN:",
    "+CFUN:",
    "+QUSIM:",
    "+QGPSURC:",
    "+QLWURC:",
    "+CIEV:",
];

/// What a line starts, as far as URCs go.
#[derive(Debug)]
pub(super) enum UrcStart {
    /// A complete URC.
    Complete(Urc),
    /// The header of a two-line URC; the PDU comes on the next line.
    NeedsPdu(TwoLine),
}

/// The header of a two-line URC waiting for its PDU line.
#[derive(Debug, Clone)]
pub(super) struct TwoLine {
    pub header: String,
    kind: TwoLineKind,
    alpha: Option<String>,
    length: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
enum TwoLineKind {
    Cmt,
    Cds,
    Cbm,
}

impl TwoLine {
    /// Completes the URC with its PDU line.
    pub fn finish(self, pdu_hex: &str) -> Urc {
        let pdu_hex = pdu_hex.trim().to_string();
        match self.kind {
            TwoLineKind::Cmt => Urc::Deliver {
                alpha: self.alpha,
                length: self.length,
                pdu_hex,
            },
            TwoLineKind::Cds => Urc::StatusReport {
                length: self.length,
                pdu_hex,
            },
            TwoLineKind::Cbm => Urc::Broadcast {
                length: self.length,
                pdu_hex,
            },
        }
    }
}

/// Whether `line` can be the PDU line of a two-line URC: hex digits, allowing the junk
/// [`clean_pdu_line`](crate::clean_pdu_line) strips.
pub(super) fn looks_like_pdu(line: &str) -> bool {
    let hex = crate::clean_pdu_line(line);
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Classifies a line as a URC, if it is one of the known kinds.
pub(super) fn classify(line: &str) -> Option<UrcStart> {
    let complete = |u| Some(UrcStart::Complete(u));
    if let Some(rest) = after_prefix(line, "+CMTI:") {
        if let Some((storage, index)) = storage_index(rest) {
            return complete(Urc::NewMessage { storage, index });
        }
        return complete(Urc::Unknown { line: line.into() });
    }
    if let Some(rest) = after_prefix(line, "+CDSI:") {
        if let Some((storage, index)) = storage_index(rest) {
            return complete(Urc::StatusReportStored { storage, index });
        }
        return complete(Urc::Unknown { line: line.into() });
    }
    for (prefix, kind) in [
        ("+CMT:", TwoLineKind::Cmt),
        ("+CDS:", TwoLineKind::Cds),
        ("+CBM:", TwoLineKind::Cbm),
    ] {
        if let Some(rest) = after_prefix(line, prefix) {
            let f = split(rest);
            let alpha = (f.len() >= 2)
                .then(|| f[f.len() - 2].text.clone())
                .filter(|a| !a.is_empty());
            return Some(UrcStart::NeedsPdu(TwoLine {
                header: line.to_string(),
                kind,
                alpha,
                length: f.last().and_then(Field::number),
            }));
        }
    }
    if let Some(rest) = after_prefix(line, "^SMMEMFULL:") {
        let storage = split(rest)[0].text.clone();
        return complete(Urc::MemoryFull { storage });
    }
    if line.eq_ignore_ascii_case("RING") || after_prefix(line, "+CRING:").is_some() {
        return complete(Urc::Ring);
    }
    if after_prefix(line, "+CREG:").is_some() {
        return complete(match parse_creg(line) {
            Ok(r) => Urc::Registration(r),
            Err(_) => Urc::Unknown { line: line.into() },
        });
    }
    let noise = NOISE_LINES.iter().any(|n| line.eq_ignore_ascii_case(n))
        || NOISE_PREFIXES
            .iter()
            .any(|p| super::result::strip_prefix_ci(line, p).is_some());
    if noise {
        return complete(Urc::Noise { line: line.into() });
    }
    None
}

/// Whether `line` looks like a `+XXX:`-style result line: a sigil, a name, a colon.
pub(super) fn looks_like_result(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(sigil) = chars.next() else {
        return false;
    };
    if !matches!(sigil, '+' | '^' | '#' | '$' | '%' | '*' | '_') {
        return false;
    }
    let name: String = chars.take_while(|c| *c != ':').collect();
    !name.is_empty()
        && name.len() < line.len() - 1
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
}

fn storage_index(rest: &str) -> Option<(String, u32)> {
    let f = split(rest);
    let index = f.get(1)?.number()?;
    Some((f[0].text.clone(), index))
}
