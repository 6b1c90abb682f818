//! PDUs the simulated network hands the modem: SMS-DELIVERs for the texts a test sends
//! (single part through [`encode_deliver`], concatenated parts by re-framing the parts
//! [`encode_submit`] splits, whose user data is laid out the same way) and the
//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3) for a submitted message. Time stamps are the
//! wall clock in Western Indonesia Time (UTC+7), as a Telkomsel SMSC would write them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::pdu::{
    encode_deliver, encode_submit, parse_hex, segments, DeliverOptions, EncodeError, Scts,
    SubmitOptions,
};

/// WIB, in quarter hours.
const WIB_QUARTERS: i8 = 28;

/// The time stamp of `now + ahead` in WIB.
pub(crate) fn scts_in(ahead: Duration) -> Scts {
    let unix = SystemTime::now()
        .checked_add(ahead)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    let local = unix + i64::from(WIB_QUARTERS) * 15 * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    Scts {
        year: year as u16,
        month,
        day,
        hour: (secs / 3600) as u8,
        minute: (secs % 3600 / 60) as u8,
        second: (secs % 60) as u8,
        tz_quarter_hours: WIB_QUARTERS,
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The SMSC field of the AT framing for `smsc` (`00` when it is empty or not a number).
pub(crate) fn smsc_field(smsc: &str) -> Vec<u8> {
    let (toa, digits) = match smsc.strip_prefix('+') {
        Some(d) => (0x91, d),
        None => (0x81, smsc),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return vec![0];
    }
    let mut out = vec![0, toa];
    for pair in digits.as_bytes().chunks(2) {
        let lo = pair[0] - b'0';
        let hi = pair.get(1).map_or(0x0F, |d| d - b'0');
        out.push(hi << 4 | lo);
    }
    out[0] = (out.len() - 1) as u8;
    out
}

/// TP-DA/TP-RA starting at `at`: length (semi-octets), type, digits.
fn raw_address(tpdu: &[u8], at: usize) -> &[u8] {
    let semi = tpdu.get(at).copied().unwrap_or(0) as usize;
    let end = (at + 2 + semi.div_ceil(2)).min(tpdu.len());
    tpdu.get(at..end).unwrap_or_default()
}

/// The SMS-DELIVER PDUs (SMSC field included) of `text` from `from`: one, or the parts
/// of a concatenated message with reference `concat_ref` when it is too long for one.
pub(crate) fn deliver_parts(
    smsc: &str,
    from: &str,
    text: &str,
    concat_ref: u8,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let scts = scts_in(Duration::ZERO);
    let field = smsc_field(smsc);
    let hex = |h: &str| parse_hex(h).expect("the encoder writes valid hex");
    if segments(text) <= 1 {
        let opts = DeliverOptions {
            smsc: (field.len() > 1).then(|| smsc.to_string()),
            ..DeliverOptions::default()
        };
        let part = encode_deliver(from, text, &scts, &opts)?;
        return Ok(vec![hex(&part.pdu_hex)]);
    }
    let opts = SubmitOptions {
        concat_ref,
        ..SubmitOptions::default()
    };
    let parts = encode_submit(from, text, &opts)?;
    Ok(parts
        .iter()
        .map(|p| {
            // `00` (no SMSC), then SUBMIT: first octet, MR, DA, PID, DCS, UDL, UD (no VP).
            let submit = hex(&p.pdu_hex);
            let tpdu = &submit[1..];
            let da = raw_address(tpdu, 2);
            let after = 2 + da.len();
            let mut out = field.clone();
            out.push(0x04 | (tpdu[0] & 0x40)); // DELIVER, no more messages, UDHI kept
            out.extend_from_slice(da);
            out.extend_from_slice(&tpdu[after..after + 2]); // PID, DCS
            out.extend_from_slice(&scts.to_octets());
            out.extend_from_slice(&tpdu[after + 2..]);
            out
        })
        .collect())
}

/// The SMS-STATUS-REPORT (SMSC field included) saying that the SUBMIT `submit_tpdu`,
/// accepted now with TP-MR `mr`, was delivered `delay` later (TP-ST 0).
pub(crate) fn status_report(smsc: &str, mr: u8, submit_tpdu: &[u8], delay: Duration) -> Vec<u8> {
    let mut out = smsc_field(smsc);
    out.push(0x06); // SMS-STATUS-REPORT, no more messages, TP-SRQ: result of a SUBMIT
    out.push(mr);
    out.extend_from_slice(raw_address(submit_tpdu, 2));
    out.extend_from_slice(&scts_in(Duration::ZERO).to_octets());
    out.extend_from_slice(&scts_in(delay).to_octets());
    out.push(0x00);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }

    #[test]
    fn smsc_fields() {
        assert_eq!(
            smsc_field("+6281100000"),
            vec![6, 0x91, 0x26, 0x18, 0x01, 0x00, 0x00]
        );
        assert_eq!(
            smsc_field("628110000"),
            vec![6, 0x81, 0x26, 0x18, 0x01, 0x00, 0xF0]
        );
        assert_eq!(smsc_field(""), vec![0]);
        assert_eq!(smsc_field("Telkomsel"), vec![0]);
    }
}
