//! Prints the output of the article's `fib.py` with stackless coroutines:
//! `cargo run -p stackless --example fib [-- --flavour native|gen|genawaiter|manual]` (default `native`).
//! `--help` describes the flavours; a flavour this demo lacks is a usage error (exit code 2).

fn main() -> std::process::ExitCode {
    stackless::flavour::FIB.main()
}
