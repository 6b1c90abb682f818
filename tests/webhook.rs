//! End to end: the real binary, signed webhook reports, the public status, the
//! agency queue, crash and shutdown behaviour.

mod common;

use common::*;
use std::time::Duration;

const REPORT: &str = r#"{"text":"Obat di puskesmas kosong sejak seminggu @kemenkes","reporter":{"user_id":"portal-user-4711","name":"Siti Rahayu","phone":"0812-3456-7890","email":"siti.rahayu@example.org"}}"#;

#[test]
fn a_signed_report_is_committed_routed_and_visible() {
    let home = Home::new("");
    let d = home.start();
    let r = d.post("msg_round_trip", REPORT);
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let id = v["tracking_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 10);
    assert!(lapor::tracking::parse(&id).is_ok());
    assert_eq!(
        v["status_url"],
        format!("https://lapor.example.go.id/v1/reports/{id}")
    );

    let s = d.get(&format!("/v1/reports/{id}"));
    assert_eq!(s.status, 200);
    let s = s.json();
    assert_eq!(s["state"], "diteruskan");
    assert_eq!(s["colour"], "merah");
    assert_eq!(s["kind"], "pengaduan");
    assert_eq!(s["agency"]["code"], "kemenkes");
    assert_eq!(s["agency"]["name"], "Kementerian Kesehatan");
    let public = s.to_string();
    for secret in ["Siti", "0812", "3456", "portal-user-4711", "example.org"] {
        assert!(!public.contains(secret), "{secret} in {public}");
    }
    // Dashes, dots and # are fine; a mistyped digit is malformed, not unknown.
    let dashed = format!("%23{}-{}.{}", &id[..3], &id[3..6], &id[6..]);
    assert_eq!(d.get(&format!("/v1/reports/{dashed}")).status, 200);
    let mut wrong = id.clone().into_bytes();
    wrong[4] = if wrong[4] == b'9' { b'0' } else { wrong[4] + 1 };
    let r = d.get(&format!(
        "/v1/reports/{}",
        String::from_utf8(wrong).unwrap()
    ));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "malformed_tracking_id");

    let out = d.cli(&["report", "show", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["state"], "diteruskan");
    assert_eq!(shown["agency"]["code"], "kemenkes");
    assert_eq!(shown["reporter"]["address"]["user_id"], "portal-user-4711");
    assert_eq!(shown["reporter"]["contacts"][0]["value"], "+6281234567890");
    let actions: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["diterima", "diteruskan"]);
    let out = d.cli(&["report", "show", "1234567890"]);
    assert!(!out.status.success());

    let m = d.get("/metrics").text();
    assert!(
        m.contains("lapord_reports_received_total{channel=\"webhook\"} 1"),
        "{m}"
    );
    assert!(m.contains("lapord_routing_total{outcome=\"forwarded\"} 1"));
    assert!(m.contains("lapord_agency_queue_depth{agency=\"kemenkes\"} 1"));
    assert!(m.contains(
        "lapord_http_request_duration_seconds_count{route=\"/v1/sources/{source}/reports\"}"
    ));
    assert_eq!(d.get("/healthz").status, 200);
    assert_eq!(d.get("/readyz").status, 200);
}

#[test]
fn a_report_without_a_clear_agency_waits_for_verification() {
    let home = Home::new("");
    let d = home.start();
    let r = d.post(
        "msg_vague",
        r#"{"text":"Pelayanan di kantor kelurahan sangat lambat"}"#,
    );
    assert_eq!(r.status, 201);
    let id = r.json()["tracking_id"].as_str().unwrap().to_string();
    let s = d.get(&format!("/v1/reports/{id}")).json();
    assert_eq!(s["state"], "diterima");
    assert_eq!(s["colour"], "merah");
    assert!(s["agency"].is_null());
}

#[test]
fn the_same_webhook_id_is_one_report_even_when_racing() {
    let home = Home::new("");
    let d = home.start();
    let first = d.post("msg_retry", REPORT);
    assert_eq!(first.status, 201);
    let again = d.post("msg_retry", REPORT);
    assert_eq!(again.status, 200);
    assert_eq!(first.json()["tracking_id"], again.json()["tracking_id"]);
    // Same id, another body: refused.
    let other = d.post("msg_retry", r#"{"text":"sesuatu yang lain"}"#);
    assert_eq!(other.status, 409, "{}", other.text());
    // The same id scoped to another source is another report.
    // Twenty concurrent deliveries of one new id: one 201, the rest 200, one ID.
    let addr = d.addr;
    let handles: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                post_signed(
                    addr,
                    "portal",
                    SECRET,
                    "msg_race",
                    unix_now(),
                    REPORT.as_bytes(),
                )
            })
        })
        .collect();
    let results: Vec<Response> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let created = results.iter().filter(|r| r.status == 201).count();
    let repeated = results.iter().filter(|r| r.status == 200).count();
    assert_eq!((created, repeated), (1, 19));
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| r.json()["tracking_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(count_reports(&d.dir), 2);
}

#[test]
fn bad_input_is_refused_clearly_and_nothing_is_stored() {
    let home = Home::new(
        r#"
[channels.webhook.sources.slow]
secret = "whsec_c2xvdy1zb3VyY2Utc2VjcmV0LTEyMzQ1Njc4"
rate_per_second = 1
burst = 1
"#,
    );
    let d = home.start();
    let now = unix_now();
    let body = REPORT.as_bytes();
    let status = |r: &Response| {
        (
            r.status,
            r.json()["error"].as_str().unwrap_or("").to_string(),
        )
    };

    let r = post_signed(d.addr, "nosuch", SECRET, "m1", now, body);
    assert_eq!(status(&r), (401, "unknown_source".into()));
    let r = request(
        d.addr,
        "POST",
        "/v1/sources/portal/reports",
        &[
            ("webhook-id", "m2"),
            ("webhook-timestamp", &now.to_string()),
        ],
        body,
    );
    assert_eq!(status(&r), (401, "bad_signature".into()));
    assert!(r.text().contains("webhook-signature"));
    let wrong = "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==";
    let r = post_signed(d.addr, "portal", wrong, "m3", now, body);
    assert_eq!(status(&r), (401, "bad_signature".into()));
    let r = post_signed(d.addr, "portal", SECRET, "m4", now - 301, body);
    assert_eq!(status(&r), (401, "bad_signature".into()));
    assert!(r.text().contains("seconds away"), "{}", r.text());
    let r = post_signed(d.addr, "portal", SECRET, "m5", now + 400, body);
    assert_eq!(r.status, 401);

    let r = post_signed(d.addr, "portal", SECRET, "m6", now, b"{\"text\": ");
    assert_eq!(status(&r), (400, "malformed_json".into()));
    let r = post_signed(d.addr, "portal", SECRET, "m7", now, br#"{"reporter":{}}"#);
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["field"], "text");
    let r = post_signed(
        d.addr,
        "portal",
        SECRET,
        "m8",
        now,
        br#"{"text":"x","kind":"pujian"}"#,
    );
    assert_eq!((r.status, r.json()["field"].clone()), (422, "kind".into()));
    let r = post_signed(
        d.addr,
        "portal",
        SECRET,
        "m9",
        now,
        br#"{"text":"x","reporter":{"phone":"bukan nomor"}}"#,
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (422, "reporter.phone".into())
    );

    let big = format!(r#"{{"text":"{}"}}"#, "a".repeat(9 * 1024 * 1024));
    let r = post_signed(d.addr, "portal", SECRET, "m10", now, big.as_bytes());
    assert_eq!(status(&r), (413, "too_large".into()));

    assert_eq!(count_reports(&d.dir), 0, "nothing stored from bad input");

    let slow = "whsec_c2xvdy1zb3VyY2Utc2VjcmV0LTEyMzQ1Njc4";
    let ok = post_signed(d.addr, "slow", slow, "s1", now, br#"{"text":"satu"}"#);
    assert_eq!(ok.status, 201);
    let limited = post_signed(d.addr, "slow", slow, "s2", now, br#"{"text":"dua"}"#);
    assert_eq!(status(&limited), (429, "rate_limited".into()));
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    assert_eq!(count_reports(&d.dir), 1);
}

#[test]
fn a_report_acknowledged_before_sigkill_survives_it() {
    let home = Home::new("");
    let mut d = home.start();
    let r = d.post("msg_crash", REPORT);
    assert_eq!(r.status, 201);
    d.sigkill();
    let id = r.json()["tracking_id"].as_str().unwrap().to_string();
    let d = home.start();
    let s = d.get(&format!("/v1/reports/{id}"));
    assert_eq!(s.status, 200, "{}", s.text());
    // A retry after the crash finds the same report.
    let again = d.post("msg_crash", REPORT);
    assert_eq!(
        (again.status, again.json()["tracking_id"].clone()),
        (200, id.into())
    );
}

#[test]
fn confidential_reports_are_invisible_and_anonymous_reporters_never_reach_agencies() {
    let home = Home::new("");
    let d = home.start();
    let conf = d.post(
        "msg_conf",
        r#"{"text":"Laporan rahasia tentang pungli @kemenkes","confidential":true}"#,
    );
    assert_eq!(conf.status, 201);
    let conf_id = conf.json()["tracking_id"].as_str().unwrap().to_string();
    // An unknown but well-formed ID: mint one the store never issued.
    let unknown = lapor::tracking::Minter::new(b"other")
        .mint(5)
        .unwrap()
        .to_string();
    let a = d.get(&format!("/v1/reports/{conf_id}"));
    let b = d.get(&format!("/v1/reports/{unknown}"));
    assert_eq!((a.status, b.status), (404, 404));
    assert_eq!(
        a.body, b.body,
        "a confidential report answers as an unknown one"
    );

    let anon = d.post(
        "msg_anon",
        &REPORT.replace("\"reporter\"", "\"anonymous\":true,\"reporter\""),
    );
    assert_eq!(anon.status, 201, "{}", anon.text());
    let named = d.post("msg_named", REPORT);
    assert_eq!(named.status, 201);

    let out = d.cli(&["agency", "token", "kemenkes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let r = request(d.addr, "GET", "/v1/agencies/kemenkes/queue", &[], b"");
    assert_eq!(r.status, 401);
    let r = d.agency("GET", "/v1/agencies/kemendagri/queue", &token);
    assert_eq!(r.status, 401, "a token is for its own agency only");
    let r = d.agency("GET", "/v1/agencies/kemenkes/queue", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["report"]["tracking_id"] == id)
            .unwrap_or_else(|| panic!("{id} not in queue"))
            .clone()
    };
    let anon_item = by_id(anon.json()["tracking_id"].as_str().unwrap());
    assert!(anon_item["report"]["reporter"].is_null());
    let text = anon_item.to_string();
    for secret in [
        "Siti",
        "Rahayu",
        "0812",
        "6281234567890",
        "siti.rahayu",
        "portal-user-4711",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} reached the agency: {text}"
        );
    }
    let named_item = by_id(named.json()["tracking_id"].as_str().unwrap());
    assert_eq!(named_item["report"]["reporter"]["name"], "Siti Rahayu");

    // Acknowledge all; nothing comes back.
    for item in &items {
        let path = format!(
            "/v1/agencies/kemenkes/queue/{}/ack",
            item["item_id"].as_str().unwrap()
        );
        let r = d.agency("POST", &path, &token);
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = d.agency("GET", "/v1/agencies/kemenkes/queue", &token);
    assert!(r.json()["items"].as_array().unwrap().is_empty());
    let r = d.agency("POST", "/v1/agencies/kemenkes/queue/999999/ack", &token);
    assert_eq!(r.status, 404);

    let out = d.cli(&["agency", "token", "kemenkes", "--revoke"]);
    assert!(out.status.success());
    let r = d.agency("GET", "/v1/agencies/kemenkes/queue", &token);
    assert_eq!(r.status, 401);
}

#[test]
fn an_unacknowledged_item_comes_back_after_its_lease() {
    let home = Home::new("[queue]\nlease_secs = 1\n");
    let d = home.start();
    assert_eq!(d.post("msg_lease", REPORT).status, 201);
    let out = d.cli(&["agency", "token", "kemenkes"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let get = || {
        d.agency("GET", "/v1/agencies/kemenkes/queue", &token)
            .json()
    };
    let first = get();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    assert!(get()["items"].as_array().unwrap().is_empty(), "leased");
    std::thread::sleep(Duration::from_millis(1100));
    let again = get();
    assert_eq!(again["items"][0]["item_id"], first["items"][0]["item_id"]);
    assert_eq!(again["items"][0]["deliveries"], 2);
}

#[test]
fn sigterm_drains_and_exits_zero_within_the_deadline() {
    let home = Home::new("");
    let mut d = home.start();
    let addr = d.addr;
    let posts: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                post_signed(
                    addr,
                    "portal",
                    SECRET,
                    &format!("msg_t{i}"),
                    unix_now(),
                    REPORT.as_bytes(),
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = posts.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.iter().all(|&s| s == 201));
    let (status, took) = d.sigterm();
    assert!(status.success(), "exit {status:?}\n{}", d.logs());
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let logs = d.logs();
    assert!(logs.contains("Drained."), "{logs}");
    assert_eq!(count_reports(&d.dir), 20);
}

#[test]
fn check_config_lists_every_problem_and_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[http]\nlisten = \"here\"\n[log]\nformat = \"xml\"\n[channels.webhook.sources.portal]\nsecret = \"oops\"\n",
    )
    .unwrap();
    let out = cli(&cfg, &[], &["check-config"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "http.listen",
        "log.format",
        "channels.webhook.sources.portal.secret",
    ] {
        assert!(err.contains(key), "{key} missing: {err}");
    }
    // `run` refuses the same config with the same code, before binding anything.
    let out = cli(&cfg, &[], &["run"]);
    assert_eq!(out.status.code(), Some(78));
    // The environment overrides the file.
    let out = cli(
        &cfg,
        &[
            ("LAPORD__HTTP__LISTEN".into(), "127.0.0.1:9000".into()),
            ("LAPORD__LOG__FORMAT".into(), "json".into()),
            (
                "LAPORD__CHANNELS__WEBHOOK__SOURCES__PORTAL__SECRET".into(),
                SECRET.into(),
            ),
        ],
        &["check-config"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = cli(&cfg, &[], &["print-config"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        lapor::settings::DEFAULT_TOML
    );
}

#[test]
fn systemd_hears_ready_watchdog_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut home = Home::new("");
    home.env = vec![
        ("NOTIFY_SOCKET".into(), sock_path.display().to_string()),
        ("WATCHDOG_USEC".into(), "200000".into()),
    ];
    let mut d = home.start();
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = sock.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(next(), "READY=1");
    assert_eq!(
        next(),
        "WATCHDOG=1",
        "pinged every WATCHDOG_USEC/2 while the store answers"
    );
    let (status, _) = d.sigterm();
    assert!(status.success());
    let mut rest = Vec::new();
    while let Ok(n) = sock.recv(&mut buf) {
        rest.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        if rest.last().unwrap() == "STOPPING=1" {
            break;
        }
    }
    assert_eq!(
        rest.last().map(String::as_str),
        Some("STOPPING=1"),
        "{rest:?}"
    );
}

#[test]
fn migrate_applies_the_schema_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        &dir.path().join("none.toml"),
        &[(
            "LAPORD__STORE__DATA_DIR".into(),
            dir.path().join("d").display().to_string(),
        )],
        &["migrate"],
    );
    // An explicit --config that does not exist is an error (exit 78)…
    assert_eq!(out.status.code(), Some(78));
    let cfg = dir.path().join("lapord.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\ndata_dir = \"{}\"\n",
            dir.path().join("d").display()
        ),
    )
    .unwrap();
    let out = cli(&cfg, &[], &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(0 reports)"));
    assert!(dir.path().join("d/lapord.db").exists());
}
