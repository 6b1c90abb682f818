//! Public statistics, on SQLite and PostgreSQL: a generated history is
//! indexed in two goes, the second by two indexers at once, and every
//! published figure (overall, per agency, per kind, the per-agency table, for
//! periods that cut days, months and years differently) is compared with the
//! same figure recomputed from `events` by plain SQL (`stats/audit.rs`). Then
//! PostgreSQL's id gaps (a transaction in flight, one rolled back), the
//! operators' export, and the HTTP endpoints.

#[path = "stats/audit.rs"]
mod audit;
#[path = "stats/history.rs"]
mod history;

use std::sync::Arc;

use jiff::civil::{date, Date};
use lapor::routing::directory::{AGENCY_KINDS, BUILTIN_AGENCIES};
use lapor::routing::Directory;
use lapor::stats::{
    self, export, index_once, summary, BatchWrite, CountsRow, Dim, ExportDetail, Grouping, Period,
    Scope, StatsStore,
};
use lapor::store::{PgStore, SqliteStore, Store};
use lapor::testing::pg::FreshDb;

use audit::Db;
use history::{History, AGENCIES};

const REPORTS: i64 = 400;

fn directory() -> Directory {
    let mut d = Directory::default();
    d.add_toml("builtin", BUILTIN_AGENCIES).unwrap();
    d
}

/// Days since 1970-01-01, by jiff (not by the code under test).
fn day(d: Date) -> i64 {
    i64::from(date(1970, 1, 1).until(d).unwrap().get_days())
}

fn periods() -> Vec<(Date, Date)> {
    vec![
        (date(2025, 11, 20), date(2026, 6, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2025, 12, 15), date(2026, 1, 20)),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2025, 1, 1), date(2026, 12, 31)),
        (date(2025, 1, 1), date(2025, 11, 30)),
        (date(2026, 4, 10), date(2026, 5, 31)),
        (date(2025, 12, 24), date(2025, 12, 24)),
        (date(2026, 1, 9), date(2026, 1, 9)),
        (date(2026, 2, 17), date(2026, 2, 18)),
    ]
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Inserts the reports and the events `range` of a history, in log order.
async fn load(db: &Db, h: &History, with_reports: bool, range: std::ops::Range<usize>) {
    if with_reports {
        for chunk in h.reports.chunks(200) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|r| {
                    format!(
                        "({id}, 'T{id}', '{ch}', '', 'pengaduan', {cat}, 'isi', {reg}, {at}, {at}, {at}, 'diterima', NULL, \
                         '{w}', {anon}, {conf}, '{{}}')",
                        id = r.id,
                        ch = r.channel,
                        cat = r.category.map_or("NULL".into(), sql_str),
                        reg = r.region.map_or("NULL".into(), sql_str),
                        at = r.received_at,
                        w = r.weight,
                        anon = if r.anonymous { "TRUE" } else { "FALSE" },
                        conf = if r.confidential { "TRUE" } else { "FALSE" },
                    )
                })
                .collect();
            db.exec(&format!(
                "INSERT INTO reports (id, tracking_id, channel, message_id, kind, category, body, region_code, \
                 received_at, created_at, updated_at, state, agency, weight, anonymous, confidential, routing) VALUES {};",
                rows.join(", ")
            ))
            .await;
        }
    }
    let events = &h.events[range];
    for chunk in events.chunks(300) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|e| {
                format!(
                    "({}, {}, 'test', '{}', {})",
                    e.report,
                    e.at,
                    e.action,
                    sql_str(&e.detail)
                )
            })
            .collect();
        db.exec(&format!(
            "INSERT INTO events (report_id, at, actor, action, detail) VALUES {};",
            rows.join(", ")
        ))
        .await;
    }
}

async fn check_figures(store: &dyn StatsStore, db: &Db, dir: &Directory) {
    let kinds: Vec<(&str, &str)> = AGENCIES
        .iter()
        .filter_map(|a| dir.get(a).map(|x| (*a, x.kind.as_str())))
        .collect();
    audit::prepare(db, &kinds).await;
    // The history has every case the definitions distinguish.
    for (what, sql) in [
        ("repeated forwards", "SELECT COUNT(*) FROM audit_inst WHERE action = 'start' AND eff_start = 0"),
        ("a report back with an agency", "SELECT COUNT(*) FROM audit_asg WHERE inst > 1"),
        ("forwards without deadline", "SELECT COUNT(*) FROM audit_asg WHERE due IS NULL"),
        ("deadlines met", "SELECT COUNT(*) FROM audit_deadline WHERE met = 1"),
        ("deadlines missed", "SELECT COUNT(*) FROM audit_deadline WHERE met = 0"),
        ("agencies relieved in time", "SELECT COUNT(*) FROM audit_deadline d JOIN audit_ends e \
          ON e.report_id = d.report_id AND e.agency = d.agency WHERE d.met IS NULL AND e.at <= d.due"),
        ("responses at the deadline", "SELECT COUNT(*) FROM audit_resp r JOIN audit_asg a \
          ON a.report_id = r.report_id AND a.agency = r.agency AND a.inst = r.inst WHERE r.at = a.due"),
        ("events after the end", "SELECT COUNT(*) FROM audit_ev v JOIN audit_end t \
          ON t.report_id = v.report_id AND v.id > t.end_id"),
        ("acts of agencies without the report", "SELECT COUNT(*) FROM audit_inst \
          WHERE action IN ('tanggapan', 'terlambat') AND is_open = 0"),
        ("closures without working days", "SELECT COUNT(*) FROM audit_fact WHERE metric = 'closed' AND wd IS NULL"),
    ] {
        assert!(db.ints(sql).await[0] > 0, "no {what}");
    }
    let mut compared = 0;
    let mut nonzero = 0;
    for (from, to) in periods() {
        let period = Period { from, to };
        let (f, t) = (day(from), day(to));
        let check = |published: &stats::Figures, want: serde_json::Value, what: String| {
            let got = serde_json::to_value(published).unwrap();
            assert_eq!(got, want, "{what}, {from}..{to}");
        };
        let s = summary(store, dir, period, &Grouping::Overall, true)
            .await
            .unwrap();
        let want = audit::figures(db, &audit::overall(), f, t).await;
        if want["received"].as_i64() != Some(0) {
            nonzero += 1;
        }
        check(&s.figures, want, "overall".into());
        // The table: every agency of the directory, and the code it lost
        // once that has anything to show.
        let table = s.agencies.unwrap();
        let lost = db
            .ints(&format!(
                "SELECT COUNT(*) FROM audit_fact WHERE agency = 'dinas-lama' AND day <= {t}"
            ))
            .await[0];
        assert_eq!(table.len(), dir.agencies.len() + usize::from(lost > 0));
        for line in &table {
            let want = if AGENCIES.contains(&line.agency.as_str()) {
                audit::figures(db, &audit::agency(&line.agency), f, t).await
            } else {
                serde_json::to_value(stats::Figures::default()).unwrap()
            };
            check(&line.figures, want, format!("table line {}", line.agency));
            compared += 1;
        }
        assert_eq!(
            table
                .iter()
                .any(|l| l.agency == "dinas-lama" && l.kind.is_empty()),
            lost > 0
        );
        for a in AGENCIES.iter().filter(|a| dir.get(a).is_some()) {
            let s = summary(store, dir, period, &Grouping::Agency(a.to_string()), false)
                .await
                .unwrap();
            check(
                &s.figures,
                audit::figures(db, &audit::agency(a), f, t).await,
                format!("agency {a}"),
            );
        }
        for k in AGENCY_KINDS {
            let s = summary(
                store,
                dir,
                period,
                &Grouping::Kind(k.to_string()),
                k == "bumn",
            )
            .await
            .unwrap();
            check(
                &s.figures,
                audit::figures(db, &audit::kind(k), f, t).await,
                format!("kind {k}"),
            );
            if k == "bumn" {
                let lines = s.agencies.unwrap();
                assert_eq!(
                    lines.len(),
                    dir.agencies.iter().filter(|a| a.kind == "bumn").count()
                );
                assert!(lines.iter().all(|l| l.kind == "bumn"));
            }
            compared += 1;
        }
    }
    assert!(compared > 1000 && nonzero >= 8, "{compared} {nonzero}");
}

async fn check_export(store: &dyn StatsStore, db: &Db, dir: &Directory) {
    let (from, to) = (date(2025, 12, 10), date(2026, 2, 20));
    let csv = export(store, dir, Period { from, to }, ExportDetail::Everything)
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let overall = audit::figures(db, &audit::overall(), day(from), day(to)).await;
    let agencies = audit::figures(db, "agency IS NOT NULL", day(from), day(to)).await;
    let mut sums: std::collections::BTreeMap<(String, String), i64> = Default::default();
    let mut by_category: std::collections::BTreeMap<String, i64> = Default::default();
    for line in lines {
        // Histograms are quoted (they hold commas); the counts come before them.
        let fields: Vec<&str> = line.split(',').collect();
        assert!(
            fields[0] >= "2025-12-10" && fields[0] <= "2026-02-20",
            "{line}"
        );
        for m in [
            "received",
            "forwarded",
            "closed",
            "rejected",
            "archived",
            "overdue",
            "deadlines",
            "on_time",
        ] {
            *sums.entry((fields[1].into(), m.into())).or_default() +=
                fields[col(m)].parse::<i64>().unwrap();
        }
        if fields[1] == "category" {
            *by_category.entry(fields[2].into()).or_default() +=
                fields[col("received")].parse::<i64>().unwrap();
        }
    }
    for dim in ["all", "category", "region", "channel", "weight", "agency"] {
        let want = if dim == "agency" { &agencies } else { &overall };
        for m in [
            "received",
            "forwarded",
            "closed",
            "rejected",
            "archived",
            "overdue",
            "deadlines",
            "on_time",
        ] {
            assert_eq!(
                sums.get(&(dim.to_string(), m.to_string()))
                    .copied()
                    .unwrap_or(0),
                want[m].as_i64().unwrap(),
                "export {dim} {m}"
            );
        }
    }
    let want: std::collections::BTreeMap<String, i64> =
        audit::received_by_category(db, day(from), day(to))
            .await
            .into_iter()
            .collect();
    assert_eq!(by_category, want);
    assert!(
        want.contains_key("pendidikan"),
        "categories set when forwarding count: {want:?}"
    );
}

/// The whole story; `a` and `b` are two handles (pools) on one database.
async fn story(a: Arc<dyn StatsStore>, b: Arc<dyn StatsStore>, db: Db) {
    let dir = directory();
    let h = history::generate(20_260_101, REPORTS);
    let split = h.events.len() * 3 / 5;
    load(&db, &h, true, 0..split).await;
    // Nothing indexed yet: every figure is zero.
    let empty = summary(
        &*a,
        &dir,
        Period {
            from: date(2025, 1, 1),
            to: date(2026, 12, 31),
        },
        &Grouping::Overall,
        false,
    )
    .await
    .unwrap();
    assert_eq!(empty.figures, stats::Figures::default());
    assert_eq!(index_once(&*a, 17).await.unwrap(), split as u64);
    assert_eq!(index_once(&*a, 17).await.unwrap(), 0);
    load(&db, &h, false, split..h.events.len()).await;
    // Two indexers at once, in small batches: between them every event once.
    let (x, y) = tokio::join!(index_once(&*a, 7), index_once(&*b, 11));
    assert_eq!(x.unwrap() + y.unwrap(), (h.events.len() - split) as u64);
    assert_eq!(index_once(&*b, 500).await.unwrap(), 0);
    assert_eq!(a.stats_cursor().await.unwrap(), h.events.len() as i64);
    assert_eq!(a.stats_latest_event().await.unwrap(), h.events.len() as i64);

    // A batch prepared against a cursor that has moved writes nothing.
    let key = ("2026-01".to_string(), Dim::All, String::new());
    let before = a
        .stats_rows_by_key(std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    let bogus = BatchWrite {
        counts: vec![CountsRow {
            bucket: key.0.clone(),
            dim: "all".into(),
            code: String::new(),
            n: [9999; 8],
            ..Default::default()
        }],
        ..Default::default()
    };
    assert!(!b.stats_commit(3, 99_999, &bogus, 0).await.unwrap());
    assert_eq!(a.stats_rows_by_key(&[key]).await.unwrap(), before);
    assert_eq!(a.stats_cursor().await.unwrap(), h.events.len() as i64);

    check_figures(&*a, &db, &dir).await;
    check_export(&*a, &db, &dir).await;

    // Unknown scopes are refused, not answered with zeros.
    let p = Period {
        from: date(2026, 1, 1),
        to: date(2026, 1, 31),
    };
    assert!(
        summary(&*a, &dir, p, &Grouping::Agency("dinas-lama".into()), false)
            .await
            .is_err()
    );
    assert!(summary(&*a, &dir, p, &Grouping::Kind("desa".into()), false)
        .await
        .is_err());
    let rows = a
        .stats_rows(&["2026".into()], Scope::Every(Dim::Agency))
        .await
        .unwrap();
    assert!(rows.iter().any(|r| r.code == "dinas-lama"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_figures_match_the_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let one = Arc::new(SqliteStore::connect(&url, 4).await.unwrap());
    one.migrate().await.unwrap();
    let two = stats::open(&url, 4).await.unwrap();
    let db = Db::Lite(one.pool().clone());
    story(one, two, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_figures_match_the_event_log() {
    let Some(fresh) = FreshDb::create().await else {
        return;
    };
    let one = Arc::new(PgStore::connect(&fresh.url, 4).await.unwrap());
    one.migrate().await.unwrap();
    let two = stats::open(&fresh.url, 4).await.unwrap();
    assert_eq!(two.backend(), "postgres");
    let db = Db::Pg(one.pool().clone());
    story(one.clone(), two, db).await;
    one.pool().close().await;
    fresh.drop().await;
}

/// On PostgreSQL an id can be taken by a transaction still in flight: the
/// indexer must wait for it, and skip an id whose transaction rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_waits_for_transactions_in_flight_and_skips_rolled_back_ids() {
    let Some(fresh) = FreshDb::create().await else {
        return;
    };
    let store = Arc::new(PgStore::connect(&fresh.url, 4).await.unwrap());
    store.migrate().await.unwrap();
    let pool = store.pool().clone();
    let db = Db::Pg(pool.clone());
    let s: Arc<dyn StatsStore> = store.clone();
    let t = history::START + 10 * history::D;
    db.exec(&format!(
        "INSERT INTO reports (id, tracking_id, channel, message_id, kind, body, received_at, created_at, updated_at, \
         state, weight, anonymous, confidential, routing) VALUES \
         (1, 'T1', 'sms', '', 'pengaduan', 'isi', {t}, {t}, {t}, 'diterima', 'sedang', FALSE, TRUE, '{{}}');
         INSERT INTO events (report_id, at, actor, action, detail) VALUES (1, {t}, 'test', 'diterima', '{{}}');"
    ))
    .await;
    let insert = |action: &str, detail: &str| {
        format!(
            "INSERT INTO events (report_id, at, actor, action, detail) VALUES (1, {}, 'test', '{action}', '{detail}')",
            t + 1000
        )
    };
    let forward = insert(
        "diteruskan",
        &format!(
            r#"{{"agencies":["polri"],"due":{{"polri":{}}}}}"#,
            t + 5 * history::D
        ),
    );
    let respond = insert(
        "tanggapan",
        r#"{"agency":"polri","first":true,"working_days":2}"#,
    );
    // Id 2 in flight while id 3 commits.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(&forward).execute(&mut *tx).await.unwrap();
    db.exec(&respond).await;
    assert_eq!(index_once(&*s, 100).await.unwrap(), 1);
    assert_eq!(s.stats_cursor().await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(index_once(&*s, 100).await.unwrap(), 2);
    // Id 4 rolled back: a gap for ever.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(&insert("selesai", r#"{"rule":"puas","working_days":9}"#))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    db.exec(&insert("selesai", r#"{"rule":"puas","working_days":4}"#))
        .await;
    assert_eq!(index_once(&*s, 100).await.unwrap(), 1);
    assert_eq!(s.stats_cursor().await.unwrap(), 5);
    let dir = directory();
    let dec = Period {
        from: date(2025, 12, 1),
        to: date(2025, 12, 31),
    };
    let f = summary(&*s, &dir, dec, &Grouping::Agency("polri".into()), false)
        .await
        .unwrap()
        .figures;
    assert_eq!(
        (f.received, f.closed, f.in_process, f.deadlines, f.on_time),
        (1, 1, 0, 1, 1)
    );
    assert_eq!(f.median_working_days_to_first_response, Some(2.0));
    assert_eq!(f.median_working_days_to_close, Some(4.0));
    pool.close().await;
    fresh.drop().await;
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoints_answer_json_and_csv_and_refuse_bad_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("t.db").display());
    let store = Arc::new(SqliteStore::connect(&url, 4).await.unwrap());
    store.migrate().await.unwrap();
    let db = Db::Lite(store.pool().clone());
    let h = history::generate(7, 80);
    load(&db, &h, true, 0..h.events.len()).await;
    // The daemon's indexer catches up, then stops when told.
    let cancel = tokio_util::sync::CancellationToken::new();
    let indexer = stats::spawn_indexer(
        store.clone(),
        std::time::Duration::from_millis(20),
        stats::DEFAULT_BATCH,
        cancel.clone(),
    );
    let latest = store.stats_latest_event().await.unwrap();
    assert_eq!(latest, h.events.len() as i64);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.stats_cursor().await.unwrap() < latest {
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer did not catch up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    cancel.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(5), indexer)
        .await
        .expect("the indexer stops when cancelled")
        .unwrap();
    // "Today" is 2026-01-15 (WIB) by the test clock.
    let clock_file = tmp.path().join("now");
    std::fs::write(
        &clock_file,
        (history::START + 45 * history::D + 12 * history::H).to_string(),
    )
    .unwrap();
    let dir = Arc::new(directory());
    let api = stats::http::StatsApi {
        store: store.clone(),
        directory: dir.clone(),
        clock: lapor::clock::Clock::from_setting(clock_file.to_str().unwrap()),
    };
    let app: axum::Router = stats::http::routes(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, head, body) = get(addr, "/v1/stats").await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("cache-control: public"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["period"]["from"], "2025-12-17");
    assert_eq!(v["period"]["to"], "2026-01-15");
    assert_eq!(v["scope"]["level"], "overall");
    let p = Period {
        from: date(2025, 12, 17),
        to: date(2026, 1, 15),
    };
    let want = summary(&*store, &dir, p, &Grouping::Overall, false)
        .await
        .unwrap();
    // Both through JSON text, as a client reads them.
    let want_json = serde_json::to_string(&want.figures).unwrap();
    assert_eq!(
        v["figures"],
        serde_json::from_str::<serde_json::Value>(&want_json).unwrap()
    );
    assert!(want.figures.received > 0);
    assert!(v.get("agencies").is_none());

    let (status, _, body) = get(
        addr,
        "/v1/stats?from=2025-12-01&to=2026-01-31&kind=pemda&by=agency",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["scope"],
        serde_json::json!({"level": "kind", "kind": "pemda"})
    );
    assert_eq!(
        v["agencies"].as_array().unwrap().len(),
        dir.agencies.iter().filter(|a| a.kind == "pemda").count()
    );

    let (status, _, body) = get(addr, "/v1/stats?agency=polri&from=2025-12-01&to=2025-12-31").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["scope"]["name"], dir.get("polri").unwrap().name.as_str());

    let (status, head, body) = get(
        addr,
        "/v1/stats.csv?from=2025-12-01&to=2026-01-31&by=agency",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/csv"));
    assert!(head.contains("lapor-stats_2025-12-01_2026-01-31.csv"));
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines[0].starts_with("level,agency,name,kind,from,to,received,forwarded,in_process,"));
    assert!(lines[1].starts_with("overall,,,,2025-12-01,2026-01-31,"));
    assert_eq!(lines.len(), 2 + dir.agencies.len() + 1);
    let p = Period {
        from: date(2025, 12, 1),
        to: date(2026, 1, 31),
    };
    let want = summary(&*store, &dir, p, &Grouping::Overall, false)
        .await
        .unwrap();
    assert!(lines[1].contains(&format!(
        ",2026-01-31,{},{},{},",
        want.figures.received, want.figures.forwarded, want.figures.in_process
    )));

    for bad in [
        "/v1/stats?from=2026-13-01",
        "/v1/stats?from=2026-02-01&to=2026-01-01",
        "/v1/stats?colour=red",
        "/v1/stats?agency=polri&kind=pemda",
        "/v1/stats?agency=nobody",
        "/v1/stats.csv?by=category",
        "/v1/stats?from=2000-01-01&to=2026-01-01",
    ] {
        let (status, _, body) = get(addr, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], "invalid_parameter", "{bad}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}
