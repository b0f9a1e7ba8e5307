//! Prints the output of the article's `fib.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example fib [-- --flavour NAME]`; the flavours are those in
//! [`stackless::fib::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::fib;
use stackless::flavour::flavour_from_args;

fn main() -> ExitCode {
    let flavour = flavour_from_args(fib::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match fib::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: fib ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
