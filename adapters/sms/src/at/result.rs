//! Final result codes: the line that ends a command's response. Besides the standard
//! `OK`/`ERROR` and the numeric or verbose `+CMS ERROR`/`+CME ERROR` forms, this accepts
//! the vendor finals seen in the field (Huawei `COMMAND NOT SUPPORT`, Motorola
//! `MODEM ERROR: n`, `NA`). Call-progress finals (`NO CARRIER`, `BUSY`, ...) only end a
//! command when one is pending; otherwise the decoder reports them as URC noise.

use super::codes::{CmeCode, CmsCode};

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// `CONNECT[ <text>]`: success, the port is now in data mode.
    Connect(String),
    /// Plain `ERROR` (errors not enabled with `AT+CMEE`, or a syntax error).
    Error,
    /// `+CMS ERROR: <n|text>`.
    CmsError(CmsCode),
    /// `+CME ERROR: <n|text>`.
    CmeError(CmeCode),
    /// Huawei's `COMMAND NOT SUPPORT`.
    CommandNotSupport,
    /// Motorola's `MODEM ERROR: <n>`, text kept as printed.
    ModemError(String),
    /// `NA`.
    NotAvailable,
    /// `NO CARRIER`.
    NoCarrier,
    /// `NO ANSWER`.
    NoAnswer,
    /// `NO DIALTONE` / `NO DIAL TONE`.
    NoDialtone,
    /// `BUSY`.
    Busy,
}

impl FinalResult {
    /// True for `OK` and `CONNECT`.
    pub fn is_success(&self) -> bool {
        matches!(self, FinalResult::Ok | FinalResult::Connect(_))
    }

    /// True when retrying the same command later may succeed (see
    /// [`CmsCode::transient`], [`CmeCode::transient`]). Plain `ERROR` is permanent.
    pub fn transient(&self) -> bool {
        match self {
            FinalResult::CmsError(c) => c.transient(),
            FinalResult::CmeError(c) => c.transient(),
            _ => false,
        }
    }
}

/// Parses a final result that ends a command whatever state the decoder is in.
pub(super) fn parse_always(line: &str) -> Option<FinalResult> {
    if let Some(rest) = strip_prefix_ci(line, "+CMS ERROR:") {
        return Some(FinalResult::CmsError(CmsCode::parse(rest)));
    }
    if let Some(rest) = strip_prefix_ci(line, "+CME ERROR:") {
        return Some(FinalResult::CmeError(CmeCode::parse(rest)));
    }
    if let Some(rest) = strip_prefix_ci(line, "MODEM ERROR:") {
        return Some(FinalResult::ModemError(rest.trim().to_string()));
    }
    match line.to_ascii_uppercase().as_str() {
        "OK" => Some(FinalResult::Ok),
        "ERROR" => Some(FinalResult::Error),
        "COMMAND NOT SUPPORT" => Some(FinalResult::CommandNotSupport),
        _ => None,
    }
}

/// Parses finals that only end a command when one is pending; without a command these
/// lines are unsolicited (a dropped call, `NA` noise).
pub(super) fn parse_when_pending(line: &str) -> Option<FinalResult> {
    let upper = line.to_ascii_uppercase();
    if upper == "CONNECT" || upper.starts_with("CONNECT ") {
        return Some(FinalResult::Connect(line[7..].trim().to_string()));
    }
    match upper.as_str() {
        "NA" => Some(FinalResult::NotAvailable),
        "NO CARRIER" => Some(FinalResult::NoCarrier),
        "NO ANSWER" => Some(FinalResult::NoAnswer),
        "NO DIALTONE" | "NO DIAL TONE" => Some(FinalResult::NoDialtone),
        "BUSY" => Some(FinalResult::Busy),
        _ => None,
    }
}

/// `line` without `prefix`, compared ASCII case-insensitively.
pub(super) fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}
