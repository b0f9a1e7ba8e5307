//! Prints the output of the article's `send.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example send [-- --flavour NAME]`; the flavours are those in
//! [`stackless::send::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::flavour::flavour_from_args;
use stackless::send;

fn main() -> ExitCode {
    let flavour = flavour_from_args(send::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match send::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: send ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
