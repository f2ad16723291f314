//! The `capacity-survey` command.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// jemalloc rather than glibc's allocator: with glibc each thread that allocates gets an arena of
/// its own that keeps what it once held, so the resident memory of a large forum's server grew
/// with each export; jemalloc stays flat and builds the workbook faster (the figures are in
/// docs/performance.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = capacity_survey::config::Cli::parse();
    let filter = EnvFilter::try_from_env("CAPACITY_SURVEY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    capacity_survey::cli::run(cli)
}
