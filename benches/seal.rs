//! What sealing one report's identity costs on the CPU (criterion): the
//! reporter's fields as one value, the message id, the two blind indexes (the
//! deduplication key and the address), as the intake does for a webhook report.
//! `scripts/bench-identity-cost.sh` measures the whole daemon; this isolates
//! the cryptography.
//!
//!     cargo bench --bench seal

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lapor::identity::{self, Identity};
use lapor::privacy::cipher::{self, Field};
use lapor::privacy::Keyring;

fn webhook_identity() -> Identity {
    let body = r#"{"text":"Jalan berlubang di depan sekolah nomor 123456, sudah tiga bulan tidak diperbaiki. Mohon ditindaklanjuti @kemenpu","reporter":{"user_id":"u12-123456","phone":"081200123456"}}"#;
    Identity {
        address_kind: "partner".into(),
        address: Some(r#"{"source":"bench","user_id":"u12-123456"}"#.into()),
        name: None,
        contacts: Some(r#"[{"kind":"phone","value":"+6281200123456"}]"#.into()),
        raw: Some(body.as_bytes().to_vec()),
    }
}

fn bench(c: &mut Criterion) {
    let keys = Keyring::generate();
    let id = webhook_identity();
    c.bench_function(
        "seal a webhook report's identity (reporter + message id + 2 HMACs)",
        |b| {
            b.iter(|| {
                let r = identity::seal(&keys, black_box(42), black_box(&id));
                let m = cipher::seal(
                    &keys,
                    Field::MessageId,
                    42,
                    b"bench:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                );
                let k = identity::message_key(
                    &keys,
                    "webhook",
                    "bench:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                );
                black_box((r, m, k))
            })
        },
    );
    let sealed = identity::seal(&keys, 42, &id);
    let rec = lapor::store::ReporterRecord {
        address_kind: sealed.address_kind.clone(),
        identity_enc: Some(sealed.identity_enc.clone()),
        ..Default::default()
    };
    c.bench_function("open a reporter", |b| {
        b.iter(|| black_box(identity::open(&keys, 42, black_box(&rec)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
