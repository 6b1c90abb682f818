//! The GSM 7-bit default alphabet and its extension table (TS 23.038 §6.2.1), septet
//! packing with an arbitrary start (for the fill bits after a UDH), and the Turkish
//! single-shift table selected by the national-language IE 0x24 (TS 23.038 A.2.1).

/// The 128 characters of the default alphabet; 0x1B is the escape to the extension table.
const DEFAULT: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

pub(crate) const ESC: u8 = 0x1B;

/// Default extension table: (septet after ESC, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Turkish single-shift table (IEI 0x24, value 1): the default extension plus these.
const TURKISH_SINGLE: [(u8, char); 8] = [
    (0x47, 'Ğ'),
    (0x49, 'İ'),
    (0x53, 'Ş'),
    (0x63, 'ç'),
    (0x67, 'ğ'),
    (0x69, 'ı'),
    (0x73, 'ş'),
    (0x65, '€'),
];

/// Which table the escape septet selects, from the UDH national-language IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShiftTable {
    /// The default extension table.
    #[default]
    Default,
    /// Turkish single shift (national language identifier 1).
    Turkish,
}

fn lookup_ext(s: u8, table: ShiftTable) -> Option<char> {
    if table == ShiftTable::Turkish {
        if let Some(&(_, c)) = TURKISH_SINGLE.iter().find(|(k, _)| *k == s) {
            return Some(c);
        }
    }
    EXTENSION.iter().find(|(k, _)| *k == s).map(|&(_, c)| c)
}

/// The default table reversed for code points below 0x80, most of any text: septet + 1,
/// 0 when the character is not in the default table (`[`, `` ` ``, the escape itself).
/// Replies are scanned several times while split into parts, so this keeps encoding from
/// searching the 128-entry table per character.
const ASCII_SEPTET: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = DEFAULT[i] as u32;
        if c < 128 && i != ESC as usize {
            t[c as usize] = i as u8 + 1;
        }
        i += 1;
    }
    t
};

/// Septets for one character: `Some([s])`, `Some([ESC, s])` or `None` if not encodable.
pub(crate) fn encode_char(c: char) -> Option<(u8, Option<u8>)> {
    if let Some(&s) = ASCII_SEPTET.get(c as usize) {
        if s != 0 {
            return Some((s - 1, None));
        }
    }
    if c != '\u{1B}' {
        if let Some(i) = DEFAULT.iter().position(|&d| d == c) {
            return Some((i as u8, None));
        }
    }
    EXTENSION
        .iter()
        .find(|(_, d)| *d == c)
        .map(|&(k, _)| (ESC, Some(k)))
}

/// Septet cost of one character (1, 2) or `None` when it is not GSM 7-bit.
pub(crate) fn char_cost(c: char) -> Option<usize> {
    encode_char(c).map(|(_, ext)| if ext.is_some() { 2 } else { 1 })
}

/// Septets needed for `text` in GSM 7-bit (extension characters count 2), or `None`
/// if some character is not in the default alphabet or its extension table.
pub fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().map(char_cost).sum()
}

/// Converts text to septets; `None` if a character is not encodable.
pub(crate) fn to_septets(text: &str) -> Result<Vec<u8>, char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let (s, ext) = encode_char(c).ok_or(c)?;
        out.push(s);
        if let Some(e) = ext {
            out.push(e);
        }
    }
    Ok(out)
}

/// Decodes septets to text. An escape followed by a septet that the table does not
/// define is shown as a space followed by the plain character (what oFono does; TS 23.038
/// allows showing the default-table character), a trailing escape as a space.
pub fn septets_to_string(septets: &[u8], table: ShiftTable) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut i = 0;
    while i < septets.len() {
        let s = septets[i] & 0x7F;
        if s == ESC {
            match septets
                .get(i + 1)
                .and_then(|&n| lookup_ext(n & 0x7F, table))
            {
                Some(c) => {
                    out.push(c);
                    i += 2;
                }
                None => {
                    out.push(' ');
                    i += 1;
                }
            }
            continue;
        }
        out.push(DEFAULT[s as usize]);
        i += 1;
    }
    out
}

/// Reads `count` septets starting `skip` septets into `bytes` (septet `n` occupies bits
/// `7n..7n+7`, least significant bit first). Missing bits read as zero: callers check
/// the length first.
pub(crate) fn unpack(bytes: &[u8], skip: usize, count: usize) -> Vec<u8> {
    let bit = |i: usize| -> u16 { bytes.get(i).copied().unwrap_or(0) as u16 };
    (skip..skip + count)
        .map(|n| {
            let b = n * 7;
            let v = bit(b / 8) | bit(b / 8 + 1) << 8;
            ((v >> (b % 8)) & 0x7F) as u8
        })
        .collect()
}

/// Packs septets into `out`, starting at septet position `skip` (the positions before it
/// are a UDH and its fill bits, already in `out`). Grows `out` as needed.
pub(crate) fn pack_into(out: &mut Vec<u8>, skip: usize, septets: &[u8]) {
    let total_bits = (skip + septets.len()) * 7;
    out.resize(total_bits.div_ceil(8).max(out.len()), 0);
    for (i, &s) in septets.iter().enumerate() {
        let b = (skip + i) * 7;
        let v = ((s & 0x7F) as u16) << (b % 8);
        out[b / 8] |= v as u8;
        if v > 0xFF {
            out[b / 8 + 1] |= (v >> 8) as u8;
        }
    }
}

/// Packs septets from bit 0.
#[cfg(test)]
pub(crate) fn pack(septets: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pack_into(&mut out, 0, septets);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellohello_packs_to_the_classic_octets() {
        let s = to_septets("hellohello").unwrap();
        assert_eq!(super::super::to_hex(&pack(&s)), "E8329BFD4697D9EC37");
        let back = unpack(&pack(&s), 0, 10);
        assert_eq!(septets_to_string(&back, ShiftTable::Default), "hellohello");
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(gsm7_septets("€[]{}^~\\|\u{0C}"), Some(20));
        assert_eq!(gsm7_septets("Halo"), Some(4));
        assert_eq!(gsm7_septets("😃"), None);
        assert_eq!(gsm7_septets("\u{1B}"), None);
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_tables() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            let slow = DEFAULT
                .iter()
                .position(|&d| d == c && c != '\u{1B}')
                .map(|i| (i as u8, None))
                .or_else(|| {
                    EXTENSION
                        .iter()
                        .find(|(_, d)| *d == c)
                        .map(|&(k, _)| (ESC, Some(k)))
                });
            assert_eq!(encode_char(c), slow, "{c:?}");
        }
    }

    #[test]
    fn round_trip_the_whole_alphabet() {
        let all: String = DEFAULT
            .iter()
            .filter(|&&c| c != '\u{1B}')
            .collect::<String>()
            + "€{}";
        let s = to_septets(&all).unwrap();
        let packed = pack(&s);
        let back = unpack(&packed, 0, s.len());
        assert_eq!(septets_to_string(&back, ShiftTable::Default), all);
    }

    #[test]
    fn unknown_escape_shows_space_then_character() {
        assert_eq!(
            septets_to_string(&[0x1B, 0x41, 0x1B], ShiftTable::Default),
            " A "
        );
        assert_eq!(septets_to_string(&[0x1B, 0x69], ShiftTable::Turkish), "ı");
    }
}
