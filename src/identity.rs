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

/// Seals an identity for report `report_id`: its fields encoded together
/// ([`encode`]) and sealed as one value, so a reporter costs one nonce, one tag
/// and one AEAD pass whatever the channel hands over.
pub fn seal(keys: &Keyring, report_id: i64, id: &Identity) -> NewReporter {
    NewReporter {
        address_kind: id.address_kind.clone(),
        address_index: id
            .address
            .as_ref()
            .map(|a| blind_index(keys, &address_domain(&id.address_kind), a)),
        identity_enc: cipher::seal(keys, Field::Identity, report_id, &encode(id)),
    }
}

/// Opens a stored reporter: sealed as one value, or (stores sealed before
/// schema 0006) field by field.
pub fn open(keys: &Keyring, report_id: i64, rec: &ReporterRecord) -> Result<Identity, CipherError> {
    if let Some(sealed) = &rec.identity_enc {
        let plain = cipher::open(keys, Field::Identity, report_id, sealed)?;
        return decode(rec.address_kind.clone(), &plain);
    }
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

// Tags of the fields inside a sealed identity.
const ADDRESS: u8 = 1;
const NAME: u8 = 2;
const CONTACTS: u8 = 3;
const RAW: u8 = 4;

/// The plaintext of a sealed identity: each present field as its tag, its
/// length (u32, big-endian) and its bytes.
fn encode(id: &Identity) -> Vec<u8> {
    let fields = [
        (ADDRESS, id.address.as_ref().map(String::as_bytes)),
        (NAME, id.name.as_ref().map(String::as_bytes)),
        (CONTACTS, id.contacts.as_ref().map(String::as_bytes)),
        (RAW, id.raw.as_deref()),
    ];
    let len = fields
        .iter()
        .map(|(_, v)| v.map_or(0, |v| 5 + v.len()))
        .sum();
    let mut out = Vec::with_capacity(len);
    for (tag, value) in fields {
        if let Some(v) = value {
            out.push(tag);
            out.extend_from_slice(&(v.len() as u32).to_be_bytes());
            out.extend_from_slice(v);
        }
    }
    out
}

fn decode(address_kind: String, mut plain: &[u8]) -> Result<Identity, CipherError> {
    let mut id = Identity {
        address_kind,
        ..Identity::default()
    };
    let text =
        |v: &[u8]| String::from_utf8(v.to_vec()).map_err(|_| CipherError::Malformed("not UTF-8"));
    while let [tag, rest @ ..] = plain {
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or(CipherError::Malformed("identity field cut short"))?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(CipherError::Malformed("identity field cut short"));
        }
        let (value, rest) = rest.split_at(len);
        match *tag {
            ADDRESS => id.address = Some(text(value)?),
            NAME => id.name = Some(text(value)?),
            CONTACTS => id.contacts = Some(text(value)?),
            RAW => id.raw = Some(value.to_vec()),
            _ => return Err(CipherError::Malformed("unknown identity field")),
        }
        plain = rest;
    }
    Ok(id)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Identity {
        Identity {
            address_kind: "phone".into(),
            address: Some("+6281234567890".into()),
            name: Some("Siti Rahayu".into()),
            contacts: Some(r#"[{"kind":"email","value":"siti@example.org"}]"#.into()),
            raw: Some(vec![0, 1, 2, 255]),
        }
    }

    fn record(r: NewReporter) -> ReporterRecord {
        ReporterRecord {
            address_kind: r.address_kind,
            identity_enc: Some(r.identity_enc),
            ..ReporterRecord::default()
        }
    }

    #[test]
    fn one_sealed_value_opens_to_every_field() {
        let k = Keyring::generate();
        for id in [
            full(),
            Identity {
                name: None,
                contacts: None,
                ..full()
            },
            Identity {
                address_kind: "none".into(),
                address: None,
                name: Some(String::new()),
                contacts: None,
                raw: Some(Vec::new()),
            },
        ] {
            let sealed = seal(&k, 9, &id);
            let back = open(&k, 9, &record(sealed.clone())).unwrap();
            assert_eq!(format!("{back:?}"), format!("{id:?}"));
            assert!(!sealed.identity_enc.windows(4).any(|w| w == b"6281"));
            // Sealed for report 9, it does not open as report 10's.
            assert!(matches!(
                open(&k, 10, &record(sealed)),
                Err(CipherError::Tampered { .. })
            ));
        }
    }

    #[test]
    fn reporters_sealed_field_by_field_still_open() {
        let k = Keyring::generate();
        let rec = ReporterRecord {
            address_kind: "phone".into(),
            address_enc: Some(cipher::seal(&k, Field::Address, 3, b"+6281234567890")),
            name_enc: Some(cipher::seal(&k, Field::Name, 3, b"Budi")),
            raw_enc: Some(cipher::seal(&k, Field::Raw, 3, b"\x07")),
            ..ReporterRecord::default()
        };
        let id = open(&k, 3, &rec).unwrap();
        assert_eq!(id.address.as_deref(), Some("+6281234567890"));
        assert_eq!(id.name.as_deref(), Some("Budi"));
        assert_eq!(id.contacts, None);
        assert_eq!(id.raw.as_deref(), Some(&b"\x07"[..]));
    }

    #[test]
    fn a_malformed_identity_is_an_error() {
        for bad in [&[9u8, 0, 0, 0, 0][..], &[1, 0, 0, 0, 5, b'a'], &[1, 0, 0]] {
            assert!(matches!(
                decode("phone".into(), bad),
                Err(CipherError::Malformed(_))
            ));
        }
    }
}
