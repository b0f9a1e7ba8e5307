//! The benchmark's log: generated from a [`LogSpec`], kept in memory and in a temporary file, and
//! where a pipeline reads it from ([`Input`]).

use std::io;
use std::path::PathBuf;

use common::logdata::{ARTICLE_ADDRESSES, LogSpec};

/// A generated access log, in memory and in a temporary file (removed on drop).
#[derive(Debug)]
pub struct LogFile {
    /// Where the log is.
    pub path: PathBuf,
    /// The same log in memory.
    pub bytes: Vec<u8>,
    /// How it was generated (and so what each pipeline must count).
    pub spec: LogSpec,
}

/// Where a pipeline reads the log from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Lines already in memory.
    Memory,
    /// Streamed from the file, as the `pipeline` example does.
    File,
}

impl Input {
    /// Both inputs, the one the targets are checked on first.
    pub const ALL: [Input; 2] = [Input::Memory, Input::File];

    /// Its name in reports and benchmark group names.
    pub fn name(self) -> &'static str {
        match self {
            Input::Memory => "in memory",
            Input::File => "from the file",
        }
    }
}

/// The benchmark's log recipe: `lines` lines (seed 2015) in which each of the article's three
/// addresses starts 1% of the lines.
pub fn bench_spec(lines: u64) -> LogSpec {
    let each = lines / 100;
    let addresses: Vec<(&str, u64)> = ARTICLE_ADDRESSES.iter().map(|&a| (a, each)).collect();
    LogSpec::new(2015, lines, &addresses)
}

impl LogFile {
    /// Writes a log of `lines` lines (seed 2015) in which each of the article's three addresses
    /// starts 1% of the lines, to a fresh temporary file.
    pub fn generate(lines: u64) -> io::Result<Self> {
        let spec = bench_spec(lines);
        let bytes = spec.to_bytes()?;
        let path = std::env::temp_dir().join(format!(
            "coroutine-lab-pipeline-bench-{}-{lines}.log",
            std::process::id()
        ));
        let written = std::fs::write(&path, &bytes);
        let log = Self { path, bytes, spec };
        written.map(|()| log) // on error, the drop removes the partial file
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
