//! The tokio baseline server, same options and protocol as the coroutine servers:
//! `cargo run --release -p comparisons --bin server-tokio -- --runtime current --addr 127.0.0.1:0`.

use std::process::ExitCode;

use clap::Parser;
use common::server::ServerOptions;
use comparisons::server_kit::tokio_server;

/// The server's options plus the runtime to use.
#[derive(Parser)]
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
        Err(e) => {
            eprintln!("server-tokio: {e:#}");
            ExitCode::FAILURE
        }
    }
}
