//! One conversation with a host over a byte stream: cuts the input into command lines
//! (CR ends a line, backspace edits it, text before `AT` is ignored), echoes what it
//! reads while echo is on, runs each line through [`commands::execute`], reads the PDU
//! after the `> ` prompt up to Ctrl-Z (ESC cancels), and writes the replies in V1 framing
//! (`\r\n<line>\r\n`). Unsolicited result codes from the shared state are written as
//! they come, except while a PDU is being typed (they are held until the result, as
//! `AT+CNMI` mode 2 buffers them). Both directions go through a [`Pacer`]. Faults are
//! read from the shared state at each step, so injecting one takes effect at once.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{sleep_until, Instant};

use super::commands::{self, End, Reply};
use super::pace::Pacer;
use super::sms;
use super::state::{tpdu_len, Shared};

/// Longest command line kept; the rest of a longer line is dropped (the line still
/// ends at its CR and is then answered, usually with `ERROR`).
const MAX_LINE: usize = 2048;

/// Longest PDU text kept after the prompt (twice the longest TPDU plus an SMSC field).
const MAX_PDU_HEX: usize = 2 * (176 + 12);

/// How often [`super::Fault::Noise`] speaks up on an idle line.
const NOISE_PERIOD: Duration = Duration::from_millis(300);

/// The chatter [`super::Fault::Noise`] cycles through.
const NOISE: [&str; 6] = [
    "RING",
    "+CREG: 1",
    "^RSSI: 17",
    "^BOOT:27710117,0,0,0,75",
    "+CIEV: 2,3",
    "^MODE: 5,4",
];

const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// Serves `stream` until it reaches end of file, fails, or the simulator shuts down.
pub(crate) async fn serve<S>(shared: Arc<Shared>, stream: S) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut shutdown = shared.shutdown.subscribe();
    tokio::select! {
        r = run(shared.clone(), stream) => r,
        _ = shutdown.wait_for(|down| *down) => Ok(()),
    }
}

async fn run<S>(shared: Arc<Shared>, stream: S) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut urcs = shared.urcs.subscribe();
    let mut faults = shared.faults_changed.subscribe();
    let (mut rd, wr) = tokio::io::split(stream);
    let mut input_line = Pacer::new(shared.cfg.baud);
    let mut s = Session::new(shared, wr);
    let mut buf = vec![0u8; 4096];
    let mut noise_at = s.next_noise();
    loop {
        let step = input_line.step().min(buf.len());
        tokio::select! {
            r = rd.read(&mut buf[..step]) => {
                let n = r?;
                if n == 0 {
                    return Ok(());
                }
                input_line.carry(n).await;
                s.input(&buf[..n]).await?;
            }
            u = urcs.recv() => match u {
                Ok(text) => s.urc(text).await?,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(lost = n, "The modem simulator dropped unsolicited result codes a slow session did not take.");
                }
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = faults.changed() => noise_at = s.next_noise(),
            _ = sleep_until(noise_at.unwrap_or_else(Instant::now)), if noise_at.is_some() => {
                s.noise_tick().await?;
                noise_at = s.next_noise();
            }
        }
    }
}

/// What the input is.
#[derive(Debug)]
enum Mode {
    /// AT command lines.
    Command,
    /// The PDU after the `> ` prompt of `AT+CMGS=<len>`.
    Pdu { len: usize, hex: Vec<u8> },
}

struct Session<W> {
    shared: Arc<Shared>,
    out: W,
    output_line: Pacer,
    mode: Mode,
    line: Vec<u8>,
    /// Echo of the input read so far, written before anything else.
    echo: Vec<u8>,
    /// URCs held while a PDU is typed.
    held: Vec<String>,
    noise_n: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<WriteHalf<S>> {
    fn new(shared: Arc<Shared>, out: WriteHalf<S>) -> Self {
        let output_line = Pacer::new(shared.cfg.baud);
        Self {
            shared,
            out,
            output_line,
            mode: Mode::Command,
            line: Vec::new(),
            echo: Vec::new(),
            held: Vec::new(),
            noise_n: 0,
        }
    }

    /// (silent, echoing) as the faults and settings stand now.
    fn flags(&self) -> (bool, bool) {
        let st = self.shared.lock();
        (st.silent(), st.echoing())
    }

    async fn input(&mut self, bytes: &[u8]) -> io::Result<()> {
        let (mut silent, mut echoing) = self.flags();
        for &b in bytes {
            let echo = echoing && !silent;
            match &mut self.mode {
                Mode::Command => {
                    if echo {
                        self.echo.push(b);
                    }
                    match b {
                        b'\r' => {
                            let line = std::mem::take(&mut self.line);
                            self.command_line(&line, silent).await?;
                            (silent, echoing) = self.flags();
                        }
                        b'\n' => {}
                        0x08 | 0x7F => {
                            self.line.pop();
                        }
                        _ if self.line.len() < MAX_LINE => self.line.push(b),
                        _ => {}
                    }
                }
                Mode::Pdu { len, hex } => match b {
                    CTRL_Z => {
                        let (len, hex) = (*len, std::mem::take(hex));
                        self.mode = Mode::Command;
                        if !silent {
                            self.finish_pdu(len, &hex).await?;
                        }
                    }
                    ESC => {
                        self.mode = Mode::Command;
                        if !silent {
                            self.write_reply(Reply::ok(Vec::new())).await?;
                        }
                    }
                    _ => {
                        if echo {
                            self.echo.push(b);
                        }
                        if !b.is_ascii_whitespace() && hex.len() < MAX_PDU_HEX {
                            hex.push(b);
                        }
                    }
                },
            }
        }
        self.flush_echo().await
    }

    async fn command_line(&mut self, raw: &[u8], silent: bool) -> io::Result<()> {
        let text = String::from_utf8_lossy(raw);
        // Modems look for "AT" and ignore what comes before (noise, a stray ESC).
        let Some(at) = text.to_ascii_uppercase().find("AT") else {
            return Ok(());
        };
        let line = text[at..].trim_end();
        if silent {
            self.shared.lock().commands.push(line.to_string());
            self.shared.bump_changed();
            return Ok(());
        }
        self.flush_echo().await?;
        let reply = commands::execute(&self.shared, line);
        self.write_reply(reply).await
    }

    async fn finish_pdu(&mut self, len: usize, hex: &[u8]) -> io::Result<()> {
        self.flush_echo().await?;
        let submitted = sms::submit(&self.shared, len, &String::from_utf8_lossy(hex));
        if let Some(report) = submitted.report {
            schedule_report(&self.shared, report);
        }
        self.write_reply(submitted.reply).await
    }

    async fn write_reply(&mut self, reply: Reply) -> io::Result<()> {
        let noisy = self.shared.lock().noisy();
        let mut lines = Vec::new();
        for (i, item) in reply.items.into_iter().enumerate() {
            if noisy && i > 0 {
                lines.push(self.next_noise_line().to_string());
            }
            lines.extend(item);
        }
        let mut out = String::new();
        if !lines.is_empty() {
            out = format!("\r\n{}\r\n", lines.join("\r\n"));
        }
        match reply.end {
            End::Final(result) => {
                if noisy {
                    out.push_str(&format!("\r\n{}\r\n", self.next_noise_line()));
                }
                out.push_str(&format!("\r\n{result}\r\n"));
                for urc in std::mem::take(&mut self.held) {
                    out.push_str(&format!("\r\n{urc}\r\n"));
                }
            }
            End::Prompt(len) => {
                out.push_str("\r\n> ");
                self.mode = Mode::Pdu {
                    len,
                    hex: Vec::new(),
                };
            }
        }
        self.write(out.as_bytes()).await
    }

    async fn urc(&mut self, text: String) -> io::Result<()> {
        if self.flags().0 {
            return Ok(()); // a hung modem loses its indications
        }
        if matches!(self.mode, Mode::Pdu { .. }) {
            self.held.push(text);
            return Ok(());
        }
        self.write(format!("\r\n{text}\r\n").as_bytes()).await
    }

    /// When the next idle noise line is due, if [`super::Fault::Noise`] is on.
    fn next_noise(&self) -> Option<Instant> {
        self.shared
            .lock()
            .noisy()
            .then(|| Instant::now() + NOISE_PERIOD)
    }

    async fn noise_tick(&mut self) -> io::Result<()> {
        let speak = {
            let st = self.shared.lock();
            st.noisy() && !st.silent()
        };
        if !speak || matches!(self.mode, Mode::Pdu { .. }) {
            return Ok(());
        }
        let line = format!("\r\n{}\r\n", self.next_noise_line());
        self.write(line.as_bytes()).await
    }

    fn next_noise_line(&mut self) -> &'static str {
        self.noise_n = self.noise_n.wrapping_add(1);
        NOISE[(self.noise_n - 1) % NOISE.len()]
    }

    async fn flush_echo(&mut self) -> io::Result<()> {
        if self.echo.is_empty() {
            return Ok(());
        }
        let echo = std::mem::take(&mut self.echo);
        self.write(&echo).await
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        for chunk in bytes.chunks(self.output_line.step()) {
            self.output_line.carry(chunk.len()).await;
            self.out.write_all(chunk).await?;
        }
        self.out.flush().await
    }
}

/// Sends the `+CDS` status report after the configured delay, if `AT+CNMI` then routes
/// status reports (`<ds>` 1 or 2); otherwise it is lost, as on a modem.
fn schedule_report(shared: &Arc<Shared>, pdu: Vec<u8>) {
    let shared = shared.clone();
    let mut shutdown = shared.shutdown.subscribe();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(shared.cfg.status_report_delay) => {}
            _ = shutdown.wait_for(|down| *down) => return,
        }
        if shared.lock().settings.cnmi[3] == 0 {
            return;
        }
        let text = format!("+CDS: {}\r\n{}", tpdu_len(&pdu), crate::pdu::to_hex(&pdu));
        shared.urc(text);
    });
}
