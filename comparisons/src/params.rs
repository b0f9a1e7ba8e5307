//! Run parameters: how many units, repetitions and iterations each measurement uses.

use crate::kind::Kind;
use crate::timing::Plan;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Parameters of one run; recorded in the report header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// `--quick` (small counts) or the full run.
    pub quick: bool,
    /// Repetitions of every figure.
    pub reps: usize,
    /// Repetitions of the managed-by-OS, pre-emption and parallelism experiments (at least 3: a
    /// property whose repetitions disagree is reported as uncertain).
    pub property_reps: usize,
    /// How long each spinner spins in the pre-emption experiment, in ms.
    pub spin_ms: u64,
    /// Target duration of one CPU-bound unit in the parallelism experiment, in ms.
    pub work_ms: u64,
    /// Iterations of [`crate::work::cpu_work`] that take about `work_ms` here.
    pub work_iters: u64,
    /// Least number of units alive at once in the managed-by-OS experiment (a row uses at
    /// least 4 per worker thread, so that units outnumber the threads they could share).
    pub managed_units: usize,
    /// Multiplier on the per-row counts below (1 for `--quick`).
    pub scale: usize,
    /// Longest time one repetition of a timed figure may take, in ms (see [`Plan`]).
    #[serde(default = "default_rep_budget_ms")]
    pub rep_budget_ms: u64,
    /// Ring sizes of the scaling curves, smallest first (empty: no scaling curves).
    #[serde(default)]
    pub scaling_ns: Vec<u64>,
    /// Hand-offs each timed repetition of a ring runs at least (whole laps).
    #[serde(default)]
    pub ring_min_handoffs: u64,
    /// A ring's repetition ends at the first whole lap past this many ms.
    #[serde(default)]
    pub ring_budget_ms: u64,
    /// The most memory one ring may take (`--max-memory`), in bytes.
    #[serde(default = "default_max_memory")]
    pub max_memory_bytes: u64,
}

fn default_rep_budget_ms() -> u64 {
    200
}

/// The scaling ring's default memory budget: 4 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// Parses a memory size: a number of bytes, or with a unit `K`/`KiB`, `M`/`MiB`, `G`/`GiB`
/// (binary units, case-insensitive, fractions allowed); at least 1 MiB.
///
/// ```
/// use comparisons::params::parse_size;
/// assert_eq!(parse_size("4GiB"), Ok(4 << 30));
/// assert_eq!(parse_size("512m"), Ok(512 << 20));
/// assert_eq!(parse_size("1.5G"), Ok(3 << 29));
/// assert_eq!(parse_size("2097152"), Ok(2 << 20));
/// assert!(parse_size("lots").is_err());
/// assert!(parse_size("10K").is_err()); // under 1 MiB
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        "t" | "tib" | "tb" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit '{other}' (use K, M, G or T, binary units)"
            ));
        }
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 4GiB or 512M"))?;
    let bytes = n * mult as f64;
    if !bytes.is_finite() || bytes < (1u64 << 20) as f64 || bytes > u64::MAX as f64 {
        return Err(format!(
            "'{text}': the memory budget must be at least 1 MiB"
        ));
    }
    Ok(bytes as u64)
}

fn default_max_memory() -> u64 {
    DEFAULT_MAX_MEMORY
}

impl Params {
    /// Parameters for a quick (`quick = true`) or full run; `work_iters` still to calibrate.
    pub fn new(quick: bool) -> Params {
        Params {
            quick,
            reps: if quick { 3 } else { 5 },
            property_reps: if quick { 3 } else { 5 },
            spin_ms: if quick { 100 } else { 200 },
            work_ms: if quick { 40 } else { 100 },
            work_iters: 0,
            managed_units: 32,
            scale: if quick { 1 } else { 3 },
            rep_budget_ms: if quick { 150 } else { 300 },
            scaling_ns: if quick {
                vec![1, 10, 100, 1_000, 10_000]
            } else {
                vec![1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
            },
            ring_min_handoffs: if quick { 20_000 } else { 50_000 },
            ring_budget_ms: if quick { 25 } else { 50 },
            max_memory_bytes: DEFAULT_MAX_MEMORY,
        }
    }

    /// Tiny parameters for tests of the measuring code (not of the machine's speed).
    pub fn tiny() -> Params {
        Params {
            quick: true,
            reps: 2,
            property_reps: 3,
            spin_ms: 60,
            work_ms: 5,
            work_iters: 10_000,
            managed_units: 8,
            scale: 0,
            rep_budget_ms: 50,
            scaling_ns: vec![1, 10],
            ring_min_handoffs: 50,
            ring_budget_ms: 20,
            max_memory_bytes: 1 << 30,
        }
    }

    /// The plan of the scaling ring of `n` units.
    pub fn ring_plan(&self, n: u64) -> crate::ring::RingPlan {
        crate::ring::RingPlan {
            n,
            reps: self.reps,
            min_handoffs: self.ring_min_handoffs,
            rep_budget_ms: self.ring_budget_ms,
            memory_budget_bytes: self.max_memory_bytes,
        }
    }

    /// Live units held at once for the memory measurement of `kind`.
    pub fn memory_count(&self, kind: Kind) -> usize {
        let base = match kind {
            Kind::Process => 64,
            Kind::OsThread => 200,
            Kind::GreenThread => 2_000,
            Kind::Goroutine => 10_000,
            Kind::AsyncTaskMt | Kind::AsyncTask | Kind::AsyncJoined => 100_000,
            Kind::Stackful => 2_000,
            Kind::Stackless | Kind::StacklessGenawaiter => 100_000,
            Kind::PythonGenerator => 20_000,
        };
        if self.scale == 0 {
            (base / 100).max(4)
        } else {
            base * self.scale
        }
    }

    /// How creation of `kind` is timed: operations per repetition, and per histogram entry (1
    /// for units that take microseconds; batches long enough for the clock for the others).
    pub fn create_plan(&self, kind: Kind) -> Plan {
        let (ops, batch) = match kind {
            Kind::Process => (200, 1),
            Kind::OsThread => (1_000, 1),
            Kind::GreenThread => (5_000, 1),
            Kind::Goroutine => (100_000, 16),
            Kind::AsyncTaskMt | Kind::AsyncTask | Kind::AsyncJoined => (100_000, 16),
            Kind::Stackful => (5_000, 1),
            Kind::Stackless | Kind::StacklessGenawaiter => (1_000_000, 100),
            Kind::PythonGenerator => (100_000, 100),
        };
        self.plan(ops, batch)
    }

    /// How round trips of `kind` are timed (see [`Params::create_plan`]).
    pub fn switch_plan(&self, kind: Kind) -> Plan {
        let (ops, batch) = match kind {
            Kind::Process | Kind::OsThread => (5_000, 1),
            Kind::GreenThread => (20_000, 1),
            Kind::Goroutine => (100_000, 8),
            Kind::AsyncTaskMt | Kind::AsyncTask | Kind::AsyncJoined => (100_000, 8),
            Kind::Stackful => (1_000_000, 1_000),
            Kind::Stackless | Kind::StacklessGenawaiter => (5_000_000, 1_000),
            Kind::PythonGenerator => (300_000, 1_000),
        };
        self.plan(ops, batch)
    }

    fn plan(&self, ops: u64, batch: u64) -> Plan {
        let ops = if self.scale == 0 {
            (ops / 1000).max(batch * 4)
        } else {
            ops * self.scale as u64 / if self.quick { 1 } else { 2 }
        }
        .div_ceil(batch)
            * batch;
        Plan {
            reps: self.reps,
            ops,
            warmup: (ops / 10).max(batch),
            batch,
            budget: Duration::from_millis(self.rep_budget_ms),
        }
    }

    /// Spin time in ns.
    pub fn spin_ns(&self) -> f64 {
        self.spin_ms as f64 * 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_time_whole_batches_and_warm_up() {
        for p in [Params::new(true), Params::new(false), Params::tiny()] {
            assert!(p.property_reps >= 3);
            for k in Kind::ALL {
                for plan in [p.create_plan(k), p.switch_plan(k)] {
                    assert!(
                        plan.ops >= plan.batch && plan.ops % plan.batch == 0,
                        "{k:?} {plan:?}"
                    );
                    assert!(plan.warmup >= plan.batch);
                }
            }
        }
    }
}
