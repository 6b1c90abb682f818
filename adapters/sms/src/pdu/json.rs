//! Operator views of PDUs as JSON, for `lapord pdu decode` and `lapord pdu encode`: every
//! field the codec decodes, named as TS 23.040 names it, so an operator holding a PDU from
//! a modem log can see what the network sent without a second tool. [`describe`] shows a
//! decoded PDU, [`describe_error`] one that failed, [`encode_plan`] what `AT+CMGS` would
//! send for a reply. Values only: printing is the caller's business.
//!
//! Shape: absent optional fields are `null` rather than missing, so scripts can rely on
//! the keys of each message type; octets are upper-case hex strings.

use serde_json::{json, Map, Value};

use super::{
    decode, encode_submit, gsm7_septets, to_hex, Address, Alphabet, Coding, Dcs, DeliveryOutcome,
    EncodeError, Framing, Pdu, PduError, PduKind, Scts, SubmitOptions, TypeHint, TypeOfNumber, Udh,
    UserData, Validity,
};

/// The whole decoded PDU. `bytes` is the input the PDU was decoded from (SMSC field
/// included when it was framed that way), shown as `raw` and split into `tpdu`.
pub fn describe(pdu: &Pdu, bytes: &[u8]) -> Value {
    let tpdu_len = pdu.tpdu_len().min(bytes.len());
    let mut m = Map::new();
    m.insert("raw".into(), to_hex(bytes).into());
    m.insert(
        "tpdu".into(),
        to_hex(&bytes[bytes.len() - tpdu_len..]).into(),
    );
    m.insert("tpdu_len".into(), tpdu_len.into());
    m.insert("smsc_field_octets".into(), (bytes.len() - tpdu_len).into());
    m.insert("smsc".into(), pdu.smsc().map_or(Value::Null, address));
    match pdu {
        Pdu::Deliver(d) => {
            m.insert("type".into(), "SMS-DELIVER".into());
            m.insert(
                "first_octet".into(),
                first_octet(d.first_octet, PduKind::Deliver),
            );
            m.insert("sender".into(), address(&d.sender));
            m.insert("pid".into(), pid(d.pid));
            m.insert("dcs".into(), dcs(&d.dcs));
            m.insert("scts".into(), d.scts.to_rfc3339().into());
            user_data(&mut m, Some(&d.user_data), &d.dcs);
        }
        Pdu::Submit(s) => {
            m.insert("type".into(), "SMS-SUBMIT".into());
            m.insert(
                "first_octet".into(),
                first_octet(s.first_octet, PduKind::Submit),
            );
            m.insert("message_ref".into(), s.message_ref.into());
            m.insert("recipient".into(), address(&s.recipient));
            m.insert("pid".into(), pid(s.pid));
            m.insert("dcs".into(), dcs(&s.dcs));
            m.insert(
                "validity".into(),
                s.validity.as_ref().map_or(Value::Null, validity),
            );
            user_data(&mut m, Some(&s.user_data), &s.dcs);
        }
        Pdu::StatusReport(r) => {
            m.insert("type".into(), "SMS-STATUS-REPORT".into());
            m.insert(
                "first_octet".into(),
                first_octet(r.first_octet, PduKind::StatusReport),
            );
            m.insert("message_ref".into(), r.message_ref.into());
            m.insert("recipient".into(), address(&r.recipient));
            m.insert("scts".into(), r.scts.to_rfc3339().into());
            m.insert("discharge_time".into(), r.discharge.to_rfc3339().into());
            m.insert("status".into(), status(r.status));
            m.insert(
                "pi".into(),
                r.pi.map_or(Value::Null, |p| to_hex(&[p]).into()),
            );
            m.insert("pid".into(), r.pid.map_or(Value::Null, pid));
            m.insert("dcs".into(), r.dcs.as_ref().map_or(Value::Null, dcs));
            // The tail's user data is coded per its DCS, GSM 7-bit when there is none.
            let d = r.dcs.unwrap_or(Dcs::decode(0));
            user_data(&mut m, r.user_data.as_ref(), &d);
        }
    }
    Value::Object(m)
}

/// A PDU that did not decode: the message, where (octet, or hex character for bad hex)
/// and the input, with the hex from the failing octet on to point at it.
pub fn describe_error(err: &PduError, hex: &str) -> Value {
    let raw = hex.trim();
    let lead = hex.len() - hex.trim_start().len();
    let (unit, at_char) = match err {
        PduError::BadHex { index, .. } => ("hex character", index.saturating_sub(lead)),
        _ => ("octet", err.offset() * 2),
    };
    let kind = match err {
        PduError::BadHex { .. } => "bad_hex",
        PduError::Truncated { .. } => "truncated",
        PduError::BadLength { .. } => "bad_length",
        PduError::BadValue { .. } => "bad_value",
        PduError::ReservedMti { .. } => "reserved_mti",
        PduError::UnexpectedType { .. } => "unexpected_type",
        PduError::Unsupported { .. } => "unsupported",
    };
    json!({
        "error": err.to_string(),
        "kind": kind,
        "offset": err.offset(),
        "offset_unit": unit,
        "raw": raw,
        "from_offset": raw.get(at_char..).unwrap_or(""),
    })
}

/// What `AT+CMGS` would send for `text` to `to`: the coding, and per part the PDU line
/// (SMSC field included, as sent in PDU mode) and the `AT+CMGS=<n>` length (TPDU octets).
pub fn encode_plan(to: &str, text: &str, opts: &SubmitOptions) -> Result<Value, EncodeError> {
    let parts = encode_submit(to, text, opts)?;
    let septets = gsm7_septets(text);
    let gsm = match opts.coding {
        Coding::Gsm7 => true,
        Coding::Ucs2 => false,
        Coding::Auto => septets.is_some(),
    };
    let plan: Vec<Value> = parts
        .iter()
        .map(|p| {
            let mut v = json!({
                "seq": p.seq,
                "total": p.total,
                "pdu": p.pdu_hex,
                "cmgs_length": p.tpdu_len,
                "at_command": format!("AT+CMGS={}", p.tpdu_len),
            });
            // Read the part back with the decoder, so the figures are those of the PDU
            // itself. Our own output always decodes; should it not, say so in the plan.
            match decode(
                p.pdu_hex.as_str(),
                Framing::WithSmsc,
                TypeHint::Expect(PduKind::Submit),
            ) {
                Ok(Pdu::Submit(s)) => {
                    let ud = &s.user_data;
                    // UDL counts the header too (in septets for GSM 7-bit); the text
                    // figures leave it out.
                    let header = ud.octets - ud.payload.len();
                    v["user_data_length"] = ud.udl.into();
                    v["user_data_octets"] = ud.octets.into();
                    if gsm {
                        let skip = (header * 8).div_ceil(7);
                        v["text_septets"] = (ud.udl as usize).saturating_sub(skip).into();
                    } else {
                        v["text_octets"] = ud.payload.len().into();
                    }
                    v["dcs"] = to_hex(&[s.dcs.raw]).into();
                    v["text"] = ud.text.clone().into();
                    v["concat"] = ud
                        .udh
                        .as_ref()
                        .and_then(Udh::concat)
                        .map_or(Value::Null, concat);
                }
                Ok(other) => v["decode_error"] = format!("decoded as {:?}", other.kind()).into(),
                Err(e) => v["decode_error"] = e.to_string().into(),
            }
            v
        })
        .collect();
    Ok(json!({
        "to": to,
        "coding": if gsm { "gsm7" } else { "ucs2" },
        "characters": text.chars().count(),
        "text_septets": if gsm { septets.map_or(Value::Null, Value::from) } else { Value::Null },
        "text_utf16_units": if gsm { Value::Null } else { text.encode_utf16().count().into() },
        "smsc": opts.smsc,
        "status_report_requested": opts.request_status_report,
        "validity": opts.validity.as_ref().map_or(Value::Null, validity),
        "parts": parts.len(),
        "pdus": plan,
    }))
}

fn ton_name(t: TypeOfNumber) -> &'static str {
    match t {
        TypeOfNumber::Unknown => "unknown",
        TypeOfNumber::International => "international",
        TypeOfNumber::National => "national",
        TypeOfNumber::NetworkSpecific => "network_specific",
        TypeOfNumber::Subscriber => "subscriber",
        TypeOfNumber::Alphanumeric => "alphanumeric",
        TypeOfNumber::Abbreviated => "abbreviated",
        TypeOfNumber::Reserved => "reserved",
    }
}

/// Numbering-plan identification, low nibble of the type-of-address octet.
fn npi_name(toa: u8) -> &'static str {
    match toa & 0x0F {
        0x0 => "unknown",
        0x1 => "isdn_telephone",
        0x3 => "data",
        0x4 => "telex",
        0x5 => "sc_specific_5",
        0x6 => "sc_specific_6",
        0x8 => "national",
        0x9 => "private",
        0xA => "ermes",
        0xF => "extension",
        _ => "reserved",
    }
}

fn address(a: &Address) -> Value {
    let alpha = a.ton == TypeOfNumber::Alphanumeric;
    json!({
        "value": a.value,
        "digits": if alpha { Value::Null } else { a.digits().into() },
        "alphanumeric": if alpha { a.value.as_str().into() } else { Value::Null },
        "type_of_number": ton_name(a.ton),
        "numbering_plan": npi_name(a.toa),
        "toa": to_hex(&[a.toa]),
    })
}

fn first_octet(fo: u8, kind: PduKind) -> Value {
    let bit = |n: u8| fo & (1 << n) != 0;
    let mut v = json!({
        "hex": to_hex(&[fo]),
        "mti": fo & 3,
        "udhi": bit(6),
    });
    match kind {
        PduKind::Deliver => {
            v["mms"] = bit(2).into();
            v["more_messages_waiting"] = (!bit(2)).into();
            v["lp"] = bit(3).into();
            v["sri"] = bit(5).into();
            v["rp"] = bit(7).into();
        }
        PduKind::Submit => {
            v["rd"] = bit(2).into();
            v["vpf"] = match (fo >> 3) & 3 {
                0 => "none",
                1 => "enhanced",
                2 => "relative",
                _ => "absolute",
            }
            .into();
            v["srr"] = bit(5).into();
            v["rp"] = bit(7).into();
        }
        PduKind::StatusReport => {
            v["mms"] = bit(2).into();
            v["more_messages_waiting"] = (!bit(2)).into();
            v["lp"] = bit(3).into();
            v["srq"] = bit(5).into();
        }
    }
    v
}

/// TP-PID (TS 23.040 §9.2.3.9).
fn pid(p: u8) -> Value {
    let meaning = match p {
        0x00 => "default (plain short message)".to_string(),
        0x01..=0x1F => "SME-to-SME protocol".to_string(),
        0x20..=0x3F => format!("telematic interworking, device 0x{:02X}", p & 0x1F),
        0x40 => "short message type 0 (acknowledge, do not store)".to_string(),
        0x41..=0x47 => format!("replace short message type {}", p - 0x40),
        0x5E => "Enhanced Message Service (obsolete)".to_string(),
        0x5F => "return call message".to_string(),
        0x7C => "ANSI-136 R-DATA".to_string(),
        0x7D => "ME data download".to_string(),
        0x7E => "ME de-personalization short message".to_string(),
        0x7F => "(U)SIM data download".to_string(),
        0xC0..=0xFF => "SC specific use".to_string(),
        _ => "reserved".to_string(),
    };
    json!({ "raw": p, "hex": to_hex(&[p]), "meaning": meaning })
}

fn dcs(d: &Dcs) -> Value {
    const KINDS: [&str; 4] = ["voicemail", "fax", "email", "other"];
    json!({
        "raw": d.raw,
        "hex": to_hex(&[d.raw]),
        "alphabet": match d.alphabet {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::Data8 => "8bit",
            Alphabet::Ucs2 => "ucs2",
        },
        "class": d.class,
        "compressed": d.compressed,
        "waiting": d.waiting.map_or(Value::Null, |w| json!({
            "active": w.active,
            "kind": KINDS[(w.kind & 3) as usize],
            "store": w.store,
        })),
    })
}

fn scts(s: &Scts) -> Value {
    s.to_rfc3339().into()
}

fn validity(v: &Validity) -> Value {
    match v {
        Validity::Relative { minutes } => json!({
            "format": "relative",
            "octet": to_hex(&[Validity::relative_octet(*minutes)]),
            "minutes": minutes,
        }),
        Validity::Absolute(s) => json!({ "format": "absolute", "expires": scts(s) }),
        Validity::Enhanced(raw) => json!({ "format": "enhanced", "hex": to_hex(raw) }),
    }
}

/// TP-ST (TS 23.040 §9.2.3.15).
fn status(st: u8) -> Value {
    let meaning = match st {
        0x00 => "short message received by the SME",
        0x01 => "forwarded to the SME, delivery not confirmed",
        0x02 => "replaced by the SC",
        0x20 | 0x60 => "congestion",
        0x21 | 0x61 => "SME busy",
        0x22 | 0x62 => "no response from SME",
        0x23 | 0x63 => "service rejected",
        0x24 | 0x44 | 0x64 => "quality of service not available",
        0x25 | 0x65 => "error in SME",
        0x40 => "remote procedure error",
        0x41 => "incompatible destination",
        0x42 => "connection rejected by SME",
        0x43 => "not obtainable",
        0x45 => "no interworking available",
        0x46 => "validity period expired",
        0x47 => "deleted by originating SME",
        0x48 => "deleted by SC administration",
        0x49 => "short message does not exist",
        0x10..=0x1F | 0x30..=0x3F | 0x50..=0x5F | 0x70..=0x7F => "SC specific",
        _ => "reserved",
    };
    let outcome = match DeliveryOutcome::from_status(st) {
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Pending => "pending",
        DeliveryOutcome::Failed => "failed",
    };
    json!({ "raw": st, "hex": to_hex(&[st]), "outcome": outcome, "meaning": meaning })
}

fn concat(c: super::Concat) -> Value {
    json!({
        "ref": c.reference,
        "total": c.total,
        "seq": c.seq,
        "ref_bits": c.ref_bits,
    })
}

fn iei_name(iei: u8) -> &'static str {
    match iei {
        0x00 => "concatenation, 8-bit reference",
        0x01 => "special SMS message indication",
        0x04 => "application port, 8-bit",
        0x05 => "application port, 16-bit",
        0x06 => "SMSC control parameters",
        0x07 => "UDH source indicator",
        0x08 => "concatenation, 16-bit reference",
        0x09 => "wireless control message protocol",
        0x0A => "text formatting",
        0x0B..=0x1F => "EMS element",
        0x20 => "RFC 822 e-mail header",
        0x22 => "reply address",
        0x24 => "national language single shift",
        0x25 => "national language locking shift",
        0x70..=0x7F => "(U)SIM toolkit security header",
        0x80..=0x9F => "SME to SME specific",
        0xC0..=0xDF => "SC specific",
        _ => "reserved",
    }
}

fn udh(u: &Udh) -> Value {
    let elements: Vec<Value> = u
        .ies
        .iter()
        .map(|ie| {
            json!({
                "iei": to_hex(&[ie.iei]),
                "name": iei_name(ie.iei),
                "data": to_hex(&ie.data),
            })
        })
        .collect();
    let body = u.to_bytes();
    json!({
        "length": body.len(),
        "hex": to_hex(&body),
        "elements": elements,
        "malformed_tail": if u.malformed_tail.is_empty() {
            Value::Null
        } else {
            to_hex(&u.malformed_tail).into()
        },
        "ports": u.ports().map_or(Value::Null, |(dst, src)| json!({
            "destination": dst,
            "source": src,
        })),
    })
}

/// TP-UDL and TP-UD, flattened into the message object.
fn user_data(m: &mut Map<String, Value>, ud: Option<&UserData>, dcs: &Dcs) {
    let Some(ud) = ud else {
        for k in [
            "user_data_length",
            "user_data_unit",
            "user_data_octets",
            "truncated",
            "udh",
            "concat",
            "text",
            "data_hex",
        ] {
            m.insert(k.into(), Value::Null);
        }
        return;
    };
    m.insert("user_data_length".into(), ud.udl.into());
    m.insert(
        "user_data_unit".into(),
        if dcs.alphabet == Alphabet::Gsm7 {
            "septets"
        } else {
            "octets"
        }
        .into(),
    );
    m.insert("user_data_octets".into(), ud.octets.into());
    m.insert("truncated".into(), ud.truncated.into());
    m.insert("udh".into(), ud.udh.as_ref().map_or(Value::Null, udh));
    m.insert(
        "concat".into(),
        ud.udh
            .as_ref()
            .and_then(Udh::concat)
            .map_or(Value::Null, concat),
    );
    m.insert("text".into(), ud.text.clone().into());
    m.insert(
        "data_hex".into(),
        if dcs.alphabet == Alphabet::Data8 {
            to_hex(&ud.payload).into()
        } else {
            Value::Null
        },
    );
}

#[cfg(test)]
mod tests;
