//! The tools' command line: `bench`, `soak`, and the hidden `serve` they start the server with.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "capacity-survey-tools",
    version,
    about = "Measures capacity-survey: the bench (pages, saves, exports) and the soak (lost saves)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up: the size of the serve flags costs nothing worth boxing them for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Seed a synthetic assessment into a fresh database and time the main pages and exports.
    Bench(BenchArgs),
    /// Many representatives save sections at once for a while; then check nothing was lost.
    Soak(SoakArgs),
    /// The product's `serve`, run by the bench and the soak as the server they measure.
    #[command(hide = true)]
    Serve(capacity_survey::config::ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// Concurrent representatives, each answering for its own organization (1 to 1000).
    #[arg(long, default_value_t = 200)]
    pub representatives: usize,
    /// How long they keep saving, in seconds (1 to 3600).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// A PostgreSQL server URL (postgres://user@host/database) to soak instead of a fresh SQLite
    /// file; a fresh database is created next to the one named and dropped afterwards.
    #[arg(long)]
    pub database: Option<String>,
    /// What the clients do: `sections` (section saves only) or `writes` (each round also
    /// creates a mechanism with a forum partner, changes it, and every other round removes it).
    #[arg(long, value_enum, default_value_t = SoakMix::Sections)]
    pub mix: SoakMix,
}

/// The requests of a soak's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SoakMix {
    Sections,
    Writes,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Number of organizations in the synthetic assessment.
    #[arg(long, default_value_t = 1000)]
    pub organizations: usize,
    /// Timed runs of each measurement (the median and the maximum are reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// A PostgreSQL server URL to bench on instead of a fresh SQLite file; a fresh database is
    /// created next to the one named and dropped afterwards.
    #[arg(long, env = "CAPACITY_SURVEY_BENCH_POSTGRES")]
    pub postgres: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Keep the seeded database afterwards (its URL and logins are printed) to look at it.
    #[arg(long)]
    pub keep: bool,
    /// Only seed (implies --keep): print the database URL, the logins and the responses the
    /// representative answers for (the HTTP load script uses them), and measure nothing.
    #[arg(long)]
    pub seed_only: bool,
}
