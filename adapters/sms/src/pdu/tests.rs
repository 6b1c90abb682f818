//! Unit tests of the whole codec on the classic published examples ("hellohello" from
//! TS 23.038 §6.1.2.1.1 and its well-known SMS-DELIVER, the TS 23.040 time-zone rule) and
//! on the shapes lapord sends and receives.

use super::*;

fn dec(hex: &str) -> Pdu {
    decode(hex, Framing::WithSmsc, TypeHint::ByMti).unwrap()
}

#[test]
fn hellohello_deliver() {
    let p = dec("07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37");
    let Pdu::Deliver(d) = &p else {
        panic!("not a deliver")
    };
    assert_eq!(d.smsc.as_ref().unwrap().value, "+12345678901");
    assert_eq!(d.sender.value, "+18005551212");
    assert_eq!(d.sender.ton, TypeOfNumber::International);
    assert_eq!(d.scts.to_rfc3339(), "2011-01-01T12:34:56+00:00");
    assert_eq!(p.text(), Some("hellohello"));
    assert_eq!(p.tpdu_len(), 28);
}

#[test]
fn hellohello_submit_round_trip() {
    let parts = encode_submit("+46708251358", "hellohello", &SubmitOptions::default()).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(
        parts[0].pdu_hex,
        "0001000B916407281553F800000AE8329BFD4697D9EC37"
    );
    assert_eq!(parts[0].tpdu_len, 22);
    let p = dec(&parts[0].pdu_hex);
    assert_eq!(p.kind(), PduKind::Submit);
    assert_eq!(p.address().value, "+46708251358");
    assert_eq!(p.text(), Some("hellohello"));
}

#[test]
fn indonesian_alphanumeric_sender_and_wib_zone() {
    // From "Telkomsel", 2024-03-05 09:30:00 +07:00, "Halo"
    let sender = "Telkomsel";
    let septets = gsm7::to_septets(sender).unwrap();
    let body = gsm7::pack(&septets);
    let text = to_hex(&gsm7::pack(&gsm7::to_septets("Halo").unwrap()));
    let pdu = format!(
        "0004{:02X}D0{}0000{}04{text}",
        body.len() * 2,
        to_hex(&body),
        "42305090030082"
    );
    let p = decode(
        pdu.as_str(),
        Framing::WithSmsc,
        TypeHint::Expect(PduKind::Deliver),
    )
    .unwrap();
    assert_eq!(p.address().value, "Telkomsel");
    assert_eq!(p.address().ton, TypeOfNumber::Alphanumeric);
    let Pdu::Deliver(d) = &p else { unreachable!() };
    assert_eq!(d.scts.tz_quarter_hours, 28);
    assert_eq!(d.scts.to_rfc3339(), "2024-03-05T09:30:00+07:00");
    assert_eq!(p.text(), Some("Halo"));
}

#[test]
fn status_report_classification() {
    let p = dec("0006230E9126983575169498610103409544C26101034095448200");
    let Pdu::StatusReport(s) = &p else { panic!() };
    assert_eq!(s.message_ref, 35);
    assert_eq!(s.recipient.value, "+62895357614989");
    assert_eq!(s.outcome(), DeliveryOutcome::Delivered);
    assert_eq!(s.discharge.to_rfc3339(), "2016-10-30T04:59:44+07:00");
    assert_eq!(DeliveryOutcome::from_status(0x30), DeliveryOutcome::Pending);
    assert_eq!(DeliveryOutcome::from_status(0x43), DeliveryOutcome::Failed);
    assert_eq!(DeliveryOutcome::from_status(0x62), DeliveryOutcome::Failed);
}

#[test]
fn fill_bits_after_a_udh() {
    // Part 1 of 2, ref 0x2E: "Hakuna" after a 6-octet UDH (1 fill bit).
    let p = dec("07919730071111F1400B919746121611F10000100161916223230D0500032E020190E175DD1D06");
    assert_eq!(p.text(), Some("Hakuna"));
    assert_eq!(
        p.concat(),
        Some(Concat {
            reference: 0x2E,
            total: 2,
            seq: 1,
            ref_bits: 8
        })
    );
}

#[test]
fn ucs2_emoji_and_8bit_data() {
    let p = dec("07913306092041F0040B913306991364F60008619091516061800AD83DDE03D83DDE0E0020");
    assert_eq!(p.text(), Some("😃😎 "));
    let p = dec("07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE");
    assert_eq!(p.text(), None);
    assert_eq!(
        to_hex(&p.user_data().unwrap().payload),
        "E8329BFD4697D9EC37DE"
    );
}

#[test]
fn errors_name_the_octet() {
    let e = decode(
        "0043010C910661345542F60008A0050003000301306F3044",
        Framing::WithSmsc,
        TypeHint::ByMti,
    );
    assert_eq!(
        e,
        Err(PduError::ReservedMti {
            offset: 1,
            first_octet: 0x43
        })
    );
    let e = decode("07911614220991", Framing::WithSmsc, TypeHint::ByMti).unwrap_err();
    assert!(matches!(e, PduError::Truncated { offset: 2, .. }), "{e}");
    let e = decode("0A1", Framing::Tpdu, TypeHint::ByMti).unwrap_err();
    assert!(matches!(e, PduError::BadHex { index: 2, .. }), "{e}");
    let e = decode(
        "0001000B",
        Framing::WithSmsc,
        TypeHint::Expect(PduKind::Deliver),
    )
    .unwrap_err();
    assert!(
        matches!(e, PduError::UnexpectedType { offset: 1, .. }),
        "{e}"
    );
}

#[test]
fn long_gsm7_splits_at_153_and_never_splits_an_escape() {
    let text = "a".repeat(152) + "€" + "bbbbbbb";
    let parts = encode_submit(
        "+6281234567890",
        &text,
        &SubmitOptions {
            concat_ref: 7,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(parts.len(), 2);
    let decoded: Vec<Pdu> = parts.iter().map(|p| dec(&p.pdu_hex)).collect();
    assert_eq!(decoded[0].text().unwrap().len(), 152);
    assert_eq!(decoded[1].text(), Some("€bbbbbbb"));
    assert_eq!(assemble(decoded.iter().rev()).unwrap(), text);
    assert_eq!(segments(&"x".repeat(160)), 1);
    assert_eq!(segments(&"x".repeat(161)), 2);
    assert_eq!(segments(&"€".repeat(80)), 1);
    assert_eq!(segments(&"€".repeat(81)), 2);
    assert_eq!(segments(""), 1);
}

#[test]
fn long_ucs2_splits_at_67_and_never_splits_a_surrogate_pair() {
    let text = "x".repeat(66) + "😃" + "yyy";
    assert_eq!(gsm7_septets(&text), None);
    let parts = encode_submit("+6281234567890", &text, &SubmitOptions::default()).unwrap();
    assert_eq!(parts.len(), 2);
    let decoded: Vec<Pdu> = parts.iter().map(|p| dec(&p.pdu_hex)).collect();
    assert_eq!(decoded[1].text(), Some("😃yyy"));
    assert_eq!(assemble(&decoded).unwrap(), text);
    assert_eq!(segments(&"é".repeat(70)), 1);
    assert_eq!(segments(&"ı".repeat(71)), 2);
}

#[test]
fn assemble_tolerates_duplicates_and_reports_missing() {
    let a = dec("07919730071111F1400B919746121611F10000100161916223230D0500032E020190E175DD1D06");
    let b = dec("07919730071111F1400B919746121611F10000100161916233230E0500032E020240ED303D4C0F03");
    assert_eq!(assemble([&b, &a, &b]).unwrap(), "Hakuna matata");
    assert_eq!(assemble([&a]), Err(AssembleError::Missing(vec![2])));
    assert_eq!(assemble(std::iter::empty()), Err(AssembleError::Empty));
}

#[test]
fn status_report_request_validity_and_smsc() {
    let opts = SubmitOptions {
        request_status_report: true,
        validity: Some(Validity::Relative { minutes: 24 * 60 }),
        message_ref: 9,
        smsc: Some("+6281100000".into()),
        ..Default::default()
    };
    let parts = encode_submit("1708", "Laporan diterima", &opts).unwrap();
    let p = &parts[0];
    assert!(p.pdu_hex.starts_with("06912618010000"), "{}", p.pdu_hex);
    assert_eq!(p.tpdu_len * 2 + 14, p.pdu_hex.len());
    let Pdu::Submit(s) = dec(&p.pdu_hex) else {
        panic!()
    };
    assert!(s.status_report_requested());
    assert_eq!(s.message_ref, 9);
    assert_eq!(s.recipient.value, "1708");
    assert_eq!(s.recipient.toa, 0x81);
    assert_eq!(s.validity, Some(Validity::Relative { minutes: 1440 }));
}

#[test]
fn clean_pdu_line_strips_modem_junk() {
    assert_eq!(clean_pdu_line(" 0791AB\",0\r\n"), "0791AB");
    assert_eq!(clean_pdu_line("00\""), "00");
}
