//! `GET /v1/reports/{tracking_id}`: the public status, for anyone with the ID.
//! A confidential report answers exactly as an unknown one; a malformed ID is
//! told apart from an unknown one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
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

async fn status(State(state): State<Arc<AppState>>, Path(raw): Path<String>) -> Response {
    let id = match tracking::parse(&raw) {
        Ok(id) => id,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "malformed_tracking_id",
                e.to_string(),
            )
        }
    };
    match state.store.report_by_tracking(&id.to_string()).await {
        Err(e) => store_error(e),
        Ok(None) => not_found(),
        Ok(Some(r)) => match crate::views::public_status(&r, &state.directory) {
            Some(v) => Json(v).into_response(),
            None => not_found(),
        },
    }
}
