//! Reporter identities at rest: store reports from every channel with known
//! test identities, then search the raw SQLite file (and its WAL) and a
//! `pg_dump` of the PostgreSQL store, byte by byte, for every form each identity
//! could take. Also: a store written by the code before identity protection
//! (schema version 1, plaintext), upgraded in place, must keep no trace either.
//!
//! THE SEARCH IS DEFINED IN `tests/common/needles.rs` (`needles`). Each
//! channel's own tests add the identities that channel produces to the same
//! search (the SMS channel's end-to-end tests search their stores and logs with
//! it too): the messages below already use the shapes the SMS (E.164 sender, raw PDU),
//! Twitter (user id, handle, tweet id), email (address, raw mail, Message-ID)
//! and webhook (partner user id, name, contacts) channels hand to the intake.

use std::path::Path;
use std::sync::Arc;

use lapor::privacy::{Keyring, KeyringHandle};
use lapor::store::Store;
use lapor_channel::{Address, Channel, InboundMessage, IntakeHandle, Reporter};

mod common;
use common::needles::*;

/// A DELIVER PDU from +6281234567890 as a modem lists it (hex text).
const PDU: &str = "07912618010000F0040D91261832547698F00000622182915402230BD3B29B0C0A83C661F71B";

/// One message per channel, each with its test identities.
fn messages() -> Vec<InboundMessage> {
    let base = |channel, id: &str, text: &str| InboundMessage {
        channel,
        message_id: id.to_string(),
        fingerprint: None,
        reporter: Reporter::default(),
        text: text.to_string(),
        anonymous: false,
        confidential: false,
        kind: None,
        category: None,
        location: None,
        attachments: vec![],
        received_at_ms: 1_790_000_000_000,
        raw: None,
        incomplete: None,
    };
    let mut sms = base(
        Channel::Sms,
        "SM:3:261120175024",
        "Jalan rusak di Kota Bandung",
    );
    sms.reporter.address = Some(Address::Phone {
        number: "+6281234567890".into(),
    });
    sms.raw = Some(format!("+CMGR: 0,,35\r\n{PDU}\r\n").into_bytes());
    let mut tw = base(Channel::Twitter, TWEET_ID, "#lapor obat kosong @kemenkes");
    tw.reporter.address = Some(Address::Twitter {
        user_id: TWITTER_ID.into(),
        handle: HANDLE.into(),
    });
    tw.reporter.name = Some(NAMES[1].into());
    tw.raw = Some(
        format!(
            "{{\"id\":\"{TWEET_ID}\",\"author_id\":\"{TWITTER_ID}\",\"username\":\"{HANDLE}\"}}"
        )
        .into_bytes(),
    );
    let mut mail = base(Channel::Email, MAIL_ID, "Pungli di kantor kelurahan");
    mail.reporter.address = Some(Address::Email {
        address: EMAIL.into(),
    });
    mail.reporter.name = Some(NAMES[2].into());
    mail.anonymous = true;
    mail.raw = Some(
        format!(
            "From: {} <{EMAIL}>\r\nMessage-ID: {MAIL_ID}\r\n\r\nPungli.\r\n",
            NAMES[2]
        )
        .into_bytes(),
    );
    let mut wh = base(
        Channel::Webhook,
        "portal:msg_1",
        "Listrik padam tiga hari @pln",
    );
    wh.reporter.address = Some(Address::Partner {
        source: "portal".into(),
        user_id: PARTNER_UID.into(),
    });
    wh.reporter.name = Some(NAMES[0].into());
    wh.reporter.contacts = vec![
        Address::Phone {
            number: PHONE_CONTACT.into(),
        },
        Address::Email {
            address: EMAIL_CONTACT.into(),
        },
    ];
    wh.confidential = true;
    vec![sms, tw, mail, wh]
}

async fn fill(store: Arc<dyn Store>, keys: Keyring) -> Vec<String> {
    let catalog = lapor::routing::Catalog::load(&lapor::settings::Routing {
        agencies: vec!["builtin".into()],
        rules: vec!["builtin".into()],
        forward_threshold: 0.9,
    })
    .unwrap();
    let (intake, writer) = lapor::intake::IntakeService::start(
        store,
        Arc::new(lapor::routing::Router::new(catalog)),
        Arc::new(KeyringHandle::fixed(keys)),
        Arc::new(lapor::metrics::Metrics::default()),
        lapor::intake::IntakeConfig {
            forward_threshold: 0.9,
            attachments_dir: None,
            max_attachment_bytes: 1 << 20,
            batch_max: 16,
            queue_capacity: 16,
            deadlines: None,
        },
    )
    .await
    .unwrap();
    let handle = IntakeHandle::new(intake.clone());
    let mut ids = Vec::new();
    for m in messages() {
        let r = handle.submit(m.clone()).await.unwrap();
        assert!(r.created);
        // The same channel message again is the same report: the blind index
        // deduplicates without the id in clear.
        assert_eq!(handle.submit(m).await.unwrap().tracking_id, r.tracking_id);
        ids.push(r.tracking_id);
    }
    intake.close();
    writer.await.unwrap();
    ids
}

fn sqlite_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("t.db"))
        // A -wal or -shm file may go away between listing and reading (the
        // last connection closing checkpoints it into the database file).
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p.display().to_string(), b)))
        .collect()
}

#[tokio::test]
async fn no_identity_in_the_sqlite_file_or_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = lapor::store::open(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let keys = Keyring::generate();
    let ids = fill(store.clone(), keys.clone()).await;
    // Look while the WAL still holds the fresh pages, then again after close.
    let files = sqlite_files(dir.path());
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-wal") && !b.is_empty()),
        "expected a WAL"
    );
    for (name, bytes) in &files {
        assert_clean(name, bytes);
    }
    // The identities are there, sealed: an operator with the key opens them.
    let minter = lapor::tracking::Minter::new(&store.tracking_key().await.unwrap());
    let id0 = lapor::tracking::parse(&ids[0]).unwrap();
    let r = lapor::lookup::report(&*store, &minter, id0)
        .await
        .unwrap()
        .unwrap();
    let rec = store.reporter(r.id).await.unwrap().unwrap();
    let id = lapor::identity::open(&keys, r.id, &rec).unwrap();
    assert_eq!(id.address.as_deref(), Some("+6281234567890"));
    assert!(String::from_utf8(id.raw.unwrap()).unwrap().contains(PDU));
    // Which reports does this number have? Through the blind index only.
    let index = lapor::privacy::cipher::blind_index(&keys, "addr:phone", "+6281234567890");
    let mine = store.reports_by_address_index(&index).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0, ids[0]);
    store.close().await;
    for (name, bytes) in sqlite_files(dir.path()) {
        assert_clean(&name, &bytes);
    }
}

fn pg_dump(url: &str) -> Vec<u8> {
    let out = std::process::Command::new("pg_dump")
        .arg("--no-owner")
        .arg(url)
        .output()
        .expect("pg_dump (Debian postgresql-client) is needed; scripts/test.sh installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
async fn no_identity_in_a_pg_dump() {
    let Some(db) = lapor::testing::pg::FreshDb::create().await else {
        return;
    };
    let store = lapor::store::open(&db.url, 4).await.unwrap();
    store.migrate().await.unwrap();
    fill(store.clone(), Keyring::generate()).await;
    store.close().await;
    let dump = pg_dump(&db.url);
    assert!(
        find(&dump, b"COPY public.reporters"),
        "the dump has the reporters table"
    );
    assert_clean("pg_dump", &dump);
    db.drop().await;
}

/// Writes reports as the code before identity protection did: schema version
/// 1 only, identities in plaintext columns.
async fn legacy_fill(pool_url: &str, postgres: bool) {
    let migrator = if postgres {
        sqlx::migrate!("./migrations/postgres")
    } else {
        sqlx::migrate!("./migrations/sqlite")
    };
    let first = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(migrator.migrations[..1].to_vec()),
        ..migrator
    };
    macro_rules! fill_with {
        ($pool:expr, $t:expr, $f:expr) => {{
            let pool = $pool;
            first.run(&pool).await.unwrap();
            for (i, m) in messages().into_iter().enumerate() {
                let id = i as i64 + 1;
                let (kind, address) = match &m.reporter.address {
                    Some(Address::Phone { number }) => ("phone", number.clone()),
                    Some(Address::Email { address }) => ("email", address.clone()),
                    Some(Address::Twitter { user_id, handle }) => (
                        "twitter",
                        format!("{{\"handle\":\"{handle}\",\"user_id\":\"{user_id}\"}}"),
                    ),
                    Some(Address::Partner { source, user_id }) => (
                        "partner",
                        format!("{{\"source\":\"{source}\",\"user_id\":\"{user_id}\"}}"),
                    ),
                    None => ("none", String::new()),
                };
                let contacts = (!m.reporter.contacts.is_empty()).then(|| {
                    format!("[{{\"kind\":\"phone\",\"value\":\"+6281399998888\"}},{{\"kind\":\"email\",\"value\":\"{EMAIL_CONTACT}\"}}]")
                });
                sqlx::query(
                    "INSERT INTO reports (id, tracking_id, channel, message_id, kind, body, received_at, \
                     created_at, updated_at, state, weight, anonymous, confidential, routing) \
                     VALUES ($1, $2, $3, $4, 'pengaduan', $5, 1, 1, 1, 'diterima', 'sedang', $6, $7, '{}')",
                )
                .bind(id)
                .bind(format!("{:010}", 1_000_000_000 + id))
                .bind(m.channel.as_str())
                .bind(&m.message_id)
                .bind(&m.text)
                .bind($t(m.anonymous))
                .bind($t(m.confidential))
                .execute(&pool)
                .await
                .unwrap();
                sqlx::query("INSERT INTO message_keys (channel, dedupe_key, report_id) VALUES ($1, $2, $3)")
                    .bind(m.channel.as_str())
                    .bind(m.message_id.as_bytes().to_vec())
                    .bind(id)
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query(
                    "INSERT INTO reporters (report_id, address_kind, address, name, contacts, raw) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(kind)
                .bind(address)
                .bind(&m.reporter.name)
                .bind(contacts)
                .bind(&m.raw)
                .execute(&pool)
                .await
                .unwrap();
            }
            $f(&pool).await;
            pool.close().await;
        }};
    }
    if postgres {
        fill_with!(
            sqlx::PgPool::connect(pool_url).await.unwrap(),
            |b: bool| b,
            |_p: &sqlx::PgPool| async {}
        );
    } else {
        let opts: sqlx::sqlite::SqliteConnectOptions = pool_url.parse().unwrap();
        fill_with!(
            sqlx::SqlitePool::connect_with(
                opts.create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            )
            .await
            .unwrap(),
            |b: bool| b as i64,
            |p: &sqlx::SqlitePool| {
                let p = p.clone();
                async move {
                    // Half of the plaintext in the main file, half still in the WAL.
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&p)
                        .await
                        .unwrap();
                    sqlx::query("UPDATE reporters SET name = name WHERE report_id = 1")
                        .execute(&p)
                        .await
                        .unwrap();
                }
            }
        );
    }
}

fn settings_for(data_dir: &Path, url: &str) -> lapor::settings::Settings {
    lapor::settings::load(
        None,
        vec![
            (
                "LAPORD__STORE__DATA_DIR".into(),
                data_dir.display().to_string(),
            ),
            ("LAPORD__STORE__URL".into(), url.to_string()),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn a_plaintext_store_from_before_is_sealed_by_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    legacy_fill(&url, false).await;
    // The old store does hold the identities in clear: the search can see them.
    let before: Vec<u8> = sqlite_files(dir.path())
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    assert!(find(&before, PARTNER_UID.as_bytes()));
    assert!(find(&before, b"+6281234567890"));
    // And the search itself fails on them (the test can fail).
    assert!(std::panic::catch_unwind(|| assert_clean("the old store", &before)).is_err());

    let settings = settings_for(dir.path(), &url);
    let store = lapor::daemon::open_store(&settings).await.unwrap();
    let keys = lapor::daemon::identity_keys(&settings, &*store)
        .await
        .unwrap();
    assert!(
        dir.path().join("identity.key").exists(),
        "the default key was generated"
    );
    assert!(store.legacy_identities(10).await.unwrap().is_empty());
    let r = store.report_by_id(4).await.unwrap().unwrap();
    let rec = store.reporter(4).await.unwrap().unwrap();
    let id = lapor::identity::open(&keys.get(), r.id, &rec).unwrap();
    assert_eq!(id.name.as_deref(), Some(NAMES[0]));
    assert!(id.contacts.unwrap().contains(EMAIL_CONTACT));
    store.close().await;
    for (name, bytes) in sqlite_files(dir.path()) {
        assert_clean(&name, &bytes);
    }
    // A retry of an old message still finds its report (dedupe re-keyed).
    let store = lapor::daemon::open_store(&settings).await.unwrap();
    let keys = lapor::daemon::identity_keys(&settings, &*store)
        .await
        .unwrap();
    let key = lapor::identity::message_key(&keys.get(), "twitter", TWEET_ID);
    let again = messages_as_new(&keys.get(), 2, key);
    let out = store.commit_intake(&[&again]).await.unwrap();
    assert!(
        matches!(out[0], lapor::store::IntakeOutcome::Duplicate { .. }),
        "{out:?}"
    );
    store.close().await;
}

fn messages_as_new(keys: &Keyring, id: i64, dedupe_key: Vec<u8>) -> lapor::store::NewReport {
    lapor::store::NewReport {
        id: 1000 + id,
        tracking_id: "1111111111".into(),
        channel: "twitter".into(),
        message_id_enc: lapor::privacy::cipher::seal(
            keys,
            lapor::privacy::cipher::Field::MessageId,
            1000 + id,
            TWEET_ID.as_bytes(),
        ),
        identity_key_id: i64::from(keys.active().0),
        dedupe_key,
        fingerprint: None,
        kind: "pengaduan".into(),
        category: None,
        body: "x".into(),
        region_code: None,
        latitude: None,
        longitude: None,
        received_at: 1,
        created_at: 1,
        state: "diterima".into(),
        agency: None,
        weight: "sedang".into(),
        anonymous: false,
        confidential: false,
        routing: "{}".into(),
        reporter: None,
        attachments: vec![],
        events: vec![],
        enqueue: vec![],
        outbox: vec![],
        verify_due_at: None,
        forwarded_at: None,
        assignments: vec![],
    }
}

#[tokio::test]
async fn a_plaintext_postgres_store_is_sealed_by_the_upgrade() {
    let Some(db) = lapor::testing::pg::FreshDb::create().await else {
        return;
    };
    legacy_fill(&db.url, true).await;
    assert!(
        find(&pg_dump(&db.url), PARTNER_UID.as_bytes()),
        "plaintext before"
    );
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(dir.path(), &db.url);
    let store = lapor::daemon::open_store(&settings).await.unwrap();
    lapor::daemon::identity_keys(&settings, &*store)
        .await
        .unwrap();
    store.close().await;
    assert_clean("pg_dump after the upgrade", &pg_dump(&db.url));
    db.drop().await;
}
