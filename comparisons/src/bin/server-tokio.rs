//! The tokio baseline server, same options and protocol as the coroutine servers:
//! `cargo run --release -p comparisons --bin server-tokio -- --runtime current --addr 127.0.0.1:0`.

use std::process::ExitCode;

use clap::Parser;
use common::server::ServerOptions;
use comparisons::cli::{self, FAILURE};
use comparisons::servers::tokio_server;

/// Answers `Hello <request>` to each request that ends with a blank line, one tokio task per
/// connection.
#[derive(Parser)]
#[command(
    name = "server-tokio",
    version,
    after_help = "Prints `listening on IP:PORT` first. Exit status: 0 stopped by SIGINT or \
                  SIGTERM; 1 it could not listen or failed; 2 a usage error."
)]
struct Cli {
    /// Which tokio runtime: `current` (one thread) or `multi` (a worker per core).
    #[arg(long, value_enum, default_value = "current")]
    runtime: tokio_server::Runtime,
    #[command(flatten)]
    server: ServerOptions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match tokio_server::run(&cli.server, cli.runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, &e),
    }
}
