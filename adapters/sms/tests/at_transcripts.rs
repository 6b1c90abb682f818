//! Smoke test over the shared modem notes: every fenced code block of
//! `shared/reference/at-modem-notes.md` (real transcripts and quirk lists) is fed to the
//! AT decoder, whole and byte by byte, under several pending commands. It must not panic,
//! must give the same events however the bytes are split, and must keep its buffer
//! bounded. The notes live outside the crate: missing notes fail under CI and are
//! skipped elsewhere.

use std::path::PathBuf;

use lapor_sms::at::{Decoder, Event, Urc};

fn notes() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/at-modem-notes.md");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("{} is required under CI: {e}", path.display())
        }
        Err(e) => {
            println!("SKIPPED: {} not readable: {e}", path.display());
            None
        }
    }
}

/// The fenced code blocks, with the `\r` and `\n` the notes write as text made real.
fn blocks(notes: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in notes.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => current = Some(String::new()),
            }
        } else if let Some(block) = &mut current {
            block.push_str(&line.replace("\\r", "\r").replace("\\n", "\n"));
            block.push_str("\r\n");
        }
    }
    out
}

fn decode(command: Option<&str>, bytes: &[u8], chunk: usize) -> (Vec<Event>, usize) {
    let mut d = Decoder::new();
    if let Some(c) = command {
        d.expect(c);
    }
    let mut max_buffered = 0;
    for part in bytes.chunks(chunk) {
        d.push(part);
        max_buffered = max_buffered.max(d.buffered());
    }
    (d.events().collect(), max_buffered)
}

#[test]
fn every_code_block_decodes() {
    let Some(notes) = notes() else { return };
    let blocks = blocks(&notes);
    assert!(
        blocks.len() >= 10,
        "found only {} code blocks",
        blocks.len()
    );
    let mut status_reports = 0;
    for (i, block) in blocks.iter().enumerate() {
        for command in [
            None,
            Some("AT+CMGL=4"),
            Some("AT+CMGS=23"),
            Some("AT+CREG?"),
        ] {
            let (whole, buffered) = decode(command, block.as_bytes(), block.len().max(1));
            let (bytewise, _) = decode(command, block.as_bytes(), 1);
            assert_eq!(whole, bytewise, "block {i} under {command:?}");
            assert!(buffered <= lapor_sms::at::DEFAULT_MAX_LINE);
            assert!(!whole.is_empty(), "block {i} gave no events");
            assert!(
                !whole.iter().any(|e| matches!(e, Event::Overflow { .. })),
                "block {i} overflowed"
            );
            status_reports += whole
                .iter()
                .filter(|e| matches!(e, Event::Urc(Urc::StatusReport { .. })))
                .count();
        }
    }
    // §1.3's two-line +CDS must come through whatever command is pending.
    assert!(status_reports >= 4);
}
