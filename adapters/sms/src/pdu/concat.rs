//! Joining the parts of a concatenated message. Pure: the caller groups parts (by sender,
//! reference *and* part count, since references are reused) and decides how long to wait
//! for missing ones; this only orders, de-duplicates and joins.

use super::Pdu;

/// Why parts could not be joined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    /// No parts were given.
    #[error("no parts")]
    Empty,
    /// Parts belong to different messages (reference or part count differ).
    #[error("parts belong to different messages")]
    Mixed,
    /// Some parts have not arrived yet; keep waiting or give up.
    #[error("missing parts {0:?}")]
    Missing(Vec<u8>),
    /// A part carries 8-bit data, not text.
    #[error("part {0} has no text")]
    NoText(u8),
}

/// Joins the text of the parts of one message, ordered by sequence number. Duplicates
/// (the same part received twice) are ignored, the first copy wins. A single message
/// without a concatenation header assembles to its own text.
pub fn assemble<'a, I>(parts: I) -> Result<String, AssembleError>
where
    I: IntoIterator<Item = &'a Pdu>,
{
    let parts: Vec<&Pdu> = parts.into_iter().collect();
    let first = *parts.first().ok_or(AssembleError::Empty)?;
    let Some(c0) = first.concat() else {
        if parts.len() > 1 {
            return Err(AssembleError::Mixed);
        }
        return first
            .text()
            .map(str::to_string)
            .ok_or(AssembleError::NoText(1));
    };
    let total = c0.total.max(1) as usize;
    let mut slots: Vec<Option<&str>> = vec![None; total];
    for p in &parts {
        let c = p.concat().ok_or(AssembleError::Mixed)?;
        if c.reference != c0.reference || c.total != c0.total || c.ref_bits != c0.ref_bits {
            return Err(AssembleError::Mixed);
        }
        let Some(slot) = (c.seq as usize)
            .checked_sub(1)
            .and_then(|i| slots.get_mut(i))
        else {
            continue; // sequence 0 or beyond the total: not a valid part, ignore it
        };
        if slot.is_none() {
            *slot = Some(p.text().ok_or(AssembleError::NoText(c.seq))?);
        }
    }
    let missing: Vec<u8> = (1..=total)
        .filter(|&i| slots[i - 1].is_none())
        .map(|i| i as u8)
        .collect();
    if !missing.is_empty() {
        return Err(AssembleError::Missing(missing));
    }
    Ok(slots.into_iter().flatten().collect())
}
