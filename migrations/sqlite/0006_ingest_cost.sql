-- Deduplication keys are keyed HMACs, so they arrive in random order: a B-tree
-- over them dirtied a different page for every report at every commit, which
-- cost the single SQLite writer 27% of its ingest throughput. On SQLite the
-- lookup now lives in the daemon's memory (src/store/keydir.rs), and this
-- table is appended to in insertion order: `id` is the order the directory
-- catches up by (AUTOINCREMENT: never reused, kept through VACUUM; every intake
-- commit writes the sqlite_sequence page already, for events). PostgreSQL keeps
-- its unique index: several daemons share that database.
CREATE TABLE message_keys_v2 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT NOT NULL,
    dedupe_key   BLOB NOT NULL,
    fingerprint  BLOB,
    report_id    INTEGER NOT NULL REFERENCES reports (id) DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO message_keys_v2 (channel, dedupe_key, fingerprint, report_id)
    SELECT channel, dedupe_key, fingerprint, report_id FROM message_keys ORDER BY rowid;
DROP TABLE message_keys;
ALTER TABLE message_keys_v2 RENAME TO message_keys;
CREATE INDEX message_keys_report ON message_keys (report_id);

-- A reporter's fields (address, name, contacts, raw payload) sealed together as
-- one value: one nonce, one tag, one AEAD pass per reporter instead of one per
-- field. Rows sealed field by field before this stay readable; a key rotation
-- rewrites them in this form.
ALTER TABLE reporters ADD COLUMN identity_enc BLOB;
