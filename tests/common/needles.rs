//! THE SEARCH FOR REPORTER IDENTITIES AT REST AND IN LOGS IS DEFINED HERE.
//! Every test identity of every channel, in every form it could take (each
//! normalised phone form, UTF-16 both ways, hex, and the swapped-digit form a
//! phone number has inside a PDU). `tests/identity_at_rest.rs` fills a store
//! from every channel's shapes and searches the SQLite file, its WAL and a
//! pg_dump; `tests/sms.rs` searches the store and the debug logs of real SMS
//! runs. A new channel adds its test identities here.

#![allow(dead_code)]

pub const PHONE_SMS: &str = "081234567890";
pub const PHONE_CONTACT: &str = "0813-9999-8888";
pub const EMAIL: &str = "pelapor.rahasia@example.org";
pub const EMAIL_CONTACT: &str = "siti.rahayu@example.org";
pub const TWITTER_ID: &str = "1447393022093254659";
pub const HANDLE: &str = "lapor_tester_77";
pub const TWEET_ID: &str = "1863720591273645056";
pub const MAIL_ID: &str = "<CAF4711.rahasia@mail.example.org>";
pub const PARTNER_UID: &str = "portal-user-4711";
pub const NAMES: [&str; 3] = ["Siti Rahayu", "Tester Tujuh", "Pelapor Rahasia"];

/// Every byte sequence that would betray one phone number.
pub fn phone_needles(local: &str) -> Vec<Vec<u8>> {
    let digits: String = local.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = digits.trim_start_matches('0').to_string(); // 81234567890
    let e164 = format!("+62{national}");
    let intl = format!("62{national}");
    let mut texts = vec![format!("0{national}"), intl.clone(), e164, national.clone()];
    if local.contains('-') {
        texts.push(local.to_string());
    }
    // The semi-octet (swapped-digit) form inside a PDU, binary and as hex text.
    let mut padded = intl.clone().into_bytes();
    if padded.len() % 2 == 1 {
        padded.push(b'F');
    }
    let swapped: Vec<u8> = padded
        .chunks(2)
        .map(|p| {
            let hi = (p[1] as char).to_digit(16).unwrap() as u8;
            let lo = (p[0] as char).to_digit(16).unwrap() as u8;
            (hi << 4) | lo
        })
        .collect();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for t in &texts {
        out.extend(text_forms(t));
    }
    out.push(swapped.clone());
    out.push(hex::encode_upper(&swapped).into_bytes());
    out.push(hex::encode(&swapped).into_bytes());
    out
}

/// A string as UTF-8, UTF-16 (both orders), and as hex text of its UTF-8.
pub fn text_forms(s: &str) -> Vec<Vec<u8>> {
    let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    vec![
        s.as_bytes().to_vec(),
        le,
        be,
        hex::encode(s.as_bytes()).into_bytes(),
    ]
}

/// The whole search: every identity of every test reporter, in every form.
pub fn needles() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for p in [PHONE_SMS, PHONE_CONTACT] {
        for n in phone_needles(p) {
            v.push((format!("phone {p}"), n));
        }
    }
    let mut texts: Vec<String> = vec![
        EMAIL.into(),
        EMAIL_CONTACT.into(),
        TWITTER_ID.into(),
        HANDLE.into(),
        format!("@{HANDLE}"),
        TWEET_ID.into(),
        MAIL_ID.into(),
        PARTNER_UID.into(),
    ];
    texts.extend(NAMES.iter().map(|n| n.to_string()));
    for t in texts {
        for n in text_forms(&t) {
            v.push((t.clone(), n));
        }
    }
    v
}

pub fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts no needle occurs in `bytes`; `what` names the file.
pub fn assert_clean(what: &str, bytes: &[u8]) {
    let lower = bytes.to_ascii_lowercase();
    for (name, needle) in needles() {
        let n = needle.to_ascii_lowercase();
        assert!(
            !find(&lower, &n),
            "{name} found in {what} (as {:?})",
            String::from_utf8_lossy(&needle)
        );
    }
}
