//! The AT response codec: the pure half of talking to a GSM modem. A [`Decoder`] turns
//! the bytes read from the serial port into [`Event`]s (the pending command's echo, its
//! intermediate lines and [`FinalResult`], the `> ` prompt, and [`Urc`]s that may arrive
//! at any moment, even inside another response), and the `parse_*` functions turn a
//! response's lines into values (`+CMGL`, `+CMGR`, `+CMGS`, `+CPMS`, `+CSQ`, `+CREG`).
//! It takes bytes and returns values: no I/O, no tokio, no timeouts. The modem state
//! machine owns the port, writes commands, tells the decoder what it sent, and decides
//! what to do with each event (`CmsCode::transient` says whether to retry). Quirks
//! handled here are the ones collected in `shared/reference/at-modem-notes.md`.

mod codes;
mod decoder;
mod error;
mod fields;
mod lines;
mod response;
mod result;
mod urc;

pub use codes::{CmeCode, CmsCode};
pub use decoder::{response_prefix, Decoder, Event, DEFAULT_MAX_LINE};
pub use error::ParseError;
pub use response::{
    parse_cmgl, parse_cmgr, parse_cmgs, parse_cpms, parse_creg, parse_csq, ListedPdu, MessageStat,
    ReadPdu, Registration, RegistrationState, SignalQuality, StorageUsage,
};
pub use result::FinalResult;
pub use urc::Urc;

#[cfg(test)]
mod tests;
