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

/// Waits until the citizen has been sent more than `before` SMS and returns
/// the newest one.
fn next_sms(rig: &Rig, d: &Daemon, before: usize, what: &str) -> String {
    wait_for(
        what,
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() > before,
        || d.logs(),
    );
    rig.sent_to(CITIZEN).pop().unwrap()
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
    assert!(next_sms(&rig, &d, before, "the forwarded SMS").contains("diteruskan"));
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
    assert!(next_sms(&rig, &d, before, "the response SMS").contains("Perbaikan dijadwalkan"));
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
    next_sms(&rig, &d, before, "the second response SMS");
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
    assert!(next_sms(&rig, &d, before, "the closing SMS").contains("selesai"));
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
    // The public statistics tell the same story: one report received,
    // forwarded and closed; the agency's first response on time.
    let period = "from=2026-11-01&to=2027-01-31";
    wait_for(
        "the statistics",
        Duration::from_secs(30),
        || d.get(&format!("/v1/stats?{period}")).json()["figures"]["closed"] == 1,
        || d.get(&format!("/v1/stats?{period}")).text(),
    );
    let overall = d.get(&format!("/v1/stats?{period}")).json();
    let f = &overall["figures"];
    assert_eq!(
        (
            f["received"].as_i64(),
            f["forwarded"].as_i64(),
            f["closed"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{overall}"
    );
    let agency = d.get(&format!("/v1/stats?{period}&agency={AGENCY}")).json();
    assert_eq!(agency["figures"]["closed"], 1, "{agency}");
    let csv = d.get(&format!("/v1/stats.csv?{period}")).text();
    assert!(csv.lines().count() >= 2, "{csv}");
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
    // (Only the follow-up tier counts here: the verification deadline may
    // have been reported overdue too, since the clock starts weeks after the
    // report arrived.)
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
    // Shown as overdue, to the public too.
    assert_eq!(d.get(&format!("/v1/reports/{id}")).json()["overdue"], true);
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
    assert!(next_sms(&rig, &d, before, "the rejection SMS").contains("tidak dapat diproses"));
    assert_eq!(state_of(&d, &id), "tidak_diproses");
    assert_eq!(report_show(&d, &id)["colour"], "abu-abu");
}

/// Anonymous and confidential through every output the lifecycle adds: the
/// agency API and its queue, the public status and thread, notifications to
/// the reporter, the admins' view (identity only with a reason, audited),
/// the store and the logs.
#[test]
fn anonymous_and_confidential_on_every_output() {
    let (rig, clock) = rig();
    let d = rig.start();
    let admin = token(&d, &["admin", "token", "siti"]);
    let officer = token(&d, &["officer", "token", "--agency", AGENCY, "budi"]);
    let agency_token = token(&d, &["agency", "token", AGENCY]);
    let anon =
        tracking_id_in(&rig.ask(&d, CITIZEN, "ANONIM pungutan liar di kantor desa Cibinong"));
    let conf = tracking_id_in(&rig.ask(
        &d,
        CITIZEN,
        "RAHASIA kepala dinas minta setoran dari kontraktor",
    ));
    for id in [&anon, &conf] {
        let r = call(
            &d,
            "POST",
            &format!("/v1/admin/reports/{id}/forward"),
            &admin,
            json!({"agencies": [AGENCY]}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        clock.set("2026-12-02T10:00");
        let r = call(
            &d,
            "POST",
            &format!("/v1/agency/reports/{id}/responses"),
            &officer,
            json!({"text": "Sedang kami periksa."}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The agency: the anonymous reporter is not there; the confidential one is
    // (confidential hides the report from the public, not from its agency).
    let seen = call(
        &d,
        "GET",
        &format!("/v1/agency/reports/{anon}"),
        &officer,
        Value::Null,
    );
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["reporter"], Value::Null);
    assert_clean_of_citizen("agency view of the anonymous report", &seen.text());
    let list = call(&d, "GET", "/v1/agency/reports", &officer, Value::Null).text();
    assert_clean_of_citizen("agency list", &list);
    let queue = d.agency(
        "GET",
        &format!("/v1/agencies/{AGENCY}/queue"),
        &agency_token,
    );
    assert_eq!(queue.status, 200, "{}", queue.text());
    let q = queue.json();
    let anon_item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["report"]["tracking_id"] == anon.as_str())
        .expect("queued");
    assert_eq!(anon_item["report"]["reporter"], Value::Null, "{anon_item}");
    // The public: the confidential report is exactly an unknown ID, on the
    // status path and the thread; the anonymous one shows no identity.
    let unknown = unknown_valid_id(&conf);
    let unknown = unknown.as_str();
    for path in ["", "/thread"] {
        let c = d.get(&format!("/v1/reports/{conf}{path}"));
        let u = d.get(&format!("/v1/reports/{unknown}{path}"));
        assert_eq!((c.status, c.text()), (u.status, u.text()), "{path}");
        let a = d.get(&format!("/v1/reports/{anon}{path}"));
        assert_eq!(a.status, 200);
        assert_clean_of_citizen("public view of the anonymous report", &a.text());
    }
    // Admins: withheld without a reason; with one, shown and audited.
    let v = call(
        &d,
        "GET",
        &format!("/v1/admin/reports/{anon}"),
        &admin,
        Value::Null,
    )
    .json();
    assert!(
        v["reporter"].as_str().unwrap().starts_with("withheld"),
        "{v}"
    );
    let v = call(
        &d,
        "GET",
        &format!("/v1/admin/reports/{anon}?reason=dugaan%20ancaman"),
        &admin,
        Value::Null,
    )
    .json();
    assert!(v["reporter"].to_string().contains(CITIZEN), "{v}");
    let audit = d.cli(&["audit"]);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("dugaan ancaman"));
    // The reporter still hears back (they are anonymous to the agency, not to
    // the service), and nothing of them is in the store or the logs in clear.
    wait_for(
        "the response SMS to the anonymous reporter",
        Duration::from_secs(30),
        || {
            rig.sent_to(CITIZEN)
                .iter()
                .any(|t| t.contains(&anon) && t.contains("Sedang kami periksa"))
        },
        || format!("{:?}", rig.sent_to(CITIZEN)),
    );
    assert_no_identity(&d);
}

fn assert_clean_of_citizen(what: &str, text: &str) {
    common::needles::assert_clean(what, text.as_bytes());
}

/// The other paths: an agency passes a report on (the new agency's clock
/// starts); closing by PUAS then an admin (rule 1), by TUTUP (rule 2), by an
/// admin ending a dispute with a reason (rule 4); a request for information
/// answered (verification resumes) and one never answered (archived after 10
/// working days).
#[test]
fn pass_on_closing_rules_and_information_requests() {
    let (rig, clock) = rig();
    let d = rig.start();
    let admin = token(&d, &["admin", "token", "siti"]);
    let bogor = token(&d, &["officer", "token", "--agency", AGENCY, "budi"]);
    let other_agency = "kab-32.02";
    let sukabumi = token(&d, &["officer", "token", "--agency", other_agency, "ani"]);
    let path = |id: &str, what: &str| format!("/v1/admin/reports/{id}/{what}");
    let respond = |token: &str, id: &str, text: &str| {
        let before = rig.sent_to(CITIZEN).len();
        let r = call(
            &d,
            "POST",
            &format!("/v1/agency/reports/{id}/responses"),
            token,
            json!({"text": text}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        next_sms(&rig, &d, before, "the response SMS");
    };
    let forward = |id: &str| {
        let before = rig.sent_to(CITIZEN).len();
        let r = call(
            &d,
            "POST",
            &format!("/v1/admin/reports/{id}/forward"),
            &admin,
            json!({"agencies": [AGENCY]}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        next_sms(&rig, &d, before, "the forwarded SMS");
    };

    // Passed on: Sukabumi's clock starts; Bogor no longer has it open.
    let a = tracking_id_in(&rig.ask(&d, CITIZEN, "Jembatan gantung di perbatasan rusak"));
    forward(&a);
    clock.set("2026-12-03T09:00");
    let r = call(
        &d,
        "POST",
        &format!("/v1/agency/reports/{a}/pass"),
        &bogor,
        json!({"agency": other_agency, "reason": "lokasi di wilayah Sukabumi"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let theirs = call(&d, "GET", "/v1/agency/reports", &sukabumi, Value::Null).json();
    let item = theirs["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_id"] == a.as_str())
        .expect("with the new agency")
        .clone();
    assert!(
        item["forwarded_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-03"),
        "{item}"
    );
    let ours = call(&d, "GET", "/v1/agency/reports", &bogor, Value::Null).json();
    assert!(!ours.to_string().contains(&a), "{ours}");
    assert_eq!(
        call(
            &d,
            "POST",
            &format!("/v1/agency/reports/{a}/responses"),
            &bogor,
            json!({"text": "x"})
        )
        .status,
        409
    );

    // Rule 1: PUAS, then an admin closes.
    respond(&sukabumi, &a, "Jembatan sudah diperbaiki.");
    let puas = rig.ask(&d, CITIZEN, &format!("PUAS {a}"));
    assert!(!puas.contains("masih diproses"), "{puas}");
    assert_eq!(state_of(&d, &a), "menunggu_penutupan");
    assert_eq!(report_show(&d, &a)["colour"], "kuning");
    let before = rig.sent_to(CITIZEN).len();
    assert_eq!(
        call(&d, "POST", &path(&a, "close"), &admin, Value::Null).status,
        200
    );
    next_sms(&rig, &d, before, "the closing SMS");
    assert_eq!(state_of(&d, &a), "selesai");

    // Rule 2: TUTUP.
    let b = tracking_id_in(&rig.ask(&d, CITIZEN, "Lampu lalu lintas mati di simpang tiga"));
    forward(&b);
    respond(&bogor, &b, "Sudah kami laporkan ke Dishub.");
    rig.ask(&d, CITIZEN, &format!("TUTUP {b}"));
    assert_eq!(state_of(&d, &b), "selesai");
    assert!(report_show(&d, &b)["events"]
        .to_string()
        .contains("\"rule\":\"tutup\""));

    // Rule 4: an endless dispute, closed by an admin with the reason.
    let c = tracking_id_in(&rig.ask(&d, CITIZEN, "Pelayanan kantor kecamatan tidak memuaskan"));
    forward(&c);
    respond(&bogor, &c, "Kami sudah menegur petugas.");
    rig.ask(&d, CITIZEN, &format!("BALAS {c} tidak puas"));
    assert_eq!(
        call(&d, "POST", &path(&c, "close"), &admin, Value::Null).status,
        422,
        "a dispute needs its reason"
    );
    let before = rig.sent_to(CITIZEN).len();
    let r = call(
        &d,
        "POST",
        &path(&c, "close"),
        &admin,
        json!({"reason": "keberatan berulang tanpa data baru"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    next_sms(&rig, &d, before, "the closing SMS");
    assert!(report_show(&d, &c)["events"]
        .to_string()
        .contains("\"rule\":\"sengketa\""));

    // A request for information, answered: back to verification.
    let e = tracking_id_in(&rig.ask(&d, CITIZEN, "Ada pungli"));
    let before = rig.sent_to(CITIZEN).len();
    assert_eq!(
        call(
            &d,
            "POST",
            &path(&e, "request-info"),
            &admin,
            json!({"question": "Di kantor mana dan kapan?"})
        )
        .status,
        200
    );
    assert!(next_sms(&rig, &d, before, "the question by SMS").contains("Di kantor mana"));
    assert_eq!(state_of(&d, &e), "menunggu_info");
    rig.ask(
        &d,
        CITIZEN,
        &format!("BALAS {e} Kantor kelurahan Cibinong, Senin lalu"),
    );
    assert_eq!(state_of(&d, &e), "diterima");
    // The exchange during verification is not public.
    assert!(!d
        .get(&format!("/v1/reports/{e}/thread"))
        .text()
        .contains("Senin lalu"));

    // A request never answered: archived after 10 working days.
    clock.set("2026-12-04T09:00");
    let f = tracking_id_in(&rig.ask(&d, CITIZEN, "Ada masalah"));
    assert_eq!(
        call(
            &d,
            "POST",
            &path(&f, "request-info"),
            &admin,
            json!({"question": "Masalah apa?"})
        )
        .status,
        200
    );
    clock.set("2026-12-17T20:00");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(state_of(&d, &f), "menunggu_info");
    clock.set("2026-12-19T08:00");
    wait_state(&d, &f, "diarsipkan");
    assert_eq!(report_show(&d, &f)["colour"], "abu-abu");
}
