//! Typed parsers for the responses the SMS driver needs: the intermediate lines the
//! [`Decoder`](super::Decoder) reported as [`Event::Line`](super::Event::Line) between the
//! command and its final result go in, a value comes out. They are lenient where modems
//! disagree (the `+CMGR` header variants, spaces, missing quotes) and never trust the
//! `<length>` a modem prints: it is returned but the PDU is returned as it was seen.

use super::error::ParseError;
use super::fields::{after_prefix, split, Field};

/// `<stat>` of a stored message in PDU mode (27.005 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStat {
    /// 0: received, not yet read.
    ReceivedUnread,
    /// 1: received, read.
    ReceivedRead,
    /// 2: stored, not sent.
    StoredUnsent,
    /// 3: stored, sent.
    StoredSent,
    /// Anything else a modem prints.
    Other(u8),
}

impl MessageStat {
    pub fn from_number(n: u8) -> Self {
        match n {
            0 => Self::ReceivedUnread,
            1 => Self::ReceivedRead,
            2 => Self::StoredUnsent,
            3 => Self::StoredSent,
            n => Self::Other(n),
        }
    }
}

/// One message of an `AT+CMGL` listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPdu {
    /// Storage index, for `AT+CMGD`.
    pub index: u32,
    /// `None` when the modem left `<stat>` out.
    pub stat: Option<MessageStat>,
    /// `<length>` as printed (TPDU octets); not to be trusted.
    pub length: Option<usize>,
    /// The PDU line as seen (trimmed); empty when the modem sent no PDU line.
    pub pdu_hex: String,
}

/// The answer to `AT+CMGR=<index>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPdu {
    /// `None` when the modem left `<stat>` out (ES75, QUALCOMM, ZTE status reports).
    pub stat: Option<MessageStat>,
    /// `<alpha>` if present and not empty.
    pub alpha: Option<String>,
    /// `<length>` as printed; not to be trusted.
    pub length: Option<usize>,
    /// The PDU (from the next line, or from the header line after a space).
    pub pdu_hex: String,
}

impl ReadPdu {
    /// True for the ways modems say "nothing here": `+CMGR: 0,,0`, no PDU, a bare `00`,
    /// or the Siemens filler of all `F`s.
    pub fn is_empty_slot(&self) -> bool {
        let hex = self.pdu_hex.trim();
        self.length == Some(0)
            || hex.is_empty()
            || hex == "00"
            || hex
                .trim_start_matches("00")
                .bytes()
                .all(|b| b == b'F' || b == b'f')
    }
}

/// One storage of a `+CPMS:` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUsage {
    /// `"SM"`, `"ME"`, ...; `None` in the set form, which prints only numbers.
    pub storage: Option<String>,
    pub used: u32,
    pub total: u32,
}

impl StorageUsage {
    /// Storage full: new messages stay in the network until some are deleted.
    pub fn is_full(&self) -> bool {
        self.total > 0 && self.used >= self.total
    }
}

/// `+CSQ: <rssi>,<ber>`; 99 (unknown) becomes `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalQuality {
    pub rssi: Option<u8>,
    pub ber: Option<u8>,
}

impl SignalQuality {
    /// Received signal strength in dBm (27.007 §8.5): 0..=31 is -113..=-51 in 2 dB
    /// steps, 100..=191 (TD-SCDMA) is -116..=-25; 0, 31, 100 and 191 mean "or beyond".
    pub fn dbm(&self) -> Option<i16> {
        match self.rssi? {
            r @ 0..=31 => Some(-113 + 2 * i16::from(r)),
            r @ 100..=191 => Some(-116 + i16::from(r - 100)),
            _ => None,
        }
    }
}

/// `<stat>` of `+CREG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    /// 0: not registered and not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown.
    Unknown,
    /// 5: registered, roaming.
    Roaming,
    /// 6 and 7 (SMS only, home/roaming) and anything newer.
    Other(u8),
}

impl RegistrationState {
    pub fn from_number(n: u8) -> Self {
        match n {
            0 => Self::NotRegistered,
            1 => Self::Home,
            2 => Self::Searching,
            3 => Self::Denied,
            4 => Self::Unknown,
            5 => Self::Roaming,
            n => Self::Other(n),
        }
    }

    /// Whether SMS can be sent: home or roaming (including the SMS-only states 6 and 7).
    pub fn is_registered(&self) -> bool {
        matches!(self, Self::Home | Self::Roaming | Self::Other(6 | 7))
    }
}

/// `+CREG`, from the `AT+CREG?` response or the unsolicited form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// `<n>` (the URC mode), present only in the response to `AT+CREG?`.
    pub mode: Option<u8>,
    pub state: RegistrationState,
    /// Location area code as printed (hex), if reported.
    pub lac: Option<String>,
    /// Cell id as printed (hex), if reported.
    pub cell_id: Option<String>,
}

/// Whether the fields after `+CREG:` are the unsolicited form `<stat>[,<lac>,<ci>...]`
/// rather than the `AT+CREG?` answer `<n>,<stat>[,...]`: the answer's second field is a
/// bare number, the URC's second field (if any) is the quoted LAC.
pub(super) fn creg_is_unsolicited(rest: &str) -> bool {
    let f = split(rest);
    f.len() < 2 || f[1].quoted || f[1].number::<u8>().is_none()
}

/// Parses a `+CREG:` line in either form.
pub fn parse_creg(line: &str) -> Result<Registration, ParseError> {
    let rest = after_prefix(line, "+CREG:").ok_or(ParseError::Missing { prefix: "+CREG:" })?;
    let f = split(rest);
    let (mode, stat_at) = if creg_is_unsolicited(rest) {
        (None, 0)
    } else {
        (f[0].number(), 1)
    };
    let state = f[stat_at]
        .number()
        .map(RegistrationState::from_number)
        .ok_or_else(|| bad("<stat>", line))?;
    let text = |i: usize| f.get(i).map(|x| x.text.clone()).filter(|s| !s.is_empty());
    Ok(Registration {
        mode,
        state,
        lac: text(stat_at + 1),
        cell_id: text(stat_at + 2),
    })
}

fn bad(field: &'static str, line: &str) -> ParseError {
    ParseError::BadField {
        field,
        line: line.to_string(),
    }
}

fn first_with<'a, S: AsRef<str>>(
    lines: &'a [S],
    prefix: &'static str,
) -> Option<(&'a str, &'a str)> {
    lines
        .iter()
        .map(AsRef::as_ref)
        .find_map(|l| after_prefix(l, prefix).map(|rest| (l, rest)))
}

/// Parses an `AT+CMGL=<stat>` listing: each `+CMGL: <index>,<stat>,[<alpha>],<length>`
/// header with the PDU on the following line. Lines that are neither are skipped (the
/// pygsm garbage line); a header without a PDU line gets an empty `pdu_hex`; a `+CMGL:`
/// glued to the end of a PDU line (Gammu: "phones ... do not put new line before
/// +CMGL") is split off and read as the next header.
pub fn parse_cmgl<S: AsRef<str>>(lines: &[S]) -> Vec<ListedPdu> {
    let mut out: Vec<ListedPdu> = Vec::new();
    let mut open = false;
    let mut queue: Vec<String> = lines.iter().map(|l| l.as_ref().to_string()).collect();
    queue.reverse();
    while let Some(line) = queue.pop() {
        if let Some(rest) = after_prefix(&line, "+CMGL:") {
            let f = split(rest);
            let Some(index) = f[0].number() else {
                open = false;
                continue;
            };
            let stat = f.get(1).filter(|_| f.len() >= 3).and_then(Field::number);
            out.push(ListedPdu {
                index,
                stat: stat.map(MessageStat::from_number),
                length: f.last().and_then(Field::number),
                pdu_hex: String::new(),
            });
            open = true;
        } else if open {
            let line = line.trim();
            let pdu = match line.find("+CMGL:") {
                Some(at) if at > 0 => {
                    queue.push(line[at..].to_string());
                    &line[..at]
                }
                _ => line,
            };
            if let Some(last) = out.last_mut() {
                last.pdu_hex = pdu.trim().to_string();
            }
            open = false;
        }
    }
    out
}

/// Parses the answer to `AT+CMGR=<index>` in all the header variants of the notes
/// (§3.2): 1 to 4 fields, empty or unquoted alpha, PDU on the same line after a space.
/// A text-mode header (first field quoted, e.g. `"REC READ"`) is [`ParseError::TextMode`].
pub fn parse_cmgr<S: AsRef<str>>(lines: &[S]) -> Result<ReadPdu, ParseError> {
    let pos = lines
        .iter()
        .position(|l| after_prefix(l.as_ref(), "+CMGR:").is_some())
        .ok_or(ParseError::Missing { prefix: "+CMGR:" })?;
    let line = lines[pos].as_ref();
    let rest = after_prefix(line, "+CMGR:").unwrap_or_default();
    if rest.starts_with('"') {
        return Err(ParseError::TextMode {
            line: line.to_string(),
        });
    }
    let mut f = split(rest);
    let mut pdu_hex = String::new();
    if let Some(last) = f.last_mut() {
        if let Some((len, pdu)) = last.text.split_once(char::is_whitespace) {
            pdu_hex = pdu.trim().to_string();
            last.text = len.to_string();
        }
    }
    let n = f.len();
    let stat_field = match n {
        0 | 1 => None,
        2 => Some(&f[0]),
        _ => Some(&f[n - 3]),
    };
    let alpha = (n >= 3)
        .then(|| f[n - 2].text.clone())
        .filter(|a| !a.is_empty());
    if pdu_hex.is_empty() {
        pdu_hex = lines
            .get(pos + 1)
            .map(|l| l.as_ref().trim().to_string())
            .unwrap_or_default();
    }
    Ok(ReadPdu {
        stat: stat_field
            .and_then(Field::number)
            .map(MessageStat::from_number),
        alpha,
        length: f.last().and_then(Field::number),
        pdu_hex,
    })
}

/// Parses `+CMGS: <mr>[,<ackpdu>]` into the message reference, to correlate with a later
/// status report.
pub fn parse_cmgs<S: AsRef<str>>(lines: &[S]) -> Result<u8, ParseError> {
    let (line, rest) =
        first_with(lines, "+CMGS:").ok_or(ParseError::Missing { prefix: "+CMGS:" })?;
    split(rest)[0].number().ok_or_else(|| bad("<mr>", line))
}

/// Parses `+CPMS:` in the query form (`"SM",5,50,"SM",5,50,...`) and the set form
/// (`14,50,14,50`). The test form (`AT+CPMS=?`, with parentheses) is not handled here.
pub fn parse_cpms<S: AsRef<str>>(lines: &[S]) -> Result<Vec<StorageUsage>, ParseError> {
    let (line, rest) =
        first_with(lines, "+CPMS:").ok_or(ParseError::Missing { prefix: "+CPMS:" })?;
    if rest.contains('(') {
        return Err(bad("storage counts (this is the AT+CPMS=? form)", line));
    }
    let f = split(rest);
    let named = f
        .first()
        .is_some_and(|x| x.quoted || x.number::<u32>().is_none());
    let step = if named { 3 } else { 2 };
    let mut out = Vec::new();
    for chunk in f.chunks(step) {
        if chunk.len() < step {
            if chunk.iter().all(|x| x.text.is_empty()) {
                break;
            }
            return Err(bad("<used>,<total>", line));
        }
        let (storage, nums) = if named {
            (Some(chunk[0].text.clone()), &chunk[1..])
        } else {
            (None, chunk)
        };
        out.push(StorageUsage {
            storage,
            used: nums[0].number().ok_or_else(|| bad("<used>", line))?,
            total: nums[1].number().ok_or_else(|| bad("<total>", line))?,
        });
    }
    Ok(out)
}

/// Parses `+CSQ: <rssi>,<ber>`.
pub fn parse_csq<S: AsRef<str>>(lines: &[S]) -> Result<SignalQuality, ParseError> {
    let (line, rest) = first_with(lines, "+CSQ:").ok_or(ParseError::Missing { prefix: "+CSQ:" })?;
    let f = split(rest);
    let num = |i: usize, name| -> Result<Option<u8>, ParseError> {
        let v: u8 = f
            .get(i)
            .and_then(Field::number)
            .ok_or_else(|| bad(name, line))?;
        Ok((v != 99).then_some(v))
    };
    Ok(SignalQuality {
        rssi: num(0, "<rssi>")?,
        ber: num(1, "<ber>")?,
    })
}
