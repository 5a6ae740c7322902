//! The `vanish` binary: `vanish serve` runs the server; the other subcommands are the
//! client (see `cli`). All the work lives in the library crates; this file only dispatches.

mod cli;

/// mimalloc instead of the C library's allocator: a request allocates and frees a few
/// hundred small blocks, and glibc's malloc was a fifth of the server's instructions per
/// request (bench/README.md, "Where the time goes").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use vanish_server::{Config, Server, app, clock::SystemClock, server, telemetry};

#[derive(Parser)]
#[command(
    name = "vanish",
    version,
    about = "One-time secret sharing, end-to-end encrypted"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API + web UI).
    Serve(Box<Config>),
    /// Encrypt stdin or FILE locally, upload it, print the link.
    Send(cli::send::Args),
    /// Reveal a secret (consumes a view), decrypt it locally, write it out.
    Get(cli::get::Args),
    /// The sender's receipt: pending, viewed (when), burned or expired.
    Status(cli::status::Args),
    /// Destroy a secret early.
    Burn(cli::burn::Args),
    /// Make an API token (for servers with CREATE_ACCESS=token) and its hash.
    Token(cli::token::Args),
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("serve", Config::name_values_after_variables);
    let cli = Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Serve(config) => serve(*config),
        Command::Send(args) => cli::send::run(args),
        Command::Get(args) => cli::get::run(args),
        Command::Status(args) => cli::status::run(args),
        Command::Burn(args) => cli::burn::run(args),
        Command::Token(args) => cli::token::run(args),
    }
}

fn serve(config: Config) -> ExitCode {
    // Before the runtime starts: error reporting hooks panics on every thread. Dropped
    // last, so queued error reports and spans are flushed after the server stops.
    let _telemetry = match telemetry::init(&config.telemetry) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("vanish: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("vanish: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_server(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "vanish serve failed");
            eprintln!("vanish: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_server(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    let deps = app::open_deps(&config, Arc::new(SystemClock)).await?;
    let running = Server::start(&config, deps).await?;
    server::shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}
