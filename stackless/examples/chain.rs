//! Prints the output of the article's `chain.py` with stackless coroutines:
//! `cargo run -p stackless --example chain [-- --flavour native|gen|genawaiter]` (default `native`).
//! `--help` describes the flavours; a flavour this demo lacks is a usage error (exit code 2).

fn main() -> std::process::ExitCode {
    stackless::flavour::CHAIN.main()
}
