//! The in-process rows. Each module implements [`Style`] for one way of running a unit of work;
//! [`measure`] runs the same experiments on every style, with the same placements, repetitions
//! and noise readings.

use crate::kind::Kind;
use crate::noise;
use crate::params::Params;
use crate::placement::{Ends, Placement};
use crate::ring::{RingPlan, RingSample};
use crate::samples::{KernelPerUnit, ManagedSample, MemSample, PreemptSample, Samples, Scheduler};
use crate::stats::repeat;
use crate::timing::{Plan, TimingSample};
use anyhow::{Context, Result, bail};
use common::affinity;
use common::alloc_count::CountingAlloc;
use std::time::Duration;

pub mod async_task;
pub mod genawaiter;
pub mod green;
pub mod process;
pub mod stackful;
pub mod stackless;
pub mod thread;

/// A value that was 0 before a unit ran and that the unit sets; the address-space probe reads it.
pub static MARK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The value the address-space probe writes.
pub const WRITTEN: u64 = 0x5EED_0000 + 42;

/// One way of running units of work, with the experiments measured on it.
pub trait Style {
    /// Who schedules the units.
    fn scheduler() -> Scheduler;
    /// Threads the units run on: the runtime's workers, the CPUs for the kernel, 1 for the
    /// caller's thread.
    fn workers() -> usize {
        match Self::scheduler() {
            Scheduler::CallerThread => 1,
            Scheduler::Kernel | Scheduler::Runtime => cores(),
        }
    }
    /// Holds `count` live units, each suspended after its first run, and returns the memory they
    /// cost per unit: user space by the OS's accounting, kernel system-wide, and the object where
    /// it applies.
    fn memory(count: usize) -> Result<MemSample>;
    /// Times creating a unit, running it to its first suspension, resuming it once more so that
    /// it runs to its end, and freeing it: the same work in every row. The calling thread may be
    /// pinned; units it makes inherit the pin.
    fn create(plan: &Plan) -> Result<TimingSample>;
    /// The same on a pooled stack, for rows that have one.
    fn create_pooled(_plan: &Plan) -> Result<Option<TimingSample>> {
        Ok(None)
    }
    /// Times creating a unit (on a pooled stack), running it to its first suspension and dropping
    /// it while suspended, for rows where that costs work of its own (a stackful coroutine's
    /// stack is unwound).
    fn drop_suspended(_plan: &Plan) -> Result<Option<TimingSample>> {
        Ok(None)
    }
    /// Times round trips (two switches) between two units, each output fed into the next input.
    /// The calling thread is already on `ends.caller`; the row puts the other end on
    /// `ends.other` and reports where the ends ran.
    fn switch(plan: &Plan, ends: Ends) -> Result<TimingSample>;
    /// The worker count of a fresh runtime this row needs for `placement` (`may` on one CPU: a
    /// runtime of one worker), measured by [`probe_timing`] in a fresh process.
    fn fresh_runtime(_placement: Placement) -> Option<usize> {
        None
    }
    /// Configures the runtime of a fresh process to `workers` worker threads, before it starts
    /// (rows with a runtime; see [`Style::fresh_runtime`]).
    fn configure_runtime(_workers: usize) {}
    /// Why this row cannot place its ends as `placement` says, if it cannot.
    fn unplaceable(_placement: Placement) -> Option<&'static str> {
        None
    }
    /// Builds the scaling ring of `plan.n` units of this style in this process and times it (see
    /// [`crate::ring`]); a ring whose units could not all be made comes back with `stopped`.
    fn ring(plan: &RingPlan) -> Result<RingSample>;
    /// Worker threads the row's runtime gets for the ring, which runs on one CPU (`None`: its
    /// default).
    fn ring_workers() -> Option<usize> {
        None
    }
    /// Holds `units` live units at once and counts the kernel threads and child processes of
    /// this process before and while they live.
    fn managed(units: usize) -> Result<ManagedSample>;
    /// Resets [`MARK`] to 0, lets a unit store `written` in it, and returns what the creator reads.
    fn address(written: u64) -> Result<u64>;
    /// Starts one spinner per worker, each spinning for `spin` without yielding; once they all
    /// spin, makes a probe unit runnable and reports when it first ran.
    fn preempt(spin: Duration) -> Result<PreemptSample>;
    /// Runs `units` (1 or 2) units each doing [`crate::work::cpu_work`]`(iters)` at once; returns
    /// (wall ns, CPU ns they consumed together).
    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)>;
}

/// CPUs this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What [`measure`] needs besides the row: the run's parameters, how to take one memory
/// repetition (in a fresh process or here), and how to time a placement in a fresh runtime.
pub struct Ctx<'a> {
    /// The run's parameters.
    pub params: &'a Params,
    /// The row.
    pub kind: Kind,
    /// One memory repetition of `count` units.
    pub memory: &'a mut dyn FnMut(usize) -> Result<MemSample>,
    /// Times creation and switch for a placement in a fresh process whose runtime has the given
    /// workers; `None`: not available here (the placement is then skipped with a note).
    pub fresh: Option<&'a mut dyn FnMut(Placement, usize) -> Result<FreshTiming>>,
}

/// What [`probe_timing`] measured in a fresh process.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FreshTiming {
    /// Creation.
    pub create: TimingSample,
    /// Round trips.
    pub switch: TimingSample,
}

/// Times creation and the switch of `S` for `placement` in this process, whose runtime the
/// caller has configured (and whose threads a parent may have pinned): what the `probe-timing`
/// command runs in a fresh process.
pub fn probe_timing<S: Style>(
    params: &Params,
    kind: Kind,
    placement: Placement,
) -> Result<FreshTiming> {
    let allowed = affinity::allowed_cpus().context("reading this process's CPUs")?;
    let ends = placement.ends(&allowed)?;
    let _pin = pin(ends.caller)?;
    Ok(FreshTiming {
        create: S::create(&params.create_plan(kind)).context("create")?,
        switch: S::switch(&params.switch_plan(kind), ends).context("switch")?,
    })
}

fn pin(cpu: Option<usize>) -> Result<Option<affinity::PinGuard>> {
    cpu.map(affinity::pin_current_thread)
        .transpose()
        .context("pinning the measuring thread")
}

/// Share of round trips a placement may get wrong before its figure is dropped: pinned ends
/// never move, so more than this means the pin did not hold.
const PLACEMENT_TOLERANCE: f64 = 0.1;

/// Checks that the ends ran where `placement` put them; the reason if they did not.
fn placement_held(placement: Placement, t: &TimingSample) -> Option<String> {
    let apart = t.ends_on_different_cpus?;
    let wrong = match placement {
        Placement::SameCpu => apart,
        Placement::CrossCpu => 1.0 - apart,
        Placement::Unpinned => return None,
    };
    (wrong > PLACEMENT_TOLERANCE).then(|| {
        format!(
            "{} round trips dropped: the ends were on different CPUs in {:.0}% of them",
            placement.as_str(),
            100.0 * apart
        )
    })
}

/// Pause before a row's timings, for the kernel to finish freeing the previous row's units.
pub const SETTLE: Duration = Duration::from_millis(100);

/// Runs every experiment of `S`, printing progress on stderr: round trips and creation first,
/// then memory, then the properties, so that no timing follows the mass creation and destruction
/// of units in the memory and property experiments (the kernel's deferred work after it, freeing
/// tasks and stacks, slows what runs next).
pub fn measure<S: Style>(ctx: Ctx<'_>) -> Result<Samples> {
    let p = ctx.params;
    let tag = ctx.kind.as_str();
    let mut s = Samples {
        scheduler: S::scheduler(),
        workers: S::workers() as u64,
        ..Samples::default()
    };
    let noted = |s: &mut Samples, name: &str, n: Option<noise::Noise>| {
        if let Some(n) = n {
            s.noise.insert(name.to_string(), n);
        }
    };

    // let the kernel finish the deferred work of the previous row's units before timing
    std::thread::sleep(SETTLE);
    let allowed = affinity::allowed_cpus().context("reading this process's CPUs")?;
    let create_plan = p.create_plan(ctx.kind);
    let switch_plan = p.switch_plan(ctx.kind);
    crate::progress!(
        "  {tag}: create x{} and switch x{} per repetition",
        create_plan.ops,
        switch_plan.ops
    );
    let mut fresh = ctx.fresh;
    if S::scheduler() == Scheduler::CallerThread {
        // one thread does everything: keep it on one CPU so no batch is split by a migration
        let _pin = pin(allowed.first().copied())?;
        let (t, n) = noise::during(|| S::switch(&switch_plan, Ends::default()));
        noted(&mut s, "switch", n);
        s.switch_ns = Some(t.context("switch")?);
        let (c, n) = noise::during(|| S::create(&create_plan));
        noted(&mut s, "create", n);
        s.create_ns = Some(c.context("create")?);
        let (c, n) = noise::during(|| S::create_pooled(&create_plan));
        noted(&mut s, "create_pooled", n);
        s.create_pooled_ns = c.context("create on a pooled stack")?;
        let (c, n) = noise::during(|| S::drop_suspended(&create_plan));
        noted(&mut s, "drop_suspended", n);
        s.drop_suspended_ns = c.context("drop while suspended")?;
    } else {
        for placement in Placement::ALL {
            if let Some(why) = S::unplaceable(placement) {
                s.notes
                    .push(format!("{}: not measured: {why}", placement.as_str()));
                continue;
            }
            let ends = match placement.ends(&allowed) {
                Ok(e) => e,
                Err(e) => {
                    s.notes
                        .push(format!("{}: not measured: {e:#}", placement.as_str()));
                    continue;
                }
            };
            let name = format!("switch {}", placement.as_str());
            let (timed, n) = noise::during(|| -> Result<Option<FreshTiming>> {
                if let Some(workers) = S::fresh_runtime(placement) {
                    let Some(f) = fresh.as_mut() else {
                        return Ok(None);
                    };
                    let _pin = pin(ends.caller)?;
                    return f(placement, workers).map(Some);
                }
                let _pin = pin(ends.caller)?;
                // round trips first: creating and destroying many units leaves the kernel
                // deferred work (freeing tasks) that slows the next measurement for a while
                let switch = S::switch(&switch_plan, ends).context("switch")?;
                let create = match placement {
                    Placement::SameCpu | Placement::Unpinned => {
                        Some(S::create(&create_plan).context("create")?)
                    }
                    Placement::CrossCpu => None,
                };
                Ok(Some(FreshTiming {
                    create: create.unwrap_or_default(),
                    switch,
                }))
            });
            noted(&mut s, &name, n);
            let Some(timed) = timed? else {
                s.notes.push(format!(
                    "{}: not measured: needs a fresh process with a runtime of its own",
                    placement.as_str()
                ));
                continue;
            };
            let switch = match placement_held(placement, &timed.switch) {
                Some(why) => {
                    s.notes.push(why);
                    None
                }
                None => Some(timed.switch),
            };
            let create = (!timed.create.reps_ns.is_empty()).then_some(timed.create);
            match placement {
                Placement::SameCpu => {
                    s.create_ns = create;
                    s.switch_ns = switch;
                }
                Placement::CrossCpu => s.switch_cross_cpu_ns = switch,
                Placement::Unpinned => {
                    s.create_unpinned_ns = create;
                    s.switch_unpinned_ns = switch;
                }
            }
        }
    }

    let count = p.memory_count(ctx.kind);
    let (mem, n) = noise::during(|| -> Result<Vec<MemSample>> {
        (0..p.reps)
            .map(|rep| {
                crate::progress!(
                    "  {tag}: memory of {count} live units, rep {}/{}",
                    rep + 1,
                    p.reps
                );
                (ctx.memory)(count).context("memory")
            })
            .collect()
    });
    noted(&mut s, "memory", n);
    for m in mem? {
        add_memory(&mut s, m);
    }

    let units = p.managed_units.max(4 * S::workers());
    crate::progress!(
        "  {tag}: managed by OS ({units} units), address space, pre-emption, parallelism, {} repetitions each",
        p.property_reps
    );
    let (managed, n) = noise::during(|| repeat(p.property_reps, |_| S::managed(units)));
    noted(&mut s, "managed_by_os", n);
    s.managed = managed.context("managed by OS")?;
    s.written = WRITTEN;
    s.seen = S::address(s.written).context("address space")?;
    let spin = Duration::from_millis(p.spin_ms);
    let (pre, n) = noise::during(|| repeat(p.property_reps, |_| S::preempt(spin)));
    noted(&mut s, "preemptive", n);
    s.preempt = pre.context("pre-emption")?;
    let (par, n) = noise::during(|| -> Result<()> {
        for _ in 0..p.property_reps {
            let (one, _) = S::cpu_units(1, p.work_iters).context("parallel")?;
            let (two, two_cpu) = S::cpu_units(2, p.work_iters).context("parallel")?;
            s.one_ns.push(one);
            s.two_ns.push(two);
            s.two_cpu_ns.push(two_cpu);
        }
        Ok(())
    });
    par?;
    noted(&mut s, "parallel", n);
    Ok(s)
}

/// Adds one memory repetition to the samples.
fn add_memory(s: &mut Samples, m: MemSample) {
    s.memory_bytes.push(m.memory_bytes);
    s.virtual_bytes.push(m.virtual_bytes);
    if let Some(o) = m.object_bytes {
        s.object_bytes.push(o);
    }
    if let Some(h) = m.heap_bytes {
        s.heap_bytes.push(h);
    }
    if let Some(k) = m.kernel {
        s.kernel_stack_bytes.push(k.kernel_stack_bytes);
        s.page_tables_bytes.push(k.page_tables_bytes);
        s.slab_unreclaimable_bytes.push(k.slab_unreclaimable_bytes);
    }
    s.size_of_bytes = m.size_of_bytes;
    if let Some(n) = m.note
        && !s.notes.contains(&n)
    {
        s.notes.push(n);
    }
}

/// Where the units whose memory is read keep their heap allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeldBy {
    /// The reading thread made and holds them: its own net allocations are theirs, and other
    /// threads allocating meanwhile do not count.
    ThisThread,
    /// They run on other threads (their own, a runtime's): the whole process's live heap.
    AnyThread,
}

/// The readings taken around holding live units: this process's `/proc` status, the system's
/// kernel memory and the heap counted by the allocator wrapper (when it is installed), for the
/// whole process and for the reading thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemReading {
    status: crate::procfs::StatusMem,
    kernel: crate::procfs::KernelMem,
    heap: u64,
    thread_heap: i64,
}

impl MemReading {
    /// Reads everything now.
    pub(crate) fn now() -> Result<MemReading> {
        Ok(MemReading {
            status: crate::procfs::status(None)?,
            kernel: crate::procfs::kernel_mem()?,
            heap: CountingAlloc::live_bytes(),
            thread_heap: CountingAlloc::thread_net_bytes(),
        })
    }

    /// Per-unit growth from `self` to `during` over `count` units: resident, virtual and kernel;
    /// the heap too when the allocator wrapper counts (as `held_by` says); object =
    /// `handle_bytes` + heap.
    pub(crate) fn per_unit(
        &self,
        during: &MemReading,
        count: usize,
        handle_bytes: Option<usize>,
        held_by: HeldBy,
    ) -> MemSample {
        let grown = match held_by {
            HeldBy::ThisThread => (during.thread_heap - self.thread_heap) as f64,
            HeldBy::AnyThread => during.heap as f64 - self.heap as f64,
        };
        let heap = CountingAlloc::installed().then(|| grown / count as f64);
        MemSample {
            object_bytes: match (handle_bytes, heap) {
                (Some(h), Some(heap)) => Some(h as f64 + heap),
                _ => None,
            },
            heap_bytes: heap,
            kernel: Some(KernelPerUnit::between(&self.kernel, &during.kernel, count)),
            ..MemSample::per_unit(&self.status, &during.status, count)
        }
    }
}

/// Memory of `count` live in-process units, each made and run to its first suspension by `make`
/// on this thread: the readings of [`MemReading`] before and with all of them alive,
/// `handle_bytes` being `size_of` what the creator holds per unit and `size_of_state` the unit's
/// own state. The units stay alive until both readings are taken.
pub(crate) fn live_units_memory<U>(
    count: usize,
    size_of_state: Option<usize>,
    mut make: impl FnMut(u64) -> Result<U>,
) -> Result<MemSample> {
    let mut units: Vec<Option<U>> = (0..count).map(|_| None).collect();
    let before = MemReading::now()?;
    for (i, slot) in units.iter_mut().enumerate() {
        *slot = Some(make(i as u64)?);
    }
    let during = MemReading::now()?;
    drop(units);
    Ok(MemSample {
        size_of_bytes: size_of_state.map(|s| s as f64),
        ..before.per_unit(
            &during,
            count,
            Some(std::mem::size_of::<U>()),
            HeldBy::ThisThread,
        )
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

/// The kernel tasks of this process at one moment: its threads and its child processes.
pub(crate) struct Tasks {
    threads: std::collections::BTreeSet<i64>,
    children: std::collections::BTreeSet<i64>,
}

impl Tasks {
    fn contains(&self, id: i64) -> bool {
        self.threads.contains(&id) || self.children.contains(&id)
    }
}

/// This process's kernel threads and children now.
pub(crate) fn tasks_now() -> Result<Tasks> {
    Ok(Tasks {
        threads: crate::procfs::thread_ids()?,
        children: crate::procfs::child_pids()?,
    })
}

/// A [`ManagedSample`] from the tasks before and while the units lived and the thread id each
/// unit saw.
pub(crate) fn managed_sample(
    before: &Tasks,
    during: &Tasks,
    creator_tid: i64,
    unit_tids: Vec<i64>,
) -> ManagedSample {
    let mut distinct = unit_tids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let new = distinct
        .iter()
        .filter(|&&t| !before.contains(t) && during.contains(t))
        .count();
    ManagedSample {
        units: unit_tids.len() as u64,
        threads_before: before.threads.len() as u64,
        threads_during: during.threads.len() as u64,
        children_before: before.children.len() as u64,
        children_during: during.children.len() as u64,
        creator_tid,
        unit_tids,
        units_on_new_tasks: Some(new as u64),
    }
}

/// A [`PreemptSample`] from `mono_ns` readings: each spinner's start and end, when the probe was
/// made runnable and when it first ran. Every spinner was spinning when the probe was made
/// runnable if all `spinners` started and none had ended by then.
pub(crate) fn preempt_sample(
    spin: Duration,
    spinners: usize,
    starts: &[u64],
    ends: &[u64],
    runnable_at: u64,
    probe_ran: u64,
) -> Result<PreemptSample> {
    let (Some(&last_start), Some(&first_end)) = (starts.iter().max(), ends.iter().min()) else {
        bail!("no spinner reported");
    };
    let rel = |t: u64| t as f64 - last_start as f64;
    Ok(PreemptSample {
        spinners: spinners as u64,
        spin_ns: spin.as_nanos() as f64,
        all_spinning: starts.len() == spinners
            && starts.iter().all(|&s| s > 0 && s <= runnable_at)
            && runnable_at < first_end,
        probe_ran_ns: rel(probe_ran),
        first_spinner_done_ns: rel(first_end),
    })
}

/// Times operations chained by their data: `op(x)` (a resume, a creation) returns the next `x`,
/// so no operation can be skipped or overlapped with the next.
pub(crate) fn time_chained(
    plan: &Plan,
    mut op: impl FnMut(u64) -> Result<u64>,
) -> Result<TimingSample> {
    let mut x = 1u64;
    crate::timing::time_ops(plan, |n| {
        for _ in 0..n {
            x = op(x)?;
        }
        Ok(())
    })
}

/// A unit's body, for the threaded experiments' spawners.
pub(crate) type Body = Box<dyn FnOnce() + Send>;

/// The pre-emption experiment for units that each run on a thread (of their own, or a runtime's
/// worker): `spawn(Some(i), body)` starts spinner `i` (a runtime places it on worker `i`),
/// `spawn(None, body)` the probe; `join` waits for one. Waits until every spinner spins (at most
/// half the spin) before making the probe runnable.
pub(crate) fn preempt_threaded<H>(
    spin: Duration,
    spinners: usize,
    mut spawn: impl FnMut(Option<usize>, Body) -> Result<H>,
    mut join: impl FnMut(H) -> Result<()>,
) -> Result<PreemptSample> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let starts: Arc<Vec<AtomicU64>> = Arc::new((0..spinners).map(|_| AtomicU64::new(0)).collect());
    let ends: Arc<Vec<AtomicU64>> = Arc::new((0..spinners).map(|_| AtomicU64::new(0)).collect());
    let mut hs = Vec::new();
    for i in 0..spinners {
        let (st, en) = (starts.clone(), ends.clone());
        hs.push(spawn(
            Some(i),
            Box::new(move || {
                let end = spin_for(spin, |s| st[i].store(s, Ordering::SeqCst));
                en[i].store(end, Ordering::SeqCst);
            }),
        )?);
    }
    let waited = std::time::Instant::now();
    while starts.iter().any(|s| s.load(Ordering::SeqCst) == 0) && waited.elapsed() < spin / 2 {
        std::thread::yield_now();
    }
    let ran = Arc::new(AtomicU64::new(0));
    let r = ran.clone();
    let runnable_at = crate::timing::mono_ns();
    let probe = spawn(
        None,
        Box::new(move || r.store(crate::timing::mono_ns(), Ordering::SeqCst)),
    )?;
    join(probe)?;
    for h in hs {
        join(h)?;
    }
    let load = |v: &[AtomicU64]| {
        v.iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect::<Vec<_>>()
    };
    preempt_sample(
        spin,
        spinners,
        &load(&starts),
        &load(&ends),
        runnable_at,
        ran.load(Ordering::SeqCst),
    )
}

/// The managed-by-OS experiment for units their creator's thread runs: `start()` makes a unit and
/// runs it to the point where it reported its thread id, `finish` runs it to its end.
pub(crate) fn managed_on_caller_thread<U>(
    units: usize,
    mut start: impl FnMut() -> Result<(U, i64)>,
    mut finish: impl FnMut(U),
) -> Result<ManagedSample> {
    let before = tasks_now()?;
    let mut us = Vec::with_capacity(units);
    let mut tids = Vec::with_capacity(units);
    for _ in 0..units {
        let (u, t) = start()?;
        us.push(u);
        tids.push(t);
    }
    let during = tasks_now()?;
    for u in us {
        finish(u);
    }
    Ok(managed_sample(&before, &during, crate::sys::gettid(), tids))
}

/// Spins for `spin` from now without yielding, after telling `started` the `mono_ns` reading it
/// started at; returns the reading it stopped at. Allocation-free: a forked child may call it.
pub(crate) fn spin_for(spin: Duration, started: impl FnOnce(u64)) -> u64 {
    let start = crate::timing::mono_ns();
    started(start);
    let until = start + spin.as_nanos() as u64;
    let mut now = start;
    while now < until {
        std::hint::spin_loop();
        now = crate::timing::mono_ns();
    }
    now
}

/// Something that wakes a parked unit of the scaling ring (a thread, a `may` coroutine).
pub(crate) trait Wake: Send + Sync {
    /// Wakes the unit (if it is parked; otherwise its next park returns at once).
    fn wake(&self);
}

impl Wake for std::thread::Thread {
    fn wake(&self) {
        self.unpark();
    }
}

/// One place of a ring of parked units: its token (or [`crate::ring::EMPTY`]) and how to wake
/// the unit that waits on it.
pub(crate) struct Slot<W> {
    token: std::sync::atomic::AtomicU64,
    waker: std::sync::OnceLock<W>,
}

/// The places of a ring of `n` units that park until their token arrives, plus one (the last)
/// for the measuring end: each unit waits on its own slot and passes the token to the next.
pub(crate) struct Slots<W> {
    slots: Vec<Slot<W>>,
}

impl<W: Wake> Slots<W> {
    /// `n` units' places and the measuring end's.
    pub(crate) fn new(n: u64) -> Slots<W> {
        Slots {
            slots: (0..=n)
                .map(|_| Slot {
                    token: std::sync::atomic::AtomicU64::new(crate::ring::EMPTY),
                    waker: std::sync::OnceLock::new(),
                })
                .collect(),
        }
    }

    /// Records how to wake the unit at `place` (before any token is passed).
    pub(crate) fn set_waker(&self, place: u64, w: W) {
        let _ = self.slots[place as usize].waker.set(w);
    }

    /// Puts `token` in `place` and wakes its unit.
    pub(crate) fn pass(&self, place: u64, token: u64) {
        let s = &self.slots[place as usize];
        s.token.store(token, std::sync::atomic::Ordering::Release);
        if let Some(w) = s.waker.get() {
            w.wake();
        }
    }

    /// Waits (with `park`) until `place` holds a token, and takes it.
    pub(crate) fn wait(&self, place: u64, park: impl Fn()) -> u64 {
        let s = &self.slots[place as usize];
        loop {
            let t = s
                .token
                .swap(crate::ring::EMPTY, std::sync::atomic::Ordering::AcqRel);
            if t != crate::ring::EMPTY {
                return t;
            }
            park();
        }
    }

    /// The life of unit `place` of `n`: takes each token, passes the next one on, and on
    /// [`crate::ring::STOP`] passes that on and returns its counts.
    pub(crate) fn unit(&self, place: u64, n: u64, park: impl Fn()) -> crate::ring::UnitCount {
        let mut c = crate::ring::UnitCount::default();
        loop {
            let t = self.wait(place, &park);
            if t == crate::ring::STOP {
                self.pass(place + 1, crate::ring::STOP);
                return c;
            }
            self.pass(place + 1, c.take(t, place, n));
        }
    }

    /// The measuring end's lap: hands `token` to unit 0 and waits until the last unit hands the
    /// token back.
    pub(crate) fn lap(&self, token: u64, n: u64, park: impl Fn()) -> u64 {
        self.pass(0, token);
        self.wait(n, park)
    }
}

/// The ring of units that park until their token arrives (threads, `may` coroutines), run by
/// the calling unit, `me`, which parks with `park` too: `spawn(slots, place, n)` starts unit
/// `place` (living [`Slots::unit`]) and returns its handle and waker, `join` waits for a unit's
/// end and takes its counts.
pub(crate) fn parked_ring<W: Wake, H>(
    plan: &RingPlan,
    me: W,
    park: fn(),
    mut spawn: impl FnMut(std::sync::Arc<Slots<W>>, u64, u64) -> Result<(H, W)>,
    mut join: impl FnMut(H) -> Result<crate::ring::UnitCount>,
) -> Result<RingSample> {
    use crate::ring::{RingMeter, STOP, Visits, rss};
    let n = plan.n;
    let mut meter = RingMeter::start(plan, rss()?)?;
    let slots: std::sync::Arc<Slots<W>> = std::sync::Arc::new(Slots::new(n));
    slots.set_waker(n, me);
    let mut hs = Vec::with_capacity(n as usize);
    let mut stop = None;
    for place in 0..n {
        match spawn(slots.clone(), place, n) {
            Ok((h, w)) => {
                slots.set_waker(place, w);
                hs.push(h);
            }
            Err(e) => {
                stop = Some((place, format!("{e:#} after {place} units")));
                break;
            }
        }
        if let Err(why) = meter.check(place + 1) {
            stop = Some((place + 1, why));
            break;
        }
    }
    if let Some((made, why)) = stop {
        // the stop token ends every unit made so far (the last one passes it to no one)
        slots.pass(0, STOP);
        for h in hs {
            join(h)?;
        }
        return Ok(meter.stopped(made, why));
    }
    let lap = |t: u64| -> Result<u64> { Ok(slots.lap(t, n, park)) };
    let token = lap(0)?;
    meter.made(rss()?)?;
    meter.time_laps(token, lap)?;
    slots.lap(STOP, n, park);
    let mut visits = Visits::default();
    for h in hs {
        visits.add(join(h)?);
    }
    Ok(meter.finish(visits))
}

/// What resuming a unit of a driven ring gave.
pub(crate) enum Resumed {
    /// It suspended with this token for the next unit.
    Yielded(u64),
    /// It returned (after the stop token) with its counts.
    Returned(crate::ring::UnitCount),
}

/// The ring of units the measuring end resumes in ring order (the coroutine rows): `make(place)`
/// makes unit `place` and runs it to its first suspension (an error stops the ring, with the
/// reason), `resume(unit, token)` resumes it with a token.
pub(crate) fn driven_ring<U>(
    plan: &RingPlan,
    mut make: impl FnMut(u64) -> Result<U>,
    mut resume: impl FnMut(&mut U, u64) -> Resumed,
) -> Result<RingSample> {
    use crate::ring::{RingMeter, STOP, Visits, rss};
    let n = plan.n;
    let mut meter = RingMeter::start(plan, rss()?)?;
    let mut units = Vec::with_capacity(n as usize);
    for place in 0..n {
        match make(place) {
            Ok(u) => units.push(u),
            Err(e) => return Ok(meter.stopped(place, format!("{e:#} after {place} units"))),
        }
        if let Err(why) = meter.check(place + 1) {
            return Ok(meter.stopped(place + 1, why));
        }
    }
    let mut lap = |mut t: u64| -> Result<u64> {
        for u in units.iter_mut() {
            t = match resume(u, t) {
                Resumed::Yielded(y) => y,
                Resumed::Returned(_) => bail!("a ring unit ended before the stop token"),
            };
        }
        Ok(t)
    };
    let token = lap(0)?;
    meter.made(rss()?)?;
    meter.time_laps(token, &mut lap)?;
    let mut visits = Visits::default();
    for mut u in units {
        match resume(&mut u, STOP) {
            Resumed::Returned(c) => visits.add(c),
            Resumed::Yielded(_) => bail!("a ring unit went on after the stop token"),
        }
    }
    Ok(meter.finish(visits))
}

/// What a unit made by [`create_parked`] and its creator share: the value it hands back at its
/// first suspension (0 until then) and whether it was resumed.
#[derive(Default)]
pub(crate) struct Handback {
    handed: std::sync::atomic::AtomicU64,
    resumed: std::sync::atomic::AtomicBool,
}

/// One creation of a unit that parks (a thread, a `may` coroutine), run to its end: `spawn(body)`
/// starts a unit running `body` and returns its handle and waker; the unit hands back `x + 1` and
/// suspends (parks) until resumed, the creator (`me`, parking with `park`) takes the value,
/// resumes it so that it returns, and `join`s it. Returns the value handed back.
pub(crate) fn create_parked<W: Wake + 'static, H>(
    x: u64,
    me: W,
    park: fn(),
    spawn: impl FnOnce(Body) -> Result<(H, W)>,
    join: impl FnOnce(H) -> Result<()>,
) -> Result<u64> {
    use std::sync::atomic::Ordering;
    let shared = std::sync::Arc::new(Handback::default());
    let s = shared.clone();
    let value = x.wrapping_add(1).max(1);
    let (h, unit) = spawn(Box::new(move || {
        s.handed.store(value, Ordering::Release);
        me.wake();
        // the first suspension: parked until resumed
        while !s.resumed.load(Ordering::Acquire) {
            park();
        }
    }))?;
    let mut handed = shared.handed.load(Ordering::Acquire);
    while handed == 0 {
        park();
        handed = shared.handed.load(Ordering::Acquire);
    }
    shared.resumed.store(true, Ordering::Release);
    unit.wake();
    join(h)?;
    Ok(handed)
}
