//! The event-loop TCP server, each connection a corosensei coroutine on its own small stack:
//! `cargo run --release -p stackful --example server -- --addr 127.0.0.1:0`.
//! Prints `listening on IP:PORT`, answers `Hello <request>` to requests ending in a blank line,
//! stops on SIGINT/SIGTERM. `--help` lists the options.

fn main() -> std::process::ExitCode {
    common::server::serve_cli::<stackful::server::StackfulConnection>(std::env::args_os())
}
