//! The AT command link: one serial stream (or anything `AsyncRead + AsyncWrite`, such as
//! a `tokio::io::duplex` end in tests) plus the pure [`Decoder`]. It writes a command,
//! tells the decoder, and collects the response's lines up to the final result within a
//! deadline; the `> ` prompt flow of `AT+CMGS` is here too. URCs seen at any time,
//! including in the middle of a response, are queued for the session; stray lines and
//! late finals of an abandoned command are dropped. It decides nothing: timeouts and
//! errors go back to the session, which chooses between retry, re-init and reopen.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::at::{Decoder, Event, FinalResult, Urc};

/// Anything the driver can talk AT over.
pub trait Port: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Port for T {}

/// Ctrl-Z: ends the PDU after the prompt.
const CTRL_Z: u8 = 0x1a;
/// ESC: leaves the PDU prompt without sending.
pub(crate) const ESC: u8 = 0x1b;

/// A command's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// Intermediate lines, echo and URCs removed.
    pub lines: Vec<String>,
    pub result: FinalResult,
}

impl Response {
    pub fn is_ok(&self) -> bool {
        self.result.is_success()
    }
}

/// Why a command got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// No final result before the deadline; `lines` are the intermediate lines seen
    /// (Wavecom answers `AT+CPIN?` without a final `OK`).
    Timeout { lines: Vec<String> },
    /// The port failed or reached end of file: it is gone.
    Gone(String),
}

pub(crate) struct Link<P> {
    io: P,
    decoder: Decoder,
    buf: Vec<u8>,
    urcs: VecDeque<Urc>,
    name: String,
}

impl<P: Port> Link<P> {
    pub fn new(io: P, name: &str) -> Self {
        Self {
            io,
            decoder: Decoder::new(),
            buf: vec![0; 1024],
            urcs: VecDeque::new(),
            name: name.to_string(),
        }
    }

    /// URCs received so far, oldest first.
    pub fn take_urcs(&mut self) -> VecDeque<Urc> {
        std::mem::take(&mut self.urcs)
    }

    /// Puts a URC back at the end of the queue.
    pub fn requeue_urc(&mut self, urc: Urc) {
        self.urcs.push_back(urc);
    }

    /// Whether URCs are waiting.
    pub fn has_urcs(&self) -> bool {
        !self.urcs.is_empty()
    }

    /// Waits for bytes while no command is pending and queues the URCs they hold.
    /// Cancel-safe: a read that did not complete consumed nothing.
    pub async fn idle(&mut self) -> Result<(), LinkError> {
        self.fill().await?;
        self.settle();
        Ok(())
    }

    /// Reads and discards input until the line has been quiet for `quiet` (at most
    /// `max`): garbage from a previous session, the late answer of an abandoned command.
    /// URCs in it are kept.
    pub async fn drain(&mut self, quiet: Duration, max: Duration) -> Result<(), LinkError> {
        let end = Instant::now() + max;
        self.decoder.expect_none();
        loop {
            let until = (Instant::now() + quiet).min(end);
            match timeout_at(until, self.fill()).await {
                Ok(r) => r?,
                Err(_) => break,
            }
            if Instant::now() >= end {
                break;
            }
        }
        self.settle();
        Ok(())
    }

    /// Writes raw bytes with no command pending (ESC to leave a stuck prompt).
    pub async fn write_raw(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.decoder.expect_none();
        self.write(bytes, Instant::now() + timeout).await
    }

    /// Sends `command` and collects its response.
    pub async fn command(
        &mut self,
        command: &str,
        timeout: Duration,
    ) -> Result<Response, LinkError> {
        let deadline = Instant::now() + timeout;
        self.start(command, deadline).await?;
        let mut lines = Vec::new();
        match self.until_final(&mut lines, deadline, false).await? {
            Some(result) => Ok(Response { lines, result }),
            None => Err(LinkError::Timeout { lines }),
        }
    }

    /// `AT+CMGS=<n>`: waits for the prompt, writes the PDU and Ctrl-Z, and collects the
    /// response. A final result before the prompt (e.g. `+CMS ERROR: 304`) is returned as
    /// the response; no prompt in time sends ESC so the next command is not taken for
    /// message text.
    pub async fn submit(
        &mut self,
        command: &str,
        pdu_hex: &str,
        prompt_timeout: Duration,
        result_timeout: Duration,
    ) -> Result<Response, LinkError> {
        let deadline = Instant::now() + prompt_timeout;
        self.start(command, deadline).await?;
        let mut lines = Vec::new();
        match self.until_final(&mut lines, deadline, true).await {
            Ok(Some(result)) => return Ok(Response { lines, result }),
            Ok(None) => {}
            Err(LinkError::Timeout { lines }) => {
                // Leave the prompt (if it came late) rather than have the next command
                // swallowed as message text.
                self.write(&[ESC], Instant::now() + prompt_timeout).await?;
                self.decoder.expect_none();
                return Err(LinkError::Timeout { lines });
            }
            Err(e) => return Err(e),
        }
        tracing::debug!(modem = %self.name, octets = pdu_hex.len() / 2, "Writing PDU after the prompt.");
        self.decoder.expect_echo(pdu_hex);
        let deadline = Instant::now() + result_timeout;
        let mut body = Vec::with_capacity(pdu_hex.len() + 1);
        body.extend_from_slice(pdu_hex.as_bytes());
        body.push(CTRL_Z);
        self.write(&body, deadline).await?;
        match self.until_final(&mut lines, deadline, false).await? {
            Some(result) => Ok(Response { lines, result }),
            None => Err(LinkError::Timeout { lines }),
        }
    }

    /// Settles what is queued, tells the decoder, writes `command` CR.
    async fn start(&mut self, command: &str, deadline: Instant) -> Result<(), LinkError> {
        self.settle();
        self.decoder.expect(command);
        let mut line = Vec::with_capacity(command.len() + 1);
        line.extend_from_slice(command.as_bytes());
        line.push(b'\r');
        self.write(&line, deadline).await
    }

    /// Reads events until the final result (`Some`), or the prompt when `prompt` is set
    /// (`None`). A timeout forgets the pending command.
    async fn until_final(
        &mut self,
        lines: &mut Vec<String>,
        deadline: Instant,
        prompt: bool,
    ) -> Result<Option<FinalResult>, LinkError> {
        loop {
            while let Some(event) = self.decoder.next_event() {
                match event {
                    Event::Final(f) => return Ok(Some(f)),
                    Event::Prompt if prompt => return Ok(None),
                    Event::Prompt => {
                        tracing::debug!(modem = %self.name, "Unexpected prompt ignored.")
                    }
                    Event::Line(l) => lines.push(l),
                    Event::Urc(u) => self.urcs.push_back(u),
                    Event::Echo(_) => {}
                    Event::Overflow { .. } => {
                        tracing::debug!(modem = %self.name, "Overlong line discarded.")
                    }
                }
            }
            match timeout_at(deadline, self.fill()).await {
                Ok(r) => r?,
                Err(_) => {
                    self.decoder.expect_none();
                    return Err(LinkError::Timeout {
                        lines: std::mem::take(lines),
                    });
                }
            }
        }
    }

    /// Moves decoded events that belong to no command out of the decoder: URCs are
    /// queued, stray lines and finals dropped.
    fn settle(&mut self) {
        while let Some(event) = self.decoder.next_event() {
            match event {
                Event::Urc(u) => self.urcs.push_back(u),
                Event::Line(l) => {
                    tracing::debug!(modem = %self.name, len = l.len(), "Stray line dropped.")
                }
                Event::Final(f) => {
                    tracing::debug!(modem = %self.name, result = ?f, "Stray final result dropped.")
                }
                Event::Prompt | Event::Echo(_) | Event::Overflow { .. } => {}
            }
        }
    }

    async fn fill(&mut self) -> Result<(), LinkError> {
        match self.io.read(&mut self.buf).await {
            Ok(0) => Err(LinkError::Gone("end of file".into())),
            Ok(n) => {
                self.decoder.push(&self.buf[..n]);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(LinkError::Gone(e.to_string())),
        }
    }

    async fn write(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), LinkError> {
        let io = &mut self.io;
        let write = async {
            io.write_all(bytes).await?;
            io.flush().await
        };
        match timeout_at(deadline, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LinkError::Gone(e.to_string())),
            Err(_) => Err(LinkError::Timeout { lines: Vec::new() }),
        }
    }
}
