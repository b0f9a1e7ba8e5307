//! The scheduler workloads of the `scheduler` benchmark group, and the report of the
//! `scheduler_ratio` example: the stackless and stackful schedulers run in turn on each workload
//! (so a change in the machine's speed falls on both alike), with the page faults each run takes,
//! and the cost of one resume of a cold coroutine of each style as the number of coroutines grows.
//!
//! Criterion runs each style's workload back to back. There, left to itself, glibc's `free` gives
//! the top of the heap back to the kernel after each stackless run of 100,000 tasks, and the next
//! run faults it in again, while the stackful tasks' stacks stay in their pool between runs: the
//! benchmark would charge the stackless style about 2,900 page faults a run that the stackful
//! one does not pay. So the `scheduler` benchmark first calls [`keep_freed_memory`], which keeps
//! the heap grown between runs as the pool keeps its stacks. Run in turn (`scheduler_ratio`),
//! the other style's run keeps the heap grown anyway; its page-fault columns show that neither
//! style's runs fault.
//!
//! ```
//! use benches::scheduler::{Sample, run_stackful, run_stackless};
//!
//! let (less, full): (Sample, Sample) = (run_stackless(10, 10)?, run_stackful(10, 10)?);
//! assert!(less.time > std::time::Duration::ZERO && full.time > std::time::Duration::ZERO);
//! # Ok::<(), String>(())
//! ```

use std::hint::black_box;
use std::io::Write;
use std::ops::CoroutineState;
use std::time::{Duration, Instant};

use corosensei::{CoroutineResult, Yielder};
use stackful::stacks::StackPool;
use stackful::stacks::pool::TASK_STACK_SIZE;

use crate::identity::{self, Handle};

/// (tasks, steps) per run: the same 10,000 to 100,000 steps spread over few or many tasks.
pub const WORKLOADS: [(usize, usize); 4] = [(10, 1_000), (1_000, 100), (10_000, 10), (100_000, 1)];

/// The target: a stackful run takes at most this many times a stackless run of the same workload.
pub const TARGET: f64 = 3.0;

/// Coroutine counts of the resume measurement.
pub const RESUME_COUNTS: [usize; 4] = [10, 1_000, 10_000, 100_000];

/// Makes glibc keep the memory that runs free for the next runs: the heap's top is never given
/// back to the kernel, and blocks up to 32 MiB (glibc's largest threshold) come from the heap,
/// not from an `mmap` of their own that `free` unmaps. The stackful tasks' stacks stay in their
/// pool between runs the same way, so neither style's repeated runs pay the page faults of
/// memory the previous run gave back. Returns whether glibc took both settings (`false` where the
/// C library is not glibc).
///
/// ```
/// assert_eq!(benches::scheduler::keep_freed_memory(), cfg!(target_env = "gnu"));
/// ```
#[cfg(target_env = "gnu")]
pub fn keep_freed_memory() -> bool {
    const LARGEST_MMAP_THRESHOLD: libc::c_int = 32 << 20;
    // SAFETY: `mallopt` only sets parameters of glibc's allocator, under its own lock; the
    // allocations made before and after stay valid whatever the parameters.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1
            && libc::mallopt(libc::M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD) == 1
    }
}

/// Makes glibc keep the memory that runs free: not glibc here, so nothing is set.
#[cfg(not(target_env = "gnu"))]
pub fn keep_freed_memory() -> bool {
    false
}

/// One timed run: its time and the minor page faults the process took during it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall-clock time of the run.
    pub time: Duration,
    /// Minor page faults during the run (`getrusage`).
    pub faults: u64,
}

/// The minor page faults this process has taken so far.
fn minor_faults() -> Result<u64, String> {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|usage| u64::try_from(usage.minor_page_faults()).unwrap_or(0))
        .map_err(|e| format!("getrusage: {e}"))
}

/// The sum every workload of `tasks × steps` must return: `n (n + 1) / 2` for `n = tasks × steps`.
fn expected_sum(tasks: usize, steps: usize) -> u64 {
    let n = (tasks * steps) as u64;
    n.wrapping_mul(n.wrapping_add(1)) / 2
}

/// Times `run`, checking its result after the clock stopped.
fn sample(
    name: &str,
    tasks: usize,
    steps: usize,
    run: impl FnOnce(usize, usize) -> u64,
) -> Result<Sample, String> {
    let faults = minor_faults()?;
    let start = Instant::now();
    let sum = black_box(run(black_box(tasks), steps));
    let time = start.elapsed();
    let faults = minor_faults()?.saturating_sub(faults);
    if sum != expected_sum(tasks, steps) {
        return Err(format!("{name} {tasks} x {steps} gave a wrong sum"));
    }
    Ok(Sample { time, faults })
}

/// One timed run of the stackless scheduler's workload.
///
/// # Errors
/// A wrong result, or `getrusage` failing.
pub fn run_stackless(tasks: usize, steps: usize) -> Result<Sample, String> {
    sample(
        "stackless",
        tasks,
        steps,
        stackless::scheduler::run_workload,
    )
}

/// One timed run of the stackful scheduler's workload.
///
/// # Errors
/// A wrong result, or `getrusage` failing.
pub fn run_stackful(tasks: usize, steps: usize) -> Result<Sample, String> {
    sample("stackful", tasks, steps, stackful::scheduler::run_workload)
}

/// The median time and the median page faults of `samples` (not empty).
fn medians(samples: &mut [Sample]) -> (Duration, u64) {
    samples.sort_by_key(|s| s.time);
    let time = samples[samples.len() / 2].time;
    samples.sort_by_key(|s| s.faults);
    (time, samples[samples.len() / 2].faults)
}

/// Nanoseconds per resume of `count` suspended coroutines resumed one after another, each pass
/// resuming every one once (the median of 5 timings of enough passes for a million resumes), for
/// boxed native coroutines and for `corosensei` coroutines on [`TASK_STACK_SIZE`] pool stacks. No
/// scheduler and no prefetch: what the layout of a suspended coroutine costs once there are more
/// of them than the caches and the TLB hold.
///
/// # Errors
/// A stack that cannot be mapped.
pub fn resume_costs(count: usize) -> Result<(f64, f64), String> {
    let passes = (1_000_000 / count).max(1);
    let per_resume = |time: Duration| time.as_secs_f64() * 1e9 / (passes * count) as f64;
    let mut native: Vec<Handle<()>> = (0..count)
        .map(|_| -> Handle<()> { Box::pin(identity::native()) })
        .collect();
    let mut x = 0u64;
    let native_time = median_of_5(|| {
        for _ in 0..passes {
            for co in &mut native {
                if let CoroutineState::Yielded(v) = co.as_mut().resume(x) {
                    x = v.wrapping_add(1);
                }
            }
        }
    });
    drop(native);
    let mut pool = StackPool::new(TASK_STACK_SIZE);
    let mut stackful = (0..count)
        .map(|_| {
            pool.coroutine(|yielder: &Yielder<u64, u64>, mut x: u64| {
                loop {
                    x = yielder.suspend(x);
                }
            })
        })
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("mapping {count} coroutine stacks: {e}"))?;
    let stackful_time = median_of_5(|| {
        for _ in 0..passes {
            for co in &mut stackful {
                let CoroutineResult::Yield(v) = co.resume(x);
                x = v.wrapping_add(1);
            }
        }
    });
    black_box(x);
    Ok((per_resume(native_time), per_resume(stackful_time)))
}

/// The median of five timings of `run`, after one untimed run.
fn median_of_5(mut run: impl FnMut()) -> Duration {
    run();
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

/// Runs every workload of [`WORKLOADS`] with both schedulers in turn, `rounds` times after one
/// warm-up round, and writes the median time per run and per step, the median page faults per
/// run, and the stackful / stackless ratio against [`TARGET`] to `out`; then the resume costs of
/// [`resume_costs`] for [`RESUME_COUNTS`].
///
/// # Errors
/// A run that gives a wrong result, a stack that cannot be mapped, or an error writing to `out`.
pub fn ratio_report(rounds: usize, out: &mut impl Write) -> Result<(), String> {
    let rounds = rounds.max(1);
    let write_error = |e: std::io::Error| format!("writing the report: {e}");
    writeln!(
        out,
        "scheduler: stackless and stackful runs of each workload in turn; medians of {rounds} \
         rounds after a warm-up round"
    )
    .map_err(write_error)?;
    for (tasks, steps) in WORKLOADS {
        run_stackless(tasks, steps)?;
        run_stackful(tasks, steps)?;
        let (mut less, mut full) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            less.push(run_stackless(tasks, steps)?);
            full.push(run_stackful(tasks, steps)?);
        }
        let ((less_time, less_faults), (full_time, full_faults)) =
            (medians(&mut less), medians(&mut full));
        let ratio = full_time.as_secs_f64() / less_time.as_secs_f64();
        let per_step = |t: Duration| t.as_secs_f64() * 1e9 / (tasks * steps) as f64;
        writeln!(
            out,
            "{:>15}  stackless {:>8.3} ms ({:>5.1} ns/step, {:>5} faults/run)  \
             stackful {:>8.3} ms ({:>5.1} ns/step, {:>5} faults/run)  {ratio:.2}x \
             (target <= {TARGET}x: {})",
            format!("{tasks} x {steps}"),
            less_time.as_secs_f64() * 1e3,
            per_step(less_time),
            less_faults,
            full_time.as_secs_f64() * 1e3,
            per_step(full_time),
            full_faults,
            if ratio <= TARGET { "met" } else { "NOT met" },
        )
        .map_err(write_error)?;
    }
    writeln!(
        out,
        "resuming N suspended coroutines one after another (no scheduler, no prefetch), ns per resume:"
    )
    .map_err(write_error)?;
    for count in RESUME_COUNTS {
        let (native, stackful) = resume_costs(count)?;
        writeln!(
            out,
            "{count:>15}  native boxed {native:>6.1} ns  corosensei on pool stacks {stackful:>6.1} ns  \
             ({:.1}x)",
            stackful / native
        )
        .map_err(write_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schedulers_give_the_expected_sum() {
        assert_eq!(expected_sum(3, 4), 78);
        for (tasks, steps) in [(3, 4), (50, 1)] {
            run_stackless(tasks, steps).expect("the stackless sum");
            run_stackful(tasks, steps).expect("the stackful sum");
        }
    }

    #[test]
    fn resume_costs_are_measured() {
        let (native, stackful) = resume_costs(10).expect("ten stacks");
        assert!(native > 0.0 && stackful > 0.0);
    }

    #[test]
    fn medians_take_the_middle_of_each_column() {
        let sample = |ms, faults| Sample {
            time: Duration::from_millis(ms),
            faults,
        };
        let (time, faults) = medians(&mut [sample(3, 1), sample(1, 9), sample(2, 5)]);
        assert_eq!((time, faults), (Duration::from_millis(2), 5));
    }
}
