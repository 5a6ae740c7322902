//! The `vanish` binary: `vanish serve` runs the server; the other subcommands are the
//! client (see `cli`). All the work lives in the library crates; this file only dispatches.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use vanish_server::{Config, Deps, Server, clock::SystemClock, server, telemetry};

#[derive(Parser)]
#[command(name = "vanish", version, about = "One-time secret sharing, end-to-end encrypted")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API + web UI).
    Serve(Box<Config>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => serve(*config),
    }
}

fn serve(config: Config) -> ExitCode {
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|f| f == "pretty");
    telemetry::init_logging(pretty);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
    let store = server::open_store(&config)?;
    let running = Server::start(&config, Deps { store, clock: Arc::new(SystemClock) }).await?;
    server::shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}
