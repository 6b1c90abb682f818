//! `GET /v1/reports/{tracking_id}`: the public status, for anyone with the ID.
//! A confidential report answers exactly as an unknown one; a malformed ID is
//! told apart from an unknown one. Rate limited per client and per ID, misses
//! harder (`limits`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::{error, store_error, AppState};
use crate::tracking;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/reports/{tracking_id}", get(status))
}

pub fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no report with this tracking ID",
    )
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many lookups; retry after {secs} s"),
    );
    r.headers_mut()
        .insert("retry-after", HeaderValue::from(secs.max(1)));
    r
}

async fn status(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let limits = &state.status_limits;
    let client = limits.client(peer, &headers);
    let parsed = tracking::parse(&raw);
    let key = parsed.as_ref().ok().map(|id| id.to_string());
    if let Err(wait) = limits.admit(client, key.as_deref()) {
        state.metrics.add("lapord_status_refused_total", "", 1);
        return too_many(wait);
    }
    let miss = |answer: Response| match limits.miss(client) {
        Ok(()) => answer,
        Err(wait) => {
            state.metrics.add("lapord_status_refused_total", "", 1);
            too_many(wait)
        }
    };
    let id = match parsed {
        Ok(id) => id,
        Err(e) => {
            return miss(error(
                StatusCode::BAD_REQUEST,
                "malformed_tracking_id",
                e.to_string(),
            ))
        }
    };
    match crate::lookup::report(&*state.store, &state.minter, id).await {
        Err(e) => store_error(e),
        Ok(None) => miss(not_found()),
        Ok(Some(r)) => match crate::views::public_status(&r, &state.directory) {
            Some(mut v) => {
                // Overdue: an agency's follow-up deadline passed without a response.
                let now = state.lifecycle.now();
                match state.store.assignments(r.id).await {
                    Ok(list) => {
                        v["overdue"] =
                            serde_json::Value::Bool(list.iter().any(|a| a.is_overdue(now)))
                    }
                    Err(e) => return store_error(e),
                }
                Json(v).into_response()
            }
            None => miss(not_found()),
        },
    }
}
