//! Row `green-thread`: units are `may` coroutines, an M:N runtime (stackful coroutines multiplexed
//! on one worker thread per core, default 32 KiB stacks, workers pinned to cores), switched through a
//! pair of `may::sync::mpsc` channels. Suspended units wait in `may::coroutine::park`.
//!
//! Memory is the change in this process's `VmRSS` and `VmSize` while the coroutines are parked,
//! divided by their count, measured in a fresh process after holding as many coroutines as `may`'s
//! pool of pre-allocated coroutines (1000), so every measured coroutine is a new one.

use super::{MARK, Style, ns_since};
use crate::procfs;
use crate::samples::MemSample;
use crate::sys::gettid;
use crate::work::cpu_work;
use anyhow::{Context, Result, anyhow};
use may::coroutine::JoinHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The green thread row.
#[derive(Debug)]
pub struct GreenThread;

/// Spawns a `may` coroutine.
fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: `may` marks spawning unsafe because a coroutine must not overflow its stack nor
    // hold thread-local references across a switch; every body spawned here only sends on
    // channels, parks, spins or runs `cpu_work`, using a few hundred bytes of stack and no
    // thread-local storage across suspension points.
    unsafe { may::coroutine::spawn(f) }
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
        }));
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

/// Number of `may` worker threads.
pub fn workers() -> usize {
    may::config().get_workers()
}

impl Style for GreenThread {
    fn memory(count: usize) -> Result<MemSample> {
        // start the runtime first so its worker threads are not counted as unit memory
        join(spawn(|| ()))?;
        // may keeps a pool of ready coroutines (1000 by default) allocated at start-up; hold that
        // many first so the measured ones are all new, not prepaid by the pool
        let (pool_hs, _, pool_go) = spawn_held(may::config().get_pool_capacity(), || 0)?;
        let before = procfs::status(None)?;
        let (hs, _, go) = spawn_held(count, || 0)?;
        let after = procfs::status(None)?;
        release(hs, &go)?;
        release(pool_hs, &pool_go)?;
        Ok(MemSample::per_unit(&before, &after, count))
    }

    fn create_ns(iters: u64) -> Result<f64> {
        // spawn and join from inside a coroutine, so joining suspends a coroutine rather than
        // blocking an OS thread
        let driver = spawn(move || -> Result<f64, String> {
            let t = Instant::now();
            for _ in 0..iters {
                spawn(|| std::hint::black_box(1u64))
                    .join()
                    .map_err(|_| "a may coroutine panicked".to_string())?;
            }
            Ok(ns_since(t) / iters as f64)
        });
        join(driver)?.map_err(|e| anyhow!(e))
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let (to_tx, to_rx) = may::sync::mpsc::channel::<u64>();
        let (back_tx, back_rx) = may::sync::mpsc::channel::<u64>();
        let echo = spawn(move || {
            while let Ok(v) = to_rx.recv() {
                if back_tx.send(v).is_err() {
                    break;
                }
            }
        });
        let pinger = spawn(move || -> Result<f64, String> {
            let t = Instant::now();
            for i in 0..iters {
                to_tx.send(i).map_err(|e| e.to_string())?;
                back_rx.recv().map_err(|e| e.to_string())?;
            }
            Ok(ns_since(t) / iters as f64)
        });
        let ns = join(pinger)?.map_err(|e| anyhow!("channel: {e}"))?;
        join(echo)?;
        Ok(ns)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let (hs, tids, go) = spawn_held(units, gettid)?;
        release(hs, &go)?;
        Ok((gettid(), tids))
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        join(spawn(move || MARK.store(written, Ordering::SeqCst)))?;
        Ok(MARK.load(Ordering::SeqCst))
    }

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let spinners = workers();
        let started = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for _ in 0..spinners {
            let s = started.clone();
            hs.push(spawn(move || {
                let t = Instant::now();
                s.fetch_add(1, Ordering::SeqCst);
                while t.elapsed() < spin {
                    std::hint::spin_loop();
                }
            }));
        }
        let wait_start = Instant::now();
        while started.load(Ordering::SeqCst) < spinners && wait_start.elapsed() < spin / 2 {
            std::thread::yield_now();
        }
        let (tx, rx) = mpsc::channel();
        let t = Instant::now();
        let probe = spawn(move || {
            let _ = tx.send(());
        });
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
        let hs: Vec<_> = (0..units).map(|_| spawn(move || cpu_work(iters))).collect();
        for h in hs {
            join(h)?;
        }
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}
