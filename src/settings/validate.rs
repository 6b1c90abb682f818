//! Validation without side effects: every problem, each with its key.

use std::net::SocketAddr;

use super::{resolve_secret, Settings};

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl Settings {
    /// Checks everything and returns every problem found. Reads secret files and
    /// routing files, writes nothing.
    pub fn validate(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        let mut bad = |key: &str, message: String| {
            p.push(Problem {
                key: key.to_string(),
                message,
            })
        };
        for key in &self.unknown_keys {
            bad(key, "unknown key (a typo?); it is not read".into());
        }
        if let Err(e) = self.http.listen.parse::<SocketAddr>() {
            bad("http.listen", format!("not an address:port ({e})"));
        }
        if !(self.http.public_url.starts_with("http://")
            || self.http.public_url.starts_with("https://"))
        {
            bad(
                "http.public_url",
                "must start with http:// or https://".into(),
            );
        }
        if self.http.request_timeout_secs == 0 {
            bad("http.request_timeout_secs", "must be at least 1".into());
        }
        let url = self.store_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bad(
                "store.url",
                "must be empty (embedded SQLite), sqlite://… or postgres://…".into(),
            );
        }
        let dir = self.data_dir();
        if dir.exists() && !dir.is_dir() {
            bad(
                "store.data_dir",
                format!("{} exists and is not a directory", dir.display()),
            );
        }
        if self.store.max_connections == 0 {
            bad("store.max_connections", "must be at least 1".into());
        }
        if !matches!(self.store.attachments.as_str(), "files" | "database") {
            bad(
                "store.attachments",
                "must be \"files\" or \"database\"".into(),
            );
        }
        if !self.store.identity_key.is_empty() {
            if !self.store.identity_key.starts_with("file:") {
                bad(
                    "store.identity_key",
                    "must be empty (generated in the data directory) or file:/path".into(),
                );
            } else if let Err(e) = crate::privacy::Keyring::load(&self.identity_key_path()) {
                bad("store.identity_key", e.to_string());
            }
        } else if self.identity_key_path().exists() {
            if let Err(e) = crate::privacy::Keyring::load(&self.identity_key_path()) {
                bad("store.identity_key", e.to_string());
            }
        }
        for (i, p) in self.http.trusted_proxies.iter().enumerate() {
            if p.parse::<std::net::IpAddr>().is_err() {
                bad(
                    &format!("http.trusted_proxies[{i}]"),
                    "not an IP address".into(),
                );
            }
        }
        for (key, v) in [
            (
                "status.per_client_per_minute",
                self.status.per_client_per_minute,
            ),
            ("status.per_client_burst", self.status.per_client_burst),
            (
                "status.misses_per_client_per_minute",
                self.status.misses_per_client_per_minute,
            ),
            ("status.misses_burst", self.status.misses_burst),
            (
                "status.per_report_per_minute",
                self.status.per_report_per_minute,
            ),
            ("status.per_report_burst", self.status.per_report_burst),
        ] {
            if v == 0 {
                bad(key, "must be at least 1".into());
            }
        }
        if self.intake.batch_max == 0 {
            bad("intake.batch_max", "must be at least 1".into());
        }
        if self.intake.queue_capacity == 0 {
            bad("intake.queue_capacity", "must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.routing.forward_threshold) {
            bad(
                "routing.forward_threshold",
                "must be between 0 and 1".into(),
            );
        }
        match crate::routing::Catalog::load(&self.routing) {
            Ok(_) => {}
            Err(errors) => {
                for (key, message) in errors {
                    bad(&key, message);
                }
            }
        }
        if self.queue.lease_secs == 0 {
            bad("queue.lease_secs", "must be at least 1".into());
        }
        if self.queue.max_batch == 0 {
            bad("queue.max_batch", "must be at least 1".into());
        }
        if !matches!(self.log.format.as_str(), "auto" | "text" | "json") {
            bad(
                "log.format",
                "must be \"auto\", \"text\" or \"json\"".into(),
            );
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            bad("log.level", format!("not a log filter: {e}"));
        }
        if self.shutdown.deadline_secs == 0 {
            bad("shutdown.deadline_secs", "must be at least 1".into());
        }
        let wh = &self.channels.webhook;
        if wh.max_body_bytes < 1024 {
            bad(
                "channels.webhook.max_body_bytes",
                "must be at least 1024".into(),
            );
        }
        if wh.tolerance_secs <= 0 {
            bad("channels.webhook.tolerance_secs", "must be positive".into());
        }
        for (name, source) in &wh.sources {
            let key = format!("channels.webhook.sources.{name}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                bad(
                    &key,
                    "a source name is lowercase letters, digits, - and _".into(),
                );
            }
            let secrets = std::iter::once((format!("{key}.secret"), &source.secret)).chain(
                source
                    .previous_secrets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("{key}.previous_secrets[{i}]"), s)),
            );
            for (k, value) in secrets {
                match resolve_secret(value).and_then(|s| lapor_webhook::Secret::parse(&s)) {
                    Ok(_) => {}
                    Err(e) => bad(&k, e),
                }
            }
            if source.rate_per_second == 0 {
                bad(
                    &format!("{key}.rate_per_second"),
                    "must be at least 1".into(),
                );
            }
            if source.burst == 0 {
                bad(&format!("{key}.burst"), "must be at least 1".into());
            }
            let url = &source.callback_url;
            if url.is_empty() {
                // No callbacks for this source.
            } else if !(url.starts_with("http://") || url.starts_with("https://")) {
                bad(
                    &format!("{key}.callback_url"),
                    "must be empty (no callbacks) or start with http:// or https://".into(),
                );
            } else if url.parse::<http::Uri>().is_err() {
                bad(&format!("{key}.callback_url"), "not a valid URL".into());
            }
        }
        let cb = &self.callbacks;
        for (k, v) in [
            ("max_attempts", cb.max_attempts.max(0) as u64),
            ("timeout_secs", cb.timeout_secs),
            ("concurrency", cb.concurrency as u64),
            ("retry_base_ms", cb.retry_base_ms),
        ] {
            if v == 0 {
                bad(&format!("callbacks.{k}"), "must be at least 1".into());
            }
        }
        let lc = &self.lifecycle;
        for (k, v) in [
            ("verify_days", lc.verify_days),
            ("followup_days_ringan", lc.followup_days_ringan),
            ("followup_days_sedang", lc.followup_days_sedang),
            ("followup_days_berat", lc.followup_days_berat),
            ("autoclose_days", lc.autoclose_days),
            ("archive_days", lc.archive_days),
            ("escalation_step_days", lc.escalation_step_days),
        ] {
            if v == 0 || v > 365 {
                bad(
                    &format!("lifecycle.{k}"),
                    "must be 1 to 365 working days".into(),
                );
            }
        }
        if lc.scheduler_interval_secs == 0 {
            bad(
                "lifecycle.scheduler_interval_secs",
                "must be at least 1".into(),
            );
        }
        if lc.response_max_segments == 0 || lc.response_max_segments > 10 {
            bad("lifecycle.response_max_segments", "must be 1 to 10".into());
        }
        if let Err(problems) = crate::calendar::Calendar::load(&self.calendar.holidays) {
            for pr in problems {
                bad("calendar.holidays", pr);
            }
        }
        let sms = &self.channels.sms;
        if sms.concat_wait_secs == 0 {
            bad("channels.sms.concat_wait_secs", "must be at least 1".into());
        }
        if sms.send_max_attempts < 1 {
            bad(
                "channels.sms.send_max_attempts",
                "must be at least 1".into(),
            );
        }
        for (k, v) in [
            ("send_per_minute", sms.send_per_minute),
            ("cek_per_hour", sms.cek_per_hour),
            ("cek_burst", sms.cek_burst),
            ("cek_misses_per_hour", sms.cek_misses_per_hour),
            ("cek_misses_burst", sms.cek_misses_burst),
        ] {
            if v == 0 {
                bad(&format!("channels.sms.{k}"), "must be at least 1".into());
            }
        }
        for (name, m) in &sms.modems {
            let key = format!("channels.sms.modems.{name}");
            if m.device.is_empty() {
                bad(
                    &format!("{key}.device"),
                    "required: the serial device, e.g. /dev/serial/by-id/usb-…".into(),
                );
            }
            if !["SM", "ME", "MT"].contains(&m.storage.as_str()) {
                bad(&format!("{key}.storage"), "must be SM, ME or MT".into());
            }
            if ![9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600].contains(&m.baud) {
                bad(
                    &format!("{key}.baud"),
                    "not a standard rate (9600 … 921600)".into(),
                );
            }
            if m.command_timeout_secs == 0 || m.poll_secs == 0 || m.status_secs == 0 {
                bad(
                    &key,
                    "command_timeout_secs, poll_secs and status_secs must be at least 1".into(),
                );
            }
            if let Err(e) = resolve_secret(&m.pin) {
                bad(&format!("{key}.pin"), e);
            }
        }
        p
    }
}
