//! The JSON body a partner system posts, and its validation.
//!
//! Pure: bytes in, an [`InboundMessage`] or a [`PayloadError`] naming the field
//! out. Unknown fields are refused so a partner's typo (`anonymus`) does not
//! silently publish a name.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lapor_channel::{Address, Attachment, Channel, InboundMessage, Location, Reporter};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The report kinds a sender may state.
pub const KINDS: [&str; 4] = ["pengaduan", "aspirasi", "permintaan_informasi", "apresiasi"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    pub text: Option<String>,
    #[serde(default)]
    pub reporter: Option<ReporterBody>,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub location: Option<LocationBody>,
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
    /// The partner system's own id for this report.
    pub source_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReporterBody {
    /// The user's id in the partner system: how replies find them.
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    pub filename: String,
    pub content_type: String,
    /// The file, base64 (standard alphabet, padded).
    pub data_base64: String,
}

/// What is wrong with a body. `Malformed` answers 400, `Invalid` 422.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: &str, reason: impl Into<String>) -> PayloadError {
    PayloadError::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Limits the adapter enforces on a body.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_text_chars: usize,
    pub max_attachments: usize,
    pub max_attachment_bytes: usize,
}

/// Parses and validates a body into the message the intake takes.
pub fn parse(
    source: &str,
    webhook_id: &str,
    body: &[u8],
    received_at_ms: i64,
    limits: &Limits,
) -> Result<InboundMessage, PayloadError> {
    let parsed: ReportBody = serde_json::from_slice(body).map_err(|e| {
        // serde_json says "missing field" / "unknown field" as data errors:
        // those are about a field, so they are 422 with the field named.
        if e.is_data() {
            invalid(&field_of(&e.to_string()), e.to_string())
        } else {
            PayloadError::Malformed(e.to_string())
        }
    })?;
    let text = parsed
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("text", "is required and must not be empty"))?
        .to_string();
    if text.chars().count() > limits.max_text_chars {
        return Err(invalid(
            "text",
            format!("is longer than {} characters", limits.max_text_chars),
        ));
    }
    if let Some(kind) = &parsed.kind {
        if !KINDS.contains(&kind.as_str()) {
            return Err(invalid(
                "kind",
                format!("must be one of {}", KINDS.join(", ")),
            ));
        }
    }
    let location = match parsed.location {
        None => None,
        Some(l) => {
            if let Some(lat) = l.latitude {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(invalid("location.latitude", "must be between -90 and 90"));
                }
            }
            if let Some(lon) = l.longitude {
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(invalid(
                        "location.longitude",
                        "must be between -180 and 180",
                    ));
                }
            }
            if l.latitude.is_some() != l.longitude.is_some() {
                return Err(invalid("location", "latitude and longitude come together"));
            }
            if let Some(code) = &l.region_code {
                if code.is_empty() || !code.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    return Err(invalid(
                        "location.region_code",
                        "is a Kemendagri code like 32.73",
                    ));
                }
            }
            Some(Location {
                region_code: l.region_code,
                latitude: l.latitude,
                longitude: l.longitude,
            })
        }
    };
    if parsed.attachments.len() > limits.max_attachments {
        return Err(invalid(
            "attachments",
            format!("at most {} attachments", limits.max_attachments),
        ));
    }
    let mut attachments = Vec::with_capacity(parsed.attachments.len());
    for (i, a) in parsed.attachments.into_iter().enumerate() {
        let bytes = STANDARD
            .decode(a.data_base64.as_bytes())
            .map_err(|e| invalid(&format!("attachments[{i}].data_base64"), e.to_string()))?;
        if bytes.len() > limits.max_attachment_bytes {
            return Err(invalid(
                &format!("attachments[{i}]"),
                format!("larger than {} bytes", limits.max_attachment_bytes),
            ));
        }
        if a.filename.trim().is_empty() || a.filename.contains(['/', '\\', '\0']) {
            return Err(invalid(
                &format!("attachments[{i}].filename"),
                "must be a plain file name",
            ));
        }
        attachments.push(Attachment {
            filename: a.filename,
            content_type: a.content_type,
            bytes,
        });
    }
    let mut reporter = Reporter::default();
    if let Some(r) = parsed.reporter {
        if let Some(uid) = r.user_id.filter(|s| !s.trim().is_empty()) {
            reporter.address = Some(Address::Partner {
                source: source.to_string(),
                user_id: uid,
            });
        }
        reporter.name = r.name.filter(|s| !s.trim().is_empty());
        if let Some(phone) = r.phone.filter(|s| !s.trim().is_empty()) {
            reporter.contacts.push(Address::Phone { number: phone });
        }
        if let Some(email) = r.email.filter(|s| !s.trim().is_empty()) {
            if !email.contains('@') {
                return Err(invalid("reporter.email", "is not an email address"));
            }
            reporter.contacts.push(Address::Email { address: email });
        }
    }
    Ok(InboundMessage {
        channel: Channel::Webhook,
        message_id: format!("{source}:{webhook_id}"),
        fingerprint: Some(Sha256::digest(body).into()),
        reporter,
        text,
        anonymous: parsed.anonymous,
        confidential: parsed.confidential,
        kind: parsed.kind,
        category: parsed.category,
        location,
        attachments,
        received_at_ms,
        raw: None,
        incomplete: None,
    })
}

/// Pulls the field name out of serde_json's "missing field `x`" / "unknown field `x`".
fn field_of(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| "body".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_text_chars: 100,
            max_attachments: 2,
            max_attachment_bytes: 10,
        }
    }

    fn p(body: &str) -> Result<InboundMessage, PayloadError> {
        parse("portal", "msg_1", body.as_bytes(), 0, &limits())
    }

    #[test]
    fn a_full_body_parses() {
        let m = p(r#"{"text":" Jalan rusak ","reporter":{"user_id":"u1","name":"Budi","phone":"0812","email":"b@x.id"},
            "anonymous":true,"kind":"pengaduan","location":{"region_code":"32.73","latitude":-6.9,"longitude":107.6},
            "attachments":[{"filename":"a.jpg","content_type":"image/jpeg","data_base64":"aGk="}],"source_id":"X1"}"#)
        .unwrap();
        assert_eq!(m.text, "Jalan rusak");
        assert_eq!(m.message_id, "portal:msg_1");
        assert!(m.anonymous && !m.confidential);
        assert_eq!(m.attachments[0].bytes, b"hi");
        assert_eq!(m.reporter.contacts.len(), 2);
        assert!(matches!(m.reporter.address, Some(Address::Partner { .. })));
    }

    #[test]
    fn errors_name_the_field() {
        assert!(matches!(p("{"), Err(PayloadError::Malformed(_))));
        assert!(matches!(p("[1]"), Err(PayloadError::Invalid { .. })));
        let field = |r: Result<InboundMessage, PayloadError>| match r {
            Err(PayloadError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert_eq!(field(p("{}")), "text");
        assert_eq!(field(p(r#"{"text":"   "}"#)), "text");
        assert_eq!(field(p(r#"{"text":"x","anonymus":true}"#)), "anonymus");
        assert_eq!(field(p(r#"{"text":"x","kind":"pujian"}"#)), "kind");
        assert_eq!(
            field(p(
                r#"{"text":"x","location":{"latitude":91,"longitude":0}}"#
            )),
            "location.latitude"
        );
        assert_eq!(
            field(p(
                r#"{"text":"x","attachments":[{"filename":"a","content_type":"t","data_base64":"%%"}]}"#
            )),
            "attachments[0].data_base64"
        );
        assert_eq!(
            field(p(
                r#"{"text":"x","attachments":[{"filename":"a","content_type":"t","data_base64":"aGVsbG8gd29ybGQ="}]}"#
            )),
            "attachments[0]"
        );
        assert_eq!(
            field(p(&format!(r#"{{"text":"{}"}}"#, "a".repeat(101)))),
            "text"
        );
    }
}
