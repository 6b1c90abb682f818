//! The AT interpreter: one command line in, a [`Reply`] out. A line may chain commands as
//! real modems allow (`ATE0V1`, `AT+CMGF=0;+CNMI=2,1`): they run in order and the first
//! failure ends the line. Basic commands (`E`, `Z`, `I`, `&F`, `S3?`, ...) and the
//! identification, SIM and network commands are here; the SMS commands are in
//! [`super::sms`]. Errors are formatted as `AT+CMEE` says: plain `ERROR`, numeric or
//! verbose `+CME ERROR`/`+CMS ERROR`.

use crate::at::{CmeCode, CmsCode};

use super::sms;
use super::state::{Settings, Shared, State};

/// What a command line produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// Intermediate responses; each group of lines stays together on the wire (a
    /// `+CMGL:` header and its PDU), noise only ever goes between groups.
    pub items: Vec<Vec<String>>,
    pub end: End,
}

/// How a command line ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// A final result line (`OK`, `ERROR`, `+CMS ERROR: 304`).
    Final(String),
    /// `AT+CMGS=<n>`: show the `> ` prompt and read a PDU of `n` TPDU octets.
    Prompt(usize),
}

impl Reply {
    pub fn ok(items: Vec<Vec<String>>) -> Self {
        Reply {
            items,
            end: End::Final("OK".into()),
        }
    }
}

/// Why a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fail {
    /// Syntax error or unknown command: always plain `ERROR`.
    Error,
    Cms(u16),
    Cme(u16),
}

impl Fail {
    /// The final result line for this failure under `AT+CMEE=<cmee>`.
    pub fn line(self, cmee: u8) -> String {
        let (label, n, name) = match self {
            Fail::Error => return "ERROR".into(),
            Fail::Cms(n) => ("+CMS ERROR:", n, CmsCode::new(n).name()),
            Fail::Cme(n) => ("+CME ERROR:", n, CmeCode::new(n).name()),
        };
        match (cmee, name) {
            (0, _) => "ERROR".into(),
            (2, Some(name)) => format!("{label} {name}"),
            _ => format!("{label} {n}"),
        }
    }
}

/// What one command of a line produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Items(Vec<Vec<String>>),
    Prompt(usize),
}

pub(crate) type Outcome = Result<Step, Fail>;

/// Success with nothing to say.
pub(crate) fn ok() -> Outcome {
    Ok(Step::Items(Vec::new()))
}

/// Success with one information line per string.
pub(crate) fn lines<I: IntoIterator<Item = String>>(it: I) -> Outcome {
    Ok(Step::Items(it.into_iter().map(|l| vec![l]).collect()))
}

/// The four forms of an extended command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form<'a> {
    /// `AT+CMD`
    Exec,
    /// `AT+CMD?`
    Read,
    /// `AT+CMD=?`
    Test,
    /// `AT+CMD=<args>`
    Set(&'a str),
}

/// One parameter of a set command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    pub text: String,
    pub quoted: bool,
}

/// Splits `a,"b,c",3` into parameters, quotes removed (and remembered).
pub(crate) fn args(s: &str) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut in_quote) = (false, false);
    for c in s.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                quoted = true;
            }
            ',' if !in_quote => {
                out.push(Arg {
                    text: std::mem::take(&mut cur),
                    quoted,
                });
                quoted = false;
            }
            _ => cur.push(c),
        }
    }
    out.push(Arg { text: cur, quoted });
    out
}

/// Parameter `i` as an unquoted number; `None` when absent, empty or not a number.
pub(crate) fn num(args: &[Arg], i: usize) -> Option<u32> {
    args.get(i)
        .filter(|a| !a.quoted)
        .and_then(|a| a.text.trim().parse().ok())
}

/// Runs one command line (starting with `AT`, without the CR).
pub(crate) fn execute(shared: &Shared, line: &str) -> Reply {
    let reply = {
        let mut st = shared.lock();
        st.commands.push(line.to_string());
        run_line(shared, &mut st, line)
    };
    shared.bump_changed();
    reply
}

fn run_line(shared: &Shared, st: &mut State, line: &str) -> Reply {
    let Some(commands) = line.get(2..).and_then(split) else {
        return fail(st, Fail::Error, Vec::new());
    };
    let mut items = Vec::new();
    for cmd in commands {
        let full = format!("AT{cmd}");
        // AT+CMGS fails after the PDU, as a network rejection does (see sms::submit).
        let deferred = full.to_ascii_uppercase().starts_with("AT+CMGS=");
        let outcome = match (!deferred).then(|| st.take_cms_fault(&full)).flatten() {
            Some(code) => Err(Fail::Cms(code)),
            None => one(shared, st, &cmd),
        };
        match outcome {
            Ok(Step::Items(mut v)) => items.append(&mut v),
            Ok(Step::Prompt(n)) => {
                return Reply {
                    items,
                    end: End::Prompt(n),
                }
            }
            Err(f) => return fail(st, f, items),
        }
    }
    Reply::ok(items)
}

fn fail(st: &State, f: Fail, items: Vec<Vec<String>>) -> Reply {
    Reply {
        items,
        end: End::Final(f.line(st.settings.cmee)),
    }
}

/// Cuts the part of a line after `AT` into commands; spaces outside quotes are ignored,
/// as modems do. `None` on a character that starts no command.
fn split(body: &str) -> Option<Vec<String>> {
    let mut chars = Vec::new();
    let mut in_quote = false;
    for c in body.chars() {
        if c == '"' {
            in_quote = !in_quote;
        }
        if in_quote || !c.is_whitespace() {
            chars.push(c);
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c == ';' {
            i += 1;
            continue;
        }
        if matches!(c, '+' | '^' | '$' | '#' | '%' | '*') {
            // Extended: up to the next `;` outside quotes.
            let mut q = false;
            i += 1;
            while i < chars.len() && (q || chars[i] != ';') {
                q ^= chars[i] == '"';
                i += 1;
            }
        } else if c == '&' || c.is_ascii_alphabetic() {
            let s_register = c.eq_ignore_ascii_case(&'s');
            i += if c == '&' { 2 } else { 1 };
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if s_register && i < chars.len() && matches!(chars[i], '=' | '?') {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
        } else {
            return None;
        }
        out.push(chars[start..i.min(chars.len())].iter().collect());
    }
    Some(out)
}

/// Runs one command of a line.
fn one(shared: &Shared, st: &mut State, cmd: &str) -> Outcome {
    let sigil = cmd.starts_with(['+', '^', '$', '#', '%', '*']);
    if !sigil {
        return basic(shared, st, &cmd.to_ascii_uppercase());
    }
    let name_len = 1 + cmd[1..]
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(cmd.len() - 1);
    let name = cmd[..name_len].to_ascii_uppercase();
    let rest = &cmd[name_len..];
    let form = match rest {
        "" => Form::Exec,
        "?" => Form::Read,
        "=?" => Form::Test,
        _ => match rest.strip_prefix('=') {
            Some(a) => Form::Set(a),
            None => return Err(Fail::Error),
        },
    };
    match sms::handle(shared, st, &name, form) {
        Some(outcome) => outcome,
        None => extended(shared, st, &name, form),
    }
}

/// Puts the volatile settings back to their power-up values.
fn reset(st: &mut State) {
    st.settings = Settings::default();
}

fn basic(shared: &Shared, st: &mut State, cmd: &str) -> Outcome {
    let cfg = &shared.cfg;
    match cmd {
        "E" | "E0" => st.settings.echo = false,
        "E1" => st.settings.echo = true,
        "V1" | "Q" | "Q0" | "&W" | "&W0" => {}
        "Z" | "Z0" | "&F" | "&F0" => reset(st),
        _ if cmd.starts_with('I') && cmd[1..].bytes().all(|b| b.is_ascii_digit()) => {
            return lines([
                format!("Manufacturer: {}", cfg.manufacturer),
                format!("Model: {}", cfg.model),
                format!("Revision: {}", cfg.revision),
                format!("IMEI: {}", cfg.imei),
                "+GCAP: +CGSM".to_string(),
            ]);
        }
        _ if cmd.starts_with('X') && matches!(&cmd[1..], "" | "0" | "1" | "2" | "3" | "4") => {}
        _ if cmd.starts_with("&C") && matches!(&cmd[2..], "" | "0" | "1") => {}
        _ if cmd.starts_with("&D") && matches!(&cmd[2..], "" | "0" | "1" | "2") => {}
        _ if cmd.starts_with("&K") && matches!(&cmd[2..], "" | "0" | "3") => {}
        _ if cmd.starts_with('S') => return s_register(&cmd[1..]),
        _ => return Err(Fail::Error),
    }
    ok()
}

/// `ATS<n>?` answers the register's default; `ATS<n>=<v>` is accepted and forgotten.
fn s_register(rest: &str) -> Outcome {
    let n_len = rest.find(['=', '?']).ok_or(Fail::Error)?;
    let n: u8 = rest[..n_len].parse().map_err(|_| Fail::Error)?;
    let value = match n {
        3 => 13,
        4 => 10,
        5 => 8,
        7 => 60,
        0..=12 => 0,
        _ => return Err(Fail::Error),
    };
    match &rest[n_len..] {
        "?" => lines([format!("{value:03}")]),
        v if v.len() > 1 && v[1..].parse::<u8>().is_ok() => ok(),
        _ => Err(Fail::Error),
    }
}

fn extended(shared: &Shared, st: &mut State, name: &str, form: Form<'_>) -> Outcome {
    let cfg = &shared.cfg;
    let ident = |v: &str| match form {
        Form::Exec => lines([v.to_string()]),
        Form::Test => ok(),
        _ => Err(Fail::Error),
    };
    match name {
        "+CGMI" | "+GMI" => ident(&cfg.manufacturer),
        "+CGMM" | "+GMM" => ident(&cfg.model),
        "+CGMR" | "+GMR" => ident(&cfg.revision),
        "+CGSN" | "+GSN" => ident(&cfg.imei),
        "+GCAP" => ident("+GCAP: +CGSM"),
        "+CIMI" if st.sim_not_ready() => Err(Fail::Cme(CmeCode::SIM_BUSY)),
        "+CIMI" => ident(&cfg.imsi),
        "+CPIN" => match form {
            _ if st.sim_not_ready() => Err(Fail::Cme(CmeCode::SIM_BUSY)),
            Form::Read => lines(["+CPIN: READY".to_string()]),
            Form::Test => ok(),
            // No PIN is asked for, so entering one is not allowed (TS 27.007 §8.3).
            _ => Err(Fail::Cme(3)),
        },
        "+CMEE" => setting(form, "+CMEE: (0-2)", &mut st.settings.cmee, 2),
        "+CSCS" => cscs(st, form),
        "+CSQ" => match form {
            Form::Exec => lines(["+CSQ: 21,0".to_string()]),
            Form::Test => lines(["+CSQ: (0-31,99),(0-7,99)".to_string()]),
            _ => Err(Fail::Error),
        },
        "+CREG" => match form {
            Form::Read => {
                let stat = if st.settings.cfun == 1 { 1 } else { 0 };
                let cell = if st.settings.creg == 2 && stat == 1 {
                    ",\"1A2B\",\"3C4D\""
                } else {
                    ""
                };
                lines([format!("+CREG: {},{stat}{cell}", st.settings.creg)])
            }
            _ => setting(form, "+CREG: (0-2)", &mut st.settings.creg, 2),
        },
        "+CFUN" => cfun(st, form),
        "+CNUM" => match form {
            Form::Exec => lines(
                cfg.own_number
                    .iter()
                    .map(|n| format!("+CNUM: \"\",\"{n}\",{}", toa(n))),
            ),
            Form::Test => ok(),
            _ => Err(Fail::Error),
        },
        _ => Err(Fail::Error),
    }
}

/// Type of address for a number in AT parameters: 145 international, 129 otherwise.
pub(crate) fn toa(number: &str) -> u8 {
    if number.starts_with('+') {
        145
    } else {
        129
    }
}

/// A numeric setting `0..=max` with the usual read and test forms.
pub(crate) fn setting(form: Form<'_>, test: &str, value: &mut u8, max: u8) -> Outcome {
    let name = test.split(':').next().unwrap_or_default();
    match form {
        Form::Read => lines([format!("{name}: {value}")]),
        Form::Test => lines([test.to_string()]),
        Form::Set(a) => match num(&args(a), 0) {
            Some(n) if n <= max as u32 => {
                *value = n as u8;
                ok()
            }
            _ => Err(Fail::Error),
        },
        Form::Exec => Err(Fail::Error),
    }
}

const CHARSETS: [&str; 4] = ["IRA", "GSM", "UCS2", "HEX"];

fn cscs(st: &mut State, form: Form<'_>) -> Outcome {
    match form {
        Form::Read => lines([format!("+CSCS: \"{}\"", st.settings.cscs)]),
        Form::Test => lines([format!(
            "+CSCS: ({})",
            CHARSETS.map(|c| format!("\"{c}\"")).join(",")
        )]),
        Form::Set(a) => {
            let set = args(a).remove(0).text.to_ascii_uppercase();
            if !CHARSETS.contains(&set.as_str()) {
                return Err(Fail::Cme(4));
            }
            st.settings.cscs = set;
            ok()
        }
        Form::Exec => Err(Fail::Error),
    }
}

fn cfun(st: &mut State, form: Form<'_>) -> Outcome {
    match form {
        Form::Read => lines([format!("+CFUN: {}", st.settings.cfun)]),
        Form::Test => lines(["+CFUN: (0,1,4),(0,1)".to_string()]),
        Form::Set(a) => {
            let a = args(a);
            let fun = num(&a, 0).filter(|f| matches!(f, 0 | 1 | 4));
            let rst = a.get(1).map_or(Some(0), |_| num(&a, 1).filter(|r| *r <= 1));
            let (Some(fun), Some(rst)) = (fun, rst) else {
                return Err(Fail::Error);
            };
            if rst == 1 {
                reset(st);
            }
            st.settings.cfun = fun as u8;
            ok()
        }
        Form::Exec => Err(Fail::Error),
    }
}
