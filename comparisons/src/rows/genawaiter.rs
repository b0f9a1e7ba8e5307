//! Row `stackless-genawaiter`: units are `genawaiter::rc::Gen` generators (an `async` block driven
//! as a generator, stable-Rust semantics), driven by `resume_with` on the creating thread.
//!
//! Memory is reported as `size_of` the `Gen` handle, the heap bytes per unit counted by the
//! [`CountingAlloc`](common::alloc_count::CountingAlloc) allocator (the boxed future and the shared airlock), and the
//! change in this process's `VmRSS` / `VmSize` per unit.

use super::{MARK, Style, live_units_memory, ns_since, size_of_unit};
use crate::samples::MemSample;
use crate::sys::gettid;
use crate::work::cpu_work;
use anyhow::{Result, bail};
use genawaiter::GeneratorState;
use genawaiter::rc::{Co, Gen};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Chunks a CPU-bound unit splits its work into, suspending between them.
pub const CHUNKS: u64 = 16;

/// The genawaiter row.
#[derive(Debug)]
pub struct Genawaiter;

/// The measured unit: keeps a running sum across suspensions, yielding it each time.
pub fn accumulator(seed: u64) -> Gen<u64, u64, impl Future<Output = ()>> {
    Gen::new(move |co: Co<u64, u64>| async move {
        let mut acc = seed;
        loop {
            let x = co.yield_(acc).await;
            acc = acc.wrapping_add(x);
        }
    })
}

impl Style for Genawaiter {
    fn memory(count: usize) -> Result<MemSample> {
        live_units_memory(count, size_of_unit(&accumulator(0)), |i| {
            let mut u = accumulator(i);
            black_box(u.resume_with(1));
            u
        })
    }

    fn create_ns(iters: u64) -> Result<f64> {
        let t = Instant::now();
        for i in 0..iters {
            let mut u = accumulator(black_box(i));
            black_box(u.resume_with(1));
            drop(black_box(u));
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let mut u = accumulator(0);
        let t = Instant::now();
        for i in 0..iters {
            black_box(u.resume_with(black_box(i)));
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let mut us = Vec::with_capacity(units);
        let mut tids = Vec::with_capacity(units);
        for _ in 0..units {
            let mut u = Gen::new(|co: Co<i64, ()>| async move {
                co.yield_(gettid()).await;
            });
            match u.resume_with(()) {
                GeneratorState::Yielded(t) => tids.push(t),
                GeneratorState::Complete(()) => bail!("unit completed early"),
            }
            us.push(u);
        }
        for mut u in us {
            let _ = u.resume_with(());
        }
        Ok((gettid(), tids))
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

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let t = Instant::now();
        let mut spinner = Gen::new(move |co: Co<(), ()>| async move {
            let s = Instant::now();
            while s.elapsed() < spin {
                std::hint::spin_loop();
            }
            co.yield_(()).await;
        });
        let mut probe = Gen::new(|co: Co<(), ()>| async move {
            co.yield_(()).await;
        });
        // round-robin: the spinner was made runnable first, then the probe
        let _ = spinner.resume_with(());
        let _ = probe.resume_with(());
        let latency = ns_since(t);
        let _ = spinner.resume_with(());
        let _ = probe.resume_with(());
        Ok((1, latency))
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
