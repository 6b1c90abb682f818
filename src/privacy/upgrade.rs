//! Moving identities between protections, in batches, while the daemon runs:
//! sealing the plaintext of a store written before identity protection existed
//! (schema version 1), and re-sealing under a new key during a rotation. Every
//! write is conditional on the row still being as read, so a concurrent writer
//! is never overwritten; a skipped row is simply picked up by the next pass.

use crate::identity::{self, Identity};
use crate::privacy::cipher::{self, CipherError, Field};
use crate::privacy::Keyring;
use crate::store::{IdentityWrite, SealedTable, Store, StoreError};

/// Rows handled per store round trip.
pub const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("report {report_id}: {source}")]
    Cipher { report_id: i64, source: CipherError },
}

/// Seals every plaintext identity left by schema version 1, then compacts the
/// store so no freed page keeps a copy. Returns how many reports it sealed.
pub async fn seal_legacy(store: &dyn Store, keys: &Keyring) -> Result<u64, UpgradeError> {
    let mut sealed = 0u64;
    let active = i64::from(keys.active().0);
    loop {
        let rows = store.legacy_identities(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let reporter = row.address_kind.as_ref().map(|kind| {
                identity::seal(
                    keys,
                    row.report_id,
                    &Identity {
                        address_kind: kind.clone(),
                        address: row.address.clone(),
                        name: row.name.clone(),
                        contacts: row.contacts.clone(),
                        raw: row.raw.clone(),
                    },
                )
            });
            let w = IdentityWrite {
                report_id: row.report_id,
                expected_key_id: None,
                key_id: active,
                message_id_enc: cipher::seal(
                    keys,
                    Field::MessageId,
                    row.report_id,
                    row.message_id.as_bytes(),
                ),
                reporter,
                dedupe_key: Some(identity::message_key(keys, &row.channel, &row.message_id)),
            };
            if store.write_identity(&w).await? {
                sealed += 1;
            }
        }
    }
    if sealed > 0 {
        store.compact().await?;
    }
    Ok(sealed)
}

/// One pass re-sealing everything not under the active key with the active
/// key. `keys` must still hold the old keys. Returns how many it re-sealed.
pub async fn reseal_pass(store: &dyn Store, keys: &Keyring) -> Result<u64, UpgradeError> {
    let active = i64::from(keys.active().0);
    let mut done = 0u64;
    loop {
        let rows = store.identities_not_under(active, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        // A row that changed since it was read is skipped and re-read by the
        // next batch; a batch in which nothing could be written ends the pass.
        let mut progressed = false;
        for row in rows {
            let id = row.report_id;
            let err = |source| UpgradeError::Cipher {
                report_id: id,
                source,
            };
            let message_id = match &row.message_id_enc {
                Some(m) => cipher::open(keys, Field::MessageId, id, m).map_err(err)?,
                None => Vec::new(),
            };
            let reporter = match &row.reporter {
                Some(r) => Some(identity::seal(
                    keys,
                    id,
                    &identity::open(keys, id, r).map_err(err)?,
                )),
                None => None,
            };
            let w = IdentityWrite {
                report_id: id,
                expected_key_id: Some(row.key_id),
                key_id: active,
                message_id_enc: cipher::seal(keys, Field::MessageId, id, &message_id),
                reporter,
                dedupe_key: None,
            };
            if store.write_identity(&w).await? {
                done += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    // Sealed values outside the reporter tables: outbox recipients waiting to
    // be sent, parts of long SMS waiting for their siblings, quarantined SMS.
    loop {
        let rows = store.sealed_rows_not_under(active, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let mut progressed = false;
        for row in rows {
            let table = match row.table {
                SealedTable::Outbox => "outbox",
                SealedTable::SmsParts => "sms_parts",
                SealedTable::SmsQuarantine => "sms_quarantine",
            };
            let plain = cipher::open_row(keys, table, &row.key, &row.sealed).map_err(|source| {
                UpgradeError::Cipher {
                    report_id: -row.id,
                    source,
                }
            })?;
            let sealed = cipher::seal_row(keys, table, &row.key, &plain);
            if store.reseal_row(&row, active, &sealed).await? {
                done += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(done)
}
