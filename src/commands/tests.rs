use proptest::prelude::*;

use super::*;
use crate::tracking::Minter;

fn id(n: u64) -> TrackingId {
    Minter::new(b"commands test key").mint(n).unwrap()
}

/// The ten digits of `id` with the check digit changed: right shape, wrong check.
fn bad_check(id: TrackingId) -> String {
    let mut s = id.to_string().into_bytes();
    s[LEN - 1] = b'0' + (s[LEN - 1] - b'0' + 1) % 10;
    String::from_utf8(s).unwrap()
}

fn report(text: &str, anonymous: bool, confidential: bool) -> Command {
    Command::NewReport {
        text: text.into(),
        anonymous,
        confidential,
    }
}

#[test]
fn status_queries_as_people_type_them() {
    let i = id(1);
    let s = i.to_string();
    let grouped = format!("{} {} {}", &s[..3], &s[3..6], &s[6..]);
    for text in [
        format!("CEK {s}"),
        format!("cek {s}"),
        format!("cek: {s}"),
        format!("Cek  #{s}."),
        format!("STATUS {s}"),
        format!("status:{s}"),
        format!("  \n CEK {s} \n"),
        format!("CEK{s}"),
        format!("CEK\n{s}"),
        format!("CEK NO {s}"),
        format!("cek no.{s}"),
        format!("Status laporan {s}"),
        format!("CEK {grouped}"),
        format!("CEK {s} tolong dicek ya"),
        format!("cek - {s}!"),
        s.clone(),
        format!("#{s}"),
        format!(" {s}. "),
    ] {
        assert_eq!(parse(&text), Command::Status { id: i }, "{text:?}");
    }
}

#[test]
fn replies_satisfaction_and_closing() {
    let i = id(2);
    let s = i.to_string();
    let reply = |t: &str| Command::Reply {
        id: i,
        text: t.into(),
    };
    assert_eq!(
        parse(&format!("BALAS {s} jalan masih rusak")),
        reply("jalan masih rusak")
    );
    assert_eq!(
        parse(&format!("balas #{s}: sudah saya foto")),
        reply("sudah saya foto")
    );
    assert_eq!(
        parse(&format!("Balas {s}\nBaris satu\nBaris dua")),
        reply("Baris satu\nBaris dua")
    );
    // Digits after a complete ID belong to the text.
    assert_eq!(
        parse(&format!("BALAS {s} 2 lubang lagi")),
        reply("2 lubang lagi")
    );
    assert_eq!(parse(&format!("BALAS {s}")), Command::EmptyReply { id: i });
    assert_eq!(
        parse(&format!("balas {s} :- ")),
        Command::EmptyReply { id: i }
    );
    assert_eq!(parse(&format!("PUAS {s}")), Command::Satisfied { id: i });
    assert_eq!(
        parse(&format!("puas {s} terima kasih")),
        Command::Satisfied { id: i }
    );
    assert_eq!(parse(&format!("TUTUP {s}")), Command::Close { id: i });
    assert_eq!(parse(&format!("Tutup: #{s}")), Command::Close { id: i });
}

#[test]
fn help_only_when_alone() {
    for text in [
        "INFO",
        "info",
        " Bantuan ",
        "HELP",
        "info?",
        "INFO!!",
        "Bantuan.\n",
    ] {
        assert_eq!(parse(text), Command::Help, "{text:?}");
    }
    for text in [
        "Info jalan rusak di Jl. Sudirman",
        "INFO: lampu jalan mati",
        "Bantuan sosial tidak sampai ke warga",
        "Infonya jalan rusak",
    ] {
        assert_eq!(parse(text), report(text, false, false), "{text:?}");
    }
}

#[test]
fn a_missing_or_malformed_id_is_invalid() {
    use Problem::*;
    let cases = [
        ("CEK", Verb::Status, MissingId),
        ("cek ", Verb::Status, MissingId),
        ("CEK?", Verb::Status, MissingId),
        ("cek nomor", Verb::Status, MissingId),
        ("STATUS abc", Verb::Status, MalformedId),
        ("CEK abc", Verb::Status, MalformedId),
        ("CEK 12345", Verb::Status, MalformedId),
        ("CEK 081234567890", Verb::Status, MalformedId),
        ("CEK 0123456789", Verb::Status, MalformedId),
        ("CEK #12", Verb::Status, MalformedId),
        ("cek 1234567 tolong", Verb::Status, MalformedId),
        ("BALAS", Verb::Reply, MissingId),
        ("BALAS xyz", Verb::Reply, MalformedId),
        ("BALAS 123456 masih rusak", Verb::Reply, MalformedId),
        ("PUAS", Verb::Satisfied, MissingId),
        ("PUAS 12ab", Verb::Satisfied, MalformedId),
        ("TUTUP", Verb::Close, MissingId),
        ("tutup laporan", Verb::Close, MissingId),
        ("TUTUP 99", Verb::Close, MalformedId),
    ];
    for (text, kind, reason) in cases {
        assert_eq!(parse(text), Command::Invalid { kind, reason }, "{text:?}");
    }
}

#[test]
fn a_wrong_check_digit_is_an_invalid_id_not_a_report() {
    let bad = bad_check(id(3));
    assert!(matches!(
        tracking::parse(&bad),
        Err(ParseError::BadCheckDigit)
    ));
    for (text, kind) in [
        (format!("CEK {bad}"), Verb::Status),
        (format!("status #{bad}."), Verb::Status),
        (format!("BALAS {bad} masih rusak"), Verb::Reply),
        (format!("BALAS {bad}"), Verb::Reply),
        (format!("PUAS {bad}"), Verb::Satisfied),
        (format!("TUTUP {bad}"), Verb::Close),
    ] {
        assert_eq!(
            parse(&text),
            Command::InvalidId {
                kind,
                digits: bad.clone()
            },
            "{text:?}"
        );
    }
    // Without a command word it is just text.
    let text = format!("{bad} jalan rusak");
    assert_eq!(parse(&text), report(&text, false, false));
}

#[test]
fn a_complaint_that_starts_with_a_command_word_stays_a_complaint() {
    for text in [
        "Tutup 3 hari jalan ditutup tanpa pemberitahuan",
        "Puas sekali dengan pelayanan puskesmas",
        "Status jalan ini belum jelas sejak 2023",
        "Status laporan saya belum ada kabar",
        "Cek dong jalan di depan rumah",
        "Balas dendam preman pasar",
        "Cekal pejabat korup",
        "Tutupnya kapan?",
    ] {
        assert_eq!(parse(text), report(text, false, false), "{text:?}");
    }
}

#[test]
fn a_bare_id_with_text_is_a_candidate_reply() {
    let i = id(4);
    let s = i.to_string();
    let text = format!("{s} jalan masih rusak");
    let c = parse(&format!("  {text}\n"));
    assert_eq!(
        c,
        Command::MaybeReply {
            id: i,
            text: "jalan masih rusak".into(),
            original: text.clone(),
        }
    );
    // Not the sender's report: the whole text is a new report.
    assert_eq!(c.not_a_reply(), report(&text, false, false));
    assert_eq!(
        parse(&format!("#{s}: ok")),
        Command::MaybeReply {
            id: i,
            text: "ok".into(),
            original: format!("#{s}: ok"),
        }
    );
    // Other commands are left as they are.
    assert_eq!(Command::Help.not_a_reply(), Command::Help);
    // A first word that is not a valid ID is a report.
    for text in [
        "17 Agustus jalan rusak",
        "2024 banjir lagi",
        "123 456 7890 ada",
        "12345678901 nomor ini",
    ] {
        assert_eq!(parse(text), report(text, false, false), "{text:?}");
    }
}

#[test]
fn prefixes_set_anonymous_and_confidential() {
    let cases = [
        ("ANONIM jalan rusak", "jalan rusak", true, false),
        ("anonim: jalan rusak", "jalan rusak", true, false),
        ("RAHASIA jalan rusak", "jalan rusak", false, true),
        ("ANONIM RAHASIA jalan rusak", "jalan rusak", true, true),
        ("rahasia, anonim.\njalan rusak", "jalan rusak", true, true),
        ("Anonim Anonim jalan", "Anonim jalan", true, false),
        ("Anonimnya jalan", "Anonimnya jalan", false, false),
        ("RAHASIA 17 Agustus", "17 Agustus", false, true),
        ("ANONIM CEK 1234567890", "CEK 1234567890", true, false),
        ("jalan rusak ANONIM", "jalan rusak ANONIM", false, false),
    ];
    for (text, body, a, c) in cases {
        assert_eq!(parse(text), report(body, a, c), "{text:?}");
    }
    for text in ["", "   \n", "ANONIM", "rahasia anonim", "ANONIM:"] {
        assert_eq!(parse(text), Command::Empty, "{text:?}");
    }
}

#[test]
fn command_words_are_recognised_as_such() {
    for w in [
        "cek", "STATUS", "Balas", "puas", "TUTUP", "info", "BANTUAN", "help",
    ] {
        assert!(is_command_word(w), "{w}");
    }
    for w in ["ANONIM", "RAHASIA", "cekal", "laporan", ""] {
        assert!(!is_command_word(w), "{w}");
    }
}

/// A first word that is no command, no prefix and no valid ID.
fn first_word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9#.,:!?()'\"/-]{0,14}|[éñü😀][a-z]{0,5}".prop_filter(
        "a command word, prefix or valid ID",
        |w| {
            let (letters, _) = leading_word(w);
            let end = w.trim_end_matches(|c: char| ":;,.!?".contains(c));
            !is_command_word(letters)
                && !letters.eq_ignore_ascii_case(ANONYMOUS)
                && !letters.eq_ignore_ascii_case(CONFIDENTIAL)
                && tracking::parse(end).is_err()
        },
    )
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,80}", raw in any::<String>()) {
        let _ = parse(&text);
        let _ = parse(&raw);
    }

    #[test]
    fn parse_never_panics_near_commands(
        word in "(?i)(cek|status|balas|puas|tutup|info|bantuan|anonim|rahasia)",
        rest in "[ #:.0-9a-z\n-]{0,30}",
    ) {
        let _ = parse(&format!("{word}{rest}"));
    }

    #[test]
    fn text_without_a_command_word_is_a_report_of_that_text(
        anonymous in any::<bool>(),
        confidential in any::<bool>(),
        swap in any::<bool>(),
        first in first_word(),
        rest in "([ \n\t]+[^ \n\t]{1,10}){0,8}",
        pad in "[ \n]{0,3}",
    ) {
        let body = format!("{first}{rest}");
        let mut prefixes = Vec::new();
        if anonymous { prefixes.push("ANONIM "); }
        if confidential { prefixes.push("rahasia: "); }
        if swap { prefixes.reverse(); }
        let text = format!("{pad}{}{body}{pad}", prefixes.concat());
        prop_assert_eq!(parse(&text), report(body.trim(), anonymous, confidential));
    }

    #[test]
    fn every_valid_id_is_understood_in_every_command(n in 0u64..900_000_000, text in "[a-z][a-z ]{0,20}") {
        let i = id(n);
        let s = i.to_string();
        prop_assert_eq!(parse(&format!("cek {s}")), Command::Status { id: i });
        prop_assert_eq!(parse(&format!("PUAS #{s}")), Command::Satisfied { id: i });
        prop_assert_eq!(parse(&format!("tutup {s}.")), Command::Close { id: i });
        prop_assert_eq!(
            parse(&format!("BALAS {s} {text}")),
            Command::Reply { id: i, text: text.trim().to_string() }
        );
    }
}
