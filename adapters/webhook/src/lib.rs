//! The webhook channel: partner complaint systems and the server side of web
//! front ends post signed reports to `POST /v1/sources/{source}/reports`.
//!
//! Each source has its own Standard Webhooks secret (`signature`), its own rate
//! limit, and a JSON body (`payload`). `webhook-id` is the idempotency key,
//! scoped to the source: the core deduplicates on it. The 2xx answer is sent only
//! after the intake says the report is committed, so a 201 or 200 means durable.

pub mod payload;
pub mod signature;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lapor_channel::{IntakeError, IntakeHandle};
use serde_json::json;

pub use payload::Limits;
pub use signature::Secret;

/// One configured source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Current secret first, then any still accepted during a rotation.
    pub secrets: Vec<Secret>,
    /// Sustained reports per second this source may post.
    pub rate_per_second: NonZeroU32,
    /// How many may come at once above the sustained rate.
    pub burst: NonZeroU32,
}

/// Everything the webhook channel needs, built by the daemon from its settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub sources: HashMap<String, SourceConfig>,
    /// Largest body accepted, in bytes; above it the answer is 413.
    pub max_body_bytes: usize,
    pub limits: Limits,
    /// Base of the public status URL returned with each tracking ID.
    pub public_url: String,
    pub tolerance_secs: i64,
}

struct Source {
    config: SourceConfig,
    limiter: DefaultDirectRateLimiter,
}

struct Shared {
    sources: HashMap<String, Source>,
    config: WebhookConfig,
    intake: IntakeHandle,
}

/// The routes of this channel, to be merged into the daemon's server.
pub fn router(config: WebhookConfig, intake: IntakeHandle) -> Router {
    let sources = config
        .sources
        .iter()
        .map(|(name, c)| {
            let quota = Quota::per_second(c.rate_per_second).allow_burst(c.burst);
            (
                name.clone(),
                Source {
                    config: c.clone(),
                    limiter: RateLimiter::direct(quota),
                },
            )
        })
        .collect();
    let shared = Arc::new(Shared {
        sources,
        config,
        intake,
    });
    // The body is read by hand below (to answer 413 in JSON), so axum's own
    // limit is lifted to one byte above ours.
    let limit = shared.config.max_body_bytes + 1;
    Router::new()
        .route("/v1/sources/{source}/reports", post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(shared)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": code, "message": message.into()})),
    )
        .into_response()
}

fn field_error(status: StatusCode, field: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": "invalid", "field": field, "message": message.into()})),
    )
        .into_response()
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(source_name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Some(source) = shared.sources.get(&source_name) else {
        return error(StatusCode::UNAUTHORIZED, "unknown_source", "no such source");
    };
    let body = match body {
        Ok(b) if b.len() <= shared.config.max_body_bytes => b,
        Ok(_) => return too_large(shared.config.max_body_bytes),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(shared.config.max_body_bytes)
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_body", e.body_text()),
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let sig_headers = signature::Headers {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let now = unix_now();
    if let Err(e) = signature::verify(
        &sig_headers,
        &body,
        &source.config.secrets,
        now.as_secs() as i64,
        shared.config.tolerance_secs,
    ) {
        tracing::info!(source = %source_name, reason = %e, "Refused a webhook delivery: bad signature.");
        return error(StatusCode::UNAUTHORIZED, "bad_signature", e.to_string());
    }
    let webhook_id = sig_headers.id.unwrap_or_default();
    if let Err(not_until) = source.limiter.check() {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("source {source_name} is over its rate; retry after {secs} s"),
        );
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
        return resp;
    }
    let message = match payload::parse(
        &source_name,
        webhook_id,
        &body,
        now.as_millis() as i64,
        &shared.config.limits,
    ) {
        Ok(m) => m,
        Err(payload::PayloadError::Malformed(m)) => {
            return error(StatusCode::BAD_REQUEST, "malformed_json", m)
        }
        Err(payload::PayloadError::Invalid { field, reason }) => {
            return field_error(StatusCode::UNPROCESSABLE_ENTITY, &field, reason)
        }
    };
    match shared.intake.submit(message).await {
        Ok(receipt) => {
            let status = if receipt.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let url = format!(
                "{}/v1/reports/{}",
                shared.config.public_url.trim_end_matches('/'),
                receipt.tracking_id
            );
            (
                status,
                Json(json!({"tracking_id": receipt.tracking_id, "status_url": url})),
            )
                .into_response()
        }
        Err(IntakeError::Conflict) => error(
            StatusCode::CONFLICT,
            "conflict",
            "this webhook-id was already used with a different body",
        ),
        Err(IntakeError::Invalid { field, reason }) => {
            field_error(StatusCode::UNPROCESSABLE_ENTITY, &field, reason)
        }
        Err(IntakeError::Unavailable { reason }) => {
            let mut resp = error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", reason);
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from_static("5"));
            resp
        }
    }
}

fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("body is larger than {limit} bytes"),
    )
}
