//! The streaming decoder: bytes from the serial port in, [`Event`]s out. The driver tells
//! it which command is pending ([`Decoder::expect`]) so that it can recognise the echo and
//! tell the command's own `+XXX:` lines from unsolicited ones; it collects the PDU line of
//! two-line URCs even when they land inside another response. It keeps no other state,
//! does no I/O and knows nothing of timeouts: those belong to the driver.

use std::collections::VecDeque;

use super::lines::{Lines, Piece};
use super::response::creg_is_unsolicited;
use super::result::{self, FinalResult};
use super::urc::{self, TwoLine, Urc, UrcStart};

/// Default cap on one line: ten times the longest PDU line, far above any real answer.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// One thing the modem said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An intermediate line of the pending command's response (or, with no command
    /// pending, a line that is not a known URC).
    Line(String),
    /// The final result of the pending command; the decoder forgets the command.
    Final(FinalResult),
    /// An unsolicited result code.
    Urc(Urc),
    /// The `> ` prompt of `AT+CMGS`/`AT+CMGW`: write the PDU and Ctrl-Z.
    Prompt,
    /// The echo of the pending command (or of text registered with
    /// [`Decoder::expect_echo`]).
    Echo(String),
    /// A line longer than the cap was discarded up to its end; `prefix` is its start.
    Overflow { prefix: String },
}

/// The pending command, as far as the decoder cares.
#[derive(Debug, Clone)]
struct Pending {
    /// Texts whose echo is expected: the command line, then any PDU written after `> `.
    echoes: Vec<String>,
    /// `+CMGL:` for `AT+CMGL=4`; `None` for commands without a `+`/`^` name (`ATE0`).
    prefix: Option<String>,
    /// Whether the command answers with a prompt, so a lone `>` is the prompt.
    prompts: bool,
}

/// A streaming AT response decoder. See the module documentation.
#[derive(Debug)]
pub struct Decoder {
    lines: Lines,
    pending: Option<Pending>,
    two_line: Option<TwoLine>,
    events: VecDeque<Event>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A decoder whose line buffer never holds more than `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> Self {
        Self {
            lines: Lines::new(max_line),
            pending: None,
            two_line: None,
            events: VecDeque::new(),
        }
    }

    /// Tells the decoder that `command` (e.g. `AT+CMGL=4`, without the CR) was written.
    pub fn expect(&mut self, command: &str) {
        let command = command.trim();
        self.pending = Some(Pending {
            echoes: vec![command.to_string()],
            prefix: response_prefix(command),
            prompts: prompts(command),
        });
    }

    /// Adds `text` (the PDU written after the prompt) to the echoes of the pending
    /// command, so an echoing modem's copy of it is not taken for a response line.
    pub fn expect_echo(&mut self, text: &str) {
        if let Some(p) = &mut self.pending {
            p.echoes.push(text.trim().to_string());
        }
    }

    /// Forgets the pending command (after a timeout, or when nothing was sent).
    pub fn expect_none(&mut self) {
        self.pending = None;
    }

    /// The pending command's response prefix, if a command is pending and has one.
    pub fn pending_prefix(&self) -> Option<&str> {
        self.pending.as_ref()?.prefix.as_deref()
    }

    /// Bytes held for an unfinished line; never more than the cap.
    pub fn buffered(&self) -> usize {
        self.lines.buffered()
    }

    /// Events decoded and not yet taken.
    pub fn queued(&self) -> usize {
        self.events.len()
    }

    /// Drops any unfinished line and half-read two-line URC (e.g. after reopening the
    /// port). Queued events stay.
    pub fn reset(&mut self) {
        self.lines.clear();
        self.two_line = None;
        self.pending = None;
    }

    /// Feeds bytes from the port, in chunks of any size split anywhere.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let bare_prompt = self.pending.as_ref().is_some_and(|p| p.prompts);
            match self.lines.feed(b, bare_prompt) {
                None => {}
                Some(Piece::Line(line)) => self.line(line),
                Some(Piece::Prompt) => self.events.push_back(Event::Prompt),
                Some(Piece::Overflow { prefix }) => {
                    self.events.push_back(Event::Overflow { prefix })
                }
            }
        }
    }

    /// The next decoded event, oldest first.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Drains the decoded events.
    pub fn events(&mut self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(move || self.next_event())
    }

    fn line(&mut self, line: String) {
        if let Some(head) = self.two_line.take() {
            if urc::looks_like_pdu(&line) {
                self.events.push_back(Event::Urc(head.finish(&line)));
                return;
            }
            // The PDU line never came: report the header, then read this line afresh.
            self.events
                .push_back(Event::Urc(Urc::Unknown { line: head.header }));
        }
        let event = self.classify(line);
        if matches!(event, Some(Event::Final(_))) {
            self.pending = None;
        }
        if let Some(e) = event {
            self.events.push_back(e);
        }
    }

    fn classify(&mut self, line: String) -> Option<Event> {
        if let Some(p) = &self.pending {
            let echoed = strip_echo(&line);
            if p.echoes.iter().any(|e| e.eq_ignore_ascii_case(echoed)) {
                return Some(Event::Echo(line));
            }
        }
        if let Some(f) = result::parse_always(&line) {
            return Some(Event::Final(f));
        }
        if self.pending.is_some() {
            if let Some(f) = result::parse_when_pending(&line) {
                return Some(Event::Final(f));
            }
        } else if result::parse_when_pending(&line).is_some() {
            return Some(Event::Urc(Urc::Noise { line }));
        }
        if let Some(prefix) = self.pending_prefix() {
            if let Some(rest) = result::strip_prefix_ci(&line, prefix) {
                // `+CREG: 1` during `AT+CREG?` is the URC; the answer has `<n>,<stat>`.
                let urc_form = prefix.eq_ignore_ascii_case("+CREG:") && creg_is_unsolicited(rest);
                if !urc_form {
                    return Some(Event::Line(line));
                }
            }
        }
        match urc::classify(&line) {
            Some(UrcStart::Complete(u)) => Some(Event::Urc(u)),
            Some(UrcStart::NeedsPdu(head)) => {
                self.two_line = Some(head);
                None
            }
            None if urc::looks_like_result(&line) => Some(Event::Urc(Urc::Unknown { line })),
            None => Some(Event::Line(line)),
        }
    }
}

/// The echoed text without the Ctrl-Z/ESC a modem may echo after a PDU.
fn strip_echo(line: &str) -> &str {
    line.trim_end_matches(['\x1a', '\x1b']).trim()
}

/// `AT+CMGL=4` → `+CMGL:`, `AT^SYSINFO` → `^SYSINFO:`, `ATE0` → `None`.
pub fn response_prefix(command: &str) -> Option<String> {
    let body = result::strip_prefix_ci(command.trim(), "AT")?;
    let mut chars = body.chars();
    let sigil = chars
        .next()
        .filter(|c| matches!(c, '+' | '^' | '#' | '$' | '%' | '*'))?;
    let name: String = chars
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        return None;
    }
    Some(format!("{sigil}{}:", name.to_ascii_uppercase()))
}

/// Whether `command` answers with the `> ` prompt.
fn prompts(command: &str) -> bool {
    ["AT+CMGS=", "AT+CMGW", "AT+CMGC="]
        .iter()
        .any(|p| result::strip_prefix_ci(command, p).is_some())
}
