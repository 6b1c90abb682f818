//! The SMS channel end to end: the real `lapord` binary drives the modem
//! simulator over a pseudo-terminal (the real serial path), and every count is
//! taken at the real receivers: the simulator's SIM storage and the SMS it was
//! given to send, and the store.

mod common;

use std::time::Duration;

use common::rig::*;
use common::{count_reports, Daemon};
use lapor_sms::sim::Fault;

#[test]
fn sms_in_report_committed_tracking_id_out() {
    let rig = Rig::new(30);
    let d = rig.start();
    rig.sim
        .deliver_text(
            CITIZEN,
            "Jalan rusak di depan SDN 3 Sleman, mohon diperbaiki",
        )
        .unwrap();
    wait_for(
        "the acknowledgement SMS",
        Duration::from_secs(30),
        || !rig.sent_to(CITIZEN).is_empty(),
        || d.logs(),
    );
    let replies = rig.sent_to(CITIZEN);
    assert_eq!(replies.len(), 1, "{replies:?}");
    let reply = &replies[0];
    assert!(
        lapor_sms::gsm7_septets(reply).is_some_and(|n| n <= 160),
        "one GSM 7-bit segment: {reply:?}"
    );
    let id = tracking_id_in(reply);
    assert_eq!(count_reports(&d.dir), 1);
    // The SIM is emptied once the report is committed.
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(10),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    // The public status knows the ID; the operator sees the citizen's number.
    let status = d.get(&format!("/v1/reports/{id}"));
    assert_eq!(status.status, 200, "{}", status.text());
    let shown = report_show(&d, &id);
    assert_eq!(shown["channel"], "sms");
    assert!(shown.to_string().contains(CITIZEN), "{shown}");

    // CEK by SMS answers the status in one segment.
    rig.sim.deliver_text(CITIZEN, &format!("cek {id}")).unwrap();
    wait_for(
        "the CEK reply",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() == 2,
        || d.logs(),
    );
    let cek = &rig.sent_to(CITIZEN)[1];
    assert!(cek.contains(&id), "{cek}");
    assert!(lapor_sms::gsm7_septets(cek).is_some_and(|n| n <= 160));
    // Still one report: a command is not a report.
    assert_eq!(count_reports(&d.dir), 1);
    // The network's delivery reports (+CDS) mark both replies delivered.
    wait_for(
        "delivery reports",
        Duration::from_secs(10),
        || outbox_counts(&d).contains(&("sms".into(), "delivered".into(), 2)),
        || format!("{:?}\n{}", outbox_counts(&d), d.logs()),
    );
    assert_no_identity(&d);
}

#[test]
fn citizen_commands_only_the_reporter_and_confidential_answered_as_unknown() {
    let rig = Rig::with(30, None, "cek_burst = 4\ncek_misses_burst = 2");
    let d = rig.start();
    let other = "+6285711112222";
    // A confidential report.
    let ack = rig.ask(
        &d,
        CITIZEN,
        "RAHASIA pungli di kantor desa, diminta 500 ribu untuk surat",
    );
    let id = tracking_id_in(&ack);
    assert_eq!(report_show(&d, &id)["confidential"], true);
    // Its reporter sees the status; anyone else gets exactly the unknown-ID answer.
    let own = rig.ask(&d, CITIZEN, &format!("cek {id}"));
    assert!(
        own.contains(&id) && !own.contains("tidak ditemukan"),
        "{own}"
    );
    let unknown = unknown_valid_id(&id);
    let to_other = rig.ask(&d, other, &format!("CEK {id}"));
    let for_unknown = rig.ask(&d, other, &format!("CEK {unknown}"));
    assert_eq!(
        to_other.replace(&id, "X"),
        for_unknown.replace(&unknown, "X")
    );
    // A wrong check digit is "not valid", never "not found".
    let mut typo: Vec<char> = id.chars().collect();
    typo[9] = if typo[9] == '0' { '1' } else { '0' };
    let typo: String = typo.into_iter().collect();
    let invalid = rig.ask(&d, CITIZEN, &format!("cek {typo}"));
    assert!(invalid.contains("tidak valid"), "{invalid}");
    // Only the reporter may write in the thread: the same refusal for a report
    // that exists and one that does not.
    let refused = rig.ask(&d, other, &format!("BALAS {id} saya juga melihatnya"));
    let refused_unknown = rig.ask(&d, other, &format!("BALAS {unknown} saya juga melihatnya"));
    assert_eq!(
        refused.replace(&id, "X"),
        refused_unknown.replace(&unknown, "X")
    );
    let events = |d: &Daemon| report_show(d, &id)["events"].as_array().unwrap().len();
    let before = events(&d);
    let recorded = rig.ask(
        &d,
        CITIZEN,
        &format!("BALAS {id} kejadiannya setiap Senin pagi"),
    );
    assert!(recorded.contains(&id), "{recorded}");
    let shown = report_show(&d, &id);
    assert_eq!(shown["events"].as_array().unwrap().len(), before + 1);
    assert!(shown.to_string().contains("kejadiannya setiap Senin pagi"));
    // The bare "<id> text" from someone else is a new report, not a reply.
    assert_eq!(count_reports(&d.dir), 1);
    let ack2 = rig.ask(&d, other, &format!("{id} jalan di depan rumah saya rusak"));
    assert_ne!(tracking_id_in(&ack2), id);
    assert_eq!(count_reports(&d.dir), 2);
    assert_eq!(events(&d), before + 1);
    // PUAS before any agency response: still being handled.
    let early = rig.ask(&d, CITIZEN, &format!("PUAS {id}"));
    assert!(early.contains("masih diproses"), "{early}");
    // Help.
    assert!(rig.ask(&d, other, "info").contains("CEK"));
    // CEK is rate limited per sender: beyond the burst, silence.
    for _ in 0..3 {
        rig.sim
            .deliver_text(other, &format!("cek {}", tracking_id_in(&ack2)))
            .unwrap();
    }
    std::thread::sleep(Duration::from_secs(3));
    let answered = rig
        .sent_to(other)
        .iter()
        .filter(|r| r.contains(&tracking_id_in(&ack2)) && !r.contains("diterima"))
        .count();
    assert!(answered < 3, "every CEK answered: {:?}", rig.sent_to(other));
    assert_no_identity(&d);
}

#[test]
fn a_long_message_whose_part_never_comes_is_reported_incomplete() {
    let rig = Rig::new(30);
    let d = rig.start();
    let text = "Bantuan sosial tidak sampai ke warga yang berhak di RT 04 RW 02 Kelurahan Sukajadi. \
                Data penerima tidak diperbarui sejak tiga tahun, banyak warga mampu justru menerima. \
                Mohon diperiksa 🙏 dan diperbaiki secepatnya oleh dinas sosial kota.";
    let parts = ucs2_parts(CITIZEN, text, 0x21);
    assert_eq!(parts.len(), 4);
    for i in [0, 2, 3] {
        rig.sim.deliver_pdu(&parts[i]).unwrap();
    }
    // concat_wait_secs = 3: then the report is made from what arrived.
    wait_for(
        "the acknowledgement",
        Duration::from_secs(30),
        || !rig.sent_to(CITIZEN).is_empty(),
        || d.logs(),
    );
    let ack = &rig.sent_to(CITIZEN)[0];
    assert!(ack.contains("sebagian"), "{ack}");
    let shown = report_show(&d, &tracking_id_in(ack));
    let body = shown["text"].as_str().unwrap();
    assert!(body.contains("[...]"), "{body}");
    assert!(body.starts_with("Bantuan sosial"));
    assert!(
        shown["events"][0]["detail"]["incomplete"] == serde_json::json!([2]),
        "{shown}"
    );
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(10),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
}

#[test]
fn four_part_ucs2_message_out_of_order() {
    let rig = Rig::new(30);
    let d = rig.start();
    let text = "Pelayanan puskesmas sangat lambat 😡 antrean dari jam 6 pagi sampai siang belum dipanggil. \
                Petugas tidak ramah, obat sering kosong. Mohon ditindaklanjuti 🙏 ini sudah berlangsung \
                berbulan-bulan di Kecamatan Cibinong, Kabupaten Bogor. Terima kasih 🇮🇩";
    let parts = ucs2_parts(CITIZEN, text, 0x5A);
    assert_eq!(parts.len(), 4);
    for i in [2, 0, 3, 1] {
        rig.sim.deliver_pdu(&parts[i]).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    wait_for(
        "the acknowledgement",
        Duration::from_secs(30),
        || !rig.sent_to(CITIZEN).is_empty(),
        || d.logs(),
    );
    let id = tracking_id_in(&rig.sent_to(CITIZEN)[0]);
    assert_eq!(count_reports(&d.dir), 1);
    let shown = report_show(&d, &id);
    assert_eq!(shown["text"].as_str().unwrap(), text);
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(10),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    // The same four parts read again (a re-listed SIM): still one report.
    for p in &parts {
        rig.sim.deliver_pdu(p).unwrap();
    }
    wait_for(
        "the SIM to be emptied again",
        Duration::from_secs(10),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(count_reports(&d.dir), 1);
    assert_eq!(rig.sent_to(CITIZEN).len(), 1);
    assert_no_identity(&d);
}

#[test]
fn killed_between_commit_and_delete_one_report_one_reply() {
    let rig = Rig::new(30);
    // Deletes fail: the report commits but the SMS stays on the SIM, exactly
    // the state a crash between commit and delete leaves.
    rig.sim.inject(Fault::CmsError {
        command: "AT+CMGD".into(),
        code: 500,
        times: 1_000_000,
    });
    let mut d = rig.start();
    rig.sim
        .deliver_text(CITIZEN, "Lampu jalan mati sebulan di Jl. Kaliurang km 7")
        .unwrap();
    wait_for(
        "the report",
        Duration::from_secs(30),
        || count_reports(&d.dir) == 1,
        || d.logs(),
    );
    d.sigkill();
    assert_eq!(rig.sim.stored().len(), 1, "the SMS is still on the SIM");
    rig.sim.clear_faults();
    let d = rig.start();
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(30),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    wait_for(
        "the reply",
        Duration::from_secs(30),
        || !rig.sent_to(CITIZEN).is_empty(),
        || d.logs(),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count_reports(&d.dir), 1);
    assert_eq!(rig.sent_to(CITIZEN).len(), 1, "{:?}", rig.sent_to(CITIZEN));
}

#[test]
fn lost_cmti_recovered_by_listing() {
    let rig = Rig::new(30);
    let d = rig.start();
    rig.sim.inject(Fault::NoCmti);
    rig.sim
        .deliver_text(CITIZEN, "Sampah menumpuk di pasar Beringharjo")
        .unwrap();
    wait_for(
        "the report",
        Duration::from_secs(30),
        || count_reports(&d.dir) == 1,
        || d.logs(),
    );
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(10),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    wait_for(
        "the reply",
        Duration::from_secs(30),
        || rig.sent_to(CITIZEN).len() == 1,
        || d.logs(),
    );
}

#[test]
fn modem_vanishes_mid_send_and_comes_back() {
    // A slow line (1200 baud) so that a send takes long enough to cut it off.
    let rig = Rig::with_baud(30, Some(1200));
    let d = rig.start();
    rig.sim
        .deliver_text(CITIZEN, "Jembatan putus di Desa Sukamaju")
        .unwrap();
    wait_for(
        "the reply to start going out",
        Duration::from_secs(60),
        || rig.sim.commands().iter().any(|c| c.starts_with("AT+CMGS")),
        || d.logs(),
    );
    // The USB modem is unplugged in the middle of the send.
    rig.rt.block_on(rig.sim.vanish());
    assert!(
        rig.sent_to(CITIZEN).is_empty(),
        "the send was cut off before the modem took it"
    );
    assert_eq!(count_reports(&d.dir), 1);
    std::thread::sleep(Duration::from_secs(2));
    rig.rt.block_on(rig.sim.reappear()).unwrap();
    wait_for(
        "the reply after the modem came back",
        Duration::from_secs(60),
        || rig.sent_to(CITIZEN).len() == 1,
        || d.logs(),
    );
    // And the modem works on: a second message, a second report and reply.
    rig.sim
        .deliver_text("+6285700001111", "Air PDAM keruh")
        .unwrap();
    wait_for(
        "the second reply",
        Duration::from_secs(60),
        || rig.sent_to("+6285700001111").len() == 1,
        || d.logs(),
    );
    assert_eq!(count_reports(&d.dir), 2);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(rig.sent_to(CITIZEN).len(), 1);
}

#[test]
fn flood_of_500_stored_at_start() {
    let rig = Rig::new(600);
    for i in 0..500 {
        rig.sim
            .deliver_text(
                &format!("+62812{i:07}"),
                &format!("Laporan nomor {i}: jalan berlubang"),
            )
            .unwrap();
    }
    let d = rig.start();
    wait_for(
        "500 reports",
        Duration::from_secs(240),
        || count_reports(&d.dir) == 500,
        || d.logs(),
    );
    wait_for(
        "the SIM to be emptied",
        Duration::from_secs(60),
        || rig.sim.stored().is_empty(),
        || d.logs(),
    );
    wait_for(
        "500 replies",
        Duration::from_secs(240),
        || rig.sim.sent().len() >= 500,
        || d.logs(),
    );
    std::thread::sleep(Duration::from_secs(1));
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 500);
    let mut to: Vec<String> = sent.iter().map(|s| s.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 500, "one reply per citizen");
}
