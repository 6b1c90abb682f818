//! What a citizen's text means: a new report or a command about an earlier one.
//!
//! Channel-agnostic (SMS to 1708 now, other text channels later) and pure: one
//! function, [`parse`], from text to a [`Command`]; what the store knows (does the
//! report exist, is it this sender's) is the caller's to add. Matching is
//! case-insensitive and tolerant of what people type on a keypad: extra spaces and
//! newlines, punctuation after the command word (`cek: 1234567890`,
//! `Cek  #1234567890.`), no space at all (`CEK1234567890`), an ID typed in groups
//! (`CEK 123 456 7890`), a filler word (`CEK NO 1234567890`, `status laporan …`).
//!
//! The commands: `CEK <id>` / `STATUS <id>`, `BALAS <id> <text>`, `PUAS <id>`,
//! `TUTUP <id>`, `INFO` / `BANTUAN` / `HELP`. Anything else is a new report, with
//! optional leading `ANONIM` and `RAHASIA` (either order, both allowed) stripped off.
//!
//! Where a complaint merely starts with a command word, it stays a complaint. The
//! decisions, each covered by a test:
//! - `INFO`, `BANTUAN`, `HELP` are help only when alone (punctuation allowed):
//!   "Info jalan rusak di …" is a new report.
//! - After `CEK`/`STATUS`/`BALAS`/`PUAS`/`TUTUP` the argument is an ID *attempt* when
//!   it starts with a digit or `#`. A valid ID makes the command; a wrong check digit
//!   is [`Command::InvalidId`]; a malformed attempt is [`Command::Invalid`] when it is
//!   all there is (or one word: `PUAS 12ab`), has at least six digits (a mistyped ID)
//!   or starts with `#`, and a new report otherwise ("Tutup 3 hari jalan ditutup …").
//! - An argument that is not an ID attempt is [`Command::Invalid`] when it is a single
//!   word (`CEK abc`) and a new report when it is more ("Puas sekali dengan …",
//!   "Status jalan ini belum jelas …").
//! - Text after the ID of `CEK`, `PUAS`, `TUTUP` is ignored.
//! - `BALAS <id>` with no text is [`Command::EmptyReply`]: ask for the text.
//! - A bare `<id> <text>` is [`Command::MaybeReply`]; a bare valid ID alone is a
//!   status query (nobody reports a complaint that is only a tracking ID).
//! - Prefixes apply to new reports only: `ANONIM CEK 1234567890` is a report.
//! - Text that is empty once trimmed and stripped of prefixes is [`Command::Empty`].

use crate::tracking::{self, ParseError, TrackingId, LEN};

/// The command a command word asked for, kept where the rest was unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `CEK` or `STATUS`.
    Status,
    /// `BALAS`.
    Reply,
    /// `PUAS`.
    Satisfied,
    /// `TUTUP`.
    Close,
}

/// Why a command could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The command word alone (or with a filler word): `CEK`, `CEK nomor`.
    MissingId,
    /// Something that is not ten digits: `CEK abc`, `CEK 12345`, `CEK 081234567890`.
    MalformedId,
}

/// What a text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A complaint, aspiration, question or appreciation; `text` without the prefixes.
    NewReport {
        text: String,
        anonymous: bool,
        confidential: bool,
    },
    /// `CEK <id>`, `STATUS <id>` or a bare valid ID.
    Status { id: TrackingId },
    /// `BALAS <id> <text>`: a message in the thread of the sender's own report.
    Reply { id: TrackingId, text: String },
    /// `<id> <text>` with a valid ID first. Only the caller can tell whether that
    /// report is this sender's: if it is, this is a [`Command::Reply`]; if not (or
    /// there is no such report), it is a new report of `original`, not anonymous, not
    /// confidential, and the citizen is told nothing about the other report.
    /// [`Command::not_a_reply`] makes that report.
    MaybeReply {
        id: TrackingId,
        text: String,
        original: String,
    },
    /// `BALAS <id>` with nothing after it: ask for the text.
    EmptyReply { id: TrackingId },
    /// `PUAS <id>`: the reporter is satisfied with the agency's follow-up.
    Satisfied { id: TrackingId },
    /// `TUTUP <id>`: the reporter closes the report.
    Close { id: TrackingId },
    /// `INFO`, `BANTUAN` or `HELP` alone.
    Help,
    /// Nothing to act on: empty, or only prefixes. Answer with help.
    Empty,
    /// A command word whose ID is missing or malformed. Answer with the usage.
    Invalid { kind: Verb, reason: Problem },
    /// A command with ten digits whose check digit is wrong: a typo. Answer "nomor
    /// laporan tidak valid", never "not found". `digits` are the ten digits typed.
    InvalidId { kind: Verb, digits: String },
}

impl Command {
    /// The new report a [`Command::MaybeReply`] is when the report is not the
    /// sender's; any other command is returned unchanged.
    pub fn not_a_reply(self) -> Command {
        match self {
            Command::MaybeReply { original, .. } => Command::NewReport {
                text: original,
                anonymous: false,
                confidential: false,
            },
            other => other,
        }
    }
}

const STATUS_WORDS: [&str; 2] = ["CEK", "STATUS"];
const HELP_WORDS: [&str; 3] = ["INFO", "BANTUAN", "HELP"];
/// Words people put between a command and its ID: `CEK NO 1234567890`.
const FILLERS: [&str; 6] = ["NO", "NOMOR", "NOMER", "NMR", "LAPORAN", "ID"];
const ANONYMOUS: &str = "ANONIM";
const CONFIDENTIAL: &str = "RAHASIA";

fn verb_of(word: &str) -> Option<Verb> {
    let is = |w: &str| word.eq_ignore_ascii_case(w);
    if STATUS_WORDS.iter().any(|w| is(w)) {
        Some(Verb::Status)
    } else if is("BALAS") {
        Some(Verb::Reply)
    } else if is("PUAS") {
        Some(Verb::Satisfied)
    } else if is("TUTUP") {
        Some(Verb::Close)
    } else {
        None
    }
}

/// True for the words that make a text a command (not the prefixes).
pub fn is_command_word(word: &str) -> bool {
    verb_of(word).is_some() || HELP_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// The leading letters of `s` and what follows them.
fn leading_word(s: &str) -> (&str, &str) {
    match s.char_indices().find(|(_, c)| !c.is_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// Strips what may separate a word from the next: spaces and light punctuation.
fn trim_sep(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || ":;,.=-!?".contains(c))
}

/// Splits an ID attempt (starting with a digit or `#`) from what follows: digits
/// with the separators `tracking::parse` allows, up to the first other character
/// or the first separator after ten digits.
fn split_id(arg: &str) -> (&str, &str) {
    let mut digits = 0;
    let mut end = 0;
    for (i, c) in arg.char_indices() {
        match c {
            '#' if i == 0 => {}
            '0'..='9' => digits += 1,
            ' ' | '-' | '.' if digits < LEN => {}
            _ => break,
        }
        end = i + c.len_utf8();
    }
    (&arg[..end], &arg[end..])
}

/// Reads the argument of a command word; `None` when the text is a report after all.
fn command(verb: Verb, rest: &str) -> Option<Command> {
    let mut arg = trim_sep(rest);
    loop {
        let (w, after) = leading_word(arg);
        if w.is_empty() || !FILLERS.iter().any(|f| w.eq_ignore_ascii_case(f)) {
            break;
        }
        arg = trim_sep(after);
    }
    let invalid = |reason| Some(Command::Invalid { kind: verb, reason });
    let Some(first) = arg.chars().next() else {
        return invalid(Problem::MissingId);
    };
    if !(first.is_ascii_digit() || first == '#') {
        return match arg.split_whitespace().count() {
            1 => invalid(Problem::MalformedId),
            _ => None,
        };
    }
    let (attempt, after) = split_id(arg);
    let after = trim_sep(after);
    let digits: String = attempt.chars().filter(char::is_ascii_digit).collect();
    match tracking::parse(attempt) {
        Ok(id) => Some(match verb {
            Verb::Status => Command::Status { id },
            Verb::Satisfied => Command::Satisfied { id },
            Verb::Close => Command::Close { id },
            Verb::Reply if after.is_empty() => Command::EmptyReply { id },
            Verb::Reply => Command::Reply {
                id,
                text: after.to_string(),
            },
        }),
        Err(ParseError::BadCheckDigit) => Some(Command::InvalidId { kind: verb, digits }),
        Err(ParseError::Malformed) => {
            let one_word = arg.split_whitespace().nth(1).is_none();
            if after.is_empty() || one_word || digits.len() >= 6 || first == '#' {
                invalid(Problem::MalformedId)
            } else {
                None
            }
        }
    }
}

/// `<id> <text>` or a bare `<id>`: the first word must be a valid ID on its own.
fn bare_id(t: &str) -> Option<Command> {
    let end = t.find(char::is_whitespace).unwrap_or(t.len());
    let word = t[..end].trim_end_matches(|c: char| ":;,.!?".contains(c));
    if !word.starts_with(|c: char| c.is_ascii_digit() || c == '#') {
        return None;
    }
    let id = tracking::parse(word).ok()?;
    let text = trim_sep(&t[end..]);
    Some(if text.is_empty() {
        Command::Status { id }
    } else {
        Command::MaybeReply {
            id,
            text: text.to_string(),
            original: t.to_string(),
        }
    })
}

/// What `text` asks for. Never fails: what is not a command is a report.
pub fn parse(text: &str) -> Command {
    let t = text.trim();
    let (word, rest) = leading_word(t);
    if let Some(verb) = verb_of(word) {
        if let Some(c) = command(verb, rest) {
            return c;
        }
    } else if HELP_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
        && !rest.chars().any(char::is_alphanumeric)
    {
        return Command::Help;
    }
    if let Some(c) = bare_id(t) {
        return c;
    }
    let (mut anonymous, mut confidential) = (false, false);
    let mut body = t;
    loop {
        let (w, after) = leading_word(body);
        let ends_word = after.is_empty()
            || after.starts_with(|c: char| c.is_whitespace() || ":;,.!".contains(c));
        if !ends_word {
            break;
        }
        if !anonymous && w.eq_ignore_ascii_case(ANONYMOUS) {
            anonymous = true;
        } else if !confidential && w.eq_ignore_ascii_case(CONFIDENTIAL) {
            confidential = true;
        } else {
            break;
        }
        body = trim_sep(after);
    }
    if body.is_empty() {
        return Command::Empty;
    }
    Command::NewReport {
        text: body.to_string(),
        anonymous,
        confidential,
    }
}

#[cfg(test)]
mod tests;
