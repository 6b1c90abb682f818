-- The SMS channel and the outbox. Everything that identifies a citizen is
-- sealed by the daemon (XChaCha20-Poly1305, associated data naming the row's
-- unique key) like the reporter fields of version 2.

-- Parts of concatenated SMS, persisted as they arrive so that a restart loses
-- none; the modem deletes a part only once it is here. A part stays (emptied:
-- pdu_enc NULL, consumed set) after its message became a report, so that the
-- same part read again from the SIM is recognised and not reported twice.
CREATE TABLE sms_parts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- HMAC of the raw TPDU: the same part read twice is stored once.
    part_key     BLOB NOT NULL UNIQUE,
    -- HMAC of (sender, reference, total): which parts belong together.
    group_key    BLOB NOT NULL,
    seq          INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    key_id       INTEGER NOT NULL,
    pdu_enc      BLOB,
    modem        TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    consumed_at  INTEGER
);
CREATE INDEX sms_parts_group ON sms_parts (group_key, seq);
CREATE INDEX sms_parts_waiting ON sms_parts (received_at) WHERE consumed_at IS NULL;
CREATE INDEX sms_parts_consumed ON sms_parts (consumed_at) WHERE consumed_at IS NOT NULL;

-- Messages that could not be decoded: kept (sealed) for an operator, then
-- deleted from the modem, so a bad PDU neither blocks the SIM nor gets lost.
CREATE TABLE sms_quarantine (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    part_key     BLOB NOT NULL UNIQUE,
    key_id       INTEGER NOT NULL,
    pdu_enc      BLOB NOT NULL,
    modem        TEXT NOT NULL,
    error        TEXT NOT NULL,
    received_at  INTEGER NOT NULL
);

-- Messages to citizens (and later to partner systems), written in the same
-- transaction as the change that caused them, sent by the outbox workers.
-- idem_key makes the cause idempotent: the same inbound message handled twice
-- queues one reply.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key         BLOB NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    report_id        INTEGER REFERENCES reports (id) DEFERRABLE INITIALLY DEFERRED,
    purpose          TEXT NOT NULL,
    key_id           INTEGER NOT NULL,
    -- The sealed recipient; erased once the message is final (sent for good
    -- or given up), so the outbox keeps no address longer than it needs to.
    to_enc           BLOB,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    -- pending, sent, delivered, failed
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    sent_at          INTEGER,
    delivered_at     INTEGER,
    -- Which modem sent it and the message reference of its last part, to match
    -- the delivery report (+CDS).
    via              TEXT,
    mr               INTEGER,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_report ON outbox (report_id);
CREATE INDEX outbox_sent_ref ON outbox (via, mr) WHERE state = 'sent';
CREATE INDEX outbox_key ON outbox (key_id) WHERE to_enc IS NOT NULL;
CREATE INDEX sms_parts_key ON sms_parts (key_id) WHERE pdu_enc IS NOT NULL;
