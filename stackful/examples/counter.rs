//! Prints the output of the article's `counter.py` with a stackful (corosensei) coroutine.
//!
//! Usage: `cargo run -p stackful --example counter` (no arguments).

use std::io::Write;
use std::process::ExitCode;

use stackful::counter;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        eprintln!("error: unexpected argument `{arg}` (the stackful demos have one style only)");
        eprintln!("usage: counter");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    match counter::run(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: counter: {e}");
            ExitCode::FAILURE
        }
    }
}
