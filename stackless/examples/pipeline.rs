//! `cargo run --release -p stackless --example pipeline -- [--threaded] LOG [IP ...]`: counts the
//! requests from each address in an access log with native stackless coroutines (or threads).

fn main() -> std::process::ExitCode {
    stackless::pipeline::main()
}
