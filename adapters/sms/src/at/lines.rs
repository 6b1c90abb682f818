//! Byte framing: cuts the serial stream into lines and spots the `> ` prompt. Any CR or
//! LF ends a line, so `\r\n`, bare `\r`, bare `\n` and Huawei's `\r\r\n` all work, and
//! the empty lines they leave are dropped. Bytes are decoded lossily (never a panic on
//! non-UTF-8 noise) and control characters at both ends are trimmed (a `\x1A` after an
//! echoed PDU, NULs). A line longer than the cap is reported once as an overflow and
//! discarded up to the next line end, so the buffer never grows past the cap.

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Piece {
    /// A complete, trimmed, non-empty line.
    Line(String),
    /// The `> ` prompt (which has no line end).
    Prompt,
    /// A line exceeded the cap; its first bytes, for the log.
    Overflow { prefix: String },
}

/// How many bytes of an overflowing line are kept for the log.
const OVERFLOW_PREFIX: usize = 40;

#[derive(Debug)]
pub(super) struct Lines {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
}

impl Lines {
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            max: max.max(2),
            discarding: false,
        }
    }

    /// Bytes of the current, unfinished line.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Drops the unfinished line.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    /// Takes one byte. `bare_prompt` says a lone `>` is already the prompt (a command
    /// that prompts is pending); otherwise only `> ` is.
    pub fn feed(&mut self, byte: u8, bare_prompt: bool) -> Option<Piece> {
        if byte == b'\r' || byte == b'\n' {
            let was_discarding = std::mem::replace(&mut self.discarding, false);
            let raw = std::mem::take(&mut self.buf);
            if was_discarding {
                return None;
            }
            let text = String::from_utf8_lossy(&raw);
            let line = trim(&text);
            return match line {
                "" => None,
                ">" => Some(Piece::Prompt),
                _ => Some(Piece::Line(line.to_string())),
            };
        }
        if self.discarding || (self.buf.is_empty() && (byte <= b' ' || byte == 0x7F)) {
            // Leading blanks and control bytes are trimmed anyway; dropping them early
            // lets `\0> ` still be seen as the prompt.
            return None;
        }
        if self.buf.len() >= self.max {
            let cut = self.buf.len().min(OVERFLOW_PREFIX);
            let prefix = String::from_utf8_lossy(&self.buf[..cut]).into_owned();
            self.buf.clear();
            self.discarding = true;
            return Some(Piece::Overflow { prefix });
        }
        self.buf.push(byte);
        let prompt = match self.buf.as_slice() {
            b"> " => true,
            b">" => bare_prompt,
            _ => false,
        };
        if prompt {
            self.buf.clear();
            return Some(Piece::Prompt);
        }
        None
    }
}

/// Trims whitespace and control characters (including U+FFFD from lossy decoding of a
/// lone noise byte) at both ends.
pub(super) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c.is_control() || c == '\u{FFFD}')
}
