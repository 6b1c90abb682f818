//! SMS for lapord: the pure codec that turns the hex PDUs a GSM modem hands over
//! (`AT+CMGR`, `AT+CMGL`, `+CMT`, `+CDS`) into values, and the replies the daemon sends
//! to citizens back into PDUs for `AT+CMGS`. It takes bytes and returns values: no I/O,
//! no tokio. The modem state machine that talks AT lives elsewhere and uses this crate;
//! [`at`] is the other pure half it needs, the decoder that turns the modem's AT
//! responses, prompts and unsolicited result codes into events and typed values.

pub mod at;
pub mod pdu;

pub use pdu::*;
