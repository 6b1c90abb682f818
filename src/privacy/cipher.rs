//! Sealing identity fields: XChaCha20-Poly1305 with a random 192-bit nonce per
//! value, and `lapord/v1/<field>/<report id>` as associated data, so a
//! ciphertext copied onto another report, or into another field, does not open.
//!
//! Layout of a sealed value: `0x01 | key id (u32, big-endian) | nonce (24) |
//! ciphertext and tag`. The key id lets a keyring hold several keys during a
//! rotation.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::keys::Keyring;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 24;

/// The fields that are sealed; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    MessageId,
    Address,
    Name,
    Contacts,
    Raw,
    /// All of a reporter's fields as one value (`identity::seal`).
    Identity,
}

impl Field {
    fn as_str(self) -> &'static str {
        match self {
            Field::MessageId => "message_id",
            Field::Address => "address",
            Field::Name => "name",
            Field::Contacts => "contacts",
            Field::Raw => "raw",
            Field::Identity => "identity",
        }
    }
}

/// A sealed value as stored.
pub type Sealed = Vec<u8>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("sealed value is malformed ({0})")]
    Malformed(&'static str),
    #[error("sealed under key {0:08x}, which is not in the keyring")]
    UnknownKey(u32),
    #[error("cannot open a sealed {field} of report {report_id}: wrong key, or the value was moved from another report or field")]
    Tampered { field: &'static str, report_id: i64 },
    #[error(
        "cannot open a sealed value of {table}: wrong key, or the value was moved from another row"
    )]
    TamperedRow { table: &'static str },
}

fn aad(field: Field, report_id: i64) -> Vec<u8> {
    format!("lapord/v1/{}/{report_id}", field.as_str()).into_bytes()
}

/// Seals `plain` for `field` of report `report_id` under the active key.
pub fn seal(keys: &Keyring, field: Field, report_id: i64, plain: &[u8]) -> Sealed {
    seal_with(keys, &aad(field, report_id), plain)
}

/// Associated data of a value sealed outside the reporter tables: the table
/// and the row's unique key (outbox: its idempotency key; SMS parts: the part
/// key), so the value cannot be moved to another row.
fn row_aad(table: &str, row_key: &[u8]) -> Vec<u8> {
    format!("lapord/v1/{table}/{}", hex::encode(row_key)).into_bytes()
}

/// Seals a value of a row outside the reporter tables (an outbox recipient, a
/// stored SMS part) under the active key.
pub fn seal_row(keys: &Keyring, table: &str, row_key: &[u8], plain: &[u8]) -> Sealed {
    seal_with(keys, &row_aad(table, row_key), plain)
}

/// Opens what [`seal_row`] sealed, or fails loudly.
pub fn open_row(
    keys: &Keyring,
    table: &'static str,
    row_key: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, CipherError> {
    open_with(keys, &row_aad(table, row_key), sealed).map_err(|e| match e {
        CipherError::Tampered { .. } => CipherError::TamperedRow { table },
        other => other,
    })
}

/// Set when this binary was built with `bench-unprotected-identity`: it
/// stores identities in plaintext, to measure what sealing costs.
pub const UNPROTECTED: bool = cfg!(feature = "bench-unprotected-identity");

/// The benchmark's baseline: what a system without identity protection stores
/// (the plain value behind a version byte of 0).
#[cfg(feature = "bench-unprotected-identity")]
fn seal_with(_keys: &Keyring, _aad: &[u8], plain: &[u8]) -> Sealed {
    let mut out = Vec::with_capacity(1 + plain.len());
    out.push(0);
    out.extend_from_slice(plain);
    out
}

#[cfg(not(feature = "bench-unprotected-identity"))]
fn seal_with(keys: &Keyring, aad: &[u8], plain: &[u8]) -> Sealed {
    let (id, key) = keys.active();
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce: [u8; 24] = rand::random();
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
    let mut out = Vec::with_capacity(HEADER + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The key id a sealed value names.
pub fn key_id(sealed: &[u8]) -> Result<u32, CipherError> {
    if sealed.len() < HEADER + 16 {
        return Err(CipherError::Malformed("too short"));
    }
    if sealed[0] != VERSION {
        return Err(CipherError::Malformed("unknown version"));
    }
    Ok(u32::from_be_bytes([
        sealed[1], sealed[2], sealed[3], sealed[4],
    ]))
}

/// Opens a sealed value, or fails loudly.
pub fn open(
    keys: &Keyring,
    field: Field,
    report_id: i64,
    sealed: &[u8],
) -> Result<Vec<u8>, CipherError> {
    open_with(keys, &aad(field, report_id), sealed).map_err(|e| match e {
        CipherError::Tampered { .. } => CipherError::Tampered {
            field: field.as_str(),
            report_id,
        },
        other => other,
    })
}

fn open_with(keys: &Keyring, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CipherError> {
    #[cfg(feature = "bench-unprotected-identity")]
    if sealed.first() == Some(&0) {
        return Ok(sealed[1..].to_vec());
    }
    let id = key_id(sealed)?;
    let key = keys.get(id).ok_or(CipherError::UnknownKey(id))?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            XNonce::from_slice(&sealed[5..HEADER]),
            Payload {
                msg: &sealed[HEADER..],
                aad,
            },
        )
        .map_err(|_| CipherError::Tampered {
            field: "value",
            report_id: -1,
        })
}

/// Opens a sealed UTF-8 string.
pub fn open_string(
    keys: &Keyring,
    field: Field,
    report_id: i64,
    sealed: &[u8],
) -> Result<String, CipherError> {
    String::from_utf8(open(keys, field, report_id, sealed)?)
        .map_err(|_| CipherError::Malformed("not UTF-8"))
}

/// The benchmark's baseline: the plain value as its own index.
#[cfg(feature = "bench-unprotected-identity")]
pub fn blind_index(_keys: &Keyring, domain: &str, value: &str) -> Vec<u8> {
    format!("{domain}\0{value}").into_bytes()
}

/// The blind index of a value in a domain ("addr:phone", "msg:sms", …): a keyed
/// HMAC, so equal values match without the value being stored.
#[cfg(not(feature = "bench-unprotected-identity"))]
pub fn blind_index(keys: &Keyring, domain: &str, value: &str) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = keys.index_mac();
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens() {
        let k = Keyring::generate();
        let s = seal(&k, Field::Address, 7, b"+6281234567890");
        assert_eq!(open(&k, Field::Address, 7, &s).unwrap(), b"+6281234567890");
        assert!(!s.windows(4).any(|w| w == b"6281"));
        // A fresh nonce every time.
        assert_ne!(s, seal(&k, Field::Address, 7, b"+6281234567890"));
        assert_eq!(key_id(&s).unwrap(), k.active().0);
    }

    #[test]
    fn a_copied_ciphertext_does_not_open_elsewhere() {
        let k = Keyring::generate();
        let s = seal(&k, Field::Address, 7, b"+6281234567890");
        assert_eq!(
            open(&k, Field::Address, 8, &s),
            Err(CipherError::Tampered {
                field: "address",
                report_id: 8
            })
        );
        assert!(open(&k, Field::Name, 7, &s).is_err());
    }

    #[test]
    fn a_wrong_key_fails_loudly() {
        let k = Keyring::generate();
        let other = Keyring::generate();
        let s = seal(&k, Field::Name, 1, b"Budi");
        assert_eq!(
            open(&other, Field::Name, 1, &s),
            Err(CipherError::UnknownKey(k.active().0))
        );
        // Same key id, different key bytes: the tag fails.
        let forged = other.with_active_id(k.active().0);
        assert!(matches!(
            open(&forged, Field::Name, 1, &s),
            Err(CipherError::Tampered { .. })
        ));
        assert!(matches!(
            open(&k, Field::Name, 1, &s[..10]),
            Err(CipherError::Malformed(_))
        ));
    }

    #[test]
    fn blind_indexes_are_keyed_and_stable() {
        let k = Keyring::generate();
        let a = blind_index(&k, "addr:phone", "+6281234567890");
        assert_eq!(a, blind_index(&k, "addr:phone", "+6281234567890"));
        assert_ne!(a, blind_index(&k, "addr:email", "+6281234567890"));
        assert_ne!(
            a,
            blind_index(&Keyring::generate(), "addr:phone", "+6281234567890")
        );
    }
}
