//! The time deadlines are measured against. In production this is the system
//! clock. For end-to-end tests that must see ten working days pass without
//! waiting ten working days, `testing.clock_file` names a file holding a Unix
//! time in milliseconds that the daemon reads as "now" — an explicit key that
//! no default configuration sets, which `check-config` and every start flag
//! loudly. Only the lifecycle's deadlines and the scheduler use it; logs,
//! leases and rate limits keep the system clock.

use std::path::PathBuf;
use std::sync::Arc;

/// Where "now" comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// A test time source: the file's content is now (Unix ms). A missing or
    /// unreadable file falls back to the system clock, said in the log.
    File(Arc<PathBuf>),
}

impl Clock {
    pub fn from_setting(clock_file: &str) -> Clock {
        if clock_file.is_empty() {
            Clock::System
        } else {
            Clock::File(Arc::new(PathBuf::from(clock_file)))
        }
    }

    pub fn is_test(&self) -> bool {
        matches!(self, Clock::File(_))
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => crate::intake::now_ms(),
            Clock::File(path) => match std::fs::read_to_string(path.as_ref())
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
            {
                Some(ms) => ms,
                None => {
                    tracing::warn!(path = %path.display(), "Test clock file unreadable; using the system clock.");
                    crate::intake::now_ms()
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_reads_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("now");
        std::fs::write(&path, "1790000000000\n").unwrap();
        let c = Clock::from_setting(path.to_str().unwrap());
        assert!(c.is_test());
        assert_eq!(c.now_ms(), 1_790_000_000_000);
        std::fs::write(&path, "1790000000500").unwrap();
        assert_eq!(c.now_ms(), 1_790_000_000_500);
        assert!(!Clock::from_setting("").is_test());
    }
}
