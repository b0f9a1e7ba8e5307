//! The project's Python copy of the article's pipeline (`benches/pipeline.py`), run by `python3` on
//! the benchmark's log; it times itself, interpreter start-up excluded.

use std::io;
use std::process::Command;
use std::time::Duration;

use super::log::{Input, LogFile};

/// The project's Python copy of the article's pipeline (`benches/pipeline.py`).
pub const PYTHON_PIPELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.py");

/// One run of the Python pipeline, as it timed itself.
#[derive(Debug, Clone, Copy)]
pub struct PythonRun {
    /// Time from opening the log to closing the flow (interpreter start-up excluded).
    pub elapsed: Duration,
    /// Lines it sent through the flow.
    pub lines: u64,
}

/// Runs `benches/pipeline.py` on the log (with `--in-memory` for [`Input::Memory`]); `Ok(None)` if
/// `python3` cannot be started.
pub fn run_python(log: &LogFile, input: Input) -> Result<Option<PythonRun>, String> {
    let mut python = Command::new("python3");
    python.arg(PYTHON_PIPELINE);
    if input == Input::Memory {
        python.arg("--in-memory");
    }
    let output = match python.arg(&log.path).args(log.spec.address_list()).output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("starting python3: {e}")),
    };
    if !output.status.success() {
        return Err(format!(
            "python3 {PYTHON_PIPELINE} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut fields = stdout.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(ns)), Some(Ok(lines))) = (fields.next(), fields.next()) else {
        return Err(format!(
            "unexpected output from {PYTHON_PIPELINE}: {stdout:?}"
        ));
    };
    if lines != log.spec.lines {
        return Err(format!(
            "Python processed {lines} lines, the log has {}",
            log.spec.lines
        ));
    }
    Ok(Some(PythonRun {
        elapsed: Duration::from_nanos(ns),
        lines,
    }))
}
