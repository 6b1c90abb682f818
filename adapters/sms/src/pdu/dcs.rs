//! TP-DCS (TS 23.038 §4): which alphabet the user data uses, its message class, and the
//! message-waiting groups. Every value decodes: reserved groups are read as GSM 7-bit, as
//! the specification asks, because operators do send them (0x19, 0xF0, 0xC8 seen live).

/// How the user data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// GSM 7-bit default alphabet, packed septets; UDL counts septets.
    Gsm7,
    /// 8-bit data (WAP push, vCards, ports); UDL counts octets; no text.
    Data8,
    /// UCS2, read as UTF-16BE; UDL counts octets.
    Ucs2,
}

/// Message-waiting indication carried in the DCS (groups 1100–1110).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcsWaiting {
    /// Indication set (true) or cleared.
    pub active: bool,
    /// 0 voicemail, 1 fax, 2 e-mail, 3 other.
    pub kind: u8,
    /// False for the "discard message" group 1100.
    pub store: bool,
}

/// A decoded data coding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dcs {
    pub raw: u8,
    pub alphabet: Alphabet,
    /// Message class 0–3 when the DCS gives one (class 0 = flash SMS).
    pub class: Option<u8>,
    /// Compressed user data (TS 23.042), which this codec does not decompress.
    pub compressed: bool,
    pub waiting: Option<DcsWaiting>,
}

impl Dcs {
    pub fn decode(raw: u8) -> Dcs {
        let mut d = Dcs {
            raw,
            alphabet: Alphabet::Gsm7,
            class: None,
            compressed: false,
            waiting: None,
        };
        match raw >> 4 {
            // General data coding (00xx) and automatic deletion (01xx) groups.
            0x0..=0x7 => {
                d.compressed = raw & 0x20 != 0;
                d.alphabet = match (raw >> 2) & 3 {
                    1 => Alphabet::Data8,
                    2 => Alphabet::Ucs2,
                    _ => Alphabet::Gsm7,
                };
                if raw & 0x10 != 0 {
                    d.class = Some(raw & 3);
                }
            }
            // Reserved groups 1000..1011: assume GSM 7-bit.
            0x8..=0xB => {}
            0xC..=0xE => {
                d.waiting = Some(DcsWaiting {
                    active: raw & 8 != 0,
                    kind: raw & 3,
                    store: raw >> 4 != 0xC,
                });
                if raw >> 4 == 0xE {
                    d.alphabet = Alphabet::Ucs2;
                }
            }
            _ => {
                d.alphabet = if raw & 4 != 0 {
                    Alphabet::Data8
                } else {
                    Alphabet::Gsm7
                };
                d.class = Some(raw & 3);
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_values_decode() {
        assert_eq!(Dcs::decode(0x19).alphabet, Alphabet::Ucs2);
        assert_eq!(Dcs::decode(0x19).class, Some(1));
        assert_eq!(Dcs::decode(0xF0).class, Some(0));
        assert_eq!(Dcs::decode(0xF4).alphabet, Alphabet::Data8);
        let c8 = Dcs::decode(0xC8);
        assert_eq!(
            (
                c8.alphabet,
                c8.waiting.unwrap().active,
                c8.waiting.unwrap().store
            ),
            (Alphabet::Gsm7, true, false)
        );
        assert!(Dcs::decode(0x39).compressed);
        assert_eq!(Dcs::decode(0x84).alphabet, Alphabet::Gsm7);
    }
}
