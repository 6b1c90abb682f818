//! SMS-DELIVER (TS 23.040 §9.2.2.1): a message from a citizen's phone to the modem.

use super::address::{read_tp_address, Address};
use super::dcs::Dcs;
use super::reader::Reader;
use super::scts::Scts;
use super::userdata::{read_user_data, UserData};
use super::PduError;

/// A decoded SMS-DELIVER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    pub smsc: Option<Address>,
    /// First octet as sent (TP-MTI, TP-MMS, TP-SRI, TP-UDHI, TP-RP).
    pub first_octet: u8,
    pub sender: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub scts: Scts,
    pub user_data: UserData,
    /// Octets after the SMSC field, the `<length>` a modem reports in `+CMGR`.
    pub tpdu_len: usize,
}

impl Deliver {
    /// TP-MMS clear: the SMSC has more messages waiting for this phone.
    pub fn more_messages_waiting(&self) -> bool {
        self.first_octet & 0x04 == 0
    }

    /// TP-SRI: the sender asked for a status report.
    pub fn status_report_indicated(&self) -> bool {
        self.first_octet & 0x20 != 0
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    smsc: Option<Address>,
    tpdu_len: usize,
) -> Result<Deliver, PduError> {
    let first_octet = r.u8("first octet")?;
    let sender = read_tp_address(r)?;
    let pid = r.u8("TP-PID")?;
    let dcs = Dcs::decode(r.u8("TP-DCS")?);
    let scts = Scts::read(r, "TP-SCTS")?;
    let user_data = read_user_data(r, &dcs, first_octet & 0x40 != 0)?;
    Ok(Deliver {
        smsc,
        first_octet,
        sender,
        pid,
        dcs,
        scts,
        user_data,
        tpdu_len,
    })
}
