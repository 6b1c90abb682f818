//! Addresses (TS 23.040 §9.1.2.5): the SMSC field of the AT framing (length in octets)
//! and TP-OA/TP-DA/TP-RA (length in semi-octets), as "+62…" for international numbers,
//! bare digits otherwise, or decoded GSM 7-bit text for alphanumeric senders ("Telkomsel").

use super::gsm7::{self, ShiftTable};
use super::reader::Reader;
use super::{EncodeError, PduError};

/// Type of number, bits 6..4 of the type-of-address octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeOfNumber {
    Unknown,
    International,
    National,
    NetworkSpecific,
    Subscriber,
    Alphanumeric,
    Abbreviated,
    Reserved,
}

impl TypeOfNumber {
    fn from_toa(toa: u8) -> Self {
        match (toa >> 4) & 7 {
            0 => Self::Unknown,
            1 => Self::International,
            2 => Self::National,
            3 => Self::NetworkSpecific,
            4 => Self::Subscriber,
            5 => Self::Alphanumeric,
            6 => Self::Abbreviated,
            _ => Self::Reserved,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::International => 1,
            Self::National => 2,
            Self::NetworkSpecific => 3,
            Self::Subscriber => 4,
            Self::Alphanumeric => 5,
            Self::Abbreviated => 6,
            Self::Reserved => 7,
        }
    }
}

/// A decoded address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Type of number, so callers can tell "+6281…" from an operator name.
    pub ton: TypeOfNumber,
    /// The raw type-of-address octet (numbering plan in the low nibble).
    pub toa: u8,
    /// "+" and digits for international numbers, digits (and `*#abc`) otherwise, text for
    /// alphanumeric addresses.
    pub value: String,
}

impl Address {
    /// Digits without a leading "+".
    pub fn digits(&self) -> &str {
        self.value.strip_prefix('+').unwrap_or(&self.value)
    }

    /// Whether this address and `other` name the same subscriber, as oFono matches status
    /// reports: equal digits, or one ends with the other and the shorter has 7+ digits
    /// (national "9911630" vs "+4915259911630").
    pub fn matches(&self, other: &str) -> bool {
        let a = self.digits();
        let b = other.strip_prefix('+').unwrap_or(other);
        if a == b {
            return !a.is_empty();
        }
        let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
        short.len() >= 7 && long.ends_with(short)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

const BCD: &[u8; 16] = b"0123456789*#abc\0";

fn bcd_digits(bytes: &[u8], count: usize) -> String {
    let mut s = String::with_capacity(count);
    for i in 0..count {
        let b = bytes.get(i / 2).copied().unwrap_or(0xFF);
        let n = if i % 2 == 0 { b & 15 } else { b >> 4 };
        if n != 15 {
            s.push(BCD[n as usize] as char);
        }
    }
    s
}

fn value_of(toa: u8, body: &[u8], semi_octets: usize) -> String {
    let ton = TypeOfNumber::from_toa(toa);
    match ton {
        TypeOfNumber::Alphanumeric => {
            let septets = gsm7::unpack(body, 0, semi_octets * 4 / 7);
            gsm7::septets_to_string(&septets, ShiftTable::Default)
        }
        TypeOfNumber::International => {
            let d = bcd_digits(body, semi_octets);
            if d.is_empty() {
                d
            } else {
                format!("+{d}")
            }
        }
        _ => bcd_digits(body, semi_octets),
    }
}

/// Reads TP-OA / TP-DA / TP-RA: length in semi-octets, type of address, body.
pub(crate) fn read_tp_address(r: &mut Reader<'_>) -> Result<Address, PduError> {
    let len_at = r.offset();
    let semi = r.u8("address length")? as usize;
    if semi > 20 {
        return Err(PduError::BadLength {
            offset: len_at,
            expected: "at most 20 address digits",
        });
    }
    let toa = r.u8("type of address")?;
    let body = r.take(semi.div_ceil(2), "address digits")?;
    Ok(Address {
        ton: TypeOfNumber::from_toa(toa),
        toa,
        value: value_of(toa, body, semi),
    })
}

/// Reads the SMSC field of the AT framing: length in octets (type octet included); 0 = none.
pub(crate) fn read_smsc(r: &mut Reader<'_>) -> Result<Option<Address>, PduError> {
    let len_at = r.offset();
    let octets = r.u8("SMSC length")? as usize;
    if octets == 0 {
        return Ok(None);
    }
    if octets > 11 {
        return Err(PduError::BadLength {
            offset: len_at,
            expected: "SMSC length of at most 11 octets",
        });
    }
    let toa = r.u8("SMSC type of address")?;
    let body = r.take(octets - 1, "SMSC digits")?;
    Ok(Some(Address {
        ton: TypeOfNumber::from_toa(toa),
        toa,
        value: value_of(toa, body, body.len() * 2),
    }))
}

/// Splits "+62…" / "0812…" into (type-of-address octet, BCD body, digit count).
/// Numbers without "+" get `plain_ton` (Unknown 0x81 by default, National 0xA1 if asked).
fn encode_number(
    number: &str,
    plain_ton: TypeOfNumber,
) -> Result<(u8, Vec<u8>, usize), EncodeError> {
    let bad = || EncodeError::InvalidAddress(number.to_string());
    let (ton, digits) = match number.strip_prefix('+') {
        Some(d) => (TypeOfNumber::International, d),
        None => (plain_ton, number),
    };
    if digits.is_empty() || digits.len() > 20 {
        return Err(bad());
    }
    let mut nibbles = Vec::with_capacity(digits.len() + 1);
    for c in digits.bytes() {
        let n = BCD[..15]
            .iter()
            .position(|&d| d == c.to_ascii_lowercase())
            .ok_or_else(bad)?;
        nibbles.push(n as u8);
    }
    let count = nibbles.len();
    if count % 2 == 1 {
        nibbles.push(15);
    }
    let body = nibbles.chunks(2).map(|p| p[0] | p[1] << 4).collect();
    Ok((0x81 | ton.bits() << 4, body, count))
}

/// Writes TP-DA / TP-OA.
pub(crate) fn write_tp_address(
    out: &mut Vec<u8>,
    number: &str,
    plain_ton: TypeOfNumber,
) -> Result<(), EncodeError> {
    let (toa, body, count) = encode_number(number, plain_ton)?;
    out.push(count as u8);
    out.push(toa);
    out.extend_from_slice(&body);
    Ok(())
}

/// Writes the SMSC field of the AT framing ("00" when none).
pub(crate) fn write_smsc(
    out: &mut Vec<u8>,
    smsc: Option<&str>,
    plain_ton: TypeOfNumber,
) -> Result<(), EncodeError> {
    match smsc {
        None => out.push(0),
        Some(n) => {
            let (toa, body, _) = encode_number(n, plain_ton)?;
            if body.len() > 10 {
                return Err(EncodeError::InvalidAddress(n.to_string()));
            }
            out.push(body.len() as u8 + 1);
            out.push(toa);
            out.extend_from_slice(&body);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(hex: &str) -> Address {
        let b = super::super::parse_hex(hex).unwrap();
        read_tp_address(&mut Reader::new(&b, 0)).unwrap()
    }

    #[test]
    fn international_national_alphanumeric() {
        assert_eq!(read("0B917228214365F7").value, "+27821234567");
        assert_eq!(read("0B818100551512F2").value, "18005551212");
        assert_eq!(read("0DD0CDF2396C7EBB01").value, "Megafon");
        assert_eq!(read("09E1BADCBE5AF1").value, "*#abc#*51");
        assert_eq!(
            read("10D0D432DBFC96D3D9E3E9B0").ton,
            TypeOfNumber::Alphanumeric
        );
    }

    #[test]
    fn encode_number_pads_with_f() {
        let mut out = Vec::new();
        write_tp_address(&mut out, "+6281234567890", TypeOfNumber::Unknown).unwrap();
        assert_eq!(super::super::to_hex(&out), "0D91261832547698F0");
        assert!(write_tp_address(&mut Vec::new(), "+62-812", TypeOfNumber::Unknown).is_err());
    }

    #[test]
    fn matching_national_and_international() {
        assert!(read("0D91945152991136F0").matches("9911630"));
        assert!(!read("0D91945152991136F0").matches("911630"));
    }
}
