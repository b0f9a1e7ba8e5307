//! Prints the output of the article's `scheduler.py` with stackless coroutines:
//! `cargo run -p stackless --example scheduler [-- --flavour native|genawaiter]` (default `native`).
//! `--help` describes the flavours; a flavour this demo lacks is a usage error (exit code 2).

fn main() -> std::process::ExitCode {
    stackless::flavour::SCHEDULER.main()
}
