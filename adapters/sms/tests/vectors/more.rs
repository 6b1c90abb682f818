//! Checks of decode vectors, second half: message structure, status reports, validity,
//! ports and multipart assembly.

use super::support::*;
use lapor_sms::*;
use serde_json::Value;

/// The second half of [`check_field`]: message structure, status reports, validity,
/// ports and multipart assembly.
pub fn check_more(
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
        "mr" | "reference" => ok(
            mr_of(p).map(u64::from) == Some(num()),
            format!("{:?}", mr_of(p)),
        ),
        "status" => ok(
            status_of(p).status as u64 == num(),
            status_of(p).status.to_string(),
        ),
        "delivery_status" => ok(
            e.as_str().unwrap().starts_with("DELIVERED")
                == (status_of(p).outcome() == DeliveryOutcome::Delivered),
            format!("{:?}", status_of(p).outcome()),
        ),
        "delivered" => ok(
            (status_of(p).outcome() == DeliveryOutcome::Delivered) == e.as_bool().unwrap(),
            format!("{:?}", status_of(p).outcome()),
        ),
        "recipient_matches" => ok(
            p.address().matches(e.as_str().unwrap()),
            p.address().value.clone(),
        ),
        "pi" => ok(
            status_of(p).pi.map(u64::from) == Some(num()),
            format!("{:?}", status_of(p).pi),
        ),
        "ud" => ok(
            ud.is_some_and(|u| latin1(&u.payload) == e.as_str().unwrap()),
            format!("{ud:?}"),
        ),
        "validity_relative" => {
            let s = e.as_str().unwrap();
            let octet = u8::from_str_radix(&s[s.find("0x").unwrap() + 2..s.len() - 1], 16).unwrap();
            ok(
                validity_of(p)
                    == Some(Validity::Relative {
                        minutes: Validity::relative_minutes(octet),
                    }),
                format!("{:?}", validity_of(p)),
            )
        }
        "vp_relative" => ok(
            matches!(validity_of(p), Some(Validity::Relative { minutes }) if Validity::relative_octet(minutes) as u64 == num()),
            format!("{:?}", validity_of(p)),
        ),
        "vp_relative_minutes" => ok(
            validity_of(p)
                == Some(Validity::Relative {
                    minutes: num() as u32,
                }),
            format!("{:?}", validity_of(p)),
        ),
        "validity_absolute" => ok(
            matches!(validity_of(p), Some(Validity::Absolute(s)) if s.to_rfc3339() == e.as_str().unwrap()),
            format!("{:?}", validity_of(p)),
        ),
        "ports" => {
            let got = ud.and_then(|u| u.udh.as_ref()).and_then(Udh::ports);
            let bits_ok = e.get("bits").is_none_or(|_| {
                ud.and_then(|u| u.udh.as_ref())
                    .is_some_and(|h| h.ies.iter().any(|i| i.iei == 5))
            });
            ok(
                bits_ok
                    && got
                        == Some((
                            e["dst"].as_u64().unwrap() as u16,
                            e["src"].as_u64().unwrap() as u16,
                        )),
                format!("{got:?}"),
            )
        }
        "dcs_charset" => ok(
            dcs_of(p).map(|d| d.alphabet) == Some(Alphabet::Data8) && e == "8bit",
            format!("{:?}", dcs_of(p)),
        ),
        "sender_ton" => ok(
            format!("{:?}", p.address().ton).to_lowercase() == e.as_str().unwrap(),
            format!("{:?}", p.address().ton),
        ),
        "sender_toa" | "recipient_toa" | "tp_toa" => {
            let want = e
                .as_u64()
                .or_else(|| e.as_str().and_then(|s| u64::from_str_radix(s, 16).ok()));
            ok(
                Some(p.address().toa as u64) == want,
                format!("{:02X}", p.address().toa),
            )
        }
        "smsc_toa" => ok(
            p.smsc().map(|a| format!("{:02X}", a.toa)).as_deref() == e.as_str(),
            "?".into(),
        ),
        "header" => {
            let f = first_octet(p);
            let got =
                serde_json::json!({"mms": f & 4 != 0, "mti": "deliver", "udhi": f & 0x40 != 0});
            ok(got == *e && p.kind() == PduKind::Deliver, got.to_string())
        }
        "replace" => ok(
            pid_of(p).is_some_and(|x| (0x41..=0x47).contains(&x)) == e.as_bool().unwrap(),
            format!("{:?}", pid_of(p)),
        ),
        "mwi_set" | "mwi_clear" => {
            let w = dcs_of(p).and_then(|d| d.waiting);
            ok(
                w.is_some_and(|w| w.active == (key == "mwi_set")),
                format!("{w:?}"),
            )
        }
        "mwi_dont_store" => ok(
            dcs_of(p).and_then(|d| d.waiting).is_some_and(|w| !w.store) == e.as_bool().unwrap(),
            "?".into(),
        ),
        "is_email" | "email_from" => {
            let from = v["expected"]["email_from"].as_str().unwrap();
            ok(
                p.text().is_some_and(|t| t.starts_with(from)),
                format!("{:?}", p.text()),
            )
        }
        "assembled_text" => {
            let parts = group(all, p, Some(e));
            ok(
                assemble(parts.iter().copied()).as_deref() == Ok(e.as_str().unwrap()),
                format!("{:?}", assemble(parts.iter().copied())),
            )
        }
        "assembled_message_count_with_part1"
        | "assembled_message_count_with_part2"
        | "assembly" => {
            let parts = group(all, p, None);
            let whole = assemble(parts.iter().copied());
            let resplit = whole.as_ref().map(|t| {
                encode_submit("+1", t, &SubmitOptions::default())
                    .unwrap()
                    .len()
            });
            let c = p.concat().unwrap();
            ok(
                whole.is_ok() && (key != "assembly" || resplit == Ok(c.total as usize)),
                format!("{whole:?} {resplit:?}"),
            )
        }
        "smsc_of_assembled" | "timestamp_mm_format_of_assembled" => {
            let parts = group(all, p, v["expected"].get("assembled_text"));
            let first = parts
                .iter()
                .find(|q| q.concat().is_some_and(|c| c.seq == 1))
                .unwrap();
            let got = if key == "smsc_of_assembled" {
                first.smsc().unwrap().value.clone()
            } else {
                mm_format(scts_of(first).unwrap())
            };
            ok(got == e.as_str().unwrap(), got)
        }
        "reencode_identical" | "roundtrip_reencode_identical" => {
            // SUBMIT parts with 8-bit references: re-encode the assembled text with the same
            // MR, reference, validity and recipient, and compare the matching part.
            let Pdu::Submit(s) = p else {
                return Err(format!("{key}: no re-encoder for this type"));
            };
            let c = p.concat().ok_or(format!("{key}: single part"))?;
            let whole =
                assemble(group(all, p, None).iter().copied()).map_err(|x| format!("{key}: {x}"))?;
            let opts = SubmitOptions {
                message_ref: s.message_ref,
                concat_ref: c.reference as u8,
                validity: s.validity,
                reject_duplicates: s.first_octet & 4 != 0,
                request_status_report: s.status_report_requested(),
                reply_path: s.first_octet & 0x80 != 0,
                ..Default::default()
            };
            let parts = encode_submit(&s.recipient.value, &whole, &opts).unwrap();
            let mine = &parts[c.seq as usize - 1].pdu_hex;
            let want = v["pdu"].as_str().unwrap().to_uppercase();
            let mine = if v["smsc_included"] == true {
                &mine[..]
            } else {
                &mine[2..]
            };
            ok(mine == want, mine.to_string())
        }
        other => Err(format!(
            "unknown expected field {other:?}: add a check or list it in NOT_PDU_FIELDS"
        )),
    }
}
