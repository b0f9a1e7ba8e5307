//! `cargo run --release -p stackful --example pipeline -- [--threaded] LOG [IP ...]`: counts the
//! requests from each address in an access log with stackful coroutines (or threads).

fn main() -> std::process::ExitCode {
    stackful::pipeline::main()
}
