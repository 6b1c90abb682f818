//! Checks of decode vectors, one `expected` key at a time: addresses, text and time here.

use super::more::check_more;
use super::support::*;
use lapor_sms::*;
use serde_json::Value;

/// Checks one expected field of a decode vector. `Err` describes the mismatch.
pub fn check_field(
    v: &Value,
    key: &str,
    e: &Value,
    p: &Pdu,
    all: &[(Value, Option<Pdu>)],
) -> Result<(), String> {
    let ok = |b: bool, got: String| {
        if b {
            Ok(())
        } else {
            Err(format!("{key}: expected {e}, got {got}"))
        }
    };
    let ud = p.user_data();
    let num = || e.as_u64().unwrap_or(u64::MAX);
    match key {
        "smsc" => match e.as_str() {
            None => ok(p.smsc().is_none(), format!("{:?}", p.smsc())),
            Some(s) => ok(
                p.smsc().is_some_and(|a| addr_eq(a, s)),
                format!("{:?}", p.smsc()),
            ),
        },
        "sender" | "recipient" => ok(
            addr_eq(p.address(), e.as_str().unwrap()),
            p.address().value.clone(),
        ),
        "text" | "ud_septets_as_text" => ok(text_matches(p, e), format!("{:?}", p.text())),
        "data_hex" | "ucs2_ud_hex" => ok(
            ud.is_some_and(|u| to_hex(&u.payload) == e.as_str().unwrap()),
            format!("{:?}", ud.map(|u| to_hex(&u.payload))),
        ),
        "dcs" | "tp_dcs" => ok(
            dcs_of(p).map(|d| d.raw as u64) == Some(num()),
            format!("{:?}", dcs_of(p)),
        ),
        "pid" => ok(
            pid_of(p).map(u64::from) == Some(num()),
            format!("{:?}", pid_of(p)),
        ),
        "timestamp" | "scts" => {
            let got = scts_of(p).map(Scts::to_rfc3339);
            ok(
                got.as_deref() == Some(norm_ts(e.as_str().unwrap()).as_str()),
                format!("{got:?}"),
            )
        }
        "discharge" => ok(
            status_of(p).discharge.to_rfc3339() == norm_ts(e.as_str().unwrap()),
            status_of(p).discharge.to_rfc3339(),
        ),
        "scts_local_naive" | "date_local_naive" => ok(
            scts_of(p).unwrap().to_rfc3339()[..19] == *e.as_str().unwrap(),
            scts_of(p).unwrap().to_rfc3339(),
        ),
        "dt_local_naive" => ok(
            status_of(p).discharge.to_rfc3339()[..19] == *e.as_str().unwrap(),
            status_of(p).discharge.to_rfc3339(),
        ),
        "timestamp_utc_naive" => ok(
            utc_naive(scts_of(p).unwrap().unix_seconds()) == e.as_str().unwrap(),
            utc_naive(scts_of(p).unwrap().unix_seconds()),
        ),
        "timestamp_millis" => ok(
            scts_of(p).unwrap().unix_seconds() as u64 * 1000 == num(),
            scts_of(p).unwrap().unix_seconds().to_string(),
        ),
        "timestamp_mm_format" => ok(
            mm_format(scts_of(p).unwrap()) == e.as_str().unwrap(),
            mm_format(scts_of(p).unwrap()),
        ),
        "scts_semi_octets" => {
            let s = scts_of(p).unwrap();
            let got = format!(
                "{:02}{:02}{:02}{:02}{:02}{:02}{:02}",
                s.year % 100,
                s.month,
                s.day,
                s.hour,
                s.minute,
                s.second,
                s.tz_quarter_hours.unsigned_abs()
            );
            ok(got == e.as_str().unwrap(), got)
        }
        "scts_fields" => {
            let s = scts_of(p).unwrap();
            let got = [
                s.year as i64 % 100,
                s.month as i64,
                s.day as i64,
                s.hour as i64,
                s.minute as i64,
                s.second as i64,
                s.tz_quarter_hours as i64,
            ];
            let want: Vec<i64> = [
                "year",
                "month",
                "day",
                "hour",
                "minute",
                "second",
                "timezone_quarters",
            ]
            .iter()
            .map(|k| e[k].as_i64().unwrap())
            .collect();
            ok(got[..] == want[..], format!("{got:?}"))
        }
        "udh_concat" => {
            let c = p.concat();
            let want = (
                e["ref"].as_u64(),
                e["total"].as_u64(),
                e["seq"].as_u64(),
                e["ref_bits"].as_u64(),
            );
            ok(
                c.map(|c| {
                    (
                        Some(c.reference as u64),
                        Some(c.total as u64),
                        Some(c.seq as u64),
                        Some(c.ref_bits as u64),
                    )
                }) == Some(want),
                format!("{c:?}"),
            )
        }
        "multipart" => ok(
            p.concat().is_some() == e.as_bool().unwrap(),
            format!("{:?}", p.concat()),
        ),
        "user_data_headers" => {
            let got: Vec<Value> = ud
                .and_then(|u| u.udh.as_ref())
                .map(|h| {
                    h.ies
                        .iter()
                        .map(|ie| serde_json::json!([ie.iei, ie.data]))
                        .collect()
                })
                .unwrap_or_default();
            ok(Value::Array(got.clone()) == *e, format!("{got:?}"))
        }
        "udh_ie_types" => {
            let got: Vec<u8> = ud
                .and_then(|u| u.udh.as_ref())
                .map(|h| h.ies.iter().map(|i| i.iei).collect())
                .unwrap_or_default();
            let want: Vec<u8> = e
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let t = t.as_str().unwrap();
                    u8::from_str_radix(&t[t.find("0x").unwrap() + 2..t.len() - 1], 16).unwrap()
                })
                .collect();
            ok(got == want, format!("{got:?}"))
        }
        "udl" | "size" => ok(
            ud.map(|u| u.udl as u64) == Some(num()),
            format!("{:?}", ud.map(|u| u.udl)),
        ),
        "udhl" => ok(
            ud.and_then(|u| u.udh.as_ref())
                .map(|h| h.to_bytes().len() as u64)
                == Some(num()),
            "?".into(),
        ),
        "data_len" => ok(
            ud.map(|u| u.octets as u64) == Some(num()),
            format!("{:?}", ud.map(|u| u.octets)),
        ),
        "tpdu_len" | "tp_layer_length" => {
            ok(p.tpdu_len() as u64 == num(), p.tpdu_len().to_string())
        }
        "tpdu_hex" => {
            let raw = parse_hex(v["pdu"].as_str().unwrap()).unwrap();
            ok(
                to_hex(&raw[raw.len() - p.tpdu_len()..]) == e.as_str().unwrap(),
                "?".into(),
            )
        }
        _ => check_more(v, key, e, p, all),
    }
}
