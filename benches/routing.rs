//! Routing at scale: the shipped directory grown to 10,000 agencies and 50,000
//! keyword rules, then one decision for a typical complaint. A decision is one
//! Aho-Corasick pass over the text, so it should take tens of microseconds
//! however many rules there are; the shipped catalog is measured beside it as
//! the baseline.
//!
//!     cargo bench --bench routing

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lapor::routing::{directory::BUILTIN_AGENCIES, rules::BUILTIN_RULES, Catalog, Router, Stated};

const SYLLABLES: [&str; 24] = [
    "ba", "ka", "ma", "ra", "su", "ti", "lo", "ne", "pu", "ga", "da", "wi", "jo", "se", "ha", "ri",
    "to", "mu", "ke", "la", "no", "pa", "si", "yu",
];

/// A made-up word, distinct for distinct `n` (base-24 digits as syllables).
fn word(mut n: usize, prefix: &str) -> String {
    let mut w = String::from(prefix);
    loop {
        w.push_str(SYLLABLES[n % 24]);
        n /= 24;
        if n == 0 {
            break;
        }
    }
    w
}

fn big_catalog(agencies: usize, rules: usize) -> Catalog {
    let mut extra = String::new();
    let builtin = Catalog::load(&lapor::settings::Routing {
        agencies: vec!["builtin".into()],
        rules: vec!["builtin".into()],
        forward_threshold: 0.9,
    })
    .expect("builtin catalog");
    let have = builtin.directory.agencies.len();
    for i in 0..agencies.saturating_sub(have) {
        let _ = write!(
            extra,
            "[[agency]]\ncode = \"x-{i}\"\nname = \"Instansi {}\"\nkind = \"lembaga\"\ntimezone = \"Asia/Jakarta\"\nhandles = [\"{}\"]\naliases = [\"{}\"]\n\n",
            word(i, "in"),
            word(i, "h"),
            word(i, "al")
        );
    }
    let mut rules_toml = String::new();
    for r in 0..rules {
        let agency = format!("x-{}", r % (agencies - have));
        let _ = write!(
            rules_toml,
            "[[keyword]]\nagency = \"{agency}\"\nterms = [\"{}\"]\nscore = 0.4\n\n",
            word(r, "kw")
        );
    }
    let mut c = builtin;
    c.directory.add_toml("bench", &extra).unwrap();
    c.rules.add_toml("bench", BUILTIN_RULES).ok();
    c.rules.keyword.clear();
    c.rules.add_toml("bench-rules", &rules_toml).unwrap();
    c
}

const TEXT: &str = "Selamat siang. Saya ingin melaporkan jalan berlubang di depan SD Negeri 3 \
Kota Bandung yang sudah tiga bulan tidak diperbaiki. Sudah ada dua pengendara motor yang jatuh \
minggu lalu. Mohon @kemenpu dan pemerintah kota segera menindaklanjuti, terima kasih. \
Saya juga sudah lapor ke kelurahan tetapi belum ada tanggapan sama sekali kwbakakw.";

fn routing(c: &mut Criterion) {
    let _ = BUILTIN_AGENCIES;
    let shipped = Router::new(
        Catalog::load(&lapor::settings::Routing {
            agencies: vec!["builtin".into()],
            rules: vec!["builtin".into()],
            forward_threshold: 0.9,
        })
        .unwrap(),
    );
    let start = std::time::Instant::now();
    let catalog = big_catalog(10_000, 50_000);
    let n_agencies = catalog.directory.agencies.len();
    let n_rules = catalog.rules.keyword.len();
    let big = Router::new(catalog);
    eprintln!(
        "built a router over {n_agencies} agencies and {n_rules} keyword rules in {:?}",
        start.elapsed()
    );
    let d = big.decide(TEXT, &Stated::default());
    assert_eq!(d.agency.as_deref(), Some("kemenpu"), "{d:?}");
    let mut g = c.benchmark_group("routing_decision");
    g.bench_function("shipped_catalog", |b| {
        b.iter(|| shipped.decide(black_box(TEXT), &Stated::default()))
    });
    g.bench_function("10k_agencies_50k_rules", |b| {
        b.iter(|| big.decide(black_box(TEXT), &Stated::default()))
    });
    g.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
