//! The article's trap-style scheduler (`GetTid`, `NewTask`, `KillTask`) running `foo` and `bar`.
//!
//! `cargo run -p stackful --example scheduler`

use std::io::{self, Write};
use std::process::ExitCode;

use stackful::scheduler::run;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        eprintln!("error: unexpected argument `{arg}`");
        eprintln!("usage: scheduler");
        return ExitCode::from(2);
    }
    let mut out = io::stdout().lock();
    match run(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the scheduler demo could not write its output: {e}");
            ExitCode::FAILURE
        }
    }
}
