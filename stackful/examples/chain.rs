//! Prints the output of the article's `chain.py` with a stackful coroutine:
//! `cargo run -p stackful --example chain [-- --flavour corosensei]` (the only flavour).
//! `--help` describes it; any other flavour is a usage error (exit code 2).

fn main() -> std::process::ExitCode {
    stackful::flavour::CHAIN.main()
}
