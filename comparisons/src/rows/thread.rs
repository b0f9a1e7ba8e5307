//! Row `os-thread`: units are `std::thread`s (default 2 MiB stacks). Round trips go through the
//! pipe ping-pong of [`common::pingpong`], the same code the `process` row and the `switch`
//! benchmark's `thread` use, so thread and process differ only in the address space.
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the threads are alive and
//! blocked, divided by their count, after a baseline of 8 threads per core (see [`OsThread::memory`]),
//! with the kernel's own memory for them (`KernelStack`, `PageTables`, `SUnreclaim`) beside it.

use super::{
    HeldBy, MARK, MemReading, Style, cores, create_parked, managed_sample, ns_since, parked_ring,
    preempt_threaded, tasks_now,
};
use crate::placement::{CpuCheck, Ends};
use crate::ring::{RingPlan, RingSample};
use crate::samples::{ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::gettid;
use crate::timing::{Plan, TimingSample, time_ops};
use crate::work::cpu_work;
use anyhow::{Context, Result, anyhow, bail};
use common::affinity;
use common::pingpong::ThreadEcho;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The OS thread row.
#[derive(Debug)]
pub struct OsThread;

/// A gate threads wait at until it is opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn wait(&self) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        while !*open {
            match self.cv.wait(open) {
                Ok(g) => open = g,
                Err(_) => return,
            }
        }
    }

    fn open(&self) {
        if let Ok(mut open) = self.open.lock() {
            *open = true;
        }
        self.cv.notify_all();
    }
}

fn join<T>(h: JoinHandle<T>) -> Result<T> {
    h.join().map_err(|_| anyhow!("a measured thread panicked"))
}

fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<JoinHandle<T>> {
    thread::Builder::new().spawn(f).context("spawning a thread")
}

/// Handles of held units (a slot per unit, filled as they are spawned).
type Held = Vec<Option<JoinHandle<()>>>;

/// Spawns `count` threads that each store `report()` in their slot and then wait at a gate;
/// returns them, the reports and the gate. The threads themselves do not allocate (no channel
/// send), so no thread gets a malloc arena of its own during the measurement.
fn spawn_held(count: usize, report: fn() -> i64) -> Result<(Held, Vec<i64>, Arc<Gate>)> {
    let gate = Arc::new(Gate::default());
    let slots: Arc<Vec<AtomicI64>> = Arc::new((0..count).map(|_| AtomicI64::new(0)).collect());
    let ready = Arc::new(AtomicUsize::new(0));
    let mut hs: Held = (0..count).map(|_| None).collect();
    for (i, slot) in hs.iter_mut().enumerate() {
        let (g, slots, ready) = (gate.clone(), slots.clone(), ready.clone());
        match spawn(move || {
            slots[i].store(report(), Ordering::SeqCst);
            ready.fetch_add(1, Ordering::SeqCst);
            g.wait();
        }) {
            Ok(h) => *slot = Some(h),
            Err(e) => {
                release(hs, &gate)?;
                return Err(e);
            }
        }
    }
    while ready.load(Ordering::SeqCst) < count {
        thread::sleep(Duration::from_micros(200));
    }
    let reports = slots.iter().map(|s| s.load(Ordering::SeqCst)).collect();
    Ok((hs, reports, gate))
}

fn release(hs: Held, gate: &Gate) -> Result<()> {
    gate.open();
    for h in hs.into_iter().flatten() {
        join(h)?;
    }
    Ok(())
}

/// One creation run to its end: see [`create_parked`].
fn create_run_finish(x: u64) -> Result<u64> {
    create_parked(
        x,
        thread::current(),
        thread::park,
        |body| {
            let h = spawn(body)?;
            let waker = h.thread().clone();
            Ok((h, waker))
        },
        join,
    )
}

/// Round trips with an echo thread on `ends.other`, each reply fed into the next request.
pub fn thread_round_trips(plan: &Plan, ends: Ends) -> Result<TimingSample> {
    let mut echo = ThreadEcho::spawn(ends.other).context("spawning the echo thread")?;
    let mut x = 0u32;
    let mut check = CpuCheck::default();
    let timed = time_ops(plan, |n| {
        for _ in 0..n {
            let r = echo
                .round_trip(x)
                .context("round trip with the echo thread")?;
            check.record(affinity::current_cpu(), r.echo_cpu);
            x = r.value;
        }
        Ok(())
    });
    if !echo.finish() {
        bail!(
            "the echo thread failed (could it pin itself to CPU {:?}?)",
            ends.other
        );
    }
    Ok(TimingSample {
        ends_on_different_cpus: check.share_apart(),
        ..timed?
    })
}

impl Style for OsThread {
    fn scheduler() -> Scheduler {
        Scheduler::Kernel
    }

    fn memory(count: usize) -> Result<MemSample> {
        // A new thread's first malloc gets it a glibc arena of its own (64 MiB of address space)
        // until there are 8 per core; std's thread start-up mallocs. Hold that many threads first
        // so the figure is the cost of one more thread, and report the arenas' share separately.
        let baseline = 8 * cores();
        let start = crate::procfs::status(None)?;
        let (base_hs, _, base_gate) = spawn_held(baseline, || 0)?;
        let before = MemReading::now()?;
        let (hs, _, gate) = spawn_held(count, || 0)?;
        let during = MemReading::now();
        release(hs, &gate)?;
        release(base_hs, &base_gate)?;
        let base_vm = (before.status.vm_bytes as f64 - start.vm_bytes as f64) / baseline as f64;
        Ok(MemSample {
            note: Some(format!(
                "figures are for threads beyond the first {baseline} (8 per core); those first threads reserved {:.1} MiB of virtual memory each, mostly glibc malloc arenas (64 MiB each, at most 8 per core)",
                base_vm / (1024.0 * 1024.0)
            )),
            ..before.per_unit(
                &during?,
                count,
                Some(std::mem::size_of::<JoinHandle<()>>()),
                HeldBy::AnyThread,
            )
        })
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        super::time_chained(plan, create_run_finish)
    }

    fn switch(plan: &Plan, ends: Ends) -> Result<TimingSample> {
        thread_round_trips(plan, ends)
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        parked_ring(
            plan,
            thread::current(),
            thread::park,
            |slots, place, n| {
                let h = spawn(move || slots.unit(place, n, thread::park))?;
                let waker = h.thread().clone();
                Ok((h, waker))
            },
            join,
        )
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        let before = tasks_now()?;
        let (hs, tids, gate) = spawn_held(units, gettid)?;
        let during = tasks_now();
        release(hs, &gate)?;
        Ok(managed_sample(&before, &during?, gettid(), tids))
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        join(spawn(move || MARK.store(written, Ordering::SeqCst))?)?;
        Ok(MARK.load(Ordering::SeqCst))
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        preempt_threaded(spin, cores(), |_, body| spawn(body), join)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
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
