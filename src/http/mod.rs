//! The HTTP server: the channels' routes (webhooks), the public status path,
//! the agency queue API, and `/healthz`, `/readyz`, `/metrics`.
//!
//! Errors are JSON (`{"error": code, "message": …}`); store errors are logged
//! and answered 503 without their text.

mod limits;
mod queue;
pub use limits::StatusLimits;
pub use queue::token_hash;
mod status;
mod work;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::metrics::Metrics;
use crate::routing::Directory;
use crate::store::Store;

/// What handlers share.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<crate::privacy::KeyringHandle>,
    /// Inverts tracking IDs to row ids for lookups.
    pub minter: crate::tracking::Minter,
    pub status_limits: StatusLimits,
    pub directory: Arc<Directory>,
    pub metrics: Arc<Metrics>,
    pub lease: Duration,
    pub max_batch: u32,
    pub lifecycle: Arc<crate::lifecycle::Lifecycle>,
    /// False while starting and once draining: `/readyz` answers 503.
    pub ready: AtomicBool,
}

pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": code, "message": message.into()})),
    )
        .into_response()
}

pub fn store_error(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "Store error while answering a request.");
    let mut r = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "temporarily unavailable; try again",
    );
    r.headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("5"));
    r
}

/// All routes; `channels` are the adapters' routers.
pub fn app(state: Arc<AppState>, channels: Vec<Router>, timeout: Duration) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(status::routes())
        .merge(queue::routes())
        .merge(work::routes())
        .with_state(state.clone());
    for c in channels {
        app = app.merge(c);
    }
    app.layer(axum::middleware::from_fn_with_state(state, observe))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| time_limit(req, next, timeout),
        ))
}

async fn time_limit(req: Request, next: Next, limit: Duration) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long",
        ),
    }
}

async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe_request(&route, start.elapsed());
    state
        .metrics
        .add("lapord_http_requests_total", resp.status().as_str(), 1);
    resp
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if !state.ready.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "starting or draining",
        );
    }
    match state.store.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => store_error(e),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let depths = state.store.queue_depths().await.unwrap_or_default();
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(&depths),
    )
        .into_response()
}
