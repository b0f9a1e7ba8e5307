//! Prints the output of the article's `chain.py` with a stackful (corosensei) coroutine.
//!
//! Usage: `cargo run -p stackful --example chain` (no arguments).

use std::io::Write;
use std::process::ExitCode;

use stackful::chain;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        eprintln!("error: unexpected argument `{arg}` (the stackful demos have one style only)");
        eprintln!("usage: chain");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    match chain::run(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: chain: {e}");
            ExitCode::FAILURE
        }
    }
}
