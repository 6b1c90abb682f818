//! Building SMS-SUBMIT PDUs for replies: GSM 7-bit when every character is in the default
//! alphabet or its extension table, UCS2 otherwise, split into concatenated parts with an
//! 8-bit reference UDH when too long (153 septets / 67 UTF-16 units per part). An escape
//! pair or a surrogate pair is never split across parts. Also SMS-DELIVER, single part,
//! for fake modems in tests.

use super::address::{write_smsc, write_tp_address, TypeOfNumber};
use super::gsm7::{self, char_cost};
use super::scts::Scts;
use super::submit::Validity;
use super::{to_hex, ucs2, EncodeError};

/// Which alphabet to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Coding {
    /// GSM 7-bit if the text allows it, UCS2 otherwise.
    #[default]
    Auto,
    /// GSM 7-bit or [`EncodeError::NotGsm7`].
    Gsm7,
    /// UCS2 even for plain text.
    Ucs2,
}

/// Options for [`encode_submit`]. `Default` gives: no status report, no validity period
/// (the SMSC default applies), TP-MR 0, concatenation reference 0, no SMSC in the PDU
/// (the modem's `AT+CSCA` is used), automatic coding, no message class.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitOptions {
    /// Sets TP-SRR so the network sends a status report.
    pub request_status_report: bool,
    /// TP-VP; `None` leaves TP-VPF at "not present".
    pub validity: Option<Validity>,
    /// TP-MR for every part (most modems overwrite it with their own counter).
    pub message_ref: u8,
    /// The 8-bit reference shared by all parts of one concatenated message.
    pub concat_ref: u8,
    /// SMSC number to put in the PDU; `None` writes `00` (use the modem's setting).
    pub smsc: Option<String>,
    pub coding: Coding,
    /// Message class 0–3 (0 = flash SMS shown, not stored); `None` = no class.
    pub message_class: Option<u8>,
    /// Sets TP-RD (SMSC rejects a duplicate TP-MR to the same recipient).
    pub reject_duplicates: bool,
    /// Type numbers without "+" as national (0xA1) instead of unknown (0x81).
    pub national_numbers: bool,
    /// Sets TP-RP (reply path: the recipient may answer through our SMSC).
    pub reply_path: bool,
}

/// Options for [`encode_deliver`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliverOptions {
    pub smsc: Option<String>,
    pub coding: Coding,
    /// Leaves TP-MMS clear ("more messages waiting"); Gammu's backups do this.
    pub more_messages: bool,
}

/// One PDU ready for `AT+CMGS=<tpdu_len>` followed by `pdu_hex` and Ctrl-Z.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPart {
    /// SMSC field (`00` unless an SMSC was given) followed by the TPDU, upper-case hex.
    pub pdu_hex: String,
    /// TPDU octets, SMSC field excluded: the `<n>` of `AT+CMGS=<n>`.
    pub tpdu_len: usize,
    /// 1-based part number and part count (1 of 1 for a single message).
    pub seq: u8,
    pub total: u8,
}

enum Body {
    Septets(Vec<u8>),
    Octets(Vec<u8>),
}

fn use_gsm7(text: &str, coding: Coding) -> Result<bool, EncodeError> {
    match coding {
        Coding::Ucs2 => Ok(false),
        Coding::Auto => Ok(gsm7::gsm7_septets(text).is_some()),
        Coding::Gsm7 => match text.chars().find(|&c| char_cost(c).is_none()) {
            Some(c) => Err(EncodeError::NotGsm7(c)),
            None => Ok(true),
        },
    }
}

/// Splits text into part bodies: GSM 7-bit by septets, UCS2 by UTF-16 units, never
/// splitting a character.
fn split(text: &str, gsm: bool) -> Vec<Body> {
    let cost = |c: char| {
        if gsm {
            char_cost(c).unwrap_or(1)
        } else {
            c.len_utf16()
        }
    };
    let (single, multi) = if gsm { (160, 153) } else { (70, 67) };
    let total: usize = text.chars().map(cost).sum();
    let limit = if total <= single { usize::MAX } else { multi };
    let mut parts: Vec<String> = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        if used + cost(c) > limit {
            parts.push(String::new());
            used = 0;
        }
        parts.last_mut().expect("never empty").push(c);
        used += cost(c);
    }
    parts
        .into_iter()
        .map(|p| match gsm {
            true => Body::Septets(gsm7::to_septets(&p).unwrap_or_default()),
            false => Body::Octets(ucs2::encode(&p)),
        })
        .collect()
}

fn dcs_for(base: u8, class: Option<u8>) -> u8 {
    match class {
        Some(c) => 0x10 | base | (c & 3),
        None => base,
    }
}

/// Writes TP-DCS, TP-UDL and TP-UD, with a concatenation header when `concat` is given.
fn write_ud(
    out: &mut Vec<u8>,
    body: &Body,
    dcs_base: u8,
    class: Option<u8>,
    concat: Option<[u8; 3]>,
) {
    let hdr: Vec<u8> = concat
        .map(|[r, t, s]| vec![5, 0, 3, r, t, s])
        .unwrap_or_default();
    match body {
        Body::Septets(s) => {
            out.push(dcs_for(0x00, class));
            let skip = (hdr.len() * 8).div_ceil(7);
            let mut ud = hdr;
            gsm7::pack_into(&mut ud, skip, s);
            out.push((skip + s.len()) as u8);
            out.extend_from_slice(&ud);
        }
        Body::Octets(o) => {
            out.push(dcs_for(dcs_base, class));
            out.push((hdr.len() + o.len()) as u8);
            out.extend_from_slice(&hdr);
            out.extend_from_slice(o);
        }
    }
}

fn plain_ton(national: bool) -> TypeOfNumber {
    if national {
        TypeOfNumber::National
    } else {
        TypeOfNumber::Unknown
    }
}

fn submit_parts(
    to: &str,
    bodies: Vec<Body>,
    dcs_base: u8,
    opts: &SubmitOptions,
) -> Result<Vec<EncodedPart>, EncodeError> {
    if bodies.len() > 255 {
        return Err(EncodeError::TooManyParts(bodies.len()));
    }
    let ton = plain_ton(opts.national_numbers);
    let mut smsc = Vec::new();
    write_smsc(&mut smsc, opts.smsc.as_deref(), ton)?;
    let total = bodies.len() as u8;
    let mut parts = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        let seq = i as u8 + 1;
        let mut first = 0x01;
        if opts.reject_duplicates {
            first |= 0x04;
        }
        if let Some(v) = &opts.validity {
            first |= v.vpf_bits();
        }
        if opts.request_status_report {
            first |= 0x20;
        }
        if total > 1 {
            first |= 0x40;
        }
        if opts.reply_path {
            first |= 0x80;
        }
        let mut tpdu = vec![first, opts.message_ref];
        write_tp_address(&mut tpdu, to, ton)?;
        tpdu.push(0x00); // TP-PID: plain short message
        let mut rest = Vec::new();
        write_ud(
            &mut rest,
            body,
            dcs_base,
            opts.message_class,
            (total > 1).then_some([opts.concat_ref, total, seq]),
        );
        tpdu.push(rest[0]); // TP-DCS
        if let Some(v) = &opts.validity {
            v.write(&mut tpdu);
        }
        tpdu.extend_from_slice(&rest[1..]);
        let mut all = smsc.clone();
        all.extend_from_slice(&tpdu);
        parts.push(EncodedPart {
            pdu_hex: to_hex(&all),
            tpdu_len: tpdu.len(),
            seq,
            total,
        });
    }
    Ok(parts)
}

/// Encodes a text reply as one or more SMS-SUBMIT PDUs.
pub fn encode_submit(
    to: &str,
    text: &str,
    opts: &SubmitOptions,
) -> Result<Vec<EncodedPart>, EncodeError> {
    let gsm = use_gsm7(text, opts.coding)?;
    submit_parts(to, split(text, gsm), 0x08, opts)
}

/// Encodes 8-bit data (TP-DCS 0x04, or 0x14–0x17 with a class) as SMS-SUBMIT PDUs,
/// 140 octets in one part or 134 per concatenated part. `opts.coding` is ignored.
pub fn encode_submit_data(
    to: &str,
    data: &[u8],
    opts: &SubmitOptions,
) -> Result<Vec<EncodedPart>, EncodeError> {
    let chunk = if data.len() <= 140 { 140 } else { 134 };
    let mut bodies: Vec<Body> = data
        .chunks(chunk)
        .map(|c| Body::Octets(c.to_vec()))
        .collect();
    if bodies.is_empty() {
        bodies.push(Body::Octets(Vec::new()));
    }
    submit_parts(to, bodies, 0x04, opts)
}

/// Number of SMS parts `text` needs when sent with automatic coding (1 for empty text).
/// Reply templates must keep this at 1.
pub fn segments(text: &str) -> usize {
    split(text, gsm7::gsm7_septets(text).is_some()).len()
}

/// Encodes a single-part SMS-DELIVER, as a network would deliver it (for fake modems).
pub fn encode_deliver(
    from: &str,
    text: &str,
    scts: &Scts,
    opts: &DeliverOptions,
) -> Result<EncodedPart, EncodeError> {
    let gsm = use_gsm7(text, opts.coding)?;
    let mut bodies = split(text, gsm);
    if bodies.len() != 1 {
        return Err(EncodeError::TooLong(bodies.len()));
    }
    let body = bodies.remove(0);
    let mut out = Vec::new();
    write_smsc(&mut out, opts.smsc.as_deref(), TypeOfNumber::Unknown)?;
    let smsc_len = out.len();
    out.push(if opts.more_messages { 0x00 } else { 0x04 });
    write_tp_address(&mut out, from, TypeOfNumber::Unknown)?;
    out.push(0x00);
    let mut rest = Vec::new();
    write_ud(&mut rest, &body, 0x08, None, None);
    out.push(rest[0]);
    out.extend_from_slice(&scts.to_octets());
    out.extend_from_slice(&rest[1..]);
    Ok(EncodedPart {
        tpdu_len: out.len() - smsc_len,
        pdu_hex: to_hex(&out),
        seq: 1,
        total: 1,
    })
}
