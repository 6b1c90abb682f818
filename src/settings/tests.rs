use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_embedded_defaults_are_valid() {
    let s = load(None, env(&[])).unwrap();
    assert_eq!(s.http.listen, "127.0.0.1:8080");
    assert!(s.store_url().starts_with("sqlite://"));
    assert!(s.store_url().ends_with("lapord.db"));
    assert_eq!(s.validate(), vec![]);
}

#[test]
fn environment_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lapord.toml");
    std::fs::write(
        &file,
        "[http]\nlisten = \"127.0.0.1:7000\"\n[store]\nmax_connections = 3\n",
    )
    .unwrap();
    let s = load(
        Some(&file),
        env(&[
            ("LAPORD__HTTP__LISTEN", "127.0.0.1:9000"),
            (
                "LAPORD__CHANNELS__WEBHOOK__SOURCES__PORTAL__SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(s.http.listen, "127.0.0.1:9000");
    assert_eq!(s.store.max_connections, 3);
    let portal = &s.channels.webhook.sources["portal"];
    assert_eq!(portal.secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_eq!(portal.rate_per_second, 200);
    assert_eq!(s.validate(), vec![]);
}

#[test]
fn every_problem_is_listed_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lapord.toml");
    std::fs::write(
        &file,
        r#"
[http]
listen = "nowhere"
lisen = "typo"
[store]
url = "mysql://x"
[log]
format = "xml"
[channels.webhook.sources.portal]
secret = "not-a-secret"
rate_per_second = 0
[channels.webhook.sources.other]
secret = "file:/nonexistent/secret"
"#,
    )
    .unwrap();
    let s = load(Some(&file), env(&[])).unwrap();
    let keys: Vec<String> = s.validate().into_iter().map(|p| p.key).collect();
    for k in [
        "http.lisen",
        "http.listen",
        "store.url",
        "log.format",
        "channels.webhook.sources.portal.secret",
        "channels.webhook.sources.portal.rate_per_second",
        "channels.webhook.sources.other.secret",
    ] {
        assert!(keys.contains(&k.to_string()), "{k} missing from {keys:?}");
    }
}

#[test]
fn secrets_can_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("portal.secret");
    std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").unwrap();
    assert_eq!(
        resolve_secret(&format!("file:{}", secret.display())).unwrap(),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    );
}
