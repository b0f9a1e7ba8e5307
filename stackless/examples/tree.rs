//! Prints the output of the article's `tree.py` with stackless coroutines:
//! `cargo run -p stackless --example tree [-- --flavour native|gen|genawaiter]` (default `native`).
//! `--help` describes the flavours; a flavour this demo lacks is a usage error (exit code 2).

fn main() -> std::process::ExitCode {
    stackless::flavour::TREE.main()
}
