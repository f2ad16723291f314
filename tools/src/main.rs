//! The `capacity-survey-tools` command: the bench and the soak, and the server they start.

use std::process::ExitCode;

use clap::Parser;
use tools::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

/// The product's allocator (see the product's src/main.rs), so that the server the bench
/// measures (`serve`, this binary) is the one that is deployed.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The bench and the soak print a table; request logs would drown it.
    let default_filter = match cli.command {
        Command::Serve(_) => "info,actix_server=warn",
        Command::Bench(_) | Command::Soak(_) => "warn",
    };
    let filter = EnvFilter::try_from_env("CAPACITY_SURVEY_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Bench(args) => tools::bench::run(&args),
        Command::Soak(args) => tools::soak::run(&args),
        Command::Serve(args) => {
            return capacity_survey::cli::run(capacity_survey::config::Cli {
                serve: args,
                command: None,
            });
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
