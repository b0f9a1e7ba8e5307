//! The thread-per-connection baseline server (`std::net`), same options and protocol as the
//! coroutine servers: `cargo run --release -p comparisons --bin server-threads -- --addr 127.0.0.1:0`.

use std::process::ExitCode;

use clap::Parser;
use common::server::ServerOptions;
use comparisons::cli::{self, FAILURE};
use comparisons::servers::threads;

/// Answers `Hello <request>` to each request that ends with a blank line, one thread per
/// connection.
#[derive(Parser)]
#[command(
    name = "server-threads",
    version,
    after_help = "Prints `listening on IP:PORT` first. Exit status: 0 stopped by SIGINT or \
                  SIGTERM; 1 it could not listen or failed; 2 a usage error."
)]
struct Cli {
    #[command(flatten)]
    server: ServerOptions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match threads::run(&cli.server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, &e),
    }
}
