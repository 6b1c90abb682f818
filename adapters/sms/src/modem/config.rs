//! What one modem needs to be driven: where it is, how fast it talks, its SIM PIN, which
//! message storage to use and the timings of the driver's loops. [`ModemConfig::new`]
//! gives the documented defaults; [`ModemConfig::problems`] validates without side
//! effects so `lapord check-config` can report every problem at once.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Message storage selected with `AT+CPMS` for reading, writing and receiving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Storage {
    /// The SIM card (`"SM"`): every modem has it, but it holds few messages (often 20–50).
    #[default]
    Sm,
    /// The modem's own memory (`"ME"`): larger, missing on some modems.
    Me,
    /// Both (`"MT"`, SIM first then ME) where the modem supports it.
    Mt,
}

impl Storage {
    /// The name used in `AT+CPMS` and `+CMTI`.
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::Sm => "SM",
            Storage::Me => "ME",
            Storage::Mt => "MT",
        }
    }
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A storage name that is not `SM`, `ME` or `MT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown message storage {0:?} (expected SM, ME or MT)")]
pub struct UnknownStorage(pub String);

impl FromStr for Storage {
    type Err = UnknownStorage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SM" => Ok(Storage::Sm),
            "ME" => Ok(Storage::Me),
            "MT" => Ok(Storage::Mt),
            _ => Err(UnknownStorage(s.to_string())),
        }
    }
}

/// One GSM modem on a serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModemConfig {
    /// Name in logs and metrics (`modem0`). No default.
    pub name: String,
    /// Serial device. `/dev/serial/by-id/...` symlinks are resolved again on every
    /// (re)open, so a modem that re-enumerates as another `ttyUSBn` is found. No default.
    pub device: PathBuf,
    /// Line speed; 8N1, no flow control. Default 115200.
    pub baud: u32,
    /// SIM PIN, entered when the SIM asks for it. Entered at most once per run of the
    /// driver: a rejected PIN is never retried (the SIM would lock after three tries).
    /// Default none.
    pub pin: Option<String>,
    /// Where messages are stored and read. Default `SM`.
    pub storage: Storage,
    /// How long a command may take before it is retried once, then the modem
    /// re-initialised. `AT+CMGS` waits six times this for the network's answer (60 s by
    /// default). Default 10 s.
    pub command_timeout: Duration,
    /// How often every stored message is listed (`AT+CMGL=4`), catching messages whose
    /// `+CMTI` was lost and those left by failed deliveries to the sink. Default 30 s.
    pub poll_interval: Duration,
    /// How often signal (`AT+CSQ`), registration (`AT+CREG?`) and storage use
    /// (`AT+CPMS?`) are polled for the status. Default 60 s.
    pub status_interval: Duration,
    /// Ask the network for a delivery report on every sent SMS. Default false.
    pub status_reports: bool,
    /// Longest wait between attempts to reopen a port that is gone or a modem that does
    /// not come up; waits start at 1 s and double. Default 60 s.
    pub max_backoff: Duration,
}

impl ModemConfig {
    /// A config with the documented defaults.
    pub fn new(name: impl Into<String>, device: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            device: device.into(),
            baud: 115_200,
            pin: None,
            storage: Storage::Sm,
            command_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(30),
            status_interval: Duration::from_secs(60),
            status_reports: false,
            max_backoff: Duration::from_secs(60),
        }
    }

    /// Every problem with this config, each naming its field; empty when it is usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push("name: must not be empty".to_string());
        }
        if self.device.as_os_str().is_empty() {
            out.push("device: must not be empty".to_string());
        }
        if self.baud == 0 {
            out.push("baud: must be positive".to_string());
        }
        if let Some(pin) = &self.pin {
            if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                out.push("pin: must be 4 to 8 digits".to_string());
            }
        }
        for (field, d) in [
            ("command_timeout", self.command_timeout),
            ("poll_interval", self.poll_interval),
            ("status_interval", self.status_interval),
            ("max_backoff", self.max_backoff),
        ] {
            if d.is_zero() {
                out.push(format!("{field}: must be positive"));
            }
        }
        out
    }

    /// How long `AT+CMGS` may take after the PDU is written.
    pub(crate) fn send_timeout(&self) -> Duration {
        self.command_timeout.saturating_mul(6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = ModemConfig::new("modem0", "/dev/ttyUSB0");
        assert!(c.problems().is_empty());
        assert_eq!(c.send_timeout(), Duration::from_secs(60));
        assert_eq!(c.storage.as_str(), "SM");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut c = ModemConfig::new("", "");
        c.baud = 0;
        c.pin = Some("12a4".into());
        c.poll_interval = Duration::ZERO;
        let p = c.problems();
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p.iter().any(|x| x.starts_with("pin:")));
        assert!(p.iter().any(|x| x.starts_with("poll_interval:")));
    }

    #[test]
    fn storage_parses_case_insensitively() {
        assert_eq!("me".parse::<Storage>(), Ok(Storage::Me));
        assert_eq!("MT".parse::<Storage>(), Ok(Storage::Mt));
        assert!("SR".parse::<Storage>().is_err());
    }
}
