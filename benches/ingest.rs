//! Ingest load benchmark (not a test): starts the release `lapord` on a fresh
//! SQLite store, then drives it from many concurrent keep-alive connections,
//! first against `/healthz` (the baseline: the same client, the same server,
//! no work) and then with unique signed reports. Prints throughput and p50/p99
//! latency of both, and checks that every acknowledged report is in the store.
//!
//!     cargo bench --bench ingest                    # defaults: 64 connections, 10 s each
//!     cargo bench --bench ingest -- --connections 128 --seconds 20
//!     cargo bench --bench ingest -- --compare /path/to/other/lapord [--rounds 8] [--together]
//!
//! `--compare` also runs the same ingest against another lapord binary (say, a
//! build of an earlier commit, or the identity-cost baseline that
//! `scripts/bench-identity-cost.sh` builds) and prints, per round and as the
//! median, the ratio of throughput, of CPU time per report and of bytes written
//! per report. Rounds alternate, or with `--together` run both at once.
//!
//! Both runs share one machine with the daemon, so read the ratio, not the
//! absolute numbers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Run {
    ok: u64,
    errors: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Daemon {
    child: std::process::Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Daemon {
    fn start(binary: &str) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("lapord.toml");
        std::fs::write(
            &config,
            format!(
                r#"
[http]
listen = "127.0.0.1:0"
[store]
data_dir = "{}"
[log]
format = "json"
level = "warn,lapor::daemon=info"
[channels.webhook.sources.bench]
secret = "{SECRET}"
rate_per_second = 1000000
burst = 1000000
"#,
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let mut child = Command::new(binary)
            .args(["--config", config.to_str().unwrap(), "run"])
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr: SocketAddr = loop {
            let line = lines.next().expect("lapord exited").unwrap();
            if line.contains("\"Listening.\"") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                break v["addr"].as_str().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                if std::env::var_os("INGEST_LOG").is_some() {
                    eprintln!("{l}");
                }
            }
        });
        Daemon { child, addr, dir }
    }

    /// Stops the daemon and counts what its store holds.
    fn stop(mut self, rt: &tokio::runtime::Runtime) -> i64 {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        rt.block_on(async {
            let url = format!(
                "sqlite://{}",
                self.dir.path().join("data/lapord.db").display()
            );
            let s = lapor::store::open(&url, 1).await.unwrap();
            let n = s.count_reports().await.unwrap();
            s.close().await;
            n
        })
    }
}

fn print(name: &str, r: &Run) {
    println!(
        "{:<34} {:>12.0} {:>10.2} {:>10.2} {:>8}",
        name,
        r.rate(),
        r.pct(0.5).as_secs_f64() * 1e3,
        r.pct(0.99).as_secs_f64() * 1e3,
        r.errors
    );
}

fn main() {
    let connections = arg("--connections", 64) as usize;
    let seconds = arg("--seconds", 10);
    let args: Vec<String> = std::env::args().collect();
    let compare = args
        .iter()
        .position(|a| a == "--compare")
        .and_then(|i| args.get(i + 1).cloned());
    let ours = env!("CARGO_BIN_EXE_lapord");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let secs = Duration::from_secs(seconds);
    println!("lapord ingest benchmark: {connections} connections, {seconds} s per run, SQLite (WAL, synchronous=FULL)");
    println!();
    println!(
        "{:<34} {:>12} {:>10} {:>10} {:>8}",
        "run", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let d = Daemon::start(ours);
    let base = rt.block_on(drive(d.addr, connections, secs, false));
    print("baseline GET /healthz", &base);
    let ingest = rt.block_on(drive(d.addr, connections, secs, true));
    print("signed reports (201)", &ingest);
    let stored = d.stop(&rt);
    println!();
    println!(
        "reports/s as a fraction of the /healthz baseline: {:.3}",
        ingest.rate() / base.rate()
    );
    println!(
        "acknowledged {} reports; the store holds {stored}: {}",
        ingest.ok,
        if stored as u64 == ingest.ok {
            "all durable"
        } else {
            "MISMATCH"
        }
    );
    assert_eq!(
        stored as u64, ingest.ok,
        "every acknowledged report must be stored"
    );
    if let Some(other) = compare {
        compare_with(&rt, ours, &other, connections, secs);
    }
}

/// What a daemon process has used so far: CPU seconds (user + system) and
/// bytes written (`/proc/<pid>/stat` and `/proc/<pid>/io`, Linux).
fn usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let wchar = io
        .lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    (ticks as f64 / 100.0, wchar)
}

struct Measured {
    rate: f64,
    cpu_us_per_report: f64,
    bytes_per_report: f64,
}

fn measure(rt: &tokio::runtime::Runtime, d: Daemon, r: &Run) -> Measured {
    let (cpu, bytes) = usage(d.child.id());
    let stored = d.stop(rt) as u64;
    assert_eq!(stored, r.ok, "every acknowledged report must be stored");
    let n = r.ok.max(1) as f64;
    Measured {
        rate: r.rate(),
        cpu_us_per_report: cpu * 1e6 / n,
        bytes_per_report: bytes as f64 / n,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs this build against another binary: `--rounds` pairs of alternating
/// runs (which one goes first alternates too), each on a fresh store; with
/// `--together`, each round runs both daemons at the same time, half the
/// connections each, so both see the same machine (disk latency on these
/// machines varies from second to second, and with it every figure).
fn compare_with(
    rt: &tokio::runtime::Runtime,
    ours: &str,
    other: &str,
    connections: usize,
    secs: Duration,
) {
    let rounds = arg("--rounds", 3);
    let together = std::env::args().any(|a| a == "--together");
    println!();
    println!(
        "comparison with {other} ({}, fresh stores, {rounds} rounds):",
        if together {
            "both at once, half the connections each"
        } else {
            "alternating"
        }
    );
    println!(
        "{:<34} {:>12} {:>10} {:>10}",
        "run", "reports/s", "CPU µs/rep", "bytes/rep"
    );
    let show = |label: String, m: &Measured| {
        println!(
            "{:<34} {:>12.0} {:>10.1} {:>10.0}",
            label, m.rate, m.cpu_us_per_report, m.bytes_per_report
        )
    };
    let (mut rate, mut cpu, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (a, b) = if together {
            let (da, db) = (Daemon::start(ours), Daemon::start(other));
            let (ra, rb) = rt.block_on(async {
                tokio::join!(
                    drive(da.addr, connections / 2, secs, true),
                    drive(db.addr, connections / 2, secs, true)
                )
            });
            (measure(rt, da, &ra), measure(rt, db, &rb))
        } else {
            let run = |binary: &str| {
                let d = Daemon::start(binary);
                let r = rt.block_on(drive(d.addr, connections, secs, true));
                measure(rt, d, &r)
            };
            if round % 2 == 1 {
                let b = run(other);
                (run(ours), b)
            } else {
                let a = run(ours);
                (a, run(other))
            }
        };
        show(format!("this build, round {round}"), &a);
        show(format!("other, round {round}"), &b);
        rate.push(a.rate / b.rate);
        cpu.push(a.cpu_us_per_report / b.cpu_us_per_report);
        bytes.push(a.bytes_per_report / b.bytes_per_report);
    }
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!();
    println!("this build / other, per round:");
    println!("  reports/s   {}", list(&rate));
    println!("  CPU/report  {}", list(&cpu));
    println!("  bytes/report {}", list(&bytes));
    println!(
        "median: reports/s {:.3}, CPU per report {:.3}, bytes written per report {:.3}",
        median(rate),
        median(cpu),
        median(bytes)
    );
}

async fn drive(addr: SocketAddr, connections: usize, length: Duration, reports: bool) -> Run {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + length;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let secret = lapor_webhook::Secret::parse(SECRET).unwrap();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let (mut ok, mut errors, mut lat) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let req = if reports {
                    let body = format!(
                        r#"{{"text":"Jalan berlubang di depan sekolah nomor {n}, sudah tiga bulan tidak diperbaiki. Mohon ditindaklanjuti @kemenpu","reporter":{{"user_id":"u{c}-{n}","phone":"0812{:08}"}}}}"#,
                        n % 100_000_000
                    );
                    let id = format!("bench-{n}");
                    let ts = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs() as i64;
                    let sig = secret.sign(&id, ts, body.as_bytes());
                    format!(
                        "POST /v1/sources/bench/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nwebhook-id: {id}\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: {sig}\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n".to_string()
                };
                let t = Instant::now();
                stream.write_all(req.as_bytes()).await.unwrap();
                let status = read_response(&mut stream, &mut buf).await;
                lat.push(t.elapsed());
                let want = if reports { 201 } else { 200 };
                if status == want {
                    ok += 1;
                } else {
                    errors += 1;
                }
            }
            (ok, errors, lat)
        }));
    }
    let mut run = Run {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (ok, errors, lat) = t.await.unwrap();
        run.ok += ok;
        run.errors += errors;
        run.latencies.extend(lat);
    }
    run.elapsed = start.elapsed();
    run.latencies.sort_unstable();
    run
}

/// Reads one response (Content-Length framed) and returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut [u8]) -> u16 {
    let mut have = 0;
    loop {
        let n = stream.read(&mut buf[have..]).await.unwrap();
        assert!(n > 0, "server closed the connection");
        have += n;
        if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).unwrap();
            let status: u16 = head[9..12].parse().unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while have < end + 4 + len {
                let n = stream.read(&mut buf[have..]).await.unwrap();
                assert!(n > 0);
                have += n;
            }
            return status;
        }
    }
}
