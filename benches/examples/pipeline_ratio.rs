//! `cargo run --release -p benches --example pipeline_ratio -- [LINES] [RUNS]`: measures the
//! pipeline styles, two floors (`memchr`'s newline count, the line reader alone) and the Python
//! reference side by side on one generated log (default 200000 lines, 11 interleaved rounds) and
//! prints nanoseconds per line, lines per second, the ratios against the targets and what the
//! 50x-over-Python goal would need per line.

use std::process::ExitCode;

use benches::cli::{self, FAILURE};
use clap::Parser;

/// Times every pipeline, the floors and Python side by side on one generated log.
#[derive(Debug, Parser)]
#[command(
    name = "pipeline_ratio",
    version,
    after_help = "Exit status: 0 measured; 1 a run failed, gave a wrong result, or the output \
                  could not be written; 2 a usage error."
)]
struct Cli {
    /// Lines of the generated log.
    #[arg(default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    lines: u64,
    /// Interleaved rounds (every style once per round); the report shows medians.
    #[arg(default_value_t = 11, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runs = usize::try_from(cli.runs).unwrap_or(usize::MAX);
    match benches::pipeline::ratio_report(cli.lines, runs, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, e),
    }
}
