//! Phone numbers to E.164 with Indonesian conventions: `0812…`, `62812…`,
//! `+62812…` and `0062812…` are one number, `+62812…`. Separators people type
//! (spaces, dashes, dots, brackets) are ignored. Numbers of other countries
//! keep their `+` form; anything else is not a phone number.

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("not a phone number: it has characters other than digits and separators")]
    NotDigits,
    #[error("not a phone number: {0} digits is outside E.164's 8 to 15")]
    BadLength(usize),
}

/// Normalises to E.164 (`+` and 8–15 digits).
pub fn normalise(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return Err(PhoneError::NotDigits),
        }
    }
    let international = if plus {
        digits
    } else if let Some(r) = digits.strip_prefix("00") {
        r.to_string()
    } else if let Some(r) = digits.strip_prefix('0') {
        format!("62{r}")
    } else if digits.starts_with("62") {
        digits
    } else if digits.starts_with('8') {
        // A mobile number typed without its trunk 0 (812…).
        format!("62{digits}")
    } else {
        digits
    };
    if !(8..=15).contains(&international.len()) {
        return Err(PhoneError::BadLength(international.len()));
    }
    Ok(format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn indonesian_forms_are_one_number() {
        for s in [
            "081234567890",
            "6281234567890",
            "+6281234567890",
            "+62 812-3456-7890",
            "0812.3456.7890",
            "(0812) 3456 7890",
            "006281234567890",
            "81234567890",
        ] {
            assert_eq!(normalise(s).unwrap(), "+6281234567890", "{s}");
        }
        assert_eq!(normalise("021-5551234").unwrap(), "+62215551234");
        assert_eq!(normalise("+14155552671").unwrap(), "+14155552671");
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        assert_eq!(normalise("TELKOMSEL"), Err(PhoneError::NotDigits));
        assert_eq!(normalise("1708"), Err(PhoneError::BadLength(4)));
        assert_eq!(normalise(""), Err(PhoneError::BadLength(0)));
        assert!(normalise("+1234567890123456").is_err());
    }

    proptest! {
        #[test]
        fn the_three_spellings_agree(n in "8[0-9]{8,11}") {
            let a = normalise(&format!("0{n}")).unwrap();
            prop_assert_eq!(&a, &normalise(&format!("62{n}")).unwrap());
            prop_assert_eq!(&a, &normalise(&format!("+62{n}")).unwrap());
            // Idempotent.
            prop_assert_eq!(&a, &normalise(&a).unwrap());
        }
    }
}
