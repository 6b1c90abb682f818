-- lapord schema, version 1 (SQLite). Never edit an applied migration: add one.
-- Times are Unix milliseconds (INTEGER); JSON is TEXT.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Tracking counters handed out to daemons in blocks (never reused).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    next  INTEGER NOT NULL
);
INSERT INTO counters (name, next) VALUES ('report', 0);

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    -- Unique by construction: a keyed permutation of id (src/tracking.rs), which
    -- is also how a tracking ID finds its row; no index needed.
    tracking_id   TEXT NOT NULL,
    channel       TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    category      TEXT,
    body          TEXT NOT NULL,
    region_code   TEXT,
    latitude      REAL,
    longitude     REAL,
    received_at   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    state         TEXT NOT NULL,
    agency        TEXT,
    weight        TEXT NOT NULL,
    anonymous     INTEGER NOT NULL,
    confidential  INTEGER NOT NULL,
    routing       TEXT NOT NULL
);
CREATE INDEX reports_state ON reports (state, received_at);
CREATE INDEX reports_agency ON reports (agency, state);

-- One row per (channel, message id): the deduplication of retries. Claimed
-- before its report is inserted in the same transaction, hence DEFERRED.
CREATE TABLE message_keys (
    channel      TEXT NOT NULL,
    dedupe_key   BLOB NOT NULL,
    fingerprint  BLOB,
    report_id    INTEGER NOT NULL REFERENCES reports (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (channel, dedupe_key)
);
-- Every foreign key gets an index on its column: with a deferred violation
-- outstanding, SQLite looks up children of each new parent row.
CREATE INDEX message_keys_report ON message_keys (report_id);

-- Who reported: kept apart from the report so it can be protected apart.
CREATE TABLE reporters (
    report_id     INTEGER PRIMARY KEY REFERENCES reports (id),
    address_kind  TEXT NOT NULL,
    address       TEXT,
    name          TEXT,
    contacts      TEXT,
    raw           BLOB
);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        BLOB NOT NULL,
    data          BLOB
);
CREATE INDEX attachments_report ON attachments (report_id);

-- Append-only: who did what, when.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX events_report ON events (report_id, id);

CREATE TABLE agency_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agency       TEXT NOT NULL,
    report_id    INTEGER NOT NULL REFERENCES reports (id),
    enqueued_at  INTEGER NOT NULL,
    lease_until  INTEGER,
    deliveries   INTEGER NOT NULL DEFAULT 0,
    acked_at     INTEGER
);
CREATE INDEX agency_queue_pending ON agency_queue (agency, id) WHERE acked_at IS NULL;
CREATE INDEX agency_queue_report ON agency_queue (report_id);

CREATE TABLE agency_tokens (
    token_hash  BLOB PRIMARY KEY,
    agency      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX agency_tokens_agency ON agency_tokens (agency);
