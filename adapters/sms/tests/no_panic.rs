//! Robustness: `decode` must return `Ok` or `Err` for any input, never panic. Random
//! bytes, random hex text, and random truncations and corruptions of valid PDUs.

use lapor_sms::{decode, encode_submit, segments, Framing, PduKind, SubmitOptions, TypeHint};
use proptest::prelude::*;

const VALID: &[&str] = &[
    "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37",
    "0791447758100650040DD0F334FC1CA6970100008080312170224008D4F29CDE0EA7D9",
    "07919730071111F1400B919746121611F10000811170021222230E06080412340201C8329BFD6601",
    "07913306092041F0040B913306991364F60008619091516061800AD83DDE03D83DDE0E0020",
    "0006230E9126983575169498610103409544C26101034095448200",
    "0242049136195150713220052351408132200542AB0604067265706F7274",
    "0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
    "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
    "07914140279510F6440A8111110301003BF56080207130238A3B0B05040B8423F000032A0202362E3130322E",
    "07919730071111F1400B919746121611F10000811170021222230B06080412350201C8340B",
    "0041000b817777777777f700005d060504157800004de1135b851283d4e2afdd8bd576f3b2dc5e96f7dc61",
];

fn hints() -> impl Strategy<Value = TypeHint> {
    prop_oneof![
        Just(TypeHint::ByMti),
        Just(TypeHint::Expect(PduKind::Deliver)),
        Just(TypeHint::Force(PduKind::Deliver)),
        Just(TypeHint::Force(PduKind::Submit)),
        Just(TypeHint::Force(PduKind::StatusReport)),
    ]
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![Just(Framing::WithSmsc), Just(Framing::Tpdu)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), f in framing(), h in hints()) {
        let _ = decode(&bytes, f, h);
    }

    #[test]
    fn random_hex_text_never_panics(s in "[0-9A-Fa-f \"=,p]{0,120}", f in framing(), h in hints()) {
        let _ = decode(s.as_str(), f, h);
    }

    #[test]
    fn truncated_and_corrupted_valid_pdus_never_panic(
        i in 0..VALID.len(),
        cut in 0usize..200,
        flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..4),
        f in framing(),
        h in hints(),
    ) {
        let mut b = lapor_sms::parse_hex(VALID[i]).unwrap();
        for (at, v) in flips {
            if !b.is_empty() {
                let n = at % b.len();
                b[n] = v;
            }
        }
        b.truncate(cut.min(b.len()));
        let _ = decode(&b, f, h);
        let hex = lapor_sms::to_hex(&b);
        let _ = decode(&hex[..hex.len().saturating_sub(cut % 3)], f, h);
    }

    #[test]
    fn encoder_output_decodes_back(text in "\\PC{0,400}") {
        let parts = encode_submit("+6281234567890", &text, &SubmitOptions::default()).unwrap();
        prop_assert_eq!(parts.len(), segments(&text));
        let mut joined = String::new();
        for p in &parts {
            let pdu = decode(p.pdu_hex.as_str(), Framing::WithSmsc, TypeHint::Expect(PduKind::Submit)).unwrap();
            prop_assert_eq!(p.tpdu_len, pdu.tpdu_len());
            joined.push_str(pdu.text().unwrap());
        }
        prop_assert_eq!(joined, text);
    }
}
