//! A small scripted modem on the far end of a `tokio::io::duplex` pipe, a recording
//! sink, and an opener that hands the driver one pipe per (re)open. The fake answers
//! the commands the driver uses the way a SIM800 does, and can be told to stay silent,
//! keep echo on, sprinkle vendor URCs inside its answers, answer a command with an
//! error, or hang up. One timeline records the modem's commands and the sink's calls,
//! so tests can check their order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

use crate::modem::api::{BoxFuture, DeliveryReport, Received, Sink, SinkError};
use crate::modem::config::ModemConfig;
use crate::modem::supervisor::Opener;

/// Commands seen by the fake and calls seen by the sink, in order.
#[derive(Clone, Default)]
pub struct Timeline(Arc<Mutex<Vec<String>>>);

impl Timeline {
    pub fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self, entry: &str) -> usize {
        self.all().iter().filter(|e| *e == entry).count()
    }

    pub fn position(&self, entry: &str) -> Option<usize> {
        self.all().iter().position(|e| e == entry)
    }
}

/// How the fake answers a command matched by prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Say nothing.
    Silence,
    /// These lines (the last one is the final result).
    Lines(&'static str),
    /// Close the pipe, like a USB modem unplugged.
    HangUp,
}

/// The fake's behaviour and storage, shared with the test.
pub struct FakeState {
    pub echo: bool,
    /// `ATE0` leaves echo on.
    pub stuck_echo: bool,
    /// Vendor URCs before answers and inside listings.
    pub noise: bool,
    /// Answer nothing at all.
    pub silent: bool,
    /// index → (stat, PDU hex with SMSC).
    pub stored: BTreeMap<u32, (u8, String)>,
    /// (command prefix, times, reply); the prefix `PDU` matches the PDU after the prompt.
    pub overrides: Vec<(&'static str, usize, Reply)>,
    /// Answers to `AT+CPIN?`, one per query, then `+CPIN: READY`.
    pub cpin: VecDeque<&'static str>,
    /// `<service>` of `AT+CSMS?`.
    pub csms: u8,
    /// PDUs received after the prompt.
    pub sent: Vec<String>,
    pub mr: u8,
}

impl Default for FakeState {
    fn default() -> Self {
        Self {
            echo: false,
            stuck_echo: false,
            noise: false,
            silent: false,
            stored: BTreeMap::new(),
            overrides: Vec::new(),
            cpin: VecDeque::new(),
            csms: 0,
            sent: Vec::new(),
            mr: 7,
        }
    }
}

/// The test's grip on one fake modem.
#[derive(Clone)]
pub struct Fake {
    pub state: Arc<Mutex<FakeState>>,
    urcs: mpsc::UnboundedSender<String>,
}

impl Fake {
    /// Starts a fake on a new pipe; the other end goes to the driver.
    pub fn start(state: FakeState, timeline: &Timeline) -> (Fake, DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(4096);
        let state = Arc::new(Mutex::new(state));
        let (urcs, rx) = mpsc::unbounded_channel();
        tokio::spawn(serve(ours, state.clone(), rx, timeline.clone()));
        (Fake { state, urcs }, theirs)
    }

    /// Writes an unsolicited line (or two, with `\r\n` inside).
    pub fn urc(&self, text: &str) {
        let _ = self.urcs.send(format!("\r\n{text}\r\n"));
    }

    /// Closes the pipe.
    pub fn hang_up(&self) {
        let _ = self.urcs.send(String::new());
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

/// What to do after handling input.
enum Out {
    Write(String),
    HangUp,
}

async fn serve(
    mut io: DuplexStream,
    state: Arc<Mutex<FakeState>>,
    mut urcs: mpsc::UnboundedReceiver<String>,
    timeline: Timeline,
) {
    let mut buf = [0u8; 512];
    let mut line: Vec<u8> = Vec::new();
    let mut in_pdu = false;
    loop {
        let mut outs = Vec::new();
        tokio::select! {
            r = io.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                for &b in &buf[..n] {
                    if in_pdu {
                        match b {
                            0x1a => {
                                in_pdu = false;
                                let pdu = String::from_utf8_lossy(&line).trim().to_string();
                                line.clear();
                                outs.push(submit(&state, &timeline, pdu));
                            }
                            0x1b => {
                                in_pdu = false;
                                line.clear();
                                timeline.push("<ESC>");
                            }
                            _ => line.push(b),
                        }
                    } else if b == 0x1b {
                        timeline.push("<ESC>");
                    } else if b == b'\r' || b == b'\n' {
                        let text = String::from_utf8_lossy(&line).to_string();
                        line.clear();
                        let cmd = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
                        if !cmd.is_empty() {
                            let (out, prompt) = command(&state, &timeline, cmd);
                            in_pdu = prompt;
                            outs.push(out);
                        }
                    } else {
                        line.push(b);
                    }
                }
            }
            u = urcs.recv() => match u {
                Some(u) if !u.is_empty() => outs.push(Out::Write(u)),
                _ => return,
            },
        }
        for out in outs {
            match out {
                Out::Write(s) => {
                    if io.write_all(s.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Out::HangUp => return,
            }
        }
    }
}

fn take_override(st: &mut FakeState, cmd: &str) -> Option<Reply> {
    let o = st
        .overrides
        .iter_mut()
        .find(|(p, n, _)| *n > 0 && cmd.starts_with(p))?;
    o.1 -= 1;
    Some(o.2.clone())
}

fn render(reply: Reply, echo: String) -> Out {
    match reply {
        Reply::Silence => Out::Write(echo),
        Reply::HangUp => Out::HangUp,
        Reply::Lines(l) => Out::Write(format!("{echo}\r\n{}\r\n", l.replace('\n', "\r\n"))),
    }
}

fn submit(state: &Arc<Mutex<FakeState>>, timeline: &Timeline, pdu: String) -> Out {
    timeline.push("<PDU>");
    let mut st = state.lock().unwrap();
    let echo = if st.echo {
        format!("{pdu}\x1a")
    } else {
        String::new()
    };
    if st.silent {
        return Out::Write(echo);
    }
    if let Some(r) = take_override(&mut st, "PDU") {
        return render(r, echo);
    }
    st.sent.push(pdu);
    let mr = st.mr;
    st.mr = st.mr.wrapping_add(1);
    Out::Write(format!("{echo}\r\n+CMGS: {mr}\r\n\r\nOK\r\n"))
}

/// Answers one command line; true when the prompt was written.
fn command(state: &Arc<Mutex<FakeState>>, timeline: &Timeline, cmd: &str) -> (Out, bool) {
    timeline.push(cmd);
    let mut st = state.lock().unwrap();
    let echo = if st.echo {
        format!("{cmd}\r")
    } else {
        String::new()
    };
    if st.silent {
        return (Out::Write(echo), false);
    }
    if let Some(r) = take_override(&mut st, cmd) {
        return (render(r, echo), false);
    }
    let noise = if st.noise { "\r\n^RSSI:18\r\n" } else { "" };
    let upper = cmd.to_ascii_uppercase();
    let ok = |body: String| format!("{echo}{noise}{body}\r\nOK\r\n");
    let used = st.stored.len();
    let out = match upper.as_str() {
        "AT" | "ATZ" | "AT&F" | "AT+CMEE=1" | "AT+CMGF=0" | "AT+CNMA" | "ATE1" => ok(String::new()),
        "ATE0" => {
            st.echo = st.stuck_echo;
            ok(String::new())
        }
        "AT+CMGF?" => ok("\r\n+CMGF: 0\r\n".into()),
        "AT+CSQ" => ok("\r\n+CSQ: 20,99\r\n".into()),
        "AT+CREG?" => ok("\r\n+CREG: 0,1\r\n".into()),
        "AT+CSMS?" => ok(format!("\r\n+CSMS: {},1,1,1\r\n", st.csms)),
        "AT+CPMS?" => ok(format!(
            "\r\n+CPMS: \"SM\",{used},30,\"SM\",{used},30,\"SM\",{used},30\r\n"
        )),
        "AT+CPIN?" => match st.cpin.pop_front() {
            Some(a) => format!("{echo}\r\n{}\r\n", a.replace('\n', "\r\n")),
            None => ok("\r\n+CPIN: READY\r\n".into()),
        },
        "AT+CMGL=4" => {
            let mut body = String::new();
            for (i, (stat, hex)) in &st.stored {
                let len = hex.len() / 2 - 1;
                body.push_str(&format!("\r\n+CMGL: {i},{stat},,{len}\r\n"));
                if st.noise {
                    body.push_str("\r\n+CREG: 1\r\n");
                }
                body.push_str(&format!("{hex}\r\n"));
            }
            ok(body)
        }
        _ if upper.starts_with("AT+CPIN=") => ok(String::new()),
        _ if upper.starts_with("AT+CNMI=") => ok(String::new()),
        _ if upper.starts_with("AT+CPMS=") => {
            ok(format!("\r\n+CPMS: {used},30,{used},30,{used},30\r\n"))
        }
        _ if upper.starts_with("AT+CMGR=") => {
            let index: u32 = upper[8..].parse().unwrap_or(0);
            match st.stored.get(&index) {
                Some((stat, hex)) => ok(format!(
                    "\r\n+CMGR: {stat},,{}\r\n{hex}\r\n",
                    hex.len() / 2 - 1
                )),
                None => format!("{echo}\r\n+CMS ERROR: 321\r\n"),
            }
        }
        _ if upper.starts_with("AT+CMGD=") => {
            let mut args = upper[8..].split(',');
            let index: u32 = args.next().and_then(|a| a.trim().parse().ok()).unwrap_or(0);
            match args.next().and_then(|a| a.trim().parse::<u8>().ok()) {
                // Delete all read messages (the listing marked them read);
                // stored outgoing ones stay.
                Some(1) => st.stored.retain(|_, (stat, _)| *stat >= 2),
                _ => {
                    st.stored.remove(&index);
                }
            }
            ok(String::new())
        }
        _ if upper.starts_with("AT+CMGS=") => return (Out::Write(format!("{echo}\r\n> ")), true),
        _ => format!("{echo}\r\nERROR\r\n"),
    };
    (Out::Write(out), false)
}

/// Hands the driver one pipe per open, then fails like a missing device.
#[derive(Clone, Default)]
pub struct Pipes(pub Arc<Mutex<VecDeque<DuplexStream>>>);

impl Pipes {
    pub fn add(&self, p: DuplexStream) {
        self.0.lock().unwrap().push_back(p);
    }
}

impl Opener for Pipes {
    type Port = DuplexStream;

    fn open<'a>(
        &'a mut self,
        _cfg: &'a ModemConfig,
    ) -> BoxFuture<'a, io::Result<(DuplexStream, String)>> {
        let next = self.0.lock().unwrap().pop_front();
        Box::pin(async move {
            next.map(|p| (p, "pipe".to_string()))
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such device"))
        })
    }
}

/// Records what it is given; refuses indices in `fail` as many times as told.
#[derive(Default)]
pub struct TestSink {
    pub timeline: Timeline,
    pub received: Mutex<Vec<Received>>,
    pub reports: Mutex<Vec<DeliveryReport>>,
    pub fail: Mutex<HashMap<u32, usize>>,
}

impl TestSink {
    pub fn new(timeline: &Timeline) -> Arc<Self> {
        Arc::new(Self {
            timeline: timeline.clone(),
            ..Self::default()
        })
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn reports(&self) -> Vec<DeliveryReport> {
        self.reports.lock().unwrap().clone()
    }
}

impl Sink for TestSink {
    fn received(&self, msg: Received) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            let index = msg.index;
            if let Some(n) = self
                .fail
                .lock()
                .unwrap()
                .get_mut(&index)
                .filter(|n| **n > 0)
            {
                *n -= 1;
                self.timeline.push(format!("sink-refused:{index}"));
                return Err(SinkError::new("database unavailable"));
            }
            self.timeline.push(format!("sink:{index}"));
            self.received.lock().unwrap().push(msg);
            Ok(())
        })
    }

    fn delivery_report(&self, report: DeliveryReport) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            self.timeline.push(format!("report:{}", report.mr));
            self.reports.lock().unwrap().push(report);
            Ok(())
        })
    }
}
