//! UCS2 user data, read as UTF-16BE as every current handset writes it: emoji arrive as
//! surrogate pairs. Unpaired surrogates become U+FFFD; an odd trailing octet (a modem
//! that cut the message short) is padded with a zero low octet rather than dropped.

/// Decodes UTF-16BE, never failing.
pub fn decode(bytes: &[u8]) -> String {
    let units = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Encodes text as UTF-16BE.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogate_pairs_and_strays() {
        assert_eq!(decode(&[0xD8, 0x3D, 0xDE, 0x03, 0x00, 0x20]), "😃 ");
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
        assert_eq!(decode(&[0xDE, 0x03]), "\u{FFFD}");
        assert_eq!(decode(&[0x5C]), "\u{5C00}");
        assert_eq!(encode("😃"), vec![0xD8, 0x3D, 0xDE, 0x03]);
    }
}
