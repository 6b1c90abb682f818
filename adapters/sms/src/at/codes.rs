//! `+CMS ERROR` (3GPP TS 27.005 §3.2.5) and `+CME ERROR` (TS 27.007 §9.2) codes. Modems
//! report them as numbers after `AT+CMEE=1` and as text after `AT+CMEE=2` (or by default
//! on some firmware), so a code keeps whichever it was given and maps the common texts
//! back to their numbers. [`CmsCode::transient`] and [`CmeCode::transient`] are the
//! driver's retry decision: a transient error is retried with back-off, anything else is
//! a permanent failure of that command.

use std::fmt;

/// A `+CMS ERROR:` code (message service errors, from the SMS commands).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmsCode {
    number: Option<u16>,
    text: Option<String>,
}

/// A `+CME ERROR:` code (equipment errors: SIM, network, device).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmeCode {
    number: Option<u16>,
    text: Option<String>,
}

/// (number, name, transient) for the `+CMS ERROR` codes seen in the notes.
const CMS: &[(u16, &str, bool)] = &[
    (1, "unassigned number", false),
    (8, "operator determined barring", false),
    (10, "call barred", false),
    (21, "short message transfer rejected", false),
    (27, "destination out of service", false),
    (28, "unidentified subscriber", false),
    (29, "facility rejected", false),
    (30, "unknown subscriber", false),
    (38, "network out of order", true),
    (41, "temporary failure", true),
    (42, "congestion", true),
    (47, "resources unavailable, unspecified", true),
    (50, "requested facility not subscribed", false),
    (69, "requested facility not implemented", false),
    (81, "invalid short message transfer reference value", false),
    (95, "invalid message, unspecified", false),
    (96, "invalid mandatory information", false),
    (97, "message type non-existent or not implemented", false),
    (
        98,
        "message not compatible with short message protocol state",
        false,
    ),
    (
        99,
        "information element non-existent or not implemented",
        false,
    ),
    (111, "protocol error, unspecified", false),
    (127, "interworking, unspecified", false),
    (300, "ME failure", false),
    (301, "SMS service of ME reserved", false),
    (302, "operation not allowed", false),
    (303, "operation not supported", false),
    (304, "invalid PDU mode parameter", false),
    (305, "invalid text mode parameter", false),
    (310, "SIM not inserted", false),
    (311, "SIM PIN required", false),
    (312, "PH-SIM PIN required", false),
    (313, "SIM failure", false),
    (314, "SIM busy", true),
    (315, "SIM wrong", false),
    (316, "SIM PUK required", false),
    (317, "SIM PIN2 required", false),
    (318, "SIM PUK2 required", false),
    (320, "memory failure", false),
    (321, "invalid memory index", false),
    (322, "memory full", false),
    (330, "SMSC address unknown", false),
    (331, "no network service", true),
    (332, "network timeout", true),
    (340, "no +CNMA acknowledgement expected", false),
    (500, "unknown error", false),
];

/// (number, name, transient) for the common `+CME ERROR` codes.
const CME: &[(u16, &str, bool)] = &[
    (0, "phone failure", false),
    (3, "operation not allowed", false),
    (4, "operation not supported", false),
    (10, "SIM not inserted", false),
    (11, "SIM PIN required", false),
    (12, "SIM PUK required", false),
    (13, "SIM failure", false),
    (14, "SIM busy", true),
    (15, "SIM wrong", false),
    (16, "incorrect password", false),
    (20, "memory full", false),
    (21, "invalid index", false),
    (22, "not found", false),
    (23, "memory failure", false),
    (30, "no network service", true),
    (31, "network timeout", true),
    (32, "network not allowed - emergency calls only", false),
    (100, "unknown", false),
    (515, "device busy", true),
];

fn lookup(table: &[(u16, &'static str, bool)], n: u16) -> Option<(&'static str, bool)> {
    table
        .iter()
        .find(|(k, _, _)| *k == n)
        .map(|(_, name, t)| (*name, *t))
}

fn number_for_text(table: &[(u16, &str, bool)], text: &str) -> Option<u16> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let wanted = norm(text);
    table
        .iter()
        .find(|(_, name, _)| norm(name) == wanted)
        .map(|(n, _, _)| *n)
}

/// Splits the text after `+CMS ERROR:` into a number or a verbose text.
fn split(raw: &str, table: &[(u16, &str, bool)]) -> (Option<u16>, Option<String>) {
    let raw = raw.trim();
    match raw.parse::<u16>() {
        Ok(n) => (Some(n), None),
        Err(_) => (number_for_text(table, raw), Some(raw.to_string())),
    }
}

macro_rules! code_impl {
    ($ty:ident, $table:ident, $label:literal) => {
        impl $ty {
            /// A numeric code, as printed after `AT+CMEE=1`.
            pub fn new(number: u16) -> Self {
                Self {
                    number: Some(number),
                    text: None,
                }
            }

            /// Parses what follows the colon: a number, or a verbose text whose number is
            /// filled in when it is one of the common texts.
            pub fn parse(raw: &str) -> Self {
                let (number, text) = split(raw, $table);
                Self { number, text }
            }

            /// The numeric code, if the modem gave one or the text is a known one.
            pub fn number(&self) -> Option<u16> {
                self.number
            }

            /// The verbose text exactly as the modem printed it, if it printed text.
            pub fn text(&self) -> Option<&str> {
                self.text.as_deref()
            }

            /// The standard name of a known code.
            pub fn name(&self) -> Option<&'static str> {
                self.number
                    .and_then(|n| lookup($table, n))
                    .map(|(name, _)| name)
            }

            /// True when the same command may succeed later (SIM busy after boot, network
            /// congestion or timeout, device busy): retry with back-off. Unknown and
            /// manufacturer-specific codes are treated as permanent.
            pub fn transient(&self) -> bool {
                self.number
                    .and_then(|n| lookup($table, n))
                    .is_some_and(|(_, t)| t)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match (self.number, &self.text, self.name()) {
                    (_, Some(text), _) => write!(f, concat!($label, " {}"), text),
                    (Some(n), None, Some(name)) => write!(f, concat!($label, " {} ({})"), n, name),
                    (Some(n), None, None) => write!(f, concat!($label, " {}"), n),
                    (None, None, _) => f.write_str($label),
                }
            }
        }
    };
}

code_impl!(CmsCode, CMS, "+CMS ERROR:");
code_impl!(CmeCode, CME, "+CME ERROR:");

impl CmsCode {
    /// 314: the SIM is still initialising (common right after boot).
    pub const SIM_BUSY: u16 = 314;
    /// 302: often means the modem was reset and is no longer in PDU mode.
    pub const OPERATION_NOT_ALLOWED: u16 = 302;
    /// 304: the PDU or its length was wrong; the message itself must be fixed.
    pub const INVALID_PDU_MODE_PARAMETER: u16 = 304;
    /// 321: `AT+CMGR`/`AT+CMGD` on an empty slot, or an empty `AT+CMGL` on some modems.
    pub const INVALID_MEMORY_INDEX: u16 = 321;
    /// 322: message storage full; delete messages before more can arrive.
    pub const MEMORY_FULL: u16 = 322;
    /// 330: no SMSC configured; put the SMSC inside the PDU.
    pub const SMSC_ADDRESS_UNKNOWN: u16 = 330;

    /// Whether this is the given numeric code.
    pub fn is(&self, number: u16) -> bool {
        self.number == Some(number)
    }
}

impl CmeCode {
    /// 14: the SIM is still initialising.
    pub const SIM_BUSY: u16 = 14;
    /// 515: device busy (Wavecom after `AT+CFUN=1`).
    pub const DEVICE_BUSY: u16 = 515;

    /// Whether this is the given numeric code.
    pub fn is(&self, number: u16) -> bool {
        self.number == Some(number)
    }
}
