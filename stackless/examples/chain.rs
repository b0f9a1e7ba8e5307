//! Prints the output of the article's `chain.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example chain [-- --flavour NAME]`; the flavours are those in
//! [`stackless::chain::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::chain;
use stackless::flavour::flavour_from_args;

fn main() -> ExitCode {
    let flavour = flavour_from_args(chain::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match chain::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: chain ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
