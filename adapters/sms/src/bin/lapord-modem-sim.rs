//! `lapord-modem-sim`: a simulated GSM modem on a pseudo-terminal, for demos and manual
//! tests of `lapord` (or `gammu`). It prints the device path to open, then reads lines
//! `<sender> <text>` on standard input and delivers each as an incoming SMS; every SMS
//! the host sends through `AT+CMGS` is printed as it is sent. End of input or Ctrl-C
//! stops it and removes the link.
//!
//! ```text
//! lapord-modem-sim --link /tmp/lapord-modem [--baud 115200] [--capacity 30]
//! ```

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use lapor_sms::sim::{SimConfig, Simulator};

const USAGE: &str =
    "usage: lapord-modem-sim [--link PATH] [--baud BAUD] [--capacity SLOTS] [--smsc NUMBER]

Starts a simulated GSM modem on a pseudo-terminal and prints the path to open.
Each line '<sender> <text>' on standard input is delivered as an incoming SMS;
each SMS the host sends is printed as 'sent to <number> (mr <n>): <text>'.

  --link PATH       also make PATH a symlink to the pty (like /dev/serial/by-id/...)
  --baud BAUD       pace the line like a serial port at BAUD (default: unpaced)
  --capacity SLOTS  SIM message slots (default 30)
  --smsc NUMBER     SMS centre number (default +6281100000)";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SimConfig, String> {
    let mut cfg = SimConfig::default();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--link" => cfg.link = Some(PathBuf::from(value("--link")?)),
            "--baud" => {
                let b = value("--baud")?;
                cfg.baud = Some(b.parse().map_err(|_| format!("bad --baud {b:?}"))?);
            }
            "--capacity" => {
                let c = value("--capacity")?;
                cfg.capacity = c.parse().map_err(|_| format!("bad --capacity {c:?}"))?;
            }
            "--smsc" => cfg.smsc = value("--smsc")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(cfg)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cfg = match parse_args(std::env::args().skip(1)) {
        Ok(cfg) => cfg,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("lapord-modem-sim: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let sim = match Simulator::start(cfg).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("lapord-modem-sim: cannot start the simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sim.path().display());
    tokio::select! {
        _ = deliver_stdin(&sim) => {}
        _ = print_sent(&sim) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Delivers each `<sender> <text>` line until end of input. Standard input is read on
/// a thread of its own (blocking reads, std only).
async fn deliver_stdin(sim: &Simulator) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((from, text)) = line.split_once(char::is_whitespace) else {
            eprintln!("expected '<sender> <text>', got {line:?}");
            continue;
        };
        match sim.deliver_text(from, text.trim_start()) {
            Ok(indices) => println!("delivered from {from} at {indices:?}"),
            Err(e) => eprintln!("cannot deliver from {from}: {e}"),
        }
    }
}

/// Prints every SMS the host sends, as it is sent.
async fn print_sent(sim: &Simulator) {
    let mut shown = 0;
    loop {
        sim.wait_for(|s| s.sent().len() > shown).await;
        for sms in &sim.sent()[shown..] {
            let text = sms.text.as_deref().unwrap_or("<8-bit data>");
            let part = sms
                .concat
                .map(|c| format!(" part {}/{}", c.seq, c.total))
                .unwrap_or_default();
            println!("sent to {} (mr {}){part}: {text}", sms.to, sms.mr);
        }
        shown = sim.sent().len();
    }
}
