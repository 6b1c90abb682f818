//! End to end, the reporter's protection through the real binary: logs, audited
//! operator views, keys that are wrong, missing or moved, rotation under load,
//! and enumeration resistance on the public status path.

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const NAMED: &str = r#"{"text":"Listrik padam tiga hari @pln","reporter":{"user_id":"portal-user-4711","name":"Siti Rahayu","phone":"0812-3456-7890","email":"siti.rahayu@example.org"}}"#;
const IDENTITIES: [&str; 7] = [
    "portal-user-4711",
    "Siti Rahayu",
    "081234567890",
    "6281234567890",
    "0812-3456-7890",
    "siti.rahayu",
    "+628****7890",
];

fn anonymous() -> String {
    NAMED.replace("\"reporter\"", "\"anonymous\":true,\"reporter\"")
}

fn tracking(r: &Response) -> String {
    r.json()["tracking_id"].as_str().unwrap().to_string()
}

#[test]
fn a_debug_run_logs_no_identity() {
    let home = Home::new("");
    let d = home.start();
    let named = d.post("msg_named", NAMED);
    let anon = d.post("msg_anon", &anonymous());
    assert_eq!((named.status, anon.status), (201, 201));
    let (named, anon) = (tracking(&named), tracking(&anon));
    assert_eq!(d.get(&format!("/v1/reports/{named}")).status, 200);
    let out = d.cli(&["report", "show", &anon, "--reason", "uji log"]);
    assert!(out.status.success());
    let token = String::from_utf8(d.cli(&["agency", "token", "pln"]).stdout).unwrap();
    let q = d.agency("GET", "/v1/agencies/pln/queue", &token);
    assert_eq!(q.json()["items"].as_array().unwrap().len(), 2);
    let (status, _) = {
        let mut d = d;
        let r = d.sigterm();
        let logs = d.logs();
        for id in IDENTITIES {
            assert!(!logs.contains(id), "{id} in the debug log:\n{logs}");
        }
        // The reporter is logged, masked.
        assert!(logs.contains("Prepared a report."), "{logs}");
        assert!(
            logs.contains("\"reporter\":\"portal:<16 chars>\""),
            "{logs}"
        );
        assert!(logs.contains("\"level\":\"DEBUG\""));
        let cli_err = String::from_utf8_lossy(&out.stderr);
        for id in IDENTITIES {
            assert!(!cli_err.contains(id), "{id} in the CLI's log: {cli_err}");
        }
        r
    };
    assert!(status.success());
}

#[test]
fn an_anonymous_identity_is_shown_only_with_a_reason_and_audited() {
    let home = Home::new("");
    let d = home.start();
    let anon = tracking(&d.post("msg_anon", &anonymous()));
    let out = d.cli(&["report", "show", &anon]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("withheld: the reporter is anonymous"));
    for id in IDENTITIES {
        assert!(!text.contains(id), "{id} shown without a reason");
    }
    let empty = d.cli(&["audit"]);
    assert!(String::from_utf8(empty.stdout).unwrap().trim().is_empty());

    let out = d.cli(&[
        "report",
        "show",
        &anon,
        "--reason",
        "permintaan penyidik KPK no. 12",
        "--actor",
        "operator:ani",
    ]);
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["reporter"]["name"], "Siti Rahayu");
    assert_eq!(shown["message_id"], "portal:msg_anon");
    let audit = String::from_utf8(d.cli(&["audit"]).stdout).unwrap();
    let line = audit.lines().next().expect("one audit entry");
    assert!(line.contains("operator:ani"), "{line}");
    assert!(line.contains("reveal_anonymous_identity"));
    assert!(line.contains(&anon));
    assert!(line.contains("permintaan penyidik KPK no. 12"));

    // A named reporter's identity is shown without ceremony.
    let named = tracking(&d.post("msg_named", NAMED));
    let shown: serde_json::Value =
        serde_json::from_slice(&d.cli(&["report", "show", &named]).stdout).unwrap();
    assert_eq!(shown["reporter"]["address"]["user_id"], "portal-user-4711");
}

fn sqlite(dir: &std::path::Path) -> (tokio::runtime::Runtime, sqlx::SqlitePool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}", dir.join("data/lapord.db").display());
    let pool = rt.block_on(sqlx::SqlitePool::connect(&url)).unwrap();
    (rt, pool)
}

#[test]
fn a_ciphertext_moved_to_another_report_does_not_open() {
    let home = Home::new("");
    let mut d = home.start();
    let a = tracking(&d.post("msg_a", NAMED));
    let b = tracking(&d.post("msg_b", &NAMED.replace("Siti Rahayu", "Budi Santoso")));
    d.sigterm();
    let (rt, pool) = sqlite(&d.dir);
    rt.block_on(async {
        sqlx::query(
            "UPDATE reporters SET identity_enc = (SELECT p.identity_enc FROM reporters p JOIN reports r \
             ON r.id = p.report_id WHERE r.tracking_id = $1) \
             WHERE report_id = (SELECT id FROM reports WHERE tracking_id = $2)",
        )
        .bind(&a)
        .bind(&b)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let out = d.cli(&["report", "show", &b]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("moved from another report"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Siti"));
    // The untouched report still opens.
    assert!(d.cli(&["report", "show", &a]).status.success());
}

#[test]
fn a_wrong_or_missing_key_stops_lapord_with_78() {
    let home = Home::new("");
    let mut d = home.start();
    assert_eq!(d.post("msg_1", NAMED).status, 201);
    d.sigterm();
    let key = d.dir.join("data/identity.key");
    let good = std::fs::read(&key).unwrap();

    // Another key file: refused, loudly, before anything else.
    std::fs::remove_file(&key).unwrap();
    let out = d.cli(&["keys", "generate", "--out", key.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = d.cli(&["run"]);
    assert_eq!(
        out.status.code(),
        Some(78),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong key file"));

    // No key file at all: never a fresh key over sealed data.
    std::fs::remove_file(&key).unwrap();
    let out = d.cli(&["run"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("restore the key file"));
    assert!(!key.exists());

    // A configured key file that is missing: check-config and run say so.
    let cfg = d.dir.join("other.toml");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&d.config).unwrap().replace(
            "[store]\n",
            "[store]\nidentity_key = \"file:/nonexistent/identity.key\"\n",
        ),
    )
    .unwrap();
    let out = cli(&cfg, &[], &["check-config"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("store.identity_key"));
    assert_eq!(cli(&cfg, &[], &["run"]).status.code(), Some(78));

    // The right key back: it starts.
    std::fs::write(&key, good).unwrap();
    let d = home.start();
    assert_eq!(d.get("/readyz").status, 200);
}

#[test]
fn keys_rotate_under_load_leaves_everything_under_the_new_key_only() {
    let home = Home::new(
        "rate_per_second = 1000000\nburst = 1000000\n[status]\nper_client_per_minute = 1000000\nper_client_burst = 100000\nper_report_per_minute = 1000000\nper_report_burst = 100000\n",
    );
    let d = home.start();
    for i in 0..50 {
        assert_eq!(d.post(&format!("before_{i}"), NAMED).status, 201);
    }
    let key_path = d.dir.join("data/identity.key");
    let old = lapor::privacy::Keyring::load(&key_path).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let addr = d.addr;
    let writer = {
        let (stop, posted, failures) = (stop.clone(), posted.clone(), failures.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let r = post_signed(
                    addr,
                    "portal",
                    SECRET,
                    &format!("during_{i}"),
                    unix_now(),
                    NAMED.as_bytes(),
                );
                if r.status == 201 {
                    posted.lock().unwrap().push(tracking(&r));
                } else {
                    eprintln!("post failed: {} {}", r.status, r.text());
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                i += 1;
            }
        })
    };
    let reader = {
        let (stop, posted, failures) = (stop.clone(), posted.clone(), failures.clone());
        let config = d.config.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) {
                let last = posted.lock().unwrap().last().cloned();
                if let Some(id) = last {
                    let r = request(addr, "GET", &format!("/v1/reports/{id}"), &[], b"");
                    if r.status != 200 {
                        eprintln!("status failed: {} {}", r.status, r.text());
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    let out = cli(&config, &[], &["report", "show", &id]);
                    let ok = out.status.success()
                        && String::from_utf8_lossy(&out.stdout).contains("portal-user-4711");
                    if !ok {
                        eprintln!("read failed: {}", String::from_utf8_lossy(&out.stderr));
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    reads += 1;
                }
            }
            reads
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = d.cli(&["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let reads = reader.join().unwrap();
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "writes or reads failed during the rotation"
    );
    let during = posted.lock().unwrap().len();
    assert!(
        during > 20 && reads > 3,
        "load during the rotation: {during} writes, {reads} reads"
    );

    let new = lapor::privacy::Keyring::load(&key_path).unwrap();
    assert_eq!(new.key_ids().len(), 1, "old keys retired");
    assert!(!old.key_ids().contains(&new.active().0));
    // Every identity opens under the new key, none under the old.
    let (rt, _) = sqlite(&d.dir);
    rt.block_on(async {
        let url = format!("sqlite://{}", d.dir.join("data/lapord.db").display());
        let store = lapor::store::open(&url, 2).await.unwrap();
        let n = store.count_reports().await.unwrap();
        assert_eq!(n as usize, 50 + during);
        assert_eq!(
            store.identity_key_ids().await.unwrap(),
            vec![i64::from(new.active().0)]
        );
        for id in 0..=i64::MAX {
            if id > 100_000 {
                break;
            }
            let Some(r) = store.report_by_id(id).await.unwrap() else {
                continue;
            };
            let rec = store.reporter(r.id).await.unwrap().unwrap();
            let opened = lapor::identity::open(&new, r.id, &rec).unwrap();
            assert_eq!(opened.name.as_deref(), Some("Siti Rahayu"));
            assert!(lapor::identity::open(&old, r.id, &rec).is_err());
            let m = r.message_id_enc.as_ref().unwrap();
            use lapor::privacy::cipher::{open, Field};
            assert!(open(&new, Field::MessageId, r.id, m).is_ok());
            assert!(open(&old, Field::MessageId, r.id, m).is_err());
        }
        store.close().await;
    });
}

#[test]
fn status_lookups_are_throttled_without_slowing_a_citizen() {
    let home = Home::new(
        "[status]\nmisses_per_client_per_minute = 1\nmisses_burst = 3\nper_client_burst = 20\nper_report_burst = 8\n",
    );
    let d = home.start();
    let mine = tracking(&d.post("msg_mine", NAMED));
    let secret = tracking(&d.post("msg_conf", r#"{"text":"rahasia","confidential":true}"#));
    // A citizen checking their report a few times: never slowed.
    for _ in 0..6 {
        assert_eq!(d.get(&format!("/v1/reports/{mine}")).status, 200);
    }
    // A confidential report counts as a miss, exactly like an unknown ID.
    let unknown = lapor::tracking::Minter::new(b"x")
        .mint(1)
        .unwrap()
        .to_string();
    assert_eq!(d.get(&format!("/v1/reports/{secret}")).status, 404);
    assert_eq!(d.get(&format!("/v1/reports/{unknown}")).status, 404);
    assert_eq!(d.get("/v1/reports/1234567890").status, 400);
    // Out of misses: refused, and now everything is refused, so a 429 says
    // nothing about whether an ID exists.
    let r = d.get(&format!("/v1/reports/{unknown}"));
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(d.get(&format!("/v1/reports/{mine}")).status, 429);
    let m = d.get("/metrics").text();
    assert!(m.contains("lapord_status_refused_total"), "{m}");
}

#[test]
fn one_report_cannot_be_hammered_by_many() {
    let home = Home::new("[status]\nper_report_burst = 3\nper_report_per_minute = 1\n");
    let d = home.start();
    let id = tracking(&d.post("msg_x", NAMED));
    for _ in 0..3 {
        assert_eq!(d.get(&format!("/v1/reports/{id}")).status, 200);
    }
    assert_eq!(d.get(&format!("/v1/reports/{id}")).status, 429);
}
