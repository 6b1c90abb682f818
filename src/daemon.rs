//! `lapord run`: the daemon's phases, in order. The entry point takes its
//! listener and its shutdown signal as arguments so tests can run the whole
//! daemon in-process on port 0.

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lapor_channel::IntakeHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::http::{self, AppState};
use crate::intake::{IntakeConfig, IntakeService};
use crate::metrics::Metrics;
use crate::routing::{Catalog, Router};
use crate::settings::{resolve_secret, ChannelConfig, Settings, WebhookChannel};
use crate::store::{self, Store};
use crate::systemd;

/// A start-up failure the operator must fix in the configuration or the key
/// files; `lapord` exits 78 on it, so systemd does not restart in a loop.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Loads the identity keyring the settings name, checks it can open what the
/// store holds, and (for the embedded default only, on a store with no sealed
/// identities) generates it. Then seals any plaintext left by schema version 1.
pub async fn identity_keys(
    settings: &Settings,
    store: &dyn Store,
) -> anyhow::Result<crate::privacy::KeyringHandle> {
    use crate::privacy::{KeyError, Keyring, KeyringHandle};
    let path = settings.identity_key_path();
    let in_use = store.identity_key_ids().await?;
    let keyring = match Keyring::load(&path) {
        Ok(k) => k,
        Err(KeyError::Missing(_)) if settings.identity_key_is_default() && in_use.is_empty() => {
            let k = Keyring::generate();
            k.create_file(&path)
                .map_err(|e| ConfigError(e.to_string()))?;
            tracing::warn!(
                path = %path.display(),
                "Generated a new identity key. BACK IT UP NOW, APART FROM THE DATABASE: without it no reporter identity can ever be read again, and whoever holds it with a database copy can read them all."
            );
            k
        }
        Err(KeyError::Missing(p)) if !in_use.is_empty() => {
            return Err(ConfigError(format!(
                "identity key file {} is missing but the store holds identities sealed under key(s) {}; restore the key file from its backup (a new key would make them unreadable)",
                p.display(),
                in_use.iter().map(|k| format!("{k:08x}")).collect::<Vec<_>>().join(", ")
            ))
            .into())
        }
        Err(e) => return Err(ConfigError(format!("store.identity_key: {e}")).into()),
    };
    let missing: Vec<String> = in_use
        .iter()
        .filter(|id| {
            u32::try_from(**id)
                .ok()
                .and_then(|id| keyring.get(id))
                .is_none()
        })
        .map(|id| format!("{id:08x}"))
        .collect();
    if !missing.is_empty() {
        return Err(ConfigError(format!(
            "store.identity_key: {} does not hold key(s) {} that sealed identities in this store; wrong key file?",
            path.display(),
            missing.join(", ")
        ))
        .into());
    }
    if crate::privacy::keys::too_open(&path) {
        tracing::warn!(path = %path.display(), "The identity key file is readable by everyone; chmod 600 (or 640 with the service group) it.");
    }
    if crate::privacy::cipher::UNPROTECTED {
        tracing::error!("THIS BUILD STORES REPORTER IDENTITIES IN PLAINTEXT (feature bench-unprotected-identity). It exists to benchmark what identity protection costs; never run it on real reports.");
    }
    let sealed = crate::privacy::upgrade::seal_legacy(store, &keyring).await?;
    if sealed > 0 {
        tracing::warn!(reports = sealed, "Sealed the plaintext identities of reports stored before identity protection, and compacted the store.");
    }
    Ok(KeyringHandle::new(path, keyring))
}

/// Opens the store the settings name, creating the data directory, and
/// applies migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let dir = settings.data_dir();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let store = store::open(&settings.store_url(), settings.store.max_connections)
        .await
        .context("cannot open the store")?;
    store.migrate().await.context("cannot migrate the store")?;
    Ok(store)
}

/// Runs until `shutdown` completes, then drains and returns.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let catalog = Catalog::load(&settings.routing)
        .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
    crate::privacy::mask::set_reveal(settings.log.reveal_identities_dangerously);
    for w in settings.warnings() {
        tracing::warn!(key = %w.key, "Dangerous setting: {}", w.message);
    }
    let store = open_store(&settings).await?;
    tracing::info!(
        backend = store.backend(),
        reports = store.count_reports().await.unwrap_or(-1),
        "Store open and migrated."
    );
    let keys = Arc::new(identity_keys(&settings, &*store).await?);
    // After the identity upgrade above, which may rewrite deduplication keys.
    tokio::spawn({
        let store = store.clone();
        async move {
            if let Err(e) = store.warm_up().await {
                tracing::warn!(error = %e, "Could not ready the store for intake; the first report will.");
            }
        }
    });
    let metrics = Arc::new(Metrics::default());
    let directory = Arc::new(catalog.directory.clone());
    let calendar = crate::calendar::Calendar::load(&settings.calendar.holidays)
        .map_err(|p| ConfigError(format!("calendar.holidays: {}", p.join("; "))))?;
    let rules = crate::lifecycle::DeadlineRules {
        calendar,
        directory: directory.clone(),
        cfg: settings.lifecycle.clone(),
    };
    let clock = crate::clock::Clock::from_setting(&settings.testing.clock_file);
    if clock.is_test() {
        tracing::warn!(file = %settings.testing.clock_file, "TEST CLOCK: deadlines run on the time in testing.clock_file, not on real time. Never in production.");
    }
    let router = Arc::new(Router::new(catalog));
    let attachments_dir =
        (settings.store.attachments == "files").then(|| settings.data_dir().join("attachments"));
    let (intake, writer) = IntakeService::start(
        store.clone(),
        router,
        keys.clone(),
        metrics.clone(),
        IntakeConfig {
            forward_threshold: settings.routing.forward_threshold,
            attachments_dir,
            max_attachment_bytes: settings.store.max_attachment_bytes,
            batch_max: settings.intake.batch_max,
            queue_capacity: settings.intake.queue_capacity,
            deadlines: Some(rules.clone()),
        },
    )
    .await?;
    let handle = IntakeHandle::new(intake.clone());
    let mut channels = build_channels(&settings, &handle)?;
    // Public statistics: their own pool, fed by the indexer from the event log.
    let stats_store = crate::stats::open(&settings.store_url(), 2)
        .await
        .context("cannot open the store for statistics")?;
    channels.push(crate::stats::http::routes(crate::stats::http::StatsApi {
        store: stats_store.clone(),
        directory: directory.clone(),
        clock: clock.clone(),
    }));
    let lifecycle = Arc::new(crate::lifecycle::Lifecycle {
        store: store.clone(),
        keys: keys.clone(),
        minter: intake.minter().clone(),
        rules,
        clock,
        metrics: metrics.clone(),
        callback_sources: settings
            .channels
            .webhook
            .sources
            .iter()
            .filter(|(_, s)| !s.callback_url.is_empty())
            .map(|(name, _)| name.clone())
            .collect(),
        public_url: settings.http.public_url.clone(),
    });
    // Channels that read input themselves (modems) stop before the intake.
    let input_stop = CancellationToken::new();
    let mut input_tasks = Vec::new();
    let outbox_stop = CancellationToken::new();
    let mut outbox_tasks = Vec::new();
    if settings.channels.sms.enabled && !settings.channels.sms.modems.is_empty() {
        let (inputs, senders) = start_sms(
            &settings,
            store.clone(),
            keys.clone(),
            handle.clone(),
            lifecycle.clone(),
            metrics.clone(),
            input_stop.clone(),
            outbox_stop.clone(),
        )?;
        input_tasks.extend(inputs);
        outbox_tasks.extend(senders);
    }
    // Notifications back to the partner systems reports came from.
    outbox_tasks.push(crate::callbacks::spawn_callback_sender(
        store.clone(),
        keys.clone(),
        crate::callbacks::targets(&settings).map_err(ConfigError)?,
        crate::callbacks::CallbackConfig::from_settings(&settings.callbacks),
        metrics.clone(),
        outbox_stop.clone(),
    ));
    let state = Arc::new(AppState {
        store: store.clone(),
        keys: keys.clone(),
        minter: intake.minter().clone(),
        status_limits: http::StatusLimits::new(&settings.status, &settings.http.trusted_proxies),
        directory,
        metrics,
        lease: Duration::from_secs(settings.queue.lease_secs),
        max_batch: settings.queue.max_batch,
        lifecycle: lifecycle.clone(),
        ready: false.into(),
    });
    let app = http::app(
        state.clone(),
        channels,
        Duration::from_secs(settings.http.request_timeout_secs),
    );
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(watchdog(store.clone(), stop.clone()));
    tasks.spawn(housekeeping(state.clone(), stop.clone()));
    let indexer = crate::stats::spawn_indexer(
        stats_store,
        Duration::from_secs(1),
        crate::stats::DEFAULT_BATCH,
        stop.clone(),
    );
    tasks.spawn(async move {
        let _ = indexer.await;
    });
    let scheduler = lifecycle.clone().spawn_scheduler(
        Duration::from_secs(settings.lifecycle.scheduler_interval_secs),
        stop.clone(),
    );
    tasks.spawn(async move {
        let _ = scheduler.await;
    });
    let addr = listener.local_addr()?;
    let server_stop = stop.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move { server_stop.cancelled().await })
        .await
    });
    state.ready.store(true, Ordering::SeqCst);
    systemd::notify("READY=1");
    tracing::info!(addr = %addr, "Listening.");

    shutdown.await;
    tracing::info!("Shutting down: no new input; finishing what is in hand.");
    systemd::notify("STOPPING=1");
    state.ready.store(false, Ordering::SeqCst);
    let deadline = Duration::from_secs(settings.shutdown.deadline_secs);
    stop.cancel();
    tasks.close();
    let drained = tokio::time::timeout(deadline, async {
        let mut missed = Vec::new();
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "HTTP server ended with an error."),
            Err(e) => tracing::error!(error = %e, "HTTP server task failed."),
        }
        input_stop.cancel();
        for t in input_tasks {
            if t.await.is_err() {
                missed.push("modem");
            }
        }
        intake.close();
        outbox_stop.cancel();
        for t in outbox_tasks {
            if t.await.is_err() {
                missed.push("outbox sender");
            }
        }
        if writer.await.is_err() {
            missed.push("intake writer");
        }
        tasks.wait().await;
        missed
    })
    .await;
    match drained {
        Ok(missed) if missed.is_empty() => tracing::info!("Drained."),
        Ok(missed) => tracing::warn!(missed = ?missed, "Drained, but some tasks failed."),
        Err(_) => tracing::warn!(
            deadline_secs = deadline.as_secs(),
            "Shutdown deadline passed with work in hand (HTTP requests or intake commits); nothing unacknowledged is lost."
        ),
    }
    store.close().await;
    tracing::info!("Stopped.");
    Ok(())
}

/// Builds each enabled channel; the match is exhaustive on purpose.
fn build_channels(settings: &Settings, intake: &IntakeHandle) -> anyhow::Result<Vec<axum::Router>> {
    let mut routers = Vec::new();
    for channel in settings.channels.enabled() {
        match channel {
            ChannelConfig::Webhook(cfg) => {
                routers.push(lapor_webhook::router(
                    webhook_config(cfg, &settings.http.public_url)?,
                    intake.clone(),
                ));
                tracing::info!(sources = cfg.sources.len(), "Webhook channel enabled.");
            }
            // Modems are started by `start_sms`; they have no HTTP side.
            ChannelConfig::Sms(cfg) => {
                tracing::info!(modems = cfg.modems.len(), "SMS channel enabled.");
            }
        }
    }
    Ok(routers)
}

fn webhook_config(
    cfg: &WebhookChannel,
    public_url: &str,
) -> anyhow::Result<lapor_webhook::WebhookConfig> {
    let mut sources = std::collections::HashMap::new();
    for (name, s) in &cfg.sources {
        let mut secrets = Vec::new();
        for raw in std::iter::once(&s.secret).chain(&s.previous_secrets) {
            let value = resolve_secret(raw).map_err(|e| anyhow::anyhow!("source {name}: {e}"))?;
            secrets.push(
                lapor_webhook::Secret::parse(&value)
                    .map_err(|e| anyhow::anyhow!("source {name}: {e}"))?,
            );
        }
        sources.insert(
            name.clone(),
            lapor_webhook::SourceConfig {
                secrets,
                rate_per_second: NonZeroU32::new(s.rate_per_second).unwrap_or(NonZeroU32::MIN),
                burst: NonZeroU32::new(s.burst).unwrap_or(NonZeroU32::MIN),
            },
        );
    }
    Ok(lapor_webhook::WebhookConfig {
        sources,
        max_body_bytes: cfg.max_body_bytes,
        limits: lapor_webhook::Limits {
            max_text_chars: cfg.max_text_chars,
            max_attachments: cfg.max_attachments,
            max_attachment_bytes: usize::MAX,
        },
        public_url: public_url.to_string(),
        tolerance_secs: cfg.tolerance_secs,
    })
}

type Tasks = Vec<tokio::task::JoinHandle<()>>;

/// Starts one driver per configured modem, the SMS core they feed, its sweep,
/// and one outbox sender per modem. Returns (input tasks, sender tasks).
#[allow(clippy::too_many_arguments)]
fn start_sms(
    settings: &Settings,
    store: Arc<dyn Store>,
    keys: Arc<crate::privacy::KeyringHandle>,
    intake: IntakeHandle,
    lifecycle: Arc<crate::lifecycle::Lifecycle>,
    metrics: Arc<Metrics>,
    input_stop: CancellationToken,
    outbox_stop: CancellationToken,
) -> anyhow::Result<(Tasks, Tasks)> {
    use lapor_sms::modem::{self, ModemConfig, Storage};
    let cfg = &settings.channels.sms;
    let service = crate::sms::SmsService::new(
        store.clone(),
        keys.clone(),
        intake,
        lifecycle,
        metrics.clone(),
        crate::sms::SmsCoreConfig {
            concat_wait: Duration::from_secs(cfg.concat_wait_secs),
            lookups_per_hour: cfg.cek_per_hour,
            lookups_burst: cfg.cek_burst,
            misses_per_hour: cfg.cek_misses_per_hour,
            misses_burst: cfg.cek_misses_burst,
        },
    );
    let mut inputs = vec![service.clone().spawn_sweeper(input_stop.clone())];
    let mut senders = Vec::new();
    for (name, m) in &cfg.modems {
        let pin = resolve_secret(&m.pin)
            .map_err(|e| ConfigError(format!("channels.sms.modems.{name}.pin: {e}")))?;
        let storage = match m.storage.as_str() {
            "ME" => Storage::Me,
            "MT" => Storage::Mt,
            _ => Storage::Sm,
        };
        let (handle, task) = modem::spawn(
            ModemConfig {
                name: name.clone(),
                device: m.device.clone().into(),
                baud: m.baud,
                pin: (!pin.is_empty()).then_some(pin),
                storage,
                command_timeout: Duration::from_secs(m.command_timeout_secs),
                poll_interval: Duration::from_secs(m.poll_secs),
                status_interval: Duration::from_secs(m.status_secs),
                status_reports: m.status_reports,
                max_backoff: Duration::from_secs(60),
            },
            service.clone(),
            input_stop.clone(),
        );
        tracing::info!(modem = %name, device = %m.device, baud = m.baud, "Modem started.");
        metrics.register_modem(handle.clone());
        inputs.push(task);
        senders.extend(crate::outbox::spawn_sms_senders(
            store.clone(),
            keys.clone(),
            vec![handle],
            crate::outbox::SmsSendConfig {
                per_minute: m.send_per_minute.unwrap_or(cfg.send_per_minute),
                max_attempts: cfg.send_max_attempts,
                lease: Duration::from_secs(120),
            },
            metrics.clone(),
            outbox_stop.clone(),
        ));
    }
    Ok((inputs, senders))
}

/// Tells systemd we are alive, but only while the store answers.
async fn watchdog(store: Arc<dyn Store>, stop: CancellationToken) {
    let Some(every) = systemd::watchdog_interval() else {
        return;
    };
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                match tokio::time::timeout(every, store.ping()).await {
                    Ok(Ok(())) => systemd::notify("WATCHDOG=1"),
                    _ => tracing::warn!("Store did not answer; withholding the systemd watchdog ping."),
                }
            }
        }
    }
}

/// Once a second: reload the identity keyring if it changed (a rotation), and
/// forget idle rate-limit state.
async fn housekeeping(state: Arc<AppState>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = state.keys.refresh() {
                    tracing::error!(error = %e, "Cannot reload the identity keyring; keeping the keys in use.");
                }
                n += 1;
                if n.is_multiple_of(60) {
                    state.status_limits.housekeeping();
                }
            }
        }
    }
}

/// The SIGTERM/SIGINT future.
pub async fn signals() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received."),
        _ = int.recv() => tracing::info!("SIGINT received."),
    }
}

/// For operator commands: the settings' data directory, for messages.
pub fn describe_store(settings: &Settings) -> String {
    let url = settings.store_url();
    if url.starts_with("sqlite:") {
        url
    } else {
        // Do not print a password that may be in the URL.
        let host = url.split('@').nth(1).unwrap_or("postgres");
        format!("postgres://…@{host}")
    }
}
