//! A cursor over PDU octets that knows its absolute offset, so every error names the
//! octet where decoding stopped. Also the strict hex parser for modem lines.

use super::PduError;

/// Reads octets front to back; `base` is the absolute offset of `buf[0]` in the input.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next octet.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn u8(&mut self, expected: &'static str) -> Result<u8, PduError> {
        let b = *self.buf.get(self.pos).ok_or(PduError::Truncated {
            offset: self.offset(),
            expected,
        })?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn take(&mut self, n: usize, expected: &'static str) -> Result<&'a [u8], PduError> {
        if self.remaining() < n {
            return Err(PduError::Truncated {
                offset: self.offset(),
                expected,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Everything left, consuming it.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
}

/// Parses hex strictly: upper or lower case, surrounding whitespace trimmed, nothing else.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, PduError> {
    let lead = text.len() - text.trim_start().len();
    let t = text.trim().as_bytes();
    let mut out = Vec::with_capacity(t.len() / 2);
    let nib = |i: usize| -> Result<u8, PduError> {
        let c = t[i];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(PduError::BadHex {
                index: lead + i,
                reason: "not a hex digit",
            }),
        }
    };
    for i in (0..t.len()).step_by(2) {
        if i + 1 >= t.len() {
            nib(i)?;
            return Err(PduError::BadHex {
                index: lead + i,
                reason: "odd number of hex digits",
            });
        }
        out.push(nib(i)? << 4 | nib(i + 1)?);
    }
    Ok(out)
}

/// Upper-case hex, as modems expect after `AT+CMGS`.
pub fn to_hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Strips the junk some modems leave around a PDU line (surrounding whitespace, a trailing
/// `"` or `,0`) so the result can go to [`parse_hex`]. Header lines are not handled here.
pub fn clean_pdu_line(line: &str) -> &str {
    let mut s = line.trim();
    loop {
        let before = s.len();
        s = s.trim_end_matches('"').trim_end();
        if let Some(x) = s.strip_suffix(",0") {
            s = x.trim_end();
        }
        if s.len() == before {
            return s;
        }
    }
}
