//! The GSM modem driver: one tokio task per modem owns its serial port and speaks AT in
//! PDU mode, using the pure [`at`](crate::at) decoder and [`pdu`](crate::pdu) codec. It
//! reads every message the network delivers (`+CMTI` → `AT+CMGR`, plus a periodic
//! `AT+CMGL=4` sweep that catches lost notifications), hands it to the daemon's [`Sink`]
//! and deletes it from the modem only after the sink committed it; it sends replies
//! through `AT+CMGS` on request from a [`ModemHandle`]; and it recovers on its own from
//! timeouts (retry, re-init), resets and a vanished port (reopen with back-off). The
//! session logic runs over any `AsyncRead + AsyncWrite` stream, so it is tested against
//! in-memory pipes as well as the pty simulator. Files: `config` (settings), `api`
//! (what the daemon sees), `status`, `handle` (spawn, send), `supervisor` (open, back-off,
//! recovery), `link` (commands and responses on the wire), `session` (the loop), `init`,
//! `receive`, `send`.

#![warn(missing_docs)]

mod api;
mod config;
mod handle;
mod init;
mod link;
mod receive;
mod send;
mod session;
mod status;
mod supervisor;

#[cfg(test)]
mod tests;

pub use api::{BoxFuture, DeliveryReport, Received, SendCause, SendFailure, Sink, SinkError};
pub use config::{ModemConfig, Storage, UnknownStorage};
pub use handle::{spawn, ModemHandle};
pub use status::{Counters, ModemState, ModemStatus};
