//! Errors of the typed response parsers. Each variant is one decision for the driver:
//! `Missing` means the modem answered `OK` without the line the command promises (treat
//! the command as failed and retry or re-initialise), `BadField` means the line is there
//! but unreadable (log it with the line and give up on that value), and `TextMode` means
//! the modem is not in PDU mode (it was reset: re-run the init sequence).

/// Why a response's lines could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No line with the expected prefix (e.g. `+CMGS:`) among the response lines.
    #[error("no {prefix} line in the response")]
    Missing { prefix: &'static str },
    /// A field could not be read.
    #[error("bad {field} in {line:?}")]
    BadField { field: &'static str, line: String },
    /// A text-mode answer (`+CMGR: "REC READ",...`) where PDU mode was expected.
    #[error("text-mode answer where PDU mode was expected: {line:?}")]
    TextMode { line: String },
}
