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

/// Ratio (two units / one unit) under which units count as running in parallel.
pub const PARALLEL_RATIO: f64 = 1.75;

/// Parallel: two CPU-bound units took about the time of one rather than of two: the ratio of the
/// medians is under 1.75. Load from other programs can only push a parallel pair's ratio up
/// towards 2 (the pair competes with them for the cores) and leaves a one-at-a-time pair at 2, so
/// the threshold sits above the middle.
///
/// ```
/// use comparisons::classify::parallel;
/// assert!(parallel(&[100.0, 101.0], &[105.0, 110.0]).value);
/// assert!(!parallel(&[100.0, 101.0], &[199.0, 205.0]).value);
/// ```
pub fn parallel(one_ns: &[f64], two_ns: &[f64]) -> Verdict {
    let one = crate::stats::median(one_ns).unwrap_or(f64::NAN);
    let two = crate::stats::median(two_ns).unwrap_or(f64::NAN);
    let ratio = two / one;
    Verdict {
        value: ratio < PARALLEL_RATIO,
        evidence: format!(
            "one CPU-bound unit {:.1} ms, two at once {:.1} ms (ratio {:.2}; ~1 = parallel, ~2 = one at a time)",
            one / 1e6,
            two / 1e6,
            ratio
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
        assert!(!parallel(&[], &[]).value);
    }

    #[test]
    fn preemptive_borderline() {
        assert!(!preemptive(100.0, 1, 50.0).value);
        assert!(preemptive(100.0, 1, 49.0).value);
    }
}
