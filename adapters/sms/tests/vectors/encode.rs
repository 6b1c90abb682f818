//! Encode vectors: builds the encoder call each vector describes, mapping each source
//! library's defaults, and compares the exact PDU.

use lapor_sms::*;
use serde_json::Value;

pub fn parse_validity(s: &str) -> Validity {
    let n = |s: &str| s.split(' ').next().unwrap().parse::<u32>().unwrap();
    if s.ends_with("weeks") {
        return Validity::Relative {
            minutes: n(s) * 7 * 1440,
        };
    }
    if s.ends_with("days") {
        return Validity::Relative {
            minutes: n(s) * 1440,
        };
    }
    // "2013-07-10T13:39:00+02:00" or "2010-07-25 20:15:39 (naive)"
    let d = |a: usize, b: usize| s[a..b].parse::<u8>().unwrap();
    let tz = if s.len() >= 25 && &s[19..20] != " " {
        let q = (s[20..22].parse::<i8>().unwrap() * 4) + s[23..25].parse::<i8>().unwrap() / 15;
        if &s[19..20] == "-" {
            -q
        } else {
            q
        }
    } else {
        0
    };
    Validity::Absolute(Scts {
        year: s[..4].parse().unwrap(),
        month: d(5, 7),
        day: d(8, 10),
        hour: d(11, 13),
        minute: d(14, 16),
        second: d(17, 19),
        tz_quarter_hours: tz,
    })
}

/// Builds the encoder call a vector describes, mapping each source library's defaults.
pub fn check_encode(v: &Value) -> Result<(), String> {
    let ex = &v["expected"];
    let inp = &ex["encoder_input"];
    let repo = v["source"]["repo"].as_str().unwrap();
    let s = |k: &str| inp.get(k).and_then(Value::as_str);
    let b = |k: &str| inp.get(k).and_then(Value::as_bool).unwrap_or(false);
    let number = s("number").unwrap();
    let text = s("text").unwrap();
    let coding = match s("coding") {
        Some("Default") => Coding::Gsm7,
        Some("Unicode") => Coding::Ucs2,
        _ => Coding::Auto,
    };
    let smsc = s("smsc").or(s("csca")).map(str::to_string);
    let want = v["pdu"].as_str().unwrap().to_uppercase();
    let part = if v["direction"] == "deliver" {
        // Gammu writes "Sent" backups as SMS-DELIVER with the sent time, zone 00, TP-MMS clear.
        let t = s("sent").unwrap();
        let d = |a: usize, b: usize| t[a..b].parse::<u8>().unwrap();
        let scts = Scts {
            year: t[..4].parse().unwrap(),
            month: d(4, 6),
            day: d(6, 8),
            hour: d(9, 11),
            minute: d(11, 13),
            second: d(13, 15),
            tz_quarter_hours: 0,
        };
        encode_deliver(
            number,
            text,
            &scts,
            &DeliverOptions {
                smsc,
                coding,
                more_messages: true,
            },
        )
        .map_err(|e| e.to_string())?
    } else {
        let mut validity = s("validity").map(parse_validity);
        if let Some(m) = inp.get("validity_relative").and_then(Value::as_u64) {
            validity = Some(Validity::Relative { minutes: m as u32 });
        }
        if validity.is_none() && repo == "gammu/gammu" {
            validity = Some(Validity::Relative {
                minutes: 63 * 7 * 1440,
            }); // Gammu default: maximum
        }
        if validity.is_none() && repo == "rilmodem/ofono" {
            validity = Some(Validity::Relative { minutes: 1440 }); // oFono default: 24 h
        }
        let opts = SubmitOptions {
            request_status_report: b("requestStatusReport") || b("request_status"),
            validity,
            message_ref: inp
                .get("reference")
                .or(inp.get("ref"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u8,
            concat_ref: inp.get("rand_id").and_then(Value::as_u64).unwrap_or(0) as u8,
            smsc,
            coding,
            message_class: inp.get("class").and_then(Value::as_u64).map(|c| c as u8),
            reject_duplicates: b("rejectDuplicates"),
            // python-gsmmodem types numbers without '+' as national (0xA1).
            national_numbers: repo == "babca/python-gsmmodem",
            reply_path: false,
        };
        let parts = if s("fmt") == Some("8bit") {
            encode_submit_data(number, text.as_bytes(), &opts)
        } else {
            encode_submit(number, text, &opts)
        }
        .map_err(|e| e.to_string())?;
        let seq = ex
            .get("udh_concat")
            .map(|c| c["seq"].as_u64().unwrap())
            .unwrap_or(1) as usize;
        if let Some(c) = ex.get("udh_concat") {
            if parts.len() as u64 != c["total"].as_u64().unwrap() {
                return Err(format!("{} parts, expected {}", parts.len(), c["total"]));
            }
        }
        parts.into_iter().nth(seq - 1).ok_or("missing part")?
    };
    if part.pdu_hex != want {
        return Err(format!(
            "pdu: expected {want}\n                         got {}",
            part.pdu_hex
        ));
    }
    for (k, e) in ex.as_object().unwrap() {
        let n = e.as_u64();
        let good = match k.as_str() {
            "encoder_input" | "udh_concat" => true,
            "cmgs_length" => n == Some(part.tpdu_len as u64),
            "msgstart" => n == Some((part.pdu_hex.len() / 2 - part.tpdu_len) as u64),
            "part" => e.as_str() == Some(&format!("{}/{}", part.seq, part.total)),
            other => return Err(format!("unknown encode field {other:?}")),
        };
        if !good {
            return Err(format!(
                "{k}: expected {e}, got tpdu_len {} seq {}/{}",
                part.tpdu_len, part.seq, part.total
            ));
        }
    }
    Ok(())
}
