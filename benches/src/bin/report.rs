//! Prints the README's benchmark tables (medians from criterion's last run) and the ratios that
//! matter, with their targets: `cargo run -p benches --bin report [-- CRITERION_DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use benches::cli::{self, FAILURE, USAGE};
use benches::report;
use clap::Parser;

/// Prints the benchmark tables and ratios from criterion's last run.
#[derive(Debug, Parser)]
#[command(
    name = "report",
    version,
    after_help = "Exit status: 0 printed; 1 the results could not be read or the output not \
                  written; 2 a usage error, or no criterion results in CRITERION_DIR."
)]
struct Cli {
    /// Criterion's output directory [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion,
    /// else the workspace's target/criterion].
    #[arg(value_name = "CRITERION_DIR")]
    dir: Option<PathBuf>,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown host".to_owned());
    format!("{host}: {cpu}, {cores} cores available")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = cli.dir.unwrap_or_else(report::default_dir);
    if !dir.is_dir() {
        return cli::fail(
            USAGE,
            format_args!(
                "no criterion results in {} (run `cargo bench` first)",
                dir.display()
            ),
        );
    }
    let results = match report::load(&dir) {
        Ok(r) if r.is_empty() => {
            return cli::fail(
                USAGE,
                format_args!(
                    "no benchmark results under {} (run `cargo bench` first)",
                    dir.display()
                ),
            );
        }
        Ok(r) => r,
        Err(e) => return cli::fail(FAILURE, format_args!("{e:#}")),
    };
    let text = format!(
        "Medians from criterion's last run in {} ({} benchmarks), measured on {}.\n\n{}### Ratios\n\n{}",
        dir.display(),
        results.len(),
        machine(),
        report::tables(&results),
        report::ratios(&results)
    );
    match cli::print(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, format_args!("writing the report: {e}")),
    }
}
