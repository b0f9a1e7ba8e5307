//! The thread-per-connection baseline server (`std::net`), same options and protocol as the
//! coroutine servers: `cargo run --release -p comparisons --bin server-threads -- --addr 127.0.0.1:0`.

use std::process::ExitCode;

use clap::Parser;
use common::server::ServerOptions;
use comparisons::server_kit::threads;

fn main() -> ExitCode {
    let opts = ServerOptions::parse();
    match threads::run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server-threads: {e:#}");
            ExitCode::FAILURE
        }
    }
}
