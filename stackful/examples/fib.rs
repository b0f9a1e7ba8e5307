//! Prints the output of the article's `fib.py` with a stackful (corosensei) coroutine.
//!
//! Usage: `cargo run -p stackful --example fib` (no arguments).

use std::io::Write;
use std::process::ExitCode;

use stackful::fib;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        eprintln!("error: unexpected argument `{arg}` (the stackful demos have one style only)");
        eprintln!("usage: fib");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    match fib::run(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: fib: {e}");
            ExitCode::FAILURE
        }
    }
}
