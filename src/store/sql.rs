//! The SQL both backends share. SQLite and PostgreSQL accept the same
//! statements here (`$n` placeholders, `ON CONFLICT`, `RETURNING`); where they
//! differ the backend passes the difference in (`$skip_locked`), or, where the
//! difference is a whole design, provides the method itself (`commit_intake_here`:
//! SQLite deduplicates through an in-memory key directory, PostgreSQL through a
//! unique index; `warm_up_here`). The macro
//! expands to one `impl Store` per backend, so each is an ordinary, separately
//! compiled implementation of the trait.

use std::collections::HashMap;

use super::{IntakeOutcome, NewReport};

/// Reports by the blind index of their sender's address. The `address_kind`
/// condition lets both databases use the partial index
/// `reporters_address_index`.
pub(crate) const ADDRESS_LOOKUP: &str = "SELECT r.tracking_id, r.state FROM reporters p \
     JOIN reports r ON r.id = p.report_id \
     WHERE p.address_index = $1 AND p.address_kind <> 'partner' ORDER BY r.received_at";

/// (channel, deduplication key) → index in the batch of its first report.
pub(crate) type FirstOf<'a> = HashMap<(&'a str, &'a [u8]), usize>;

/// The first report of each (channel, deduplication key) in a batch, by index:
/// the candidates. Later ones repeat or conflict with their first.
pub(crate) fn first_of_each<'a>(batch: &[&'a NewReport]) -> (Vec<usize>, FirstOf<'a>) {
    let mut first = HashMap::new();
    let mut candidates = Vec::new();
    for (i, r) in batch.iter().enumerate() {
        first
            .entry((r.channel.as_str(), r.dedupe_key.as_slice()))
            .or_insert_with(|| {
                candidates.push(i);
                i
            });
    }
    (candidates, first)
}

/// The outcome of a report whose key is already held (by a report committed
/// earlier, or earlier in the same batch) with `holder` = (tracking id,
/// fingerprint).
pub(crate) fn repeat_outcome(r: &NewReport, holder: &(String, Option<Vec<u8>>)) -> IntakeOutcome {
    let (tracking_id, fingerprint) = holder;
    if fingerprint.is_some() && *fingerprint != r.fingerprint {
        IntakeOutcome::Conflict
    } else {
        IntakeOutcome::Duplicate {
            tracking_id: tracking_id.clone(),
        }
    }
}

macro_rules! impl_sql_store {
    ($Store:ident, $DB:ty, $backend:literal, $skip_locked:literal, $compact:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $Store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> $crate::store::Result<()> {
                self.migrator()
                    .run(&self.pool)
                    .await
                    .map_err(|e| $crate::store::StoreError::Migration(e.to_string()))
            }

            async fn ping(&self) -> $crate::store::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn warm_up(&self) -> $crate::store::Result<()> {
                self.warm_up_here().await
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn tracking_key(&self) -> $crate::store::Result<Vec<u8>> {
                let fresh: [u8; 32] = rand::random();
                sqlx::query("INSERT INTO meta (key, value) VALUES ('tracking_key', $1) ON CONFLICT (key) DO NOTHING")
                    .bind(&fresh[..])
                    .execute(&self.pool)
                    .await?;
                let key: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'tracking_key'")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(key)
            }

            async fn reserve_counters(&self, n: i64) -> $crate::store::Result<std::ops::Range<i64>> {
                let end: i64 = sqlx::query_scalar(
                    "UPDATE counters SET next = next + $1 WHERE name = 'report' RETURNING next",
                )
                .bind(n)
                .fetch_one(&self.pool)
                .await?;
                Ok(end - n..end)
            }

            async fn commit_intake(
                &self,
                batch: &[&$crate::store::NewReport],
            ) -> $crate::store::Result<Vec<$crate::store::IntakeOutcome>> {
                // Each backend keeps its own deduplication (SQLite: an
                // in-memory key directory; PostgreSQL: a unique index).
                self.commit_intake_here(batch).await
            }

            async fn report_by_id(&self, id: i64) -> $crate::store::Result<Option<$crate::store::ReportRecord>> {
                let row = sqlx::query(&format!("{} WHERE id = $1", REPORT_SELECT))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| report_from_row(&r)).transpose()
            }

            async fn reporter(&self, report_id: i64) -> $crate::store::Result<Option<$crate::store::ReporterRecord>> {
                let row: Option<ReporterRow> = sqlx::query_as(
                    "SELECT address_kind, identity_enc, address_enc, name_enc, contacts_enc, raw_enc FROM reporters WHERE report_id = $1",
                )
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(reporter_record))
            }

            async fn attachments(&self, report_id: i64) -> $crate::store::Result<Vec<$crate::store::AttachmentRecord>> {
                let rows: Vec<(i64, String, String, i64, Vec<u8>, bool)> = sqlx::query_as(
                    "SELECT id, filename, content_type, size, sha256, data IS NOT NULL FROM attachments \
                     WHERE report_id = $1 ORDER BY id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, filename, content_type, size, sha, in_database)| $crate::store::AttachmentRecord {
                        id,
                        filename,
                        content_type,
                        size,
                        sha256: hex::encode(sha),
                        in_database,
                    })
                    .collect())
            }

            async fn events(&self, report_id: i64) -> $crate::store::Result<Vec<$crate::store::EventRecord>> {
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT at, actor, action, detail FROM events WHERE report_id = $1 ORDER BY id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(at, actor, action, detail)| {
                        Ok($crate::store::EventRecord {
                            at,
                            actor,
                            action,
                            detail: serde_json::from_str(&detail)
                                .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?,
                        })
                    })
                    .collect()
            }

            async fn lease(
                &self,
                agency: &str,
                limit: i64,
                now: i64,
                lease_until: i64,
            ) -> $crate::store::Result<Vec<$crate::store::LeasedItem>> {
                let sql = format!(
                    "UPDATE agency_queue SET lease_until = $1, deliveries = deliveries + 1 \
                     WHERE id IN (SELECT id FROM agency_queue WHERE agency = $2 AND acked_at IS NULL \
                     AND (lease_until IS NULL OR lease_until <= $3) ORDER BY id LIMIT $4 {}) \
                     RETURNING id, report_id, deliveries, lease_until",
                    $skip_locked
                );
                let mut rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&sql)
                    .bind(lease_until)
                    .bind(agency)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.sort_unstable();
                Ok(rows
                    .into_iter()
                    .map(|(item_id, report_id, deliveries, lease_until)| $crate::store::LeasedItem {
                        item_id,
                        report_id,
                        deliveries,
                        lease_until,
                    })
                    .collect())
            }

            async fn ack(&self, agency: &str, item_id: i64, now: i64) -> $crate::store::Result<$crate::store::AckOutcome> {
                let done = sqlx::query(
                    "UPDATE agency_queue SET acked_at = $1 WHERE id = $2 AND agency = $3 AND acked_at IS NULL",
                )
                .bind(now)
                .bind(item_id)
                .bind(agency)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok($crate::store::AckOutcome::Acked);
                }
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM agency_queue WHERE id = $1 AND agency = $2")
                    .bind(item_id)
                    .bind(agency)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match exists {
                    Some(_) => $crate::store::AckOutcome::AlreadyAcked,
                    None => $crate::store::AckOutcome::NotFound,
                })
            }

            async fn queue_depths(&self) -> $crate::store::Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT agency, COUNT(*) FROM agency_queue WHERE acked_at IS NULL GROUP BY agency ORDER BY agency",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn add_agency_token(&self, agency: &str, token_hash: &[u8], now: i64) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO agency_tokens (token_hash, agency, created_at) VALUES ($1, $2, $3)")
                    .bind(token_hash)
                    .bind(agency)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_agency_tokens(&self, agency: &str, now: i64) -> $crate::store::Result<u64> {
                Ok(sqlx::query("UPDATE agency_tokens SET revoked_at = $1 WHERE agency = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(agency)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn agency_for_token(&self, token_hash: &[u8]) -> $crate::store::Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT agency FROM agency_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn count_reports(&self) -> $crate::store::Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM reports").fetch_one(&self.pool).await?)
            }

            async fn reports_by_address_index(&self, index: &[u8]) -> $crate::store::Result<Vec<(String, String)>> {
                Ok(sqlx::query_as($crate::store::sql::ADDRESS_LOOKUP)
                .bind(index)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn identity_key_ids(&self) -> $crate::store::Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT identity_key_id FROM reports WHERE identity_key_id IS NOT NULL \
                     UNION SELECT key_id FROM outbox WHERE to_enc IS NOT NULL \
                     UNION SELECT key_id FROM sms_parts WHERE pdu_enc IS NOT NULL \
                     UNION SELECT key_id FROM sms_quarantine ORDER BY 1",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn legacy_identities(&self, limit: i64) -> $crate::store::Result<Vec<$crate::store::LegacyIdentity>> {
                let rows: Vec<(i64, String, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<Vec<u8>>)> =
                    sqlx::query_as(
                        "SELECT r.id, r.channel, r.message_id, p.address_kind, p.address, p.name, p.contacts, p.raw \
                         FROM reports r LEFT JOIN reporters p ON p.report_id = r.id \
                         WHERE r.identity_key_id IS NULL ORDER BY r.id LIMIT $1",
                    )
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(report_id, channel, message_id, address_kind, address, name, contacts, raw)| {
                        $crate::store::LegacyIdentity {
                            report_id,
                            channel,
                            message_id,
                            address_kind,
                            address,
                            name,
                            contacts,
                            raw,
                        }
                    })
                    .collect())
            }

            async fn identities_not_under(
                &self,
                current: i64,
                limit: i64,
            ) -> $crate::store::Result<Vec<$crate::store::SealedIdentity>> {
                let rows: Vec<(i64, i64, Option<Vec<u8>>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>)> =
                    sqlx::query_as(
                        "SELECT r.id, r.identity_key_id, r.message_id_enc, p.address_kind, p.identity_enc, p.address_enc, \
                         p.name_enc, p.contacts_enc, p.raw_enc FROM reports r LEFT JOIN reporters p ON p.report_id = r.id \
                         WHERE r.identity_key_id IS NOT NULL AND r.identity_key_id <> $1 ORDER BY r.id LIMIT $2",
                    )
                    .bind(current)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(report_id, key_id, message_id_enc, kind, identity_enc, address_enc, name_enc, contacts_enc, raw_enc)| {
                        $crate::store::SealedIdentity {
                            report_id,
                            key_id,
                            message_id_enc,
                            reporter: kind.map(|address_kind| {
                                reporter_record((address_kind, identity_enc, address_enc, name_enc, contacts_enc, raw_enc))
                            }),
                        }
                    })
                    .collect())
            }

            async fn write_identity(&self, w: &$crate::store::IdentityWrite) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE reports SET message_id = '', message_id_enc = $1, identity_key_id = $2 \
                     WHERE id = $3 AND identity_key_id IS NOT DISTINCT FROM $4",
                )
                .bind(&w.message_id_enc)
                .bind(w.key_id)
                .bind(w.report_id)
                .bind(w.expected_key_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if let Some(p) = &w.reporter {
                    sqlx::query(
                        "UPDATE reporters SET address = NULL, name = NULL, contacts = NULL, raw = NULL, \
                         address_enc = NULL, name_enc = NULL, contacts_enc = NULL, raw_enc = NULL, \
                         identity_enc = $1, address_index = $2 WHERE report_id = $3",
                    )
                    .bind(&p.identity_enc)
                    .bind(&p.address_index)
                    .bind(w.report_id)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(key) = &w.dedupe_key {
                    sqlx::query("UPDATE message_keys SET dedupe_key = $1 WHERE report_id = $2")
                        .bind(key)
                        .bind(w.report_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn compact(&self) -> $crate::store::Result<()> {
                for statement in $compact {
                    sqlx::query(statement).execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn append_audit(&self, e: &$crate::store::AuditRecord) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO audit_log (at, actor, action, tracking_id, reason) VALUES ($1, $2, $3, $4, $5)")
                    .bind(e.at)
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.tracking_id)
                    .bind(&e.reason)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit_entries(&self, limit: i64) -> $crate::store::Result<Vec<$crate::store::AuditRecord>> {
                let mut rows: Vec<(i64, i64, String, String, Option<String>, String)> = sqlx::query_as(
                    "SELECT id, at, actor, action, tracking_id, reason FROM audit_log ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.reverse();
                Ok(rows
                    .into_iter()
                    .map(|(_, at, actor, action, tracking_id, reason)| $crate::store::AuditRecord {
                        at,
                        actor,
                        action,
                        tracking_id,
                        reason,
                    })
                    .collect())
            }

            async fn reporter_address_index(&self, report_id: i64) -> $crate::store::Result<Option<Vec<u8>>> {
                let row: Option<Option<Vec<u8>>> =
                    sqlx::query_scalar("SELECT address_index FROM reporters WHERE report_id = $1")
                        .bind(report_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.flatten())
            }

            async fn record_interaction(
                &self,
                o: &$crate::store::NewOutbound,
                events: &[(i64, $crate::store::NewEvent)],
            ) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                if insert_outbox(&mut tx, o).await?.is_none() {
                    return Ok(false);
                }
                for (report_id, e) in events {
                    insert_event(&mut tx, *report_id, e).await?;
                    sqlx::query("UPDATE reports SET updated_at = $1 WHERE id = $2")
                        .bind(e.at)
                        .bind(report_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn outbox_lease(
                &self,
                channel: &str,
                now: i64,
                lease_until: i64,
                limit: i64,
            ) -> $crate::store::Result<Vec<$crate::store::OutboxItem>> {
                let sql = format!(
                    "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM outbox WHERE channel = $2 AND state = 'pending' \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                     ORDER BY next_attempt_at, id LIMIT $4 {}) \
                     RETURNING id, idem_key, channel, report_id, purpose, to_enc, body, attempts",
                    $skip_locked
                );
                let mut rows: Vec<(i64, Vec<u8>, String, Option<i64>, String, Option<Vec<u8>>, String, i64)> =
                    sqlx::query_as(&sql)
                        .bind(lease_until)
                        .bind(channel)
                        .bind(now)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.sort_unstable_by_key(|r| r.0);
                Ok(rows
                    .into_iter()
                    .map(|(id, idem_key, channel, report_id, purpose, to_enc, body, attempts)| {
                        $crate::store::OutboxItem { id, idem_key, channel, report_id, purpose, to_enc, body, attempts }
                    })
                    .collect())
            }

            async fn outbox_sent(&self, id: i64, via: &str, mr: Option<i64>, now: i64) -> $crate::store::Result<()> {
                sqlx::query(
                    "UPDATE outbox SET state = 'sent', sent_at = $1, via = $2, mr = $3, to_enc = NULL, \
                     lease_until = NULL, last_error = NULL WHERE id = $4",
                )
                .bind(now)
                .bind(via)
                .bind(mr)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbox_retry(&self, id: i64, next_attempt_at: i64, error: &str) -> $crate::store::Result<()> {
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 \
                     WHERE id = $3 AND state = 'pending'",
                )
                .bind(next_attempt_at)
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbox_failed(&self, id: i64, error: &str, now: i64) -> $crate::store::Result<()> {
                sqlx::query(
                    "UPDATE outbox SET state = 'failed', last_error = $1, sent_at = $2, to_enc = NULL, \
                     lease_until = NULL WHERE id = $3",
                )
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbox_delivered(
                &self,
                via: &str,
                mr: i64,
                delivered: bool,
                status: &str,
                now: i64,
            ) -> $crate::store::Result<bool> {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM outbox WHERE via = $1 AND mr = $2 AND state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1",
                )
                .bind(via)
                .bind(mr)
                .fetch_optional(&self.pool)
                .await?;
                let Some(id) = id else { return Ok(false) };
                let (state, delivered_at, error) = if delivered {
                    ("delivered", Some(now), None)
                } else {
                    ("undelivered", None, Some(status))
                };
                sqlx::query("UPDATE outbox SET state = $1, delivered_at = $2, last_error = $3 WHERE id = $4")
                    .bind(state)
                    .bind(delivered_at)
                    .bind(error)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(true)
            }

            async fn outbox_counts(&self) -> $crate::store::Result<Vec<(String, String, i64)>> {
                Ok(sqlx::query_as("SELECT channel, state, COUNT(*) FROM outbox GROUP BY channel, state ORDER BY 1, 2")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn sms_store_part(&self, p: &$crate::store::NewSmsPart) -> $crate::store::Result<bool> {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO sms_parts (part_key, group_key, seq, total, key_id, pdu_enc, modem, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (part_key) DO NOTHING RETURNING id",
                )
                .bind(&p.part_key)
                .bind(&p.group_key)
                .bind(p.seq)
                .bind(p.total)
                .bind(p.key_id)
                .bind(&p.pdu_enc)
                .bind(&p.modem)
                .bind(p.received_at)
                .fetch_optional(&self.pool)
                .await?;
                Ok(id.is_some())
            }

            async fn sms_group(&self, group_key: &[u8]) -> $crate::store::Result<Vec<$crate::store::SmsPartRecord>> {
                let rows: Vec<(i64, Vec<u8>, i64, i64, Option<Vec<u8>>, i64)> = sqlx::query_as(
                    "SELECT id, part_key, seq, total, pdu_enc, received_at FROM sms_parts \
                     WHERE group_key = $1 AND consumed_at IS NULL ORDER BY seq, id",
                )
                .bind(group_key)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, part_key, seq, total, pdu_enc, received_at)| $crate::store::SmsPartRecord {
                        id, part_key, seq, total, pdu_enc, received_at,
                    })
                    .collect())
            }

            async fn sms_groups_waiting(&self, before: i64) -> $crate::store::Result<Vec<Vec<u8>>> {
                Ok(sqlx::query_scalar(
                    "SELECT group_key FROM sms_parts WHERE consumed_at IS NULL GROUP BY group_key \
                     HAVING MIN(received_at) < $1",
                )
                .bind(before)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn sms_consume(&self, ids: &[i64], now: i64) -> $crate::store::Result<()> {
                let mut tx = self.pool.begin().await?;
                for id in ids {
                    sqlx::query("UPDATE sms_parts SET consumed_at = $1, pdu_enc = NULL WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn sms_prune(&self, before: i64) -> $crate::store::Result<u64> {
                Ok(sqlx::query("DELETE FROM sms_parts WHERE consumed_at IS NOT NULL AND consumed_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn sms_quarantine(
                &self,
                part_key: &[u8],
                key_id: i64,
                pdu_enc: &[u8],
                modem: &str,
                error: &str,
                at: i64,
            ) -> $crate::store::Result<bool> {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO sms_quarantine (part_key, key_id, pdu_enc, modem, error, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (part_key) DO NOTHING RETURNING id",
                )
                .bind(part_key)
                .bind(key_id)
                .bind(pdu_enc)
                .bind(modem)
                .bind(error)
                .bind(at)
                .fetch_optional(&self.pool)
                .await?;
                Ok(id.is_some())
            }

            async fn sealed_rows_not_under(&self, current: i64, limit: i64) -> $crate::store::Result<Vec<$crate::store::SealedRow>> {
                use $crate::store::{SealedRow, SealedTable};
                let mut out = Vec::new();
                for (table, sql) in [
                    (SealedTable::Outbox, "SELECT id, idem_key, key_id, to_enc FROM outbox WHERE to_enc IS NOT NULL AND key_id <> $1 ORDER BY id LIMIT $2"),
                    (SealedTable::SmsParts, "SELECT id, part_key, key_id, pdu_enc FROM sms_parts WHERE pdu_enc IS NOT NULL AND key_id <> $1 ORDER BY id LIMIT $2"),
                    (SealedTable::SmsQuarantine, "SELECT id, part_key, key_id, pdu_enc FROM sms_quarantine WHERE key_id <> $1 ORDER BY id LIMIT $2"),
                ] {
                    let rows: Vec<(i64, Vec<u8>, i64, Vec<u8>)> = sqlx::query_as(sql)
                        .bind(current)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    out.extend(rows.into_iter().map(|(id, key, key_id, sealed)| SealedRow { table, id, key, key_id, sealed }));
                }
                Ok(out)
            }

            async fn reseal_row(&self, row: &$crate::store::SealedRow, key_id: i64, sealed: &[u8]) -> $crate::store::Result<bool> {
                use $crate::store::SealedTable;
                let sql = match row.table {
                    SealedTable::Outbox => "UPDATE outbox SET key_id = $1, to_enc = $2 WHERE id = $3 AND key_id = $4 AND to_enc IS NOT NULL",
                    SealedTable::SmsParts => "UPDATE sms_parts SET key_id = $1, pdu_enc = $2 WHERE id = $3 AND key_id = $4 AND pdu_enc IS NOT NULL",
                    SealedTable::SmsQuarantine => "UPDATE sms_quarantine SET key_id = $1, pdu_enc = $2 WHERE id = $3 AND key_id = $4",
                };
                Ok(sqlx::query(sql)
                    .bind(key_id)
                    .bind(sealed)
                    .bind(row.id)
                    .bind(row.key_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn add_account(&self, role: &str, name: &str, agency: Option<&str>, token_hash: &[u8], now: i64) -> $crate::store::Result<()> {
                sqlx::query("INSERT INTO accounts (role, name, agency, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(role)
                    .bind(name)
                    .bind(agency)
                    .bind(token_hash)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_accounts(&self, role: &str, name: &str, now: i64) -> $crate::store::Result<u64> {
                Ok(sqlx::query("UPDATE accounts SET revoked_at = $1 WHERE role = $2 AND name = $3 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(role)
                    .bind(name)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn account_for_token(&self, token_hash: &[u8]) -> $crate::store::Result<Option<$crate::store::Account>> {
                let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, role, name, agency FROM accounts WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, role, name, agency)| $crate::store::Account { id, role, name, agency }))
            }

            async fn apply_change(&self, c: &$crate::store::Change) -> $crate::store::Result<bool> {
                let u = &c.update;
                let mut tx = self.pool.begin().await?;
                if let Some(o) = &c.reply {
                    if insert_outbox(&mut tx, o).await?.is_none() {
                        // Applied before, when this message was first handled.
                        return Ok(true);
                    }
                }
                let mut q = sqlx::QueryBuilder::<$DB>::new("UPDATE reports SET updated_at = ");
                q.push_bind(c.at);
                if let Some(v) = &u.state { q.push(", state = ").push_bind(v.clone()); }
                if let Some(v) = &u.agency { q.push(", agency = ").push_bind(v.clone()); }
                if let Some(v) = &u.kind { q.push(", kind = ").push_bind(v.clone()); }
                if let Some(v) = &u.category { q.push(", category = ").push_bind(v.clone()); }
                if let Some(v) = &u.weight { q.push(", weight = ").push_bind(v.clone()); }
                if let Some(v) = u.anonymous { q.push(", anonymous = ").push_bind(v); }
                if let Some(v) = u.confidential { q.push(", confidential = ").push_bind(v); }
                if let Some(v) = u.verify_due_at { q.push(", verify_due_at = ").push_bind(v); }
                if let Some(v) = u.verify_escalated { q.push(", verify_escalated = ").push_bind(v); }
                if let Some(v) = u.info_requested_at { q.push(", info_requested_at = ").push_bind(v); }
                if let Some(v) = u.archive_due_at { q.push(", archive_due_at = ").push_bind(v); }
                if let Some(v) = u.forwarded_at { q.push(", forwarded_at = ").push_bind(v); }
                if let Some(v) = u.first_response_at { q.push(", first_response_at = ").push_bind(v); }
                if let Some(v) = u.last_response_at { q.push(", last_response_at = ").push_bind(v); }
                if let Some(v) = u.autoclose_due_at { q.push(", autoclose_due_at = ").push_bind(v); }
                if let Some(v) = u.closed_at { q.push(", closed_at = ").push_bind(v); }
                if let Some(v) = &u.close_rule { q.push(", close_rule = ").push_bind(v.clone()); }
                q.push(" WHERE id = ").push_bind(c.report_id);
                if !c.from_states.is_empty() {
                    q.push(" AND state IN (");
                    let mut sep = q.separated(", ");
                    for s in &c.from_states {
                        sep.push_bind(s.clone());
                    }
                    q.push(")");
                }
                if let Some(g) = &c.guard {
                    q.push(" AND (").push(g).push(")");
                }
                if q.build().execute(&mut *tx).await?.rows_affected() != 1 {
                    return Ok(false);
                }
                for e in &c.events {
                    insert_event(&mut tx, c.report_id, e).await?;
                }
                for (agency, reason) in &c.end_assignments {
                    sqlx::query(
                        "UPDATE assignments SET ended_at = $1, ended_reason = $2, next_escalation_at = NULL \
                         WHERE report_id = $3 AND agency = $4 AND ended_at IS NULL",
                    )
                    .bind(c.at)
                    .bind(reason)
                    .bind(c.report_id)
                    .bind(agency)
                    .execute(&mut *tx)
                    .await?;
                }
                for a in &c.new_assignments {
                    sqlx::query(
                        "INSERT INTO assignments (report_id, agency, forwarded_at, due_at, next_escalation_at) \
                         VALUES ($1, $2, $3, $4, $4)",
                    )
                    .bind(c.report_id)
                    .bind(&a.agency)
                    .bind(a.forwarded_at)
                    .bind(a.due_at)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(agency) = &c.responded {
                    sqlx::query(
                        "UPDATE assignments SET first_response_at = COALESCE(first_response_at, $1), \
                         last_response_at = $1, next_escalation_at = NULL \
                         WHERE report_id = $2 AND agency = $3 AND ended_at IS NULL",
                    )
                    .bind(c.at)
                    .bind(c.report_id)
                    .bind(agency)
                    .execute(&mut *tx)
                    .await?;
                }
                for agency in &c.enqueue {
                    sqlx::query("INSERT INTO agency_queue (agency, report_id, enqueued_at) VALUES ($1, $2, $3)")
                        .bind(agency)
                        .bind(c.report_id)
                        .bind(c.at)
                        .execute(&mut *tx)
                        .await?;
                }
                for o in &c.outbox {
                    insert_outbox(&mut tx, o).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn deadlines(&self, report_id: i64) -> $crate::store::Result<Option<$crate::store::Deadlines>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT verify_due_at, verify_escalated, info_requested_at, archive_due_at, forwarded_at, \
                     first_response_at, last_response_at, autoclose_due_at, closed_at, close_rule FROM reports WHERE id = $1",
                )
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::store::Deadlines {
                    verify_due_at: r.try_get("verify_due_at")?,
                    verify_escalated: r.try_get("verify_escalated")?,
                    info_requested_at: r.try_get("info_requested_at")?,
                    archive_due_at: r.try_get("archive_due_at")?,
                    forwarded_at: r.try_get("forwarded_at")?,
                    first_response_at: r.try_get("first_response_at")?,
                    last_response_at: r.try_get("last_response_at")?,
                    autoclose_due_at: r.try_get("autoclose_due_at")?,
                    closed_at: r.try_get("closed_at")?,
                    close_rule: r.try_get("close_rule")?,
                }))
            }

            async fn assignments(&self, report_id: i64) -> $crate::store::Result<Vec<$crate::store::AssignmentRecord>> {
                let rows: Vec<AssignmentRow> = sqlx::query_as(&format!("{ASSIGNMENT_SELECT} WHERE report_id = $1 ORDER BY id"))
                    .bind(report_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(assignment).collect())
            }

            async fn agency_assignments(&self, agency: &str, all: bool, limit: i64) -> $crate::store::Result<Vec<$crate::store::AssignmentRecord>> {
                let open = if all { "" } else { " AND ended_at IS NULL" };
                let rows: Vec<AssignmentRow> = sqlx::query_as(&format!(
                    "{ASSIGNMENT_SELECT} WHERE agency = $1{open} ORDER BY forwarded_at, id LIMIT $2"
                ))
                .bind(agency)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(assignment).collect())
            }

            async fn reports_in_states(&self, states: &[&str], limit: i64) -> $crate::store::Result<Vec<i64>> {
                let mut q = sqlx::QueryBuilder::<$DB>::new("SELECT id FROM reports WHERE state IN (");
                let mut sep = q.separated(", ");
                for s in states {
                    sep.push_bind(s.to_string());
                }
                q.push(") ORDER BY received_at, id LIMIT ").push_bind(limit);
                Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
            }

            async fn due_verifications(&self, now: i64, limit: i64) -> $crate::store::Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM reports WHERE verify_escalated = 0 AND verify_due_at IS NOT NULL \
                     AND verify_due_at < $1 AND state = 'diterima' ORDER BY verify_due_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn due_archives(&self, now: i64, limit: i64) -> $crate::store::Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM reports WHERE archive_due_at < $1 AND state = 'menunggu_info' \
                     ORDER BY archive_due_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn due_autocloses(&self, now: i64, limit: i64) -> $crate::store::Result<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM reports WHERE autoclose_due_at < $1 AND state = 'ditindaklanjuti' \
                     ORDER BY autoclose_due_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn due_escalations(&self, now: i64, limit: i64) -> $crate::store::Result<Vec<$crate::store::AssignmentRecord>> {
                let rows: Vec<AssignmentRow> = sqlx::query_as(&format!(
                    "{ASSIGNMENT_SELECT} WHERE next_escalation_at < $1 AND ended_at IS NULL \
                     ORDER BY next_escalation_at LIMIT $2"
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(assignment).collect())
            }

            async fn escalate(&self, e: &$crate::store::Escalation) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE assignments SET escalation_level = $1, next_escalation_at = $2 \
                     WHERE id = $3 AND escalation_level = $4 AND ended_at IS NULL AND first_response_at IS NULL",
                )
                .bind(e.to_level)
                .bind(e.next_at)
                .bind(e.assignment_id)
                .bind(e.from_level)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_event(&mut tx, e.report_id, &e.event).await?;
                for agency in &e.enqueue {
                    sqlx::query("INSERT INTO agency_queue (agency, report_id, enqueued_at) VALUES ($1, $2, $3)")
                        .bind(agency)
                        .bind(e.report_id)
                        .bind(e.event.at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }

        type AssignmentRow = (i64, i64, String, i64, i64, Option<i64>, Option<i64>, i64, Option<i64>, Option<i64>);

        const ASSIGNMENT_SELECT: &str = "SELECT id, report_id, agency, forwarded_at, due_at, first_response_at, \
            last_response_at, escalation_level, next_escalation_at, ended_at FROM assignments";

        fn assignment(
            (id, report_id, agency, forwarded_at, due_at, first_response_at, last_response_at, escalation_level, next_escalation_at, ended_at): AssignmentRow,
        ) -> $crate::store::AssignmentRecord {
            $crate::store::AssignmentRecord {
                id,
                report_id,
                agency,
                forwarded_at,
                due_at,
                first_response_at,
                last_response_at,
                escalation_level,
                next_escalation_at,
                ended_at,
            }
        }

        type ReporterRow = (String, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

        fn reporter_record(
            (address_kind, identity_enc, address_enc, name_enc, contacts_enc, raw_enc): ReporterRow,
        ) -> $crate::store::ReporterRecord {
            $crate::store::ReporterRecord {
                address_kind,
                identity_enc,
                address_enc,
                name_enc,
                contacts_enc,
                raw_enc,
            }
        }

        const REPORT_SELECT: &str = "SELECT id, tracking_id, channel, message_id_enc, identity_key_id, kind, category, body, \
            region_code, latitude, longitude, received_at, created_at, updated_at, state, agency, weight, \
            anonymous, confidential, routing FROM reports";

        fn report_from_row(
            r: &<$DB as sqlx::Database>::Row,
        ) -> $crate::store::Result<$crate::store::ReportRecord> {
            use sqlx::Row;
            Ok($crate::store::ReportRecord {
                id: r.try_get("id")?,
                tracking_id: r.try_get("tracking_id")?,
                channel: r.try_get("channel")?,
                message_id_enc: r.try_get("message_id_enc")?,
                identity_key_id: r.try_get("identity_key_id")?,
                kind: r.try_get("kind")?,
                category: r.try_get("category")?,
                body: r.try_get("body")?,
                region_code: r.try_get("region_code")?,
                latitude: r.try_get("latitude")?,
                longitude: r.try_get("longitude")?,
                received_at: r.try_get("received_at")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
                state: r.try_get("state")?,
                agency: r.try_get("agency")?,
                weight: r.try_get("weight")?,
                anonymous: r.try_get("anonymous")?,
                confidential: r.try_get("confidential")?,
                routing: r.try_get("routing")?,
            })
        }

        async fn insert_event(
            tx: &mut sqlx::Transaction<'_, $DB>,
            report_id: i64,
            e: &$crate::store::NewEvent,
        ) -> $crate::store::Result<()> {
            sqlx::query("INSERT INTO events (report_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(report_id)
                .bind(e.at)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.detail)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Queues a message unless its idempotency key is already queued; its id if new.
        async fn insert_outbox(
            tx: &mut sqlx::Transaction<'_, $DB>,
            o: &$crate::store::NewOutbound,
        ) -> $crate::store::Result<Option<i64>> {
            Ok(sqlx::query_scalar(
                "INSERT INTO outbox (idem_key, channel, report_id, purpose, key_id, to_enc, body, created_at, \
                 state, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $8) \
                 ON CONFLICT (idem_key) DO NOTHING RETURNING id",
            )
            .bind(&o.idem_key)
            .bind(&o.channel)
            .bind(o.report_id)
            .bind(&o.purpose)
            .bind(o.key_id)
            .bind(&o.to_enc)
            .bind(&o.body)
            .bind(o.created_at)
            .fetch_optional(&mut **tx)
            .await?)
        }

        /// `INSERT INTO message_keys` with the reports' keys as its rows; the
        /// backend adds how conflicts and results are handled.
        fn message_keys_insert<'a>(
            reports: &'a [&'a $crate::store::NewReport],
        ) -> sqlx::QueryBuilder<'a, $DB> {
            let mut q = sqlx::QueryBuilder::<$DB>::new(
                "INSERT INTO message_keys (channel, dedupe_key, fingerprint, report_id) ",
            );
            q.push_values(reports, |mut b, r| {
                b.push_bind(&r.channel)
                    .push_bind(&r.dedupe_key)
                    .push_bind(&r.fingerprint)
                    .push_bind(r.id);
            });
            q
        }

        /// Inserts the new reports of a batch with one multi-row statement per table.
        async fn insert_reports(
            tx: &mut sqlx::Transaction<'_, $DB>,
            new: &[&$crate::store::NewReport],
        ) -> $crate::store::Result<()> {
            for chunk in new.chunks(400) {
                let mut q = sqlx::QueryBuilder::<$DB>::new(
                    "INSERT INTO reports (id, tracking_id, channel, message_id, message_id_enc, identity_key_id, \
                     kind, category, body, region_code, latitude, longitude, received_at, created_at, updated_at, \
                     state, agency, weight, anonymous, confidential, routing, verify_due_at, forwarded_at) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id)
                        .push_bind(&r.tracking_id)
                        .push_bind(&r.channel)
                        .push_bind("")
                        .push_bind(&r.message_id_enc)
                        .push_bind(r.identity_key_id)
                        .push_bind(&r.kind)
                        .push_bind(&r.category)
                        .push_bind(&r.body)
                        .push_bind(&r.region_code)
                        .push_bind(r.latitude)
                        .push_bind(r.longitude)
                        .push_bind(r.received_at)
                        .push_bind(r.created_at)
                        .push_bind(r.created_at)
                        .push_bind(&r.state)
                        .push_bind(&r.agency)
                        .push_bind(&r.weight)
                        .push_bind(r.anonymous)
                        .push_bind(r.confidential)
                        .push_bind(&r.routing)
                        .push_bind(r.verify_due_at)
                        .push_bind(r.forwarded_at);
                });
                q.build().execute(&mut **tx).await?;
                let reporters: Vec<_> = chunk
                    .iter()
                    .filter_map(|r| r.reporter.as_ref().map(|p| (r.id, p)))
                    .collect();
                if !reporters.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO reporters (report_id, address_kind, address_index, identity_enc) ",
                    );
                    q.push_values(&reporters, |mut b, (id, p)| {
                        b.push_bind(*id)
                            .push_bind(&p.address_kind)
                            .push_bind(&p.address_index)
                            .push_bind(&p.identity_enc);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let events: Vec<_> = chunk
                    .iter()
                    .flat_map(|r| r.events.iter().map(move |e| (r.id, e)))
                    .collect();
                if !events.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO events (report_id, at, actor, action, detail) ",
                    );
                    q.push_values(&events, |mut b, (id, e)| {
                        b.push_bind(*id)
                            .push_bind(e.at)
                            .push_bind(&e.actor)
                            .push_bind(&e.action)
                            .push_bind(&e.detail);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let attachments: Vec<_> = chunk
                    .iter()
                    .flat_map(|r| r.attachments.iter().map(move |a| (r.id, a)))
                    .collect();
                if !attachments.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO attachments (report_id, filename, content_type, size, sha256, data) ",
                    );
                    q.push_values(&attachments, |mut b, (id, a)| {
                        b.push_bind(*id)
                            .push_bind(&a.filename)
                            .push_bind(&a.content_type)
                            .push_bind(a.size)
                            .push_bind(&a.sha256)
                            .push_bind(&a.data);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let queue: Vec<_> = chunk
                    .iter()
                    .flat_map(|r| r.enqueue.iter().map(move |a| (r.id, a, r.created_at)))
                    .collect();
                if !queue.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO agency_queue (agency, report_id, enqueued_at) ",
                    );
                    q.push_values(&queue, |mut b, (id, agency, at)| {
                        b.push_bind(*agency).push_bind(*id).push_bind(*at);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let assignments: Vec<_> = chunk
                    .iter()
                    .flat_map(|r| r.assignments.iter().map(move |a| (r.id, a)))
                    .collect();
                if !assignments.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO assignments (report_id, agency, forwarded_at, due_at, next_escalation_at) ",
                    );
                    q.push_values(&assignments, |mut b, (id, a)| {
                        b.push_bind(*id)
                            .push_bind(&a.agency)
                            .push_bind(a.forwarded_at)
                            .push_bind(a.due_at)
                            .push_bind(a.due_at);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let outbox: Vec<_> = chunk.iter().flat_map(|r| r.outbox.iter()).collect();
                if !outbox.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO outbox (idem_key, channel, report_id, purpose, key_id, to_enc, body, created_at, \
                         state, next_attempt_at) ",
                    );
                    q.push_values(&outbox, |mut b, o| {
                        b.push_bind(&o.idem_key)
                            .push_bind(&o.channel)
                            .push_bind(o.report_id)
                            .push_bind(&o.purpose)
                            .push_bind(o.key_id)
                            .push_bind(&o.to_enc)
                            .push_bind(&o.body)
                            .push_bind(o.created_at)
                            .push_bind("pending")
                            .push_bind(o.created_at);
                    });
                    q.push(" ON CONFLICT (idem_key) DO NOTHING");
                    q.build().execute(&mut **tx).await?;
                }
            }
            Ok(())
        }
    };
}

pub(crate) use impl_sql_store;
