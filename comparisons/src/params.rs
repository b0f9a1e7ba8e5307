//! Run parameters: how many units, repetitions and iterations each measurement uses.

use crate::kind::Kind;
use serde::{Deserialize, Serialize};

/// Parameters of one run; recorded in the report header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// `--quick` (small counts) or the full run.
    pub quick: bool,
    /// Repetitions of every figure.
    pub reps: usize,
    /// How long each spinner spins in the pre-emption experiment, in ms.
    pub spin_ms: u64,
    /// Target duration of one CPU-bound unit in the parallelism experiment, in ms.
    pub work_ms: u64,
    /// Iterations of [`crate::work::cpu_work`] that take about `work_ms` here.
    pub work_iters: u64,
    /// Simultaneously live units in the kernel-thread-id experiment.
    pub tid_units: usize,
    /// Multiplier on the per-row counts below (1 for `--quick`).
    pub scale: usize,
}

impl Params {
    /// Parameters for a quick (`quick = true`) or full run; `work_iters` still to calibrate.
    pub fn new(quick: bool) -> Params {
        Params {
            quick,
            reps: if quick { 3 } else { 7 },
            spin_ms: if quick { 200 } else { 400 },
            work_ms: if quick { 60 } else { 150 },
            work_iters: 0,
            tid_units: 8,
            scale: if quick { 1 } else { 5 },
        }
    }

    /// Tiny parameters for tests of the measuring code (not of the machine's speed).
    pub fn tiny() -> Params {
        Params {
            quick: true,
            reps: 2,
            spin_ms: 60,
            work_ms: 5,
            work_iters: 10_000,
            tid_units: 4,
            scale: 0,
        }
    }

    /// Live units held at once for the memory measurement of `kind`.
    pub fn memory_count(&self, kind: Kind) -> usize {
        let base = match kind {
            Kind::Process => 16,
            Kind::OsThread => 200,
            Kind::GreenThread => 2_000,
            Kind::Goroutine => 10_000,
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

    /// Units created and destroyed per repetition of the creation measurement.
    pub fn create_iters(&self, kind: Kind) -> u64 {
        let base = match kind {
            Kind::Process => 200,
            Kind::OsThread => 1_000,
            Kind::GreenThread => 10_000,
            Kind::Goroutine => 100_000,
            Kind::Stackful => 10_000,
            Kind::Stackless | Kind::StacklessGenawaiter => 1_000_000,
            Kind::PythonGenerator => 100_000,
        };
        self.scaled(base)
    }

    /// Round trips per repetition of the switch measurement.
    pub fn switch_iters(&self, kind: Kind) -> u64 {
        let base = match kind {
            Kind::Process => 2_000,
            Kind::OsThread => 5_000,
            Kind::GreenThread => 100_000,
            Kind::Goroutine => 200_000,
            Kind::Stackful => 1_000_000,
            Kind::Stackless | Kind::StacklessGenawaiter => 5_000_000,
            Kind::PythonGenerator => 300_000,
        };
        self.scaled(base)
    }

    fn scaled(&self, base: u64) -> u64 {
        if self.scale == 0 {
            (base / 1000).max(10)
        } else {
            base * self.scale as u64 / if self.quick { 1 } else { 2 }
        }
    }

    /// Spin time in ns.
    pub fn spin_ns(&self) -> f64 {
        self.spin_ms as f64 * 1e6
    }
}
