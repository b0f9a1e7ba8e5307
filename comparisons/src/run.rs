//! Runs the measurements of the chosen rows, with progress on stderr; [`crate::output`] writes
//! what they give. Memory repetitions, and placements that need a runtime of their own, are
//! measured in fresh runs of this program (`probe-memory`, `probe-timing`).

use crate::kind::Kind;
use crate::machine::Machine;
use crate::noise::{self, Noise};
use crate::params::Params;
use crate::placement::Placement;
use crate::progress;
use crate::report::{self, Report};
use crate::ring::{RingPlan, RingSample};
use crate::rows::{self, Ctx, FreshTiming, Style};
use crate::samples::{MemSample, Samples};
use crate::scaling::{RowScaling, ScalingPoint, SystemLimits};
use anyhow::{Context, Result, bail};
use common::affinity;
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
    /// This program, to take each memory repetition (and placements that need a runtime of
    /// their own) in a fresh process (`None`: memory in this process, such placements skipped).
    pub probe_exe: Option<PathBuf>,
    /// Work directory for the Go program and the Python script.
    pub tools_dir: PathBuf,
    /// `PATH` in which to look for `go` and `python3`.
    pub path_var: OsString,
}

/// Calls `$f::<Row>($args)` for the in-process row of `$kind`, or evaluates `$external` for the
/// rows measured by their own program.
macro_rules! dispatch {
    ($kind:expr, $external:expr, $f:ident ( $($args:expr),* )) => {
        match $kind {
            Kind::Process => $f::<rows::process::Process>($($args),*),
            Kind::OsThread => $f::<rows::thread::OsThread>($($args),*),
            Kind::GreenThread => $f::<rows::green::GreenThread>($($args),*),
            Kind::AsyncTaskMt => $f::<rows::async_task::AsyncTaskMt>($($args),*),
            Kind::AsyncTask => $f::<rows::async_task::AsyncTask>($($args),*),
            Kind::AsyncJoined => $f::<rows::async_task::AsyncJoined>($($args),*),
            Kind::Stackful => $f::<rows::stackful::Stackful>($($args),*),
            Kind::Stackless => $f::<rows::stackless::Stackless>($($args),*),
            Kind::StacklessGenawaiter => $f::<rows::genawaiter::Genawaiter>($($args),*),
            Kind::Goroutine | Kind::PythonGenerator => $external,
        }
    };
}

fn external_row(kind: Kind) -> anyhow::Error {
    anyhow::anyhow!("{} is measured by its own program", kind.as_str())
}

fn memory_of<S: Style>(count: usize) -> Result<MemSample> {
    S::memory(count)
}

/// One memory repetition of an in-process row, in this process.
pub fn memory_in_process(kind: Kind, count: usize) -> Result<MemSample> {
    if count == 0 {
        bail!("count must be positive");
    }
    dispatch!(kind, Err(external_row(kind)), memory_of(count))
}

fn timing_of<S: Style>(
    params: &Params,
    kind: Kind,
    placement: Placement,
    workers: usize,
) -> Result<FreshTiming> {
    S::configure_runtime(workers);
    rows::probe_timing::<S>(params, kind, placement)
}

/// Creation and switch of an in-process row for `placement`, in this process, with its runtime
/// configured to `workers` workers first (what `probe-timing` runs).
pub fn timing_in_process(
    kind: Kind,
    placement: Placement,
    workers: usize,
    params: &Params,
) -> Result<FreshTiming> {
    dispatch!(
        kind,
        Err(external_row(kind)),
        timing_of(params, kind, placement, workers)
    )
}

fn ring_of<S: Style>(plan: &RingPlan) -> Result<RingSample> {
    if let Some(w) = S::ring_workers() {
        S::configure_runtime(w);
    }
    S::ring(plan)
}

/// The scaling ring of an in-process row, in this process (what `probe-ring` runs; the row's
/// runtime, if it takes a worker count for the ring, is configured first).
pub fn ring_in_process(kind: Kind, plan: &RingPlan) -> Result<RingSample> {
    if plan.n == 0 {
        bail!("a ring needs at least one unit");
    }
    dispatch!(kind, Err(external_row(kind)), ring_of(plan))
}

/// The scaling ring in a fresh run of `exe probe-ring` (which inherits the caller's CPU pin).
pub fn ring_in_fresh_process(exe: &Path, kind: Kind, plan: &RingPlan) -> Result<RingSample> {
    std::thread::sleep(rows::SETTLE);
    let args = [
        "probe-ring".to_string(),
        "--kind".into(),
        kind.as_str().into(),
        "--plan".into(),
        serde_json::to_string(plan).context("encoding the ring's plan")?,
    ];
    run_probe(
        exe,
        &args,
        &format!("probe-ring {} (N = {})", kind.as_str(), plan.n),
    )
}

/// One ring of `kind`: in a fresh process (or, without one, here), or by the row's own program.
/// `Ok(Err(reason))`: the row is skipped.
fn ring_once(kind: Kind, cfg: &Config, n: u64) -> Result<std::result::Result<RingSample, String>> {
    let plan = cfg.params.ring_plan(n);
    match kind {
        Kind::Goroutine | Kind::PythonGenerator => {
            crate::external::ring(kind, &plan, &cfg.tools_dir, &cfg.path_var)
        }
        _ => match &cfg.probe_exe {
            Some(exe) => ring_in_fresh_process(exe, kind, &plan).map(Ok),
            None => ring_in_process(kind, &plan).map(Ok),
        },
    }
}

/// The scaling curve of `kind`: its ring at each N of the run, on the first allowed CPU, until
/// the next N would exceed the memory budget or a system limit (predicted from the last ring's
/// figures), a ring stops while being made, or the run's Ns are done. The points, and what
/// stopped it.
pub fn scale_kind(kind: Kind, cfg: &Config, limits: &SystemLimits) -> (Vec<ScalingPoint>, String) {
    let ns = &cfg.params.scaling_ns;
    let Some(&largest) = ns.last() else {
        return (Vec::new(), "no scaling in this run".to_string());
    };
    let pin = affinity::allowed_cpus()
        .ok()
        .and_then(|c| c.first().copied())
        .map(affinity::pin_current_thread);
    let _pin = match pin {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return (Vec::new(), format!("could not pin to one CPU: {e}")),
        None => None,
    };
    let mut points = Vec::new();
    let mut last: Option<RingSample> = None;
    for &n in ns {
        if let Some(why) = last
            .as_ref()
            .and_then(|l| limits.stop_for(n, l, cfg.params.max_memory_bytes))
        {
            return (points, why);
        }
        progress!("  {}: ring of {n} units", kind.as_str());
        let sample = match ring_once(kind, cfg, n) {
            Ok(Ok(s)) => s,
            Ok(Err(skipped)) => return (points, format!("skipped: {skipped}")),
            Err(e) => return (points, format!("the ring of {n} failed: {e:#}")),
        };
        if let Some(why) = &sample.stopped {
            return (
                points,
                format!("{why} (while making the ring of {n}; {} made)", sample.made),
            );
        }
        if !sample.every_unit_once_per_lap() {
            progress!(
                "  {}: N = {n}: not every unit was handed the token once per lap ({} to {} visits of {} laps, {} out of turn)",
                kind.as_str(),
                sample.visits_min,
                sample.visits_max,
                sample.laps,
                sample.order_errors
            );
        }
        points.extend(ScalingPoint::from_sample(kind, &sample));
        last = Some(sample);
    }
    (
        points,
        format!("reached the largest N of this run ({largest})"),
    )
}

fn run_probe<T: serde::de::DeserializeOwned>(exe: &Path, args: &[String], what: &str) -> Result<T> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("running {} {what}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("parsing {what} output"))
}

/// One memory repetition taken in a fresh run of `exe probe-memory`, so that memory freed by an
/// earlier repetition (allocator caches, stack pools) cannot hide the cost of the next one, after
/// [`rows::SETTLE`] for the kernel to finish freeing that repetition's units.
pub fn memory_in_fresh_process(exe: &Path, kind: Kind, count: usize) -> Result<MemSample> {
    // The kernel frees an ended process's page tables and task structures a little later (after
    // an RCU grace period); let the previous repetition's go before this one's readings, which
    // are system-wide.
    std::thread::sleep(rows::SETTLE);
    let args = [
        "probe-memory",
        "--kind",
        kind.as_str(),
        "--count",
        &count.to_string(),
    ];
    run_probe(
        exe,
        &args.map(String::from),
        &format!("probe-memory {}", kind.as_str()),
    )
}

/// Creation and switch for `placement` in a fresh run of `exe probe-timing` whose runtime has
/// `workers` workers. The caller pins its thread first when the placement asks for it: the child
/// inherits the pin, threads and all.
pub fn timing_in_fresh_process(
    exe: &Path,
    kind: Kind,
    placement: Placement,
    workers: usize,
    params: &Params,
) -> Result<FreshTiming> {
    let args = [
        "probe-timing".to_string(),
        "--kind".into(),
        kind.as_str().into(),
        "--placement".into(),
        placement.as_str().into(),
        "--workers".into(),
        workers.to_string(),
        "--params".into(),
        serde_json::to_string(params).context("encoding the parameters")?,
    ];
    run_probe(exe, &args, &format!("probe-timing {}", kind.as_str()))
}

fn measure_in_process<S: Style>(kind: Kind, cfg: &Config) -> Result<Samples> {
    let mut memory = |count: usize| match &cfg.probe_exe {
        Some(exe) => memory_in_fresh_process(exe, kind, count),
        None => memory_in_process(kind, count),
    };
    let mut fresh_fn;
    let fresh: Option<&mut dyn FnMut(Placement, usize) -> Result<FreshTiming>> =
        match &cfg.probe_exe {
            Some(exe) => {
                fresh_fn = move |placement: Placement, workers: usize| {
                    timing_in_fresh_process(exe, kind, placement, workers, &cfg.params)
                };
                Some(&mut fresh_fn)
            }
            None => None,
        };
    rows::measure::<S>(Ctx {
        params: &cfg.params,
        kind,
        memory: &mut memory,
        fresh,
    })
}

/// Measures one row. `Ok(Err(reason))`: skipped (tool missing); `Err`: the measurement failed.
/// Also returns the external tool's version, if any.
pub fn measure_kind(
    kind: Kind,
    cfg: &Config,
) -> Result<(std::result::Result<Samples, String>, Option<String>)> {
    let s = dispatch!(
        kind,
        return crate::external::measure(kind, &cfg.params, &cfg.tools_dir, &cfg.path_var),
        measure_in_process(kind, cfg)
    );
    Ok((Ok(s?), None))
}

/// Measures every configured row, in order, with progress on stderr. A row whose measurement
/// fails is kept, skipped with the error; the second value tells whether any failed.
pub fn run(cfg: &Config) -> (Report, bool) {
    let mut machine = Machine::detect(cfg.params.clone());
    let whole = noise::Mark::now();
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
        if let Ok(s) = &samples {
            for (experiment, n) in &s.noise {
                if n.busy() {
                    progress!("  busy during {experiment}: {}", n.describe());
                    machine
                        .busy_experiments
                        .push(format!("{} {experiment}", kind.as_str()));
                }
            }
            if let Some(n) = Noise::sum(s.noise.values()) {
                progress!("  noise: {}", n.describe());
            }
        }
        progress!("  done in {:.1} s", t.elapsed().as_secs_f64());
        rows_out.push(report::build_row(kind, samples));
    }
    let limits = machine.limits.unwrap_or_default();
    let mut scaling = Vec::new();
    if !cfg.params.scaling_ns.is_empty() {
        progress!(
            "scaling: rings of {:?} units, on one CPU, within {} each",
            cfg.params.scaling_ns,
            crate::report::bytes(cfg.params.max_memory_bytes as f64)
        );
    }
    for (i, row) in rows_out.iter_mut().enumerate() {
        if cfg.params.scaling_ns.is_empty() {
            break;
        }
        let kind = row.kind;
        if let Some(why) = &row.skipped {
            row.scaling = Some(RowScaling {
                largest_n: None,
                stopped_by: format!("skipped: {why}"),
                climb: None,
            });
            continue;
        }
        progress!("[scaling {}/{}] {}", i + 1, cfg.kinds.len(), kind.label());
        let t = std::time::Instant::now();
        let ((points, stopped_by), n) = noise::during(|| scale_kind(kind, cfg, &limits));
        if let Some(n) = n {
            if n.busy() {
                machine
                    .busy_experiments
                    .push(format!("{} scaling", kind.as_str()));
            }
            row.noise.insert("scaling".to_string(), n);
        }
        progress!("  {stopped_by}; done in {:.1} s", t.elapsed().as_secs_f64());
        row.scaling = Some(RowScaling {
            largest_n: points.last().map(|p| p.n),
            stopped_by,
            climb: crate::scaling::climb(&points, &machine.caches, machine.tlb_entries),
        });
        scaling.extend(points);
    }
    machine.noise = whole.since();
    machine.load_average_end = crate::machine::load_average();
    if let Some(w) = machine.busy_warning() {
        progress!("warning: {w}");
    }
    (
        Report {
            machine,
            rows: rows_out,
            scaling,
        },
        failed,
    )
}
