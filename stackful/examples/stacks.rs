//! Measures what the stack sizes in `stackful::stacks` are chosen against, and what the pool saves.
//!
//! `cargo run -p stackful --example stacks` (debug build; add `--release` for optimised frames)
//! prints the stack high-water mark of typical coroutine bodies, the bytes per level of a sample
//! recursion and the depth each stack size allows, then the median cost of creating a coroutine
//! on a stack from a pool that keeps none (so every stack is mapped afresh) and from a warm one,
//! and of the scheduler workload with its tasks' stacks pooled or mapped afresh (rough: the
//! `benches` crate's `create` and `scheduler` groups measure them properly). It takes no options;
//! `--help` says so.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{self, Write as _};
use std::panic;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use corosensei::{CoroutineResult, Yielder};
use stackful::scheduler::run_workload;
use stackful::stacks::pool::{TASK_POOL_MAX_IDLE, TASK_STACK_SIZE, with_task_stacks};
use stackful::stacks::{DEEP_STACK_SIZE, SMALL_STACK_SIZE, StackPool, stack_high_water};

/// The command line: no options, `--help` only.
#[derive(Debug, Parser)]
#[command(
    name = "stacks",
    about = "Measures the stack high-water marks the stack sizes are chosen against, and what \
             reusing stacks from a pool saves"
)]
struct Args {}

/// One level of a recursion that keeps a 64-byte array live in each frame.
fn recurse(depth: u32) -> u64 {
    let frame = black_box([u64::from(depth); 8]);
    if depth == 0 {
        return frame[0];
    }
    recurse(depth - 1) + frame[(depth % 8) as usize]
}

/// A panic a few frames down, caught on the coroutine's stack.
fn panics_inside() {
    let result = panic::catch_unwind(|| {
        black_box(recurse(3));
        panic!("a panic on the coroutine's stack");
    });
    black_box(result.is_err());
}

/// A coroutine body to measure.
type Body = Box<dyn FnOnce(&corosensei::Yielder<(), ()>)>;

/// Makes a coroutine on a stack from `pool` that yields `input + 1`, then returns `input + 2`;
/// resumes it to its suspension and, if `finish`, to its end; gives the stack back (unwinding the
/// coroutine first if it is still suspended). Returns the sum of what came out.
fn create_and_run(pool: &mut StackPool, finish: bool) -> Result<u64> {
    let mut co = pool.coroutine(|yielder: &Yielder<u64, u64>, input: u64| {
        yielder.suspend(input + 1);
        input + 2
    })?;
    let value = |result| match result {
        CoroutineResult::Yield(v) | CoroutineResult::Return(v) => v,
    };
    let mut sum = value(co.resume(black_box(1)));
    if finish {
        sum += value(co.resume(black_box(0)));
    }
    pool.recycle(co);
    Ok(sum)
}

/// Median of `runs` timings of `f`, in nanoseconds.
fn median_ns(runs: usize, mut f: impl FnMut() -> Result<u64>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        black_box(f()?);
        times.push(start.elapsed().as_nanos());
    }
    times.sort_unstable();
    Ok(times[runs / 2] as f64)
}

fn main() -> Result<()> {
    Args::parse();
    let out = &mut io::stdout().lock();
    let kib = |bytes: usize| bytes as f64 / 1024.0;
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let backtrace = std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "unset".to_owned());
    writeln!(out, "profile: {profile}, RUST_BACKTRACE: {backtrace}")?;
    writeln!(
        out,
        "stack high-water marks (bytes touched on a {} KiB stack):",
        DEEP_STACK_SIZE / 1024
    )?;

    let cases: Vec<(&str, Body)> = vec![
        ("suspend once", Box::new(|y| y.suspend(()))),
        (
            "format a line (write! to a String)",
            Box::new(|y| {
                let mut line = String::new();
                let _ = write!(line, "{} {:.3} {:?}", 42, 1.0_f64 / 3.0, "text");
                y.suspend(());
                black_box(line);
            }),
        ),
        (
            "print a line (writeln! to stdout)",
            Box::new(|y| {
                let _ = writeln!(io::stdout(), "  (a line printed from a coroutine)");
                y.suspend(());
            }),
        ),
        (
            "panic (default hook) caught on it",
            Box::new(|_| panics_inside()),
        ),
        (
            "capture and print a backtrace",
            Box::new(|_| {
                let bt = std::backtrace::Backtrace::force_capture();
                black_box(bt.to_string().len());
            }),
        ),
    ];
    // The panic case runs the default panic hook, which prints its message to stderr: expected.
    for (name, body) in cases {
        let used = stack_high_water(DEEP_STACK_SIZE, body).context(name)?;
        let fits = if used < SMALL_STACK_SIZE {
            "fits"
        } else {
            "does NOT fit"
        };
        writeln!(
            out,
            "  {name:<38} {:>8.1} KiB  ({fits} SMALL_STACK_SIZE)",
            kib(used)
        )?;
    }

    let base = stack_high_water(DEEP_STACK_SIZE, |_| {
        black_box(recurse(0));
    })?;
    let levels = 10_000;
    let deep = stack_high_water(DEEP_STACK_SIZE, move |_| {
        black_box(recurse(levels));
    })?;
    let per_level = (deep - base) as f64 / f64::from(levels);
    writeln!(
        out,
        "recursion with a 64-byte array per frame: {per_level:.0} bytes per level"
    )?;
    for (name, size) in [
        ("SMALL_STACK_SIZE", SMALL_STACK_SIZE),
        ("DEEP_STACK_SIZE", DEEP_STACK_SIZE),
    ] {
        let depth = (size - base) as f64 / per_level;
        writeln!(
            out,
            "  {name} = {:>5} KiB allows about {depth:.0} levels",
            size / 1024
        )?;
    }

    let runs = 20_001;
    let mut pool = StackPool::new(SMALL_STACK_SIZE);
    let mut unpooled = StackPool::with_max_idle(SMALL_STACK_SIZE, 0);
    let fresh = median_ns(runs, || create_and_run(&mut unpooled, true))?;
    let pooled = median_ns(runs, || create_and_run(&mut pool, true))?;
    let fresh_unwind = median_ns(runs, || create_and_run(&mut unpooled, false))?;
    let pooled_unwind = median_ns(runs, || create_and_run(&mut pool, false))?;
    writeln!(
        out,
        "create + run (median of {runs}, Instant around each call, noisy):"
    )?;
    writeln!(out, "  fresh stack, run to completion:  {fresh:>8.0} ns")?;
    writeln!(
        out,
        "  pooled stack, run to completion: {pooled:>8.0} ns  (fresh/pooled = {:.1}x)",
        fresh / pooled
    )?;
    writeln!(
        out,
        "  fresh stack, dropped suspended:  {fresh_unwind:>8.0} ns"
    )?;
    writeln!(
        out,
        "  pooled stack, dropped suspended: {pooled_unwind:>8.0} ns  (the forced unwind)"
    )?;
    writeln!(out, "  stacks the pool mapped: {}", pool.stacks_allocated())?;

    writeln!(
        out,
        "scheduler workload, tasks x steps (median of 11 runs each, interleaved, after a warm-up run):"
    )?;
    for (tasks, steps) in [(1000, 1000), (10_000, 10), (1000, 1)] {
        let mut medians = [0.0; 2];
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..11 {
            // Tasks' stacks from this thread's pool as configured, then from a pool that keeps
            // none, so that every task maps and unmaps its own stack.
            for (which, max_idle) in [TASK_POOL_MAX_IDLE, 0].into_iter().enumerate() {
                with_task_stacks(|p| *p = StackPool::with_max_idle(TASK_STACK_SIZE, max_idle));
                black_box(run_workload(black_box(tasks), steps));
                let start = Instant::now();
                black_box(run_workload(black_box(tasks), steps));
                times[which].push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
        for (median, mut t) in medians.iter_mut().zip(times) {
            t.sort_by(f64::total_cmp);
            *median = t[t.len() / 2];
        }
        let [pooled, fresh] = medians;
        writeln!(
            out,
            "  {tasks:>6} x {steps:<5} pooled {pooled:>8.2} ms, fresh {fresh:>8.2} ms  \
             (fresh/pooled = {:.2}x)",
            fresh / pooled
        )?;
    }
    writeln!(
        out,
        "  (pooled: the pool keeps up to {TASK_POOL_MAX_IDLE} idle stacks; tasks alive at once \
         beyond that are mapped on every run)"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_takes_help_and_nothing_else() {
        let help = Args::try_parse_from(["stacks", "--help"]).unwrap_err();
        assert_eq!(help.exit_code(), 0);
        assert!(help.to_string().contains("Usage: stacks"), "{help}");
        for bad in [&["stacks", "--bogus"][..], &["stacks", "extra"]] {
            let error = Args::try_parse_from(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
        Args::try_parse_from(["stacks"]).unwrap();
    }
}
