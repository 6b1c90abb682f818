//! The PDU codec on the shapes the modem loop handles: one GSM 7-bit SMS-DELIVER, one
//! UCS2 SMS-DELIVER with emoji, a 4-part concatenated message decoded and assembled, and
//! encoding a full 160-character GSM reply and a 3-part UCS2 reply. The inputs are built
//! with the codec's own encoder outside the measured loops.
//!
//!     cargo bench -p lapor-sms --bench pdu

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lapor_sms::{
    assemble, decode, encode_deliver, encode_submit, DeliverOptions, Framing, Pdu, Scts,
    SubmitOptions, TypeHint,
};

const SENDER: &str = "+6281234567890";
const REPORT: &str = "Jalan di depan SDN 3 Cibubur rusak parah, banyak lubang. Mohon segera \
diperbaiki sebelum musim hujan. Terima kasih. ";

fn scts() -> Scts {
    Scts {
        year: 2024,
        month: 3,
        day: 5,
        hour: 9,
        minute: 30,
        second: 0,
        tz_quarter_hours: 28,
    }
}

fn deliver_hex(text: &str) -> String {
    encode_deliver(SENDER, text, &scts(), &DeliverOptions::default())
        .expect("encode deliver")
        .pdu_hex
}

/// The parts of a 4-part GSM 7-bit message, as SMS-SUBMIT PDUs (the decoder reads their
/// concatenation header exactly as a DELIVER's).
fn four_parts() -> Vec<String> {
    let text: String = REPORT.chars().cycle().take(153 * 4 - 20).collect();
    let parts = encode_submit(SENDER, &text, &SubmitOptions::default()).expect("encode");
    assert_eq!(parts.len(), 4);
    parts.into_iter().map(|p| p.pdu_hex).collect()
}

fn decoding(c: &mut Criterion) {
    let gsm = deliver_hex(&REPORT.chars().cycle().take(160).collect::<String>());
    c.bench_function("decode GSM 7-bit DELIVER (160 chars)", |b| {
        b.iter(|| decode(black_box(gsm.as_str()), Framing::WithSmsc, TypeHint::ByMti).unwrap())
    });
    let ucs2 = deliver_hex("Banjir 50 cm di Kampung Melayu 😢 mohon bantuan perahu karet 🙏");
    c.bench_function("decode UCS2 DELIVER (emoji)", |b| {
        b.iter(|| decode(black_box(ucs2.as_str()), Framing::WithSmsc, TypeHint::ByMti).unwrap())
    });
    let parts = four_parts();
    c.bench_function("decode + assemble 4-part GSM 7-bit", |b| {
        b.iter(|| {
            let pdus: Vec<Pdu> = black_box(&parts)
                .iter()
                .map(|h| decode(h.as_str(), Framing::WithSmsc, TypeHint::ByMti).unwrap())
                .collect();
            assemble(&pdus).unwrap()
        })
    });
}

fn encoding(c: &mut Criterion) {
    let opts = SubmitOptions::default();
    let gsm: String = REPORT.chars().cycle().take(160).collect();
    c.bench_function("encode_submit 160-char GSM 7-bit", |b| {
        b.iter(|| encode_submit(SENDER, black_box(&gsm), &opts).unwrap())
    });
    let ucs2: String = "Laporan Anda diterima 🙏 "
        .chars()
        .cycle()
        .take(180)
        .collect();
    assert_eq!(encode_submit(SENDER, &ucs2, &opts).unwrap().len(), 3);
    c.bench_function("encode_submit 3-part UCS2", |b| {
        b.iter(|| encode_submit(SENDER, black_box(&ucs2), &opts).unwrap())
    });
}

criterion_group!(benches, decoding, encoding);
criterion_main!(benches);
