//! The article's trap-style scheduler (`GetTid`, `NewTask`, `KillTask`) running `foo` and `bar`.
//!
//! `cargo run -p stackless --example scheduler [-- --flavour native|genawaiter]`

use std::io::{self, Write};
use std::process::ExitCode;

use stackless::flavour::flavour_from_args;
use stackless::scheduler::{FLAVOURS, run_flavour};

fn main() -> ExitCode {
    let flavour = flavour_from_args(FLAVOURS);
    let mut out = io::stdout().lock();
    match run_flavour(flavour, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the scheduler demo could not write its output: {e}");
            ExitCode::FAILURE
        }
    }
}
