//! Row `stackless`: units are native `#[coroutine]` closures (`std::ops::Coroutine`), each boxed
//! and pinned as an executor would hold a task, driven by `resume` on the creating thread.
//!
//! Memory is reported three ways: `size_of` the coroutine (its whole saved state), the heap bytes
//! per unit counted by the [`CountingAlloc`](common::alloc_count::CountingAlloc) allocator, and the change in this
//! process's `VmRSS` / `VmSize` per unit (which includes the allocator's per-block overhead).

use super::{MARK, Style, live_units_memory, ns_since, size_of_unit};
use crate::samples::MemSample;
use crate::sys::gettid;
use crate::work::cpu_work;
use anyhow::{Result, bail};
use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
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

type Boxed<R> = Pin<Box<dyn Coroutine<u64, Yield = u64, Return = R>>>;

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
    fn memory(count: usize) -> Result<MemSample> {
        live_units_memory(count, size_of_unit(&accumulator(0)), |i| {
            let mut u = Box::pin(accumulator(i));
            black_box(u.as_mut().resume(1));
            u
        })
    }

    fn create_ns(iters: u64) -> Result<f64> {
        let t = Instant::now();
        for i in 0..iters {
            let mut u = Box::pin(accumulator(black_box(i)));
            black_box(u.as_mut().resume(1));
            drop(black_box(u));
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let mut u = Box::pin(accumulator(0));
        let t = Instant::now();
        for i in 0..iters {
            black_box(u.as_mut().resume(black_box(i)));
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let mut us = Vec::with_capacity(units);
        let mut tids = Vec::with_capacity(units);
        for _ in 0..units {
            let mut u = Box::pin(
                #[coroutine]
                || {
                    yield gettid();
                },
            );
            match u.as_mut().resume(()) {
                CoroutineState::Yielded(t) => tids.push(t),
                CoroutineState::Complete(()) => bail!("unit completed early"),
            }
            us.push(u);
        }
        for mut u in us {
            let _ = u.as_mut().resume(());
        }
        Ok((gettid(), tids))
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

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let t = Instant::now();
        let spinner: Boxed<()> = Box::pin(
            #[coroutine]
            move |_: u64| {
                let s = Instant::now();
                while s.elapsed() < spin {
                    std::hint::spin_loop();
                }
                yield 0;
            },
        );
        let probe: Boxed<()> = Box::pin(
            #[coroutine]
            |_: u64| {
                yield 1;
            },
        );
        let mut latency = 0.0;
        let mut q = vec![(false, spinner), (true, probe)];
        while !q.is_empty() {
            let mut next = Vec::new();
            for (is_probe, mut u) in q {
                let r = u.as_mut().resume(0);
                if is_probe && latency == 0.0 {
                    latency = ns_since(t);
                }
                if let CoroutineState::Yielded(_) = r {
                    next.push((is_probe, u));
                }
            }
            q = next;
        }
        Ok((1, latency))
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
