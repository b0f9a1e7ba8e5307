//! `cargo run --release -p benches --example pipeline_profile -- WORK [LINES] [PASSES]`: runs one
//! pipeline (`plain`, `stackless`, `stackful`, `threaded`) or one floor (`scan`, `read`) `PASSES`
//! times over the benchmark's generated log in memory (default 200000 lines, 1 pass), checking
//! every result, and nothing else: a target for `perf record` and `valgrind --tool=callgrind` (run
//! it with two pass counts and subtract, so that generating the log cancels out;
//! `scripts/pipeline_instructions.sh` does that).

use std::hint::black_box;
use std::process::ExitCode;

use benches::cli::{self, FAILURE};
use benches::pipeline::{Work, bench_spec};
use clap::Parser;

/// Runs one pipeline or floor over the benchmark's log in memory, for a profiler.
#[derive(Debug, Parser)]
#[command(
    name = "pipeline_profile",
    version,
    after_help = "Exit status: 0 every pass gave the right result; 1 a pass failed or gave a \
                  wrong result; 2 a usage error."
)]
struct Cli {
    /// The pipeline or floor to run.
    #[arg(value_enum)]
    work: Work,
    /// Lines of the generated log.
    #[arg(default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    lines: u64,
    /// Passes over the log.
    #[arg(default_value_t = 1)]
    passes: u64,
}

fn main() -> ExitCode {
    let Cli {
        work,
        lines,
        passes,
    } = Cli::parse();
    let spec = bench_spec(lines);
    let bytes = match spec.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => return cli::fail(FAILURE, format_args!("generating the log: {e}")),
    };
    let addresses = spec.address_list();
    let expected = spec.expected();
    for _ in 0..passes {
        let ok = match work {
            Work::Pipeline(pipeline) => pipeline
                .count(black_box(&bytes[..]), black_box(&addresses))
                .map(|counts| counts == expected),
            Work::Floor(floor) => floor.run(black_box(&bytes)).map(|n| n == lines),
        };
        match ok {
            Ok(true) => {}
            Ok(false) => {
                return cli::fail(FAILURE, format_args!("{} gave a wrong result", work.name()));
            }
            Err(e) => return cli::fail(FAILURE, e),
        }
    }
    ExitCode::SUCCESS
}
