use super::*;
use crate::routing::{Catalog, Directory, Rules};

fn catalog() -> Catalog {
    let mut directory = Directory::default();
    directory
        .add_toml(
            "test",
            r#"
[[agency]]
code = "kemendagri"
name = "Kementerian Dalam Negeri"
kind = "kementerian"
timezone = "Asia/Jakarta"
handles = ["kemendagri"]
[[agency]]
code = "kemenkes"
name = "Kementerian Kesehatan"
kind = "kementerian"
timezone = "Asia/Jakarta"
handles = ["kemenkes"]
aliases = ["depkes"]
[[agency]]
code = "prov-32"
name = "Pemerintah Provinsi Jawa Barat"
kind = "pemda"
parent = "kemendagri"
timezone = "Asia/Jakarta"
aliases = ["jawa barat", "provinsi jawa barat"]
region = "32"
[[agency]]
code = "kota-32.73"
name = "Pemerintah Kota Bandung"
kind = "pemda"
parent = "prov-32"
timezone = "Asia/Jakarta"
aliases = ["kota bandung", "bandung"]
region = "32.73"
[[agency]]
code = "kab-32.04"
name = "Pemerintah Kabupaten Bandung"
kind = "pemda"
parent = "prov-32"
timezone = "Asia/Jakarta"
aliases = ["kabupaten bandung", "bandung"]
region = "32.04"
"#,
        )
        .unwrap();
    let mut rules = Rules::default();
    rules
        .add_toml(
            "test",
            r#"
[[keyword]]
agency = "kemenkes"
terms = ["puskesmas"]
score = 0.5
[[category]]
code = "jalan"
label = "Jalan"
terms = ["jalan rusak", "jalan berlubang"]
[[category]]
code = "kesehatan"
label = "Kesehatan"
terms = ["puskesmas"]
[[weight]]
weight = "berat"
terms = ["pungli", "korupsi"]
[[kind]]
kind = "apresiasi"
terms = ["terima kasih"]
"#,
        )
        .unwrap();
    Catalog { directory, rules }
}

fn decide(text: &str) -> Decision {
    Router::new(catalog()).decide(text, &Stated::default())
}

#[test]
fn an_explicit_mention_is_confident() {
    let d = decide("Pelayanan lambat sekali @kemenkes tolong");
    assert_eq!(d.agency.as_deref(), Some("kemenkes"));
    assert_eq!(d.rule, "mention:@kemenkes");
    assert!(d.confidence >= 0.9, "{d:?}");
    assert_eq!(d.weight, Weight::Sedang);
    assert_eq!(d.kind, Kind::Pengaduan);
    let d = decide("#KEMENKES obat kosong");
    assert_eq!(d.agency.as_deref(), Some("kemenkes"));
}

#[test]
fn matches_whole_words_only() {
    // "depkesehatan" contains "depkes" but is not the word.
    let d = decide("ini depkesehatan");
    assert_eq!(d.agency, None);
    assert_eq!(d.confidence, 0.0);
    assert_eq!(d.rule, "none");
}

#[test]
fn a_place_name_points_at_its_local_government() {
    let d = decide("Jalan rusak di Kota Bandung sudah 3 bulan");
    assert_eq!(d.agency.as_deref(), Some("kota-32.73"));
    assert_eq!(d.category.as_deref(), Some("jalan"));
    assert!(
        d.confidence < 0.9,
        "a place is not enough to forward: {d:?}"
    );
    // A bare name shared by two governments is ambiguous.
    let d = decide("jalan berlubang di bandung");
    assert_eq!(d.suggestions.len(), 2);
    assert!(d.confidence < 0.5, "{d:?}");
}

#[test]
fn a_province_beside_its_city_does_not_lower_confidence() {
    let d = decide("jalan rusak di kota bandung, jawa barat");
    assert_eq!(d.agency.as_deref(), Some("kota-32.73"));
    assert!(d.confidence >= 0.85, "{d:?}");
}

#[test]
fn weight_and_kind_rules() {
    let d = decide("ada pungli di puskesmas");
    assert_eq!(d.weight, Weight::Berat);
    assert_eq!(d.agency.as_deref(), Some("kemenkes"));
    assert_eq!(d.rule, "keyword:puskesmas");
    let d = decide("terima kasih puskesmas");
    assert_eq!(d.kind, Kind::Apresiasi);
    assert_eq!(d.weight, Weight::Ringan);
    let d = decide("@kemenkes dan @kemendagri lalai");
    assert_eq!(d.weight, Weight::Berat, "cross-sector");
    assert!(d.confidence < 0.9);
}

#[test]
fn what_the_sender_states_wins() {
    let r = Router::new(catalog());
    let d = r.decide(
        "jalan rusak",
        &Stated {
            kind: Some(Kind::Aspirasi),
            category: Some("kesehatan"),
            region_code: Some("32.04.11"),
        },
    );
    assert_eq!(d.kind, Kind::Aspirasi);
    assert_eq!(d.category.as_deref(), Some("kesehatan"));
    assert_eq!(d.agency.as_deref(), Some("kab-32.04"));
    assert_eq!(d.rule, "region");
}
