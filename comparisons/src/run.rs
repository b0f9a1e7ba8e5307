//! Runs the measurements of the chosen rows, with progress on stderr; [`crate::output`] writes
//! what they give.

use crate::kind::Kind;
use crate::machine::Machine;
use crate::params::Params;
use crate::progress;
use crate::report::{self, Report};
use crate::rows::{self, Style};
use crate::samples::{MemSample, Samples};
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to measure and where the helpers live.
#[derive(Debug, Clone)]
pub struct Config {
    /// Counts, repetitions and durations.
    pub params: Params,
    /// Rows to measure, in order.
    pub kinds: Vec<Kind>,
    /// This program, to take each memory repetition in a fresh process (`None`: in this process).
    pub probe_exe: Option<PathBuf>,
    /// Work directory for the Go program and the Python script.
    pub tools_dir: PathBuf,
    /// `PATH` in which to look for `go` and `python3`.
    pub path_var: OsString,
}

/// One memory repetition of an in-process row, in this process.
pub fn memory_in_process(kind: Kind, count: usize) -> Result<MemSample> {
    if count == 0 {
        bail!("count must be positive");
    }
    match kind {
        Kind::Process => rows::process::Process::memory(count),
        Kind::OsThread => rows::thread::OsThread::memory(count),
        Kind::GreenThread => rows::green::GreenThread::memory(count),
        Kind::Stackful => rows::stackful::Stackful::memory(count),
        Kind::Stackless => rows::stackless::Stackless::memory(count),
        Kind::StacklessGenawaiter => rows::genawaiter::Genawaiter::memory(count),
        Kind::Goroutine | Kind::PythonGenerator => {
            bail!("{} is measured by its own program", kind.as_str())
        }
    }
}

/// One memory repetition taken in a fresh run of `exe probe-memory`, so that memory freed by an
/// earlier repetition (allocator caches, stack pools) cannot hide the cost of the next one.
pub fn memory_in_fresh_process(exe: &Path, kind: Kind, count: usize) -> Result<MemSample> {
    let out = Command::new(exe)
        .args(["probe-memory", "--kind", kind.as_str(), "--count"])
        .arg(count.to_string())
        .output()
        .with_context(|| format!("running {} probe-memory", exe.display()))?;
    if !out.status.success() {
        bail!(
            "probe-memory {} failed ({}): {}",
            kind.as_str(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("parsing probe-memory output")
}

fn in_process<S: Style>(kind: Kind, cfg: &Config) -> Result<Samples> {
    let p = &cfg.params;
    let mut memory = |count: usize| match &cfg.probe_exe {
        Some(exe) => memory_in_fresh_process(exe, kind, count),
        None => memory_in_process(kind, count),
    };
    rows::measure::<S>(
        p,
        p.memory_count(kind),
        p.create_iters(kind),
        p.switch_iters(kind),
        kind.as_str(),
        &mut memory,
    )
}

/// Measures one row. `Ok(Err(reason))`: skipped (tool missing); `Err`: the measurement failed.
/// Also returns the external tool's version, if any.
pub fn measure_kind(
    kind: Kind,
    cfg: &Config,
) -> Result<(std::result::Result<Samples, String>, Option<String>)> {
    let s = match kind {
        Kind::Process => in_process::<rows::process::Process>(kind, cfg),
        Kind::OsThread => in_process::<rows::thread::OsThread>(kind, cfg),
        Kind::GreenThread => in_process::<rows::green::GreenThread>(kind, cfg),
        Kind::Stackful => in_process::<rows::stackful::Stackful>(kind, cfg),
        Kind::Stackless => in_process::<rows::stackless::Stackless>(kind, cfg),
        Kind::StacklessGenawaiter => in_process::<rows::genawaiter::Genawaiter>(kind, cfg),
        Kind::Goroutine | Kind::PythonGenerator => {
            return crate::external::measure(kind, &cfg.params, &cfg.tools_dir, &cfg.path_var);
        }
    };
    Ok((Ok(s?), None))
}

/// Measures every configured row, in order, with progress on stderr. A row whose measurement
/// fails is kept, skipped with the error; the second value tells whether any failed.
pub fn run(cfg: &Config) -> (Report, bool) {
    let mut machine = Machine::detect(cfg.params.clone());
    let mut rows_out = Vec::new();
    let mut failed = false;
    for (i, &kind) in cfg.kinds.iter().enumerate() {
        progress!("[{}/{}] {}", i + 1, cfg.kinds.len(), kind.label());
        let t = std::time::Instant::now();
        let samples = match measure_kind(kind, cfg) {
            Ok((s, version)) => {
                match kind {
                    Kind::Goroutine => machine.go = version,
                    Kind::PythonGenerator => machine.python = version,
                    _ => {}
                }
                if let Err(why) = &s {
                    progress!("  skipped: {why}");
                }
                s
            }
            Err(e) => {
                progress!("  error: {e:#}");
                failed = true;
                Err(format!("measurement failed: {e:#}"))
            }
        };
        progress!("  done in {:.1} s", t.elapsed().as_secs_f64());
        rows_out.push(report::build_row(kind, samples));
    }
    machine.load_average_end = crate::machine::load_average();
    if let Some(w) = machine.busy_warning() {
        progress!("warning: {w}");
    }
    (
        Report {
            machine,
            rows: rows_out,
        },
        failed,
    )
}
