//! Turns each experiment's evidence into the table's yes/no answers. Every experiment that can
//! come out either way is repeated; each repetition is classified on its own, and a property
//! whose repetitions disagree (or could not decide) is `None`: uncertain, with the evidence, never
//! silently one way. These are pure functions of measured values, so tests can feed them every
//! outcome.

use crate::samples::{ManagedSample, PreemptSample, Scheduler};
use serde::{Deserialize, Serialize};

/// What decides a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// An experiment whose outcome could have gone either way.
    Experiment,
    /// The way the units are run: one thread resumes one unit at a time, so a unit runs only when
    /// resumed and until it suspends. The experiment is still run, as a check of the harness.
    Construction,
}

/// A yes/no answer (or `None`: uncertain), what it rests on, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The answer; `None` when the repetitions disagreed or could not decide.
    pub value: Option<bool>,
    /// Experiment or construction.
    pub basis: Basis,
    /// Each repetition's own answer (`None`: that repetition could not decide).
    pub repetitions: Vec<Option<bool>>,
    /// The measured evidence, in words.
    pub evidence: String,
}

/// The answer of repetitions that all agree; `None` if any disagrees or could not decide.
///
/// ```
/// use comparisons::classify::agreed;
/// assert_eq!(agreed(&[Some(true), Some(true), Some(true)]), Some(true));
/// assert_eq!(agreed(&[Some(true), Some(false), Some(true)]), None);
/// assert_eq!(agreed(&[Some(false), None, Some(false)]), None);
/// assert_eq!(agreed(&[]), None);
/// ```
pub fn agreed(reps: &[Option<bool>]) -> Option<bool> {
    let first = (*reps.first()?)?;
    reps.iter().all(|&r| r == Some(first)).then_some(first)
}

fn tally(reps: &[Option<bool>]) -> String {
    let yes = reps.iter().filter(|r| **r == Some(true)).count();
    let no = reps.iter().filter(|r| **r == Some(false)).count();
    let undecided = reps.len() - yes - no;
    let mut s = format!("{} repetitions: {yes} yes, {no} no", reps.len());
    if undecided > 0 {
        s.push_str(&format!(", {undecided} undecided"));
    }
    s
}

fn list(v: impl Iterator<Item = f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).collect::<Vec<_>>().join(", ")
}

/// Managed by the OS: while `units` units lived, each ran on a kernel task (thread or child
/// process) of its own that was born for it. A runtime that multiplexes units on its worker
/// threads gives them at most its workers; units run by their creator's thread get none. A
/// repetition whose units did not outnumber the `workers` they could run on cannot tell the two
/// apart (one unit per worker looks like one thread per unit) and decides nothing.
///
/// The new tasks are those of the units' own thread ids that were absent before and present
/// while they lived ([`ManagedSample::units_on_new_tasks`]), so threads that other code of the
/// process starts or ends meanwhile change nothing; a sample without them (an external program,
/// alone in its process) is judged by how many tasks the process gained.
///
/// ```
/// use comparisons::classify::managed_by_os;
/// use comparisons::samples::ManagedSample;
/// let threads = ManagedSample { units: 32, units_on_new_tasks: Some(32), ..Default::default() };
/// assert_eq!(managed_by_os(&[threads.clone(), threads], 2).value, Some(true));
/// let runtime = ManagedSample { units: 32, units_on_new_tasks: Some(2), ..Default::default() };
/// assert_eq!(managed_by_os(&[runtime], 8).value, Some(false));
/// let counted = ManagedSample { units: 32, threads_before: 1, threads_during: 33, ..Default::default() };
/// assert_eq!(managed_by_os(&[counted], 2).value, Some(true));
/// let too_few = ManagedSample { units: 8, units_on_new_tasks: Some(8), ..Default::default() };
/// assert_eq!(managed_by_os(&[too_few], 8).value, None);
/// ```
pub fn managed_by_os(samples: &[ManagedSample], workers: u64) -> Verdict {
    let gained = |s: &ManagedSample| {
        s.units_on_new_tasks.unwrap_or(
            s.threads_during.saturating_sub(s.threads_before)
                + s.children_during.saturating_sub(s.children_before),
        )
    };
    let reps: Vec<Option<bool>> = samples
        .iter()
        .map(|s| (s.units > workers).then(|| gained(s) >= s.units))
        .collect();
    let evidence = match samples.first() {
        None => "not measured".to_string(),
        Some(s) => {
            let mut distinct = s.unit_tids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let on_creator = s.unit_tids.iter().filter(|&&t| t == s.creator_tid).count();
            format!(
                "{} live units on {} worker thread(s): the process gained {} kernel thread(s) and {} child process(es) while they lived; units on a task born for them, per repetition: {}; the units saw {} distinct thread ids, {} of them the creator's; {}",
                s.units,
                workers,
                s.threads_during.saturating_sub(s.threads_before),
                s.children_during.saturating_sub(s.children_before),
                samples
                    .iter()
                    .map(|s| gained(s).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                distinct.len(),
                on_creator,
                tally(&reps)
            )
        }
    };
    Verdict {
        value: agreed(&reps),
        basis: Basis::Experiment,
        repetitions: reps,
        evidence,
    }
}

/// Own address space: a unit wrote `written` into a variable that was 0; the creator then read
/// `seen`. If the creator does not see the write, the unit has its own (copied) memory.
///
/// ```
/// use comparisons::classify::own_address_space;
/// assert_eq!(own_address_space(42, 0).value, Some(true));
/// assert_eq!(own_address_space(42, 42).value, Some(false));
/// ```
pub fn own_address_space(written: u64, seen: u64) -> Verdict {
    let v = seen != written;
    Verdict {
        value: Some(v),
        basis: Basis::Experiment,
        repetitions: vec![Some(v)],
        evidence: format!("unit wrote {written}, creator then read {seen}"),
    }
}

/// Pre-emptive: while one unit per worker spun without yielding, a probe unit made runnable
/// meanwhile ran before the first spinner stopped. A repetition in which the spinners were not
/// all spinning when the probe became runnable decides nothing.
///
/// ```
/// use comparisons::classify::preemptive;
/// use comparisons::samples::{PreemptSample, Scheduler};
/// let s = |ran: f64| PreemptSample {
///     spinners: 2, spin_ns: 100e6, all_spinning: true, probe_ran_ns: ran, first_spinner_done_ns: 99e6,
/// };
/// assert_eq!(preemptive(&[s(3e6), s(4e6), s(2e6)], Scheduler::Kernel).value, Some(true));
/// assert_eq!(preemptive(&[s(100e6), s(101e6), s(100e6)], Scheduler::Runtime).value, Some(false));
/// assert_eq!(preemptive(&[s(3e6), s(101e6), s(3e6)], Scheduler::Kernel).value, None);
/// ```
pub fn preemptive(samples: &[PreemptSample], scheduler: Scheduler) -> Verdict {
    let reps: Vec<Option<bool>> = samples
        .iter()
        .map(|s| {
            s.all_spinning
                .then_some(s.probe_ran_ns < s.first_spinner_done_ns)
        })
        .collect();
    let ms = |ns: f64| format!("{:.1}", ns / 1e6);
    let evidence = match samples.first() {
        None => "not measured".to_string(),
        Some(s) => format!(
            "with {} unit(s) spinning {} ms without yielding, a unit made runnable meanwhile first ran {} ms after the last spinner started; the first spinner stopped at {} ms{}; {}",
            s.spinners,
            ms(s.spin_ns),
            list(samples.iter().map(|s| s.probe_ran_ns), ms),
            list(samples.iter().map(|s| s.first_spinner_done_ns), ms),
            if samples.iter().all(|s| s.all_spinning) {
                ""
            } else {
                " (in some repetitions not every spinner was spinning when the probe became runnable)"
            },
            tally(&reps)
        ),
    };
    let basis = basis(scheduler);
    Verdict {
        value: decide(basis, &reps),
        basis,
        repetitions: reps,
        evidence,
    }
}

fn basis(scheduler: Scheduler) -> Basis {
    match scheduler {
        Scheduler::CallerThread => Basis::Construction,
        Scheduler::Kernel | Scheduler::Runtime => Basis::Experiment,
    }
}

/// The answer of a pre-emption or parallelism experiment: for units run one at a time by their
/// creator's thread, "no" by construction unless a repetition contradicts it (a harness bug, which
/// makes it uncertain); a repetition that decided nothing (a thread starved by other programs)
/// does not; otherwise what the repetitions agree on.
fn decide(basis: Basis, reps: &[Option<bool>]) -> Option<bool> {
    match basis {
        Basis::Construction => (!reps.contains(&Some(true))).then_some(false),
        Basis::Experiment => agreed(reps),
    }
}

/// CPU time per wall time of a pair of CPU-bound units at or above which they ran in parallel.
pub const PARALLEL_AT_LEAST: f64 = 1.2;
/// CPU time per wall time at or below which they ran one at a time (units taking turns on one
/// thread can never use more CPU time than wall time; the margin covers the clocks' resolution).
pub const ONE_AT_A_TIME_AT_MOST: f64 = 1.05;
/// CPU time per wall time below which the pair did not even have one CPU to itself: other work
/// took it, so the repetition says nothing about the style.
pub const STARVED_BELOW: f64 = 0.9;

/// Parallel: two CPU-bound units started at once used more CPU time than wall time, which only
/// units running at the same moment can. Each repetition's CPU time / wall time is the average
/// number of the two units running at any moment: at least [`PARALLEL_AT_LEAST`] is parallel;
/// from [`STARVED_BELOW`] to [`ONE_AT_A_TIME_AT_MOST`] (one CPU's worth, all the time) one at a
/// time; anything else (a second core busy with other work, or the pair starved of even one CPU)
/// undecided. Load from other programs can only make a parallel pair look less parallel, never
/// the reverse, and a starved pair decides nothing. `one_ns` (one unit alone) is only reported.
///
/// ```
/// use comparisons::classify::parallel;
/// use comparisons::samples::Scheduler;
/// // 100 ms of wall time, 190 ms of CPU time: both units ran at once
/// assert_eq!(parallel(&[100e6; 3], &[190e6; 3], &[95e6; 3], Scheduler::Kernel).value, Some(true));
/// // 200 ms of wall time, 199 ms of CPU time: one at a time
/// assert_eq!(parallel(&[200e6; 3], &[199e6; 3], &[100e6; 3], Scheduler::Runtime).value, Some(false));
/// // a repetition in between decides nothing
/// assert_eq!(parallel(&[100e6; 3], &[190e6, 110e6, 190e6], &[95e6; 3], Scheduler::Kernel).value, None);
/// // nor does a pair that other work starved of a whole CPU
/// assert_eq!(parallel(&[200e6; 3], &[199e6, 100e6, 199e6], &[100e6; 3], Scheduler::Runtime).value, None);
/// ```
pub fn parallel(
    two_ns: &[f64],
    two_cpu_ns: &[f64],
    one_ns: &[f64],
    scheduler: Scheduler,
) -> Verdict {
    let ratios: Vec<f64> = two_ns.iter().zip(two_cpu_ns).map(|(w, c)| c / w).collect();
    let reps: Vec<Option<bool>> = ratios
        .iter()
        .map(|&r| {
            if r >= PARALLEL_AT_LEAST {
                Some(true)
            } else if (STARVED_BELOW..=ONE_AT_A_TIME_AT_MOST).contains(&r) {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    let med = |v: &[f64]| crate::stats::median(v).unwrap_or(f64::NAN) / 1e6;
    let basis = basis(scheduler);
    Verdict {
        value: decide(basis, &reps),
        basis,
        evidence: format!(
            "two CPU-bound units started at once used {} times their wall time in CPU time, i.e. that many of the two ran at any moment on average (at least {PARALLEL_AT_LEAST} = parallel, {STARVED_BELOW} to {ONE_AT_A_TIME_AT_MOST} = one at a time, else undecided); median pair: {:.1} ms wall, {:.1} ms CPU; one unit alone: {:.1} ms; {}",
            list(ratios.iter().copied(), |r| format!("{r:.2}")),
            med(two_ns),
            med(two_cpu_ns),
            med(one_ns),
            tally(&reps)
        ),
        repetitions: reps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_units_decide_nothing() {
        assert_eq!(managed_by_os(&[], 2).value, None);
        assert_eq!(parallel(&[], &[], &[], Scheduler::Kernel).value, None);
        assert_eq!(preemptive(&[], Scheduler::Kernel).value, None);
    }

    #[test]
    fn child_processes_count_as_kernel_tasks() {
        let s = ManagedSample {
            units: 32,
            children_before: 0,
            children_during: 32,
            threads_before: 1,
            threads_during: 1,
            ..ManagedSample::default()
        };
        assert_eq!(managed_by_os(&[s], 2).value, Some(true));
    }

    #[test]
    fn threads_other_code_starts_or_ends_meanwhile_change_nothing() {
        // a thread of other code ended while 16 units on threads of their own lived
        let ended = ManagedSample {
            units: 16,
            threads_before: 4,
            threads_during: 19,
            units_on_new_tasks: Some(16),
            ..ManagedSample::default()
        };
        assert_eq!(managed_by_os(&[ended], 2).value, Some(true));
        // other code started 40 threads while 16 units lived on their creator's thread
        let started = ManagedSample {
            units: 16,
            threads_before: 2,
            threads_during: 42,
            units_on_new_tasks: Some(0),
            ..ManagedSample::default()
        };
        assert_eq!(managed_by_os(&[started], 2).value, Some(false));
    }

    #[test]
    fn spinners_not_all_spinning_decide_nothing() {
        let s = PreemptSample {
            spinners: 2,
            spin_ns: 100e6,
            all_spinning: false,
            probe_ran_ns: 1e6,
            first_spinner_done_ns: 100e6,
        };
        let v = preemptive(&[s.clone(), s.clone(), s], Scheduler::Kernel);
        assert_eq!(v.value, None);
        assert!(v.evidence.contains("not every spinner"), "{}", v.evidence);
    }

    #[test]
    fn single_threaded_rows_rest_on_construction() {
        let v = parallel(&[2.0; 3], &[2.0; 3], &[1.0; 3], Scheduler::CallerThread);
        assert_eq!((v.value, v.basis), (Some(false), Basis::Construction));
        // a thread starved by other programs decides nothing, and contradicts nothing
        let v = parallel(
            &[2.0; 3],
            &[2.0, 1.0, 2.0],
            &[1.0; 3],
            Scheduler::CallerThread,
        );
        assert_eq!(v.value, Some(false));
        // a repetition that ran two units at once would be a harness bug: uncertain
        let v = parallel(
            &[2.0; 3],
            &[2.0, 3.0, 2.0],
            &[1.0; 3],
            Scheduler::CallerThread,
        );
        assert_eq!(v.value, None);
    }
}
