//! Row `process`: units are `fork`ed children. Round trips go through the pipe ping-pong of
//! [`common::pingpong`] with a forked echo, the same code the `os-thread` row runs with an echo
//! thread, so the two differ only in the address space.
//!
//! A forked child shares every page with its parent until one of them writes (copy on write), so
//! the child's RSS counts the whole parent and overstates its cost. The user-space figure therefore
//! uses PSS, which splits each shared page among the processes that map it: the sum of the PSS of
//! the parent and all children, minus the parent's PSS before forking, is exactly the memory the
//! children added (their private pages plus the parent's own copy-on-write copies). The kernel's
//! part (each child's kernel stack, task and memory-map structures, and its page tables, copied
//! from the parent's) is the system-wide `/proc/meminfo` growth.
//! Children make only async-signal-safe calls (read, write, `getcpu`, `sched_setaffinity`,
//! `clock_gettime`, `_exit`).

use super::{MARK, Style, managed_sample, ns_since, preempt_sample, spin_for, tasks_now};
use crate::placement::{CpuCheck, Ends};
use crate::procfs;
use crate::ring::{RingMeter, RingPlan, RingSample, STOP, UnitCount, Visits};
use crate::samples::{KernelPerUnit, ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::{
    Pipe, close_in_child, fork_with, gettid, read_exact, read_exact_raw, wait, write_all,
    write_all_raw,
};
use crate::timing::{Plan, TimingSample, mono_ns, time_ops};
use crate::work::cpu_work;
use anyhow::{Context, Result, bail};
use common::affinity;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::Ordering;
use std::time::Duration;

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

/// Reads one report from each of `count` children.
fn read_reports(ready: &Pipe, count: usize) -> Result<Vec<i64>> {
    let mut buf = [0u8; 8];
    (0..count)
        .map(|_| {
            read_exact(ready.reader(), &mut buf)?;
            Ok(i64::from_ne_bytes(buf))
        })
        .collect()
}

fn zero() -> i64 {
    0
}

/// Round trips with a forked echo on `ends.other`, each reply fed into the next request.
fn process_round_trips(plan: &Plan, ends: Ends) -> Result<TimingSample> {
    let (mut caller, echo) = common::pingpong::pair().context("making the pipes")?;
    let other = ends.other;
    // The child serves until asked to stop; if this process dies first, the kernel kills it.
    // The parent's copy of the echo's ends is closed when `fork_with` drops the closure.
    // SAFETY: the child makes only system calls (prctl, sched_setaffinity, read, write, getcpu)
    // on its own stack and fds, and allocates nothing: async-signal-safe.
    let pid = unsafe {
        fork_with(move || {
            let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            i32::from(!echo.serve(other))
        })
    }?;
    let mut x = 0u32;
    let mut check = CpuCheck::default();
    let timed = time_ops(plan, |n| {
        for _ in 0..n {
            let r = caller
                .round_trip(x)
                .context("round trip with the echo process")?;
            check.record(affinity::current_cpu(), r.echo_cpu);
            x = r.value;
        }
        Ok(())
    });
    let _ = caller.stop();
    drop(caller);
    wait(pid)?;
    Ok(TimingSample {
        ends_on_different_cpus: check.share_apart(),
        ..timed?
    })
}

/// A unit of the process ring, in the forked child: reads each token from `from`, writes the
/// next one to `to`; on the stop token passes it on, writes its counts to `counts` and ends.
/// Async-signal-safe: reads, writes and arithmetic.
fn ring_child(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    counts: BorrowedFd<'_>,
    place: u64,
    n: u64,
) -> i32 {
    let mut c = UnitCount::default();
    let mut b = [0u8; 8];
    loop {
        if !read_exact_raw(from, &mut b) {
            return 1;
        }
        let t = u64::from_ne_bytes(b);
        if t == STOP {
            let mut out = [0u8; 16];
            out[..8].copy_from_slice(&c.visits.to_ne_bytes());
            out[8..].copy_from_slice(&c.errors.to_ne_bytes());
            let passed = write_all_raw(to, &STOP.to_ne_bytes());
            return i32::from(!(passed && write_all_raw(counts, &out)));
        }
        if !write_all_raw(to, &c.take(t, place, n).to_ne_bytes()) {
            return 1;
        }
    }
}

/// User space of this process and `children`: the sum of their PSS.
fn pss_with(children: &[i32]) -> Result<f64> {
    let mut total = procfs::pss(None)? as f64;
    for &p in children {
        total += procfs::pss(Some(p))? as f64;
    }
    Ok(total)
}

/// The process ring: child `i` reads the token from pipe `i` and writes the next one to pipe
/// `i + 1`; the measuring process writes to pipe 0 and reads pipe N.
fn process_ring(plan: &RingPlan) -> Result<RingSample> {
    let n = plan.n;
    let mut meter = RingMeter::start(plan, procfs::pss(None)? as f64)?;
    let counts = Pipe::new()?;
    let cw = counts.writer()?;
    let (mut from, first) = Pipe::new()?.into_ends();
    let first = first.context("a new pipe's write end")?;
    let mut pids = Vec::with_capacity(n as usize);
    let mut stop = None;
    for place in 0..n {
        let (next_read, next_write) = Pipe::new()?.into_ends();
        let next_write = next_write.context("a new pipe's write end")?;
        let (f, nr, nw, fw, cr) = (
            from.as_fd(),
            next_read.as_fd(),
            next_write.as_fd(),
            first.as_fd(),
            counts.reader(),
        );
        // SAFETY: the child closes descriptors, reads and writes pipes and counts: async-signal-safe
        // calls only.
        let forked = unsafe {
            fork_with(move || {
                // SAFETY: this child never uses its copies of these again: the ring's first
                // write end, the next pipe's read end and the counts' read end belong to others
                // (and the first write end must be closed in every child, so that closing the
                // parent's copy ends the ring).
                close_in_child(nr);
                close_in_child(cr);
                close_in_child(fw);
                ring_child(f, nw, cw, place, n)
            })
        };
        match forked {
            Ok(p) => pids.push(p),
            Err(e) => {
                stop = Some((place, format!("{e:#} after {place} processes")));
                break;
            }
        }
        // this process keeps only the ring's first write end and the next pipe's read end
        from = next_read;
        if let Err(why) = meter.check(place + 1) {
            stop = Some((place + 1, why));
            break;
        }
    }
    if let Some((made, why)) = stop {
        // closing the ring's first write end ends child 0 (end of file), whose end ends the next
        drop(first);
        for p in pids {
            wait(p)?;
        }
        return Ok(meter.stopped(made, why));
    }
    let lap = |t: u64| -> Result<u64> {
        write_all(first.as_fd(), &t.to_ne_bytes())?;
        let mut b = [0u8; 8];
        read_exact(from.as_fd(), &mut b)?;
        Ok(u64::from_ne_bytes(b))
    };
    let token = lap(0)?;
    meter.made(pss_with(&pids)?)?;
    meter.time_laps(token, lap)?;
    lap(STOP)?;
    let mut visits = Visits::default();
    let mut b = [0u8; 16];
    for _ in 0..n {
        read_exact(counts.reader(), &mut b)?;
        visits.add(UnitCount {
            visits: u64::from_ne_bytes(b[..8].try_into().unwrap_or_default()),
            errors: u64::from_ne_bytes(b[8..].try_into().unwrap_or_default()),
        });
    }
    for p in pids {
        wait(p)?;
    }
    Ok(meter.finish(visits))
}

impl Style for Process {
    fn scheduler() -> Scheduler {
        Scheduler::Kernel
    }

    fn memory(count: usize) -> Result<MemSample> {
        let own = procfs::status(None)?;
        let before = procfs::pss(None)?;
        let kernel_before = procfs::kernel_mem()?;
        let (pids, ready, hold) = fork_held(count, zero)?;
        let measured = (|| -> Result<(f64, Vec<f64>, Vec<f64>, procfs::KernelMem)> {
            read_reports(&ready, count)?;
            let kernel_during = procfs::kernel_mem()?;
            let mut total = procfs::pss(None)? as f64 - before as f64;
            let mut vm = Vec::with_capacity(count);
            let mut pte = Vec::with_capacity(count);
            for &p in &pids {
                let st = procfs::status(Some(p))?;
                total += procfs::pss(Some(p))? as f64;
                vm.push(st.vm_bytes as f64);
                pte.push(st.pte_bytes as f64);
            }
            Ok((total, vm, pte, kernel_during))
        })();
        release(&pids, hold)?;
        let (total, vm, pte, kernel_during) = measured?;
        let median = |v: &[f64]| crate::stats::median(v).unwrap_or(0.0);
        Ok(MemSample {
            memory_bytes: total / count as f64,
            virtual_bytes: median(&vm),
            kernel: Some(KernelPerUnit::between(
                &kernel_before,
                &kernel_during,
                count,
            )),
            note: Some(format!(
                "each child's page tables (VmPTE {:.0} KiB) are copied from the parent's, so they grow with the parent: here a probe process of {:.1} MiB resident, {:.1} MiB mapped; they are counted in the kernel layer (PageTables), not in user space",
                median(&pte) / 1024.0,
                own.rss_bytes as f64 / (1024.0 * 1024.0),
                own.vm_bytes as f64 / (1024.0 * 1024.0)
            )),
            ..MemSample::default()
        })
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        let handed = Pipe::new()?;
        let resume = Pipe::new()?;
        let (hw, rr) = (handed.writer()?, resume.reader());
        super::time_chained(plan, |x| {
            // SAFETY: the child only writes to and reads from pipes.
            let pid = unsafe {
                fork_with(move || {
                    // hands back x + 1, then suspends (blocked in read) until resumed
                    if !write_all_raw(hw, &x.wrapping_add(1).to_ne_bytes()) {
                        return 1;
                    }
                    let mut b = [0u8; 1];
                    i32::from(!read_exact_raw(rr, &mut b))
                })
            }?;
            let mut b = [0u8; 8];
            read_exact(handed.reader(), &mut b)?;
            write_all(resume.writer()?, b"r")?;
            wait(pid)?;
            Ok(u64::from_ne_bytes(b))
        })
    }

    fn switch(plan: &Plan, ends: Ends) -> Result<TimingSample> {
        process_round_trips(plan, ends)
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        process_ring(plan)
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        let before = tasks_now()?;
        let (pids, ready, hold) = fork_held(units, gettid)?;
        let tids = read_reports(&ready, units);
        let during = tasks_now();
        release(&pids, hold)?;
        Ok(managed_sample(&before, &during?, gettid(), tids?))
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

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        const START: u64 = 1;
        const END: u64 = 2;
        const PROBE: u64 = 3;
        let spinners = super::cores();
        let msgs = Pipe::new()?;
        let w = msgs.writer()?;
        let send = move |tag: u64, t: u64| {
            let mut m = [0u8; 16];
            m[..8].copy_from_slice(&tag.to_ne_bytes());
            m[8..].copy_from_slice(&t.to_ne_bytes());
            write_all_raw(w, &m)
        };
        let mut pids = Vec::new();
        let (mut starts, mut ends, mut probe) = (Vec::new(), Vec::new(), None);
        let read_one = |starts: &mut Vec<u64>, ends: &mut Vec<u64>, probe: &mut Option<u64>| {
            let mut m = [0u8; 16];
            read_exact(msgs.reader(), &mut m)?;
            let (tag, t) = (
                u64::from_ne_bytes(m[..8].try_into().unwrap_or_default()),
                u64::from_ne_bytes(m[8..].try_into().unwrap_or_default()),
            );
            match tag {
                START => starts.push(t),
                END => ends.push(t),
                PROBE => *probe = Some(t),
                _ => bail!("unknown message {tag} from a child"),
            }
            Ok(())
        };
        let run = (|| -> Result<u64> {
            for _ in 0..spinners {
                // SAFETY: the child reads the clock and writes to a pipe.
                pids.push(unsafe {
                    fork_with(move || {
                        let mut ok = true;
                        let end = spin_for(spin, |s| ok = send(START, s));
                        i32::from(!(ok && send(END, end)))
                    })
                }?);
            }
            while starts.len() + ends.len() < spinners {
                read_one(&mut starts, &mut ends, &mut probe)?;
            }
            let runnable_at = mono_ns();
            // SAFETY: the child reads the clock and writes to a pipe.
            pids.push(unsafe { fork_with(move || i32::from(!send(PROBE, mono_ns()))) }?);
            while ends.len() < spinners || probe.is_none() {
                read_one(&mut starts, &mut ends, &mut probe)?;
            }
            Ok(runnable_at)
        })();
        for p in pids {
            wait(p)?;
        }
        let runnable_at = run?;
        let Some(ran) = probe else {
            bail!("the probe child did not report");
        };
        preempt_sample(spin, spinners, &starts, &ends, runnable_at, ran)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let cpu = crate::work::children_cpu_ns();
        let t = std::time::Instant::now();
        let mut pids = Vec::new();
        for _ in 0..units {
            // SAFETY: the child only computes.
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
