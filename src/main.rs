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
    /// Helpers for webhook sources.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Show a report: state, agency, reporter, events (JSON).
    Show {
        /// The tracking ID (spaces, dashes, dots and a leading # are fine).
        tracking_id: String,
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
        Command::CheckConfig => match load_checked(cli.config.as_deref()) {
            Ok(s) => {
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

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lapord: {e:#}");
            ExitCode::FAILURE
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
            command: ReportCommand::Show { tracking_id },
        } => {
            let id = lapor::tracking::parse(&tracking_id)
                .map_err(|e| anyhow::anyhow!("{tracking_id:?} is not a tracking ID: {e}"))?;
            let catalog = lapor::routing::Catalog::load(&settings.routing)
                .map_err(|p| anyhow::anyhow!("routing configuration: {p:?}"))?;
            let store = lapor::daemon::open_store(&settings).await?;
            let Some(r) = store.report_by_tracking(&id.to_string()).await? else {
                anyhow::bail!("no report with tracking ID {id}");
            };
            let reporter = store.reporter(r.id).await?;
            let attachments = store.attachments(r.id).await?;
            let events = store.events(r.id).await?;
            let view = lapor::views::operator_view(
                &r,
                reporter.as_ref(),
                &attachments,
                &events,
                &catalog.directory,
            );
            println!("{}", serde_json::to_string_pretty(&view)?);
            store.close().await;
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
        Command::CheckConfig | Command::PrintConfig | Command::Webhook { .. } => {
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
