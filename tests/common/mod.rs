//! Runs the real `lapord` binary with a generated config in a temp dir, on a
//! free port, and talks to it over plain HTTP/1.1.

#![allow(dead_code)]

pub mod needles;
pub mod rig;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub struct Daemon {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub env: Vec<(String, String)>,
}

/// A temp dir that outlives restarts of the daemon inside it.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub extra_toml: String,
    pub env: Vec<(String, String)>,
}

impl Home {
    pub fn new(extra_toml: &str) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            extra_toml: extra_toml.to_string(),
            env: Vec::new(),
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("lapord.toml")
    }

    pub fn start(&self) -> Daemon {
        let data = self.dir.path().join("data");
        let config = self.config_path();
        let toml = format!(
            r#"
[http]
listen = "127.0.0.1:0"
public_url = "https://lapor.example.go.id"
[store]
data_dir = "{data}"
[log]
format = "json"
level = "debug"
[shutdown]
deadline_secs = 5
[channels.webhook.sources.portal]
secret = "{SECRET}"
{extra}
"#,
            data = data.display(),
            extra = self.extra_toml
        );
        std::fs::write(&config, toml).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lapord"));
        cmd.arg("--config")
            .arg(&config)
            .arg("run")
            .env_remove("RUST_LOG")
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start lapord");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("\"Listening.\"") {
                    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let _ = tx.send(v["addr"].as_str().unwrap().parse::<SocketAddr>().unwrap());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("lapord did not start:\n{}", logs.lock().unwrap().join("\n"));
            }
        };
        Daemon {
            child,
            addr,
            dir: self.dir.path().to_path_buf(),
            config,
            logs,
            env: self.env.clone(),
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body; ignore write errors.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Posts a report signed with `secret` at time `ts`.
pub fn post_signed(
    addr: SocketAddr,
    source: &str,
    secret: &str,
    id: &str,
    ts: i64,
    body: &[u8],
) -> Response {
    let sig = lapor_webhook::Secret::parse(secret)
        .unwrap()
        .sign(id, ts, body);
    let ts = ts.to_string();
    request(
        addr,
        "POST",
        &format!("/v1/sources/{source}/reports"),
        &[
            ("content-type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", &ts),
            ("webhook-signature", &sig),
        ],
        body,
    )
}

impl Daemon {
    pub fn post(&self, id: &str, body: &str) -> Response {
        post_signed(self.addr, "portal", SECRET, id, unix_now(), body.as_bytes())
    }

    /// A request with an agency's bearer token.
    pub fn agency(&self, method: &str, path: &str, token: &str) -> Response {
        let auth = format!("Bearer {}", token.trim());
        request(self.addr, method, path, &[("authorization", &auth)], b"")
    }

    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    pub fn sigterm(&mut self) -> (std::process::ExitStatus, Duration) {
        let start = Instant::now();
        unsafe_kill(self.child.id(), "TERM");
        let status = wait_timeout(&mut self.child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("lapord did not exit on SIGTERM:\n{}", self.logs()));
        (status, start.elapsed())
    }

    pub fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs a `lapord` subcommand against this daemon's config.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        cli(&self.config, &self.env, args)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn cli(config: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lapord"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn unsafe_kill(pid: u32, signal: &str) {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
}

pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Counts reports straight from the store, as an operator would.
pub fn count_reports(dir: &Path) -> i64 {
    with_store(dir, |store| {
        Box::pin(async move { store.count_reports().await.unwrap() })
    })
}

/// Runs `f` on the SQLite store of a daemon's home, as an operator's tool would.
pub fn with_store<T>(
    dir: &Path,
    f: impl FnOnce(
        Arc<dyn lapor::store::Store>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>>,
) -> T {
    let db = dir.join("data").join("lapord.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = lapor::store::open(&format!("sqlite://{}", db.display()), 1)
            .await
            .unwrap();
        let out = f(store.clone()).await;
        store.close().await;
        out
    })
}
