//! Row `process`: units are `fork`ed children, switched through a pair of pipes.
//!
//! A forked child shares every page with its parent until one of them writes (copy on write), so
//! the child's RSS counts the whole parent and overstates its cost. The memory figure therefore
//! uses PSS, which splits each shared page among the processes that map it: the sum of the PSS of
//! the parent and all children, minus the parent's PSS before forking, is exactly the memory the
//! children added (their private pages plus the parent's own copy-on-write copies), to which we add
//! each child's page tables (`VmPTE`). The kernel's per-task structures (task struct, 16 KiB kernel
//! stack) are not visible per process and are not counted, for threads either.
//! Children make only async-signal-safe calls (read, write, `_exit`).

use super::{MARK, Style, ns_since};
use crate::procfs;
use crate::samples::MemSample;
use crate::sys::{
    Pipe, close_in_child, fork_with, gettid, read_exact, read_exact_raw, wait, write_all,
    write_all_raw,
};
use crate::work::cpu_work;
use anyhow::Result;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The process row.
#[derive(Debug)]
pub struct Process;

/// Forks `count` children that each report ready and block reading `hold` until it is closed;
/// `report` computes what the child writes to the ready pipe (8 bytes).
fn fork_held(count: usize, report: fn() -> i64) -> Result<(Vec<i32>, Pipe, Pipe)> {
    let ready = Pipe::new()?;
    let hold = Pipe::new()?;
    let mut pids = Vec::with_capacity(count);
    let (rw, hr, hw) = (ready.writer()?, hold.reader(), hold.writer()?);
    for _ in 0..count {
        // SAFETY: the child only closes, writes and reads pipes and calls `report` (`gettid` or a
        // constant): async-signal-safe calls only.
        let pid = unsafe {
            fork_with(move || {
                // SAFETY: the child's inherited copy of hold's write end is closed, so that the
                // parent closing its copy gives this child end of file; it is not used again.
                close_in_child(hw);
                if !write_all_raw(rw, &report().to_ne_bytes()) {
                    return 1;
                }
                let mut b = [0u8; 1];
                read_exact_raw(hr, &mut b);
                0
            })
        };
        match pid {
            Ok(p) => pids.push(p),
            Err(e) => {
                release(&pids, hold)?;
                return Err(e);
            }
        }
    }
    Ok((pids, ready, hold))
}

fn release(pids: &[i32], mut hold: Pipe) -> Result<()> {
    hold.close_write();
    for &p in pids {
        wait(p)?;
    }
    Ok(())
}

fn zero() -> i64 {
    0
}

impl Style for Process {
    fn memory(count: usize) -> Result<MemSample> {
        let before = procfs::pss(None)?;
        let (pids, ready, hold) = fork_held(count, zero)?;
        let measured = (|| -> Result<(f64, Vec<f64>)> {
            let mut buf = [0u8; 8];
            for _ in 0..count {
                read_exact(ready.reader(), &mut buf)?;
            }
            let mut total = procfs::pss(None)? as f64 - before as f64;
            let mut vm = Vec::with_capacity(count);
            for &p in &pids {
                let st = procfs::status(Some(p))?;
                total += procfs::pss(Some(p))? as f64 + st.pte_bytes as f64;
                vm.push(st.vm_bytes as f64);
            }
            Ok((total, vm))
        })();
        release(&pids, hold)?;
        let (total, vm) = measured?;
        Ok(MemSample {
            memory_bytes: total / count as f64,
            virtual_bytes: crate::stats::median(&vm).unwrap_or(0.0),
            heap_bytes: None,
            size_of_bytes: None,
            note: None,
        })
    }

    fn create_ns(iters: u64) -> Result<f64> {
        let p = Pipe::new()?;
        let w = p.writer()?;
        let t = Instant::now();
        for _ in 0..iters {
            // SAFETY: the child only writes to a pipe.
            let pid = unsafe { fork_with(move || i32::from(!write_all_raw(w, b"x"))) }?;
            let mut b = [0u8; 1];
            read_exact(p.reader(), &mut b)?;
            wait(pid)?;
        }
        Ok(ns_since(t) / iters as f64)
    }

    fn switch_ns(iters: u64) -> Result<f64> {
        let mut to_child = Pipe::new()?;
        let from_child = Pipe::new()?;
        let (cr, cw, cw_own) = (to_child.reader(), from_child.writer()?, to_child.writer()?);
        // SAFETY: the child only closes, reads and writes pipes.
        let pid = unsafe {
            fork_with(move || {
                // SAFETY: the child closes its copy of the write end it does not use, so that it
                // sees end of file when the parent closes its copy; it is not used again.
                close_in_child(cw_own);
                let mut b = [0u8; 1];
                while read_exact_raw(cr, &mut b) {
                    if !write_all_raw(cw, &b) {
                        return 1;
                    }
                }
                0
            })
        }?;
        let mut b = [7u8; 1];
        let t = Instant::now();
        for _ in 0..iters {
            write_all(to_child.writer()?, &b)?;
            read_exact(from_child.reader(), &mut b)?;
        }
        let ns = ns_since(t) / iters as f64;
        to_child.close_write();
        wait(pid)?;
        Ok(ns)
    }

    fn tids(units: usize) -> Result<(i64, Vec<i64>)> {
        let creator = gettid();
        let (pids, ready, hold) = fork_held(units, gettid)?;
        let mut tids = Vec::with_capacity(units);
        let mut buf = [0u8; 8];
        let read = (0..units).try_for_each(|_| {
            read_exact(ready.reader(), &mut buf)?;
            tids.push(i64::from_ne_bytes(buf));
            Ok::<(), anyhow::Error>(())
        });
        release(&pids, hold)?;
        read?;
        Ok((creator, tids))
    }

    fn address(written: u64) -> Result<u64> {
        MARK.store(0, Ordering::SeqCst);
        let p = Pipe::new()?;
        let w = p.writer()?;
        // SAFETY: the child only stores to an atomic and writes to a pipe.
        let pid = unsafe {
            fork_with(move || {
                MARK.store(written, Ordering::SeqCst);
                i32::from(!write_all_raw(w, b"x"))
            })
        }?;
        let mut b = [0u8; 1];
        read_exact(p.reader(), &mut b)?;
        wait(pid)?;
        Ok(MARK.load(Ordering::SeqCst))
    }

    fn preempt(spin: Duration) -> Result<(u64, f64)> {
        let spinners = std::thread::available_parallelism().map_or(1, |n| n.get());
        let started = Pipe::new()?;
        let sw = started.writer()?;
        let mut pids = Vec::new();
        for _ in 0..spinners {
            // SAFETY: the child reads the clock (`clock_gettime`), writes to a pipe and spins.
            pids.push(unsafe {
                fork_with(move || {
                    let t = Instant::now();
                    if !write_all_raw(sw, b"s") {
                        return 1;
                    }
                    while t.elapsed() < spin {
                        std::hint::spin_loop();
                    }
                    0
                })
            }?);
        }
        let mut b = [0u8; 1];
        for _ in 0..spinners {
            read_exact(started.reader(), &mut b)?;
        }
        let probe = Pipe::new()?;
        let pw = probe.writer()?;
        let t = Instant::now();
        // SAFETY: the child only writes to a pipe.
        pids.push(unsafe { fork_with(move || i32::from(!write_all_raw(pw, b"p"))) }?);
        read_exact(probe.reader(), &mut b)?;
        let latency = ns_since(t);
        for p in pids {
            wait(p)?;
        }
        Ok((spinners as u64, latency))
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::children_cpu_ns();
        let t = Instant::now();
        let mut pids = Vec::new();
        for _ in 0..units {
            // SAFETY: the child only computes (`cpu_work` touches no memory but its registers).
            pids.push(unsafe {
                fork_with(move || {
                    cpu_work(iters);
                    0
                })
            }?);
        }
        for p in pids {
            wait(p)?;
        }
        Ok((ns_since(t), crate::work::children_cpu_ns() - cpu))
    }
}
