//! Callbacks to partner systems: a report that came in through a webhook
//! source with a `callback_url` has its notifications (forwarded, answered,
//! closed, not processed, information asked) posted back to that URL, signed
//! with the source's current secret the way the source signs its own posts
//! (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! The lifecycle queues each notification as an outbox row (channel
//! `"webhook"`, recipient the sealed source name, body the JSON payload) in the
//! transaction that made the change; this sender leases due rows, a few in
//! flight at once, each request with a time limit. `webhook-id` is the hex of
//! the row's idempotency key, the same on every attempt, so the receiver can
//! drop repeats: delivery is at least once (a crash between the partner's 2xx
//! and our record of it sends again when the lease runs out).
//!
//! Outcomes: 2xx is delivered; 408, 429, 5xx, timeouts and connection errors
//! are retried with the outbox backoff (or the 429/503 `Retry-After`) until
//! `max_attempts`; any other answer (410 Gone, 400, 401, a redirect) gives up
//! at once with the status recorded, since sending it again would get the
//! same. A source no longer configured gives up its rows with that reason.
//! Logs carry the row, source, tracking ID and status, never the message text.
//!
//! The client is hyper's own (`hyper-util`'s pooled client on the hyper that
//! axum already brings) with rustls on the `ring` provider and Mozilla's root
//! certificates (`webpki-roots`, so nothing depends on the host's CA files).
//! That adds ten small crates to the build; `reqwest` would bring the same
//! ones plus URL, IDNA, proxy and tower layers that a POST to one configured
//! URL does not need, and its rustls default (aws-lc-rs) needs cmake.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::intake::now_ms;
use crate::metrics::Metrics;
use crate::outbox;
use crate::privacy::KeyringHandle;
use crate::settings::{self, resolve_secret, Settings};
use crate::store::{OutboxItem, Store};

/// The outbox channel of callbacks.
pub const CHANNEL: &str = "webhook";

/// Where one source's callbacks go, and the secret that signs them.
#[derive(Debug, Clone)]
pub struct CallbackTarget {
    pub url: String,
    pub secret: lapor_webhook::Secret,
}

/// How the sender behaves (`[callbacks]`).
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// Attempts before a transiently failing callback is given up.
    pub max_attempts: i64,
    /// How long a leased row is ours; longer than `timeout`, so a row is not
    /// sent twice at once.
    pub lease: Duration,
    /// One request's limit, connecting included.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The first retry delay; it doubles per attempt like the SMS outbox.
    pub retry_base: Duration,
}

impl CallbackConfig {
    /// From the settings; the lease is three request time limits.
    pub fn from_settings(s: &settings::Callbacks) -> CallbackConfig {
        let timeout = Duration::from_secs(s.timeout_secs.max(1));
        CallbackConfig {
            max_attempts: s.max_attempts.max(1),
            lease: timeout * 3,
            timeout,
            concurrency: s.concurrency.max(1),
            retry_base: Duration::from_millis(s.retry_base_ms.max(1)),
        }
    }
}

/// The sources that have a `callback_url`, with their current secrets
/// resolved. Errors name the key.
pub fn targets(settings: &Settings) -> Result<HashMap<String, CallbackTarget>, String> {
    let mut out = HashMap::new();
    for (name, s) in &settings.channels.webhook.sources {
        if s.callback_url.is_empty() {
            continue;
        }
        let key = format!("channels.webhook.sources.{name}.secret");
        let secret = resolve_secret(&s.secret)
            .and_then(|v| lapor_webhook::Secret::parse(&v))
            .map_err(|e| format!("{key}: {e}"))?;
        out.insert(
            name.clone(),
            CallbackTarget {
                url: s.callback_url.clone(),
                secret,
            },
        );
    }
    Ok(out)
}

/// Runs the sender until `stop`, then finishes the requests in flight.
pub fn spawn_callback_sender(
    store: Arc<dyn Store>,
    keys: Arc<KeyringHandle>,
    sources: HashMap<String, CallbackTarget>,
    cfg: CallbackConfig,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let sender = Arc::new(Sender {
        client: client(&cfg),
        store,
        keys,
        sources,
        cfg,
        metrics,
    });
    tokio::spawn(sender.run(stop))
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

fn client(cfg: &CallbackConfig) -> HttpsClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(cfg.timeout));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .expect("ring supports rustls' default protocol versions")
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(cfg.concurrency)
        .build(https)
}

struct Sender {
    client: HttpsClient,
    store: Arc<dyn Store>,
    keys: Arc<KeyringHandle>,
    sources: HashMap<String, CallbackTarget>,
    cfg: CallbackConfig,
    metrics: Arc<Metrics>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Delivered(u16),
    /// Sending again would get the same answer.
    Permanent(String),
    /// Worth another attempt, after `after` if the partner said when.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

/// The longest `Retry-After` honoured; a partner asking for more is asked again
/// sooner.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Classifies an answer. `retry_after` is the header, `now_ms` the clock it is
/// read against (an HTTP date).
fn classify(status: u16, retry_after: Option<&str>, now_ms: i64) -> Outcome {
    let what = match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(r) => format!("HTTP {status} {r}"),
        None => format!("HTTP {status}"),
    };
    match status {
        200..=299 => Outcome::Delivered(status),
        408 | 429 | 500..=599 => Outcome::Retry {
            reason: format!("the partner answered {what}"),
            after: retry_after
                .filter(|_| matches!(status, 429 | 503))
                .and_then(|v| parse_retry_after(v, now_ms)),
        },
        300..=399 => Outcome::Permanent(format!(
            "the partner answered {what} (redirects are not followed; set callback_url to the final URL)"
        )),
        _ => Outcome::Permanent(format!("the partner answered {what}")),
    }
}

/// `Retry-After`: seconds, or an HTTP date; capped at [`MAX_RETRY_AFTER`].
fn parse_retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_timestamp(value)
                .ok()?
                .as_millisecond();
            Duration::from_millis(u64::try_from(at - now_ms).unwrap_or(0))
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The delay before attempt `attempts + 1`: the outbox backoff (5 s doubling,
/// at most 10 min) scaled to `base` in place of 5 s.
fn retry_delay(base: Duration, attempts: i64) -> Duration {
    outbox::backoff(attempts).mul_f64(base.as_secs_f64() / 5.0)
}

/// The causes of an error, joined: hyper's own Display says little ("client
/// error (Connect)"), its sources say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Sender {
    async fn run(self: Arc<Self>, stop: CancellationToken) {
        // With no source to call back, rows can only be leftovers of a source
        // since removed: look for them now and then.
        let idle = if self.sources.is_empty() {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(250)
        };
        let mut in_flight = JoinSet::new();
        loop {
            if stop.is_cancelled() {
                break;
            }
            while let Some(done) = in_flight.try_join_next() {
                if let Err(e) = done {
                    tracing::error!(error = %e, "A callback task failed.");
                }
            }
            let free = self.cfg.concurrency.saturating_sub(in_flight.len());
            if free == 0 {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = in_flight.join_next() => continue,
                }
            }
            let now = now_ms();
            let leased = match self
                .store
                .outbox_lease(
                    CHANNEL,
                    now,
                    now + self.cfg.lease.as_millis() as i64,
                    free as i64,
                )
                .await
            {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(channel = CHANNEL, error = %e, "Cannot read the outbox; retrying.");
                    Vec::new()
                }
            };
            if leased.is_empty() {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(idle) => continue,
                }
            }
            for item in leased {
                in_flight.spawn(self.clone().send_one(item));
            }
        }
        // Finish what is in hand; each request has its time limit.
        while in_flight.join_next().await.is_some() {}
        tracing::debug!("Callback sender stopped.");
    }

    async fn send_one(self: Arc<Self>, item: OutboxItem) {
        let tracking_id = serde_json::from_str::<serde_json::Value>(&item.body)
            .ok()
            .and_then(|v| v["tracking_id"].as_str().map(str::to_string))
            .unwrap_or_default();
        let source = match outbox::recipient(&self.keys.get(), &item) {
            Ok(s) => s,
            Err(reason) => {
                tracing::error!(outbox_id = item.id, tracking_id = %tracking_id, error = %reason, "Cannot open a callback's recipient; giving it up.");
                self.give_up(&item, &format!("cannot open the recipient: {reason}"))
                    .await;
                return;
            }
        };
        let Some(target) = self.sources.get(&source) else {
            let reason =
                format!("source {source} has no callback_url in the configuration any more");
            tracing::warn!(outbox_id = item.id, source = %source, tracking_id = %tracking_id, "A callback's source is no longer configured for callbacks; giving it up.");
            self.give_up(&item, &reason).await;
            return;
        };
        let outcome = deliver(&self.client, self.cfg.timeout, target, &item).await;
        let now = now_ms();
        let recorded = match outcome {
            Outcome::Delivered(status) => {
                self.metrics.add("lapord_outbox_sent_total", CHANNEL, 1);
                tracing::info!(outbox_id = item.id, source = %source, tracking_id = %tracking_id, purpose = %item.purpose, status, attempts = item.attempts, "Callback delivered.");
                self.store.outbox_sent(item.id, &source, None, now).await
            }
            Outcome::Permanent(reason) => {
                self.metrics.add("lapord_outbox_failed_total", CHANNEL, 1);
                tracing::warn!(outbox_id = item.id, source = %source, tracking_id = %tracking_id, purpose = %item.purpose, error = %reason, "Callback refused for good; giving it up.");
                self.store.outbox_failed(item.id, &reason, now).await
            }
            Outcome::Retry { reason, .. } if item.attempts >= self.cfg.max_attempts => {
                self.metrics.add("lapord_outbox_failed_total", CHANNEL, 1);
                tracing::warn!(outbox_id = item.id, source = %source, tracking_id = %tracking_id, purpose = %item.purpose, attempts = item.attempts, error = %reason, "Callback failed too often; giving it up.");
                self.store
                    .outbox_failed(
                        item.id,
                        &format!("{reason} (after {} attempts)", item.attempts),
                        now,
                    )
                    .await
            }
            Outcome::Retry { reason, after } => {
                self.metrics.add("lapord_outbox_retries_total", CHANNEL, 1);
                let wait = after.unwrap_or_else(|| retry_delay(self.cfg.retry_base, item.attempts));
                tracing::info!(outbox_id = item.id, source = %source, tracking_id = %tracking_id, attempts = item.attempts, error = %reason, retry_in_ms = wait.as_millis() as u64, "Callback not delivered; will retry.");
                self.store
                    .outbox_retry(item.id, now + wait.as_millis() as i64, &reason)
                    .await
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the row is tried again: at worst the
            // partner gets it twice (same webhook-id), never not at all.
            tracing::error!(outbox_id = item.id, error = %e, "Cannot record the outcome of a callback.");
        }
    }

    async fn give_up(&self, item: &OutboxItem, reason: &str) {
        self.metrics.add("lapord_outbox_failed_total", CHANNEL, 1);
        if let Err(e) = self.store.outbox_failed(item.id, reason, now_ms()).await {
            tracing::error!(outbox_id = item.id, error = %e, "Cannot record the outcome of a callback.");
        }
    }
}

/// One signed POST.
async fn deliver(
    client: &HttpsClient,
    timeout: Duration,
    target: &CallbackTarget,
    item: &OutboxItem,
) -> Outcome {
    let uri = match target.url.parse::<http::Uri>() {
        Ok(u) => u,
        Err(e) => return Outcome::Permanent(format!("callback_url is not a URL: {e}")),
    };
    let id = hex::encode(&item.idem_key);
    let ts = unix_secs();
    let signature = target.secret.sign(&id, ts, item.body.as_bytes());
    let request = http::Request::post(uri)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("lapord/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(Full::new(Bytes::from(item.body.clone())));
    let request = match request {
        Ok(r) => r,
        Err(e) => return Outcome::Permanent(format!("cannot build the request: {e}")),
    };
    let response = match tokio::time::timeout(timeout, client.request(request)).await {
        Err(_) => {
            return Outcome::Retry {
                reason: format!("no answer within {} s", timeout.as_secs_f64()),
                after: None,
            }
        }
        Ok(Err(e)) => {
            return Outcome::Retry {
                reason: format!("cannot reach the partner: {}", error_chain(&e)),
                after: None,
            }
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Read (a bounded amount of) the answer so the connection can be
    // reused; what it says does not matter.
    let _ = tokio::time::timeout(
        timeout,
        Limited::new(response.into_body(), 64 * 1024).collect(),
    )
    .await;
    classify(status, retry_after.as_deref(), now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(200, None, 0), Outcome::Delivered(200));
        assert_eq!(classify(204, None, 0), Outcome::Delivered(204));
        for status in [500, 502, 503, 408, 429] {
            assert!(
                matches!(
                    classify(status, None, 0),
                    Outcome::Retry { after: None, .. }
                ),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 410, 413, 301] {
            assert!(
                matches!(classify(status, None, 0), Outcome::Permanent(_)),
                "{status}"
            );
        }
        match classify(410, None, 0) {
            Outcome::Permanent(reason) => assert!(reason.contains("410 Gone"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_honoured_for_429_and_503_and_capped() {
        let Outcome::Retry { after, .. } = classify(429, Some("7"), 0) else {
            panic!()
        };
        assert_eq!(after, Some(Duration::from_secs(7)));
        let Outcome::Retry { after, .. } = classify(503, Some(" 120 "), 0) else {
            panic!()
        };
        assert_eq!(after, Some(Duration::from_secs(120)));
        // A 500 does not get to say when.
        let Outcome::Retry { after, .. } = classify(500, Some("7"), 0) else {
            panic!()
        };
        assert_eq!(after, None);
        // An HTTP date, against the clock given.
        let now = jiff::Timestamp::from_second(784_111_747)
            .unwrap()
            .as_millisecond();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(30))
        );
        // In the past: now; too far: capped; nonsense: ignored.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 60_000),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999", 0), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn retries_back_off_from_the_configured_base() {
        let base = Duration::from_millis(5000);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(5));
        assert_eq!(retry_delay(base, 3), Duration::from_secs(20));
        assert_eq!(retry_delay(base, 40), Duration::from_secs(600));
        let fast = Duration::from_millis(50);
        assert_eq!(retry_delay(fast, 1), Duration::from_millis(50));
        assert_eq!(retry_delay(fast, 2), Duration::from_millis(100));
        assert_eq!(retry_delay(fast, 40), Duration::from_secs(6));
    }

    /// An https URL goes through TLS: a plain-HTTP server on the other end is a
    /// (retryable) handshake failure, not a plain request.
    #[tokio::test]
    async fn https_urls_speak_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut s, _) = listener.accept().await.unwrap();
            let mut first = [0u8; 1];
            s.read_exact(&mut first).await.unwrap();
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await;
            first[0]
        });
        let cfg = CallbackConfig {
            max_attempts: 1,
            lease: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            concurrency: 1,
            retry_base: Duration::from_millis(1),
        };
        let target = CallbackTarget {
            url: format!("https://localhost:{}/hook", addr.port()),
            secret: lapor_webhook::Secret::from_bytes(vec![1; 32]),
        };
        let item = OutboxItem {
            id: 1,
            idem_key: vec![0xab; 16],
            channel: CHANNEL.into(),
            report_id: None,
            purpose: "closed".into(),
            to_enc: None,
            body: "{}".into(),
            attempts: 1,
        };
        let outcome = deliver(&client(&cfg), cfg.timeout, &target, &item).await;
        // The first byte a TLS client sends is a handshake record (0x16).
        assert_eq!(server.await.unwrap(), 0x16);
        assert!(
            matches!(&outcome, Outcome::Retry { reason, .. } if reason.contains("cannot reach")),
            "{outcome:?}"
        );
    }
}
