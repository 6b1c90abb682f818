use proptest::prelude::*;

use super::*;
use crate::routing::{Catalog, Directory};
use crate::tracking::{Minter, LEN};

/// The directory as the daemon loads it with the shipped default settings.
fn directory() -> Directory {
    let settings = crate::settings::load(None, Vec::<(String, String)>::new()).unwrap();
    Catalog::load(&settings.routing).unwrap().directory
}

fn id() -> TrackingId {
    let id = Minter::new(b"replies test key").mint(899_999_999).unwrap();
    // Every ID is ten digits: this one is as long as any.
    assert_eq!(gsm7_septets(&id.to_string()), Some(LEN));
    id
}

/// Every one-segment template, named.
fn one_segment(
    id: TrackingId,
    state: State,
    agency: &str,
    reason: NotProcessedReason,
) -> Vec<(&'static str, String)> {
    let mut all = vec![
        ("received", received(id, false, false)),
        ("received anonymous", received(id, true, false)),
        ("received confidential", received(id, false, true)),
        ("received both", received(id, true, true)),
        ("received incomplete", received_incomplete(id)),
        ("status", status(id, state, Some(agency))),
        ("status in verification", status(id, state, None)),
        ("unknown id", unknown_id(id)),
        ("invalid id", invalid_id(&"9".repeat(40))),
        ("empty reply", empty_reply(id)),
        ("reply recorded", reply_recorded(id)),
        ("not yours", not_yours(id)),
        ("satisfied", satisfied_accepted(id)),
        ("close", close_accepted(id)),
        ("too early", feedback_too_early(id)),
        ("already closed", already_closed(id)),
        ("help", help()),
        ("unreadable", unreadable()),
        ("forwarded", forwarded(id, agency)),
        ("followed up", followed_up(id, agency)),
        ("closed", closed(id)),
        ("not processed", not_processed(id, reason)),
        ("info request", info_request_sms(&id.to_string(), "", 1)),
        (
            "empty response",
            agency_response_sms(agency, &id.to_string(), " ", 1),
        ),
    ];
    for kind in [Verb::Status, Verb::Reply, Verb::Satisfied, Verb::Close] {
        for reason in [Problem::MissingId, Problem::MalformedId] {
            all.push(("invalid command", invalid_command(kind, reason)));
        }
    }
    all
}

#[test]
fn every_template_fits_one_gsm_segment_with_the_longest_real_values() {
    let dir = directory();
    let agency = dir
        .agencies
        .iter()
        .map(|a| a.name.as_str())
        .max_by_key(|n| n.chars().count())
        .unwrap();
    let state = *State::ALL
        .iter()
        .max_by_key(|s| s.label().len() + s.colour().as_str().len())
        .unwrap();
    let reason = *NotProcessedReason::ALL
        .iter()
        .max_by_key(|r| r.text().len())
        .unwrap();
    let id = id();
    for (name, text) in one_segment(id, state, agency, reason) {
        assert!(
            sms_segments_ok(&text),
            "{name}: {:?} septets: {text}",
            gsm7_septets(&text)
        );
        assert!(!text.contains("...."), "{name}: {text}");
    }
    // And every agency, state and reason, not only the longest.
    for a in &dir.agencies {
        for &s in State::ALL {
            let text = status(id, s, Some(&a.name));
            assert!(sms_segments_ok(&text), "{text}");
        }
        for text in [forwarded(id, &a.name), followed_up(id, &a.name)] {
            assert!(sms_segments_ok(&text), "{text}");
            assert!(!text.contains("...."), "{text}");
        }
    }
    for &r in NotProcessedReason::ALL {
        assert!(sms_segments_ok(&not_processed(id, r)));
    }
}

#[test]
fn real_agency_names_are_shortened_as_documented() {
    let dir = directory();
    let id = id();
    type Template = fn(TrackingId, &str) -> String;
    let templates: [(Template, String); 2] = [
        (forwarded, format!("Laporan {id} diteruskan ke ")),
        (followed_up, format!("Laporan {id} ditindaklanjuti oleh ")),
    ];
    for (template, prefix) in &templates {
        let mut shortened = 0;
        for a in &dir.agencies {
            let text = template(id, &a.name);
            let shown = text
                .strip_prefix(prefix.as_str())
                .and_then(|t| t.split_once(" Cek status: ").map(|(n, _)| n))
                .map(|n| match n.ends_with(DOTS) {
                    true => n,
                    false => n.strip_suffix('.').unwrap_or(n),
                })
                .unwrap_or_else(|| panic!("{text}"));
            let before_slash = a.name.split('/').next().unwrap().trim_end();
            let ok = shown == a.name
                || shown == before_slash
                || shown
                    .strip_suffix(DOTS)
                    .is_some_and(|p| !p.is_empty() && before_slash.starts_with(p));
            assert!(ok, "{} shown as {shown}", a.name);
            shortened += usize::from(shown != a.name);
        }
        println!("{prefix}: {shortened} agency names shortened");
    }
    // The directory is all GSM 7-bit ASCII; names need no character replaced.
    assert!(dir.agencies.iter().all(|a| tidy(&a.name, true) == a.name));
}

#[test]
fn status_shows_state_colour_and_agency() {
    let id = id();
    for &s in State::ALL {
        let text = status(id, s, None);
        assert!(text.starts_with(&format!("Laporan {id} ({}): {}.", s.colour(), s.label())));
        assert!(!text.contains("Instansi"), "{text}");
    }
    let text = status(id, State::Diteruskan, Some("Kementerian Kesehatan"));
    assert_eq!(
        text,
        format!("Laporan {id} (merah): diteruskan ke instansi. Instansi: Kementerian Kesehatan.")
    );
    assert!(status(id, State::MenungguInfo, None).contains(&format!("BALAS {id}")));
    assert!(status(id, State::Ditindaklanjuti, Some("X")).contains(&format!("PUAS {id}")));
    // An empty agency is no agency.
    assert_eq!(
        status(id, State::Selesai, Some(" ")),
        status(id, State::Selesai, None)
    );
}

#[test]
fn replies_carry_the_id_and_the_short_code() {
    let id = id();
    let s = id.to_string();
    assert_eq!(
        received(id, false, false),
        format!("Laporan Anda diterima. Nomor: {s}. Cek status: kirim CEK {s} ke 1708.")
    );
    assert!(received(id, true, true).contains("dirahasiakan"));
    assert_ne!(received(id, true, false), received(id, false, true));
    for text in [
        unknown_id(id),
        not_yours(id),
        reply_recorded(id),
        feedback_too_early(id),
        closed(id),
        forwarded(id, "Kota Bandung"),
    ] {
        assert!(text.contains(&s), "{text}");
    }
    assert!(feedback_too_early(id).contains("masih diproses"));
    assert!(invalid_id("123-456-7891").contains("1234567891 tidak valid"));
    assert!(invalid_id("").starts_with("Nomor laporan tidak valid"));
    assert!(not_processed(id, NotProcessedReason::Duplicate).contains("sudah pernah diterima"));
    let help = help();
    for word in ["CEK", "BALAS", "PUAS", "TUTUP", "ANONIM", "RAHASIA"] {
        assert!(help.contains(word), "{word}");
    }
    assert!(invalid_command(Verb::Reply, Problem::MissingId).contains("BALAS <nomor> <pesan>"));
}

#[test]
fn reason_codes_round_trip() {
    for &r in NotProcessedReason::ALL {
        assert_eq!(NotProcessedReason::from_code(r.code()), Some(r));
    }
    assert_eq!(NotProcessedReason::from_code("lainnya"), None);
}

#[test]
fn one_segment_means_160_septets_of_gsm_7_bit() {
    assert!(sms_segments_ok(&"a".repeat(160)));
    assert!(!sms_segments_ok(&"a".repeat(161)));
    // Extension characters count two.
    assert!(sms_segments_ok(&"€".repeat(80)));
    assert!(!sms_segments_ok(&format!("{}a", "[".repeat(80))));
    // In the alphabet: ä, é; outside it (UCS2): â, "…", emoji.
    assert!(sms_segments_ok("äé"));
    for s in ["â", "…", "😀"] {
        assert!(!sms_segments_ok(s), "{s}");
    }
}

#[test]
fn agency_names_are_shortened_to_fit() {
    let dual =
        "Kementerian Perencanaan Pembangunan Nasional/Badan Perencanaan Pembangunan Nasional";
    assert_eq!(short_agency(dual, 200), dual);
    assert_eq!(
        short_agency(dual, 60),
        "Kementerian Perencanaan Pembangunan Nasional"
    );
    assert_eq!(short_agency(dual, 30), "Kementerian Perencanaan...");
    assert_eq!(
        short_agency(
            "Kementerian Koordinator Bidang Hukum, Hak Asasi Manusia",
            40
        ),
        "Kementerian Koordinator Bidang Hukum..."
    );
    // One long word is cut inside it; tiny budgets never overflow.
    assert_eq!(short_agency("Abcdefghijklmnop", 10), "Abcdefg...");
    assert_eq!(short_agency("Abcdefghijklmnop", 2), "Ab");
    assert_eq!(short_agency("Abcdefghijklmnop", 0), "");
    // Not GSM 7-bit: transliterated or replaced.
    assert_eq!(
        short_agency("Dinas “Cipta” Karya – Médan ☃", 100),
        "Dinas \"Cipta\" Karya - Médan ?"
    );
    assert_eq!(short_agency("  Dinas\n\tPU  ", 100), "Dinas PU");
}

#[test]
fn an_agency_response_fits_when_short() {
    let text = agency_response_sms("Kota Bandung", "1234567890", "Jalan sudah diperbaiki.", 1);
    assert_eq!(
        text,
        "Tanggapan Kota Bandung untuk laporan 1234567890:\nJalan sudah diperbaiki.\n\
         Cek status: kirim CEK 1234567890 ke 1708."
    );
    assert!(sms_segments_ok(&text));
}

/// The body of a cut response: between the head and "...".
fn cut_body(sms: &str) -> &str {
    let (_, rest) = sms.split_once(":\n").unwrap();
    let (body, _) = rest.rsplit_once("\nCek status: ").unwrap();
    body.strip_suffix(DOTS)
        .unwrap_or_else(|| panic!("not cut: {sms}"))
}

#[test]
fn a_long_agency_response_is_cut_at_a_word_to_fit() {
    let dir = directory();
    let agency = dir
        .agencies
        .iter()
        .map(|a| a.name.as_str())
        .max_by_key(|n| n.len())
        .unwrap();
    let words = "Perbaikan jalan di ruas Jalan Sudirman, Kecamatan Coblong, dijadwalkan minggu depan oleh Dinas PU.";
    let long = [words; 20].join(" ");
    for max in 1..=5 {
        let sms = agency_response_sms(agency, "1234567890", &long, max);
        assert!(segments(&sms) <= max, "{max}: {sms}");
        assert!(gsm7_septets(&sms).is_some(), "stays GSM 7-bit");
        assert!(sms.ends_with("CEK 1234567890 ke 1708."), "{sms}");
        let body = cut_body(&sms);
        assert!(long.starts_with(body), "{body}");
        assert!(
            long[body.len()..].starts_with([' ', ',', '.']),
            "cut inside a word: {body}"
        );
        // It is the longest cut: one more word would not fit.
        if max > 1 {
            assert!(segments(&sms) == max, "{max}: wasted room: {sms}");
        }
    }
    // Typographic characters do not turn the SMS into UCS2.
    let sms = agency_response_sms("Kota Bandung", "1234567890", "“Sudah” – selesai…", 1);
    assert!(sms.contains("\"Sudah\" - selesai..."), "{sms}");
    assert!(sms_segments_ok(&sms));
}

#[test]
fn a_response_outside_gsm_7_bit_is_cut_in_ucs2_units() {
    let long = "Mohon maaf 🙏 jalan akan diperbaiki. ".repeat(30);
    for max in 1..=4 {
        let sms = agency_response_sms("Kota Bandung", "1234567890", &long, max);
        assert!(segments(&sms) <= max, "{max}: {sms}");
        if max == 1 {
            // The frame alone is over 70 characters: the cut stops before the emoji
            // and the SMS stays GSM 7-bit.
            assert_eq!(cut_body(&sms), "Mohon maaf");
            assert!(sms_segments_ok(&sms), "{sms}");
            continue;
        }
        assert!(gsm7_septets(&sms).is_none(), "UCS2 kept: {sms}");
        assert!(sms.ends_with("CEK 1234567890 ke 1708."));
        let units: usize = sms.encode_utf16().count();
        assert!(units <= 67 * max, "{units}");
    }
}

#[test]
fn an_information_request_carries_the_question() {
    let sms = info_request_sms("1234567890", "Di RT berapa lokasinya?", 1);
    assert_eq!(
        sms,
        "Laporan 1234567890 memerlukan informasi tambahan:\nDi RT berapa lokasinya?\n\
         Jawab: kirim BALAS 1234567890 <jawaban> ke 1708."
    );
    let sms = info_request_sms("1234567890", &"Mohon kirim foto lokasi. ".repeat(40), 2);
    assert!(segments(&sms) <= 2);
    assert!(sms.ends_with("BALAS 1234567890 <jawaban> ke 1708."));
}

proptest! {
    #[test]
    fn short_agency_always_fits(name in "\\PC{0,150}", max in 0usize..120) {
        let s = short_agency(&name, max);
        prop_assert!(gsm7_septets(&s).is_some_and(|n| n <= max), "{:?} {}", s, max);
    }

    #[test]
    fn templates_fit_whatever_the_agency_is_called(agency in "\\PC{0,200}", n in 0u64..900_000_000) {
        let id = Minter::new(b"k").mint(n).unwrap();
        for &s in State::ALL {
            let text = status(id, s, Some(&agency));
            prop_assert!(sms_segments_ok(&text), "{}", text);
        }
        prop_assert!(sms_segments_ok(&forwarded(id, &agency)));
        prop_assert!(sms_segments_ok(&followed_up(id, &agency)));
    }

    #[test]
    fn free_text_fits_its_segments(
        agency in "\\PC{0,120}",
        text in "\\PC{0,600}",
        max in 1usize..=4,
    ) {
        let sms = agency_response_sms(&agency, "1234567890", &text, max);
        prop_assert!(segments(&sms) <= max, "{}", sms);
        prop_assert!(sms.ends_with("CEK 1234567890 ke 1708."), "{}", sms);
        let sms = info_request_sms("1234567890", &text, max);
        prop_assert!(segments(&sms) <= max, "{}", sms);
    }
}
