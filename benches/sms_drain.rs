//! SMS drain benchmark (not a test): N messages wait on the simulated modem's
//! SIM, its serial line paced at a real baud rate (115200 by default); the clock
//! runs from starting the gateway until every message is committed and deleted
//! from the SIM. Run side by side, on the same simulator, with Debian's
//! `gammu-smsd` configured for its fastest receive, storing into its own files
//! backend.
//!
//!     cargo bench --bench sms_drain                        # 300 messages, 115200 baud
//!     cargo bench --bench sms_drain -- --messages 1000 --baud 115200 --rounds 3
//!
//! Figures: each run's time, the line's limit (the bytes that must cross the
//! wire ÷ the line rate), lapord's fraction of that limit, and the ratio
//! gammu-smsd time ÷ lapord time. The bytes that must cross: for each message
//! its `+CMGL` line and PDU going to the host, and its deletion (`AT+CMGD=<i>`
//! to the modem, `OK` back); the busier direction sets the limit.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lapor_sms::sim::{SimConfig, Simulator};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Citizens' messages of realistic length (40–150 characters), GSM 7-bit.
fn message(i: usize) -> (String, String) {
    let texts = [
        "Jalan rusak parah di depan SDN 2",
        "Lampu penerangan jalan mati sejak dua minggu di Jl. Merdeka, mohon segera diperbaiki",
        "Pelayanan KTP elektronik di kecamatan sangat lambat, sudah tiga bulan belum jadi. Mohon ditindaklanjuti oleh Dukcapil kabupaten",
        "Sampah menumpuk di pasar, bau dan banyak lalat",
    ];
    (
        format!("+62812{:07}", 1_000_000 + i),
        format!("{} (laporan {i})", texts[i % texts.len()]),
    )
}

/// Bytes each direction must carry to drain what is stored: (to host, to modem).
fn wire_bytes(stored: &[(u32, Vec<u8>)]) -> (usize, usize) {
    let mut to_host = 0;
    let mut to_modem = 0;
    for (i, pdu) in stored {
        let smsc = 1 + pdu[0] as usize;
        to_host += format!("+CMGL: {i},0,,{}\r\n", pdu.len() - smsc).len() + 2 * pdu.len() + 2;
        to_host += "\r\nOK\r\n".len(); // the deletion's answer
        to_modem += format!("AT+CMGD={i}\r").len();
    }
    (to_host + "\r\nOK\r\n".len(), to_modem)
}

struct Rig {
    rt: tokio::runtime::Runtime,
    sim: Simulator,
    dir: tempfile::TempDir,
    line_secs: f64,
}

fn rig(n: usize, baud: u32) -> Rig {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sim = rt
        .block_on(Simulator::start(SimConfig {
            baud: Some(baud),
            capacity: n + 10,
            link: Some(dir.path().join("modem")),
            ..SimConfig::default()
        }))
        .unwrap();
    for i in 0..n {
        let (from, text) = message(i);
        sim.deliver_text(&from, &text).unwrap();
    }
    let (up, down) = wire_bytes(&sim.stored());
    let line_secs = up.max(down) as f64 * 10.0 / f64::from(baud);
    Rig {
        rt,
        sim,
        dir,
        line_secs,
    }
}

fn wait(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done() {
            return start.elapsed();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early: {status}");
        }
        if start.elapsed() > Duration::from_secs(600) {
            panic!("{what} did not drain the SIM within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn count_reports(db: &Path) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = lapor::store::open(&format!("sqlite://{}", db.display()), 1)
            .await
            .unwrap();
        let n = store.count_reports().await.unwrap_or(0);
        store.close().await;
        n
    })
}

fn run_lapord(n: usize, baud: u32) -> (Duration, f64) {
    let r = rig(n, baud);
    let data = r.dir.path().join("data");
    let config = r.dir.path().join("lapord.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[http]
listen = "127.0.0.1:0"
[store]
data_dir = "{data}"
[log]
format = "json"
level = "lapor_sms::modem=debug,warn"
[channels.sms]
send_per_minute = 1
[channels.sms.modems.m0]
device = "{dev}"
baud = {baud}
poll_secs = 3600
"#,
            data = data.display(),
            dev = r.sim.path().display()
        ),
    )
    .unwrap();
    // Migrate first, so the clock measures draining, not creating the store.
    let status = Command::new(env!("CARGO_BIN_EXE_lapord"))
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let db = data.join("lapord.db");
    let start = Instant::now();
    let log = std::fs::File::create(r.dir.path().join("lapord.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lapord"))
        .args(["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut last_check = Instant::now() - Duration::from_secs(1);
    wait(&mut child, "lapord", || {
        if !r.sim.stored().is_empty() {
            return false;
        }
        if last_check.elapsed() < Duration::from_millis(20) {
            return false;
        }
        last_check = Instant::now();
        count_reports(&db) == n as i64
    });
    let took = start.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    r.rt.block_on(r.sim.shutdown());
    phases(&r.dir.path().join("lapord.log"));
    (took, r.line_secs)
}

/// Where lapord's time went: the driver's milestones, from its log.
fn phases(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut first: Option<jiff::Timestamp> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(ts), Some(msg)) = (v["timestamp"].as_str(), v["message"].as_str()) else {
            continue;
        };
        let Ok(t) = ts.parse::<jiff::Timestamp>() else {
            continue;
        };
        let t0 = *first.get_or_insert(t);
        if ["Port opened.", "Modem ready.", "Stored messages listed."].contains(&msg) {
            let ms = (t - t0).total(jiff::Unit::Millisecond).unwrap_or(0.0);
            out.push(format!("{} {ms:.0} ms", msg.trim_end_matches('.')));
        }
    }
    if !out.is_empty() {
        println!(
            "         lapord milestones from its first log line: {}",
            out.join(", ")
        );
    }
}

fn gammu_config(dev: &Path, dir: &Path, baud: u32) -> (PathBuf, String) {
    let inbox = dir.join("inbox");
    for d in ["inbox", "outbox", "sent", "error"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let text = format!(
        "[gammu]\ndevice = {dev}\nconnection = at{baud}\n\n[smsd]\nservice = files\n\
         inboxpath = {inbox}/\noutboxpath = {dir}/outbox/\nsentsmspath = {dir}/sent/\n\
         errorsmspath = {dir}/error/\nlogfile = {dir}/smsd.log\ndebuglevel = 0\n\
         ReceiveFrequency = 0\nLoopSleep = 0\nStatusFrequency = 0\nCheckSecurity = 0\n\
         CheckBattery = 0\nCheckSignal = 0\nCheckNetwork = 0\nInboxFormat = unicode\n",
        dev = dev.display(),
        inbox = inbox.display(),
        dir = dir.display()
    );
    let path = dir.join("smsdrc");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

fn run_gammu(n: usize, baud: u32, print_config: bool) -> Option<Duration> {
    let smsd = which("gammu-smsd")?;
    let r = rig(n, baud);
    let (config, text) = gammu_config(&r.sim.path(), r.dir.path(), baud);
    if print_config {
        println!("gammu-smsd configuration (its fastest receive):");
        for line in text.lines() {
            println!("    {line}");
        }
        println!();
    }
    let inbox = r.dir.path().join("inbox");
    let start = Instant::now();
    let mut child = Command::new(smsd)
        .args(["-c", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait(&mut child, "gammu-smsd", || {
        r.sim.stored().is_empty() && std::fs::read_dir(&inbox).map(|d| d.count()).unwrap_or(0) >= n
    });
    let took = start.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    r.rt.block_on(r.sim.shutdown());
    Some(took)
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
}

fn main() {
    let n = arg("--messages", 300) as usize;
    let baud = arg("--baud", 115_200) as u32;
    let rounds = arg("--rounds", 1);
    println!("SMS drain: {n} messages stored on the simulated SIM, line paced at {baud} baud (10 bits per byte)");
    println!();
    let mut printed = false;
    for round in 1..=rounds {
        let (ours, line) = run_lapord(n, baud);
        let gammu = run_gammu(n, baud, !printed);
        printed = true;
        println!(
            "round {round}: line limit {:.2} s | lapord {:.2} s = {:.0}% of the line rate ({:.0} msg/s)",
            line,
            ours.as_secs_f64(),
            100.0 * line / ours.as_secs_f64(),
            n as f64 / ours.as_secs_f64()
        );
        match gammu {
            Some(g) => println!(
                "         gammu-smsd {:.2} s = {:.0}% of the line rate ({:.1} msg/s); gammu-smsd / lapord = {:.1}x",
                g.as_secs_f64(),
                100.0 * line / g.as_secs_f64(),
                n as f64 / g.as_secs_f64(),
                g.as_secs_f64() / ours.as_secs_f64()
            ),
            None => println!("         gammu-smsd not installed (apt-get install gammu-smsd): no comparison"),
        }
    }
}
