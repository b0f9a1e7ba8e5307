//! `cargo run --release -p benches --example scheduler_ratio -- [ROUNDS]`: runs the scheduler
//! workloads (10 x 1,000 to 100,000 x 1 tasks x steps) with the stackless and the stackful
//! scheduler in turn, `ROUNDS` times (default 11), and prints the median time per run and per
//! step, the page faults per run and the stackful / stackless ratio against its target; then the
//! cost of resuming 10 to 100,000 suspended coroutines of each style one after another.

use std::process::ExitCode;

use benches::cli::{self, FAILURE};
use clap::Parser;

/// Times both schedulers in turn on every workload, and one resume at growing coroutine counts.
#[derive(Debug, Parser)]
#[command(
    name = "scheduler_ratio",
    version,
    after_help = "Exit status: 0 measured; 1 a run failed, gave a wrong result, or the output \
                  could not be written; 2 a usage error."
)]
struct Cli {
    /// Rounds (each runs both schedulers once per workload); the report shows medians.
    #[arg(default_value_t = 11, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rounds = usize::try_from(cli.rounds).unwrap_or(usize::MAX);
    match benches::scheduler::ratio_report(rounds, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, e),
    }
}
