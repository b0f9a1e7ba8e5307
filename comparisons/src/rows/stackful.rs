//! Row `stackful`: units are `corosensei` coroutines, each on its own mmap'd stack of
//! [`STACK_BYTES`] (plus a guard page), driven by `resume` / `suspend` on the creating thread.
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the coroutines are suspended,
//! divided by their count. Destroying a suspended coroutine unwinds its stack, which the creation
//! figure includes.

use super::{MARK, Style, ns_since};
use crate::procfs;
use crate::samples::MemSample;
use crate::sys::gettid;
use crate::work::cpu_work;
use anyhow::{Context, Result, bail};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::hint::black_box;
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

/// The measured unit: keeps a running sum across suspensions, yielding it each time.
fn accumulator(seed: u64) -> Result<Unit> {
    Ok(Coroutine::with_stack(
        stack()?,
        move |y: &Yielder<u64, u64>, mut x: u64| {
            let mut acc = seed;
            loop {
                acc = acc.wrapping_add(x);
                x = y.suspend(acc);
            }
        },
    ))
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
    fn memory(count: usize) -> Result<MemSample> {
        let mut units: Vec<Option<Unit>> = (0..count).map(|_| None).collect();
        let before = procfs::status(None)?;
        for (i, slot) in units.iter_mut().enumerate() {
            let mut u = accumulator(i as u64)?;
            black_box(u.resume(1));
            *slot = Some(u);
        }
        let after = procfs::status(None)?;
        drop(units);
        Ok(MemSample::per_unit(&before, &after, count))
    }

    fn create_ns(iters: u64) -> Result<f64> {
        let t = Instant::now();
        for i in 0..iters {
            let mut u = accumulator(i)?;
            black_box(u.resume(1));
            drop(u);
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let mut u = accumulator(0)?;
        let t = Instant::now();
        for i in 0..iters {
            black_box(u.resume(black_box(i)));
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let mut us = Vec::with_capacity(units);
        let mut tids = Vec::with_capacity(units);
        for _ in 0..units {
            let mut u: Coroutine<(), i64, (), DefaultStack> =
                Coroutine::with_stack(stack()?, |y: &Yielder<(), i64>, ()| {
                    y.suspend(gettid());
                });
            match u.resume(()) {
                CoroutineResult::Yield(t) => tids.push(t),
                CoroutineResult::Return(()) => bail!("unit returned early"),
            }
            us.push(u);
        }
        for mut u in us {
            let _ = u.resume(());
        }
        Ok((gettid(), tids))
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

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let t = Instant::now();
        let spinner: Coroutine<(), (), (), DefaultStack> =
            Coroutine::with_stack(stack()?, move |_: &Yielder<(), ()>, ()| {
                let s = Instant::now();
                while s.elapsed() < spin {
                    std::hint::spin_loop();
                }
            });
        let probe: Coroutine<(), (), (), DefaultStack> =
            Coroutine::with_stack(stack()?, |_: &Yielder<(), ()>, ()| {});
        let mut latency = 0.0;
        let mut q = vec![(false, spinner), (true, probe)];
        while !q.is_empty() {
            let mut next = Vec::new();
            for (is_probe, mut u) in q {
                let r = u.resume(());
                if is_probe && latency == 0.0 {
                    latency = ns_since(t);
                }
                if let CoroutineResult::Yield(()) = r {
                    next.push((is_probe, u));
                }
            }
            q = next;
        }
        Ok((1, latency))
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
