//! Masking identities for logs: `0812****7890`, `b***@example.org`, `@l***`.
//! Full values appear only when the operator sets
//! `log.reveal_identities_dangerously = true`, which the daemon announces at
//! warn level on every start.

use std::sync::atomic::{AtomicBool, Ordering};

static REVEAL: AtomicBool = AtomicBool::new(false);

/// Set once at start from `log.reveal_identities_dangerously`.
pub fn set_reveal(reveal: bool) {
    REVEAL.store(reveal, Ordering::SeqCst);
}

fn reveal() -> bool {
    REVEAL.load(Ordering::Relaxed)
}

/// A phone number: the first four and last four digits, the rest starred
/// (`+6281234567890` → `+628****7890`); short ones are all starred.
pub fn phone(p: &str) -> String {
    if reveal() {
        return p.to_string();
    }
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// An email address: the first letter of the local part, then the domain.
pub fn email(e: &str) -> String {
    if reveal() {
        return e.to_string();
    }
    match e.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// A handle or user name: its first letter.
pub fn handle(h: &str) -> String {
    if reveal() {
        return h.to_string();
    }
    let h = h.trim_start_matches('@');
    let first: String = h.chars().take(1).collect();
    format!("@{first}***")
}

/// An opaque id (a user id, a tweet id): only its length.
pub fn opaque(id: &str) -> String {
    if reveal() {
        return id.to_string();
    }
    format!("<{} chars>", id.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_documented() {
        assert_eq!(phone("081234567890"), "0812****7890");
        assert_eq!(phone("+6281234567890"), "+628****7890");
        assert_eq!(phone("1708"), "****");
        assert_eq!(email("budi@example.org"), "b***@example.org");
        assert_eq!(handle("@lapor_tester"), "@l***");
        assert_eq!(opaque("1234567890123"), "<13 chars>");
    }
}

/// Free text made fit for a public page: phone numbers (a leading 0 or +62
/// and nine digits or more, spaces, dots and dashes allowed between them),
/// any run of eleven digits or more (a 16-digit NIK included) and email
/// addresses are replaced. Ten digits not starting with 0 stay: that is how
/// a tracking ID looks.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if is_email(word) {
            let tail = &word[word.trim_end_matches(|c: char| !c.is_alphanumeric()).len()..];
            out.push_str("[email disamarkan]");
            out.push_str(tail);
        } else {
            out.push_str(word);
        }
    }
    redact_numbers(&out)
}

fn is_email(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric());
    match w.split_once('@') {
        Some((user, host)) => !user.is_empty() && host.contains('.') && !host.starts_with('.'),
        None => false,
    }
}

fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()));
        if !starts {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The whole run: digits with single separators between them.
        let mut j = i + usize::from(chars[i] == '+');
        let mut digits = String::new();
        let mut end = j;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
                end = j;
            } else if matches!(chars[j], ' ' | '-' | '.')
                && chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
            {
                j += 1;
            } else {
                break;
            }
        }
        let phone_like = (digits.starts_with('0') || digits.starts_with("62") || chars[i] == '+')
            && digits.len() >= 9;
        if phone_like || digits.len() >= 11 {
            out.push_str("[nomor disamarkan]");
        } else {
            out.extend(&chars[i..end]);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod redact_tests {
    use super::redact_text;

    #[test]
    fn phones_niks_and_emails_are_masked_tracking_ids_stay() {
        let t = redact_text(
            "Hubungi saya di 0812-3456-7890 atau +62 812 3456 7890, NIK 3201234567890123, \
             email budi.santoso@example.org. Laporan 1234567890 sudah 3 hari.",
        );
        assert!(!t.contains("3456-7890") && !t.contains("812 3456"), "{t}");
        assert!(
            t.contains("[email disamarkan]. Laporan"),
            "punctuation kept: {t}"
        );
        assert!(!t.contains("3201234567890123"), "{t}");
        assert!(!t.contains("budi.santoso"), "{t}");
        assert!(t.contains("1234567890"), "{t}");
        assert!(t.contains("3 hari"), "{t}");
        assert_eq!(redact_text("jalan rusak 2 km"), "jalan rusak 2 km");
    }
}
