-- Public statistics (src/stats). Derived data: the indexer reads `events` in
-- id order from `stats_cursor` and writes its counters, its own view of each
-- report and assignment, and the cursor in one transaction that only commits
-- if the cursor is still where it read it (compare-and-set). Emptying these
-- tables and setting the cursor to 0 rebuilds them from the event log.

CREATE TABLE stats_cursor (
    name        TEXT PRIMARY KEY,
    -- The last event id indexed.
    last_id     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO stats_cursor (name, last_id, updated_at) VALUES ('events', 0, 0);

-- What the indexer remembers of a report. flags: 1 forwarded, 2 responded,
-- 4 overdue, 8 ended. received_day: WIB days since 1970-01-01 of its
-- `diterima`. Dimensions ('' = none): channel and region (the regency part of
-- region_code, "32.73") as received; category and weight as received, then
-- as the first forwarding set them.
CREATE TABLE stats_reports (
    report_id     INTEGER PRIMARY KEY,
    flags         INTEGER NOT NULL,
    received_day  INTEGER NOT NULL,
    category      TEXT NOT NULL,
    region        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    weight        TEXT NOT NULL
);

-- The latest assignment of a report to an agency. flags: 1 open, 2 responded,
-- 4 overdue, 8 deadline decided. due_at NULL: no deadline was given.
CREATE TABLE stats_assignments (
    report_id  INTEGER NOT NULL,
    agency     TEXT NOT NULL,
    due_at     INTEGER,
    flags      INTEGER NOT NULL,
    PRIMARY KEY (report_id, agency)
) WITHOUT ROWID;

-- Counters per bucket of days in WIB ('YYYY', 'YYYY-MM' or 'YYYY-MM-DD': any
-- period is a few dozen of them) and scope (dim 'all' with code '', or dim
-- agency, category, region, channel, weight and its code). The *_wd columns
-- are histograms of working days, "wd:n,wd:n" in ascending wd, for medians.
-- One row per (bucket, scope), and the key leads with the bucket, so the
-- table of every agency for a year reads a few contiguous ranges.
CREATE TABLE stats_counts (
    bucket             TEXT NOT NULL,
    dim                TEXT NOT NULL,
    code               TEXT NOT NULL,
    received           INTEGER NOT NULL,
    forwarded          INTEGER NOT NULL,
    closed             INTEGER NOT NULL,
    rejected           INTEGER NOT NULL,
    archived           INTEGER NOT NULL,
    overdue            INTEGER NOT NULL,
    deadlines          INTEGER NOT NULL,
    on_time            INTEGER NOT NULL,
    first_response_wd  TEXT NOT NULL,
    close_wd           TEXT NOT NULL,
    PRIMARY KEY (bucket, dim, code)
) WITHOUT ROWID;
