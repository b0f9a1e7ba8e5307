//! What the crate's programs (the `report` binary, the `pipeline_ratio` and `pipeline_profile`
//! examples) do alike: their exit codes, and output and error messages that cannot panic when
//! stdout or stderr is closed. Usage errors are clap's: exit code [`USAGE`], `--help` exits 0.

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code of a run that failed: a measurement, reading results, or writing the output.
pub const FAILURE: u8 = 1;
/// Exit code of a usage error (clap's) or of an input that is not there.
pub const USAGE: u8 = 2;

/// Writes `error: {error}` to stderr and returns `code` to exit with. A closed stderr loses the
/// message, never the exit code.
pub fn fail(code: u8, error: impl Display) -> ExitCode {
    let _ = writeln!(io::stderr(), "error: {error}");
    ExitCode::from(code)
}

/// Writes `text` to stdout and flushes it; an error (a closed stdout) is returned, not a panic.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
