//! The event-loop TCP server, each connection a native stackless coroutine:
//! `cargo run --release -p stackless --example server -- --addr 127.0.0.1:0`.
//! Prints `listening on IP:PORT`, answers `Hello <request>` to requests ending in a blank line,
//! stops on SIGINT/SIGTERM. `--help` lists the options.

fn main() -> std::process::ExitCode {
    common::server::serve_cli::<stackless::server::NativeConnection>(std::env::args_os())
}
