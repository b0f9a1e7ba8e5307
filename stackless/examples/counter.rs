//! Prints the output of the article's `counter.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example counter [-- --flavour NAME]`; the flavours are those in
//! [`stackless::counter::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::counter;
use stackless::flavour::flavour_from_args;

fn main() -> ExitCode {
    let flavour = flavour_from_args(counter::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match counter::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: counter ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
