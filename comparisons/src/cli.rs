//! What every program of the crate (`comparisons`, `serverbench`, `loadgen`, `server-threads`,
//! `server-tokio`) does alike: its exit codes, and output, progress and error messages that cannot
//! panic when stdout or stderr is closed. Usage errors are clap's: exit code [`USAGE`], `--help`
//! exits 0.

use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code of a run that failed: a measurement, a server, or writing the output.
pub const FAILURE: u8 = 1;
/// Exit code of a usage error (clap's, or an option value the program checked itself).
pub const USAGE: u8 = 2;

/// Writes one line to stderr (progress, a warning) like `eprintln!`, but a closed stderr loses
/// the line instead of panicking and aborting the run.
#[macro_export]
macro_rules! progress {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

/// Writes `error: {error:#}` to stderr and returns `code` to exit with. A closed stderr loses the
/// message, never the exit code.
pub fn fail(code: u8, error: &anyhow::Error) -> ExitCode {
    progress!("error: {error:#}");
    ExitCode::from(code)
}

/// Writes `text` to stdout and flushes it; an error (a closed stdout) is returned, not a panic.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Exits with a usage error (code [`USAGE`]) for an option value `C` parsed but a check of the
/// program refused, in clap's words and format, with the usage line.
pub fn usage_error<C: clap::CommandFactory>(error: &anyhow::Error) -> ! {
    C::command()
        .error(
            clap::error::ErrorKind::ValueValidation,
            format!("{error:#}"),
        )
        .exit()
}
