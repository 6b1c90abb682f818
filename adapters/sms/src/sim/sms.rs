//! The SMS commands of TS 27.005 in PDU mode: storage (`+CPMS`, `+CMGL`, `+CMGR`,
//! `+CMGD`), indications (`+CNMI`), the service centre (`+CSCA`), and sending (`+CMGS`,
//! whose PDU arrives after the prompt and goes to [`submit`]). The storages "SM", "ME"
//! and "MT" all name the one SIM store (only "SM" is advertised). Text mode can be selected but its commands then
//! fail with `+CMS ERROR: 302`, which is also what a daemon sees from a modem that was
//! reset out of PDU mode.

use crate::pdu::{decode, parse_hex, Framing, PduKind, TypeHint};

use super::commands::{args, lines, num, ok, setting, toa, End, Fail, Form, Outcome, Reply, Step};
use super::config::SentSms;
use super::pdus;
use super::state::{Shared, State, REC_READ, REC_UNREAD};

/// The memories `AT+CPMS` accepts; all name the one store.
const MEMORIES: [&str; 3] = ["SM", "ME", "MT"];

/// The memories `AT+CPMS=?` lists: only "SM", so that a client walking every memory
/// (gammu does) does not read each message twice.
const ADVERTISED: &str = "(\"SM\")";

/// Longest TPDU `AT+CMGS` takes: the 164 octets of an SMS-SUBMIT with a 20-digit
/// address, relative validity and 140 octets of user data, plus slack for enhanced VP.
const MAX_TPDU: usize = 176;

/// Runs `name` if it is an SMS command; `None` for any other command.
pub(crate) fn handle(
    shared: &Shared,
    st: &mut State,
    name: &str,
    form: Form<'_>,
) -> Option<Outcome> {
    let needs_sim = matches!(
        name,
        "+CPMS" | "+CMGL" | "+CMGR" | "+CMGD" | "+CMGS" | "+CSCA"
    );
    if needs_sim && form != Form::Test && st.sim_not_ready() {
        return Some(Err(Fail::Cms(310)));
    }
    let pdu_mode_only = matches!(name, "+CMGL" | "+CMGR" | "+CMGS");
    if pdu_mode_only && form != Form::Test && st.settings.cmgf == 1 {
        return Some(Err(Fail::Cms(302)));
    }
    Some(match name {
        "+CMGF" => setting(form, "+CMGF: (0,1)", &mut st.settings.cmgf, 1),
        "+CSMS" => csms(st, form),
        "+CMMS" => setting(form, "+CMMS: (0-2)", &mut st.settings.cmms, 2),
        "+CPMS" => cpms(shared, st, form),
        "+CNMI" => cnmi(st, form),
        "+CSCA" => csca(st, form),
        "+CSMP" => match form {
            Form::Read => lines(["+CSMP: 17,167,0,0".to_string()]),
            _ => ok(),
        },
        "+CSDH" => setting(form, "+CSDH: (0,1)", &mut 0, 1),
        "+CMGL" => cmgl(st, form),
        "+CMGR" => cmgr(shared, st, form),
        "+CMGD" => cmgd(shared, st, form),
        "+CMGS" => match form {
            Form::Test => ok(),
            Form::Set(a) => match num(&args(a), 0) {
                Some(n) if (1..=MAX_TPDU as u32).contains(&n) => Ok(Step::Prompt(n as usize)),
                _ => Err(Fail::Cms(304)),
            },
            _ => Err(Fail::Error),
        },
        // Messages are stored, never routed with +CMT, so nothing needs acknowledging.
        "+CNMA" => Err(Fail::Cms(340)),
        _ => return None,
    })
}

fn csms(st: &mut State, form: Form<'_>) -> Outcome {
    match form {
        Form::Read => lines([format!("+CSMS: {},1,1,1", st.settings.csms)]),
        Form::Test => lines(["+CSMS: (0,1)".to_string()]),
        Form::Set(a) => match num(&args(a), 0) {
            Some(s @ 0..=1) => {
                st.settings.csms = s as u8;
                lines(["+CSMS: 1,1,1".to_string()])
            }
            _ => Err(Fail::Cms(303)),
        },
        Form::Exec => Err(Fail::Error),
    }
}

fn cpms(shared: &Shared, st: &mut State, form: Form<'_>) -> Outcome {
    let used = st.slots.len();
    let total = shared.cfg.capacity;
    match form {
        Form::Read => {
            let mems: Vec<String> = st
                .settings
                .cpms
                .iter()
                .map(|m| format!("\"{m}\",{used},{total}"))
                .collect();
            lines([format!("+CPMS: {}", mems.join(","))])
        }
        Form::Test => lines([format!("+CPMS: {ADVERTISED},{ADVERTISED},{ADVERTISED}")]),
        Form::Set(a) => {
            let a = args(a);
            if a.len() > 3 {
                return Err(Fail::Cms(302));
            }
            let mut mems = st.settings.cpms.clone();
            for (slot, arg) in mems.iter_mut().zip(&a) {
                let m = arg.text.to_ascii_uppercase();
                if !MEMORIES.contains(&m.as_str()) {
                    return Err(Fail::Cms(302));
                }
                *slot = m;
            }
            st.settings.cpms = mems;
            lines([format!(
                "+CPMS: {used},{total},{used},{total},{used},{total}"
            )])
        }
        Form::Exec => Err(Fail::Error),
    }
}

fn cnmi(st: &mut State, form: Form<'_>) -> Outcome {
    let c = &mut st.settings.cnmi;
    match form {
        Form::Read => lines([format!(
            "+CNMI: {},{},{},{},{}",
            c[0], c[1], c[2], c[3], c[4]
        )]),
        Form::Test => lines(["+CNMI: (0-3),(0,1),(0),(0-2),(0,1)".to_string()]),
        Form::Set(a) => {
            let a = args(a);
            let max = [3, 1, 0, 2, 1];
            if a.len() > 5 {
                return Err(Fail::Cms(303));
            }
            let mut new = *c;
            for (i, arg) in a.iter().enumerate() {
                if arg.text.trim().is_empty() {
                    continue;
                }
                // <mt> 2/3 (+CMT routing) is not offered: messages are always stored.
                match num(&a, i) {
                    Some(v) if v <= max[i] => new[i] = v as u8,
                    _ => return Err(Fail::Cms(303)),
                }
            }
            *c = new;
            ok()
        }
        Form::Exec => Err(Fail::Error),
    }
}

fn csca(st: &mut State, form: Form<'_>) -> Outcome {
    match form {
        Form::Read if st.smsc.is_empty() => Err(Fail::Cms(330)),
        Form::Read => lines([format!("+CSCA: \"{}\",{}", st.smsc, toa(&st.smsc))]),
        Form::Test => ok(),
        Form::Set(a) => {
            let number = args(a).remove(0).text;
            let digits = number.strip_prefix('+').unwrap_or(&number);
            if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(Fail::Cms(304));
            }
            st.smsc = number;
            ok()
        }
        Form::Exec => Err(Fail::Error),
    }
}

/// Which `<stat>` values `AT+CMGL=<stat>` lists: 0..=3 one, 4 all.
fn listed(filter: u8, stat: u8) -> bool {
    filter == 4 || filter == stat
}

fn cmgl(st: &mut State, form: Form<'_>) -> Outcome {
    let filter = match form {
        Form::Test => return lines(["+CMGL: (0-4)".to_string()]),
        Form::Exec => 0,
        Form::Set(a) => match num(&args(a), 0) {
            Some(f @ 0..=4) => f as u8,
            _ => return Err(Fail::Cms(304)),
        },
        Form::Read => return Err(Fail::Error),
    };
    let mut items = Vec::new();
    for (index, slot) in st.slots.iter_mut() {
        if !listed(filter, slot.stat) {
            continue;
        }
        items.push(vec![
            format!("+CMGL: {index},{},,{}", slot.stat, slot.tpdu_len()),
            crate::pdu::to_hex(&slot.pdu),
        ]);
        if slot.stat == REC_UNREAD {
            slot.stat = REC_READ;
        }
    }
    Ok(Step::Items(items))
}

fn cmgr(shared: &Shared, st: &mut State, form: Form<'_>) -> Outcome {
    let index = match form {
        Form::Test => return ok(),
        Form::Set(a) => num(&args(a), 0).ok_or(Fail::Cms(304))?,
        _ => return Err(Fail::Error),
    };
    if index == 0 || index as usize > shared.cfg.capacity {
        return Err(Fail::Cms(321));
    }
    let Some(slot) = st.slots.get_mut(&index) else {
        return Err(Fail::Cms(321));
    };
    let item = vec![
        format!("+CMGR: {},,{}", slot.stat, slot.tpdu_len()),
        crate::pdu::to_hex(&slot.pdu),
    ];
    if slot.stat == REC_UNREAD {
        slot.stat = REC_READ;
    }
    Ok(Step::Items(vec![item]))
}

fn cmgd(shared: &Shared, st: &mut State, form: Form<'_>) -> Outcome {
    let a = match form {
        Form::Test => {
            let used: Vec<String> = st.slots.keys().map(u32::to_string).collect();
            return lines([format!("+CMGD: ({}),(0-4)", used.join(","))]);
        }
        Form::Set(a) => args(a),
        _ => return Err(Fail::Error),
    };
    let flag = match a.get(1) {
        None => 0,
        Some(_) => num(&a, 1).filter(|f| *f <= 4).ok_or(Fail::Cms(304))?,
    };
    if flag == 0 {
        let index = num(&a, 0).ok_or(Fail::Cms(304))?;
        if index == 0 || index as usize > shared.cfg.capacity {
            return Err(Fail::Cms(321));
        }
        // Deleting an empty slot is OK on most modems (SIM800, Huawei).
        st.slots.remove(&index);
    } else {
        // 1: read; 2: read and sent; 3: read, sent and unsent; 4: all.
        let delete = |stat: u8| match flag {
            1 => stat == REC_READ,
            2 => stat == REC_READ || stat == 3,
            3 => stat != REC_UNREAD,
            _ => true,
        };
        st.slots.retain(|_, s| !delete(s.stat));
    }
    ok()
}

/// The result of the PDU typed after the `> ` prompt.
pub(crate) struct Submitted {
    pub reply: Reply,
    /// The SMS-STATUS-REPORT (SMSC field included) to send as `+CDS` later, if the
    /// message asked for one.
    pub report: Option<Vec<u8>>,
}

/// Takes the PDU of `AT+CMGS=<tpdu_len>` (hex, as typed before Ctrl-Z).
pub(crate) fn submit(shared: &Shared, tpdu_len: usize, hex: &str) -> Submitted {
    let mut st = shared.lock();
    let refuse = |st: &State, f: Fail| Submitted {
        reply: Reply {
            items: Vec::new(),
            end: End::Final(f.line(st.settings.cmee)),
        },
        report: None,
    };
    let Ok(bytes) = parse_hex(hex) else {
        return refuse(&st, Fail::Cms(304));
    };
    let submit = match decode(&bytes, Framing::WithSmsc, TypeHint::Expect(PduKind::Submit)) {
        Ok(crate::pdu::Pdu::Submit(s)) if s.tpdu_len == tpdu_len => s,
        _ => return refuse(&st, Fail::Cms(304)),
    };
    if let Some(code) = st.take_cms_fault(&format!("AT+CMGS={tpdu_len}")) {
        return refuse(&st, Fail::Cms(code));
    }
    if st.settings.cfun != 1 {
        return refuse(&st, Fail::Cms(331));
    }
    if submit.smsc.is_none() && st.smsc.is_empty() {
        return refuse(&st, Fail::Cms(330));
    }
    let mr = st.next_mr;
    st.next_mr = mr.wrapping_add(1);
    let tpdu = bytes[bytes.len() - tpdu_len..].to_vec();
    let report = submit
        .status_report_requested()
        .then(|| pdus::status_report(&st.smsc, mr, &tpdu, shared.cfg.status_report_delay));
    let concat = crate::pdu::Pdu::Submit(submit.clone()).concat();
    st.sent.push(SentSms {
        pdu: tpdu,
        to: submit.recipient.value.clone(),
        text: submit.user_data.text.clone(),
        mr,
        status_report_requested: submit.status_report_requested(),
        concat,
    });
    drop(st);
    shared.bump_changed();
    Submitted {
        reply: Reply::ok(vec![vec![format!("+CMGS: {mr}")]]),
        report,
    }
}
