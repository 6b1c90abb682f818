//! Runs the shared real-world vectors (`/work/shared/testdata/sms`): every line of
//! `pdu_vectors.jsonl` with every `expected` field it gives, and every capture in
//! `pdu_smoke_vectors.jsonl`. Fields that are not PDU content (AT headers, a library's
//! presentation) are listed in `NOT_PDU_FIELDS`; vectors or fields that cannot match are
//! listed in `EXEMPT` with the reason. An unknown field fails the test, so nothing is
//! skipped silently.

use lapor_sms::*;
use serde_json::Value;
use std::path::PathBuf;

/// (vector id, field or "*" for the whole vector, reason).
const EXEMPT: &[(&str, &str, &str)] = &[
    ("v074", "error", "UDHI set with TP-UDL 0 (fuzzer-made). The real capture Gammu tests/at-sms/20.dump in the smoke set has the same shape and must parse, so an empty user data with UDHI is read as 'no header, no text'"),
    ("v075", "error", "same shape as v074 (UDHI set, TP-UDL 0, nothing after it); see v074"),
    ("v011", "recipient", "python-gsmmodem renders BCD nibble 0xB as 'b'; TS 23.040 defines it as '#', we yield '+#08427829207025'"),
    ("v157", "text", "source expects a literal backslash-n where the PDU carries LF, and 'ç' for septet 0x09 which TS 23.038 defines as 'Ç'"),
    ("v171", "sender", "smspdu decodes the 10-semi-octet alphanumeric OA as '$' and calls it implementation-defined; we unpack 5 septets"),
    ("v171", "tp_toa", "smspdu normalises TOA 0xD1 to 0xD0; we keep the octet as sent"),
    ("v200", "scts_as_decoded_by_library", "smspdudecoder maps year 98 to 2098; our documented pivot maps 80-99 to 19xx"),
    ("v211", "*", "Gammu transliterates 'š' to 's' (lossy); we encode it as UCS2 or refuse GSM 7-bit"),
    ("v212", "*", "Gammu transliterates 'š' to 's' (lossy); we encode it as UCS2 or refuse GSM 7-bit"),
    ("v215", "*", "Gammu cuts a 177-character text to one 160-septet SMS-DELIVER; encode_deliver refuses to truncate (TooLong)"),
    ("v123", "mwi_set", "CPHS message waiting encoded in the originator address is a handset convention, not decoded; sender/text checked"),
    ("v124", "mwi_clear", "CPHS message waiting encoded in the originator address, not decoded"),
    ("v125", "mwi_clear", "CPHS message waiting encoded in the originator address, not decoded; sender/text checked"),
    ("v162", "reencode_identical", "16-bit concatenation references are decoded but our encoder writes 8-bit references only"),
    ("v163", "reencode_identical", "16-bit concatenation references are decoded but our encoder writes 8-bit references only"),
    ("v164", "reencode_identical", "16-bit concatenation references are decoded but our encoder writes 8-bit references only"),
    ("v172", "reencode_identical", "no general re-encoder for decoded SMS-DELIVERs (DCS 0x01 kept as sent); the encoder only writes DCS 0x00/0x04/0x08"),
    ("v086", "roundtrip_reencode_identical", "encode_deliver writes numeric senders only, not a 20-character alphanumeric OA"),
];

/// Expected keys that describe something other than the PDU's content.
const NOT_PDU_FIELDS: &[(&str, &str)] = &[
    (
        "cmgr_header",
        "AT response header, handled by the AT parser",
    ),
    (
        "cmgl_header",
        "AT response header, handled by the AT parser",
    ),
    ("cmgl_stat", "AT response header, handled by the AT parser"),
    (
        "text_non_strict",
        "a non-strict hex mode we do not have: odd-length hex is an error",
    ),
    (
        "text_claimed_by_reporter",
        "reporter's wrong claim; checked instead: TP-UDL is honoured",
    ),
    (
        "summary_text_synthesized_by_library",
        "python-messaging presentation of status reports",
    ),
    ("number", "python-messaging presentation ('SR-UNKNOWN')"),
    (
        "display_body",
        "Android's e-mail gateway presentation (subject/body split)",
    ),
    (
        "encoder_input",
        "input of encode vectors, used to build the call",
    ),
];

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sms");
    if dir.join("pdu_vectors.jsonl").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "test vectors missing at {} (required when CI is set)",
            dir.display()
        );
    }
    eprintln!("SKIPPED: test vectors not found at {}", dir.display());
    None
}

thread_local! {
    static USED: std::cell::RefCell<std::collections::HashSet<(String, String)>> = Default::default();
}

fn exempt(id: &str, field: &str) -> Option<&'static str> {
    let e = EXEMPT
        .iter()
        .find(|(i, f, _)| *i == id && (*f == field || *f == "*"))?;
    USED.with(|u| u.borrow_mut().insert((e.0.to_string(), e.1.to_string())));
    Some(e.2)
}

fn load(dir: &std::path::Path, name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[path = "vectors/encode.rs"]
mod encode;
#[path = "vectors/fields.rs"]
mod fields;
#[path = "vectors/more.rs"]
mod more;
#[path = "vectors/support.rs"]
mod support;

use encode::check_encode;
use fields::check_field;
use support::decode_vector;

#[test]
fn every_pdu_vector_matches_its_source() {
    let Some(dir) = data_dir() else { return };
    let vectors = load(&dir, "pdu_vectors.jsonl");
    let decoded: Vec<(Value, Option<Pdu>)> = vectors
        .iter()
        .map(|v| {
            (
                v.clone(),
                (v["kind"] == "decode")
                    .then(|| decode_vector(v).ok())
                    .flatten(),
            )
        })
        .collect();
    let (mut clean, mut with_exempt_fields, mut exempt_whole, mut failures) = (0, 0, 0, Vec::new());
    let mut checked_fields = 0;
    for (v, pdu) in &decoded {
        let id = v["id"].as_str().unwrap();
        if exempt(id, "*").is_some() {
            // Still run it, so a stale whole-vector exemption is noticed.
            let passes = if v["kind"] == "encode" {
                check_encode(v).is_ok()
            } else {
                false
            };
            if passes {
                failures.push(format!("{id}: whole-vector exemption is stale; remove it"));
            }
            exempt_whole += 1;
            continue;
        }
        let mut errs = Vec::new();
        let mut skipped = 0;
        if v["kind"] == "encode" {
            checked_fields += 1;
            if let Err(e) = check_encode(v) {
                errs.push(e);
            }
        } else {
            let ex = v["expected"].as_object().unwrap();
            let result = decode_vector(v);
            if ex.contains_key("error") {
                checked_fields += 1;
                if result.is_ok() && exempt(id, "error").is_none() {
                    errs.push(format!("error: expected Err ({}), got Ok", ex["error"]));
                } else if result.is_ok() {
                    skipped += 1;
                }
            } else if let Err(e) = &result {
                errs.push(format!("decode failed: {e}"));
            } else {
                let p = pdu.as_ref().unwrap();
                for (k, e) in ex {
                    if NOT_PDU_FIELDS.iter().any(|(n, _)| n == k) {
                        continue;
                    }
                    checked_fields += 1;
                    if let Err(msg) = check_field(v, k, e, p, &decoded) {
                        if exempt(id, k).is_some() {
                            skipped += 1;
                        } else {
                            errs.push(msg);
                        }
                    }
                }
                if ex.contains_key("text_claimed_by_reporter") && p.text() != Some("回复") {
                    errs.push(format!("TP-UDL not honoured: {:?}", p.text()));
                }
            }
        }
        match (errs.is_empty(), skipped) {
            (true, 0) => clean += 1,
            (true, _) => with_exempt_fields += 1,
            (false, _) => failures.push(format!("{id}: {}", errs.join("\n      "))),
        }
    }
    println!(
        "pdu_vectors: {} total, {clean} pass every field, {with_exempt_fields} pass with an exempt field, {exempt_whole} exempt, {} fail ({checked_fields} fields checked)",
        vectors.len(),
        failures.len()
    );
    for (id, f, why) in EXEMPT {
        println!("  exempt {id} {f}: {why}");
        let used = USED.with(|u| u.borrow().contains(&(id.to_string(), f.to_string())));
        if !used {
            failures.push(format!(
                "{id}: exemption for {f} is stale (the field now matches); remove it"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_smoke_capture_parses() {
    let Some(dir) = data_dir() else { return };
    let mut failures = Vec::new();
    let lines = load(&dir, "pdu_smoke_vectors.jsonl");
    for (i, v) in lines.iter().enumerate() {
        let line = match v.get("raw_response").and_then(Value::as_str) {
            // The PDU is the line after the +CMGR: header.
            Some(raw) => {
                let mut it = raw.lines().skip_while(|l| !l.starts_with("+CMGR:"));
                it.next();
                it.next().unwrap_or_default().to_string()
            }
            None => v["pdu_line"].as_str().unwrap().to_string(),
        };
        assert_eq!(
            line,
            v["pdu_line"].as_str().unwrap(),
            "line {i}: extracted PDU differs"
        );
        if let Err(e) = decode(clean_pdu_line(&line), Framing::WithSmsc, TypeHint::ByMti) {
            failures.push(format!("line {i} ({}): {e}", v["source"]["path"]));
        }
    }
    println!(
        "pdu_smoke_vectors: {} total, {} parse",
        lines.len(),
        lines.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
