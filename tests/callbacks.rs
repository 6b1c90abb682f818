//! Callbacks to partner systems, end to end: the real binary, a report posted
//! by the `portal` source, an admin rejecting or forwarding it, and a real
//! HTTP receiver on loopback that checks every Standard Webhooks signature
//! with `lapor_webhook`'s own code and answers as each test scripts it.

mod common;

use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::needles::assert_clean;
use common::rig::{outbox_counts, wait_for};
use common::{request, unix_now, Daemon, Home, Response, SECRET};
use serde_json::{json, Value};

/// Not routed with confidence: it waits for an admin.
const REPORT: &str = r#"{"text":"Jalan desa berlubang besar di Cibinong, sudah dua bulan","reporter":{"user_id":"portal-user-4711","name":"Siti Rahayu","phone":"0812-3456-7890","email":"siti.rahayu@example.org"}}"#;

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug)]
enum Reply {
    Status(u16),
    /// Holds the request unanswered for a while, then drops it.
    Hang,
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Delivery {
    id: String,
    signed: bool,
    body: Value,
    answered: u16,
}

/// A tiny HTTP/1.1 server on 127.0.0.1:0: answers from its script, then 200.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    fn start(script: &[Reply]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (sink, script) = (sink.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &sink, &script));
            }
        });
        Receiver { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }

    /// The distinct `webhook-id`s answered 2xx: what a deduplicating
    /// receiver accepted.
    fn accepted(&self) -> Vec<Delivery> {
        let mut seen = BTreeSet::new();
        self.deliveries()
            .into_iter()
            .filter(|d| (200..300).contains(&d.answered) && seen.insert(d.id.clone()))
            .collect()
    }
}

fn serve(stream: TcpStream, got: &Mutex<Vec<Delivery>>, script: &Mutex<VecDeque<Reply>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let len: usize = header("content-length").unwrap().parse().unwrap();
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    let (id, ts, sig) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let signed = lapor_webhook::signature::verify(
        &lapor_webhook::signature::Headers {
            id: id.as_deref(),
            timestamp: ts.as_deref(),
            signature: sig.as_deref(),
        },
        &body,
        &[lapor_webhook::Secret::parse(SECRET).unwrap()],
        unix_now(),
        300,
    )
    .is_ok()
        && header("content-type").as_deref() == Some("application/json");
    let reply = if signed {
        script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Reply::Status(200))
    } else {
        Reply::Status(401)
    };
    let answered = match reply {
        Reply::Status(s) => s,
        Reply::Hang => 0,
    };
    got.lock().unwrap().push(Delivery {
        id: id.unwrap_or_default(),
        signed,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        answered,
    });
    let mut stream = stream;
    match reply {
        Reply::Status(s) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {s} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
        Reply::Hang => std::thread::sleep(Duration::from_secs(8)),
    }
}

/// A home whose `portal` source calls back to `receiver`, with fast retries.
fn home(receiver: &Receiver, callbacks_toml: &str) -> Home {
    Home::new(&format!(
        "callback_url = \"{}\"\n[callbacks]\nretry_base_ms = 50\n{callbacks_toml}\n",
        receiver.url()
    ))
}

fn admin_token(d: &Daemon) -> String {
    let out = d.cli(&["admin", "token", "siti"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn admin(d: &Daemon, token: &str, path: &str, body: Value) -> Response {
    let auth = format!("Bearer {token}");
    request(
        d.addr,
        "POST",
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

/// Posts a report from `portal` and returns its tracking ID.
fn post_report(d: &Daemon, webhook_id: &str) -> String {
    let r = d.post(webhook_id, REPORT);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["tracking_id"].as_str().unwrap().to_string()
}

fn reject(d: &Daemon, token: &str, id: &str) {
    let r = admin(
        d,
        token,
        &format!("/v1/admin/reports/{id}/reject"),
        json!({"reason": "bukan_laporan"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

fn webhook_outbox(d: &Daemon) -> Vec<(String, i64)> {
    outbox_counts(d)
        .into_iter()
        .filter(|(channel, _, _)| channel == "webhook")
        .map(|(_, state, n)| (state, n))
        .collect()
}

/// The webhook rows' state and recorded reason, straight from the store.
fn webhook_rows(d: &Daemon) -> Vec<(String, Option<String>, i64)> {
    let db = d.dir.join("data").join("lapord.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let rows = sqlx::query_as(
            "SELECT state, last_error, attempts FROM outbox WHERE channel = 'webhook' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    })
}

fn metric(d: &Daemon, line: &str) -> bool {
    d.get("/metrics").text().lines().any(|l| l == line)
}

#[test]
fn a_rejected_and_a_forwarded_report_are_each_called_back_once_signed() {
    let receiver = Receiver::start(&[]);
    let home = home(&receiver, "");
    let d = home.start();
    let token = admin_token(&d);
    let rejected = post_report(&d, "msg_cb_rejected");
    let forwarded = post_report(&d, "msg_cb_forwarded");

    reject(&d, &token, &rejected);
    let r = admin(
        &d,
        &token,
        &format!("/v1/admin/reports/{forwarded}/forward"),
        json!({"agencies": ["kemenkes"]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(
        "two callbacks",
        Duration::from_secs(30),
        || receiver.accepted().len() == 2,
        || d.logs(),
    );
    wait_for(
        "both rows recorded as sent",
        Duration::from_secs(10),
        || webhook_outbox(&d) == [("sent".to_string(), 2)],
        || d.logs(),
    );

    let got = receiver.deliveries();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|g| g.signed), "{got:?}");
    let of = |id: &str| got.iter().find(|g| g.body["tracking_id"] == id).unwrap();
    let not_processed = of(&rejected);
    assert_eq!(not_processed.body["type"], "report.not_processed");
    let fwd = of(&forwarded);
    assert_eq!(fwd.body["type"], "report.forwarded");
    assert!(
        fwd.body["message"]
            .as_str()
            .unwrap()
            .contains("Kementerian Kesehatan"),
        "{}",
        fwd.body
    );
    assert_ne!(not_processed.id, fwd.id);
    assert_eq!(not_processed.id.len(), 64, "hex of the idempotency key");
    // The callback carries no identity; the log has neither identity nor the
    // message text.
    for g in &got {
        assert_clean("a callback", g.body.to_string().as_bytes());
    }
    let logs = d.logs();
    assert_clean("the debug logs", logs.as_bytes());
    for g in &got {
        let message = g.body["message"].as_str().unwrap();
        assert!(!logs.contains(message), "the message text is in the logs");
    }
    assert!(metric(
        &d,
        "lapord_outbox_sent_total{channel=\"webhook\"} 2"
    ));

    // Rejecting again is refused and queues nothing more.
    let again = admin(
        &d,
        &token,
        &format!("/v1/admin/reports/{rejected}/reject"),
        json!({"reason": "bukan_laporan"}),
    );
    assert_ne!(again.status, 200);
    assert_eq!(webhook_outbox(&d), [("sent".to_string(), 2)]);
}

#[test]
fn a_failing_receiver_gets_it_after_retries_under_one_webhook_id() {
    let receiver = Receiver::start(&[Reply::Status(500), Reply::Status(503)]);
    let home = home(&receiver, "");
    let d = home.start();
    let token = admin_token(&d);
    let id = post_report(&d, "msg_cb_retry");
    reject(&d, &token, &id);
    wait_for(
        "the callback, after two failures",
        Duration::from_secs(30),
        || webhook_outbox(&d) == [("sent".to_string(), 1)],
        || d.logs(),
    );
    let got = receiver.deliveries();
    assert_eq!(
        got.iter().map(|g| g.answered).collect::<Vec<_>>(),
        [500, 503, 200]
    );
    assert!(got.iter().all(|g| g.signed && g.id == got[0].id), "{got:?}");
    assert_eq!(receiver.accepted().len(), 1);
    assert_eq!(got[2].body["tracking_id"], id.as_str());
    let rows = webhook_rows(&d);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, 3, "three attempts");
    assert!(metric(
        &d,
        "lapord_outbox_retries_total{channel=\"webhook\"} 2"
    ));
    assert!(metric(
        &d,
        "lapord_outbox_sent_total{channel=\"webhook\"} 1"
    ));
}

#[test]
fn a_gone_receiver_fails_the_callback_for_good_and_so_does_a_removed_source() {
    let receiver = Receiver::start(&[Reply::Status(410)]);
    // A short time limit keeps the lease of a request cut by a kill short.
    let mut home = home(&receiver, "timeout_secs = 1");
    let mut d = home.start();
    let token = admin_token(&d);
    let gone = post_report(&d, "msg_cb_gone");
    reject(&d, &token, &gone);
    wait_for(
        "the callback given up",
        Duration::from_secs(30),
        || webhook_outbox(&d) == [("failed".to_string(), 1)],
        || d.logs(),
    );
    let rows = webhook_rows(&d);
    let reason = rows[0].1.clone().unwrap_or_default();
    assert!(reason.contains("410 Gone"), "{reason}");
    assert_eq!(rows[0].2, 1, "not retried");
    assert_eq!(receiver.deliveries().len(), 1);
    assert!(metric(
        &d,
        "lapord_outbox_failed_total{channel=\"webhook\"} 1"
    ));

    // Queued while the partner is down (it answers 503 for a long time) ...
    let down = Receiver::start(&[Reply::Status(503); 64]);
    home.extra_toml = home.extra_toml.replace(&receiver.url(), &down.url());
    d.sigterm();
    let d2 = home.start();
    let other = post_report(&d2, "msg_cb_removed");
    reject(&d2, &token, &other);
    wait_for(
        "a first attempt",
        Duration::from_secs(30),
        || !down.deliveries().is_empty(),
        || d2.logs(),
    );
    // ... then the source's callback_url is removed from the configuration.
    drop(d2);
    home.extra_toml = "[callbacks]\nretry_base_ms = 50\ntimeout_secs = 1\n".into();
    d = home.start();
    wait_for(
        "the orphaned callback given up",
        Duration::from_secs(30),
        || webhook_outbox(&d) == [("failed".to_string(), 2)],
        || d.logs(),
    );
    let rows = webhook_rows(&d);
    let reason = rows[1].1.clone().unwrap_or_default();
    assert!(reason.contains("no callback_url"), "{reason}");
}

#[test]
fn a_daemon_killed_mid_callback_delivers_it_after_restart_under_the_same_id() {
    // The first request is held unanswered; the daemon dies meanwhile.
    let receiver = Receiver::start(&[Reply::Hang]);
    let home = home(&receiver, "timeout_secs = 2");
    let mut d = home.start();
    let token = admin_token(&d);
    let id = post_report(&d, "msg_cb_restart");
    reject(&d, &token, &id);
    wait_for(
        "the first attempt",
        Duration::from_secs(30),
        || !receiver.deliveries().is_empty(),
        || d.logs(),
    );
    d.sigkill();
    assert_eq!(receiver.accepted().len(), 0);

    let d = home.start();
    wait_for(
        "the callback after the restart",
        Duration::from_secs(30),
        || webhook_outbox(&d) == [("sent".to_string(), 1)],
        || d.logs(),
    );
    let got = receiver.deliveries();
    assert!(got.len() >= 2, "{got:?}");
    assert!(got.iter().all(|g| g.signed && g.id == got[0].id), "{got:?}");
    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].body["tracking_id"], id.as_str());
    assert_eq!(accepted[0].body["type"], "report.not_processed");
}

#[test]
fn check_config_refuses_a_callback_url_that_is_not_http() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\ndata_dir = \"{}\"\n[callbacks]\nconcurrency = 0\n[channels.webhook.sources.portal]\nsecret = \"{SECRET}\"\ncallback_url = \"ftp://portal.example/hook\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let out = common::cli(&cfg, &[], &["check-config"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "channels.webhook.sources.portal.callback_url",
        "callbacks.concurrency",
    ] {
        assert!(err.contains(key), "{key} missing: {err}");
    }
    let ok = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("ftp://", "https://")
        .replace("concurrency = 0", "concurrency = 2");
    std::fs::write(&cfg, ok).unwrap();
    let out = common::cli(&cfg, &[], &["check-config"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
