//! Row `stackless-genawaiter`: units are `genawaiter::rc::Gen` generators (an `async` block driven
//! as a generator, stable-Rust semantics), driven by `resume_with` on the creating thread through
//! a handle behind `black_box`, each output fed into the next input.
//!
//! Memory is reported as the object (`size_of` the `Gen` handle plus the heap per unit counted by
//! the [`CountingAlloc`](common::alloc_count::CountingAlloc) allocator: the boxed future and the
//! shared airlock), the change in this process's `VmRSS` / `VmSize` per unit, and the kernel's.

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
use genawaiter::GeneratorState;
use genawaiter::rc::{Co, Gen};
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Chunks a CPU-bound unit splits its work into, suspending between them.
pub const CHUNKS: u64 = 16;

/// The genawaiter row.
#[derive(Debug)]
pub struct Genawaiter;

/// The measured unit: keeps a running sum across suspensions, yielding it each time (genawaiter
/// drops the first resume argument: the first resume only starts it).
pub fn accumulator(seed: u64) -> Gen<u64, u64, impl Future<Output = ()>> {
    Gen::new(move |co: Co<u64, u64>| async move {
        let mut acc = seed;
        loop {
            let x = co.yield_(acc).await;
            acc = acc.wrapping_add(x);
        }
    })
}

/// The unit of the creation figures: yields `seed + 1` at its first suspension, then returns what
/// it is resumed with.
pub fn once(seed: u64) -> Gen<u64, u64, impl Future<Output = u64>> {
    Gen::new(move |co: Co<u64, u64>| async move { co.yield_(seed.wrapping_add(1)).await })
}

/// A unit of the scaling ring: started once (genawaiter drops the first resume argument), then
/// takes each token as unit `place` of `n` and yields the next one, until [`STOP`], when it
/// returns its counts.
fn ring_unit(place: u64, n: u64) -> Gen<u64, u64, impl Future<Output = UnitCount>> {
    Gen::new(move |co: Co<u64, u64>| async move {
        let mut c = UnitCount::default();
        let mut t = co.yield_(0).await;
        loop {
            if t == STOP {
                return c;
            }
            t = co.yield_(c.take(t, place, n)).await;
        }
    })
}

/// Resumes `g` with `x` and returns what it yields.
fn step<F: Future<Output = ()>>(g: &mut Gen<u64, u64, F>, x: u64) -> Result<u64> {
    match g.resume_with(x) {
        GeneratorState::Yielded(y) => Ok(y),
        GeneratorState::Complete(()) => bail!("the accumulator completed"),
    }
}

impl Style for Genawaiter {
    fn scheduler() -> Scheduler {
        Scheduler::CallerThread
    }

    fn memory(count: usize) -> Result<MemSample> {
        live_units_memory(count, Some(size_of_unit(&accumulator(0))), |i| {
            let mut u = accumulator(i);
            black_box(step(&mut u, 1)?);
            Ok(u)
        })
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        time_chained(plan, |x| {
            let mut u = once(x);
            let u = black_box(&mut u);
            // to the first suspension (genawaiter drops the first resume argument: it only
            // starts the generator), then once more so that it returns
            let y = match u.resume_with(0) {
                GeneratorState::Yielded(y) => y,
                GeneratorState::Complete(_) => bail!("the unit completed before suspending"),
            };
            match u.resume_with(y) {
                GeneratorState::Complete(r) => Ok(r),
                GeneratorState::Yielded(_) => bail!("the unit suspended a second time"),
            }
        })
    }

    fn switch(plan: &Plan, _ends: Ends) -> Result<TimingSample> {
        let mut u = accumulator(0);
        let h = black_box(&mut u);
        // the first resume only starts the generator
        step(h, 0)?;
        time_chained(plan, |x| step(h, x))
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        driven_ring(
            plan,
            |place| {
                let mut u = ring_unit(place, plan.n);
                // started: suspended at its first yield_, waiting for a token
                u.resume_with(0);
                Ok(u)
            },
            |u, t| match u.resume_with(t) {
                GeneratorState::Yielded(y) => Resumed::Yielded(y),
                GeneratorState::Complete(c) => Resumed::Returned(c),
            },
        )
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        managed_on_caller_thread(
            units,
            || {
                let mut u = Gen::new(|co: Co<i64, ()>| async move {
                    co.yield_(gettid()).await;
                });
                match u.resume_with(()) {
                    GeneratorState::Yielded(t) => Ok((u, t)),
                    GeneratorState::Complete(()) => bail!("unit completed early"),
                }
            },
            |mut u| {
                let _ = u.resume_with(());
            },
        )
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        let mut u = Gen::new(move |co: Co<(), ()>| async move {
            MARK.store(written, Ordering::SeqCst);
            co.yield_(()).await;
        });
        let _ = u.resume_with(());
        let seen = MARK.load(Ordering::SeqCst);
        let _ = u.resume_with(());
        Ok(seen)
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        // (spinner start, spinner end, probe ran); the probe is queued behind the spinner
        let times = Rc::new(Cell::new((0u64, 0u64, 0u64)));
        let t = times.clone();
        let mut spinner = Gen::new(move |co: Co<(), ()>| async move {
            let mut start = 0;
            let end = spin_for(spin, |s| start = s);
            t.set((start, end, 0));
            co.yield_(()).await;
        });
        let t = times.clone();
        let mut probe = Gen::new(move |co: Co<(), ()>| async move {
            let (s, e, _) = t.get();
            t.set((s, e, mono_ns()));
            co.yield_(()).await;
        });
        // round-robin, the spinner first
        let _ = spinner.resume_with(());
        let _ = probe.resume_with(());
        let _ = spinner.resume_with(());
        let _ = probe.resume_with(());
        let (start, end, ran) = times.get();
        preempt_sample(spin, 1, &[start], &[end], start, ran)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::process_cpu_ns();
        let mut us: Vec<_> = (0..units)
            .map(|_| {
                Gen::new(move |co: Co<u64, ()>| async move {
                    let mut acc = 0u64;
                    for _ in 0..CHUNKS {
                        acc ^= cpu_work(iters / CHUNKS);
                        co.yield_(acc).await;
                    }
                })
            })
            .collect();
        let t = Instant::now();
        let mut done = vec![false; us.len()];
        while done.iter().any(|d| !d) {
            for (u, d) in us.iter_mut().zip(done.iter_mut()) {
                if !*d && matches!(u.resume_with(()), GeneratorState::Complete(())) {
                    *d = true;
                }
            }
        }
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}
