//! Row `green-thread`: units are `may` coroutines, an M:N runtime (stackful coroutines multiplexed
//! on worker threads, one per core by default, default 32 KiB stacks, workers pinned to cores),
//! switched through a pair of `may::sync::mpsc` channels. Suspended units wait in
//! `may::coroutine::park`.
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the coroutines are parked,
//! divided by their count, measured in a fresh process after holding as many coroutines as `may`'s
//! pool of pre-allocated coroutines (1000), so every measured coroutine is a new one.
//!
//! Placement: `may` runs a woken coroutine on the worker that woke it, so the two ends of a round
//! trip cannot be kept on two CPUs. Both ends on one CPU is a runtime of one worker in a fresh
//! process pinned to one CPU ([`Style::fresh_runtime`]); unpinned is the default runtime.

use super::{
    HeldBy, MARK, MemReading, Style, Wake, create_parked, managed_sample, ns_since, parked_ring,
    preempt_threaded, tasks_now,
};
use crate::placement::{CpuCheck, Ends, Placement};
use crate::ring::{RingPlan, RingSample};
use crate::samples::{ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::gettid;
use crate::timing::{Plan, TimingSample, time_ops};
use crate::work::cpu_work;
use anyhow::{Context, Result, anyhow};
use common::affinity;
use may::coroutine::{Builder, JoinHandle};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The green thread row.
#[derive(Debug)]
pub struct GreenThread;

/// Stack of the coroutines that drive a measurement (they time, record and format errors).
const DRIVER_STACK: usize = 256 * 1024;

/// Spawns a `may` coroutine, on worker `worker` if given, with a stack of `stack` bytes if given.
fn spawn_with<F, T>(worker: Option<usize>, stack: Option<usize>, f: F) -> Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut b = Builder::new();
    if let Some(w) = worker {
        b = b.id(w);
    }
    if let Some(s) = stack {
        b = b.stack_size(s);
    }
    // SAFETY: `may` marks spawning unsafe because a coroutine must not overflow its stack nor
    // hold thread-local references across a switch; every body spawned here only sends on
    // channels, parks, spins, reads the clock or runs `cpu_work` (the drivers time and record
    // on a 256 KiB stack), and holds no thread-local storage across suspension points.
    unsafe { b.spawn(f) }.context("spawning a may coroutine")
}

/// Spawns a `may` coroutine with the runtime's defaults.
fn spawn<F, T>(f: F) -> Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_with(None, None, f)
}

fn join<T>(h: JoinHandle<T>) -> Result<T> {
    h.join().map_err(|_| anyhow!("a may coroutine panicked"))
}

/// Handles of held units (a slot per unit, filled as they are spawned).
type Held = Vec<Option<JoinHandle<()>>>;

/// Spawns `count` coroutines that each send `report()` and then park until released.
fn spawn_held(count: usize, report: fn() -> i64) -> Result<(Held, Vec<i64>, Arc<AtomicBool>)> {
    let go = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let mut hs: Held = (0..count).map(|_| None).collect();
    for slot in hs.iter_mut() {
        let (g, tx) = (go.clone(), tx.clone());
        *slot = Some(spawn(move || {
            let _ = tx.send(report());
            while !g.load(Ordering::SeqCst) {
                may::coroutine::park();
            }
        })?);
    }
    let mut reports = Vec::with_capacity(count);
    for _ in 0..count {
        reports.push(rx.recv().context("coroutine report")?);
    }
    Ok((hs, reports, go))
}

fn release(hs: Held, go: &AtomicBool) -> Result<()> {
    go.store(true, Ordering::SeqCst);
    for h in hs.iter().flatten() {
        h.coroutine().unpark();
    }
    for h in hs.into_iter().flatten() {
        join(h)?;
    }
    Ok(())
}

/// From inside a may coroutine, one creation run to its end: see [`create_parked`].
fn create_run_finish(x: u64) -> Result<u64> {
    create_parked(
        x,
        may::coroutine::current(),
        may::coroutine::park,
        |body| {
            let h = spawn(body)?;
            let waker = h.coroutine().clone();
            Ok((h, waker))
        },
        join,
    )
}

impl Wake for may::coroutine::Coroutine {
    fn wake(&self) {
        self.unpark();
    }
}

/// The scaling ring, run from inside a may coroutine (so that the measuring end parks as a
/// coroutine, not as a blocked worker thread).
fn ring_in_coroutine(plan: &RingPlan) -> Result<RingSample> {
    parked_ring(
        plan,
        may::coroutine::current(),
        may::coroutine::park,
        |slots, place, n| {
            let h = spawn(move || slots.unit(place, n, may::coroutine::park))?;
            let waker = h.coroutine().clone();
            Ok((h, waker))
        },
        join,
    )
}

/// Number of `may` worker threads.
pub fn workers() -> usize {
    may::config().get_workers()
}

/// Starts the runtime (its worker threads) if it is not running yet.
fn start_runtime() -> Result<()> {
    join(spawn(|| ())?)
}

impl Style for GreenThread {
    fn scheduler() -> Scheduler {
        Scheduler::Runtime
    }

    fn workers() -> usize {
        workers()
    }

    fn memory(count: usize) -> Result<MemSample> {
        // start the runtime first so its worker threads are not counted as unit memory
        start_runtime()?;
        // may keeps a pool of ready coroutines (1000 by default) allocated at start-up; hold that
        // many first so the measured ones are all new, not prepaid by the pool
        let (pool_hs, _, pool_go) = spawn_held(may::config().get_pool_capacity(), || 0)?;
        let before = MemReading::now()?;
        let (hs, _, go) = spawn_held(count, || 0)?;
        let during = MemReading::now();
        release(hs, &go)?;
        release(pool_hs, &pool_go)?;
        Ok(before.per_unit(
            &during?,
            count,
            Some(std::mem::size_of::<JoinHandle<()>>()),
            HeldBy::AnyThread,
        ))
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        // spawn and join from inside a coroutine, so joining suspends a coroutine rather than
        // blocking an OS thread
        let plan = *plan;
        let driver = spawn_with(None, Some(DRIVER_STACK), move || {
            super::time_chained(&plan, create_run_finish).map_err(|e| format!("{e:#}"))
        })?;
        join(driver)?.map_err(|e| anyhow!(e))
    }

    fn switch(plan: &Plan, _ends: Ends) -> Result<TimingSample> {
        let (to_tx, to_rx) = may::sync::mpsc::channel::<u32>();
        let (back_tx, back_rx) = may::sync::mpsc::channel::<(u32, Option<usize>)>();
        let echo = spawn(move || {
            while let Ok(v) = to_rx.recv() {
                if back_tx
                    .send((v.wrapping_add(1), affinity::current_cpu()))
                    .is_err()
                {
                    break;
                }
            }
        })?;
        let plan = *plan;
        let pinger = spawn_with(None, Some(DRIVER_STACK), move || {
            let mut x = 0u32;
            let mut check = CpuCheck::default();
            let timed = time_ops(&plan, |n| {
                for _ in 0..n {
                    to_tx.send(x).map_err(|e| anyhow!("ping: {e}"))?;
                    let (y, there) = back_rx.recv().map_err(|e| anyhow!("pong: {e}"))?;
                    check.record(affinity::current_cpu(), there.map(|c| c as u32));
                    x = y;
                }
                Ok(())
            });
            drop(to_tx);
            timed
                .map(|t| TimingSample {
                    ends_on_different_cpus: check.share_apart(),
                    ..t
                })
                .map_err(|e| format!("{e:#}"))
        })?;
        let timed = join(pinger)?.map_err(|e| anyhow!(e));
        join(echo)?;
        timed
    }

    fn fresh_runtime(placement: Placement) -> Option<usize> {
        (placement == Placement::SameCpu).then_some(1)
    }

    fn configure_runtime(workers: usize) {
        may::config().set_workers(workers);
    }

    fn unplaceable(placement: Placement) -> Option<&'static str> {
        (placement == Placement::CrossCpu).then_some(
            "may runs a woken coroutine on the worker that woke it, so the two ends of a round trip cannot be kept on two CPUs (how often they were apart unpinned is in switch_unpinned_ns)",
        )
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        // start the runtime first, so its worker threads are no part of the ring's figures
        start_runtime()?;
        let plan = *plan;
        let driver = spawn_with(None, Some(DRIVER_STACK), move || {
            ring_in_coroutine(&plan).map_err(|e| format!("{e:#}"))
        })?;
        join(driver)?.map_err(|e| anyhow!(e))
    }

    fn ring_workers() -> Option<usize> {
        // one CPU, one worker: as for the round trips on one CPU
        Some(1)
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        start_runtime()?;
        let before = tasks_now()?;
        let (hs, tids, go) = spawn_held(units, gettid)?;
        let during = tasks_now();
        release(hs, &go)?;
        Ok(managed_sample(&before, &during?, gettid(), tids))
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        join(spawn(move || MARK.store(written, Ordering::SeqCst))?)?;
        Ok(MARK.load(Ordering::SeqCst))
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        start_runtime()?;
        // one spinner on each worker; the probe wherever may puts it
        preempt_threaded(
            spin,
            workers(),
            |worker, body| spawn_with(worker, None, body),
            join,
        )
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        start_runtime()?;
        let cpu = crate::work::process_cpu_ns();
        let t = Instant::now();
        let hs = (0..units)
            .map(|_| spawn(move || cpu_work(iters)))
            .collect::<Result<Vec<_>>>()?;
        for h in hs {
            join(h)?;
        }
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}
