//! The `lapord` command line. `run` reads like a table of contents: load
//! settings, validate, log, bind, run the daemon until a signal, drain.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lapor::settings::{self, Settings};

/// EX_CONFIG from sysexits.h: systemd's RestartPreventExitStatus=78 stops the
/// restart loop on a bad configuration.
const EXIT_CONFIG: u8 = 78;

#[derive(Parser)]
#[command(
    name = "lapord",
    version,
    about = "lapord: intake daemon of a public-service complaint system (LAPOR!/SP4N)",
    long_about = "lapord takes citizens' complaints from SMS, Twitter/X, email and partner \
systems, gives each a tracking ID, routes it to the agency that must act, and follows it \
through to closure.\n\nStart here: `lapord run` with no options runs on an embedded SQLite \
database in ./lapord-data with the shipped configuration. `lapord print-config` shows every \
setting with its documentation."
)]
struct Cli {
    /// Configuration file. Default /etc/lapord/lapord.toml, or config/lapord.toml
    /// in a source checkout when that does not exist. LAPORD__SECTION__KEY
    /// environment variables override it.
    #[arg(long, global = true, env = "LAPORD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: migrate the store, serve HTTP, run the channels, until SIGTERM.
    Run,
    /// Validate the configuration and list every problem with its key (exit 78 if any).
    CheckConfig,
    /// Print the documented default configuration.
    PrintConfig,
    /// Apply database migrations and exit.
    Migrate,
    /// Look at reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Manage agencies' API tokens.
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Admins (verification officers): API tokens.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Agency officers: API tokens, each bound to one agency.
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// Helpers for webhook sources.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// The identity keyring that seals reporters' identities.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Decode or encode SMS PDUs, for when a modem misbehaves (no daemon, no store).
    Pdu {
        #[command(subcommand)]
        command: PduCommand,
    },
    /// Statistics for operators.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Who looked at protected identities, when and why.
    Audit {
        /// How many of the latest entries to show.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum PduCommand {
    /// Print every decoded field of a PDU as JSON (exit 1 with the error and
    /// its octet offset if it does not decode).
    Decode {
        /// The PDU in hex, as AT+CMGR/+CMGL print it (SMSC field first).
        hex: String,
        /// The hex is a bare TPDU, without the SMSC field.
        #[arg(long)]
        tpdu: bool,
    },
    /// Print the PDUs and AT+CMGS lengths lapord would send for a text.
    Encode {
        /// The recipient, e.g. +6281234567890.
        #[arg(long)]
        to: String,
        /// Ask for a delivery report (TP-SRR).
        #[arg(long)]
        status_report: bool,
        /// The message text.
        text: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new keyring file (mode 0600). Default path: store.identity_key,
    /// or <data_dir>/identity.key. Never overwrites.
    Generate {
        /// Where to write it instead.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Add a new key, re-seal every identity under it while the daemon runs,
    /// then retire the old keys. Back up the keyring file afterwards.
    Rotate,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Show a report: state, agency, reporter, events (JSON). An anonymous
    /// reporter's identity is withheld unless --reason is given; that view is
    /// recorded in the audit log.
    Show {
        /// The tracking ID (spaces, dashes, dots and a leading # are fine).
        tracking_id: String,
        /// Why you need to see an anonymous reporter's identity (audited).
        #[arg(long)]
        reason: Option<String>,
        /// Who you are, for the audit log. Default: operator:$SUDO_USER or $USER.
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Subcommand)]
enum AgencyCommand {
    /// Issue a token for an agency's systems (printed once), or revoke its tokens.
    Token {
        /// The agency code from the directory, e.g. kemenkes or kota-32.73.
        code: String,
        /// Revoke every token of this agency instead of issuing one.
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Detailed figures as CSV (per day, and per category, region, channel,
    /// weight or agency): what the public endpoints publish, in more detail.
    Export {
        /// First day, YYYY-MM-DD (WIB). Default: 30 days before --to.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (WIB). Default: today.
        #[arg(long)]
        to: Option<String>,
        /// all, category, region, channel, weight or agency.
        #[arg(long, default_value = "all")]
        by: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Issue an admin token (printed once; stored hashed), or revoke the admin's tokens.
    Token {
        /// The admin's name, as it appears in the events they cause.
        name: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Issue an officer token for an agency (printed once; stored hashed), or revoke.
    Token {
        /// The agency code from the directory, e.g. kemenkes.
        #[arg(long)]
        agency: String,
        /// The officer's name, as it appears in the events they cause.
        name: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Print a new random webhook secret (whsec_…).
    NewSecret,
    /// Sign a body as a source would: prints the three headers, for `curl -H @file`.
    Sign {
        /// The source's secret (whsec_… or file:/path).
        #[arg(long)]
        secret: String,
        /// webhook-id (the idempotency key). Default: a random msg_… id.
        #[arg(long)]
        id: Option<String>,
        /// webhook-timestamp in Unix seconds. Default: now.
        #[arg(long)]
        timestamp: Option<i64>,
        /// File holding the exact body to send.
        body: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::PrintConfig => {
            print!("{}", settings::DEFAULT_TOML);
            ExitCode::SUCCESS
        }
        Command::Webhook { command } => report(webhook(command)),
        Command::Pdu { command } => pdu(command),
        Command::CheckConfig => match load_checked(cli.config.as_deref()) {
            Ok(s) => {
                for w in s.warnings() {
                    eprintln!("lapord: WARNING {w}");
                }
                println!(
                    "configuration OK ({})",
                    s.source_file
                        .as_ref()
                        .map_or("embedded defaults only".into(), |p| p.display().to_string())
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        command => {
            let settings = match load_checked(cli.config.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            lapor::telemetry::init(&settings.log.format, &settings.log.level);
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("lapord: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            report(rt.block_on(dispatch(command, settings)))
        }
    }
}

/// Issues (prints once) or revokes an admin's or officer's API token.
async fn account_token(
    settings: &Settings,
    role: &str,
    name: &str,
    agency: Option<&str>,
    revoke: bool,
) -> anyhow::Result<()> {
    let store = lapor::daemon::open_store(settings).await?;
    let now = lapor::intake::now_ms();
    if revoke {
        let n = store.revoke_accounts(role, name, now).await?;
        println!("revoked {n} token(s) of {role} {name}");
    } else {
        let prefix = if role == "admin" { "lpx" } else { "lpo" };
        let token = format!("{prefix}_{}", hex::encode(rand::random::<[u8; 24]>()));
        store
            .add_account(role, name, agency, &lapor::http::token_hash(&token), now)
            .await?;
        eprintln!("Token for {role} {name} (shown once; it is stored hashed):");
        println!("{token}");
    }
    store.close().await;
    Ok(())
}

fn pdu(command: PduCommand) -> ExitCode {
    use lapor_sms::{Framing, TypeHint};
    match command {
        PduCommand::Decode { hex, tpdu } => {
            let framing = if tpdu {
                Framing::Tpdu
            } else {
                Framing::WithSmsc
            };
            let clean = lapor_sms::clean_pdu_line(&hex).to_string();
            let decoded = lapor_sms::parse_hex(&clean).and_then(|bytes| {
                lapor_sms::decode(&bytes[..], framing, TypeHint::ByMti).map(|p| (p, bytes))
            });
            match decoded {
                Ok((pdu, bytes)) => {
                    let v = lapor_sms::describe(&pdu, &bytes);
                    println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let v = lapor_sms::describe_error(&e, &clean);
                    println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
                    eprintln!("lapord: not a valid PDU: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        PduCommand::Encode {
            to,
            status_report,
            text,
        } => {
            let opts = lapor_sms::SubmitOptions {
                request_status_report: status_report,
                ..Default::default()
            };
            match lapor_sms::encode_plan(&to, &text, &opts) {
                Ok(v) => {
                    println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("lapord: cannot encode: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lapord: {e:#}");
            if e.downcast_ref::<lapor::daemon::ConfigError>().is_some() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Loads and validates; on problems prints them all and returns exit 78.
fn load_checked(explicit: Option<&std::path::Path>) -> Result<Settings, ExitCode> {
    let file = settings::pick_file(explicit);
    let loaded = settings::load(file.as_deref(), std::env::vars());
    let settings = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lapord: configuration cannot be loaded: {e}");
            return Err(ExitCode::from(EXIT_CONFIG));
        }
    };
    let problems = settings.validate();
    if problems.is_empty() {
        return Ok(settings);
    }
    eprintln!(
        "lapord: {} configuration problem(s){}:",
        problems.len(),
        file.as_ref()
            .map(|p| format!(" in {} and the environment", p.display()))
            .unwrap_or_default()
    );
    for p in &problems {
        eprintln!("  {p}");
    }
    Err(ExitCode::from(EXIT_CONFIG))
}

async fn dispatch(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Run => {
            let addr = settings.http.listen.clone();
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (http.listen)"))?;
            lapor::daemon::run(settings, listener, lapor::daemon::signals()).await
        }
        Command::Migrate => {
            let store = lapor::daemon::open_store(&settings).await?;
            println!(
                "migrated {} ({} reports)",
                lapor::daemon::describe_store(&settings),
                store.count_reports().await?
            );
            store.close().await;
            Ok(())
        }
        Command::Report {
            command:
                ReportCommand::Show {
                    tracking_id,
                    reason,
                    actor,
                },
        } => {
            let actor = actor.unwrap_or_else(lapor::ops::default_actor);
            let view =
                lapor::ops::report_show(&settings, &tracking_id, reason.as_deref(), &actor).await?;
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        Command::Audit { limit } => {
            for e in lapor::ops::audit(&settings, limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    lapor::views::rfc3339(e.at),
                    e.actor,
                    e.action,
                    e.tracking_id.as_deref().unwrap_or("-"),
                    e.reason
                );
            }
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Generate { out },
        } => {
            let path = out.unwrap_or_else(|| settings.identity_key_path());
            let id = lapor::ops::keys_generate(&path)?;
            println!("wrote keyring {} (key {id:08x}, mode 0600)", path.display());
            eprintln!(
                "Back it up APART from the database: without it no reporter identity can be read."
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let r = lapor::ops::keys_rotate(&settings, std::time::Duration::from_secs(3)).await?;
            println!(
                "rotated: key {:08x} active, {} report(s) re-sealed, retired {}",
                r.new,
                r.resealed,
                r.old
                    .iter()
                    .map(|k| format!("{k:08x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            eprintln!(
                "Back up the keyring file again: the old backup no longer opens new identities."
            );
            Ok(())
        }
        Command::Agency {
            command: AgencyCommand::Token { code, revoke },
        } => {
            let catalog = lapor::routing::Catalog::load(&settings.routing)
                .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
            if catalog.directory.get(&code).is_none() {
                anyhow::bail!("no agency with code {code} in the directory");
            }
            let store = lapor::daemon::open_store(&settings).await?;
            let now = lapor::intake::now_ms();
            if revoke {
                let n = store.revoke_agency_tokens(&code, now).await?;
                println!("revoked {n} token(s) of {code}");
            } else {
                let token = format!("lpa_{}", hex::encode(rand::random::<[u8; 24]>()));
                store
                    .add_agency_token(&code, &lapor::http::token_hash(&token), now)
                    .await?;
                eprintln!("Token for {code} (shown once; it is stored hashed):");
                println!("{token}");
            }
            store.close().await;
            Ok(())
        }
        Command::Stats {
            command: StatsCommand::Export { from, to, by },
        } => {
            let detail: lapor::stats::ExportDetail =
                by.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let day = |s: &str| {
                s.parse::<jiff::civil::Date>()
                    .map_err(|e| anyhow::anyhow!("{s:?} is not a date (YYYY-MM-DD): {e}"))
            };
            let to = match to {
                Some(t) => day(&t)?,
                None => jiff::Zoned::now()
                    .with_time_zone(jiff::tz::TimeZone::get("Asia/Jakarta")?)
                    .date(),
            };
            let period = match from {
                Some(f) => lapor::stats::Period { from: day(&f)?, to },
                None => lapor::stats::Period::ending(to, 30),
            };
            let catalog = lapor::routing::Catalog::load(&settings.routing)
                .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
            let _ = lapor::daemon::open_store(&settings).await?;
            let store = lapor::stats::open(&settings.store_url(), 1).await?;
            lapor::stats::index_once(&*store, lapor::stats::DEFAULT_BATCH).await?;
            print!(
                "{}",
                lapor::stats::export(&*store, &catalog.directory, period, detail).await?
            );
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Token { name, revoke },
        } => account_token(&settings, "admin", &name, None, revoke).await,
        Command::Officer {
            command:
                OfficerCommand::Token {
                    agency,
                    name,
                    revoke,
                },
        } => {
            let catalog = lapor::routing::Catalog::load(&settings.routing)
                .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
            if catalog.directory.get(&agency).is_none() {
                anyhow::bail!("no agency with code {agency} in the directory");
            }
            account_token(&settings, "officer", &name, Some(&agency), revoke).await
        }
        Command::CheckConfig
        | Command::PrintConfig
        | Command::Webhook { .. }
        | Command::Pdu { .. } => {
            unreachable!("handled before the runtime starts")
        }
    }
}

fn webhook(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::NewSecret => {
            let s = lapor_webhook::Secret::from_bytes(rand::random::<[u8; 32]>().to_vec());
            println!("{}", s.to_whsec());
        }
        WebhookCommand::Sign {
            secret,
            id,
            timestamp,
            body,
        } => {
            let value = settings::resolve_secret(&secret).map_err(anyhow::Error::msg)?;
            let secret = lapor_webhook::Secret::parse(&value).map_err(anyhow::Error::msg)?;
            let bytes =
                std::fs::read(&body).with_context(|| format!("cannot read {}", body.display()))?;
            let id =
                id.unwrap_or_else(|| format!("msg_{}", hex::encode(rand::random::<[u8; 12]>())));
            let ts = timestamp.unwrap_or_else(|| lapor::intake::now_ms() / 1000);
            println!("webhook-id: {id}");
            println!("webhook-timestamp: {ts}");
            println!("webhook-signature: {}", secret.sign(&id, ts, &bytes));
            println!("content-type: application/json");
        }
    }
    Ok(())
}
