//! SMS-SUBMIT (TS 23.040 §9.2.2.2) as read back from modem storage (`+CMGL` stat 2/3),
//! with its validity period (relative, absolute or enhanced format).

use super::address::{read_tp_address, Address};
use super::dcs::Dcs;
use super::reader::Reader;
use super::scts::Scts;
use super::userdata::{read_user_data, UserData};
use super::PduError;

/// TP-VP, in the format TP-VPF selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Relative format, in minutes (5 min .. 63 weeks; rounded up to the next step when
    /// encoded).
    Relative { minutes: u32 },
    /// Absolute expiry time.
    Absolute(Scts),
    /// Enhanced format (TS 23.040 §9.2.3.12.3), kept raw.
    Enhanced([u8; 7]),
}

impl Validity {
    /// Minutes encoded by a relative TP-VP octet.
    pub fn relative_minutes(octet: u8) -> u32 {
        let v = octet as u32;
        match v {
            0..=143 => (v + 1) * 5,
            144..=167 => 720 + (v - 143) * 30,
            168..=196 => (v - 166) * 1440,
            _ => (v - 192) * 7 * 1440,
        }
    }

    /// The smallest relative TP-VP octet whose period is at least `minutes`.
    pub fn relative_octet(minutes: u32) -> u8 {
        (0..=255u8)
            .find(|&o| Self::relative_minutes(o) >= minutes)
            .unwrap_or(255)
    }

    /// TP-VPF bits (already shifted into place in the first octet).
    pub(crate) fn vpf_bits(&self) -> u8 {
        match self {
            Validity::Relative { .. } => 0x10,
            Validity::Absolute(_) => 0x18,
            Validity::Enhanced(_) => 0x08,
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Validity::Relative { minutes } => out.push(Self::relative_octet(*minutes)),
            Validity::Absolute(s) => out.extend_from_slice(&s.to_octets()),
            Validity::Enhanced(raw) => out.extend_from_slice(raw),
        }
    }
}

/// A decoded SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub smsc: Option<Address>,
    /// First octet as sent (TP-MTI, TP-RD, TP-VPF, TP-SRR, TP-UDHI, TP-RP).
    pub first_octet: u8,
    pub message_ref: u8,
    pub recipient: Address,
    pub pid: u8,
    pub dcs: Dcs,
    pub validity: Option<Validity>,
    pub user_data: UserData,
    /// Octets after the SMSC field: the number for `AT+CMGS=<n>`.
    pub tpdu_len: usize,
}

impl Submit {
    /// TP-SRR: a status report was requested.
    pub fn status_report_requested(&self) -> bool {
        self.first_octet & 0x20 != 0
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    smsc: Option<Address>,
    tpdu_len: usize,
) -> Result<Submit, PduError> {
    let first_octet = r.u8("first octet")?;
    let message_ref = r.u8("TP-MR")?;
    let recipient = read_tp_address(r)?;
    let pid = r.u8("TP-PID")?;
    let dcs = Dcs::decode(r.u8("TP-DCS")?);
    let validity = match (first_octet >> 3) & 3 {
        0 => None,
        2 => Some(Validity::Relative {
            minutes: Validity::relative_minutes(r.u8("TP-VP (relative)")?),
        }),
        3 => Some(Validity::Absolute(Scts::read(r, "TP-VP (absolute)")?)),
        _ => {
            let raw = r.take(7, "TP-VP (enhanced)")?;
            let mut a = [0u8; 7];
            a.copy_from_slice(raw);
            Some(Validity::Enhanced(a))
        }
    };
    let user_data = read_user_data(r, &dcs, first_octet & 0x40 != 0)?;
    Ok(Submit {
        smsc,
        first_octet,
        message_ref,
        recipient,
        pid,
        dcs,
        validity,
        user_data,
        tpdu_len,
    })
}

#[cfg(test)]
mod tests {
    use super::Validity;

    #[test]
    fn relative_validity_steps() {
        assert_eq!(Validity::relative_minutes(0x00), 5);
        assert_eq!(Validity::relative_minutes(0x45), 350);
        assert_eq!(Validity::relative_minutes(0xA7), 24 * 60);
        assert_eq!(Validity::relative_minutes(0xA9), 3 * 24 * 60);
        assert_eq!(Validity::relative_minutes(0xF4), 52 * 7 * 24 * 60);
        for o in 0..=255u8 {
            assert_eq!(Validity::relative_octet(Validity::relative_minutes(o)), o);
        }
    }
}
