//! The auditor: every published figure recomputed from the `events` table
//! with plain SQL, written apart from the indexer and sharing none of its
//! code. The JSON of each event is flattened (the one part that differs
//! between SQLite and PostgreSQL), then common SQL derives one row per
//! counted fact (`audit_fact`: metric, agency or NULL for the report level,
//! WIB day, working days), and each figure is an aggregate over those rows.

use sqlx::Row;

pub enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    pub async fn exec(&self, sql: &str) {
        match self {
            Db::Lite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Db::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    }

    /// The integers of one row (NULL as 0).
    pub async fn ints(&self, sql: &str) -> Vec<i64> {
        match self {
            Db::Lite(p) => {
                let r = sqlx::query(sql).fetch_one(p).await.unwrap();
                (0..r.len())
                    .map(|i| r.try_get::<Option<i64>, _>(i).unwrap().unwrap_or(0))
                    .collect()
            }
            Db::Pg(p) => {
                let r = sqlx::query(sql).fetch_one(p).await.unwrap();
                (0..r.len())
                    .map(|i| r.try_get::<Option<i64>, _>(i).unwrap().unwrap_or(0))
                    .collect()
            }
        }
    }

    pub async fn float(&self, sql: &str) -> Option<f64> {
        match self {
            Db::Lite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
    }
}

/// One row per event (and per agency it names), JSON taken apart.
const FLAT: &str = "CREATE TABLE audit_ev (id BIGINT, report_id BIGINT, at BIGINT, action TEXT, \
                    seq BIGINT, agency TEXT, due BIGINT, wd BIGINT, category TEXT, weight TEXT);";

const FLATTEN_SQLITE: &str = r#"
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, NULL, NULL, NULL
  FROM events WHERE action IN ('diterima', 'tidak_diproses', 'diarsipkan');
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, json_extract(detail, '$.working_days'), NULL, NULL
  FROM events WHERE action = 'selesai';
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, NULL,
       json_extract(detail, '$.category'), json_extract(detail, '$.weight')
  FROM events WHERE action = 'diteruskan';
INSERT INTO audit_ev SELECT e.id, e.report_id, e.at, 'start', 1 + j.key, j.value,
       json_extract(e.detail, '$.due."' || j.value || '"'), NULL, NULL, NULL
  FROM events e, json_each(e.detail, '$.agencies') j WHERE e.action = 'diteruskan';
INSERT INTO audit_ev SELECT id, report_id, at, 'start', 1, json_extract(detail, '$.agency'), NULL, NULL, NULL, NULL
  FROM events WHERE action = 'diteruskan' AND COALESCE(json_array_length(detail, '$.agencies'), 0) = 0
   AND json_extract(detail, '$.agency') IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, 'pass', 0, json_extract(detail, '$.from'), NULL, NULL, NULL, NULL
  FROM events WHERE action = 'dilimpahkan' AND json_extract(detail, '$.from') IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, 'start', 1, json_extract(detail, '$.to'), json_extract(detail, '$.due'), NULL, NULL, NULL
  FROM events WHERE action = 'dilimpahkan' AND json_extract(detail, '$.to') IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, json_extract(detail, '$.agency'), NULL,
       json_extract(detail, '$.working_days'), NULL, NULL
  FROM events WHERE action IN ('tanggapan', 'terlambat');
"#;

const FLATTEN_PG: &str = r#"
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, NULL, NULL, NULL
  FROM events WHERE action IN ('diterima', 'tidak_diproses', 'diarsipkan');
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, (detail::jsonb ->> 'working_days')::bigint, NULL, NULL
  FROM events WHERE action = 'selesai';
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, NULL, NULL, NULL,
       detail::jsonb ->> 'category', detail::jsonb ->> 'weight'
  FROM events WHERE action = 'diteruskan';
INSERT INTO audit_ev SELECT e.id, e.report_id, e.at, 'start', j.ord, j.agency,
       (e.detail::jsonb -> 'due' ->> j.agency)::bigint, NULL, NULL, NULL
  FROM events e CROSS JOIN LATERAL jsonb_array_elements_text(e.detail::jsonb -> 'agencies') WITH ORDINALITY AS j(agency, ord)
 WHERE e.action = 'diteruskan';
INSERT INTO audit_ev SELECT id, report_id, at, 'start', 1, detail::jsonb ->> 'agency', NULL, NULL, NULL, NULL
  FROM events WHERE action = 'diteruskan' AND COALESCE(jsonb_array_length(detail::jsonb -> 'agencies'), 0) = 0
   AND detail::jsonb ->> 'agency' IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, 'pass', 0, detail::jsonb ->> 'from', NULL, NULL, NULL, NULL
  FROM events WHERE action = 'dilimpahkan' AND detail::jsonb ->> 'from' IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, 'start', 1, detail::jsonb ->> 'to', (detail::jsonb ->> 'due')::bigint, NULL, NULL, NULL
  FROM events WHERE action = 'dilimpahkan' AND detail::jsonb ->> 'to' IS NOT NULL;
INSERT INTO audit_ev SELECT id, report_id, at, action, 0, detail::jsonb ->> 'agency', NULL,
       (detail::jsonb ->> 'working_days')::bigint, NULL, NULL
  FROM events WHERE action IN ('tanggapan', 'terlambat');
"#;

/// From the flat events to one row per counted fact. Same on both databases.
const FACTS: &str = r#"
-- A report counts from its first diterima to its first end, inclusive.
CREATE TABLE audit_rcv AS SELECT report_id, MIN(id) AS first_id FROM audit_ev WHERE action = 'diterima' GROUP BY report_id;
CREATE TABLE audit_end AS
  SELECT v.report_id, MIN(v.id) AS end_id FROM audit_ev v JOIN audit_rcv r ON r.report_id = v.report_id AND v.id > r.first_id
   WHERE v.action IN ('selesai', 'tidak_diproses', 'diarsipkan') GROUP BY v.report_id;
CREATE TABLE audit_rel AS
  SELECT v.* FROM audit_ev v JOIN audit_rcv r ON r.report_id = v.report_id AND v.id >= r.first_id
  LEFT JOIN audit_end t ON t.report_id = v.report_id
   WHERE t.end_id IS NULL OR v.id <= t.end_id;

-- Per (report, agency): starts, passes on, the report's end, responses, lateness.
CREATE TABLE audit_seq AS
  SELECT report_id, agency, id, seq, action, at, due, wd FROM audit_rel
   WHERE action IN ('start', 'pass', 'tanggapan', 'terlambat')
  UNION ALL
  SELECT t.report_id, a.agency, t.id, 99, t.action, t.at, CAST(NULL AS BIGINT), t.wd
    FROM audit_rel t JOIN (SELECT DISTINCT report_id, agency FROM audit_rel WHERE action = 'start') a
      ON a.report_id = t.report_id
   WHERE t.action IN ('selesai', 'tidak_diproses', 'diarsipkan');
-- g numbers the runs that begin at each start or end row.
CREATE TABLE audit_g AS
  SELECT s.*, SUM(CASE WHEN action IN ('start', 'pass', 'selesai', 'tidak_diproses', 'diarsipkan') THEN 1 ELSE 0 END)
         OVER (PARTITION BY report_id, agency ORDER BY id, seq ROWS UNBOUNDED PRECEDING) AS g
    FROM audit_seq s;
CREATE TABLE audit_heads AS
  SELECT report_id, agency, g, action AS head FROM audit_g
   WHERE action IN ('start', 'pass', 'selesai', 'tidak_diproses', 'diarsipkan');
-- A start counts when the agency did not hold the report; an end when it did;
-- a response or lateness when the agency holds it.
CREATE TABLE audit_flags AS
  SELECT s.*,
         CASE WHEN s.action = 'start' AND (p.head IS NULL OR p.head <> 'start') THEN 1 ELSE 0 END AS eff_start,
         CASE WHEN s.action IN ('pass', 'selesai', 'tidak_diproses', 'diarsipkan') AND p.head = 'start' THEN 1 ELSE 0 END AS eff_end,
         CASE WHEN h.head = 'start' THEN 1 ELSE 0 END AS is_open
    FROM audit_g s
    LEFT JOIN audit_heads p ON p.report_id = s.report_id AND p.agency = s.agency AND p.g = s.g - 1
    LEFT JOIN audit_heads h ON h.report_id = s.report_id AND h.agency = s.agency AND h.g = s.g;
CREATE TABLE audit_inst AS
  SELECT f.*, SUM(eff_start) OVER (PARTITION BY report_id, agency ORDER BY id, seq ROWS UNBOUNDED PRECEDING) AS inst
    FROM audit_flags f;
CREATE TABLE audit_asg AS SELECT report_id, agency, inst, at AS start_at, due FROM audit_inst WHERE eff_start = 1;
CREATE TABLE audit_resp AS
  SELECT report_id, agency, inst, id, at, wd FROM
    (SELECT i.*, ROW_NUMBER() OVER (PARTITION BY report_id, agency, inst ORDER BY id) AS rn
       FROM audit_inst i WHERE action = 'tanggapan' AND is_open = 1) x
   WHERE rn = 1;
CREATE TABLE audit_late AS
  SELECT report_id, agency, inst, id, at FROM
    (SELECT i.*, ROW_NUMBER() OVER (PARTITION BY report_id, agency, inst ORDER BY id) AS rn
       FROM audit_inst i WHERE action = 'terlambat' AND is_open = 1) x
   WHERE rn = 1;
CREATE TABLE audit_ends AS SELECT report_id, agency, inst, id, at, action, wd FROM audit_inst WHERE eff_end = 1;
-- A deadline is decided by the first of: first response, lateness, end.
CREATE TABLE audit_deadline AS
  SELECT a.report_id, a.agency, a.due,
         CASE WHEN r.id IS NOT NULL AND (l.id IS NULL OR r.id < l.id) THEN (CASE WHEN r.at <= a.due THEN 1 ELSE 0 END)
              WHEN l.id IS NOT NULL THEN 0
              WHEN e.id IS NOT NULL AND e.at > a.due THEN 0
         END AS met
    FROM audit_asg a
    LEFT JOIN audit_resp r ON r.report_id = a.report_id AND r.agency = a.agency AND r.inst = a.inst
    LEFT JOIN audit_late l ON l.report_id = a.report_id AND l.agency = a.agency AND l.inst = a.inst
    LEFT JOIN audit_ends e ON e.report_id = a.report_id AND e.agency = a.agency AND e.inst = a.inst
   WHERE a.due IS NOT NULL;

CREATE TABLE audit_fact (metric TEXT, agency TEXT, report_id BIGINT, day BIGINT, wd BIGINT);
-- Reports.
INSERT INTO audit_fact SELECT 'received', NULL, r.report_id, (e.at + 25200000) / 86400000, NULL
  FROM audit_rcv r JOIN audit_ev e ON e.id = r.first_id AND e.action = 'diterima';
INSERT INTO audit_fact SELECT 'forwarded', NULL, report_id, (at + 25200000) / 86400000, NULL FROM
  (SELECT report_id, at, ROW_NUMBER() OVER (PARTITION BY report_id ORDER BY id) AS rn FROM audit_rel WHERE action = 'diteruskan') x
 WHERE rn = 1;
INSERT INTO audit_fact
  SELECT CASE v.action WHEN 'selesai' THEN 'closed' WHEN 'tidak_diproses' THEN 'rejected' ELSE 'archived' END,
         NULL, v.report_id, (v.at + 25200000) / 86400000, v.wd
    FROM audit_end t JOIN audit_ev v ON v.id = t.end_id AND v.action IN ('selesai', 'tidak_diproses', 'diarsipkan');
INSERT INTO audit_fact SELECT 'overdue', NULL, report_id, (at + 25200000) / 86400000, NULL FROM
  (SELECT report_id, at, ROW_NUMBER() OVER (PARTITION BY report_id ORDER BY id) AS rn FROM audit_late) x WHERE rn = 1;
INSERT INTO audit_fact SELECT 'first_response', NULL, report_id, (at + 25200000) / 86400000, wd FROM
  (SELECT report_id, at, wd, ROW_NUMBER() OVER (PARTITION BY report_id ORDER BY id) AS rn FROM audit_resp) x WHERE rn = 1;
-- Assignments.
INSERT INTO audit_fact SELECT 'received', agency, report_id, (start_at + 25200000) / 86400000, NULL FROM audit_asg;
INSERT INTO audit_fact
  SELECT CASE action WHEN 'pass' THEN 'forwarded' WHEN 'selesai' THEN 'closed' WHEN 'tidak_diproses' THEN 'rejected' ELSE 'archived' END,
         agency, report_id, (at + 25200000) / 86400000, CASE WHEN action = 'selesai' THEN wd END
    FROM audit_ends;
INSERT INTO audit_fact SELECT 'overdue', agency, report_id, (at + 25200000) / 86400000, NULL FROM audit_late;
INSERT INTO audit_fact SELECT 'first_response', agency, report_id, (at + 25200000) / 86400000, wd FROM audit_resp;
-- Deadlines, per assignment at both levels; wd holds met (1) or missed (0).
INSERT INTO audit_fact SELECT 'deadline', agency, report_id, (due + 25200000) / 86400000, met FROM audit_deadline WHERE met IS NOT NULL;
INSERT INTO audit_fact SELECT 'deadline', NULL, report_id, (due + 25200000) / 86400000, met FROM audit_deadline WHERE met IS NOT NULL;
"#;

/// Builds `audit_fact` (and `audit_kinds`, agency → kind) in the database.
pub async fn prepare(db: &Db, kinds: &[(&str, &str)]) {
    db.exec(FLAT).await;
    db.exec(match db {
        Db::Lite(_) => FLATTEN_SQLITE,
        Db::Pg(_) => FLATTEN_PG,
    })
    .await;
    db.exec(FACTS).await;
    db.exec("CREATE TABLE audit_kinds (code TEXT, kind TEXT);")
        .await;
    for (code, kind) in kinds {
        db.exec(&format!(
            "INSERT INTO audit_kinds VALUES ('{code}', '{kind}');"
        ))
        .await;
    }
}

/// Which facts: a WHERE condition on `audit_fact`.
pub fn overall() -> String {
    "agency IS NULL".into()
}
pub fn agency(code: &str) -> String {
    format!("agency = '{code}'")
}
pub fn kind(kind: &str) -> String {
    format!("agency IN (SELECT code FROM audit_kinds WHERE kind = '{kind}')")
}

/// The figures, as the API names them, for days `from..=to` (WIB day numbers).
pub async fn figures(db: &Db, scope: &str, from: i64, to: i64) -> serde_json::Value {
    let within = format!("day BETWEEN {from} AND {to}");
    let count = |m: &str| {
        format!("COALESCE(SUM(CASE WHEN metric = '{m}' AND {within} THEN 1 ELSE 0 END), 0)")
    };
    let sql = format!(
        "SELECT {}, {}, {}, {}, {}, {}, {}, \
         COALESCE(SUM(CASE WHEN metric = 'deadline' AND wd = 1 AND {within} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN day <= {to} THEN (CASE WHEN metric = 'received' THEN 1 \
           WHEN metric IN ('closed', 'rejected', 'archived') THEN -1 \
           WHEN metric = 'forwarded' AND agency IS NOT NULL THEN -1 ELSE 0 END) ELSE 0 END), 0) \
         FROM audit_fact WHERE {scope}",
        count("received"),
        count("forwarded"),
        count("closed"),
        count("rejected"),
        count("archived"),
        count("overdue"),
        count("deadline"),
    );
    let n = db.ints(&sql).await;
    let share = db
        .float(&format!(
            "SELECT CAST(SUM(CASE WHEN wd = 1 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / NULLIF(COUNT(*), 0) \
             FROM audit_fact WHERE metric = 'deadline' AND {within} AND {scope}"
        ))
        .await;
    let median = |m: &str| {
        format!(
            "SELECT CAST(AVG(wd) AS DOUBLE PRECISION) FROM \
             (SELECT wd, ROW_NUMBER() OVER (ORDER BY wd) AS rn, COUNT(*) OVER () AS cnt FROM audit_fact \
              WHERE metric = '{m}' AND wd IS NOT NULL AND {within} AND {scope}) x \
             WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)"
        )
    };
    let first = db.float(&median("first_response")).await;
    let close = db.float(&median("closed")).await;
    // Published to 4 decimal places.
    let share = share.map(|x| (x * 10_000.0).round() / 10_000.0);
    serde_json::json!({
        "received": n[0],
        "forwarded": n[1],
        "in_process": n[8],
        "closed": n[2],
        "rejected": n[3],
        "archived": n[4],
        "overdue": n[5],
        "deadlines": n[6],
        "on_time": n[7],
        "on_time_share": share,
        "median_working_days_to_first_response": first,
        "median_working_days_to_close": close,
    })
}

/// Reports received in the period per category, the category being the one
/// the first forwarding set, else the report's own.
pub async fn received_by_category(db: &Db, from: i64, to: i64) -> Vec<(String, i64)> {
    let sql = format!(
        "SELECT COALESCE(f.category, r.category, '') AS c, COUNT(*) FROM audit_fact a \
         JOIN reports r ON r.id = a.report_id \
         LEFT JOIN (SELECT report_id, category FROM \
           (SELECT report_id, category, ROW_NUMBER() OVER (PARTITION BY report_id ORDER BY id) AS rn \
              FROM audit_rel WHERE action = 'diteruskan') x WHERE rn = 1) f ON f.report_id = a.report_id \
         WHERE a.metric = 'received' AND a.agency IS NULL AND a.day BETWEEN {from} AND {to} \
         GROUP BY COALESCE(f.category, r.category, '') ORDER BY 1"
    );
    match db {
        Db::Lite(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
        Db::Pg(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
    }
}
