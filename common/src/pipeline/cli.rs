//! The `pipeline` example's command line, shared by every coroutine style:
//! `pipeline [--threaded] LOG [IP ...]` prints `IP COUNT` for each distinct address in argument
//! order (the article's three when none is given). Exit codes are decided here, in
//! [`CliError::exit_code`]: 0 success, 2 usage error or a log that cannot be opened or read, 1 a
//! pipeline failure or an output error.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command, value_parser};

use crate::logdata::{ARTICLE_ADDRESSES, Counts, PipelineError, distinct};

/// A single-threaded pipeline over an opened log: the coroutine style the example runs.
pub type CountFn = fn(BufReader<File>, &[&str]) -> Result<Counts, PipelineError>;

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments (or `--help`, which clap reports the same way).
    #[error("{0}")]
    Usage(#[from] clap::Error),
    /// An address that can never be a log line's first field.
    #[error("error: address {0:?} is empty or contains whitespace")]
    BadAddress(String),
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
            CliError::Usage(_) | CliError::BadAddress(_) | CliError::Open { .. } => 2,
            CliError::Pipeline {
                source: PipelineError::Io(_),
                ..
            } => 2,
            CliError::Pipeline { .. } | CliError::Output(_) => 1,
        }
    }
}

fn command() -> Command {
    Command::new("pipeline")
        .about(
            "Counts the requests from each client address in an Apache access log, with coroutines",
        )
        .arg(
            Arg::new("threaded")
                .long("threaded")
                .action(ArgAction::SetTrue)
                .help("run each stage on its own thread, joined by bounded channels"),
        )
        .arg(
            Arg::new("log")
                .value_name("LOG")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("the access log (Apache combined format)"),
        )
        .arg(
            Arg::new("ip")
                .value_name("IP")
                .num_args(0..)
                .value_parser(value_parser!(String))
                .help("client addresses to count [default: the article's three]"),
        )
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
    let matches = command().try_get_matches_from(args)?;
    let threaded = matches.get_flag("threaded");
    let path = matches
        .get_one::<PathBuf>("log")
        .cloned()
        .unwrap_or_default();
    let given: Vec<&str> = matches
        .get_many::<String>("ip")
        .map(|v| v.map(String::as_str).collect())
        .unwrap_or_default();
    let addresses: Vec<&str> = if given.is_empty() {
        ARTICLE_ADDRESSES.to_vec()
    } else {
        given
    };
    if let Some(bad) = addresses
        .iter()
        .find(|a| a.is_empty() || a.bytes().any(|b| b.is_ascii_whitespace()))
    {
        return Err(CliError::BadAddress((*bad).to_owned()));
    }
    let addresses = distinct(&addresses);

    let file = File::open(&path).map_err(|source| CliError::Open {
        path: path.clone(),
        source,
    })?;
    let reader = BufReader::with_capacity(64 * 1024, file);
    let counts = if threaded {
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
/// stdout) and returns the exit code.
pub fn main(count: CountFn) -> ExitCode {
    let stdout = io::stdout();
    match run(std::env::args_os(), &mut stdout.lock(), count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                CliError::Usage(usage) => {
                    let _ = usage.print(); // clap's own format: help to stdout, errors to stderr
                }
                _ => eprintln!("{error}"),
            }
            error.exit_code().into()
        }
    }
}
