//! Errors of the codec. Decoding errors carry the octet offset (counted from the first
//! octet of the input, SMSC field included) and what was expected there, so a log line
//! can point at the broken byte. Each variant is one decision for the caller: a PDU that
//! fails to decode is stored as unreadable and never retried; an encode error means the
//! reply itself is wrong and must be fixed, not resent.

use super::PduKind;

/// Why a PDU could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// The hex text is not hex: odd length or a non-hex character (modem line noise).
    #[error("bad hex at character {index}: {reason}")]
    BadHex { index: usize, reason: &'static str },
    /// The PDU ends before a mandatory field.
    #[error("PDU truncated at octet {offset}: expected {expected}")]
    Truncated {
        offset: usize,
        expected: &'static str,
    },
    /// A length field disagrees with the data it describes.
    #[error("bad length at octet {offset}: {expected}")]
    BadLength {
        offset: usize,
        expected: &'static str,
    },
    /// A field holds a value the specification does not allow (e.g. non-BCD date digits).
    #[error("bad value 0x{found:02X} at octet {offset}: expected {expected}")]
    BadValue {
        offset: usize,
        expected: &'static str,
        found: u8,
    },
    /// TP-MTI is 0b11, reserved in both directions.
    #[error("reserved TP-MTI 0b11 in first octet 0x{first_octet:02X} at octet {offset}")]
    ReservedMti { offset: usize, first_octet: u8 },
    /// The caller insisted on one message type and the TP-MTI says another.
    #[error("TP-MTI at octet {offset} says {found:?}, expected {expected:?}")]
    UnexpectedType {
        offset: usize,
        expected: PduKind,
        found: PduKind,
    },
    /// Valid per the specification but not implemented (compressed user data, TS 23.042).
    #[error("unsupported at octet {offset}: {what}")]
    Unsupported { offset: usize, what: &'static str },
}

impl PduError {
    /// Octet offset of the problem (character index for [`PduError::BadHex`]).
    pub fn offset(&self) -> usize {
        match *self {
            PduError::BadHex { index, .. } => index,
            PduError::Truncated { offset, .. }
            | PduError::BadLength { offset, .. }
            | PduError::BadValue { offset, .. }
            | PduError::ReservedMti { offset, .. }
            | PduError::UnexpectedType { offset, .. }
            | PduError::Unsupported { offset, .. } => offset,
        }
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The address is empty, too long (> 20 digits) or holds characters other than
    /// digits, `*`, `#` and a leading `+`.
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    /// The text needs more than 255 parts.
    #[error("message needs {0} parts, more than 255")]
    TooManyParts(usize),
    /// GSM 7-bit coding was forced but the text has a character outside the default
    /// alphabet and its extension table.
    #[error("character {0:?} is not in the GSM 7-bit alphabet")]
    NotGsm7(char),
    /// A single-part encoding (SMS-DELIVER) was asked for a text that does not fit.
    #[error("text needs {0} parts, only a single part can be encoded here")]
    TooLong(usize),
}
