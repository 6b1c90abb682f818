//! The storage story, told once and run against both backends: SQLite on a temp
//! file and PostgreSQL at 127.0.0.1:5432 (a fresh database per test, dropped
//! after, so tests run in parallel). Without PostgreSQL the PostgreSQL half is
//! skipped with a message, except under CI, where it fails.

use std::sync::Arc;

use super::*;
use crate::testing::pg::FreshDb;

fn report(id: i64, key: &str, fingerprint: u8) -> NewReport {
    NewReport {
        id,
        tracking_id: format!("{:010}", 1_000_000_000 + id),
        channel: "webhook".into(),
        message_id_enc: format!("sealed:{key}").into_bytes(),
        identity_key_id: 7,
        dedupe_key: key.as_bytes().to_vec(),
        fingerprint: Some(vec![fingerprint; 32]),
        kind: "pengaduan".into(),
        category: Some("jalan".into()),
        body: format!("laporan {id}"),
        region_code: Some("32.73".into()),
        latitude: Some(-6.9),
        longitude: Some(107.6),
        received_at: 1_700_000_000_000 + id,
        created_at: 1_700_000_000_100 + id,
        state: "diteruskan".into(),
        agency: Some("kemenkes".into()),
        weight: "sedang".into(),
        anonymous: id % 2 == 0,
        confidential: false,
        routing: "{}".into(),
        reporter: Some(NewReporter {
            address_kind: "phone".into(),
            address_index: Some(vec![id as u8 % 2; 32]),
            identity_enc: b"sealed-identity".to_vec(),
        }),
        attachments: vec![NewAttachment {
            filename: "a.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 2,
            sha256: vec![9; 32],
            data: Some(b"hi".to_vec()),
        }],
        events: vec![
            NewEvent {
                at: 1,
                actor: "channel:webhook".into(),
                action: "diterima".into(),
                detail: "{\"n\":1}".into(),
            },
            NewEvent {
                at: 2,
                actor: "system:routing".into(),
                action: "diteruskan".into(),
                detail: "{\"n\":2}".into(),
            },
        ],
        enqueue: vec!["kemenkes".into()],
        outbox: vec![],
        verify_due_at: None,
        forwarded_at: None,
        assignments: vec![],
    }
}

async fn story(store: Arc<dyn Store>, second: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    store.ping().await.unwrap();

    // Tracking key: created once, stable.
    let k1 = store.tracking_key().await.unwrap();
    assert_eq!(k1.len(), 32);
    assert_eq!(second.tracking_key().await.unwrap(), k1);

    // Counter blocks never overlap, whichever handle asks.
    let a = store.reserve_counters(1000).await.unwrap();
    let b = second.reserve_counters(1000).await.unwrap();
    assert_eq!(a.end - a.start, 1000);
    assert!(a.end <= b.start || b.end <= a.start, "{a:?} {b:?}");

    // A batch: three new, a repeat and a conflict inside the batch.
    let r1 = report(1, "k1", 1);
    let r2 = report(2, "k2", 1);
    let r3 = report(3, "k3", 1);
    let r1_again = report(4, "k1", 1);
    let r2_other = report(5, "k2", 2);
    let out = store
        .commit_intake(&[&r1, &r2, &r1_again, &r3, &r2_other])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            IntakeOutcome::Created,
            IntakeOutcome::Created,
            IntakeOutcome::Duplicate {
                tracking_id: r1.tracking_id.clone()
            },
            IntakeOutcome::Created,
            IntakeOutcome::Conflict,
        ]
    );
    assert_eq!(store.count_reports().await.unwrap(), 3);

    // Across batches and handles: a retry is a duplicate, new content a conflict.
    let out = second
        .commit_intake(&[
            &report(6, "k3", 1),
            &report(7, "k1", 9),
            &report(8, "k8", 1),
        ])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            IntakeOutcome::Duplicate {
                tracking_id: r3.tracking_id.clone()
            },
            IntakeOutcome::Conflict,
            IntakeOutcome::Created,
        ]
    );

    // Racing commits of the same key from two handles: exactly one report.
    let (ra, rb) = (report(20, "race", 1), report(21, "race", 1));
    let (ba, bb) = ([&ra], [&rb]);
    let (x, y) = tokio::join!(store.commit_intake(&ba), second.commit_intake(&bb));
    let mut outcomes = vec![x.unwrap().remove(0), y.unwrap().remove(0)];
    outcomes.sort_by_key(|o| matches!(o, IntakeOutcome::Created));
    assert!(
        matches!(outcomes[0], IntakeOutcome::Duplicate { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], IntakeOutcome::Created);
    assert_eq!(store.count_reports().await.unwrap(), 5);
    // A key the other handle filed is known here too (SQLite: the key
    // directory catches up inside the write lock).
    assert_eq!(
        store.commit_intake(&[&report(22, "k8", 1)]).await.unwrap(),
        vec![IntakeOutcome::Duplicate {
            tracking_id: report(8, "k8", 1).tracking_id
        }]
    );
    assert_eq!(store.count_reports().await.unwrap(), 5);

    // Reading back.
    let got = store.report_by_id(2).await.unwrap().unwrap();
    assert_eq!(got.tracking_id, r2.tracking_id);
    assert_eq!(got.id, 2);
    assert_eq!(got.body, "laporan 2");
    assert_eq!(got.latitude, Some(-6.9));
    assert!(got.anonymous);
    assert!(!got.confidential);
    assert_eq!(got.updated_at, got.created_at);
    assert!(store.report_by_id(999_999).await.unwrap().is_none());
    assert_eq!(
        store.report_by_id(3).await.unwrap().unwrap().tracking_id,
        r3.tracking_id
    );
    let who = store.reporter(2).await.unwrap().unwrap();
    assert_eq!(who.identity_enc.as_deref(), Some(&b"sealed-identity"[..]));
    assert_eq!(who.address_enc, None);
    assert_eq!(got.message_id_enc.as_deref(), Some(&b"sealed:k2"[..]));
    assert_eq!(got.identity_key_id, Some(7));
    // Blind-index lookup: reports 2, 8 and the race winner are even (index 0s)…
    let even = store.reports_by_address_index(&[0; 32]).await.unwrap();
    assert!(even
        .iter()
        .any(|(t, s)| *t == r2.tracking_id && s == "diteruskan"));
    assert!(even.iter().all(|(t, _)| *t != r1.tracking_id));
    let ev = store.events(2).await.unwrap();
    assert_eq!(
        ev.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["diterima", "diteruskan"]
    );
    assert_eq!(ev[1].detail["n"], 2);
    let att = store.attachments(2).await.unwrap();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].sha256, "09".repeat(32));
    assert!(att[0].in_database);

    // Queue: reports 1, 2, 3, 8 and the race winner each put one item in kemenkes.
    assert_eq!(
        store.queue_depths().await.unwrap(),
        vec![("kemenkes".to_string(), 5)]
    );
    let now = 10_000;
    let first = store.lease("kemenkes", 3, now, now + 500).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0].item_id < w[1].item_id));
    assert!(first
        .iter()
        .all(|i| i.deliveries == 1 && i.lease_until == now + 500));
    // Leased items are not handed out again while the lease holds…
    let rest = second
        .lease("kemenkes", 10, now + 1, now + 501)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    assert!(store
        .lease("kemenkes", 10, now + 2, now + 502)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .lease("other", 10, now, now + 1)
        .await
        .unwrap()
        .is_empty());
    // …and come back once it ends, unless acknowledged.
    assert_eq!(
        store
            .ack("kemenkes", first[0].item_id, now + 3)
            .await
            .unwrap(),
        AckOutcome::Acked
    );
    assert_eq!(
        store
            .ack("kemenkes", first[0].item_id, now + 4)
            .await
            .unwrap(),
        AckOutcome::AlreadyAcked
    );
    assert_eq!(
        store.ack("other", first[1].item_id, now).await.unwrap(),
        AckOutcome::NotFound
    );
    assert_eq!(
        store.ack("kemenkes", 999_999, now).await.unwrap(),
        AckOutcome::NotFound
    );
    let again = store
        .lease("kemenkes", 10, now + 600, now + 1200)
        .await
        .unwrap();
    assert_eq!(again.len(), 4);
    assert!(again.iter().all(|i| i.item_id != first[0].item_id));
    assert!(again.iter().any(|i| i.deliveries == 2));
    assert_eq!(
        store.queue_depths().await.unwrap(),
        vec![("kemenkes".to_string(), 4)]
    );

    // Identity maintenance: key ids in use, re-sealing conditionally.
    assert_eq!(store.identity_key_ids().await.unwrap(), vec![7]);
    assert!(store.legacy_identities(10).await.unwrap().is_empty());
    let under_old = store.identities_not_under(8, 2).await.unwrap();
    assert_eq!(under_old.len(), 2);
    assert_eq!(under_old[0].report_id, 1);
    assert_eq!(under_old[0].key_id, 7);
    let write = |expected| IdentityWrite {
        report_id: 1,
        expected_key_id: expected,
        key_id: 8,
        message_id_enc: b"resealed".to_vec(),
        reporter: Some(NewReporter {
            address_kind: "phone".into(),
            address_index: Some(vec![1; 32]),
            identity_enc: b"resealed-identity".to_vec(),
        }),
        dedupe_key: None,
    };
    assert!(
        !store.write_identity(&write(Some(6))).await.unwrap(),
        "not under 6"
    );
    assert!(
        !store.write_identity(&write(None)).await.unwrap(),
        "not plaintext"
    );
    assert!(store.write_identity(&write(Some(7))).await.unwrap());
    assert!(
        !second.write_identity(&write(Some(7))).await.unwrap(),
        "already moved"
    );
    assert_eq!(store.identity_key_ids().await.unwrap(), vec![7, 8]);
    assert_eq!(
        store
            .reporter(1)
            .await
            .unwrap()
            .unwrap()
            .identity_enc
            .as_deref(),
        Some(&b"resealed-identity"[..])
    );
    assert_eq!(store.identities_not_under(8, 100).await.unwrap().len(), 4);
    store.compact().await.unwrap();

    // Audit log.
    for i in 0..3 {
        store
            .append_audit(&AuditRecord {
                at: i,
                actor: "operator:test".into(),
                action: "reveal_anonymous_identity".into(),
                tracking_id: Some(r2.tracking_id.clone()),
                reason: format!("reason {i}"),
            })
            .await
            .unwrap();
    }
    let audit = second.audit_entries(2).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.reason.as_str()).collect::<Vec<_>>(),
        ["reason 1", "reason 2"]
    );

    // Tokens: stored hashed by the caller, revocable.
    store
        .add_agency_token("kemenkes", b"hash-1", 1)
        .await
        .unwrap();
    assert_eq!(
        second.agency_for_token(b"hash-1").await.unwrap().as_deref(),
        Some("kemenkes")
    );
    assert_eq!(store.agency_for_token(b"hash-2").await.unwrap(), None);
    assert_eq!(store.revoke_agency_tokens("kemenkes", 2).await.unwrap(), 1);
    assert_eq!(store.agency_for_token(b"hash-1").await.unwrap(), None);

    outbox_and_sms(store.clone(), second.clone(), r1.id).await;
    transitions_fire_once(store, second, r2.id).await;
}

/// Two daemons on one database applying the same transition at once (the
/// scheduler closing a report, an escalation tier): exactly one applies it.
async fn transitions_fire_once(store: Arc<dyn Store>, second: Arc<dyn Store>, report_id: i64) {
    let now = 1_000_000;
    let change = |actor: &str| Change {
        report_id,
        at: now,
        from_states: vec!["diteruskan".into(), "diterima".into()],
        guard: Some("closed_at IS NULL".into()),
        update: ReportUpdate {
            state: Some("selesai".into()),
            closed_at: Some(Some(now)),
            ..Default::default()
        },
        events: vec![NewEvent {
            at: now,
            actor: actor.into(),
            action: "selesai".into(),
            detail: "{}".into(),
        }],
        new_assignments: vec![NewAssignment {
            agency: "kemenkes".into(),
            forwarded_at: now,
            due_at: now + 10,
        }],
        ..Default::default()
    };
    let before = store.events(report_id).await.unwrap().len();
    let (ca, cb) = (change("a"), change("b"));
    let (a, b) = tokio::join!(store.apply_change(&ca), second.apply_change(&cb));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one applies it");
    assert_eq!(store.events(report_id).await.unwrap().len(), before + 1);
    assert_eq!(
        store.report_by_id(report_id).await.unwrap().unwrap().state,
        "selesai"
    );
    // Escalation tiers: the same.
    let assignment = store.assignments(report_id).await.unwrap().remove(0);
    assert_eq!(store.due_escalations(now + 11, 10).await.unwrap().len(), 1);
    let tier = |actor: &str| Escalation {
        assignment_id: assignment.id,
        report_id,
        from_level: 0,
        to_level: 1,
        next_at: Some(now + 100),
        event: NewEvent {
            at: now,
            actor: actor.into(),
            action: "terlambat".into(),
            detail: "{}".into(),
        },
        enqueue: vec!["kemenkes".into()],
    };
    let (ta, tb) = (tier("a"), tier("b"));
    let (a, b) = tokio::join!(store.escalate(&ta), second.escalate(&tb));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one tier fires");
    assert!(store
        .due_escalations(now + 11, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.assignments(report_id).await.unwrap()[0].escalation_level,
        1
    );
}

fn outbound(key: &str, report_id: Option<i64>) -> NewOutbound {
    NewOutbound {
        idem_key: key.as_bytes().to_vec(),
        channel: "sms".into(),
        report_id,
        purpose: "status".into(),
        key_id: 1,
        to_enc: b"sealed".to_vec(),
        body: format!("body {key}"),
        created_at: 100,
    }
}

/// The outbox and the SMS tables: idempotent causes, leases that exclude each
/// other, retries, delivery reports, parts that are stored once.
async fn outbox_and_sms(store: Arc<dyn Store>, second: Arc<dyn Store>, report_id: i64) {
    let event = NewEvent {
        at: 50,
        actor: "reporter".into(),
        action: "pesan_pelapor".into(),
        detail: "{}".into(),
    };
    let before = store.events(report_id).await.unwrap().len();
    assert!(store
        .record_interaction(
            &outbound("o1", Some(report_id)),
            &[(report_id, event.clone())]
        )
        .await
        .unwrap());
    // The same cause again: nothing more, not even the event.
    assert!(!second
        .record_interaction(
            &outbound("o1", Some(report_id)),
            &[(report_id, event.clone())]
        )
        .await
        .unwrap());
    assert_eq!(store.events(report_id).await.unwrap().len(), before + 1);
    assert!(store
        .record_interaction(&outbound("o2", None), &[])
        .await
        .unwrap());

    // Two handles leasing at once never get the same message.
    let (a, b) = tokio::join!(
        store.outbox_lease("sms", 200, 10_000, 1),
        second.outbox_lease("sms", 200, 10_000, 1)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|i| i.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), a.len() + b.len());
    let all: Vec<_> = a.into_iter().chain(b).collect();
    assert!(!all.is_empty());
    // Leased: not due again before the lease ends.
    let leased_again = store.outbox_lease("sms", 300, 10_000, 10).await.unwrap();
    assert!(leased_again.iter().all(|i| !ids.contains(&i.id)));
    let first = &all[0];
    assert_eq!(first.attempts, 1);
    assert_eq!(first.to_enc.as_deref(), Some(&b"sealed"[..]));
    // A retry comes back after its time; sent erases the recipient.
    store
        .outbox_retry(first.id, 500, "no network")
        .await
        .unwrap();
    assert!(store
        .outbox_lease("sms", 400, 10_000, 10)
        .await
        .unwrap()
        .iter()
        .all(|i| i.id != first.id));
    let again = store.outbox_lease("sms", 600, 10_000, 10).await.unwrap();
    let again = again.iter().find(|i| i.id == first.id).expect("due again");
    assert_eq!(again.attempts, 2);
    store
        .outbox_sent(first.id, "m0", Some(42), 700)
        .await
        .unwrap();
    assert!(store
        .outbox_delivered("m0", 42, true, "TP-ST 0x00", 800)
        .await
        .unwrap());
    assert!(!store
        .outbox_delivered("m0", 43, true, "TP-ST 0x00", 800)
        .await
        .unwrap());
    let counts = store.outbox_counts().await.unwrap();
    assert!(
        counts.contains(&("sms".into(), "delivered".into(), 1)),
        "{counts:?}"
    );
    for item in leased_again {
        store
            .outbox_failed(item.id, "invalid number", 900)
            .await
            .unwrap();
    }

    // SMS parts: stored once, grouped, consumed, pruned.
    let part = |key: &str, seq: i64, at: i64| NewSmsPart {
        part_key: key.as_bytes().to_vec(),
        group_key: b"group".to_vec(),
        seq,
        total: 2,
        key_id: 1,
        pdu_enc: b"sealed pdu".to_vec(),
        modem: "m0".into(),
        received_at: at,
    };
    assert!(store.sms_store_part(&part("p2", 2, 10)).await.unwrap());
    assert!(!second.sms_store_part(&part("p2", 2, 11)).await.unwrap());
    assert!(store.sms_store_part(&part("p1", 1, 12)).await.unwrap());
    let group = store.sms_group(b"group").await.unwrap();
    assert_eq!(group.iter().map(|p| p.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(
        store.sms_groups_waiting(11).await.unwrap(),
        vec![b"group".to_vec()]
    );
    assert!(store.sms_groups_waiting(10).await.unwrap().is_empty());
    let ids: Vec<i64> = group.iter().map(|p| p.id).collect();
    store.sms_consume(&ids, 20).await.unwrap();
    assert!(store.sms_group(b"group").await.unwrap().is_empty());
    // Consumed, the same part read again is still recognised.
    assert!(!store.sms_store_part(&part("p1", 1, 30)).await.unwrap());
    assert_eq!(store.sms_prune(21).await.unwrap(), 2);
    assert!(store
        .sms_quarantine(b"q1", 1, b"sealed", "m0", "bad", 5)
        .await
        .unwrap());
    assert!(!store
        .sms_quarantine(b"q1", 1, b"sealed", "m0", "bad", 5)
        .await
        .unwrap());

    // Rotation sees sealed rows outside the reporter tables.
    let rows = store.sealed_rows_not_under(2, 100).await.unwrap();
    assert!(rows.iter().any(|r| r.table == SealedTable::SmsQuarantine));
    for row in &rows {
        assert!(store.reseal_row(row, 2, b"resealed").await.unwrap());
    }
    assert!(store
        .sealed_rows_not_under(2, 100)
        .await
        .unwrap()
        .is_empty());
    assert!(store.identity_key_ids().await.unwrap().contains(&2));
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let a = open(&url, 4).await.unwrap();
    a.migrate().await.unwrap();
    let b = open(&url, 4).await.unwrap();
    story(a.clone(), b.clone()).await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn story_on_postgres() {
    let Some(db) = FreshDb::create().await else {
        return;
    };
    let a = open(&db.url, 4).await.unwrap();
    a.migrate().await.unwrap();
    let b = open(&db.url, 4).await.unwrap();
    story(a.clone(), b.clone()).await;
    a.close().await;
    b.close().await;
    db.drop().await;
}

#[tokio::test]
async fn every_sqlite_connection_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url, 5).await.unwrap();
    // Hold every connection of the pool at once, so each is asked.
    let mut conns = Vec::new();
    for _ in 0..5 {
        conns.push(store.pool().acquire().await.unwrap());
    }
    for c in conns.iter_mut() {
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL is 2");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[tokio::test]
async fn sender_lookups_use_the_partial_index() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", sql::ADDRESS_LOOKUP))
            .bind(vec![0u8; 32])
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert!(
        plan.iter()
            .any(|(_, _, _, d)| d.contains("reporters_address_index")),
        "{plan:?}"
    );
}
