//! Helpers for the vector test: field access across PDU types, time formats of the
//! sources, and grouping of multipart messages.

use lapor_sms::*;
use serde_json::Value;

pub fn kind_of(direction: &str) -> PduKind {
    match direction {
        "deliver" => PduKind::Deliver,
        "submit" => PduKind::Submit,
        _ => PduKind::StatusReport,
    }
}

pub fn decode_vector(v: &Value) -> Result<Pdu, PduError> {
    let framing = if v["smsc_included"].as_bool().unwrap() {
        Framing::WithSmsc
    } else {
        Framing::Tpdu
    };
    decode(
        v["pdu"].as_str().unwrap(),
        framing,
        TypeHint::Expect(kind_of(v["direction"].as_str().unwrap())),
    )
}

/// "2011-02-28T11:50:50-05" / "…Z" / "…+02:00" → "…±HH:MM".
pub fn norm_ts(s: &str) -> String {
    if let Some(x) = s.strip_suffix('Z') {
        return format!("{x}+00:00");
    }
    if s.len() == 22 {
        format!("{s}:00")
    } else {
        s.to_string()
    }
}

pub fn utc_naive(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn mm_format(s: &Scts) -> String {
    let h = s.tz_quarter_hours as i32 / 4;
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}{}{:02}",
        s.year % 100,
        s.month,
        s.day,
        s.hour,
        s.minute,
        s.second,
        if h < 0 { '-' } else { '+' },
        h.abs()
    )
}

pub fn addr_eq(a: &Address, e: &str) -> bool {
    a.value == e || (a.ton == TypeOfNumber::International && a.digits() == e)
}

pub fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

pub fn scts_of(p: &Pdu) -> Option<&Scts> {
    match p {
        Pdu::Deliver(d) => Some(&d.scts),
        Pdu::StatusReport(s) => Some(&s.scts),
        Pdu::Submit(_) => None,
    }
}

pub fn dcs_of(p: &Pdu) -> Option<Dcs> {
    match p {
        Pdu::Deliver(d) => Some(d.dcs),
        Pdu::Submit(s) => Some(s.dcs),
        Pdu::StatusReport(s) => s.dcs,
    }
}

pub fn pid_of(p: &Pdu) -> Option<u8> {
    match p {
        Pdu::Deliver(d) => Some(d.pid),
        Pdu::Submit(s) => Some(s.pid),
        Pdu::StatusReport(s) => s.pid,
    }
}

pub fn mr_of(p: &Pdu) -> Option<u8> {
    match p {
        Pdu::Submit(s) => Some(s.message_ref),
        Pdu::StatusReport(s) => Some(s.message_ref),
        Pdu::Deliver(_) => None,
    }
}

pub fn first_octet(p: &Pdu) -> u8 {
    match p {
        Pdu::Deliver(d) => d.first_octet,
        Pdu::Submit(s) => s.first_octet,
        Pdu::StatusReport(s) => s.first_octet,
    }
}

pub fn status_of(p: &Pdu) -> &StatusReport {
    match p {
        Pdu::StatusReport(s) => s,
        _ => panic!("not a status report"),
    }
}

pub fn validity_of(p: &Pdu) -> Option<Validity> {
    match p {
        Pdu::Submit(s) => s.validity,
        _ => None,
    }
}

pub fn text_matches(p: &Pdu, e: &Value) -> bool {
    let ud = p.user_data();
    match (e.as_str(), p.text()) {
        (None, t) => e.is_null() && t.is_none(),
        (Some(e), Some(t)) => t == e,
        // 8-bit data: some sources show the octets as Latin-1 text; compare that way.
        (Some(e), None) => ud.is_some_and(|u| latin1(&u.payload) == e),
    }
}

/// Parts of the same multipart message in the whole file (same assembled text, or same
/// sender + reference + total).
pub fn group<'a>(all: &'a [(Value, Option<Pdu>)], me: &Pdu, key: Option<&Value>) -> Vec<&'a Pdu> {
    let c = me.concat().unwrap();
    all.iter()
        .filter_map(|(v, p)| p.as_ref().map(|p| (v, p)))
        .filter(|(v, p)| match key {
            Some(k) => v["expected"].get("assembled_text") == Some(k),
            None => {
                p.concat()
                    .is_some_and(|o| (o.reference, o.total) == (c.reference, c.total))
                    && p.address() == me.address()
            }
        })
        .map(|(_, p)| p)
        .collect()
}
