//! Timing an operation (a creation, a round trip) the same way in every row: a warm-up that is
//! thrown away, then repetitions of many operations, each repetition's mean kept, and every timed
//! batch of operations recorded in a histogram for its percentiles. Operations that take
//! microseconds are timed one by one (batch 1); those that take nanoseconds in batches long enough
//! for the clock (a batch's time divided by its length is one histogram entry).

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How much to time: repetitions of `ops` operations in batches of `batch`, after `warmup`
/// operations whose times are thrown away. A repetition (and the warm-up) also ends at the first
/// whole batch past `budget`, so an operation much slower than planned for (a round trip across
/// CPUs) cannot stretch the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Repetitions (each gives one mean).
    pub reps: usize,
    /// Operations per repetition.
    pub ops: u64,
    /// Operations run first and not timed.
    pub warmup: u64,
    /// Operations per timed batch (per histogram entry).
    pub batch: u64,
    /// Longest time one repetition (or the warm-up) may take.
    pub budget: Duration,
}

/// The timings of one operation, as every row (the Go and Python programs too) reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimingSample {
    /// Mean ns per operation, one value per repetition.
    pub reps_ns: Vec<f64>,
    /// Median of the histogram entries (ns per operation).
    pub p50_ns: f64,
    /// 99th percentile of the histogram entries (ns per operation).
    pub p99_ns: f64,
    /// Entries in the histogram.
    pub entries: u64,
    /// Operations per entry (1: each operation timed on its own).
    pub batch: u64,
    /// Round trips: the share of the checked round trips whose two ends ran on different CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on_different_cpus: Option<f64>,
}

/// Histogram values are kept in hundredths of a nanosecond, so a 2.3 ns batch mean keeps its
/// decimal.
const SCALE: f64 = 100.0;

/// A histogram of ns-per-operation values and the repetitions' means, filled by [`Recorder::rep`].
#[derive(Debug)]
pub struct Recorder {
    hist: Histogram<u64>,
    reps_ns: Vec<f64>,
    batch: u64,
}

impl Recorder {
    /// An empty recorder for entries of `batch` operations each.
    pub fn new(batch: u64) -> Result<Recorder> {
        Ok(Recorder {
            hist: Histogram::new(3).context("making a histogram")?,
            reps_ns: Vec::new(),
            batch: batch.max(1),
        })
    }

    /// Records one entry: `ns` for a whole batch.
    pub fn entry(&mut self, ns: f64) -> Result<()> {
        let v = (ns / self.batch as f64 * SCALE).round().max(1.0) as u64;
        self.hist.record(v).context("recording a time")
    }

    /// Records a repetition's mean, ns per operation.
    pub fn rep(&mut self, mean_ns: f64) {
        self.reps_ns.push(mean_ns);
    }

    /// The repetitions and percentiles so far.
    pub fn finish(self) -> Result<TimingSample> {
        if self.hist.is_empty() {
            bail!("nothing was timed");
        }
        Ok(TimingSample {
            reps_ns: self.reps_ns,
            p50_ns: self.hist.value_at_quantile(0.5) as f64 / SCALE,
            p99_ns: self.hist.value_at_quantile(0.99) as f64 / SCALE,
            entries: self.hist.len(),
            batch: self.batch,
            ends_on_different_cpus: None,
        })
    }
}

/// Times `op` as `plan` says; `op(n)` runs `n` operations.
///
/// ```
/// use comparisons::timing::{Plan, time_ops};
/// let plan = Plan { reps: 3, ops: 100, warmup: 10, batch: 10, budget: std::time::Duration::from_secs(60) };
/// let mut calls = 0u64;
/// let t = time_ops(&plan, |n| { calls += n; Ok(()) }).expect("timed");
/// assert_eq!(calls, 10 + 3 * 100);
/// assert_eq!((t.reps_ns.len(), t.entries, t.batch), (3, 30, 10));
/// assert!(t.p50_ns <= t.p99_ns);
/// ```
pub fn time_ops(plan: &Plan, mut op: impl FnMut(u64) -> Result<()>) -> Result<TimingSample> {
    let mut timer = Timer::new(plan)?;
    while let Some(n) = timer.batch()? {
        op(n)?;
    }
    timer.finish()
}

/// Where a [`Timer`] is in its plan.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Warming up: operations left, and when the warm-up started.
    Warmup { left: u64, started: Instant },
    /// Timing repetition `rep`: batches done, when it started, when the last batch ended.
    Rep {
        rep: usize,
        done: u64,
        started: Instant,
        prev: Instant,
    },
    /// Every repetition is done.
    Done,
}

/// The loop of [`time_ops`] as a state machine, so that a caller can run the operations itself
/// (an async task awaiting each one): [`Timer::batch`] says how many operations to run next and
/// records the time of the batch that was just run.
///
/// ```
/// use comparisons::timing::{Plan, Timer};
/// let plan = Plan { reps: 2, ops: 40, warmup: 5, batch: 10, budget: std::time::Duration::from_secs(60) };
/// let mut timer = Timer::new(&plan).expect("a timer");
/// let mut ran = 0;
/// while let Some(n) = timer.batch().expect("recorded") {
///     ran += n;
/// }
/// assert_eq!(ran, 5 + 2 * 40);
/// assert_eq!(timer.finish().expect("timed").entries, 8);
/// ```
#[derive(Debug)]
pub struct Timer {
    plan: Plan,
    batch: u64,
    batches: u64,
    phase: Phase,
    /// Whether the last batch handed out is a timed one, still to be recorded.
    in_flight: bool,
    rec: Recorder,
}

impl Timer {
    /// A timer at the start of `plan`'s warm-up.
    pub fn new(plan: &Plan) -> Result<Timer> {
        let batch = plan.batch.max(1);
        Ok(Timer {
            plan: *plan,
            batch,
            batches: (plan.ops / batch).max(1),
            phase: Phase::Warmup {
                left: plan.warmup,
                started: Instant::now(),
            },
            in_flight: false,
            rec: Recorder::new(batch)?,
        })
    }

    /// The number of operations to run now, or `None` when the plan is done. Each call first
    /// counts the operations the previous call asked for as run (and, past the warm-up, timed).
    pub fn batch(&mut self) -> Result<Option<u64>> {
        let now = Instant::now();
        if let (true, Phase::Rep { done, prev, .. }) = (self.in_flight, &mut self.phase) {
            self.rec.entry((now - *prev).as_nanos() as f64)?;
            *prev = now;
            *done += 1;
        }
        self.in_flight = false;
        loop {
            match &mut self.phase {
                Phase::Warmup { left, started } => {
                    if *left > 0 && now - *started < self.plan.budget {
                        let n = (*left).min(self.batch);
                        *left -= n;
                        return Ok(Some(n));
                    }
                    let t = Instant::now();
                    self.phase = Phase::Rep {
                        rep: 0,
                        done: 0,
                        started: t,
                        prev: t,
                    };
                }
                Phase::Rep {
                    rep,
                    done,
                    started,
                    prev,
                } => {
                    if *done < self.batches && *prev - *started < self.plan.budget {
                        self.in_flight = true;
                        return Ok(Some(self.batch));
                    }
                    self.rec.rep(
                        (*prev - *started).as_nanos() as f64 / ((*done).max(1) * self.batch) as f64,
                    );
                    let next = *rep + 1;
                    let t = Instant::now();
                    self.phase = if next < self.plan.reps.max(1) {
                        Phase::Rep {
                            rep: next,
                            done: 0,
                            started: t,
                            prev: t,
                        }
                    } else {
                        Phase::Done
                    };
                }
                Phase::Done => return Ok(None),
            }
        }
    }

    /// The repetitions and percentiles.
    pub fn finish(self) -> Result<TimingSample> {
        self.rec.finish()
    }
}

/// Nanoseconds on `CLOCK_MONOTONIC`, the clock `Instant` reads: comparable between the threads
/// and the forked children of one machine. Allocation-free: a forked child may call it.
pub fn mono_ns() -> u64 {
    match nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC) {
        Ok(t) => t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64,
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_operation_ends_its_repetition_at_the_budget() {
        let plan = Plan {
            reps: 2,
            ops: 1_000_000,
            warmup: 1_000_000,
            batch: 1,
            budget: Duration::from_millis(20),
        };
        let t = time_ops(&plan, |_| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(())
        })
        .unwrap();
        assert!(t.entries >= 2 && t.entries <= 12, "{t:?}");
        assert!(t.reps_ns.iter().all(|&r| r >= 5e6), "{t:?}");
    }

    #[test]
    fn an_empty_recorder_is_an_error() {
        assert!(Recorder::new(1).unwrap().finish().is_err());
    }

    #[test]
    fn percentiles_come_from_the_entries() {
        let mut r = Recorder::new(10).unwrap();
        for i in 1..=100 {
            // batches of 10 operations taking i * 10 ns: i ns per operation
            r.entry(f64::from(i) * 10.0).unwrap();
        }
        r.rep(50.5);
        let t = r.finish().unwrap();
        assert!((t.p50_ns - 50.0).abs() < 0.1, "{t:?}");
        assert!((t.p99_ns - 99.0).abs() < 0.1, "{t:?}");
        assert_eq!(t.reps_ns, vec![50.5]);
    }

    #[test]
    fn the_clock_moves_forward() {
        let a = mono_ns();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(mono_ns() >= a + 2_000_000);
    }
}
