//! Gammu (python3-gammu 1.42, Debian's /usr/bin/python3) as an independent oracle for
//! the PDU codec, in both directions, on the same generated texts: random GSM 7-bit text,
//! the extension characters, UCS2 with emoji (surrogate pairs), Indonesian reports, and
//! long multipart messages in both alphabets.
//!
//! - Gammu encodes SMS-DELIVER (and some SMS-SUBMIT) PDUs; lapord's `decode` + `assemble`
//!   must give back the text, the number, the SMSC and the time stamp.
//! - lapord's `encode_submit` / `encode_deliver` write PDUs; Gammu must read the same
//!   text, number, SMSC, coding and concatenation header.
//!
//! Each direction is one Python process fed JSON on stdin (tests/gammu_oracle.py). The
//! texts come from a seeded generator; set `LAPOR_ORACLE_SEED` to replay another run.
//! Without python3-gammu the tests skip, or fail when `CI` is set.

use lapor_sms::*;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const PYTHON: &str = "/usr/bin/python3";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gammu_oracle.py");
const SMSC: &str = "+6281100000";
/// The SCTS given to Gammu; Gammu writes it with zone +00:00.
const GAMMU_SCTS: &str = "2024-03-05T09:30:00";

fn gammu_available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import gammu"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("`{PYTHON} -c 'import gammu'` failed: install python3-gammu (required when CI is set)");
        }
        eprintln!("SKIPPED: python3-gammu is not importable by {PYTHON}");
    }
    ok
}

/// Runs the helper once over all cases; one result per case, in order.
fn oracle(mode: &str, cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new(PYTHON)
        .args([SCRIPT, mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3");
    let input = serde_json::to_vec(cases).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "gammu_oracle.py {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), cases.len());
    results
}

/// SplitMix64: small, seeded, good enough to pick characters.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// The GSM 7-bit default alphabet without the escape (TS 23.038 §6.2.1).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXT: &str = "€[]{}^~\\|";
/// Characters outside GSM 7-bit: Latin with diacritics, CJK, symbols, and emoji outside
/// the BMP (surrogate pairs in UCS2).
const WIDE: &[&str] = &[
    "ş", "ğ", "ı", "ê", "ô", "č", "你", "好", "✓", "→", "😀", "🙏", "👍", "🚧", "🔥", "🇮🇩",
];
const INDONESIAN: &[&str] = &[
    "Jalan di depan SDN 3 Cibubur rusak parah, banyak lubang. Mohon segera diperbaiki.",
    "Lampu PJU di Jl. Sudirman No. 12 mati sejak 3 hari, rawan kecelakaan malam hari.",
    "Pelayanan KTP-el di Kecamatan Tebet lambat: antre 5 jam & petugas tidak ada di tempat.",
    "Sampah menumpuk di TPS Pasar Minggu {RT 05/RW 02}, bau menyengat [foto menyusul].",
    "Terima kasih, laporan Anda #1708-2024-000123 sudah diterima & diteruskan ke instansi.",
    "Banjir setinggi 50 cm di Kampung Melayu 😢 mohon bantuan perahu karet 🙏",
    "Bantuan sosial (bansos) belum cair sejak Januari – tolong dicek, NIK 3174xxxxxxxx.",
    "Pungli di Samsat: diminta \"uang rokok\" Rp 50.000 ~ tanpa kuitansi!",
];

struct Case {
    label: String,
    text: String,
    number: String,
}

impl Case {
    fn gsm(&self) -> bool {
        gsm7_septets(&self.text).is_some()
    }
}

fn random_text(rng: &mut Rng, pools: &[&[char]], len: usize) -> String {
    (0..len)
        .map(|_| {
            let pool = rng.pick(pools);
            rng.pick(pool)
        })
        .collect()
}

fn random_number(rng: &mut Rng, i: usize) -> String {
    let n = rng.range(8, 11);
    let digits: String = (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    match i % 5 {
        0..=2 => format!("+628{digits}"),
        3 => format!("08{digits}"),
        _ => "1708".to_string(),
    }
}

fn cases(seed: u64) -> Vec<Case> {
    let mut rng = Rng(seed);
    let basic: Vec<char> = GSM_BASIC.chars().collect();
    let ext: Vec<char> = GSM_EXT.chars().collect();
    let wide: Vec<char> = WIDE.iter().flat_map(|s| s.chars()).collect();
    let latin: Vec<char> = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ.,!?0123456789"
        .chars()
        .collect();
    let mut texts: Vec<(String, String)> = Vec::new();
    for i in 0..200 {
        let len = rng.range(1, 160);
        texts.push((
            format!("gsm7 random #{i}"),
            random_text(&mut rng, &[&basic], len),
        ));
    }
    for i in 0..60 {
        let len = rng.range(1, 200);
        let t = random_text(&mut rng, &[&basic, &basic, &ext], len);
        texts.push((format!("gsm7 extension random #{i}"), t));
    }
    texts.push(("extension set".into(), "€ [ ] { } ^ ~ \\ |".into()));
    for c in GSM_EXT.chars() {
        texts.push((format!("extension {c:?} alone"), c.to_string()));
    }
    texts.push(("80 euro signs = 160 septets".into(), "€".repeat(80)));
    texts.push(("81 euro signs, multipart".into(), "€".repeat(81)));
    texts.push((
        "escape at a part boundary".into(),
        "a".repeat(152) + "€" + &"b".repeat(20),
    ));
    for i in 0..60 {
        let len = rng.range(1, 150);
        let mut t = random_text(&mut rng, &[&latin, &latin, &wide, &basic], len);
        if gsm7_septets(&t).is_some() {
            t.push('😀');
        }
        texts.push((format!("ucs2 random #{i}"), t));
    }
    texts.push((
        "emoji at the 67-unit boundary".into(),
        "x".repeat(66) + "😃" + "yyy",
    ));
    texts.push(("70 UCS2 units".into(), "é".repeat(69) + "ı"));
    texts.push(("71 UCS2 units".into(), "é".repeat(70) + "ı"));
    for (i, t) in INDONESIAN.iter().enumerate() {
        texts.push((format!("indonesian #{i}"), t.to_string()));
    }
    texts.push(("indonesian, 3 parts".into(), INDONESIAN[..4].join(" ")));
    for n in [160, 161, 306, 307] {
        texts.push((
            format!("{n} GSM characters"),
            "1234567890".repeat(31)[..n].into(),
        ));
    }
    for i in 0..10 {
        let len = rng.range(300, 1200);
        let t = random_text(&mut rng, &[&latin, &latin, &basic, &ext], len);
        texts.push((format!("long gsm7 #{i}"), t));
    }
    for i in 0..10 {
        let len = rng.range(100, 400);
        let mut t = random_text(&mut rng, &[&latin, &wide], len);
        t.push('🙏');
        texts.push((format!("long ucs2 #{i}"), t));
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, (label, text))| Case {
            label,
            text,
            number: random_number(&mut rng, i),
        })
        .collect()
}

fn seed() -> u64 {
    std::env::var("LAPOR_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1708)
}

fn report(failures: &[String], what: &str, seed: u64) {
    assert!(
        failures.is_empty(),
        "{} {what} disagreement(s) with Gammu (LAPOR_ORACLE_SEED={seed}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Compares one field, recording a failure line when it differs.
fn check<T: PartialEq + std::fmt::Debug>(
    failures: &mut Vec<String>,
    label: &str,
    field: &str,
    ours: T,
    theirs: T,
) {
    if ours != theirs {
        failures.push(format!(
            "[{label}] {field}: lapord {ours:?}, gammu {theirs:?}"
        ));
    }
}

#[test]
fn gammu_encodes_lapord_decodes() {
    if !gammu_available() {
        return;
    }
    let seed = seed();
    let mut all = cases(seed);
    // Alphanumeric senders, which only an operator (and Gammu) can write.
    for name in ["Telkomsel", "LAPOR1708"] {
        all.push(Case {
            label: format!("alphanumeric sender {name}"),
            text: "Pulsa Anda Rp 10.000 {bonus 5GB}".into(),
            number: name.into(),
        });
    }
    let layout = |i: usize, c: &Case| {
        if i % 4 == 3 && c.number.chars().all(|ch| ch == '+' || ch.is_ascii_digit()) {
            PduKind::Submit
        } else {
            PduKind::Deliver
        }
    };
    let smsc = |i: usize| i.is_multiple_of(2).then_some(SMSC);
    let input: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "text": c.text,
                "number": c.number,
                "unicode": !c.gsm(),
                "layout": if layout(i, c) == PduKind::Deliver { "Deliver" } else { "Submit" },
                "smsc": smsc(i),
                "scts": GAMMU_SCTS,
            })
        })
        .collect();
    let results = oracle("encode", &input);
    let mut failures = Vec::new();
    let f = &mut failures;
    for (i, (c, r)) in all.iter().zip(&results).enumerate() {
        let label = &c.label;
        if let Some(e) = r.get("error") {
            f.push(format!("[{label}] gammu refused to encode: {e}"));
            continue;
        }
        let kind = layout(i, c);
        let mut parts = Vec::new();
        for hex in r["pdus"].as_array().unwrap() {
            let hex = hex.as_str().unwrap();
            match decode(hex, Framing::WithSmsc, TypeHint::Expect(kind)) {
                Ok(p) => parts.push(p),
                Err(e) => f.push(format!("[{label}] decode error {e} on {hex}")),
            }
        }
        if parts.len() != r["pdus"].as_array().unwrap().len() {
            continue;
        }
        check(f, label, "parts", segments(&c.text), parts.len());
        check(
            f,
            label,
            "assembled text",
            assemble(&parts).as_deref(),
            Ok(c.text.as_str()),
        );
        for p in &parts {
            check(
                f,
                label,
                "number",
                p.address().value.as_str(),
                c.number.as_str(),
            );
            let smsc_seen = p.smsc().map(|a| a.value.as_str()).filter(|v| !v.is_empty());
            check(f, label, "smsc", smsc_seen, smsc(i));
            let alphabet = p.user_data().map(|u| u.text.is_some());
            check(f, label, "has text", alphabet, Some(true));
            check(f, label, "concat", p.concat().is_some(), parts.len() > 1);
            if let Pdu::Deliver(d) = p {
                let want = format!("{GAMMU_SCTS}+00:00");
                check(f, label, "scts", d.scts.to_rfc3339(), want);
            }
        }
    }
    eprintln!("{} Gammu-encoded messages decoded", all.len());
    report(&failures, "decode", seed);
}

#[test]
fn lapord_encodes_gammu_decodes() {
    if !gammu_available() {
        return;
    }
    let seed = seed();
    let all = cases(seed);
    let scts = Scts {
        year: 2024,
        month: 3,
        day: 5,
        hour: 9,
        minute: 30,
        second: 0,
        tz_quarter_hours: 28,
    };
    // (case, kind, options, encoded parts)
    let mut sent = Vec::new();
    for (i, c) in all.iter().enumerate() {
        let opts = SubmitOptions {
            request_status_report: i.is_multiple_of(5),
            validity: i
                .is_multiple_of(7)
                .then_some(Validity::Relative { minutes: 24 * 60 }),
            message_ref: i as u8,
            concat_ref: (i * 7) as u8,
            smsc: i.is_multiple_of(2).then(|| SMSC.to_string()),
            ..Default::default()
        };
        let parts = encode_submit(&c.number, &c.text, &opts)
            .unwrap_or_else(|e| panic!("[{}] encode_submit: {e}", c.label));
        if parts.len() == 1 {
            let dopts = DeliverOptions {
                smsc: opts.smsc.clone(),
                ..Default::default()
            };
            let d = encode_deliver(&c.number, &c.text, &scts, &dopts)
                .unwrap_or_else(|e| panic!("[{}] encode_deliver: {e}", c.label));
            sent.push((c, PduKind::Deliver, opts.clone(), vec![d]));
        }
        sent.push((c, PduKind::Submit, opts, parts));
    }
    let input: Vec<Value> = sent
        .iter()
        .map(|(_, _, _, parts)| {
            json!({ "pdus": parts.iter().map(|p| p.pdu_hex.as_str()).collect::<Vec<_>>() })
        })
        .collect();
    let results = oracle("decode", &input);
    let mut failures = Vec::new();
    let f = &mut failures;
    for ((c, kind, opts, parts), r) in sent.iter().zip(&results) {
        let label = &format!("{} as {kind:?}", c.label);
        if let Some(e) = r.get("error") {
            f.push(format!("[{label}] gammu refused to decode: {e}"));
            continue;
        }
        let got = r["parts"].as_array().unwrap();
        let mut joined = String::new();
        for (n, (ours, g)) in parts.iter().zip(got).enumerate() {
            let want_type = if *kind == PduKind::Deliver {
                "Deliver"
            } else {
                "Submit"
            };
            check(f, label, "type", want_type, g["type"].as_str().unwrap());
            check(
                f,
                label,
                "number",
                c.number.as_str(),
                g["number"].as_str().unwrap(),
            );
            check(
                f,
                label,
                "smsc",
                opts.smsc.as_deref().unwrap_or(""),
                g["smsc"].as_str().unwrap(),
            );
            let coding = if c.gsm() {
                "Default_No_Compression"
            } else {
                "Unicode_No_Compression"
            };
            check(f, label, "coding", coding, g["coding"].as_str().unwrap());
            joined.push_str(g["text"].as_str().unwrap_or("<no text>"));
            if ours.total > 1 {
                let udh = (
                    "ConcatenatedMessages",
                    i64::from(opts.concat_ref),
                    n as i64 + 1,
                    i64::from(ours.total),
                );
                let theirs = (
                    g["udh_type"].as_str().unwrap(),
                    g["ref8"].as_i64().unwrap(),
                    g["part"].as_i64().unwrap(),
                    g["total"].as_i64().unwrap(),
                );
                check(f, label, "concatenation header", udh, theirs);
            } else {
                check(f, label, "udh", "NoUDH", g["udh_type"].as_str().unwrap());
            }
            match kind {
                PduKind::Deliver => check(
                    f,
                    label,
                    "scts (Gammu drops the zone)",
                    Some(GAMMU_SCTS),
                    g["datetime"].as_str(),
                ),
                _ => check(
                    f,
                    label,
                    "TP-MR",
                    Some(i64::from(opts.message_ref)),
                    g["message_ref"].as_i64(),
                ),
            }
        }
        check(f, label, "part count", parts.len(), got.len());
        check(f, label, "text", c.text.as_str(), joined.as_str());
        if parts.len() > 1 {
            check(
                f,
                label,
                "gammu's joined text",
                Some(c.text.as_str()),
                r["joined"].as_str(),
            );
        }
    }
    eprintln!("{} lapord-encoded messages decoded by Gammu", sent.len());
    report(&failures, "encode", seed);
}
