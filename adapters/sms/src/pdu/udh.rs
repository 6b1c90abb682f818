//! The user data header (TS 23.040 §9.2.3.24): a list of information elements. The ones
//! the daemon acts on are parsed (concatenation with 8- and 16-bit references, ports,
//! national-language shift, special SMS indication); all are kept raw as well.

/// One information element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ie {
    pub iei: u8,
    pub data: Vec<u8>,
}

/// Concatenation info from IEI 0x00 (8-bit reference) or 0x08 (16-bit reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
    /// 8 or 16.
    pub ref_bits: u8,
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Udh {
    pub ies: Vec<Ie>,
    /// Octets after the last complete IE when an IE claims more than the header holds
    /// (seen in real captures); kept rather than failing the message.
    pub malformed_tail: Vec<u8>,
}

impl Udh {
    /// Parses the IEs of a header body (without the UDHL octet). Never fails.
    pub fn parse(body: &[u8]) -> Udh {
        let mut udh = Udh::default();
        let mut i = 0;
        while i < body.len() {
            let Some(&len) = body.get(i + 1) else { break };
            let end = i + 2 + len as usize;
            if end > body.len() {
                break;
            }
            udh.ies.push(Ie {
                iei: body[i],
                data: body[i + 2..end].to_vec(),
            });
            i = end;
        }
        udh.malformed_tail = body[i.min(body.len())..].to_vec();
        udh
    }

    /// The header as transmitted (without UDHL).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for ie in &self.ies {
            out.push(ie.iei);
            out.push(ie.data.len() as u8);
            out.extend_from_slice(&ie.data);
        }
        out.extend_from_slice(&self.malformed_tail);
        out
    }

    /// The first well-formed concatenation IE.
    pub fn concat(&self) -> Option<Concat> {
        self.ies
            .iter()
            .find_map(|ie| match (ie.iei, ie.data.as_slice()) {
                (0x00, &[r, t, s]) => Some(Concat {
                    reference: r as u16,
                    total: t,
                    seq: s,
                    ref_bits: 8,
                }),
                (0x08, &[hi, lo, t, s]) => Some(Concat {
                    reference: u16::from_be_bytes([hi, lo]),
                    total: t,
                    seq: s,
                    ref_bits: 16,
                }),
                _ => None,
            })
    }

    /// Application ports (destination, source) from IEI 0x05 (16-bit) or 0x04 (8-bit).
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.ies
            .iter()
            .find_map(|ie| match (ie.iei, ie.data.as_slice()) {
                (0x05, &[a, b, c, d]) => {
                    Some((u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])))
                }
                (0x04, &[a, b]) => Some((a as u16, b as u16)),
                _ => None,
            })
    }

    /// National language single-shift identifier (IEI 0x24), if any.
    pub fn single_shift(&self) -> Option<u8> {
        self.ies
            .iter()
            .find(|ie| ie.iei == 0x24 && ie.data.len() == 1)
            .map(|ie| ie.data[0])
    }

    /// Special SMS message indication (IEI 0x01): (indication type octet, message count).
    pub fn special_indication(&self) -> Option<(u8, u8)> {
        self.ies
            .iter()
            .find_map(|ie| match (ie.iei, ie.data.as_slice()) {
                (0x01, &[t, n]) => Some((t, n)),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_8_and_16_bit_and_ports() {
        let u = Udh::parse(&[0x00, 0x03, 0xC3, 0x01, 0x01]);
        assert_eq!(
            u.concat(),
            Some(Concat {
                reference: 0xC3,
                total: 1,
                seq: 1,
                ref_bits: 8
            })
        );
        let u = Udh::parse(&[0x08, 0x04, 0x12, 0x34, 0x02, 0x01]);
        assert_eq!(u.concat().unwrap().reference, 0x1234);
        let u = Udh::parse(&[
            0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x01,
        ]);
        assert_eq!(u.ports(), Some((2948, 9200)));
        assert_eq!(u.concat().unwrap().seq, 1);
    }

    #[test]
    fn overrunning_ie_is_kept_not_fatal() {
        let u = Udh::parse(&[0x00, 0x03, 0x01, 0x02, 0x01, 0x12, 0x81, 0x00]);
        assert_eq!(u.ies.len(), 1);
        assert_eq!(u.malformed_tail, vec![0x12, 0x81, 0x00]);
        assert_eq!(u.to_bytes().len(), 8);
    }
}
