//! Statistics benchmark (not a test): fills a fresh SQLite store with a year
//! of reports (default 1,000,000) and their events, in time order as the log
//! would hold them, indexes them, then times every kind of statistics request
//! through the HTTP endpoints on loopback, for a calendar year and for a
//! rolling year (the most buckets a year can need), and prints p50/p99/max.
//!
//!     cargo bench --bench stats
//!     cargo bench --bench stats -- --reports 100000 --runs 200
//!     cargo bench --bench stats -- --db /var/tmp/stats.db   # keep the store; reused when it exists
//!
//! The history: agencies drawn with a Zipf-like skew over the whole built-in
//! directory (705 agencies), 8% rejected and 5% archived at verification,
//! the rest forwarded to one agency or, for one in five, to two or three;
//! responses on time, late after a missed deadline, passes on; three in four
//! closed. About four events per report.

use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapor::routing::directory::BUILTIN_AGENCIES;
use lapor::routing::Directory;
use lapor::stats::{self, http::StatsApi, StatsStore};
use lapor::store::{SqliteStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const H: i64 = 3_600_000;
const D: i64 = 86_400_000;
/// 2025-01-01 00:00 WIB.
const YEAR_START: i64 = 1_735_664_400_000;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n.max(1) as u64) as i64
    }
    fn chance(&mut self, percent: i64) -> bool {
        self.below(100) < percent
    }
}

/// An event waiting for its time to be appended.
#[derive(PartialEq, Eq)]
struct Pending {
    at: i64,
    seq: u64,
    report: i64,
    action: &'static str,
    detail: String,
}

impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // Earliest first.
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

struct Generator {
    rng: Rng,
    agencies: Vec<String>,
    /// Cumulative Zipf-like weights over `agencies`.
    cumulative: Vec<f64>,
    regions: Vec<String>,
    pending: BinaryHeap<Pending>,
    seq: u64,
}

impl Generator {
    fn new(dir: &Directory) -> Generator {
        let mut rng = Rng(0x5eed);
        let mut agencies: Vec<String> = dir.agencies.iter().map(|a| a.code.clone()).collect();
        for i in (1..agencies.len()).rev() {
            let j = rng.below(i as i64 + 1) as usize;
            agencies.swap(i, j);
        }
        let mut total = 0.0;
        let cumulative = (0..agencies.len())
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(0.8);
                total
            })
            .collect();
        let regions = dir
            .agencies
            .iter()
            .filter(|a| !a.region.is_empty())
            .map(|a| a.region.clone())
            .collect();
        Generator {
            rng,
            agencies,
            cumulative,
            regions,
            pending: BinaryHeap::new(),
            seq: 0,
        }
    }

    fn agency(&mut self) -> String {
        let total = *self.cumulative.last().unwrap();
        let x = (self.rng.next() as f64 / u64::MAX as f64) * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        self.agencies[i.min(self.agencies.len() - 1)].clone()
    }

    fn ev(&mut self, report: i64, at: i64, action: &'static str, detail: String) {
        self.seq += 1;
        self.pending.push(Pending {
            at,
            seq: self.seq,
            report,
            action,
            detail,
        });
    }

    /// A report received at `t0`: its row's fields and all its events (queued).
    fn report(&mut self, id: i64, t0: i64) -> (String, String, &'static str, &'static str) {
        let channel = ["sms", "webhook", "email", "twitter", "web"][self.rng.below(5) as usize];
        let weight = ["ringan", "sedang", "sedang", "berat"][self.rng.below(4) as usize];
        let category = format!("kategori-{}", self.rng.below(20));
        let region = self.regions[self.rng.below(self.regions.len() as i64) as usize].clone();
        self.ev(id, t0, "diterima", format!(r#"{{"channel":"{channel}"}}"#));
        let path = self.rng.below(100);
        if path < 8 {
            let at = t0 + 1 + self.rng.below(3 * D);
            self.ev(
                id,
                at,
                "tidak_diproses",
                r#"{"reason":"tidak_jelas"}"#.into(),
            );
        } else if path < 13 {
            self.ev(
                id,
                t0 + 2 * H,
                "menunggu_info",
                r#"{"question":"?"}"#.into(),
            );
            let at = t0 + (10 + self.rng.below(10)) * D;
            self.ev(id, at, "diarsipkan", "{}".into());
        } else if path < 16 {
            // Still being verified.
        } else {
            let tf = t0 + self.rng.below(2 * D);
            let n = if self.rng.chance(20) {
                2 + self.rng.below(2)
            } else {
                1
            };
            let days = match weight {
                "ringan" => 5,
                "sedang" => 14,
                _ => 30,
            } * 7
                / 5;
            let mut agencies = Vec::new();
            while agencies.len() < n as usize {
                let a = self.agency();
                if !agencies.contains(&a) {
                    agencies.push(a);
                }
            }
            let due = tf + days * D;
            let list: Vec<String> = agencies.iter().map(|a| format!("\"{a}\"")).collect();
            let dues: Vec<String> = agencies.iter().map(|a| format!("\"{a}\":{due}")).collect();
            self.ev(
                id,
                tf,
                "diteruskan",
                format!(
                    r#"{{"agencies":[{}],"due":{{{}}},"category":"{category}","weight":"{weight}"}}"#,
                    list.join(","),
                    dues.join(",")
                ),
            );
            let mut last = tf;
            for a in agencies {
                last = last.max(self.handle(id, &a, tf, due, true));
            }
            let c = self.rng.below(100);
            if c < 75 {
                let at = last + 1 + self.rng.below(15 * D);
                let wd = (at - t0) * 5 / 7 / D;
                self.ev(
                    id,
                    at,
                    "selesai",
                    format!(r#"{{"rule":"puas","working_days":{wd}}}"#),
                );
            } else if c < 80 {
                let at = last + 1 + self.rng.below(5 * D);
                self.ev(id, at, "tidak_diproses", r#"{"reason":"x"}"#.into());
            }
        }
        (category, region, channel, weight)
    }

    fn handle(&mut self, id: i64, agency: &str, start: i64, due: i64, may_pass: bool) -> i64 {
        let o = self.rng.below(100);
        let wd = |from: i64, to: i64| (to - from).max(0) * 5 / 7 / D;
        if o < 60 {
            let at = start + 1 + self.rng.below(due - start);
            self.ev(
                id,
                at,
                "tanggapan",
                format!(
                    r#"{{"agency":"{agency}","first":true,"working_days":{}}}"#,
                    wd(start, at)
                ),
            );
            if self.rng.chance(30) {
                let later = at + 1 + self.rng.below(5 * D);
                self.ev(
                    id,
                    later,
                    "tanggapan",
                    format!(
                        r#"{{"agency":"{agency}","first":false,"working_days":{}}}"#,
                        wd(start, later)
                    ),
                );
                return later;
            }
            at
        } else if o < 80 {
            self.ev(
                id,
                due + H,
                "terlambat",
                format!(r#"{{"agency":"{agency}"}}"#),
            );
            if self.rng.chance(50) {
                return due + H;
            }
            let at = due + H + 1 + self.rng.below(10 * D);
            self.ev(
                id,
                at,
                "tanggapan",
                format!(
                    r#"{{"agency":"{agency}","first":true,"working_days":{}}}"#,
                    wd(start, at)
                ),
            );
            at
        } else if o < 88 && may_pass {
            let at = start + 1 + self.rng.below(due - start);
            let to = self.agency();
            let due2 = at + (due - start);
            self.ev(
                id,
                at,
                "dilimpahkan",
                format!(r#"{{"from":"{agency}","to":"{to}","due":{due2}}}"#),
            );
            self.handle(id, &to, at, due2, false)
        } else {
            start
        }
    }
}

async fn fill(store: &SqliteStore, dir: &Directory, reports: i64) {
    let mut g = Generator::new(dir);
    let per_day = reports as f64 / 365.0;
    let mut id = 0i64;
    let mut events = 0u64;
    let started = Instant::now();
    let pool = store.pool();
    for day in 0..=500i64 {
        let day_start = YEAR_START + day * D;
        let mut rows = Vec::new();
        if day < 365 {
            let target = ((day + 1) as f64 * per_day).round() as i64;
            while id < target.min(reports) {
                id += 1;
                let t0 = day_start + g.rng.below(D);
                let (category, region, channel, weight) = g.report(id, t0);
                rows.push((id, t0, category, region, channel, weight));
            }
        }
        let mut due = Vec::new();
        while g.pending.peek().is_some_and(|p| p.at < day_start + D) {
            due.push(g.pending.pop().unwrap());
        }
        let mut tx = pool.begin().await.unwrap();
        for chunk in rows.chunks(1500) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO reports (id, tracking_id, channel, message_id, kind, category, body, region_code, \
                 received_at, created_at, updated_at, state, weight, anonymous, confidential, routing) ",
            );
            q.push_values(
                chunk,
                |mut b, (id, t0, category, region, channel, weight)| {
                    b.push_bind(*id)
                        .push_bind(format!("T{id}"))
                        .push_bind(*channel)
                        .push_bind("")
                        .push_bind("pengaduan")
                        .push_bind(category.as_str())
                        .push_bind("isi laporan")
                        .push_bind(region.as_str())
                        .push_bind(*t0)
                        .push_bind(*t0)
                        .push_bind(*t0)
                        .push_bind("diterima")
                        .push_bind(*weight)
                        .push_bind(id % 7 == 0)
                        .push_bind(id % 11 == 0)
                        .push_bind("{}");
                },
            );
            q.build().execute(&mut *tx).await.unwrap();
        }
        for chunk in due.chunks(5000) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO events (report_id, at, actor, action, detail) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.report)
                    .push_bind(e.at)
                    .push_bind("bench")
                    .push_bind(e.action)
                    .push_bind(e.detail.as_str());
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        events += due.len() as u64;
    }
    assert!(g.pending.is_empty(), "events beyond the generated days");
    println!(
        "filled: {id} reports, {events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn get(addr: SocketAddr, path: &str) -> (u16, usize) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let status = std::str::from_utf8(&raw[9..12]).unwrap().parse().unwrap();
    (status, raw.len())
}

/// The path of the i-th request of a kind.
type PathOf = Box<dyn Fn(usize) -> String>;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let reports: i64 = arg("--reports")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(100);
    let tmp = tempfile::tempdir().unwrap();
    let path = arg("--db")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("stats.db"));
    let url = format!("sqlite://{}", path.display());
    let store = Arc::new(SqliteStore::connect(&url, 8).await.unwrap());
    store.migrate().await.unwrap();
    let mut dir = Directory::default();
    dir.add_toml("builtin", BUILTIN_AGENCIES).unwrap();
    if store.count_reports().await.unwrap() == 0 {
        fill(&store, &dir, reports).await;
    } else {
        println!(
            "reusing {} ({} reports)",
            path.display(),
            store.count_reports().await.unwrap()
        );
    }
    let stats_store: Arc<dyn StatsStore> = store.clone();
    let started = Instant::now();
    let indexed = stats::index_once(&*stats_store, 20_000).await.unwrap();
    if indexed > 0 {
        let s = started.elapsed().as_secs_f64();
        println!(
            "indexed: {indexed} events in {s:.1} s ({:.0} events/s)",
            indexed as f64 / s
        );
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stats_counts")
        .fetch_one(store.pool())
        .await
        .unwrap();
    println!("stats_counts: {rows} rows");

    let api = StatsApi {
        store: stats_store,
        directory: Arc::new(dir.clone()),
        clock: lapor::clock::Clock::System,
    };
    let app: axum::Router = stats::http::routes(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let big = {
        // The agency with the most assignments.
        let (code,): (String,) = sqlx::query_as(
            "SELECT code FROM stats_counts WHERE bucket = '2025' AND dim = 'agency' ORDER BY received DESC LIMIT 1",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        code
    };
    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>10}",
        "request (1-year period)", "p50 ms", "p99 ms", "max ms", "bytes"
    );
    for (label, period) in [
        ("calendar 2025", "from=2025-01-01&to=2025-12-31"),
        (
            "rolling 2025-03-15..2026-03-14",
            "from=2025-03-15&to=2026-03-14",
        ),
    ] {
        println!("{label}:");
        let kinds = ["pemda", "kementerian", "lembaga", "bumn"];
        let requests: Vec<(&str, PathOf)> = vec![
            (
                "overall JSON",
                Box::new(move |_| format!("/v1/stats?{period}")),
            ),
            (
                "agency JSON (largest agency)",
                Box::new({
                    let big = big.clone();
                    move |_| format!("/v1/stats?{period}&agency={big}")
                }),
            ),
            (
                "agency JSON (agencies in turn)",
                Box::new({
                    let codes: Vec<String> = dir.agencies.iter().map(|a| a.code.clone()).collect();
                    move |i| format!("/v1/stats?{period}&agency={}", codes[i * 37 % codes.len()])
                }),
            ),
            (
                "kind JSON (pemda, kementerian, …)",
                Box::new(move |i| format!("/v1/stats?{period}&kind={}", kinds[i % 4])),
            ),
            (
                "kind=pemda&by=agency JSON (552 lines)",
                Box::new(move |_| format!("/v1/stats?{period}&kind=pemda&by=agency")),
            ),
            (
                "by=agency JSON (706 lines)",
                Box::new(move |_| format!("/v1/stats?{period}&by=agency")),
            ),
            (
                "by=agency CSV",
                Box::new(move |_| format!("/v1/stats.csv?{period}&by=agency")),
            ),
        ];
        for (name, path) in &requests {
            let mut times = Vec::with_capacity(runs);
            let mut bytes = 0;
            for i in 0..runs {
                let p = path(i);
                let t = Instant::now();
                let (status, n) = get(addr, &p).await;
                times.push(t.elapsed());
                assert_eq!(status, 200, "{p}");
                bytes = n;
            }
            times.sort();
            println!(
                "  {:<42} {:>9.1} {:>9.1} {:>9.1} {:>10}",
                name,
                pct(&times, 0.5).as_secs_f64() * 1e3,
                pct(&times, 0.99).as_secs_f64() * 1e3,
                times.last().unwrap().as_secs_f64() * 1e3,
                bytes
            );
        }
    }
}
