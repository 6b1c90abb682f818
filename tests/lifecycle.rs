//! The life of a report, scripted through the real binary: SMS reports
//! verified and forwarded by an admin, answered by the agency (the citizen
//! receives the SMS), objected to by the citizen (the agency sees it),
//! answered again and closed automatically after 10 working days; another
//! escalated to the parent agency after its deadline passes over a holiday;
//! another rejected with its notification. Time moves by a test time source
//! (`testing.clock_file`), never by sleeping.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::rig::*;
use common::{request, Daemon, Response};
use serde_json::{json, Value};

/// Kabupaten Bogor, whose parent in the directory is the Province of West Java.
const AGENCY: &str = "kab-32.01";
const PARENT: &str = "prov-32";

struct Clock(PathBuf);

impl Clock {
    /// Sets "now" to a local time in WIB, e.g. "2026-12-21T09:00".
    fn set(&self, wib: &str) {
        let ms = format!("{wib}:00+07:00[Asia/Jakarta]")
            .parse::<jiff::Zoned>()
            .unwrap()
            .timestamp()
            .as_millisecond();
        std::fs::write(&self.0, ms.to_string()).unwrap();
    }
}

fn call(d: &Daemon, method: &str, path: &str, token: &str, body: Value) -> Response {
    let auth = format!("Bearer {}", token.trim());
    let body = body.to_string();
    request(
        d.addr,
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body.as_bytes(),
    )
}

fn token(d: &Daemon, args: &[&str]) -> String {
    let out = d.cli(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn rig() -> (Rig, Clock) {
    let mut rig = Rig::new(30);
    let clock = Clock(rig.home.dir.path().join("now"));
    clock.set("2026-12-01T09:00");
    rig.home.extra_toml.push_str(&format!(
        "\n[testing]\nclock_file = \"{}\"\n[lifecycle]\nscheduler_interval_secs = 1\n",
        clock.0.display()
    ));
    (rig, clock)
}

fn state_of(d: &Daemon, id: &str) -> String {
    report_show(d, id)["state"].as_str().unwrap().to_string()
}

fn wait_state(d: &Daemon, id: &str, state: &str) {
    wait_for(
        &format!("{id} to be {state}"),
        Duration::from_secs(30),
        || state_of(d, id) == state,
        || d.logs(),
    );
}

#[test]
fn verified_answered_objected_answered_again_closed_after_ten_working_days() {
    let (rig, clock) = rig();
    let d = rig.start();
    assert!(
        d.logs().contains("TEST CLOCK"),
        "the test clock is flagged in the log"
    );
    let admin = token(&d, &["admin", "token", "siti"]);
    let officer = token(&d, &["officer", "token", "--agency", AGENCY, "budi"]);

    // Received by SMS; not routed with confidence, so it waits for verification.
    let ack = rig.ask(
        &d,
        CITIZEN,
        "Jalan desa berlubang besar di Cibinong, sudah dua bulan",
    );
    let id = tracking_id_in(&ack);
    assert_eq!(state_of(&d, &id), "diterima");
    let queue = call(&d, "GET", "/v1/admin/reports", &admin, Value::Null).json();
    let item = queue["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_id"] == id.as_str())
        .expect("in the verification queue")
        .clone();
    assert!(item["verify_due_at"].is_string(), "{item}");
    // Officers cannot use the admin API, nor see a report not with their agency.
    assert_eq!(
        call(&d, "GET", "/v1/admin/reports", &officer, Value::Null).status,
        401
    );
    assert_eq!(
        call(
            &d,
            "GET",
            &format!("/v1/agency/reports/{id}"),
            &officer,
            Value::Null
        )
        .status,
        404
    );

    // Verified and forwarded: the citizen hears which agency has it.
    let before = rig.sent_to(CITIZEN).len();
    let r = call(
        &d,
        "POST",
        &format!("/v1/admin/reports/{id}/forward"),
        &admin,
        json!({"agencies": [AGENCY], "weight": "ringan"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(
        "the forwarded SMS",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    assert!(rig.sent_to(CITIZEN).last().unwrap().contains("diteruskan"));
    assert_eq!(report_show(&d, &id)["colour"], "merah");
    // Forwarding twice is a conflict, not a second forward.
    assert_eq!(
        call(
            &d,
            "POST",
            &format!("/v1/admin/reports/{id}/forward"),
            &admin,
            json!({"agencies": [AGENCY]})
        )
        .status,
        409
    );

    // The agency sees it with its deadline and answers; the citizen gets the SMS.
    let list = call(&d, "GET", "/v1/agency/reports", &officer, Value::Null).json();
    let mine = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_id"] == id.as_str())
        .expect("in the agency's list")
        .clone();
    assert!(
        mine["due_at"].is_string() && mine["overdue"] == false,
        "{mine}"
    );
    clock.set("2026-12-02T10:00");
    let before = rig.sent_to(CITIZEN).len();
    let r = call(
        &d,
        "POST",
        &format!("/v1/agency/reports/{id}/responses"),
        &officer,
        json!({"text": "Perbaikan dijadwalkan minggu depan oleh Dinas PUPR."}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(
        "the response SMS",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    assert!(rig
        .sent_to(CITIZEN)
        .last()
        .unwrap()
        .contains("Perbaikan dijadwalkan"));
    assert_eq!(state_of(&d, &id), "ditindaklanjuti");
    assert_eq!(report_show(&d, &id)["colour"], "kuning");

    // The citizen objects; the agency sees it in the thread; the public too.
    clock.set("2026-12-03T10:00");
    let recorded = rig.ask(
        &d,
        CITIZEN,
        &format!("BALAS {id} Belum ada perbaikan sama sekali, hubungi 081299998888"),
    );
    assert!(recorded.contains("dicatat"), "{recorded}");
    let seen = call(
        &d,
        "GET",
        &format!("/v1/agency/reports/{id}"),
        &officer,
        Value::Null,
    )
    .json();
    assert!(
        seen["thread"].to_string().contains("Belum ada perbaikan"),
        "{seen}"
    );
    let public = d.get(&format!("/v1/reports/{id}/thread")).json();
    let public_text = public["thread"].to_string();
    assert!(
        public_text.contains("Belum ada perbaikan")
            && public_text.contains("Perbaikan dijadwalkan"),
        "{public}"
    );
    assert!(
        !public_text.contains("99998888"),
        "personal data masked on the public thread: {public}"
    );

    // The objection stopped the automatic closing: ten working days later it is still open.
    clock.set("2026-12-31T10:00");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(state_of(&d, &id), "ditindaklanjuti");

    // Answered again; then ten working days with no reaction close it.
    clock.set("2027-01-04T10:00");
    let before = rig.sent_to(CITIZEN).len();
    let r = call(
        &d,
        "POST",
        &format!("/v1/agency/reports/{id}/responses"),
        &officer,
        json!({"text": "Sudah diperbaiki pada 2 Januari, mohon dicek."}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(
        "the second response SMS",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    // Ten working days after 4 January, 5 January (Isra Mikraj) not counted:
    // 6, 7, 8, 11, 12, 13, 14, 15, 18, 19. On the evening of the 18th: still open.
    clock.set("2027-01-18T23:00");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(state_of(&d, &id), "ditindaklanjuti");
    // The tenth working day (Tuesday 19 January) has ended: closed, and the citizen told.
    let before = rig.sent_to(CITIZEN).len();
    clock.set("2027-01-20T00:30");
    wait_state(&d, &id, "selesai");
    assert_eq!(report_show(&d, &id)["colour"], "hijau");
    wait_for(
        "the closing SMS",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    assert!(rig.sent_to(CITIZEN).last().unwrap().contains("selesai"));
    let events = report_show(&d, &id)["events"].to_string();
    assert!(events.contains("\"rule\":\"otomatis\""), "{events}");
    // Once: still one closing SMS after more passes of the scheduler.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        rig.sent_to(CITIZEN)
            .iter()
            .filter(|t| t.contains("selesai"))
            .count(),
        1
    );
    assert_no_identity(&d);
}

#[test]
fn a_missed_deadline_over_a_holiday_escalates_to_the_parent_agency() {
    let (rig, clock) = rig();
    let d = rig.start();
    let admin = token(&d, &["admin", "token", "siti"]);
    let parent = token(&d, &["agency", "token", PARENT]);
    clock.set("2026-12-21T09:00");
    let id = tracking_id_in(&rig.ask(
        &d,
        CITIZEN,
        "Puskesmas tutup di jam kerja, tidak ada petugas",
    ));
    let r = call(
        &d,
        "POST",
        &format!("/v1/admin/reports/{id}/forward"),
        &admin,
        json!({"agencies": [AGENCY], "weight": "ringan"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Five working days from Monday 21 December: 22, 23, (24 cuti bersama,
    // 25 Christmas, the weekend), 28, 29, 30 — due at the end of 30 December.
    let shown = call(
        &d,
        "GET",
        &format!("/v1/admin/reports/{id}"),
        &admin,
        Value::Null,
    )
    .json();
    let due = shown["assignments"][0]["due_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(due.starts_with("2026-12-30T16:59:59"), "{due}");
    // On the 30th: not overdue yet.
    clock.set("2026-12-30T20:00");
    std::thread::sleep(Duration::from_secs(3));
    // (The verification deadline itself passed long ago: the report arrived
    // on the real date, the test clock starts weeks later.)
    assert!(report_show(&d, &id)["events"]
        .to_string()
        .contains("\"action\":\"verifikasi_terlambat\""));
    assert!(!report_show(&d, &id)["events"]
        .to_string()
        .contains("\"action\":\"terlambat\""));
    // The 31st: overdue; the agency is notified (tier 1).
    clock.set("2026-12-31T08:00");
    wait_for(
        "tier 1",
        Duration::from_secs(30),
        || {
            report_show(&d, &id)["events"]
                .to_string()
                .contains("\"action\":\"terlambat\"")
        },
        || d.logs(),
    );
    let list = call(
        &d,
        "GET",
        "/v1/admin/reports?state=diteruskan",
        &admin,
        Value::Null,
    )
    .json();
    assert!(list.to_string().contains("\"overdue\":true"), "{list}");
    // Two working days later, over two holidays (1 January, 5 January): the
    // 4th and the 6th; on the 7th the parent agency is notified (tier 2).
    clock.set("2027-01-06T20:00");
    std::thread::sleep(Duration::from_secs(3));
    assert!(!report_show(&d, &id)["events"]
        .to_string()
        .contains(&format!("\"to\":\"{PARENT}\"")));
    clock.set("2027-01-07T08:00");
    wait_for(
        "tier 2 (the parent agency)",
        Duration::from_secs(30),
        || {
            report_show(&d, &id)["events"]
                .to_string()
                .contains(&format!("\"to\":\"{PARENT}\""))
        },
        || d.logs(),
    );
    let queue = d
        .agency("GET", &format!("/v1/agencies/{PARENT}/queue"), &parent)
        .json();
    assert!(
        queue.to_string().contains(&id),
        "the parent agency has it in its queue: {queue}"
    );
}

#[test]
fn rejected_with_its_notification() {
    let (rig, _clock) = rig();
    let d = rig.start();
    let admin = token(&d, &["admin", "token", "siti"]);
    let id = tracking_id_in(&rig.ask(&d, CITIZEN, "Tolong belikan pulsa"));
    let before = rig.sent_to(CITIZEN).len();
    let bad = call(
        &d,
        "POST",
        &format!("/v1/admin/reports/{id}/reject"),
        &admin,
        json!({"reason": "tidak-ada"}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    let r = call(
        &d,
        "POST",
        &format!("/v1/admin/reports/{id}/reject"),
        &admin,
        json!({"reason": "bukan_laporan"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(
        "the rejection SMS",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    assert!(rig
        .sent_to(CITIZEN)
        .last()
        .unwrap()
        .contains("tidak dapat diproses"));
    assert_eq!(state_of(&d, &id), "tidak_diproses");
    assert_eq!(report_show(&d, &id)["colour"], "abu-abu");
}
