//! TP-UDL + TP-UD: splits off the user data header and decodes the rest by alphabet.
//!
//! Length policy, chosen from the real captures in the shared test vectors: UCS2 and 8-bit
//! data shorter than TP-UDL announces is returned as far as it goes with `truncated` set
//! (modems do deliver such messages and the citizen's words are in them). GSM 7-bit data
//! that is short is an error when there is no UDH (ModemManager and warthog618 reject it:
//! a short septet stream usually means a mis-parsed PDU), but tolerated the same way when
//! a UDH is present, where machine senders miscount TP-UDL (Gammu capture 41.dump).
//! Octets beyond TP-UDL (padding to the SIM record size) are ignored.

use super::dcs::{Alphabet, Dcs};
use super::gsm7::{self, ShiftTable};
use super::reader::Reader;
use super::udh::Udh;
use super::{ucs2, PduError};

/// Decoded user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    /// TP-UDL as sent: septets for GSM 7-bit, octets otherwise.
    pub udl: u8,
    pub udh: Option<Udh>,
    /// The text; `None` for 8-bit data.
    pub text: Option<String>,
    /// The octets after the header (UDHL + UDH): 8-bit data, UTF-16BE, or packed septets.
    pub payload: Vec<u8>,
    /// User data octets read, header included.
    pub octets: usize,
    /// Fewer octets were present than TP-UDL announced (see the module notes).
    pub truncated: bool,
}

pub(crate) fn read_user_data(
    r: &mut Reader<'_>,
    dcs: &Dcs,
    udhi: bool,
) -> Result<UserData, PduError> {
    let udl = r.u8("TP-UDL")?;
    let start = r.offset();
    let avail = r.rest();
    if udl == 0 {
        let text = (dcs.alphabet != Alphabet::Data8).then(String::new);
        return Ok(UserData {
            udl,
            udh: None,
            text,
            payload: Vec::new(),
            octets: 0,
            truncated: false,
        });
    }
    if dcs.compressed {
        return Err(PduError::Unsupported {
            offset: start,
            what: "compressed user data (TS 23.042)",
        });
    }
    let (ud, truncated) = match dcs.alphabet {
        Alphabet::Gsm7 => {
            let need = (udl as usize * 7).div_ceil(8);
            if avail.len() >= need {
                (&avail[..need], false)
            } else if udhi && !avail.is_empty() {
                (avail, true)
            } else {
                return Err(PduError::Truncated {
                    offset: start + avail.len(),
                    expected: "as many septets as TP-UDL announces",
                });
            }
        }
        _ => {
            let n = (udl as usize).min(avail.len());
            (&avail[..n], n < udl as usize)
        }
    };
    let (udh, hdr) = if udhi && !ud.is_empty() {
        let hdr = ud[0] as usize + 1;
        if hdr > ud.len() {
            return Err(PduError::BadLength {
                offset: start,
                expected: "a UDH length within the user data",
            });
        }
        (Some(Udh::parse(&ud[1..hdr])), hdr)
    } else {
        (None, 0)
    };
    let payload = ud[hdr..].to_vec();
    let text = match dcs.alphabet {
        Alphabet::Gsm7 => {
            let skip = (hdr * 8).div_ceil(7);
            if skip > udl as usize {
                return Err(PduError::BadLength {
                    offset: start,
                    expected: "TP-UDL covering the UDH",
                });
            }
            let present = (udl as usize).min(ud.len() * 8 / 7);
            let septets = gsm7::unpack(ud, skip, present.saturating_sub(skip));
            let table = match udh.as_ref().and_then(Udh::single_shift) {
                Some(1) => ShiftTable::Turkish,
                _ => ShiftTable::Default,
            };
            Some(gsm7::septets_to_string(&septets, table))
        }
        Alphabet::Ucs2 => Some(ucs2::decode(&payload)),
        Alphabet::Data8 => None,
    };
    Ok(UserData {
        udl,
        udh,
        text,
        payload,
        octets: ud.len(),
        truncated,
    })
}
