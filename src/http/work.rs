//! The working APIs of the lifecycle: admins verify (`/v1/admin/…`), agency
//! officers follow up (`/v1/agency/…`), and everyone may read the public
//! follow-up thread of a forwarded report (`/v1/reports/{id}/thread`).
//!
//! Admins and officers authenticate with bearer tokens issued by
//! `lapord admin token` / `lapord officer token` and stored hashed. An officer
//! sees only reports its agency has (had); any other tracking ID answers 404,
//! exactly like one that does not exist.

// Handlers answer early with a ready `Response`; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{error, store_error, AppState};
use crate::lifecycle::{ActionError, Forward};
use crate::model::State as ReportState;
use crate::privacy::mask;
use crate::store::{Account, ReportRecord};
use crate::tracking::{self, TrackingId};
use crate::views::rfc3339;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/admin/reports", get(admin_list))
        .route("/v1/admin/reports/{id}", get(admin_show))
        .route("/v1/admin/reports/{id}/forward", post(forward))
        .route("/v1/admin/reports/{id}/request-info", post(request_info))
        .route("/v1/admin/reports/{id}/reject", post(reject))
        .route("/v1/admin/reports/{id}/archive", post(archive))
        .route("/v1/admin/reports/{id}/flags", post(flags))
        .route("/v1/admin/reports/{id}/close", post(close))
        .route("/v1/agency/reports", get(officer_list))
        .route("/v1/agency/reports/{id}", get(officer_show))
        .route("/v1/agency/reports/{id}/responses", post(respond))
        .route("/v1/agency/reports/{id}/pass", post(pass_on))
        .route("/v1/reports/{id}/thread", get(public_thread))
}

async fn account(state: &AppState, headers: &HeaderMap, role: &str) -> Result<Account, Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorised",
                format!("an {role} token is required (Authorization: Bearer …)"),
            )
        })?;
    match state
        .store
        .account_for_token(&super::token_hash(token.trim()))
        .await
    {
        Err(e) => Err(store_error(e)),
        Ok(Some(a)) if a.role == role => Ok(a),
        Ok(_) => Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            format!("this token is not a valid {role} token"),
        )),
    }
}

type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// Who acts on which report, or the answer refusing the request.
async fn who_and_id(
    state: &AppState,
    headers: &HeaderMap,
    role: &str,
    raw: &str,
) -> Result<(Account, TrackingId), Response> {
    Ok((account(state, headers, role).await?, parse_id(raw)?))
}

/// Who acts, on which report, with what: or the answer refusing the request.
async fn action_input<T>(
    state: &AppState,
    headers: &HeaderMap,
    role: &str,
    raw: &str,
    body: Body<T>,
) -> Result<(Account, TrackingId, T), Response> {
    let (who, id) = who_and_id(state, headers, role, raw).await?;
    let Json(b) =
        body.map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    Ok((who, id, b))
}

fn parse_id(raw: &str) -> Result<TrackingId, Response> {
    tracking::parse(raw).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "malformed_tracking_id",
            e.to_string(),
        )
    })
}

fn action_response(result: Result<(), ActionError>) -> Response {
    match result {
        Ok(()) => (StatusCode::OK, Json(json!({"ok": true}))).into_response(),
        Err(e) => action_error(e),
    }
}

fn action_error(e: ActionError) -> Response {
    match e {
        ActionError::NotFound => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no report with this tracking ID",
        ),
        ActionError::Conflict(m) => error(StatusCode::CONFLICT, "conflict", m),
        ActionError::Invalid(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
        ActionError::Forbidden(m) => error(StatusCode::FORBIDDEN, "forbidden", m),
        ActionError::Store(e) => store_error(e),
    }
}

/// A report as a work list shows it: no reporter identity.
async fn summary(state: &AppState, r: &ReportRecord) -> Result<Value, Response> {
    let d = state
        .store
        .deadlines(r.id)
        .await
        .map_err(store_error)?
        .unwrap_or_default();
    let assignments = state.store.assignments(r.id).await.map_err(store_error)?;
    let now = state.lifecycle.now();
    let st: ReportState = r.state.parse().unwrap_or(ReportState::Diterima);
    let overdue = assignments.iter().any(|a| a.is_overdue(now));
    Ok(json!({
        "tracking_id": r.tracking_id,
        "state": st.as_str(),
        "colour": st.colour().as_str(),
        "kind": r.kind,
        "category": r.category,
        "weight": r.weight,
        "text": r.body,
        "channel": r.channel,
        "anonymous": r.anonymous,
        "confidential": r.confidential,
        "received_at": rfc3339(r.received_at),
        "verify_due_at": d.verify_due_at.map(rfc3339),
        "verification_overdue": d.verify_escalated == 1,
        "overdue": overdue,
        "routing": serde_json::from_str::<Value>(&r.routing).unwrap_or(Value::Null),
        "assignments": assignments.iter().map(|a| json!({
            "agency": a.agency,
            "forwarded_at": rfc3339(a.forwarded_at),
            "due_at": rfc3339(a.due_at),
            "first_response_at": a.first_response_at.map(rfc3339),
            "escalation_level": a.escalation_level,
            "open": a.ended_at.is_none(),
        })).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<i64>,
}

/// The verification queue, oldest first (default: received and waiting for information).
async fn admin_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = account(&state, &headers, "admin").await {
        return r;
    }
    let wanted: Vec<String> = match &q.state {
        Some(s) => s.split(',').map(str::to_string).collect(),
        None => vec!["diterima".into(), "menunggu_info".into()],
    };
    for s in &wanted {
        if s.parse::<ReportState>().is_err() {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_state",
                format!("unknown state {s:?}"),
            );
        }
    }
    let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let ids = match state
        .store
        .reports_in_states(&refs, q.limit.unwrap_or(100).clamp(1, 500))
        .await
    {
        Ok(ids) => ids,
        Err(e) => return store_error(e),
    };
    let mut items = Vec::new();
    for id in ids {
        match state.store.report_by_id(id).await {
            Ok(Some(r)) => match summary(&state, &r).await {
                Ok(v) => items.push(v),
                Err(resp) => return resp,
            },
            Ok(None) => {}
            Err(e) => return store_error(e),
        }
    }
    Json(json!({"reports": items})).into_response()
}

#[derive(Deserialize)]
struct ShowQuery {
    /// Why the admin needs an anonymous reporter's identity (audited).
    reason: Option<String>,
}

/// One report for an admin, with its events and its reporter. An anonymous
/// reporter's identity is withheld unless `?reason=` says why; that view is
/// written to the audit log.
async fn admin_show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let (admin, id) = match who_and_id(&state, &headers, "admin", &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = match state.lifecycle.find(id).await {
        Ok(r) => r,
        Err(e) => return action_error(e),
    };
    let mut v = match summary(&state, &r).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match state.store.events(r.id).await {
        Ok(events) => {
            v["events"] =
                json!(events.iter().map(|e| json!({
                "at": rfc3339(e.at), "actor": e.actor, "action": e.action, "detail": e.detail,
            })).collect::<Vec<_>>());
        }
        Err(e) => return store_error(e),
    }
    let reason = q.reason.filter(|r| !r.trim().is_empty());
    v["reporter"] = if r.anonymous && reason.is_none() {
        json!("withheld: the reporter is anonymous; give ?reason= to reveal (the view is audited)")
    } else {
        if r.anonymous {
            let entry = crate::store::AuditRecord {
                at: crate::intake::now_ms(),
                actor: crate::lifecycle::actor_of(&admin),
                action: "reveal_anonymous_identity".into(),
                tracking_id: Some(r.tracking_id.clone()),
                reason: reason.clone().unwrap_or_default(),
            };
            if let Err(e) = state.store.append_audit(&entry).await {
                return store_error(e);
            }
            tracing::warn!(tracking_id = %r.tracking_id, actor = %entry.actor, "An anonymous reporter's identity was revealed to an admin (audited).");
        }
        match state.store.reporter(r.id).await {
            Ok(Some(rec)) => match crate::identity::open(&state.keys.get(), r.id, &rec) {
                Ok(i) => i.to_json(),
                Err(e) => {
                    tracing::error!(tracking_id = %r.tracking_id, error = %e, "Cannot open a reporter identity.");
                    json!("unreadable: see the log")
                }
            },
            Ok(None) => Value::Null,
            Err(e) => return store_error(e),
        }
    };
    Json(v).into_response()
}

async fn forward(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<Forward>,
) -> Response {
    match action_input(&state, &headers, "admin", &raw, body).await {
        Ok((who, id, b)) => action_response(state.lifecycle.forward(&who, id, b).await),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct Question {
    question: String,
}

async fn request_info(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<Question>,
) -> Response {
    match action_input(&state, &headers, "admin", &raw, body).await {
        Ok((who, id, b)) => {
            action_response(state.lifecycle.request_info(&who, id, &b.question).await)
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct Reason {
    reason: Option<String>,
}

async fn reject(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<Reason>,
) -> Response {
    match action_input(&state, &headers, "admin", &raw, body).await {
        Ok((
            who,
            id,
            Reason {
                reason: Some(reason),
            },
        )) => action_response(state.lifecycle.reject(&who, id, &reason).await),
        Ok(_) => error(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "give {\"reason\": code}, e.g. bukan_kewenangan",
        ),
        Err(r) => r,
    }
}

async fn archive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    match who_and_id(&state, &headers, "admin", &raw).await {
        Ok((admin, id)) => action_response(state.lifecycle.archive(&admin, id).await),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct Flags {
    anonymous: Option<bool>,
    confidential: Option<bool>,
}

async fn flags(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<Flags>,
) -> Response {
    match action_input(&state, &headers, "admin", &raw, body).await {
        Ok((who, id, b)) => action_response(
            state
                .lifecycle
                .set_flags(&who, id, b.anonymous, b.confidential)
                .await,
        ),
        Err(r) => r,
    }
}

async fn close(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (admin, id) = match who_and_id(&state, &headers, "admin", &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // The body is optional: none (or `null`) for rule 1, a reason for rule 4.
    let reason = match serde_json::from_slice::<Option<Reason>>(&body) {
        Ok(r) => r.and_then(|r| r.reason),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => None,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_body", e.to_string()),
    };
    action_response(
        state
            .lifecycle
            .admin_close(&admin, id, reason.as_deref())
            .await,
    )
}

async fn officer_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let officer = match account(&state, &headers, "officer").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let agency = officer.agency.clone().unwrap_or_default();
    let all = q.state.as_deref() == Some("all");
    let list = match state
        .store
        .agency_assignments(&agency, all, q.limit.unwrap_or(100).clamp(1, 500))
        .await
    {
        Ok(l) => l,
        Err(e) => return store_error(e),
    };
    let now = state.lifecycle.now();
    let mut items = Vec::new();
    for a in list {
        let r = match state.store.report_by_id(a.report_id).await {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return store_error(e),
        };
        let st: ReportState = r.state.parse().unwrap_or(ReportState::Diterima);
        items.push(json!({
            "tracking_id": r.tracking_id,
            "state": st.as_str(),
            "colour": st.colour().as_str(),
            "kind": r.kind,
            "weight": r.weight,
            "text": r.body,
            "anonymous": r.anonymous,
            "forwarded_at": rfc3339(a.forwarded_at),
            "due_at": rfc3339(a.due_at),
            "overdue": a.is_overdue(now),
            "escalation_level": a.escalation_level,
            "first_response_at": a.first_response_at.map(rfc3339),
            "open": a.ended_at.is_none(),
        }));
    }
    Json(json!({"agency": agency, "reports": items})).into_response()
}

/// The report as its agency sees it (the reporter only when not anonymous),
/// with the whole follow-up thread.
async fn officer_show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let (officer, id) = match who_and_id(&state, &headers, "officer", &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = match state.lifecycle.for_officer(&officer, id).await {
        Ok(r) => r,
        Err(e) => return action_error(e),
    };
    let reporter = if r.anonymous {
        None
    } else {
        match state.store.reporter(r.id).await {
            Ok(Some(rec)) => crate::identity::open(&state.keys.get(), r.id, &rec).ok(),
            Ok(None) => None,
            Err(e) => return store_error(e),
        }
    };
    let attachments = match state.store.attachments(r.id).await {
        Ok(a) => a,
        Err(e) => return store_error(e),
    };
    let mut v = crate::views::agency_payload(&r, reporter.as_ref(), &attachments, &state.directory);
    match thread(&state, &r, false).await {
        Ok(t) => v["thread"] = t,
        Err(resp) => return resp,
    }
    Json(v).into_response()
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

async fn respond(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<Text>,
) -> Response {
    match action_input(&state, &headers, "officer", &raw, body).await {
        Ok((who, id, b)) => action_response(state.lifecycle.respond(&who, id, &b.text).await),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct PassOn {
    agency: String,
    reason: String,
}

async fn pass_on(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Body<PassOn>,
) -> Response {
    match action_input(&state, &headers, "officer", &raw, body).await {
        Ok((who, id, b)) => action_response(
            state
                .lifecycle
                .pass_on(&who, id, &b.agency, &b.reason)
                .await,
        ),
        Err(r) => r,
    }
}

/// The follow-up thread: agency responses and the reporter's messages, in
/// order. `public`: only what everyone may see (messages on a forwarded
/// report, personal data in the text masked); otherwise everything the
/// agency may see (not the admins' exchanges with the reporter during
/// verification).
async fn thread(state: &AppState, r: &ReportRecord, public: bool) -> Result<Value, Response> {
    let events = state.store.events(r.id).await.map_err(store_error)?;
    let mut out = Vec::new();
    for e in events {
        let (author, agency) = match e.action.as_str() {
            "tanggapan" => ("instansi", e.detail["agency"].as_str().map(str::to_string)),
            "pesan_pelapor" => ("pelapor", None),
            _ => continue,
        };
        if author == "pelapor" && e.detail["public"] != Value::Bool(true) {
            continue;
        }
        let text = e.detail["text"].as_str().unwrap_or_default();
        let text = if public {
            mask::redact_text(text)
        } else {
            text.to_string()
        };
        let agency = agency.map(|code| {
            let name = state
                .directory
                .get(&code)
                .map_or(code.clone(), |a| a.name.clone());
            json!({"code": code, "name": name})
        });
        out.push(json!({"at": rfc3339(e.at), "author": author, "agency": agency, "text": text}));
    }
    Ok(Value::Array(out))
}

/// Public: anyone may oversee the follow-up of a forwarded report. A
/// confidential report answers exactly as an unknown one.
async fn public_thread(State(state): State<Arc<AppState>>, Path(raw): Path<String>) -> Response {
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let r = match state.lifecycle.find(id).await {
        Ok(r) if !r.confidential => r,
        Ok(_) | Err(ActionError::NotFound) => return super::status::not_found(),
        Err(e) => return action_error(e),
    };
    match thread(&state, &r, true).await {
        Ok(t) => Json(json!({"tracking_id": r.tracking_id, "thread": t})).into_response(),
        Err(resp) => resp,
    }
}
