//! Load generator for the servers (loopback only, bounded in count and time):
//! `cargo run --release -p comparisons --bin loadgen -- --addr 127.0.0.1:PORT --connections 100
//! --requests 10000`. Prints requests/s and latency percentiles.

use std::process::ExitCode;

use clap::Parser;
use comparisons::cli::{self, FAILURE};
use comparisons::progress;
use comparisons::servers::load;

/// Sends requests ending in a blank line and checks each `Hello ...` reply.
#[derive(Parser)]
#[command(
    name = "loadgen",
    version,
    after_help = "Exit status: 0 at least one request was answered right; 1 none was, or the \
                  load could not run; 2 a usage error."
)]
struct Cli {
    #[command(flatten)]
    load: load::LoadOptions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = cli.load.validate() {
        cli::usage_error::<Cli>(&e);
    }
    let report = match load::run(&cli.load) {
        Ok(report) => report,
        Err(e) => return cli::fail(FAILURE, &e),
    };
    if let Err(e) = cli::print(&format!("{}\n", report.summary())) {
        return cli::fail(
            FAILURE,
            &anyhow::Error::new(e).context("writing the summary"),
        );
    }
    if let Some(e) = &report.first_error {
        progress!("loadgen: first error: {e}");
    }
    if report.ok == 0 {
        ExitCode::from(FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}
