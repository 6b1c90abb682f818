//! Every message the system sends a citizen, in Bahasa Indonesia, in one place.
//!
//! Each template is a function of typed values, so a reply cannot show a colour
//! that disagrees with its state (the colour comes from [`State::colour`]) or an
//! ID that is not ten digits (they take a [`TrackingId`]). Written for SMS first:
//! every fixed reply fits ONE GSM 7-bit segment (160 septets, the extension
//! characters `€ [ ] { } ^ ~ \ |` counting two) and uses only the GSM 7-bit
//! alphabet, so a handset never receives a UCS2 message of 70 characters or a
//! second part; the tests check every template with the longest real values.
//!
//! Agency names come from the directory and reach 100 characters, more than a
//! reply leaves room for. [`short_agency`] fits a name into the septets a template
//! has left: the full name when it fits; else the part before a `/` (dual names
//! such as "Kementerian Kependudukan dan Pembangunan Keluarga/Badan Kependudukan …"
//! name the ministry first); else that part cut at a word boundary with "..."
//! ("…" is not GSM 7-bit). The directory's `handles` are social-media handles
//! ("kemenkokumhamimipas"), not names a citizen reads, so they are not used.
//! Names are made GSM 7-bit first: typographic quotes, dashes and accented
//! letters are transliterated, anything else becomes `?`.
//!
//! The two free-text messages, [`agency_response_sms`] and [`info_request_sms`],
//! carry text written by people and may take several segments: the caller says how
//! many.

use lapor_sms::{gsm7_septets, segments};

use crate::commands::{Problem, Verb};
use crate::model::State;
use crate::tracking::TrackingId;

/// The short code citizens send to.
pub const SHORT_CODE: &str = "1708";
/// Septets in one GSM 7-bit SMS.
pub const SEGMENT_SEPTETS: usize = 160;
/// Septets per part of a concatenated GSM 7-bit SMS.
const PART_SEPTETS: usize = 153;
const DOTS: &str = "...";

/// Why a report is not processed: the code a verifier picks, and the short text
/// the reporter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotProcessedReason {
    /// The same report was already received.
    Duplicate,
    /// Information was requested and never given.
    Incomplete,
    /// Not a matter for a government body.
    OutOfScope,
    /// The matter is before a court.
    InLegalProcess,
    /// Abuse, threats, hate speech.
    Abusive,
    /// Not a complaint, aspiration, question or appreciation (spam, tests).
    NotAReport,
}

impl NotProcessedReason {
    pub const ALL: &'static [NotProcessedReason] = &[
        NotProcessedReason::Duplicate,
        NotProcessedReason::Incomplete,
        NotProcessedReason::OutOfScope,
        NotProcessedReason::InLegalProcess,
        NotProcessedReason::Abusive,
        NotProcessedReason::NotAReport,
    ];

    /// The code stored with the decision.
    pub fn code(self) -> &'static str {
        match self {
            NotProcessedReason::Duplicate => "duplikat",
            NotProcessedReason::Incomplete => "tidak_lengkap",
            NotProcessedReason::OutOfScope => "bukan_kewenangan",
            NotProcessedReason::InLegalProcess => "proses_hukum",
            NotProcessedReason::Abusive => "melanggar_ketentuan",
            NotProcessedReason::NotAReport => "bukan_laporan",
        }
    }

    /// The reason from its code.
    pub fn from_code(code: &str) -> Option<NotProcessedReason> {
        Self::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// What the reporter reads.
    pub fn text(self) -> &'static str {
        match self {
            NotProcessedReason::Duplicate => "laporan yang sama sudah pernah diterima",
            NotProcessedReason::Incomplete => "informasi yang diminta tidak dilengkapi",
            NotProcessedReason::OutOfScope => "bukan kewenangan instansi pemerintah",
            NotProcessedReason::InLegalProcess => "perkara sedang dalam proses hukum",
            NotProcessedReason::Abusive => "berisi hinaan, ancaman atau SARA",
            NotProcessedReason::NotAReport => "bukan pengaduan, aspirasi atau permintaan informasi",
        }
    }
}

/// True when `text` is one SMS in GSM 7-bit: every character in the alphabet or its
/// extension table, at most 160 septets.
pub fn sms_segments_ok(text: &str) -> bool {
    gsm7_septets(text).is_some_and(|n| n <= SEGMENT_SEPTETS)
}

fn septets(text: &str) -> usize {
    gsm7_septets(text).unwrap_or(usize::MAX)
}

/// The GSM 7-bit stand-in for a character that is not in the alphabet.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{B4}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{AB}' | '\u{BB}' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2022}' => "-",
        '\u{2026}' => DOTS,
        '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{AD}' => "",
        'á' | 'â' | 'ã' | 'ā' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' => "A",
        'ê' | 'ë' | 'ē' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' => "E",
        'í' | 'î' | 'ï' | 'ī' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' => "I",
        'ó' | 'ô' | 'õ' | 'ō' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' => "O",
        'ú' | 'û' | 'ū' => "u",
        'Ú' | 'Ù' | 'Û' => "U",
        'ç' => "c",
        '×' => "x",
        _ => return None,
    })
}

/// Text for an SMS: whitespace runs (newlines included) become one space, and
/// characters outside GSM 7-bit are transliterated where a stand-in exists; with
/// `strict`, the rest become `?`, else they stay (and the SMS goes out as UCS2).
fn tidy(text: &str, strict: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            let mut buf = [0u8; 4];
            if gsm7_septets(c.encode_utf8(&mut buf)).is_some() {
                out.push(c);
            } else if let Some(s) = transliterate(c) {
                out.push_str(s);
            } else {
                out.push(if strict { '?' } else { c });
            }
        }
    }
    out
}

/// The longest prefix of `s` (GSM 7-bit) within `max` septets.
fn take_septets(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let mut buf = [0u8; 4];
        used += septets(c.encode_utf8(&mut buf));
        if used > max {
            return &s[..i];
        }
    }
    s
}

/// `s` cut at a word boundary (a character boundary for one long word) with "..."
/// so it fits `max` septets.
fn truncate(s: &str, max: usize) -> String {
    if septets(s) <= max {
        return s.to_string();
    }
    let Some(room) = max.checked_sub(DOTS.len()) else {
        return take_septets(s, max).to_string();
    };
    let word_cut = s
        .char_indices()
        .filter(|&(i, c)| c == ' ' && septets(&s[..i]) <= room)
        .map(|(i, _)| i)
        .next_back();
    let head = match word_cut {
        Some(i) => &s[..i],
        None => take_septets(s, room),
    };
    let head = head.trim_end_matches(|c: char| c.is_whitespace() || ",;:-/(".contains(c));
    format!("{head}{DOTS}")
}

/// An agency name in GSM 7-bit within `max_septets`; see the module notes.
pub fn short_agency(name: &str, max_septets: usize) -> String {
    let full = tidy(name, true);
    if septets(&full) <= max_septets {
        return full;
    }
    let first = match full.split_once('/') {
        Some((a, _)) if !a.trim().is_empty() => a.trim_end(),
        _ => full.as_str(),
    };
    truncate(first, max_septets)
}

/// Renders a one-segment template around an agency name shortened to the room
/// the rest of it leaves. A name cut with "..." takes no full stop after it.
fn with_agency(agency: &str, render: impl Fn(&str) -> String) -> String {
    let fixed = septets(&render(""));
    let name = short_agency(agency, SEGMENT_SEPTETS.saturating_sub(fixed));
    let text = render(&name);
    match name.ends_with(DOTS) {
        true => text.replacen(&format!("{name}."), &name, 1),
        false => text,
    }
}

// ---- Replies to a citizen's message ----

/// A new report was committed.
pub fn received(id: TrackingId, anonymous: bool, confidential: bool) -> String {
    let privacy = match (anonymous, confidential) {
        (false, false) => "",
        (true, false) => " Identitas Anda dirahasiakan dari instansi.",
        (false, true) => " Laporan Anda tidak dipublikasikan.",
        (true, true) => " Identitas Anda dirahasiakan dan laporan tidak dipublikasikan.",
    };
    format!(
        "Laporan Anda diterima. Nomor: {id}. Cek status: kirim CEK {id} ke {SHORT_CODE}.{privacy}"
    )
}

/// A new report was committed from a long message some of whose parts never came.
pub fn received_incomplete(id: TrackingId) -> String {
    format!(
        "Laporan Anda diterima, tetapi sebagian pesan panjang tidak sampai. Nomor: {id}. \
         Lengkapi: kirim BALAS {id} <pesan> ke {SHORT_CODE}."
    )
}

/// The answer to `CEK`: the state in words, its colour, and the agency once there
/// is one (`None` while the report is being verified).
pub fn status(id: TrackingId, state: State, agency: Option<&str>) -> String {
    let head = format!("Laporan {id} ({}): {}.", state.colour(), state.label());
    let hint = match state {
        State::MenungguInfo => format!(" Kirim BALAS {id} <info> ke {SHORT_CODE}."),
        State::Ditindaklanjuti | State::MenungguPenutupan => {
            format!(" Puas? Kirim PUAS {id}.")
        }
        _ => String::new(),
    };
    match agency.filter(|a| !a.trim().is_empty()) {
        Some(a) => with_agency(a, |name| format!("{head} Instansi: {name}.{hint}")),
        None => format!("{head}{hint}"),
    }
}

/// No such report, and equally a confidential report of someone else: the two
/// must not be told apart, so this is the one reply for both.
pub fn unknown_id(id: TrackingId) -> String {
    format!(
        "Laporan {id} tidak ditemukan. Periksa kembali nomornya, atau kirim INFO ke \
         {SHORT_CODE} untuk bantuan."
    )
}

/// Ten digits with a wrong check digit: a typo, never "not found". `typed` is what
/// was typed; only its first ten digits are shown.
pub fn invalid_id(typed: &str) -> String {
    let digits: String = typed
        .chars()
        .filter(char::is_ascii_digit)
        .take(10)
        .collect();
    let number = if digits.is_empty() {
        String::new()
    } else {
        format!(" {digits}")
    };
    format!(
        "Nomor laporan{number} tidak valid: ada angka yang salah ketik. Periksa kembali \
         10 angka nomor laporan Anda."
    )
}

fn usage(kind: Verb) -> &'static str {
    match kind {
        Verb::Status => "CEK <nomor>",
        Verb::Reply => "BALAS <nomor> <pesan>",
        Verb::Satisfied => "PUAS <nomor>",
        Verb::Close => "TUTUP <nomor>",
    }
}

/// A command word whose ID is missing or malformed.
pub fn invalid_command(kind: Verb, reason: Problem) -> String {
    let what = match reason {
        Problem::MissingId => "Nomor laporan belum ditulis.",
        Problem::MalformedId => "Nomor laporan harus 10 angka.",
    };
    format!(
        "{what} Format: {}. Bantuan: kirim INFO ke {SHORT_CODE}.",
        usage(kind)
    )
}

/// `BALAS <id>` with no text.
pub fn empty_reply(id: TrackingId) -> String {
    format!("Pesan balasan kosong. Tulis pesan setelah nomor: BALAS {id} <pesan Anda>.")
}

/// A `BALAS` was added to the thread of the sender's report.
pub fn reply_recorded(id: TrackingId) -> String {
    format!("Balasan Anda untuk laporan {id} sudah dicatat. Terima kasih.")
}

/// `BALAS`, `PUAS` or `TUTUP` for a report that is not the sender's, or that does
/// not exist: the same text either way, so it reveals nothing.
pub fn not_yours(id: TrackingId) -> String {
    format!(
        "Laporan {id} tidak tercatat dari nomor ini. Hanya pelapor yang dapat mengirim \
         BALAS, PUAS atau TUTUP."
    )
}

/// `PUAS` accepted: an admin closes the report (closing rule 1).
pub fn satisfied_accepted(id: TrackingId) -> String {
    format!(
        "Terima kasih. Penilaian PUAS untuk laporan {id} sudah dicatat; laporan segera ditutup \
         oleh admin."
    )
}

/// `TUTUP` accepted.
pub fn close_accepted(id: TrackingId) -> String {
    format!(
        "Laporan {id} sudah ditutup sesuai permintaan Anda. Terima kasih telah menggunakan \
         LAPOR!"
    )
}

/// `PUAS` or `TUTUP` before any agency has responded.
pub fn feedback_too_early(id: TrackingId) -> String {
    format!(
        "Laporan {id} masih diproses. PUAS atau TUTUP dapat dikirim setelah instansi \
         memberi tanggapan."
    )
}

/// `PUAS`, `TUTUP` or `BALAS` for a report that is already closed.
pub fn already_closed(id: TrackingId) -> String {
    format!("Laporan {id} sudah ditutup. Untuk masalah baru, kirim laporan baru ke {SHORT_CODE}.")
}

/// `INFO` / `BANTUAN`, and the answer to an empty message: every command.
pub fn help() -> String {
    format!(
        "Kirim laporan langsung ke {SHORT_CODE}. CEK <nomor>: status. BALAS <nomor> <pesan>: \
         tambah info. PUAS/TUTUP <nomor>: akhiri. Awali ANONIM/RAHASIA bila perlu."
    )
}

/// A message that could not be read as text (8-bit data, a broken encoding).
pub fn unreadable() -> String {
    format!(
        "Maaf, pesan Anda tidak dapat dibaca. Kirim ulang sebagai teks biasa, atau kirim \
         INFO ke {SHORT_CODE} untuk bantuan."
    )
}

// ---- Notifications through a report's life ----

/// The report went to an agency.
pub fn forwarded(id: TrackingId, agency: &str) -> String {
    with_agency(agency, |name| {
        format!("Laporan {id} diteruskan ke {name}. Cek status: kirim CEK {id} ke {SHORT_CODE}.")
    })
}

/// The agency responded; the response itself goes in [`agency_response_sms`].
pub fn followed_up(id: TrackingId, agency: &str) -> String {
    with_agency(agency, |name| {
        format!(
            "Laporan {id} ditindaklanjuti oleh {name}. Cek status: kirim CEK {id} ke \
             {SHORT_CODE}. Puas? Kirim PUAS {id}."
        )
    })
}

/// The report is closed (done, or closed after silence).
pub fn closed(id: TrackingId) -> String {
    format!("Laporan {id} selesai dan ditutup. Terima kasih telah menggunakan LAPOR!")
}

/// The report will not be processed.
pub fn not_processed(id: TrackingId, reason: NotProcessedReason) -> String {
    format!(
        "Laporan {id} tidak dapat diproses: {}. Info: kirim CEK {id} ke {SHORT_CODE}.",
        reason.text()
    )
}

// ---- Free text: several segments ----

/// Septets (or, for UCS2, UTF-16 units) the caller's segment budget holds in GSM 7-bit.
fn gsm_capacity(max_segments: usize) -> usize {
    match max_segments {
        0 | 1 => SEGMENT_SEPTETS,
        n => PART_SEPTETS * n,
    }
}

/// `head`, then `body` cut at a word boundary (with "...") so the whole message
/// fits `max_segments`, then `tail`. The body is tidied (whitespace collapsed,
/// typographic characters transliterated); what stays outside GSM 7-bit makes the
/// SMS UCS2, which `lapor_sms::segments` counts at 67 units a part.
fn fit_free_text(head: &str, body: &str, tail: &str, max_segments: usize) -> String {
    let max = max_segments.max(1);
    let body = tidy(body, false);
    let whole = format!("{head}{body}{tail}");
    if segments(&whole) <= max {
        return whole;
    }
    let render = |end: usize| {
        let cut = body[..end].trim_end_matches(|c: char| c.is_whitespace() || ",;:.-".contains(c));
        format!("{head}{cut}{DOTS}{tail}")
    };
    let fits = |end: &usize| segments(&render(*end)) <= max;
    // Longer cuts never take fewer parts, so the fitting cuts are a prefix.
    // (The search is checked: a cut is only taken when it fits.)
    let last_fitting = |cuts: &[usize]| {
        let n = cuts.partition_point(fits);
        cuts[..n].iter().rev().copied().find(fits)
    };
    let words: Vec<usize> = body.match_indices(' ').map(|(i, _)| i).collect();
    let chars: Vec<usize> = body.char_indices().map(|(i, _)| i).skip(1).collect();
    let end = last_fitting(&words)
        .or_else(|| last_fitting(&chars))
        .unwrap_or(0);
    render(end)
}

/// An agency's response to a report, for the reporter: the agency, the text cut at
/// a word boundary so the SMS fits `max_segments` parts (153 septets each in GSM
/// 7-bit, 67 characters in UCS2), and a pointer to `CEK <id>`. The agency name is
/// shortened to a quarter of the GSM 7-bit room.
pub fn agency_response_sms(agency: &str, id: &str, text: &str, max_segments: usize) -> String {
    let name = short_agency(agency, (gsm_capacity(max_segments) / 4).max(20));
    let id = tidy(id, true);
    let tail = format!("\nCek status: kirim CEK {id} ke {SHORT_CODE}.");
    if tidy(text, false).is_empty() {
        return format!("Tanggapan {name} untuk laporan {id} sudah masuk.{tail}");
    }
    fit_free_text(
        &format!("Tanggapan {name} untuk laporan {id}:\n"),
        text,
        &tail,
        max_segments,
    )
}

/// A verifier or agency asks the reporter for more information; `question` is cut
/// like [`agency_response_sms`] cuts a response.
pub fn info_request_sms(id: &str, question: &str, max_segments: usize) -> String {
    let id = tidy(id, true);
    let tail = format!("Jawab: kirim BALAS {id} <jawaban> ke {SHORT_CODE}.");
    if tidy(question, false).is_empty() {
        return format!("Laporan {id} memerlukan informasi tambahan. {tail}");
    }
    fit_free_text(
        &format!("Laporan {id} memerlukan informasi tambahan:\n"),
        question,
        &format!("\n{tail}"),
        max_segments,
    )
}

#[cfg(test)]
mod tests;
