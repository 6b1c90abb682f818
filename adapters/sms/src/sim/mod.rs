//! A GSM modem simulator that speaks AT (TS 27.007 / 27.005, PDU mode) so that tests,
//! benchmarks and demos run the real serial path. The model ([`Simulator::serve`]) answers
//! any `AsyncRead + AsyncWrite` stream, so it runs in memory on `tokio::io::duplex`
//! ([`Simulator::connect`]); [`Simulator::start`] puts it behind a pseudo-terminal whose
//! slave path (or a symlink to it, like `/dev/serial/by-id/...`) a driver, `gammu` or
//! `lapord` opens like a USB modem. The simulated SIM stores incoming messages
//! ([`Simulator::deliver_text`]), raises `+CMTI`, takes replies through `AT+CMGS` and
//! answers with `+CDS` status reports; [`Fault`]s make it misbehave the way real modems
//! do (URC noise, stuck echo, `+CMS ERROR`s, silence, lost indications, a SIM that is not
//! ready), and [`Simulator::vanish`]/[`Simulator::reappear`] unplug and replug it.
//! With [`SimConfig::baud`] it is no faster than a real serial line.
//!
//! Files: `config` (what it is, what can go wrong), `state` (the SIM and the settings),
//! `commands` and `sms` (the AT interpreter), `pdus` (building DELIVER and STATUS-REPORT
//! PDUs), `session` (one stream: framing, echo, the `> ` prompt, URCs, noise), `pace`
//! (baud pacing), `pty` (the pseudo-terminal), `simulator` (the public handle).

mod commands;
mod config;
mod pace;
mod pdus;
mod pty;
mod session;
mod simulator;
mod sms;
mod state;

pub use config::{Fault, SentSms, SimConfig, SimError};
pub use simulator::Simulator;

#[cfg(test)]
mod tests;
