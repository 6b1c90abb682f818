-- A reporter's fields (address, name, contacts, raw payload) sealed together as
-- one value: one nonce, one tag, one AEAD pass per reporter instead of one per
-- field. Rows sealed field by field before this stay readable; a key rotation
-- rewrites them in this form. (SQLite's 0006 also makes message_keys
-- append-only; PostgreSQL keeps its unique index, which several daemons share.)
ALTER TABLE reporters ADD COLUMN identity_enc BYTEA;
