//! Settings: the embedded documented defaults (`config/lapord.toml`), then the
//! operator's file, then `LAPORD__SECTION__KEY` environment variables.
//!
//! Loading is split from validation: [`load`] builds the layered settings and
//! notes unknown keys; [`Settings::validate`] checks everything without side
//! effects and returns every problem with its key, so `check-config` can list
//! them all and `run` can refuse to start (exit 78) before touching anything.

mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use validate::Problem;

/// The documented default configuration, embedded in the binary.
pub const DEFAULT_TOML: &str = include_str!("../../config/lapord.toml");
/// Where operators keep their configuration.
pub const SYSTEM_PATH: &str = "/etc/lapord/lapord.toml";
/// The fallback in a source checkout.
pub const CHECKOUT_PATH: &str = "config/lapord.toml";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub http: Http,
    pub status: Status,
    pub store: Store,
    pub intake: Intake,
    pub routing: Routing,
    pub queue: Queue,
    pub log: Log,
    pub shutdown: Shutdown,
    pub channels: Channels,
    pub lifecycle: Lifecycle,
    pub calendar: CalendarSettings,
    pub testing: Testing,
    pub callbacks: Callbacks,
    /// Keys present in the configuration that no setting reads: typos.
    #[serde(skip)]
    pub unknown_keys: Vec<String>,
    /// The file that was loaded on top of the defaults, if any.
    #[serde(skip)]
    pub source_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Http {
    pub listen: String,
    pub public_url: String,
    pub request_timeout_secs: u64,
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub per_client_per_minute: u32,
    pub per_client_burst: u32,
    pub misses_per_client_per_minute: u32,
    pub misses_burst: u32,
    pub per_report_per_minute: u32,
    pub per_report_burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Store {
    pub data_dir: String,
    pub url: String,
    pub max_connections: u32,
    pub attachments: String,
    pub max_attachment_bytes: usize,
    pub identity_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Intake {
    pub batch_max: usize,
    pub queue_capacity: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Routing {
    pub agencies: Vec<String>,
    pub rules: Vec<String>,
    pub forward_threshold: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Queue {
    pub lease_secs: u64,
    pub max_batch: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    pub format: String,
    pub level: String,
    pub reveal_identities_dangerously: bool,
}

/// Deadlines (in working days) and the scheduler.
#[derive(Debug, Clone, Deserialize)]
pub struct Lifecycle {
    pub verify_days: u32,
    pub followup_days_ringan: u32,
    pub followup_days_sedang: u32,
    pub followup_days_berat: u32,
    pub autoclose_days: u32,
    pub archive_days: u32,
    pub escalation_step_days: u32,
    pub scheduler_interval_secs: u64,
    pub response_max_segments: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CalendarSettings {
    pub holidays: Vec<String>,
}

/// Switches for tests only; every one is flagged at start and by check-config.
#[derive(Debug, Clone, Deserialize)]
pub struct Testing {
    pub clock_file: String,
}

/// Notifications posted back to the partner system a report came from (see
/// `crate::callbacks`).
#[derive(Debug, Clone, Deserialize)]
pub struct Callbacks {
    /// Attempts before a callback that keeps failing transiently is given up.
    /// Default 12.
    pub max_attempts: i64,
    /// One request's time limit, connecting included. Default 10.
    pub timeout_secs: u64,
    /// Requests in flight at once, across all sources. Default 4.
    pub concurrency: usize,
    /// The first retry delay; it doubles per attempt, up to 120 times this.
    /// Default 5000 (5 s … 10 min).
    pub retry_base_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Shutdown {
    pub deadline_secs: u64,
}

/// One field per channel. Adding a channel adds a field here and a variant to
/// [`ChannelConfig`], which the daemon matches exhaustively.
#[derive(Debug, Clone, Deserialize)]
pub struct Channels {
    pub webhook: WebhookChannel,
    pub sms: SmsChannel,
}

/// The enabled channels, as the daemon builds adapters from them.
#[derive(Debug, Clone)]
pub enum ChannelConfig<'a> {
    Webhook(&'a WebhookChannel),
    Sms(&'a SmsChannel),
}

impl Channels {
    pub fn enabled(&self) -> Vec<ChannelConfig<'_>> {
        let mut v = Vec::new();
        if self.webhook.enabled {
            v.push(ChannelConfig::Webhook(&self.webhook));
        }
        if self.sms.enabled {
            v.push(ChannelConfig::Sms(&self.sms));
        }
        v
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookChannel {
    pub enabled: bool,
    pub max_body_bytes: usize,
    pub max_text_chars: usize,
    pub max_attachments: usize,
    pub tolerance_secs: i64,
    #[serde(default)]
    pub sources: BTreeMap<String, WebhookSource>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSource {
    /// `whsec_…` or `file:/path`.
    pub secret: String,
    #[serde(default)]
    pub previous_secrets: Vec<String>,
    #[serde(default = "default_rate")]
    pub rate_per_second: u32,
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Where notifications about this source's reports are posted (signed
    /// like the source's own webhooks); empty for none.
    #[serde(default)]
    pub callback_url: String,
}

/// GSM modems on the short code.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsChannel {
    pub enabled: bool,
    pub short_code: String,
    pub concat_wait_secs: u64,
    pub send_per_minute: u32,
    pub send_max_attempts: i64,
    pub cek_per_hour: u32,
    pub cek_burst: u32,
    pub cek_misses_per_hour: u32,
    pub cek_misses_burst: u32,
    #[serde(default)]
    pub modems: BTreeMap<String, SmsModem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmsModem {
    pub device: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Inline or `file:/path`; empty for none.
    #[serde(default)]
    pub pin: String,
    #[serde(default = "default_storage")]
    pub storage: String,
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
    #[serde(default = "default_status")]
    pub status_secs: u64,
    #[serde(default = "default_command_timeout")]
    pub command_timeout_secs: u64,
    #[serde(default = "default_true")]
    pub status_reports: bool,
    /// Overrides `channels.sms.send_per_minute` for this modem.
    #[serde(default)]
    pub send_per_minute: Option<u32>,
}

fn default_baud() -> u32 {
    115200
}
fn default_storage() -> String {
    "SM".into()
}
fn default_poll() -> u64 {
    30
}
fn default_status() -> u64 {
    60
}
fn default_command_timeout() -> u64 {
    10
}
fn default_true() -> bool {
    true
}

fn default_rate() -> u32 {
    200
}
fn default_burst() -> u32 {
    400
}

/// Why settings could not even be loaded (a file that does not parse, a value of
/// the wrong type). Validation problems are [`Problem`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// Which file to load on top of the defaults.
pub fn pick_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    [SYSTEM_PATH, CHECKOUT_PATH]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Loads defaults, then `file`, then the environment (`env` is passed in so
/// tests need not touch the process environment).
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, LoadError> {
    use config::{Config, Environment, File, FileFormat};
    let mut builder = Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
    }
    let env: std::collections::HashMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("LAPORD__"))
        .collect();
    builder = builder.add_source(
        Environment::with_prefix("LAPORD")
            .prefix_separator("__")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("routing.agencies")
            .with_list_parse_key("routing.rules")
            .with_list_parse_key("http.trusted_proxies")
            .with_list_parse_key("calendar.holidays")
            .try_parsing(true)
            .source(Some(env)),
    );
    let cfg = builder
        .build()
        .map_err(|e| LoadError::Config(e.to_string()))?;
    let mut unknown = Vec::new();
    let mut settings: Settings = serde_ignored::deserialize(cfg, |path| {
        unknown.push(path.to_string());
    })
    .map_err(|e: config::ConfigError| LoadError::Config(e.to_string()))?;
    settings.unknown_keys = unknown;
    settings.source_file = file.map(Path::to_path_buf);
    Ok(settings)
}

impl Settings {
    /// The data directory, with the documented default applied.
    pub fn data_dir(&self) -> PathBuf {
        if !self.store.data_dir.is_empty() {
            return PathBuf::from(&self.store.data_dir);
        }
        match std::env::var_os("STATE_DIRECTORY") {
            // systemd may pass several, colon-separated; the first is ours.
            Some(s) => PathBuf::from(
                s.to_string_lossy()
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            None => PathBuf::from("lapord-data"),
        }
    }

    /// The identity keyring file, with the documented default applied.
    pub fn identity_key_path(&self) -> PathBuf {
        match self.store.identity_key.strip_prefix("file:") {
            Some(p) => PathBuf::from(p),
            None if self.store.identity_key.is_empty() => self.data_dir().join("identity.key"),
            None => PathBuf::from(&self.store.identity_key),
        }
    }

    /// True when the keyring is the generated default in the data directory.
    pub fn identity_key_is_default(&self) -> bool {
        self.store.identity_key.is_empty()
    }

    /// Settings that are valid but dangerous, said at every start and by
    /// `check-config`.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut w = Vec::new();
        if !self.testing.clock_file.is_empty() {
            w.push(Problem {
                key: "testing.clock_file".into(),
                message: format!(
                    "is set: deadlines run on a TEST CLOCK read from {}, not on real time; never in production",
                    self.testing.clock_file
                ),
            });
        }
        if self.log.reveal_identities_dangerously {
            w.push(Problem {
                key: "log.reveal_identities_dangerously".into(),
                message: "is true: reporters' phone numbers, emails and handles are written to the logs IN CLEAR".into(),
            });
        }
        let key = self.identity_key_path();
        if key.exists() && crate::privacy::keys::too_open(&key) {
            w.push(Problem {
                key: "store.identity_key".into(),
                message: format!(
                    "{} is readable by everyone; chmod 600 it (640 if its group is the service group)",
                    key.display()
                ),
            });
        }
        w
    }

    /// The database URL, with the documented default applied.
    pub fn store_url(&self) -> String {
        if self.store.url.is_empty() {
            format!("sqlite://{}", self.data_dir().join("lapord.db").display())
        } else {
            self.store.url.clone()
        }
    }
}

/// Resolves a secret written inline or as `file:/path`.
pub fn resolve_secret(value: &str) -> Result<String, String> {
    match value.strip_prefix("file:") {
        Some(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("cannot read secret file {path}: {e}")),
        None => Ok(value.to_string()),
    }
}

#[cfg(test)]
mod tests;
