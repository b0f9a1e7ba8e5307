//! Row `stackful`: units are `corosensei` coroutines, each on its own mmap'd stack of
//! [`STACK_BYTES`] (plus a guard page), driven by `resume` / `suspend` on the creating thread
//! through a handle behind `black_box`, each output fed into the next input.
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the coroutines are suspended,
//! divided by their count, with the object (`size_of` the coroutine handle plus its heap) and the
//! kernel's part (page tables and memory-map structures for every stack) beside it. Creation runs
//! the unit to its first suspension and resumes it once more so that it returns, on a freshly
//! mapped stack and on one from a warm [`StackPool`]; dropping a coroutine while it is suspended
//! (which unwinds its stack) is timed apart, as its own figure.

use super::{
    MARK, Resumed, Style, driven_ring, live_units_memory, managed_on_caller_thread, ns_since,
    preempt_sample, spin_for, time_chained,
};
use crate::placement::Ends;
use crate::ring::{RingPlan, RingSample, STOP, UnitCount};
use crate::samples::{ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::gettid;
use crate::timing::{Plan, TimingSample, mono_ns};
use crate::work::cpu_work;
use anyhow::{Context, Result, bail};
use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use stackful::stacks::StackPool;
use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Stack reserved for each stackful coroutine (corosensei's default is 1 MiB; a unit that keeps a
/// few locals needs far less, and what is never touched costs no resident memory anyway).
pub const STACK_BYTES: usize = 64 * 1024;

/// Chunks a CPU-bound unit splits its work into, suspending between them.
pub const CHUNKS: u64 = 16;

/// The stackful coroutine row.
#[derive(Debug)]
pub struct Stackful;

type Unit = Coroutine<u64, u64, u64, DefaultStack>;

fn stack() -> Result<DefaultStack> {
    DefaultStack::new(STACK_BYTES).context("allocating a coroutine stack")
}

/// The measured unit's body: keeps a running sum across suspensions, yielding it each time.
fn accumulate(y: &Yielder<u64, u64>, mut x: u64) -> u64 {
    let mut acc = 0u64;
    loop {
        acc = acc.wrapping_add(x);
        x = y.suspend(acc);
    }
}

/// The measured unit on a fresh stack.
fn accumulator() -> Result<Unit> {
    Ok(Coroutine::with_stack(stack()?, accumulate))
}

/// Resumes `u` (on a stack of any kind) with `x` and returns what it yields.
fn step<S: Stack>(u: &mut Coroutine<u64, u64, u64, S>, x: u64) -> Result<u64> {
    match u.resume(x) {
        CoroutineResult::Yield(y) => Ok(y),
        CoroutineResult::Return(_) => bail!("the accumulator returned"),
    }
}

/// The unit of the creation figures: yields `x + 1` at its first suspension, then returns what it
/// is resumed with.
fn once(y: &Yielder<u64, u64>, x: u64) -> u64 {
    y.suspend(x.wrapping_add(1))
}

/// Runs a fresh unit to its first suspension and resumes it once more so that it returns; what it
/// returned. The unit is then dropped complete: nothing is left on its stack to unwind.
fn run_to_end<S: Stack>(mut u: Coroutine<u64, u64, u64, S>, x: u64) -> Result<u64> {
    let y = step(black_box(&mut u), x)?;
    match u.resume(y) {
        CoroutineResult::Return(r) => Ok(r),
        CoroutineResult::Yield(_) => bail!("the unit suspended a second time"),
    }
}

/// A unit of the scaling ring: started once (to its first suspension, waiting for a token, so its
/// stack is in use), then takes each token as unit `place` of `n` and suspends with the next one,
/// until [`STOP`], when it returns its counts.
fn ring_unit(y: &Yielder<u64, u64>, place: u64, n: u64) -> UnitCount {
    let mut c = UnitCount::default();
    let mut t = y.suspend(0);
    loop {
        if t == STOP {
            return c;
        }
        t = y.suspend(c.take(t, place, n));
    }
}

/// Runs coroutines round-robin on this thread until all return.
fn round_robin(units: &mut [Unit]) {
    let mut live = units.len();
    let mut done = vec![false; units.len()];
    while live > 0 {
        for (u, d) in units.iter_mut().zip(done.iter_mut()) {
            if !*d && matches!(u.resume(0), CoroutineResult::Return(_)) {
                *d = true;
                live -= 1;
            }
        }
    }
}

impl Style for Stackful {
    fn scheduler() -> Scheduler {
        Scheduler::CallerThread
    }

    fn memory(count: usize) -> Result<MemSample> {
        live_units_memory(count, None, |i| {
            let mut u = accumulator()?;
            black_box(step(&mut u, i)?);
            Ok(u)
        })
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        time_chained(plan, |x| {
            // returns, then the stack is unmapped
            run_to_end(Coroutine::with_stack(stack()?, once), x)
        })
    }

    fn create_pooled(plan: &Plan) -> Result<Option<TimingSample>> {
        let mut pool = StackPool::new(STACK_BYTES);
        time_chained(plan, |x| {
            // returns, then the stack goes back to the pool
            run_to_end(pool.coroutine(once).context("a pooled stack")?, x)
        })
        .map(Some)
    }

    fn drop_suspended(plan: &Plan) -> Result<Option<TimingSample>> {
        let mut pool = StackPool::new(STACK_BYTES);
        time_chained(plan, |x| {
            let mut u = pool.coroutine(once).context("a pooled stack")?;
            let y = step(black_box(&mut u), x)?;
            // dropped while suspended: corosensei unwinds the stack (a forced unwind), then the
            // stack goes back to the pool
            drop(black_box(u));
            Ok(y)
        })
        .map(Some)
    }

    fn switch(plan: &Plan, _ends: Ends) -> Result<TimingSample> {
        let mut u = accumulator()?;
        let h = black_box(&mut u);
        time_chained(plan, |x| step(h, x))
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        // pooled stacks: many stacks per mapping, so a big ring does not run out of mappings
        let mut pool = StackPool::new(STACK_BYTES);
        let n = plan.n;
        driven_ring(
            plan,
            |place| {
                let mut u = pool
                    .coroutine(move |y: &Yielder<u64, u64>, _start| ring_unit(y, place, n))
                    .context("a pooled stack")?;
                // started: suspended at its first suspend, its stack in use
                if !matches!(u.resume(0), CoroutineResult::Yield(_)) {
                    bail!("a ring unit ended before its first token");
                }
                Ok(u)
            },
            |u, t| match u.resume(t) {
                CoroutineResult::Yield(y) => Resumed::Yielded(y),
                CoroutineResult::Return(c) => Resumed::Returned(c),
            },
        )
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        managed_on_caller_thread(
            units,
            || {
                let mut u: Coroutine<(), i64, (), DefaultStack> =
                    Coroutine::with_stack(stack()?, |y: &Yielder<(), i64>, ()| {
                        y.suspend(gettid());
                    });
                match u.resume(()) {
                    CoroutineResult::Yield(t) => Ok((u, t)),
                    CoroutineResult::Return(()) => bail!("unit returned early"),
                }
            },
            |mut u| {
                let _ = u.resume(());
            },
        )
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        let mut u: Coroutine<(), (), (), DefaultStack> =
            Coroutine::with_stack(stack()?, move |y: &Yielder<(), ()>, ()| {
                MARK.store(written, Ordering::SeqCst);
                y.suspend(());
            });
        let _ = u.resume(());
        let seen = MARK.load(Ordering::SeqCst);
        let _ = u.resume(());
        Ok(seen)
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        // (spinner start, spinner end, probe ran); the probe is queued behind the spinner
        let times = Rc::new(Cell::new((0u64, 0u64, 0u64)));
        let t = times.clone();
        let spinner: Coroutine<(), (), (), DefaultStack> =
            Coroutine::with_stack(stack()?, move |y: &Yielder<(), ()>, ()| {
                let mut start = 0;
                let end = spin_for(spin, |s| start = s);
                t.set((start, end, 0));
                y.suspend(());
            });
        let t = times.clone();
        let probe: Coroutine<(), (), (), DefaultStack> =
            Coroutine::with_stack(stack()?, move |y: &Yielder<(), ()>, ()| {
                let (s, e, _) = t.get();
                t.set((s, e, mono_ns()));
                y.suspend(());
            });
        let mut q = vec![spinner, probe];
        while !q.is_empty() {
            q.retain_mut(|u| matches!(u.resume(()), CoroutineResult::Yield(())));
        }
        let (start, end, ran) = times.get();
        preempt_sample(spin, 1, &[start], &[end], start, ran)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::process_cpu_ns();
        let mut us = (0..units)
            .map(|_| {
                Ok(Coroutine::with_stack(
                    stack()?,
                    move |y: &Yielder<u64, u64>, _| {
                        let mut acc = 0u64;
                        for _ in 0..CHUNKS {
                            acc ^= cpu_work(iters / CHUNKS);
                            y.suspend(acc);
                        }
                        acc
                    },
                ))
            })
            .collect::<Result<Vec<Unit>>>()?;
        let t = Instant::now();
        round_robin(&mut us);
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}
