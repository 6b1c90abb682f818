//! The PDU codec (3GPP TS 23.040 / 23.038). [`decode`] turns a PDU line from the modem,
//! with or without the SMSC field of the AT framing, into a [`Pdu`] whose type the TP-MTI
//! decides: SMS-DELIVER (a citizen's message), SMS-SUBMIT (one of ours read back from
//! storage) or SMS-STATUS-REPORT. [`encode_submit`] builds the parts of a reply for
//! `AT+CMGS`, and [`assemble`] joins the parts of a concatenated message. Every input is
//! decoded without panicking: bad input is a [`PduError`] naming the octet. [`describe`]
//! and [`encode_plan`] show PDUs as JSON for operators.

mod address;
mod concat;
mod dcs;
mod deliver;
mod encode;
mod error;
mod gsm7;
mod json;
mod reader;
mod scts;
mod status;
mod submit;
mod ucs2;
mod udh;
mod userdata;

pub use address::{Address, TypeOfNumber};
pub use concat::{assemble, AssembleError};
pub use dcs::{Alphabet, Dcs, DcsWaiting};
pub use deliver::Deliver;
pub use encode::{
    encode_deliver, encode_submit, encode_submit_data, segments, Coding, DeliverOptions,
    EncodedPart, SubmitOptions,
};
pub use error::{EncodeError, PduError};
pub use gsm7::gsm7_septets;
pub use json::{describe, describe_error, encode_plan};
pub use reader::{clean_pdu_line, parse_hex, to_hex};
pub use scts::Scts;
pub use status::{DeliveryOutcome, StatusReport};
pub use submit::{Submit, Validity};
pub use udh::{Concat, Ie, Udh};
pub use userdata::UserData;

use reader::Reader;

/// Whether the PDU starts with the SMSC field, as in `AT+CMGR`/`+CMT` PDU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// First octet is the SMSC length (`00` = no SMSC), then the TPDU.
    WithSmsc,
    /// A bare TPDU.
    Tpdu,
}

/// The message types this codec reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    /// TP-MTI 00 (mobile terminated).
    Deliver,
    /// TP-MTI 01 (mobile originated; stored sent/unsent messages).
    Submit,
    /// TP-MTI 10 (mobile terminated).
    StatusReport,
}

/// How to choose the message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypeHint {
    /// Decide by TP-MTI: 00 DELIVER, 01 SUBMIT, 10 STATUS-REPORT, 11 is an error.
    #[default]
    ByMti,
    /// Decide by TP-MTI and fail with [`PduError::UnexpectedType`] unless it is this kind
    /// (e.g. `+CDS` must carry a status report).
    Expect(PduKind),
    /// Decode as this kind whatever TP-MTI says (except the reserved 11): for modems that
    /// store messages with a wrong MTI. Use sparingly.
    Force(PduKind),
}

/// PDU input: hex text as the modem prints it, or raw octets.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Hex(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Input<'a> {
    fn from(s: &'a str) -> Self {
        Input::Hex(s)
    }
}

impl<'a> From<&'a String> for Input<'a> {
    fn from(s: &'a String) -> Self {
        Input::Hex(s)
    }
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(b: &'a [u8]) -> Self {
        Input::Bytes(b)
    }
}

impl<'a> From<&'a Vec<u8>> for Input<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Input::Bytes(b)
    }
}

/// A decoded PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Deliver(Deliver),
    Submit(Submit),
    StatusReport(StatusReport),
}

impl Pdu {
    pub fn kind(&self) -> PduKind {
        match self {
            Pdu::Deliver(_) => PduKind::Deliver,
            Pdu::Submit(_) => PduKind::Submit,
            Pdu::StatusReport(_) => PduKind::StatusReport,
        }
    }

    pub fn smsc(&self) -> Option<&Address> {
        match self {
            Pdu::Deliver(d) => d.smsc.as_ref(),
            Pdu::Submit(s) => s.smsc.as_ref(),
            Pdu::StatusReport(s) => s.smsc.as_ref(),
        }
    }

    /// The other party: sender of a DELIVER, recipient of a SUBMIT or STATUS-REPORT.
    pub fn address(&self) -> &Address {
        match self {
            Pdu::Deliver(d) => &d.sender,
            Pdu::Submit(s) => &s.recipient,
            Pdu::StatusReport(s) => &s.recipient,
        }
    }

    pub fn user_data(&self) -> Option<&UserData> {
        match self {
            Pdu::Deliver(d) => Some(&d.user_data),
            Pdu::Submit(s) => Some(&s.user_data),
            Pdu::StatusReport(s) => s.user_data.as_ref(),
        }
    }

    /// Decoded text, `None` for 8-bit data and plain status reports.
    pub fn text(&self) -> Option<&str> {
        self.user_data().and_then(|u| u.text.as_deref())
    }

    /// Concatenation info, when the message is one part of several.
    pub fn concat(&self) -> Option<Concat> {
        self.user_data()
            .and_then(|u| u.udh.as_ref())
            .and_then(Udh::concat)
    }

    pub fn tpdu_len(&self) -> usize {
        match self {
            Pdu::Deliver(d) => d.tpdu_len,
            Pdu::Submit(s) => s.tpdu_len,
            Pdu::StatusReport(s) => s.tpdu_len,
        }
    }
}

/// Decodes one PDU. See [`Framing`] and [`TypeHint`].
pub fn decode<'a>(
    input: impl Into<Input<'a>>,
    framing: Framing,
    hint: TypeHint,
) -> Result<Pdu, PduError> {
    match input.into() {
        Input::Hex(h) => decode_bytes(&parse_hex(h)?, framing, hint),
        Input::Bytes(b) => decode_bytes(b, framing, hint),
    }
}

fn decode_bytes(bytes: &[u8], framing: Framing, hint: TypeHint) -> Result<Pdu, PduError> {
    let mut r = Reader::new(bytes, 0);
    let smsc = match framing {
        Framing::WithSmsc => address::read_smsc(&mut r)?,
        Framing::Tpdu => None,
    };
    let tpdu_len = r.remaining();
    let at = r.offset();
    let first = bytes.get(at).copied().ok_or(PduError::Truncated {
        offset: at,
        expected: "first octet of the TPDU",
    })?;
    let by_mti = match first & 3 {
        0 => PduKind::Deliver,
        1 => PduKind::Submit,
        2 => PduKind::StatusReport,
        _ => {
            return Err(PduError::ReservedMti {
                offset: at,
                first_octet: first,
            })
        }
    };
    let kind = match hint {
        TypeHint::ByMti => by_mti,
        TypeHint::Expect(k) if k == by_mti => k,
        TypeHint::Expect(k) => {
            return Err(PduError::UnexpectedType {
                offset: at,
                expected: k,
                found: by_mti,
            })
        }
        TypeHint::Force(k) => k,
    };
    Ok(match kind {
        PduKind::Deliver => Pdu::Deliver(deliver::read(&mut r, smsc, tpdu_len)?),
        PduKind::Submit => Pdu::Submit(submit::read(&mut r, smsc, tpdu_len)?),
        PduKind::StatusReport => Pdu::StatusReport(status::read(&mut r, smsc, tpdu_len)?),
    })
}

#[cfg(test)]
mod tests;
