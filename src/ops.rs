//! Operator commands that work on the store directly (while the daemon runs or
//! not): looking at a report, the audit log, the identity keys.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

use crate::daemon::{identity_keys, open_store, ConfigError};
use crate::intake::now_ms;
use crate::privacy::{upgrade, KeyError, Keyring};
use crate::settings::Settings;
use crate::store::{AuditRecord, Store};

/// Who is at the keyboard, for the audit log.
pub fn default_actor() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("operator:{user}")
}

/// `lapord report show`: everything about a report. An anonymous reporter's
/// identity (and the channel message id, which can lead to them) is shown only
/// with a reason, and every such view is written to the audit log first.
pub async fn report_show(
    settings: &Settings,
    tracking_id: &str,
    reason: Option<&str>,
    actor: &str,
) -> anyhow::Result<Value> {
    let id = crate::tracking::parse(tracking_id)
        .map_err(|e| anyhow::anyhow!("{tracking_id:?} is not a tracking ID: {e}"))?;
    let catalog = crate::routing::Catalog::load(&settings.routing)
        .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
    let store = open_store(settings).await?;
    let keys = identity_keys(settings, &*store).await?;
    let result = async {
        let minter = crate::tracking::Minter::new(&store.tracking_key().await?);
        let Some(r) = crate::lookup::report(&*store, &minter, id).await? else {
            anyhow::bail!("no report with tracking ID {id}");
        };
        let rec = store.reporter(r.id).await?;
        let attachments = store.attachments(r.id).await?;
        let events = store.events(r.id).await?;
        let reveal = !r.anonymous || reason.is_some();
        let (reporter, message_id) = if !reveal {
            let note = json!("withheld: the reporter is anonymous; give --reason to reveal (the view is audited)");
            (
                if rec.is_some() { note.clone() } else { Value::Null },
                note,
            )
        } else {
            if r.anonymous {
                store
                    .append_audit(&AuditRecord {
                        at: now_ms(),
                        actor: actor.to_string(),
                        action: "reveal_anonymous_identity".into(),
                        tracking_id: Some(r.tracking_id.clone()),
                        reason: reason.unwrap_or_default().to_string(),
                    })
                    .await?;
                tracing::warn!(tracking_id = %r.tracking_id, actor, "An anonymous reporter's identity was revealed to an operator (audited).");
            }
            let reporter = match &rec {
                None => Value::Null,
                Some(rec) => keys
                    .with_reload(|k| crate::identity::open(k, r.id, rec))
                    .with_context(|| format!("cannot open the reporter of {}", r.tracking_id))?
                    .to_json(),
            };
            let message_id = match &r.message_id_enc {
                None => Value::Null,
                Some(m) => json!(keys
                    .with_reload(|k| crate::privacy::cipher::open_string(
                        k,
                        crate::privacy::cipher::Field::MessageId,
                        r.id,
                        m
                    ))
                    .with_context(|| format!("cannot open the message id of {}", r.tracking_id))?),
            };
            (reporter, message_id)
        };
        Ok(crate::views::operator_view(
            &r,
            reporter,
            message_id,
            &attachments,
            &events,
            &catalog.directory,
        ))
    }
    .await;
    store.close().await;
    result
}

/// `lapord audit`: the latest audit entries.
pub async fn audit(settings: &Settings, limit: i64) -> anyhow::Result<Vec<AuditRecord>> {
    let store = open_store(settings).await?;
    let entries = store.audit_entries(limit).await;
    store.close().await;
    Ok(entries?)
}

/// `lapord keys generate`: a new keyring file, mode 0600, never overwriting.
pub fn keys_generate(path: &std::path::Path) -> anyhow::Result<u32> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let k = Keyring::generate();
    k.create_file(path)?;
    Ok(k.active().0)
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotation {
    pub old: Vec<u32>,
    pub new: u32,
    pub resealed: u64,
}

/// `lapord keys rotate`: adds a key, re-seals everything under it in batches
/// while daemons keep running (they reload the keyring within a second and
/// seal new reports with the new key), retires the old keys, and compacts the
/// store so no old ciphertext survives in free pages. (The compaction holds
/// SQLite's write lock while it runs: on a large store, intake waits up to its
/// busy timeout and partners may see 503s they retry.)
pub async fn keys_rotate(settings: &Settings, settle: Duration) -> anyhow::Result<Rotation> {
    let path = settings.identity_key_path();
    let current = Keyring::load(&path).map_err(|e| match e {
        KeyError::Missing(p) => anyhow::anyhow!(
            "no keyring at {} to rotate (lapord keys generate makes one)",
            p.display()
        ),
        other => other.into(),
    })?;
    let store = open_store(settings).await?;
    let result = rotate_store(&*store, &path, current, settle).await;
    store.close().await;
    result
}

async fn rotate_store(
    store: &dyn Store,
    path: &std::path::Path,
    current: Keyring,
    settle: Duration,
) -> anyhow::Result<Rotation> {
    let in_use = store.identity_key_ids().await?;
    if let Some(unknown) = in_use.iter().find(|id| {
        u32::try_from(**id)
            .ok()
            .and_then(|i| current.get(i))
            .is_none()
    }) {
        return Err(ConfigError(format!(
            "the store holds identities under key {unknown:08x}, which {} does not have; refusing to rotate",
            path.display()
        ))
        .into());
    }
    let old = current.key_ids();
    let next = current.with_new_key();
    next.replace_file(path)?;
    let new = next.active().0;
    tracing::info!(key = %format!("{new:08x}"), "New identity key active; re-sealing.");
    let mut resealed = 0;
    // Re-seal while daemons may still write under the old key, let them pick up
    // the new one, then re-seal what they wrote in between, until nothing is
    // left under an old key.
    for round in 0..10 {
        resealed += upgrade::reseal_pass(store, &next).await?;
        tokio::time::sleep(settle).await;
        resealed += upgrade::reseal_pass(store, &next).await?;
        let left: Vec<i64> = store
            .identity_key_ids()
            .await?
            .into_iter()
            .filter(|k| *k != i64::from(new))
            .collect();
        if left.is_empty() {
            next.retire_old().replace_file(path)?;
            // Old ciphertexts may linger in freed pages; a rotation is often
            // done because a key may have leaked, so rewrite the store.
            store.compact().await?;
            return Ok(Rotation { old, new, resealed });
        }
        tracing::warn!(round, left = ?left, "Identities still under old keys; another pass.");
    }
    anyhow::bail!(
        "identities are still being written under an old key after 10 passes; is a daemon running with another copy of the keyring? The new key stays active and the old keys stay in {}; run `lapord keys rotate` again",
        path.display()
    )
}
