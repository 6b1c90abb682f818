//! Receiving: the sweep (`AT+CMGL=4`), reading announced messages (`+CMTI`/`+CDSI` →
//! `AT+CMGR`), and messages routed straight to us (`+CMT`/`+CDS`). Every message goes to
//! the sink first and is deleted (`AT+CMGD`) only after the sink said it is committed;
//! a refusal leaves it on the modem for the next sweep. Messages we sent that the modem
//! keeps (stat 2/3, SMS-SUBMIT) are left alone. A PDU that does not decode still goes
//! to the sink, with the error, so nothing the network delivered is lost.

use futures_util::StreamExt;

use super::api::{DeliveryReport, Received};
use super::link::Port;
use super::session::{Announced, Fault, Session};
use crate::at::{parse_cmgl, parse_cmgr, FinalResult, MessageStat, ParseError};
use crate::{clean_pdu_line, decode, parse_hex, Framing, Pdu, TypeHint};

/// Messages of one listing handed to the sink at once.
const SWEEP_CONCURRENCY: usize = 64;

/// What a PDU turned out to be.
enum Item {
    Message(Received),
    Report(DeliveryReport),
}

impl<'a, P: Port> Session<'a, P> {
    /// Lists every stored message and handles each.
    pub(super) async fn sweep(&mut self) -> Result<(), Fault> {
        let r = self.cmd("AT+CMGL=4").await?;
        if !r.is_ok() {
            if is_cms(&r.result, 321) {
                // phonesim answers an empty listing with "invalid memory index".
                return Ok(());
            }
            tracing::warn!(modem = %self.name(), result = ?r.result, "Listing stored messages failed.");
            return self.check_pdu_mode().await;
        }
        let listed = parse_cmgl(&r.lines);
        tracing::debug!(modem = %self.name(), count = listed.len(), "Stored messages listed.");
        let mut items = Vec::new();
        for l in &listed {
            if matches!(
                l.stat,
                Some(MessageStat::StoredUnsent | MessageStat::StoredSent)
            ) {
                continue;
            }
            if let Some(item) = self.classify(&l.pdu_hex, l.index) {
                items.push((l.index, item));
            }
        }
        if items.is_empty() {
            return Ok(());
        }
        // Everything listed goes to the sink at once, so that its commits share
        // transactions (the daemon's group commit) instead of one fsync each;
        // then what was committed is deleted.
        let handed = items.len();
        let sink = self.sink;
        let results: Vec<(u32, bool, Result<(), super::api::SinkError>)> =
            futures_util::stream::iter(items.into_iter().map(|(index, item)| async move {
                match item {
                    Item::Message(m) => (index, false, sink.received(m).await),
                    Item::Report(r) => (index, true, sink.delivery_report(r).await),
                }
            }))
            .buffer_unordered(SWEEP_CONCURRENCY)
            .collect()
            .await;
        let mut accepted = Vec::new();
        for (index, report, result) in results {
            match result {
                Ok(()) => {
                    self.status.count(|c| match report {
                        true => c.delivery_reports += 1,
                        false => c.received += 1,
                    });
                    accepted.push(index);
                }
                Err(e) => {
                    self.status.count(|c| c.sink_errors += 1);
                    tracing::warn!(modem = %self.name(), index, report, error = %e,
                        "Sink refused a message; it stays on the modem.");
                }
            }
        }
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        // Every message the listing showed was committed, and the listing
        // marked them read: one `AT+CMGD=1,1` (delete all read messages;
        // unread ones that arrived since, and stored outgoing ones, stay)
        // replaces a round trip per message. A modem that refuses the flag
        // gets one delete per message.
        if accepted.len() == handed && handed > 1 {
            let r = self.cmd("AT+CMGD=1,1").await?;
            if r.is_ok() {
                for _ in 0..handed {
                    self.status.deleted();
                }
                return Ok(());
            }
            tracing::debug!(modem = %self.name(), result = ?r.result, "Bulk delete refused; deleting one by one.");
        }
        accepted.sort_unstable();
        for index in accepted {
            if self.cancel.is_cancelled() {
                break;
            }
            self.delete(index).await?;
        }
        Ok(())
    }

    /// After a failed listing: a modem back in text mode was reset behind our back.
    async fn check_pdu_mode(&mut self) -> Result<(), Fault> {
        let r = self.cmd("AT+CMGF?").await?;
        let text_mode = r.is_ok()
            && r.lines.iter().any(|l| {
                l.trim_start()
                    .strip_prefix("+CMGF:")
                    .is_some_and(|v| v.trim() == "1")
            });
        if text_mode {
            return Err(Fault::Reset("text mode"));
        }
        Ok(())
    }

    /// Reads a message a `+CMTI`/`+CDSI` announced, selecting its storage first when it
    /// is not the configured one (status reports in `"SR"`).
    pub(super) async fn read_announced(&mut self, a: Announced) -> Result<(), Fault> {
        let mine = a.storage.eq_ignore_ascii_case(self.cfg.storage.as_str());
        if !mine {
            let plausible = (1..=4).contains(&a.storage.len())
                && a.storage.bytes().all(|b| b.is_ascii_alphanumeric());
            if !plausible {
                tracing::debug!(modem = %self.name(), "Announcement with an unreadable storage ignored.");
                return Ok(());
            }
            let r = self.cmd(&format!("AT+CPMS=\"{}\"", a.storage)).await?;
            if !r.is_ok() {
                tracing::warn!(modem = %self.name(), storage = %a.storage, result = ?r.result,
                    "Cannot select the storage of an announced message.");
                return Ok(());
            }
        }
        let read = self.read_index(a.index).await;
        if !mine && !matches!(read, Err(Fault::Gone(_) | Fault::Unresponsive)) {
            let cpms = self.cpms.clone();
            if !self.cmd(&cpms).await?.is_ok() {
                return Err(Fault::Reset("storage selection lost"));
            }
        }
        read
    }

    async fn read_index(&mut self, index: u32) -> Result<(), Fault> {
        let r = self.cmd(&format!("AT+CMGR={index}")).await?;
        if !r.is_ok() {
            if is_cms(&r.result, 321) {
                tracing::debug!(modem = %self.name(), index, "Announced message already gone.");
            } else {
                tracing::warn!(modem = %self.name(), index, result = ?r.result,
                    "Reading an announced message failed; the sweep will retry.");
            }
            return Ok(());
        }
        match parse_cmgr(&r.lines) {
            Ok(p) if p.is_empty_slot() => {
                tracing::debug!(modem = %self.name(), index, "Announced slot is empty.");
                Ok(())
            }
            Ok(p) => self.stored(index, p.stat, &p.pdu_hex).await,
            Err(ParseError::TextMode { .. }) => Err(Fault::Reset("text mode")),
            Err(e) => {
                tracing::warn!(modem = %self.name(), index, error = %e, "Unreadable +CMGR answer.");
                Ok(())
            }
        }
    }

    /// One stored message: to the sink, then deleted once the sink committed it.
    async fn stored(
        &mut self,
        index: u32,
        stat: Option<MessageStat>,
        hex: &str,
    ) -> Result<(), Fault> {
        if matches!(
            stat,
            Some(MessageStat::StoredUnsent | MessageStat::StoredSent)
        ) {
            tracing::debug!(modem = %self.name(), index, "Stored outgoing message left alone.");
            return Ok(());
        }
        let Some(item) = self.classify(hex, index) else {
            return Ok(());
        };
        if self.hand_over(index, item).await {
            self.delete(index).await?;
        }
        Ok(())
    }

    /// A `+CMT`/`+CDS` message: to the sink, then acknowledged when the modem wants it.
    pub(super) async fn direct(&mut self, hex: &str, report: bool) -> Result<(), Fault> {
        let accepted = match self.classify(hex, Received::DIRECT) {
            Some(item) => self.hand_over(Received::DIRECT, item).await,
            None => true,
        };
        if self.cnma {
            if accepted {
                let r = self.cmd("AT+CNMA").await?;
                if !r.is_ok() {
                    tracing::debug!(modem = %self.name(), result = ?r.result, "AT+CNMA refused.");
                }
            } else {
                tracing::warn!(modem = %self.name(), report,
                    "Direct message not acknowledged; the network will deliver it again.");
            }
        } else if !accepted {
            tracing::error!(modem = %self.name(), report,
                "Sink refused a message the modem did not store; it is lost.");
        }
        Ok(())
    }

    /// Decodes a PDU line into what the sink takes; `None` for empty slots and stored
    /// SMS-SUBMITs.
    fn classify(&self, hex: &str, index: u32) -> Option<Item> {
        let hex = clean_pdu_line(hex);
        if hex
            .trim_start_matches("00")
            .bytes()
            .all(|b| b == b'F' || b == b'f')
        {
            tracing::debug!(modem = %self.name(), index, "Empty or filler PDU skipped.");
            return None;
        }
        let (pdu, decoded) = match parse_hex(hex) {
            Ok(bytes) => {
                let d = decode(&bytes[..], Framing::WithSmsc, TypeHint::ByMti);
                (bytes, d)
            }
            Err(e) => (hex.as_bytes().to_vec(), Err(e)),
        };
        let modem = self.cfg.name.clone();
        match decoded {
            Ok(Pdu::Deliver(d)) => Some(Item::Message(Received {
                modem,
                index,
                pdu,
                decoded: Ok(d),
            })),
            Ok(Pdu::StatusReport(r)) => {
                let outcome = r.outcome();
                Some(Item::Report(DeliveryReport {
                    modem,
                    mr: r.message_ref,
                    recipient: r.recipient.value.clone(),
                    delivered: outcome == crate::DeliveryOutcome::Delivered,
                    final_: outcome != crate::DeliveryOutcome::Pending,
                    status: r.status,
                    pdu,
                }))
            }
            Ok(Pdu::Submit(_)) => {
                tracing::debug!(modem = %self.name(), index, "Stored SMS-SUBMIT left alone.");
                None
            }
            Err(e) => {
                tracing::warn!(modem = %self.name(), index, octets = pdu.len(), error = %e,
                    "Undecodable PDU handed to the sink as it is.");
                Some(Item::Message(Received {
                    modem,
                    index,
                    pdu,
                    decoded: Err(e),
                }))
            }
        }
    }

    /// Hands a message or report to the sink; true when it was committed.
    async fn hand_over(&mut self, index: u32, item: Item) -> bool {
        let (result, report) = match item {
            Item::Message(m) => {
                tracing::debug!(modem = %self.name(), index, octets = m.pdu.len(), "Message to the sink.");
                (self.sink.received(m).await, false)
            }
            Item::Report(r) => (self.sink.delivery_report(r).await, true),
        };
        match result {
            Ok(()) => {
                self.status.count(|c| match report {
                    true => c.delivery_reports += 1,
                    false => c.received += 1,
                });
                true
            }
            Err(e) => {
                self.status.count(|c| c.sink_errors += 1);
                tracing::warn!(modem = %self.name(), index, report, error = %e,
                    "Sink refused a message; it stays on the modem.");
                false
            }
        }
    }

    async fn delete(&mut self, index: u32) -> Result<(), Fault> {
        let r = self.cmd(&format!("AT+CMGD={index}")).await?;
        if r.is_ok() {
            self.status.deleted();
        } else if is_cms(&r.result, 321) {
            tracing::debug!(modem = %self.name(), index, "Message already deleted.");
        } else {
            tracing::warn!(modem = %self.name(), index, result = ?r.result,
                "Delete failed; the message will be read again.");
        }
        Ok(())
    }
}

fn is_cms(result: &FinalResult, code: u16) -> bool {
    matches!(result, FinalResult::CmsError(c) if c.is(code))
}
