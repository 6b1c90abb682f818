//! A reporter's identity on its way into the store and back out. This is where
//! protection is a property of the store's reporter type: whatever a channel
//! hands the intake as identity (an address, a name, contacts, the raw payload,
//! its message id) is normalised here, sealed under the active identity key
//! with the report's id as associated data, and blind-indexed — no channel does
//! anything for it. Opening happens only on demand (operator views, agency
//! payloads of non-anonymous reports).

use lapor_channel::{Address, InboundMessage, IntakeError};
use serde_json::{json, Value};

use crate::privacy::cipher::{self, blind_index, CipherError, Field};
use crate::privacy::{mask, Keyring};
use crate::store::{NewReporter, ReporterRecord};

/// An opened reporter identity.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub address_kind: String,
    /// Normalised: E.164, lowercased email, or JSON for compound addresses.
    pub address: Option<String>,
    pub name: Option<String>,
    /// JSON array of `{kind, value}`.
    pub contacts: Option<String>,
    pub raw: Option<Vec<u8>>,
}

/// The blind-index domain of an address kind.
pub fn address_domain(kind: &str) -> String {
    format!("addr:{kind}")
}

/// The blind index of a channel message id (the deduplication key).
pub fn message_key(keys: &Keyring, channel: &str, message_id: &str) -> Vec<u8> {
    blind_index(keys, &format!("msg:{channel}"), message_id)
}

/// Normalises a message's reporter into plaintext fields, before sealing.
pub fn identity_of(msg: &InboundMessage) -> Result<Option<Identity>, IntakeError> {
    let r = &msg.reporter;
    if r.address.is_none() && r.name.is_none() && r.contacts.is_empty() && msg.raw.is_none() {
        return Ok(None);
    }
    let (address_kind, address) = match &r.address {
        None => ("none".to_string(), None),
        Some(a) => {
            let (k, v) = address_value(a, true)?;
            (k.to_string(), Some(v))
        }
    };
    let contacts = if r.contacts.is_empty() {
        None
    } else {
        let mut list = Vec::new();
        for c in &r.contacts {
            let (k, v) = address_value(c, false)?;
            list.push(json!({"kind": k, "value": v}));
        }
        Some(Value::Array(list).to_string())
    };
    Ok(Some(Identity {
        address_kind,
        address,
        name: r.name.clone(),
        contacts,
        raw: msg.raw.clone(),
    }))
}

/// (kind, normalised value). A primary phone address that is not a number (an
/// alphanumeric SMS sender) is kept as given; a volunteered contact that is not
/// a number is refused.
fn address_value(a: &Address, primary: bool) -> Result<(&'static str, String), IntakeError> {
    Ok(match a {
        Address::Phone { number } => match crate::phone::normalise(number) {
            Ok(n) => ("phone", n),
            Err(_) if primary => ("phone", number.clone()),
            Err(e) => {
                return Err(IntakeError::Invalid {
                    field: "reporter.phone".into(),
                    reason: e.to_string(),
                })
            }
        },
        Address::Email { address } => ("email", address.trim().to_lowercase()),
        Address::Twitter { user_id, handle } => (
            "twitter",
            json!({"user_id": user_id, "handle": handle}).to_string(),
        ),
        Address::Partner { source, user_id } => (
            "partner",
            json!({"source": source, "user_id": user_id}).to_string(),
        ),
    })
}

/// Seals an identity for report `report_id`.
pub fn seal(keys: &Keyring, report_id: i64, id: &Identity) -> NewReporter {
    let s = |field, v: &Option<String>| {
        v.as_ref()
            .map(|v| cipher::seal(keys, field, report_id, v.as_bytes()))
    };
    NewReporter {
        address_kind: id.address_kind.clone(),
        address_enc: s(Field::Address, &id.address),
        address_index: id
            .address
            .as_ref()
            .map(|a| blind_index(keys, &address_domain(&id.address_kind), a)),
        name_enc: s(Field::Name, &id.name),
        contacts_enc: s(Field::Contacts, &id.contacts),
        raw_enc: id
            .raw
            .as_ref()
            .map(|r| cipher::seal(keys, Field::Raw, report_id, r)),
    }
}

/// Opens a stored reporter.
pub fn open(keys: &Keyring, report_id: i64, rec: &ReporterRecord) -> Result<Identity, CipherError> {
    let o = |field, v: &Option<Vec<u8>>| -> Result<Option<String>, CipherError> {
        v.as_ref()
            .map(|v| cipher::open_string(keys, field, report_id, v))
            .transpose()
    };
    Ok(Identity {
        address_kind: rec.address_kind.clone(),
        address: o(Field::Address, &rec.address_enc)?,
        name: o(Field::Name, &rec.name_enc)?,
        contacts: o(Field::Contacts, &rec.contacts_enc)?,
        raw: rec
            .raw_enc
            .as_ref()
            .map(|r| cipher::open(keys, Field::Raw, report_id, r))
            .transpose()?,
    })
}

impl Identity {
    /// What a log line may show of this reporter.
    pub fn masked(&self) -> String {
        let Some(a) = &self.address else {
            return "-".into();
        };
        match self.address_kind.as_str() {
            "phone" => mask::phone(a),
            "email" => mask::email(a),
            "twitter" => serde_json::from_str::<Value>(a)
                .ok()
                .and_then(|v| v["handle"].as_str().map(mask::handle))
                .unwrap_or_else(|| "@***".into()),
            "partner" => serde_json::from_str::<Value>(a)
                .ok()
                .and_then(|v| {
                    let source = v["source"].as_str()?.to_string();
                    Some(format!("{source}:{}", mask::opaque(v["user_id"].as_str()?)))
                })
                .unwrap_or_else(|| mask::opaque(a)),
            _ => mask::opaque(a),
        }
    }

    /// The identity as JSON for views, with compound values expanded.
    pub fn to_json(&self) -> Value {
        let parse = |s: &Option<String>| -> Value {
            s.as_deref()
                .map(|v| serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string())))
                .unwrap_or(Value::Null)
        };
        json!({
            "address_kind": self.address_kind,
            "address": parse(&self.address),
            "name": self.name,
            "contacts": parse(&self.contacts),
        })
    }
}
