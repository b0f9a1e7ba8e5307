//! Row `os-thread`: units are `std::thread`s (default 2 MiB stacks), switched through a pair of
//! `std::sync::mpsc` channels (which park and unpark the threads through a futex).
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the threads are alive and
//! blocked, divided by their count, after a baseline of 8 threads per core (see [`OsThread::memory`]).

use super::{MARK, Style, ns_since};
use crate::procfs;
use crate::samples::MemSample;
use crate::sys::gettid;
use crate::work::cpu_work;
use anyhow::{Context, Result, anyhow};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc;
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
        let h = thread::Builder::new()
            .spawn(move || {
                slots[i].store(report(), Ordering::SeqCst);
                ready.fetch_add(1, Ordering::SeqCst);
                g.wait();
            })
            .context("spawning a thread");
        match h {
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

impl Style for OsThread {
    fn memory(count: usize) -> Result<MemSample> {
        // A new thread's first malloc gets it a glibc arena of its own (64 MiB of address space)
        // until there are 8 per core; std's thread start-up mallocs. Hold that many threads first
        // so the figure is the cost of one more thread, and report the arenas' share separately.
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let baseline = 8 * cores;
        let start = procfs::status(None)?;
        let (base_hs, _, base_gate) = spawn_held(baseline, || 0)?;
        let before = procfs::status(None)?;
        let (hs, _, gate) = spawn_held(count, || 0)?;
        let after = procfs::status(None)?;
        release(hs, &gate)?;
        release(base_hs, &base_gate)?;
        let base_vm = (before.vm_bytes as f64 - start.vm_bytes as f64) / baseline as f64;
        Ok(MemSample {
            note: Some(format!(
                "figures are for threads beyond the first {baseline} (8 per core); those first threads reserved {:.1} MiB of virtual memory each, mostly glibc malloc arenas (64 MiB each, at most 8 per core)",
                base_vm / (1024.0 * 1024.0)
            )),
            ..MemSample::per_unit(&before, &after, count)
        })
    }

    fn create_ns(iters: u64) -> Result<f64> {
        let t = Instant::now();
        for _ in 0..iters {
            let h = thread::Builder::new()
                .spawn(|| std::hint::black_box(1u64))
                .context("spawning a thread")?;
            join(h)?;
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let (to_tx, to_rx) = mpsc::channel::<u64>();
        let (back_tx, back_rx) = mpsc::channel::<u64>();
        let echo = thread::Builder::new()
            .spawn(move || {
                while let Ok(v) = to_rx.recv() {
                    if back_tx.send(v).is_err() {
                        break;
                    }
                }
            })
            .context("spawning a thread")?;
        let t = Instant::now();
        for i in 0..iters {
            to_tx.send(i).context("ping")?;
            back_rx.recv().context("pong")?;
        }
        let ns = ns_since(t) / iters as f64;
        drop(to_tx);
        join(echo)?;
        Ok(ns)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let (hs, tids, gate) = spawn_held(units, gettid)?;
        release(hs, &gate)?;
        Ok((gettid(), tids))
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        let h = thread::Builder::new()
            .spawn(move || MARK.store(written, Ordering::SeqCst))
            .context("spawning a thread")?;
        join(h)?;
        Ok(MARK.load(Ordering::SeqCst))
    }

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let spinners = thread::available_parallelism().map_or(1, |n| n.get());
        let started = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for _ in 0..spinners {
            let s = started.clone();
            hs.push(
                thread::Builder::new()
                    .spawn(move || {
                        let t = Instant::now();
                        s.fetch_add(1, Ordering::SeqCst);
                        while t.elapsed() < spin {
                            std::hint::spin_loop();
                        }
                    })
                    .context("spawning a thread")?,
            );
        }
        let wait_start = Instant::now();
        while started.load(Ordering::SeqCst) < spinners && wait_start.elapsed() < spin / 2 {
            thread::yield_now();
        }
        let (tx, rx) = mpsc::channel();
        let t = Instant::now();
        let probe = thread::Builder::new()
            .spawn(move || {
                let _ = tx.send(());
            })
            .context("spawning a thread")?;
        rx.recv().context("probe")?;
        let latency = ns_since(t);
        join(probe)?;
        for h in hs {
            join(h)?;
        }
        Ok((spinners as u64, latency))
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::process_cpu_ns();
        let t = Instant::now();
        let hs = (0..units)
            .map(|_| {
                thread::Builder::new()
                    .spawn(move || cpu_work(iters))
                    .context("spawning a thread")
            })
            .collect::<Result<Vec<_>>>()?;
        for h in hs {
            join(h)?;
        }
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}
