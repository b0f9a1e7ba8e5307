//! The `pipeline` example's command line, shared by every coroutine style:
//! `pipeline [--threaded] LOG [IP ...]` prints `IP COUNT` for each distinct address in argument
//! order (the article's three when none is given). Exit codes are decided here, in
//! [`CliError::exit_code`]: 0 success, 2 usage error (an argument that is not an IPv4 or IPv6
//! address among them) or a log that cannot be opened or read, 1 a pipeline failure or an output
//! error. Nothing here panics on a closed stdout or stderr.
//!
//! Addresses are parsed as [`IpAddr`] and then compared in their canonical text, the way
//! [`IpAddr`]'s `Display` writes them (for IPv6, RFC 5952: lowercase, the longest run of zero
//! groups shortened to `::`), which is how Apache and nginx write client addresses in their logs.
//! So `0:0:0:0:0:0:0:1` and `::1` on the command line are the same address, printed once as `::1`
//! and counted on the lines whose first field is the text `::1`. The log's first field is compared
//! as text, never parsed (the rule of the article, which keeps the per-line work a byte
//! comparison): a line that spells an address another way, e.g. `0:0:0:0:0:0:0:1`, is not counted
//! for `::1`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::logdata::{ARTICLE_ADDRESSES, Counts, PipelineError, distinct};

/// A single-threaded pipeline over an opened log: the coroutine style the example runs.
pub type CountFn = fn(BufReader<File>, &[&str]) -> Result<Counts, PipelineError>;

/// The command line of the `pipeline` example (`--help` prints it).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pipeline",
    about = "Counts the requests from each client address in an Apache access log, with coroutines"
)]
pub struct PipelineArgs {
    /// Run each stage on its own thread, joined by bounded channels (past 64 addresses, the
    /// filter threads take several addresses each).
    #[arg(long)]
    pub threaded: bool,
    /// The access log (Apache combined format).
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// Client addresses to count, IPv4 or IPv6 [default: the article's three].
    #[arg(value_name = "IP")]
    pub addresses: Vec<IpAddr>,
}

impl PipelineArgs {
    /// The distinct addresses to count, in their canonical text and first order (the article's
    /// three when none was given).
    ///
    /// ```
    /// use clap::Parser;
    /// let args = common::pipeline::cli::PipelineArgs::parse_from([
    ///     "pipeline", "x.log", "0:0:0:0:0:0:0:1", "10.0.0.1", "::1",
    /// ]);
    /// assert_eq!(args.address_texts(), ["::1", "10.0.0.1"]);
    /// ```
    pub fn address_texts(&self) -> Vec<String> {
        let texts: Vec<String> = if self.addresses.is_empty() {
            ARTICLE_ADDRESSES.iter().map(|a| (*a).to_owned()).collect()
        } else {
            self.addresses.iter().map(IpAddr::to_string).collect()
        };
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        distinct(&refs).into_iter().map(str::to_owned).collect()
    }
}

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments, an address that is not one among them (or `--help`, which clap reports
    /// the same way).
    #[error("{0}")]
    Usage(#[from] clap::Error),
    /// The log could not be opened.
    #[error("error: cannot open log {}: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The pipeline failed on the log (reading it, or in a stage).
    #[error("error: {}: {source}", path.display())]
    Pipeline {
        /// The log's path.
        path: PathBuf,
        /// What failed.
        source: PipelineError,
    },
    /// Writing the result failed.
    #[error("error: writing the output: {0}")]
    Output(#[source] io::Error),
}

impl CliError {
    /// The process exit code for this error, decided in this one place.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(e) if !e.use_stderr() => 0, // --help
            CliError::Usage(_) | CliError::Open { .. } => 2,
            // The log could not be read, or more addresses than stackful stages can get stacks
            // for: both are fixed on the command line.
            CliError::Pipeline {
                source: PipelineError::Io(_) | PipelineError::NoStack(_),
                ..
            } => 2,
            CliError::Pipeline { .. } | CliError::Output(_) => 1,
        }
    }
}

/// Runs the command on `args` (program name first) and writes `IP COUNT` lines to `out`, using
/// `count` for the coroutine pipeline and the shared threaded pipeline for `--threaded`.
///
/// ```
/// use common::pipeline::cli::{CliError, run};
/// let mut out = Vec::new();
/// let err = run(["pipeline", "/no/such/file.log"], &mut out, common::logdata::count_plain);
/// assert!(matches!(&err, Err(e @ CliError::Open { .. }) if e.exit_code() == 2));
/// ```
pub fn run<I, T>(args: I, out: &mut impl Write, count: CountFn) -> Result<(), CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = PipelineArgs::try_parse_from(args)?;
    let texts = args.address_texts();
    let addresses: Vec<&str> = texts.iter().map(String::as_str).collect();
    let path = args.log;

    let file = File::open(&path).map_err(|source| CliError::Open {
        path: path.clone(),
        source,
    })?;
    let reader = BufReader::with_capacity(64 * 1024, file);
    let counts = if args.threaded {
        super::threaded::count(reader, &addresses)
    } else {
        count(reader, &addresses)
    }
    .map_err(|source| CliError::Pipeline { path, source })?;
    for address in addresses {
        writeln!(out, "{address} {}", counts.get(address)).map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)
}

/// The whole example: runs [`run`] on the process arguments, prints errors to stderr (help to
/// stdout) and returns the exit code. A closed stdout is an output error (exit 1); a closed stderr
/// loses the message but not the exit code.
pub fn main(count: CountFn) -> ExitCode {
    let stdout = io::stdout();
    match run(std::env::args_os(), &mut stdout.lock(), count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                CliError::Usage(usage) => {
                    let _ = usage.print(); // clap's own format: help to stdout, errors to stderr
                }
                // Nowhere left to report a failure to write to stderr.
                _ => {
                    let _ = writeln!(io::stderr(), "{error}");
                }
            }
            error.exit_code().into()
        }
    }
}
