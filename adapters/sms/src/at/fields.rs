//! Splitting the text after `+XXX:` into comma-separated fields. Quoted fields may hold
//! commas; a missing closing quote runs to the end of the line rather than failing, and
//! whitespace around fields is dropped (Alcatel and MM captures put spaces everywhere).

/// One field of a response line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    /// The text, without surrounding quotes and whitespace.
    pub text: String,
    /// Whether the field was written in double quotes.
    pub quoted: bool,
}

impl Field {
    pub fn number<T: std::str::FromStr>(&self) -> Option<T> {
        self.text.trim().parse().ok()
    }
}

/// Splits `s` at commas outside quotes.
pub(super) fn split(s: &str) -> Vec<Field> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                quoted = true;
            }
            ',' if !in_quotes => {
                out.push(Field {
                    text: cur.trim().to_string(),
                    quoted,
                });
                cur.clear();
                quoted = false;
            }
            _ => cur.push(c),
        }
    }
    out.push(Field {
        text: cur.trim().to_string(),
        quoted,
    });
    out
}

/// The text after `prefix` (e.g. `+CSQ:`), compared ASCII case-insensitively.
pub(super) fn after_prefix<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    super::result::strip_prefix_ci(line.trim_start(), prefix).map(str::trim)
}
