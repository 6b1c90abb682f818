//! The agency pull API. `GET /v1/agencies/{code}/queue` hands out items under a
//! lease; `POST /v1/agencies/{code}/queue/{item}/ack` acknowledges one; an item
//! not acknowledged before its lease ends is handed out again. Each agency
//! authenticates with its own bearer token (`lapord agency token <code>`), kept
//! hashed in the store.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{error, store_error, AppState};
use crate::intake::now_ms;
use crate::store::AckOutcome;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/agencies/{code}/queue", get(lease))
        .route("/v1/agencies/{code}/queue/{item}/ack", post(ack))
}

/// Hash under which a token is stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).to_vec()
}

async fn authorise(state: &AppState, headers: &HeaderMap, code: &str) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorised",
                "an agency token is required (Authorization: Bearer …)",
            )
        })?;
    match state
        .store
        .agency_for_token(&token_hash(token.trim()))
        .await
    {
        Err(e) => Err(store_error(e)),
        Ok(Some(agency)) if agency == code => Ok(()),
        Ok(_) => Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "this token is not valid for this agency",
        )),
    }
}

#[derive(Deserialize)]
struct LeaseQuery {
    limit: Option<u32>,
}

async fn lease(
    State(state): State<Arc<AppState>>,
    Path(code): Path<String>,
    Query(q): Query<LeaseQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorise(&state, &headers, &code).await {
        return r;
    }
    let limit = q.limit.unwrap_or(state.max_batch).clamp(1, state.max_batch) as i64;
    let now = now_ms();
    let until = now + state.lease.as_millis() as i64;
    let items = match state.store.lease(&code, limit, now, until).await {
        Ok(i) => i,
        Err(e) => return store_error(e),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let report = match state.store.report_by_id(item.report_id).await {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return store_error(e),
        };
        // An anonymous reporter's identity is never even read for an agency.
        let reporter = if report.anonymous {
            None
        } else {
            match state.store.reporter(report.id).await {
                Ok(None) => None,
                Ok(Some(rec)) => match state
                    .keys
                    .with_reload(|k| crate::identity::open(k, report.id, &rec))
                {
                    Ok(i) => Some(i),
                    Err(e) => {
                        tracing::error!(tracking_id = %report.tracking_id, error = %e, "Cannot open a reporter identity for an agency; the item is withheld.");
                        continue;
                    }
                },
                Err(e) => return store_error(e),
            }
        };
        let attachments = match state.store.attachments(report.id).await {
            Ok(a) => a,
            Err(e) => return store_error(e),
        };
        out.push(json!({
            "item_id": item.item_id.to_string(),
            "deliveries": item.deliveries,
            "lease_expires_at": crate::views::rfc3339(item.lease_until),
            "report": crate::views::agency_payload(&report, reporter.as_ref(), &attachments, &state.directory),
        }));
    }
    Json(json!({"agency": code, "items": out})).into_response()
}

async fn ack(
    State(state): State<Arc<AppState>>,
    Path((code, item)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorise(&state, &headers, &code).await {
        return r;
    }
    let Ok(item_id) = item.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, "not_found", "no such queue item");
    };
    match state.store.ack(&code, item_id, now_ms()).await {
        Err(e) => store_error(e),
        Ok(AckOutcome::Acked) => Json(json!({"item_id": item, "acked": true})).into_response(),
        Ok(AckOutcome::AlreadyAcked) => {
            Json(json!({"item_id": item, "acked": true, "already": true})).into_response()
        }
        Ok(AckOutcome::NotFound) => error(StatusCode::NOT_FOUND, "not_found", "no such queue item"),
    }
}
