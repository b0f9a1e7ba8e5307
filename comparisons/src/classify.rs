//! Turns each experiment's evidence into the table's yes/no answers. These are pure functions of
//! measured values so tests can feed them both outcomes.

use serde::{Deserialize, Serialize};

/// A yes/no answer and the evidence it was decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The answer.
    pub value: bool,
    /// The measured evidence, in words.
    pub evidence: String,
}

/// Managed by the OS: every one of several simultaneously live units ran on its own kernel thread
/// id, different from its creator's. Units that share a few kernel threads (M:N) or run on the
/// creator's thread are scheduled by user code, not by the OS.
///
/// ```
/// use comparisons::classify::managed_by_os;
/// assert!(managed_by_os(1, &[2, 3, 4]).value);
/// assert!(!managed_by_os(1, &[1, 1, 1]).value);
/// assert!(!managed_by_os(1, &[2, 3, 2]).value);
/// ```
pub fn managed_by_os(creator_tid: i64, unit_tids: &[i64]) -> Verdict {
    let mut distinct = unit_tids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let on_creator = unit_tids.iter().filter(|&&t| t == creator_tid).count();
    let value = !unit_tids.is_empty() && distinct.len() == unit_tids.len() && on_creator == 0;
    Verdict {
        value,
        evidence: format!(
            "{} live units ran on {} distinct kernel thread ids ({} on the creator's own)",
            unit_tids.len(),
            distinct.len(),
            on_creator
        ),
    }
}

/// Own address space: a unit wrote `written` into a variable that was 0; the creator then read
/// `seen`. If the creator does not see the write, the unit has its own (copied) memory.
///
/// ```
/// use comparisons::classify::own_address_space;
/// assert!(own_address_space(42, 0).value);
/// assert!(!own_address_space(42, 42).value);
/// ```
pub fn own_address_space(written: u64, seen: u64) -> Verdict {
    Verdict {
        value: seen != written,
        evidence: format!("unit wrote {written}, creator then read {seen}"),
    }
}

/// Pre-emptive: while `spinners` units (one per scheduler worker) spin for `spin_ns` without
/// yielding, a probe unit still got to run after `probe_latency_ns`. If it ran well before the
/// spinners gave up the CPU (under half the spin time), the scheduler took the CPU from them.
///
/// ```
/// use comparisons::classify::preemptive;
/// assert!(preemptive(200e6, 2, 1e6).value);
/// assert!(!preemptive(200e6, 1, 201e6).value);
/// ```
pub fn preemptive(spin_ns: f64, spinners: u64, probe_latency_ns: f64) -> Verdict {
    let value = probe_latency_ns < spin_ns / 2.0;
    Verdict {
        value,
        evidence: format!(
            "with {spinners} unit(s) spinning {:.0} ms without yielding, another unit first ran after {:.1} ms",
            spin_ns / 1e6,
            probe_latency_ns / 1e6
        ),
    }
}

/// Ratio under which two units count as running in parallel (see [`parallel`]).
pub const PARALLEL_RATIO: f64 = 1.5;

/// Parallel: two CPU-bound units ran in about the time of one rather than of two. Each repetition
/// measures the pair's wall time and the CPU time the pair consumed; the CPU time of one unit is
/// half of that, so `wall / (cpu / 2)` is about 1 when they ran at the same time and 2 or more
/// when they took turns. Both figures come from the same run, so load from other programs that
/// changes between runs cannot fake parallelism: units that take turns on one thread can never
/// use more CPU time than wall time (ratio >= 2). Load can only make a parallel pair look slower.
/// Parallel if the median ratio is under [`PARALLEL_RATIO`]. `one_ns` (one unit alone) is only
/// reported.
///
/// ```
/// use comparisons::classify::parallel;
/// // pair: 100 ms of wall time, 190 ms of CPU time -> ~1.05x the time of one unit
/// assert!(parallel(&[100e6], &[190e6], &[95e6]).value);
/// // pair: 200 ms of wall time, 199 ms of CPU time -> ~2x: one at a time
/// assert!(!parallel(&[200e6], &[199e6], &[100e6]).value);
/// ```
pub fn parallel(two_ns: &[f64], two_cpu_ns: &[f64], one_ns: &[f64]) -> Verdict {
    let ratios: Vec<f64> = two_ns
        .iter()
        .zip(two_cpu_ns)
        .map(|(w, c)| w / (c / 2.0))
        .collect();
    let ratio = crate::stats::median(&ratios).unwrap_or(f64::NAN);
    let med = |v: &[f64]| crate::stats::median(v).unwrap_or(f64::NAN) / 1e6;
    Verdict {
        value: ratio < PARALLEL_RATIO,
        evidence: format!(
            "two CPU-bound units together took {:.1} ms of wall time for {:.1} ms of CPU time, {ratio:.2}x the time one of them needed (~1 = parallel, 2 or more = one at a time); one unit alone: {:.1} ms",
            med(two_ns),
            med(two_cpu_ns),
            med(one_ns)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_needs_units() {
        assert!(!managed_by_os(1, &[]).value);
    }

    #[test]
    fn parallel_nan_is_no() {
        assert!(!parallel(&[], &[], &[]).value);
    }

    #[test]
    fn preemptive_borderline() {
        assert!(!preemptive(100.0, 1, 50.0).value);
        assert!(preemptive(100.0, 1, 49.0).value);
    }
}
