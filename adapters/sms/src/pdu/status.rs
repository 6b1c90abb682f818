//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): the network telling us whether a reply reached
//! the citizen, matched to the sent message by TP-MR and recipient.

use super::address::{read_tp_address, Address};
use super::dcs::Dcs;
use super::reader::Reader;
use super::scts::Scts;
use super::userdata::{read_user_data, UserData};
use super::PduError;

/// What TP-ST means for the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// 0x00–0x1F: the short message was delivered (or replaced / forwarded).
    Delivered,
    /// 0x20–0x3F: temporary error, the SMSC is still trying: wait for another report.
    Pending,
    /// 0x40–0x7F: permanent error, or a temporary one the SMSC gave up on; also
    /// reserved values 0x80–0xFF. The message will not arrive.
    Failed,
}

impl DeliveryOutcome {
    pub fn from_status(st: u8) -> Self {
        match st {
            0x00..=0x1F => Self::Delivered,
            0x20..=0x3F => Self::Pending,
            _ => Self::Failed,
        }
    }
}

/// A decoded SMS-STATUS-REPORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub smsc: Option<Address>,
    pub first_octet: u8,
    /// TP-MR of the SMS-SUBMIT this report is about.
    pub message_ref: u8,
    pub recipient: Address,
    /// When the SMSC received the original message.
    pub scts: Scts,
    /// TP-DT: when it was delivered, or when the SMSC last tried.
    pub discharge: Scts,
    /// TP-ST as sent.
    pub status: u8,
    /// TP-PI, when the optional tail is present.
    pub pi: Option<u8>,
    pub pid: Option<u8>,
    pub dcs: Option<Dcs>,
    pub user_data: Option<UserData>,
    /// Octets after the SMSC field.
    pub tpdu_len: usize,
}

impl StatusReport {
    pub fn outcome(&self) -> DeliveryOutcome {
        DeliveryOutcome::from_status(self.status)
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    smsc: Option<Address>,
    tpdu_len: usize,
) -> Result<StatusReport, PduError> {
    let first_octet = r.u8("first octet")?;
    let message_ref = r.u8("TP-MR")?;
    let recipient = read_tp_address(r)?;
    let scts = Scts::read(r, "TP-SCTS")?;
    let discharge = Scts::read(r, "TP-DT")?;
    let status = r.u8("TP-ST")?;
    let mut rep = StatusReport {
        smsc,
        first_octet,
        message_ref,
        recipient,
        scts,
        discharge,
        status,
        pi: None,
        pid: None,
        dcs: None,
        user_data: None,
        tpdu_len,
    };
    // The optional tail is best effort: modems pad stored reports with 0xFF, which reads
    // as a TP-PI with every bit set. A tail that does not parse is ignored.
    if r.remaining() > 0 {
        let _ = read_tail(r, &mut rep);
    }
    Ok(rep)
}

fn read_tail(r: &mut Reader<'_>, rep: &mut StatusReport) -> Result<(), PduError> {
    let pi = r.u8("TP-PI")?;
    rep.pi = Some(pi);
    if pi & 1 != 0 {
        rep.pid = Some(r.u8("TP-PID")?);
    }
    let dcs = if pi & 2 != 0 {
        Dcs::decode(r.u8("TP-DCS")?)
    } else {
        Dcs::decode(0)
    };
    if pi & 2 != 0 {
        rep.dcs = Some(dcs);
    }
    if pi & 4 != 0 {
        rep.user_data = Some(read_user_data(r, &dcs, rep.first_octet & 0x40 != 0)?);
    }
    Ok(())
}
