-- Reporter identity protection. Identities are encrypted by the daemon
-- (XChaCha20-Poly1305, the report id as associated data) and looked up through
-- keyed blind indexes; the plaintext columns of version 1 are emptied by the
-- daemon's upgrade step and never written again.

ALTER TABLE reports ADD COLUMN message_id_enc BLOB;
-- Key id of the report's identity ciphertexts (message id and reporter), so a
-- rotation finds what is still under an old key.
ALTER TABLE reports ADD COLUMN identity_key_id INTEGER;
CREATE INDEX reports_identity_key ON reports (identity_key_id);

ALTER TABLE reporters ADD COLUMN address_enc BLOB;
ALTER TABLE reporters ADD COLUMN name_enc BLOB;
ALTER TABLE reporters ADD COLUMN contacts_enc BLOB;
ALTER TABLE reporters ADD COLUMN raw_enc BLOB;
-- HMAC of the normalised address under the index key: "which reports does this
-- number have" without the number.
ALTER TABLE reporters ADD COLUMN address_index BLOB;
-- Indexed only for senders lapord itself must recognise (SMS numbers, Twitter
-- users, email addresses). A partner system's user is recognised by the
-- partner, which always names the report; its HMAC is still stored, for "is
-- this the reporter of report X". Webhooks are the high-volume channel, and a
-- random-key B-tree insert per report costs the single SQLite writer ~15%.
CREATE INDEX reporters_address_index ON reporters (address_index)
    WHERE address_kind <> 'partner';

-- Who looked at a protected identity, when and why.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    tracking_id  TEXT,
    reason       TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
