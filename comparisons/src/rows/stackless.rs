//! Row `stackless`: units are native `#[coroutine]` closures (`std::ops::Coroutine`), each held as
//! a scheduler holds a task, `Pin<Box<dyn Coroutine>>`, and driven by `resume` on the creating
//! thread. Every timed resume goes through that opaque handle (behind `black_box`), with each
//! output fed into the next input, so the compiler can neither inline the coroutine into the loop
//! nor skip its state.
//!
//! Memory is reported in layers: the object (`size_of` the handle plus the heap per unit counted
//! by the [`CountingAlloc`](common::alloc_count::CountingAlloc) allocator, which holds the
//! coroutine's whole state, `size_of` it reported beside), the change in this process's `VmRSS` /
//! `VmSize` per unit (which includes the allocator's per-block overhead), and the kernel's.

use super::{
    MARK, Resumed, Style, driven_ring, live_units_memory, managed_on_caller_thread, ns_since,
    preempt_sample, size_of_unit, spin_for, time_chained,
};
use crate::placement::Ends;
use crate::ring::{RingPlan, RingSample, STOP, UnitCount};
use crate::samples::{ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::gettid;
use crate::timing::{Plan, TimingSample, mono_ns};
use crate::work::cpu_work;
use anyhow::{Result, bail};
use std::cell::Cell;
use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Chunks a CPU-bound unit splits its work into, suspending between them.
pub const CHUNKS: u64 = 16;

/// The native stackless coroutine row.
#[derive(Debug)]
pub struct Stackless;

/// The measured unit: keeps a running sum across suspensions, yielding it each time.
pub fn accumulator(seed: u64) -> impl Coroutine<u64, Yield = u64, Return = ()> {
    #[coroutine]
    move |mut x: u64| {
        let mut acc = seed;
        loop {
            acc = acc.wrapping_add(x);
            x = yield acc;
        }
    }
}

/// The unit of the creation figures: yields `x + 1` at its first suspension, then returns what it
/// is resumed with.
pub fn once() -> impl Coroutine<u64, Yield = u64, Return = u64> {
    #[coroutine]
    move |x: u64| yield x.wrapping_add(1)
}

/// A coroutine as a scheduler holds it.
pub type Boxed<R> = Pin<Box<dyn Coroutine<u64, Yield = u64, Return = R>>>;

/// A boxed [`accumulator`].
pub fn boxed_accumulator(seed: u64) -> Boxed<()> {
    Box::pin(accumulator(seed))
}

/// Resumes `u` with `x` and returns what it yields.
fn step(u: &mut Boxed<()>, x: u64) -> Result<u64> {
    match u.as_mut().resume(x) {
        CoroutineState::Yielded(y) => Ok(y),
        CoroutineState::Complete(()) => bail!("the accumulator completed"),
    }
}

/// A unit of the scaling ring: started once (to its first suspension, waiting for a token), then
/// takes each token as unit `place` of `n` and yields the next one, until [`STOP`], when it
/// returns its counts.
fn ring_unit(place: u64, n: u64) -> impl Coroutine<u64, Yield = u64, Return = UnitCount> {
    #[coroutine]
    move |_start: u64| {
        let mut c = UnitCount::default();
        let mut t = yield 0;
        loop {
            if t == STOP {
                return c;
            }
            t = yield c.take(t, place, n);
        }
    }
}

/// Resumes `u` with `x` and returns what it yields, whatever it returns at its end.
fn step_any<R>(u: &mut Boxed<R>, x: u64) -> Result<u64> {
    match u.as_mut().resume(x) {
        CoroutineState::Yielded(y) => Ok(y),
        CoroutineState::Complete(_) => bail!("a ring unit ended before the stop token"),
    }
}

/// Runs boxed coroutines round-robin on this thread until all return.
fn round_robin<R>(units: &mut [Boxed<R>]) {
    let mut done = vec![false; units.len()];
    let mut live = units.len();
    while live > 0 {
        for (u, d) in units.iter_mut().zip(done.iter_mut()) {
            if !*d && matches!(u.as_mut().resume(0), CoroutineState::Complete(_)) {
                *d = true;
                live -= 1;
            }
        }
    }
}

impl Style for Stackless {
    fn scheduler() -> Scheduler {
        Scheduler::CallerThread
    }

    fn memory(count: usize) -> Result<MemSample> {
        live_units_memory(count, Some(size_of_unit(&accumulator(0))), |i| {
            let mut u = boxed_accumulator(i);
            black_box(step(&mut u, 1)?);
            Ok(u)
        })
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        time_chained(plan, |x| {
            let mut u: Boxed<u64> = black_box(Box::pin(once()));
            // to the first suspension, then once more so that it returns
            let y = match u.as_mut().resume(x) {
                CoroutineState::Yielded(y) => y,
                CoroutineState::Complete(_) => bail!("the unit completed before suspending"),
            };
            let r = match u.as_mut().resume(y) {
                CoroutineState::Complete(r) => r,
                CoroutineState::Yielded(_) => bail!("the unit suspended a second time"),
            };
            drop(black_box(u));
            Ok(r)
        })
    }

    fn switch(plan: &Plan, _ends: Ends) -> Result<TimingSample> {
        let mut u = boxed_accumulator(0);
        let h = black_box(&mut u);
        time_chained(plan, |x| step(h, x))
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        driven_ring(
            plan,
            |place| {
                let mut u: Boxed<UnitCount> = Box::pin(ring_unit(place, plan.n));
                // started: suspended at its first yield, waiting for a token
                step_any(&mut u, 0)?;
                Ok(u)
            },
            |u, t| match u.as_mut().resume(t) {
                CoroutineState::Yielded(y) => Resumed::Yielded(y),
                CoroutineState::Complete(c) => Resumed::Returned(c),
            },
        )
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        managed_on_caller_thread(
            units,
            || {
                let mut u = Box::pin(
                    #[coroutine]
                    || {
                        yield gettid();
                    },
                );
                match u.as_mut().resume(()) {
                    CoroutineState::Yielded(t) => Ok((u, t)),
                    CoroutineState::Complete(()) => bail!("unit completed early"),
                }
            },
            |mut u| {
                let _ = u.as_mut().resume(());
            },
        )
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        let mut u = Box::pin(
            #[coroutine]
            move || {
                MARK.store(written, Ordering::SeqCst);
                yield;
            },
        );
        let _ = u.as_mut().resume(());
        let seen = MARK.load(Ordering::SeqCst);
        let _ = u.as_mut().resume(());
        Ok(seen)
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        // (spinner start, spinner end, probe ran); the probe is queued behind the spinner, so it
        // is runnable from the moment the spinner starts
        let times = Rc::new(Cell::new((0u64, 0u64, 0u64)));
        let t = times.clone();
        let spinner: Boxed<()> = Box::pin(
            #[coroutine]
            move |_: u64| {
                let mut start = 0;
                let end = spin_for(spin, |s| start = s);
                t.set((start, end, 0));
                yield 0;
            },
        );
        let t = times.clone();
        let probe: Boxed<()> = Box::pin(
            #[coroutine]
            move |_: u64| {
                let (s, e, _) = t.get();
                t.set((s, e, mono_ns()));
                yield 1;
            },
        );
        round_robin(&mut [spinner, probe]);
        let (start, end, ran) = times.get();
        preempt_sample(spin, 1, &[start], &[end], start, ran)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::process_cpu_ns();
        let mut us: Vec<Boxed<u64>> = (0..units)
            .map(|_| {
                Box::pin(
                    #[coroutine]
                    move |_: u64| {
                        let mut acc = 0u64;
                        for _ in 0..CHUNKS {
                            acc ^= cpu_work(iters / CHUNKS);
                            yield acc;
                        }
                        acc
                    },
                ) as Boxed<u64>
            })
            .collect();
        let t = Instant::now();
        round_robin(&mut us);
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accumulator_sums_what_it_is_given() {
        let mut u = boxed_accumulator(10);
        assert_eq!(step(&mut u, 1).unwrap(), 11);
        assert_eq!(step(&mut u, 5).unwrap(), 16);
    }
}
