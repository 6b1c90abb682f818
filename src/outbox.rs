//! The outbox: every message lapord sends a citizen is first a row, written in
//! the same transaction as the change that caused it (a report committed, a
//! command handled), and only then sent by a worker. A crash loses none (the
//! row is there) and the same cause handled twice queues one message (the row's
//! idempotency key is unique). The recipient is sealed like a reporter's
//! address, bound to the row's key, and erased once the message is final.
//!
//! SMS go out through the modems: one sender task per modem leases due rows,
//! so messages spread across the healthy modems, each at its configured rate
//! (`governor`). Transient failures are retried with backoff; permanent ones,
//! or too many attempts, give up with the reason recorded.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{Quota, RateLimiter};
use lapor_sms::modem::{ModemHandle, SendFailure};
use tokio_util::sync::CancellationToken;

use crate::intake::now_ms;
use crate::metrics::Metrics;
use crate::privacy::cipher::{self, blind_index};
use crate::privacy::{mask, Keyring, KeyringHandle};
use crate::store::{NewOutbound, OutboxItem, Store};

/// The table name in the associated data of a sealed recipient.
pub const TABLE: &str = "outbox";

/// A message to `to` (a normalised address) caused by `cause`: the same cause
/// always yields the same idempotency key, so it is queued once.
pub fn message(
    keys: &Keyring,
    channel: &str,
    report_id: Option<i64>,
    purpose: &str,
    cause: &str,
    to: &str,
    body: String,
) -> NewOutbound {
    let idem_key = blind_index(keys, &format!("out:{channel}"), cause);
    let to_enc = cipher::seal_row(keys, TABLE, &idem_key, to.as_bytes());
    NewOutbound {
        idem_key,
        channel: channel.into(),
        report_id,
        purpose: purpose.into(),
        key_id: i64::from(keys.active().0),
        to_enc,
        body,
        created_at: now_ms(),
    }
}

/// Opens a leased row's recipient.
pub fn recipient(keys: &Keyring, item: &OutboxItem) -> Result<String, String> {
    let sealed = item
        .to_enc
        .as_ref()
        .ok_or_else(|| "the recipient was already erased".to_string())?;
    let plain = cipher::open_row(keys, TABLE, &item.idem_key, sealed).map_err(|e| e.to_string())?;
    String::from_utf8(plain).map_err(|_| "the recipient is not UTF-8".into())
}

/// How the SMS senders behave.
#[derive(Debug, Clone)]
pub struct SmsSendConfig {
    pub per_minute: u32,
    pub max_attempts: i64,
    pub lease: Duration,
}

/// Retry delay after `attempts` failed attempts: 5 s doubling, at most 10 min.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Duration::from_secs((5u64 << exp).min(600))
}

/// Runs one sender per modem until `stop`.
pub fn spawn_sms_senders(
    store: Arc<dyn Store>,
    keys: Arc<KeyringHandle>,
    modems: Vec<ModemHandle>,
    cfg: SmsSendConfig,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    modems
        .into_iter()
        .map(|modem| {
            tokio::spawn(sms_sender(
                store.clone(),
                keys.clone(),
                modem,
                cfg.clone(),
                metrics.clone(),
                stop.clone(),
            ))
        })
        .collect()
}

async fn sms_sender(
    store: Arc<dyn Store>,
    keys: Arc<KeyringHandle>,
    modem: ModemHandle,
    cfg: SmsSendConfig,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let per_minute = NonZeroU32::new(cfg.per_minute.max(1)).expect("at least 1");
    let limiter = RateLimiter::direct(Quota::per_minute(per_minute).allow_burst(per_minute));
    let name = modem.name().to_string();
    let idle = Duration::from_millis(250);
    loop {
        if stop.is_cancelled() {
            break;
        }
        if !modem.is_ready() {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = limiter.until_ready() => {}
        }
        let now = now_ms();
        let leased = match store
            .outbox_lease("sms", now, now + cfg.lease.as_millis() as i64, 1)
            .await
        {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(modem = %name, error = %e, "Cannot read the outbox; retrying.");
                Vec::new()
            }
        };
        let Some(item) = leased.into_iter().next() else {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(idle) => continue,
            }
        };
        send_one(&*store, &keys, &modem, &name, &cfg, &metrics, item).await;
    }
    tracing::debug!(modem = %name, "SMS sender stopped.");
}

async fn send_one(
    store: &dyn Store,
    keys: &KeyringHandle,
    modem: &ModemHandle,
    name: &str,
    cfg: &SmsSendConfig,
    metrics: &Metrics,
    item: OutboxItem,
) {
    let to = match recipient(&keys.get(), &item) {
        Ok(to) => to,
        Err(reason) => {
            tracing::error!(outbox_id = item.id, error = %reason, "Cannot open an outbox recipient; giving the message up.");
            metrics.add("lapord_outbox_failed_total", "sms", 1);
            let _ = store.outbox_failed(item.id, &reason, now_ms()).await;
            return;
        }
    };
    let result = modem.send(&to, &item.body).await;
    let now = now_ms();
    let outcome = match result {
        Ok(mrs) => {
            metrics.add("lapord_outbox_sent_total", "sms", 1);
            tracing::info!(
                outbox_id = item.id,
                modem = %name,
                to = %mask::phone(&to),
                purpose = %item.purpose,
                parts = mrs.len(),
                "SMS sent."
            );
            store
                .outbox_sent(item.id, name, mrs.last().map(|&m| i64::from(m)), now)
                .await
        }
        Err(f @ SendFailure::Permanent { .. }) => {
            let reason = f.to_string();
            metrics.add("lapord_outbox_failed_total", "sms", 1);
            tracing::warn!(outbox_id = item.id, modem = %name, to = %mask::phone(&to), error = %reason, "SMS refused for good; giving it up.");
            store.outbox_failed(item.id, &reason, now).await
        }
        Err(f @ SendFailure::Transient { .. }) if item.attempts >= cfg.max_attempts => {
            let reason = f.to_string();
            metrics.add("lapord_outbox_failed_total", "sms", 1);
            tracing::warn!(outbox_id = item.id, modem = %name, attempts = item.attempts, error = %reason, "SMS failed too often; giving it up.");
            store
                .outbox_failed(
                    item.id,
                    &format!("{reason} (after {} attempts)", item.attempts),
                    now,
                )
                .await
        }
        Err(f @ SendFailure::Transient { .. }) => {
            let reason = f.to_string();
            metrics.add("lapord_outbox_retries_total", "sms", 1);
            let wait = backoff(item.attempts);
            tracing::info!(outbox_id = item.id, modem = %name, error = %reason, retry_in_s = wait.as_secs(), "SMS not sent; will retry.");
            store
                .outbox_retry(item.id, now + wait.as_millis() as i64, &reason)
                .await
        }
    };
    if let Err(e) = outcome {
        // The lease runs out and the row is tried again: at worst a message is
        // sent twice, never lost.
        tracing::error!(outbox_id = item.id, error = %e, "Cannot record the outcome of a send.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(50), Duration::from_secs(600));
    }

    #[test]
    fn recipient_is_bound_to_its_row() {
        let keys = Keyring::generate();
        let a = message(
            &keys,
            "sms",
            None,
            "help",
            "cause-a",
            "+6281234567890",
            "x".into(),
        );
        let b = message(
            &keys,
            "sms",
            None,
            "help",
            "cause-b",
            "+6281111111111",
            "y".into(),
        );
        let item = |o: &NewOutbound, to_enc: Vec<u8>| OutboxItem {
            id: 1,
            idem_key: o.idem_key.clone(),
            channel: "sms".into(),
            report_id: None,
            purpose: "help".into(),
            to_enc: Some(to_enc),
            body: String::new(),
            attempts: 1,
        };
        assert_eq!(
            recipient(&keys, &item(&a, a.to_enc.clone())).unwrap(),
            "+6281234567890"
        );
        // Moved onto another row: refused.
        assert!(recipient(&keys, &item(&b, a.to_enc.clone())).is_err());
        // The same cause gives the same key; another cause another.
        let a2 = message(
            &keys,
            "sms",
            None,
            "help",
            "cause-a",
            "+6281234567890",
            "x".into(),
        );
        assert_eq!(a.idem_key, a2.idem_key);
        assert_ne!(a.idem_key, b.idem_key);
        // Never plaintext.
        assert!(!a.to_enc.windows(5).any(|w| w == b"81234"));
    }
}
