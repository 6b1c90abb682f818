//! The modem simulator behind a real pseudo-terminal: opened through `tokio-serial` as the
//! driver opens a USB modem, unplugged and replugged, paced like a 9600-baud line, driven
//! by Debian's `gammu` as an independent AT client, and the `lapord-modem-sim` demo
//! binary. Each test has its own simulator, pty and temporary directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use lapor_sms::at::{parse_cmgl, Decoder, Event, FinalResult, Urc};
use lapor_sms::sim::{SimConfig, Simulator};
use lapor_sms::{decode, encode_submit, Framing, SubmitOptions, TypeHint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout, Instant};
use tokio_serial::{SerialPortBuilderExt, SerialStream};

const WAIT: Duration = Duration::from_secs(10);

/// A host on the serial port, parsing with the crate's AT decoder.
struct Port {
    io: SerialStream,
    dec: Decoder,
    urcs: Vec<Urc>,
    received: usize,
}

impl Port {
    fn open(path: &Path) -> Port {
        let io = tokio_serial::new(path.to_string_lossy(), 115_200)
            .open_native_async()
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        Port {
            io,
            dec: Decoder::new(),
            urcs: Vec::new(),
            received: 0,
        }
    }

    async fn event(&mut self) -> Event {
        loop {
            if let Some(e) = self.dec.next_event() {
                return e;
            }
            let mut buf = [0u8; 1024];
            let n = timeout(WAIT, self.io.read(&mut buf))
                .await
                .expect("the modem answers")
                .expect("read");
            assert!(n > 0, "end of file on the port");
            self.received += n;
            self.dec.push(&buf[..n]);
        }
    }

    async fn at(&mut self, cmd: &str) -> (Vec<String>, FinalResult) {
        self.dec.expect(cmd);
        self.io
            .write_all(format!("{cmd}\r").as_bytes())
            .await
            .unwrap();
        self.finish().await
    }

    async fn finish(&mut self) -> (Vec<String>, FinalResult) {
        let mut lines = Vec::new();
        loop {
            match self.event().await {
                Event::Line(l) => lines.push(l),
                Event::Final(f) => return (lines, f),
                Event::Urc(u) => self.urcs.push(u),
                Event::Echo(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    async fn ok(&mut self, cmd: &str) -> Vec<String> {
        let (lines, f) = self.at(cmd).await;
        assert_eq!(f, FinalResult::Ok, "{cmd}: {lines:?}");
        lines
    }

    /// Sends a one-part text through `AT+CMGS` and the prompt; the response lines.
    async fn cmgs(&mut self, to: &str, text: &str) -> Vec<String> {
        let part = &encode_submit(to, text, &SubmitOptions::default()).unwrap()[0];
        let cmd = format!("AT+CMGS={}", part.tpdu_len);
        self.dec.expect(&cmd);
        self.io
            .write_all(format!("{cmd}\r").as_bytes())
            .await
            .unwrap();
        assert_eq!(self.event().await, Event::Prompt);
        self.dec.expect_echo(&part.pdu_hex);
        let pdu = format!("{}\x1a", part.pdu_hex);
        self.io.write_all(pdu.as_bytes()).await.unwrap();
        let (lines, f) = self.finish().await;
        assert_eq!(f, FinalResult::Ok, "{lines:?}");
        lines
    }

    async fn urc(&mut self) -> Urc {
        if !self.urcs.is_empty() {
            return self.urcs.remove(0);
        }
        match self.event().await {
            Event::Urc(u) => u,
            other => panic!("expected a URC, got {other:?}"),
        }
    }
}

async fn start(dir: &Path, cfg: SimConfig) -> Simulator {
    Simulator::start(SimConfig {
        link: Some(dir.join("ttyUSB-modem")),
        ..cfg
    })
    .await
    .expect("start the simulator")
}

#[tokio::test]
async fn serves_a_serial_client_in_raw_mode() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimConfig::default()).await;
    assert_eq!(sim.path(), dir.path().join("ttyUSB-modem"));
    assert_eq!(std::fs::read_link(sim.path()).unwrap(), sim.slave_path());
    let mut port = Port::open(&sim.path());
    port.ok("ATE0").await;
    // Raw mode: exactly the modem's bytes, no line-discipline echo or CR/LF mangling.
    port.io.write_all(b"AT\r").await.unwrap();
    let mut buf = [0u8; 6];
    timeout(WAIT, port.io.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"\r\nOK\r\n");
    port.ok("AT+CMEE=1").await;
    sim.deliver_text("+6281234567890", "Halo dari pty").unwrap();
    assert!(matches!(port.urc().await, Urc::NewMessage { index: 1, .. }));
    let listed = parse_cmgl(&port.ok("AT+CMGL=4").await);
    let pdu = decode(&listed[0].pdu_hex, Framing::WithSmsc, TypeHint::ByMti).unwrap();
    assert_eq!(pdu.text(), Some("Halo dari pty"));
    // Send a reply through the prompt.
    assert_eq!(
        port.cmgs("+6281234567890", "Terima kasih").await,
        ["+CMGS: 1"]
    );
    assert_eq!(sim.sent()[0].text.as_deref(), Some("Terima kasih"));
    // Closing and reopening the port is fine: the simulator holds the slave open.
    drop(port);
    let mut port = Port::open(&sim.path());
    port.ok("AT").await;
    sim.shutdown().await;
    assert!(std::fs::symlink_metadata(dir.path().join("ttyUSB-modem")).is_err());
}

#[tokio::test]
async fn vanish_breaks_clients_and_reappear_brings_a_new_pty() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimConfig::default()).await;
    sim.deliver_text("+6281234567890", "disimpan di SIM")
        .unwrap();
    let mut port = Port::open(&sim.path());
    port.ok("ATE0").await;
    let old = sim.slave_path();

    sim.vanish().await;
    assert!(
        std::fs::symlink_metadata(sim.path()).is_err(),
        "link removed"
    );
    let mut buf = [0u8; 64];
    match timeout(WAIT, port.io.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        other => panic!("a read on a vanished modem must fail or end, got {other:?}"),
    }
    assert!(port.io.write_all(b"AT\r").await.is_err(), "writes fail");
    assert!(tokio_serial::new(old.to_string_lossy(), 115_200)
        .open_native_async()
        .is_err());

    sim.reappear().await.unwrap();
    let new = std::fs::read_link(sim.path()).unwrap();
    assert_eq!(new, sim.slave_path());
    assert_ne!(new, old);
    let mut port = Port::open(&sim.path());
    port.ok("AT").await; // echo is back on after the reboot; the decoder takes it
    port.ok("ATE0").await;
    let listed = parse_cmgl(&port.ok("AT+CMGL=4").await);
    assert_eq!(listed.len(), 1, "the SIM kept its messages");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_9600_baud_line_is_no_faster_than_960_bytes_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(
        dir.path(),
        SimConfig {
            baud: Some(9600),
            ..SimConfig::default()
        },
    )
    .await;
    for i in 0..5 {
        sim.deliver_text(
            "+6281234567890",
            &format!("Laporan nomor {i}: lampu jalan mati."),
        )
        .unwrap();
    }
    let mut port = Port::open(&sim.path());
    port.ok("ATE0").await;
    let before = port.received;
    let start = Instant::now();
    assert_eq!(parse_cmgl(&port.ok("AT+CMGL=4").await).len(), 5);
    let bytes = port.received - before;
    let floor = Duration::from_secs_f64(bytes as f64 * 10.0 / 9600.0);
    assert!(bytes > 400, "{bytes}");
    assert!(
        start.elapsed() >= floor,
        "{bytes} bytes in {:?}",
        start.elapsed()
    );
    sim.shutdown().await;
}

/// `name` on the PATH; when missing, `None` with a skip message, or a failure under CI.
fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required when CI is set (apt-get install {name})"
        );
        eprintln!("skipping: {name} is not installed");
    }
    found
}

/// Runs `gammu` on `device` with `args` (killed after a minute), returning its
/// success and standard output; on failure the message carries gammu's debug log.
async fn gammu(gammu: &Path, dir: &Path, device: &Path, args: &[&str]) -> (bool, String) {
    let cfg = dir.join("gammurc");
    let log = dir.join("gammu.log");
    std::fs::write(
        &cfg,
        format!(
            "[gammu]\ndevice = {}\nconnection = at115200\nlogfile = {}\nlogformat = textall\n",
            device.display(),
            log.display()
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new("timeout");
    cmd.args(["-k", "5", "60"])
        .arg(gammu)
        .arg("-c")
        .arg(&cfg)
        .args(args)
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run gammu");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: String = log
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        eprintln!(
            "gammu {args:?} failed ({}):\n{stdout}\n{}\n--- log tail ---\n{tail}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (out.status.success(), stdout)
}

#[tokio::test]
async fn gammu_identifies_the_simulator() {
    let Some(bin) = require_tool("gammu") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        manufacturer: "LaporSim".into(),
        model: "LS1708".into(),
        imei: "490154203237518".into(),
        ..SimConfig::default()
    };
    let sim = start(dir.path(), cfg).await;
    let (ok, out) = gammu(&bin, dir.path(), &sim.path(), &["identify"]).await;
    assert!(ok, "gammu identify failed: {out}");
    for want in ["LaporSim", "LS1708", "490154203237518"] {
        assert!(out.contains(want), "{want} missing from:\n{out}");
    }
    assert!(sim.commands().iter().any(|c| c == "AT+CGSN"));
    sim.shutdown().await;
}

#[tokio::test]
async fn gammu_reads_every_stored_message() {
    let Some(bin) = require_tool("gammu") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimConfig::default()).await;
    sim.deliver_text("+6281234567890", "Halo, jalan di depan rumah saya rusak")
        .unwrap();
    let long =
        "Sudah tiga minggu lampu jalan di gang kami mati, mohon segera diperbaiki. ".repeat(3);
    assert_eq!(sim.deliver_text("081298765432", &long).unwrap().len(), 2);
    let (ok, out) = gammu(&bin, dir.path(), &sim.path(), &["getallsms"]).await;
    assert!(ok, "gammu getallsms failed: {out}");
    assert!(out.contains("\"+6281234567890\""), "{out}");
    assert!(out.contains("\"081298765432\""), "{out}");
    assert!(
        out.contains("Halo, jalan di depan rumah saya rusak"),
        "{out}"
    );
    for (_, pdu) in sim.stored() {
        let part = decode(&pdu, Framing::WithSmsc, TypeHint::ByMti).unwrap();
        let text = part.text().unwrap();
        assert!(out.contains(text), "part {text:?} missing from:\n{out}");
    }
    assert_eq!(
        out.matches("Remote number").count(),
        3,
        "each part once: {out}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn gammu_sends_through_cmgs() {
    let Some(bin) = require_tool("gammu") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), SimConfig::default()).await;
    let args = [
        "sendsms",
        "TEXT",
        "+6281234567890",
        "-text",
        "Halo dari gammu",
    ];
    let (ok, out) = gammu(&bin, dir.path(), &sim.path(), &args).await;
    assert!(ok, "gammu sendsms failed: {out}");
    let sent = sim.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+6281234567890");
    assert_eq!(sent[0].text.as_deref(), Some("Halo dari gammu"));
    assert!(out.contains(&format!("reference={}", sent[0].mr)), "{out}");
    sim.shutdown().await;
}

async fn next_line(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    timeout(WAIT, rx.recv())
        .await
        .expect("a line from lapord-modem-sim")
        .expect("lapord-modem-sim's output is open")
}

#[tokio::test]
async fn the_demo_binary_delivers_stdin_and_prints_what_is_sent() {
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("lapord-modem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lapord-modem-sim"))
        .arg("--link")
        .arg(&link)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start lapord-modem-sim");
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert_eq!(next_line(&mut rx).await, link.display().to_string());
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"+6281234567890 Halo dari stdin\n").unwrap();
    let line = next_line(&mut rx).await;
    assert!(line.starts_with("delivered from +6281234567890"), "{line}");

    let mut port = Port::open(&link);
    port.ok("ATE0").await;
    let listed = parse_cmgl(&port.ok("AT+CMGL=4").await);
    let pdu = decode(&listed[0].pdu_hex, Framing::WithSmsc, TypeHint::ByMti).unwrap();
    assert_eq!(pdu.text(), Some("Halo dari stdin"));
    assert_eq!(
        port.cmgs("+6281234567890", "Balasan demo").await,
        ["+CMGS: 1"]
    );
    assert_eq!(
        next_line(&mut rx).await,
        "sent to +6281234567890 (mr 1): Balasan demo"
    );

    // End of input stops it and removes the link.
    drop(port);
    drop(stdin);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::symlink_metadata(&link).is_err());
}
