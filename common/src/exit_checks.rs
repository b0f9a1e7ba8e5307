//! How the workspace's programs are checked as real processes: run one with arguments, check that
//! it fails with the exit code and message it documents (and never a panic), or run it with its
//! stdout or stderr a pipe nobody reads. Used by the command-line tests of `benches` and
//! `comparisons`; compiled with the `test-support` feature only.
//!
//! ```
//! use common::exit_checks::{Closed, run, run_with_closed};
//!
//! let out = run("true", &[]);
//! assert_eq!(out.status.code(), Some(0));
//! let out = run_with_closed("echo", &["hello"], Closed::Stdout);
//! assert!(!out.status.success()); // echo's write fails
//! ```

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

/// Which of a program's output streams [`run_with_closed`] closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Standard output: writes fail with a broken pipe.
    Stdout,
    /// Standard error: writes fail with a broken pipe.
    Stderr,
}

/// Runs `program` with `args` and no stdin, and returns what it printed and how it ended.
///
/// # Panics
/// If the program cannot be started (a test's own setup error).
pub fn run(program: impl AsRef<OsStr>, args: &[&str]) -> Output {
    Command::new(program.as_ref())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("starting {:?}: {e}", program.as_ref()))
}

/// Runs `program` and checks that it exits with `code`, says `message` on stderr, and did not
/// panic.
///
/// # Panics
/// If any of the three does not hold (it is a test's assertion).
pub fn fails_with(program: impl AsRef<OsStr>, args: &[&str], code: i32, message: &str) {
    let program = program.as_ref();
    let out = run(program, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{program:?} {args:?}: {stderr}"
    );
    assert!(stderr.contains(message), "{program:?} {args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "{program:?} {args:?}: {stderr}"
    );
}

/// Runs `program` with one output stream a pipe whose reading end is already closed, the other
/// captured.
///
/// # Panics
/// If the pipe cannot be made or the program cannot be started.
pub fn run_with_closed(program: impl AsRef<OsStr>, args: &[&str], closed: Closed) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut command = Command::new(program.as_ref());
    command.args(args).stdin(Stdio::null());
    match closed {
        Closed::Stdout => command.stdout(writer).stderr(Stdio::piped()),
        Closed::Stderr => command.stdout(Stdio::piped()).stderr(writer),
    };
    command
        .output()
        .unwrap_or_else(|e| panic!("starting {:?}: {e}", program.as_ref()))
}
