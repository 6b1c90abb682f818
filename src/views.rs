//! What each audience sees of a report. One function per audience, so the rule
//! "an anonymous reporter's identity never reaches an agency; a confidential
//! report never appears publicly" lives in one place per output.

use serde_json::{json, Value};

use crate::identity::Identity;
use crate::model::State;
use crate::routing::Directory;
use crate::store::{AttachmentRecord, ReportRecord};

pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

fn state_of(r: &ReportRecord) -> State {
    r.state.parse().unwrap_or(State::Diterima)
}

fn agency_json(dir: &Directory, code: Option<&str>) -> Value {
    match code.and_then(|c| dir.get(c)) {
        Some(a) => json!({"code": a.code, "name": a.name}),
        None => Value::Null,
    }
}

/// The public status: for anyone holding the ID. `None` for a confidential
/// report, which the caller must answer exactly as an unknown ID.
pub fn public_status(r: &ReportRecord, dir: &Directory) -> Option<Value> {
    if r.confidential {
        return None;
    }
    let state = state_of(r);
    Some(json!({
        "tracking_id": r.tracking_id,
        "state": state.as_str(),
        "state_label": state.label(),
        "colour": state.colour().as_str(),
        "kind": r.kind,
        "category": r.category,
        "agency": agency_json(dir, r.agency.as_deref()),
        "received_at": rfc3339(r.received_at),
        "updated_at": rfc3339(r.updated_at),
    }))
}

/// What an agency receives. The reporter appears only when not anonymous.
pub fn agency_payload(
    r: &ReportRecord,
    reporter: Option<&Identity>,
    attachments: &[AttachmentRecord],
    dir: &Directory,
) -> Value {
    let state = state_of(r);
    let reporter = if r.anonymous {
        Value::Null
    } else {
        reporter.map_or(Value::Null, Identity::to_json)
    };
    json!({
        "tracking_id": r.tracking_id,
        "state": state.as_str(),
        "colour": state.colour().as_str(),
        "kind": r.kind,
        "category": r.category,
        "weight": r.weight,
        "text": r.body,
        "channel": r.channel,
        "agency": agency_json(dir, r.agency.as_deref()),
        "location": {
            "region_code": r.region_code,
            "latitude": r.latitude,
            "longitude": r.longitude,
        },
        "anonymous": r.anonymous,
        "confidential": r.confidential,
        "reporter": reporter,
        "attachments": attachments.iter().map(|a| json!({
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
        })).collect::<Vec<_>>(),
        "received_at": rfc3339(r.received_at),
    })
}

/// What an operator sees with `lapord report show`: everything; `reporter` is
/// the opened identity, or a note saying why it is withheld.
pub fn operator_view(
    r: &ReportRecord,
    reporter: Value,
    message_id: Value,
    attachments: &[AttachmentRecord],
    events: &[crate::store::EventRecord],
    dir: &Directory,
) -> Value {
    let state = state_of(r);
    json!({
        "tracking_id": r.tracking_id,
        "state": state.as_str(),
        "colour": state.colour().as_str(),
        "kind": r.kind,
        "category": r.category,
        "weight": r.weight,
        "agency": agency_json(dir, r.agency.as_deref()),
        "channel": r.channel,
        "message_id": message_id,
        "anonymous": r.anonymous,
        "confidential": r.confidential,
        "text": r.body,
        "location": {"region_code": r.region_code, "latitude": r.latitude, "longitude": r.longitude},
        "reporter": reporter,
        "attachments": attachments,
        "routing": serde_json::from_str::<Value>(&r.routing).unwrap_or(Value::Null),
        "received_at": rfc3339(r.received_at),
        "updated_at": rfc3339(r.updated_at),
        "events": events.iter().map(|e| json!({
            "at": rfc3339(e.at),
            "actor": e.actor,
            "action": e.action,
            "detail": e.detail,
        })).collect::<Vec<_>>(),
    })
}
