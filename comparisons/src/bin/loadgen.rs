//! Load generator for the servers of issue 5 (loopback only, bounded in count and time):
//! `cargo run --release -p comparisons --bin loadgen -- --addr 127.0.0.1:PORT --connections 100
//! --requests 10000`. Prints requests/s and latency percentiles.

use std::process::ExitCode;

use clap::Parser;
use comparisons::server_kit::load;

/// Sends requests ending in a blank line and checks each `Hello ...` reply.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    load: load::LoadOptions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = cli.load.validate() {
        eprintln!("loadgen: {e:#}");
        return ExitCode::from(2);
    }
    match load::run(&cli.load) {
        Ok(report) => {
            println!("{}", report.summary());
            if let Some(e) = &report.first_error {
                eprintln!("loadgen: first error: {e}");
            }
            if report.ok == 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
