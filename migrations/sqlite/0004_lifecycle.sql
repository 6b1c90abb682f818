-- The life of a report under SP4N rules: accounts that act on reports,
-- deadlines in working days, assignments to agencies (one per agency of a
-- cross-sector report, each with its own clock and escalation), and the
-- counters public statistics read.

-- Admins (verification officers) and agency officers. Tokens are stored as
-- SHA-256 hashes; the token itself is printed once by `lapord admin token` /
-- `lapord officer token`.
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    agency      TEXT,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX accounts_name ON accounts (role, name);

-- Deadlines and milestones of a report, Unix ms. A NULL deadline is not running.
ALTER TABLE reports ADD COLUMN verify_due_at INTEGER;
ALTER TABLE reports ADD COLUMN verify_escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN info_requested_at INTEGER;
ALTER TABLE reports ADD COLUMN archive_due_at INTEGER;
ALTER TABLE reports ADD COLUMN forwarded_at INTEGER;
ALTER TABLE reports ADD COLUMN first_response_at INTEGER;
ALTER TABLE reports ADD COLUMN last_response_at INTEGER;
ALTER TABLE reports ADD COLUMN autoclose_due_at INTEGER;
ALTER TABLE reports ADD COLUMN closed_at INTEGER;
ALTER TABLE reports ADD COLUMN close_rule TEXT;
-- Partial: a deadline that is not running costs the intake no index entry.
CREATE INDEX reports_verify_due ON reports (verify_due_at)
    WHERE verify_due_at IS NOT NULL AND verify_escalated = 0;
CREATE INDEX reports_archive_due ON reports (archive_due_at) WHERE archive_due_at IS NOT NULL;
CREATE INDEX reports_autoclose_due ON reports (autoclose_due_at) WHERE autoclose_due_at IS NOT NULL;

-- One row per agency a report is (or was) with. The follow-up clock of each
-- runs from its forwarding; passing a report on ends one row and starts another.
CREATE TABLE assignments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id           INTEGER NOT NULL REFERENCES reports (id),
    agency              TEXT NOT NULL,
    forwarded_at        INTEGER NOT NULL,
    due_at              INTEGER NOT NULL,
    first_response_at   INTEGER,
    last_response_at    INTEGER,
    -- 0: on time; 1: agency notified; 2: parent agency notified; 3: admins.
    escalation_level    INTEGER NOT NULL DEFAULT 0,
    next_escalation_at  INTEGER,
    ended_at            INTEGER,
    ended_reason        TEXT
);
CREATE INDEX assignments_report ON assignments (report_id);
CREATE INDEX assignments_agency ON assignments (agency, ended_at);
CREATE INDEX assignments_escalation ON assignments (next_escalation_at)
    WHERE next_escalation_at IS NOT NULL;
