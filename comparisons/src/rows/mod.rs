//! The in-process rows. Each module implements [`Style`] for one way of running a unit of work;
//! [`measure`] runs the same experiments on every style.

use crate::params::Params;
use crate::samples::{MemSample, Samples};
use anyhow::{Context, Result};
use common::alloc_count::CountingAlloc;
use std::time::Duration;

pub mod genawaiter;
pub mod green;
pub mod process;
pub mod stackful;
pub mod stackless;
pub mod thread;

/// A value that was 0 before a unit ran and that the unit sets; the address-space probe reads it.
pub static MARK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One way of running units of work, with the experiments measured on it.
pub trait Style {
    /// Holds `count` live units, each suspended after its first run, and returns the memory they
    /// cost per unit (by the OS's accounting).
    fn memory(count: usize) -> Result<MemSample>;
    /// Mean ns to create a unit, run it to its first suspension and destroy it, over `iters`.
    fn create_ns(iters: u64) -> Result<f64>;
    /// Mean ns per round trip (two switches) over `iters` round trips.
    fn switch_ns(iters: u64) -> Result<f64>;
    /// The creator's kernel thread id and the one seen inside each of `units` live units.
    fn tids(units: usize) -> Result<(i64, Vec<i64>)>;
    /// Resets [`MARK`] to 0, lets a unit store `written` in it, and returns what the creator reads.
    fn address(written: u64) -> Result<u64>;
    /// Runs one spinner per scheduler worker for `spin` without yielding, then makes a probe unit
    /// runnable; returns (spinners, ns until the probe first ran).
    fn preempt(spin: Duration) -> Result<(u64, f64)>;
    /// Runs `units` (1 or 2) units each doing [`crate::work::cpu_work`]`(iters)` at once; returns
    /// (wall ns, CPU ns they consumed together).
    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)>;
}

/// Runs every experiment of `S`, with memory taken by `memory` (which may run the measurement in
/// a fresh process), printing progress on stderr with `tag`.
pub fn measure<S: Style>(
    params: &Params,
    count: usize,
    create_iters: u64,
    switch_iters: u64,
    tag: &str,
    memory: &mut dyn FnMut(usize) -> Result<MemSample>,
) -> Result<Samples> {
    let mut s = Samples::default();
    for rep in 0..params.reps {
        crate::progress!(
            "  {tag}: memory of {count} live units, rep {}/{}",
            rep + 1,
            params.reps
        );
        let m = memory(count).context("memory")?;
        s.memory_bytes.push(m.memory_bytes);
        s.virtual_bytes.push(m.virtual_bytes);
        if let Some(h) = m.heap_bytes {
            s.heap_bytes.push(h);
        }
        s.size_of_bytes = m.size_of_bytes;
        if let Some(n) = m.note
            && !s.notes.contains(&n)
        {
            s.notes.push(n);
        }
    }
    crate::progress!("  {tag}: create x{create_iters}, switch x{switch_iters}");
    for _ in 0..params.reps {
        s.create_ns
            .push(S::create_ns(create_iters).context("create")?);
        s.switch_ns
            .push(S::switch_ns(switch_iters).context("switch")?);
    }
    crate::progress!("  {tag}: kernel thread ids, address space, pre-emption, parallelism");
    let (creator, tids) = S::tids(params.tid_units).context("thread ids")?;
    s.creator_tid = creator;
    s.unit_tids = tids;
    s.written = 0x5EED_0000 + 42;
    s.seen = S::address(s.written).context("address space")?;
    let spin = Duration::from_millis(params.spin_ms);
    let (spinners, latency) = S::preempt(spin).context("pre-emption")?;
    s.spin_ns = spin.as_nanos() as f64;
    s.spinners = spinners;
    s.probe_latency_ns = latency;
    for _ in 0..params.reps {
        let (one, _) = S::cpu_units(1, params.work_iters).context("parallel")?;
        let (two, two_cpu) = S::cpu_units(2, params.work_iters).context("parallel")?;
        s.one_ns.push(one);
        s.two_ns.push(two);
        s.two_cpu_ns.push(two_cpu);
    }
    Ok(s)
}

/// Memory of `count` live in-process units, each made and run to its first suspension by `make`:
/// the `VmRSS`/`VmSize` change over all of them ([`MemSample::per_unit`]), plus the heap per unit
/// counted by the allocator wrapper (when it is installed) and `size_of_unit`, the size of one
/// unit's state. The units stay alive until both readings are taken.
pub(crate) fn live_units_memory<U>(
    count: usize,
    size_of_unit: usize,
    mut make: impl FnMut(u64) -> U,
) -> Result<MemSample> {
    let mut units: Vec<Option<U>> = (0..count).map(|_| None).collect();
    let counting = CountingAlloc::installed();
    let heap_before = CountingAlloc::live_bytes();
    let before = crate::procfs::status(None)?;
    for (i, slot) in units.iter_mut().enumerate() {
        *slot = Some(make(i as u64));
    }
    let after = crate::procfs::status(None)?;
    let heap_after = CountingAlloc::live_bytes();
    drop(units);
    Ok(MemSample {
        heap_bytes: counting.then(|| (heap_after as f64 - heap_before as f64) / count as f64),
        size_of_bytes: Some(size_of_unit as f64),
        ..MemSample::per_unit(&before, &after, count)
    })
}

/// The size of a value's type, for a value whose type cannot be named (an `impl Coroutine`).
pub(crate) fn size_of_unit<C>(_: &C) -> usize {
    std::mem::size_of::<C>()
}

/// Nanoseconds elapsed since `t`.
pub(crate) fn ns_since(t: std::time::Instant) -> f64 {
    t.elapsed().as_nanos() as f64
}
