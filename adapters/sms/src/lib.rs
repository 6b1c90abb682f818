//! SMS for lapord. The pure codecs: [`pdu`] turns the hex PDUs a GSM modem hands over
//! (`AT+CMGR`, `AT+CMGL`, `+CMT`, `+CDS`) into values and replies back into PDUs for
//! `AT+CMGS`; [`at`] turns the modem's AT responses, prompts and unsolicited result
//! codes into events and typed values. Both take bytes and return values: no I/O.
//! On top of them, [`modem`] is the driver that owns a serial port and runs one modem,
//! and [`sim`] is a modem simulator on a pseudo-terminal for tests and demos.

pub mod at;
pub mod modem;
pub mod pdu;
pub mod sim;

pub use pdu::*;
