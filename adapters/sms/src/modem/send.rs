//! Sending one message, part by part, through `AT+CMGS`: command, `> ` prompt, PDU hex
//! and Ctrl-Z, then `+CMGS: <mr>`. Never retried here (a retry after a lost answer could
//! send the message twice); the failure goes back to the caller as transient or
//! permanent. A timeout still counts towards "the modem stopped answering".

use super::api::{SendCause, SendFailure};
use super::handle::SendRequest;
use super::link::{LinkError, Port};
use super::session::{Fault, Session};
use crate::at::{parse_cmgs, CmsCode, FinalResult};

impl<'a, P: Port> Session<'a, P> {
    /// Sends the parts of one request and answers it. Returns a fault when the session
    /// must end (port gone, modem unresponsive, modem reset).
    pub(super) async fn send(&mut self, req: SendRequest) -> Result<(), Fault> {
        if req.reply.is_closed() {
            tracing::debug!(modem = %self.name(), "Send abandoned by its caller before it started.");
            return Ok(());
        }
        let total = req.parts.len();
        let mut refs = Vec::with_capacity(total);
        let mut fault = None;
        let mut failure = None;
        for part in &req.parts {
            if self.cancel.is_cancelled() {
                failure = Some(SendFailure::transient(SendCause::Stopped, refs.len()));
                break;
            }
            let command = format!("AT+CMGS={}", part.tpdu_len);
            let t = self.cfg.command_timeout;
            let answer = self
                .link
                .submit(&command, &part.pdu_hex, t, self.cfg.send_timeout())
                .await;
            match answer {
                Ok(r) if r.is_ok() => {
                    self.timeouts = 0;
                    let mr = parse_cmgs(&r.lines).unwrap_or_else(|_| {
                        // The network took it; resending would duplicate it.
                        tracing::warn!(modem = %self.name(), "+CMGS answer without a message reference.");
                        0
                    });
                    refs.push(mr);
                }
                Ok(r) => {
                    self.timeouts = 0;
                    let sent = refs.len();
                    // 302 "operation not allowed" to CMGS means the modem left PDU mode (it
                    // was reset): the message is fine, the modem needs its init again.
                    let reset = matches!(&r.result, FinalResult::CmsError(c)
                        if c.is(CmsCode::OPERATION_NOT_ALLOWED));
                    let cause = SendCause::Rejected(r.result.clone());
                    failure = Some(if r.result.transient() || reset {
                        SendFailure::transient(cause, sent)
                    } else {
                        SendFailure::permanent(cause, sent)
                    });
                    if reset {
                        fault = Some(Fault::Reset("CMS 302 to AT+CMGS"));
                    }
                    break;
                }
                Err(LinkError::Timeout { .. }) => {
                    failure = Some(SendFailure::transient(SendCause::Timeout, refs.len()));
                    fault = match self.timed_out(&command) {
                        Err(f) => Some(f),
                        Ok(()) => self.quiet().await.err(),
                    };
                    break;
                }
                Err(LinkError::Gone(e)) => {
                    failure = Some(SendFailure::transient(SendCause::PortGone, refs.len()));
                    fault = Some(Fault::Gone(e));
                    break;
                }
            }
        }
        let outcome = match failure {
            None => {
                self.status.count(|c| c.sent += 1);
                tracing::info!(modem = %self.name(), parts = total, "Message sent.");
                Ok(refs)
            }
            Some(f) => {
                self.status.count(|c| c.send_errors += 1);
                tracing::warn!(modem = %self.name(), parts = total, error = %f, "Send failed.");
                Err(f)
            }
        };
        // The caller may have given up waiting; nothing to do then.
        let _ = req.reply.send(outcome);
        match fault {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}
