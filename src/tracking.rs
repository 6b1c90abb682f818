//! Tracking IDs: what a citizen types on a feature-phone keypad.
//!
//! Ten digits: nine of payload and one Damm check digit, which catches every
//! single-digit error and every swap of two adjacent digits. The payload is a
//! keyed permutation (a Feistel network with cycle walking) of a counter the store
//! hands out, so IDs are unique by construction and never reused, yet reveal
//! neither volume nor order to anyone without the key, which lives in the store
//! itself (`meta.tracking_key`) so it travels with the data it must stay unique
//! against.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Digits in an ID, check digit included.
pub const LEN: usize = 10;
/// Payload values: 100000000..=999999999 (no leading zero, so the ID is always
/// ten digits whatever a spreadsheet does to it).
const DOMAIN: u64 = 900_000_000;
const OFFSET: u64 = 100_000_000;
const HALF_BITS: u32 = 15;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
const ROUNDS: u8 = 8;

/// A tracking ID that parsed and passed its check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingId(u64);

impl TrackingId {
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

/// Why a string is not a tracking ID. Both are "malformed", told apart from
/// "no such report", which only the store can say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("a tracking ID is {LEN} digits")]
    Malformed,
    #[error("the check digit does not match: a digit is mistyped")]
    BadCheckDigit,
}

const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm interim digit of a digit string; a valid string (check digit
/// appended) gives 0.
pub fn damm(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0u8, |interim, &d| DAMM[interim as usize][d as usize])
}

fn digits_of(mut n: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    for slot in v.iter_mut().rev() {
        *slot = (n % 10) as u8;
        n /= 10;
    }
    v
}

/// Parses what a citizen typed: spaces, dashes, dots and a leading `#` allowed.
pub fn parse(input: &str) -> Result<TrackingId, ParseError> {
    let s = input.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    let mut digits = Vec::with_capacity(LEN);
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c as u8 - b'0'),
            ' ' | '-' | '.' => {}
            _ => return Err(ParseError::Malformed),
        }
        if digits.len() > LEN {
            return Err(ParseError::Malformed);
        }
    }
    if digits.len() != LEN || digits[0] == 0 {
        return Err(ParseError::Malformed);
    }
    if damm(&digits) != 0 {
        return Err(ParseError::BadCheckDigit);
    }
    Ok(TrackingId(
        digits.iter().fold(0u64, |n, &d| n * 10 + d as u64),
    ))
}

/// Mints IDs from counters with a secret key.
#[derive(Clone)]
pub struct Minter {
    mac: Hmac<Sha256>,
}

impl Minter {
    pub fn new(key: &[u8]) -> Minter {
        Minter {
            mac: Hmac::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    fn round(&self, r: u8, half: u64) -> u64 {
        let mut mac = self.mac.clone();
        mac.update(&[r]);
        mac.update(&half.to_le_bytes());
        let out = mac.finalize().into_bytes();
        u64::from(u16::from_le_bytes([out[0], out[1]])) & HALF_MASK
    }

    fn feistel(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x >> HALF_BITS, x & HALF_MASK);
        for i in 0..ROUNDS {
            let next = l ^ self.round(i, r);
            l = r;
            r = next;
        }
        (l << HALF_BITS) | r
    }

    /// The permutation of 0..DOMAIN: cycle-walk the 30-bit Feistel until inside.
    fn permute(&self, counter: u64) -> u64 {
        let mut x = self.feistel(counter);
        while x >= DOMAIN {
            x = self.feistel(x);
        }
        x
    }

    fn feistel_inverse(&self, y: u64) -> u64 {
        let (mut l, mut r) = (y >> HALF_BITS, y & HALF_MASK);
        for i in (0..ROUNDS).rev() {
            let prev = r ^ self.round(i, l);
            r = l;
            l = prev;
        }
        (l << HALF_BITS) | r
    }

    /// The counter an ID was minted from: how a tracking ID finds its report
    /// without an index on the IDs.
    pub fn unmint(&self, id: TrackingId) -> Option<u64> {
        let payload = id.0 / 10;
        let mut x = payload.checked_sub(OFFSET)?;
        if x >= DOMAIN {
            return None;
        }
        x = self.feistel_inverse(x);
        while x >= DOMAIN {
            x = self.feistel_inverse(x);
        }
        Some(x)
    }

    /// The ID for a counter. Distinct counters below 900,000,000 give distinct IDs.
    pub fn mint(&self, counter: u64) -> Option<TrackingId> {
        if counter >= DOMAIN {
            return None;
        }
        let payload = self.permute(counter) + OFFSET;
        let check = damm(&digits_of(payload, LEN - 1));
        Some(TrackingId(payload * 10 + check as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn minter() -> Minter {
        Minter::new(b"test key, not a real one")
    }

    #[test]
    fn damm_known_value() {
        // The textbook example: 572 has check digit 4.
        assert_eq!(damm(&[5, 7, 2]), 4);
        assert_eq!(damm(&[5, 7, 2, 4]), 0);
    }

    #[test]
    fn parse_accepts_what_people_type() {
        let id = minter().mint(42).unwrap();
        let s = id.to_string();
        assert_eq!(s.len(), LEN);
        let spaced = format!("#{} {}-{}.{}", &s[..3], &s[3..6], &s[6..8], &s[8..]);
        assert_eq!(parse(&spaced), Ok(id));
        assert_eq!(parse(&format!("  {s} ")), Ok(id));
    }

    #[test]
    fn parse_tells_malformed_from_a_wrong_check_digit() {
        let s = minter().mint(7).unwrap().to_string();
        assert_eq!(parse(""), Err(ParseError::Malformed));
        assert_eq!(parse("12345"), Err(ParseError::Malformed));
        assert_eq!(parse(&format!("{s}0")), Err(ParseError::Malformed));
        assert_eq!(parse("12345abcde"), Err(ParseError::Malformed));
        assert_eq!(parse("0123456789"), Err(ParseError::Malformed));
        let mut wrong = s.into_bytes();
        wrong[9] = b'0' + ((wrong[9] - b'0' + 1) % 10);
        assert_eq!(
            parse(std::str::from_utf8(&wrong).unwrap()),
            Err(ParseError::BadCheckDigit)
        );
    }

    #[test]
    fn counters_do_not_show_in_ids() {
        let m = minter();
        let ids: Vec<u64> = (0..1000).map(|c| m.mint(c).unwrap().as_u64()).collect();
        let ascending = ids.windows(2).filter(|w| w[1] > w[0]).count();
        // A sequential scheme gives 999; a permutation about half.
        assert!((350..650).contains(&ascending), "{ascending}");
        // Another key gives other IDs.
        let other = Minter::new(b"another key");
        let same = (0..1000)
            .filter(|&c| other.mint(c).unwrap().as_u64() == ids[c as usize])
            .count();
        assert!(same < 3);
    }

    #[test]
    fn spread_counters_give_distinct_ids() {
        let m = minter();
        // The first 100,000 counters (what a young deployment hands out) and
        // 300,000 spread over the whole domain.
        let counters: std::collections::BTreeSet<u64> = (0..DOMAIN)
            .step_by(DOMAIN as usize / 300_000)
            .chain(0..100_000)
            .collect();
        let mut seen = HashSet::with_capacity(counters.len());
        for &c in &counters {
            assert!(seen.insert(m.mint(c).unwrap()), "collision at {c}");
        }
        assert!(m.mint(DOMAIN).is_none());
    }

    proptest! {
        #[test]
        fn every_single_digit_error_is_caught(c in 0..DOMAIN, pos in 0..LEN, delta in 1u8..10) {
            let s = minter().mint(c).unwrap().to_string().into_bytes();
            let mut t = s.clone();
            t[pos] = b'0' + (t[pos] - b'0' + delta) % 10;
            prop_assert!(parse(std::str::from_utf8(&t).unwrap()).is_err());
        }

        #[test]
        fn every_adjacent_swap_is_caught(c in 0..DOMAIN, pos in 0..LEN - 1) {
            let s = minter().mint(c).unwrap().to_string().into_bytes();
            prop_assume!(s[pos] != s[pos + 1]);
            let mut t = s.clone();
            t.swap(pos, pos + 1);
            prop_assert!(parse(std::str::from_utf8(&t).unwrap()).is_err());
        }

        #[test]
        fn unmint_inverts_mint(c in 0..DOMAIN) {
            let m = minter();
            prop_assert_eq!(m.unmint(m.mint(c).unwrap()), Some(c));
        }

        #[test]
        fn every_valid_id_unmints_to_a_counter_that_mints_it(p in OFFSET..OFFSET + DOMAIN) {
            let check = damm(&digits_of(p, LEN - 1));
            let id = parse(&format!("{}{}", p, check)).unwrap();
            let m = minter();
            let c = m.unmint(id).unwrap();
            prop_assert_eq!(m.mint(c), Some(id));
        }

        #[test]
        fn distinct_counters_give_distinct_valid_ids(a in 0..DOMAIN, b in 0..DOMAIN) {
            let m = minter();
            let (ia, ib) = (m.mint(a).unwrap(), m.mint(b).unwrap());
            prop_assert_eq!(a == b, ia == ib);
            prop_assert_eq!(parse(&ia.to_string()), Ok(ia));
        }
    }
}
