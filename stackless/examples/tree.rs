//! Prints the output of the article's `tree.py` with stackless coroutines.
//!
//! Usage: `cargo run -p stackless --example tree [-- --flavour NAME]`; the flavours are those in
//! [`stackless::tree::FLAVOURS`] (default `native`). An unknown or unavailable flavour exits with 2.

use std::io::Write;
use std::process::ExitCode;

use stackless::flavour::flavour_from_args;
use stackless::tree;

fn main() -> ExitCode {
    let flavour = flavour_from_args(tree::FLAVOURS);
    let mut out = std::io::stdout().lock();
    match tree::run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: tree ({flavour}): {e}");
            ExitCode::FAILURE
        }
    }
}
