//! Prints the output of the article's `say.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example say [-- --flavour NAME]`; the flavours are those in
//! [`stackless::say::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::flavour::flavour_from_args;
use stackless::say;

fn main() -> ExitCode {
    let flavour = flavour_from_args(say::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match say::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: say ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
