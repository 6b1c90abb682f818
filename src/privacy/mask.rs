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
