//! Rows `async-task`, `async-task-mt` and `async-joined`: the stackless coroutines most Rust code
//! runs on, `async` blocks driven by tokio.
//!
//! - `async-task`: each unit is a task made with `tokio::spawn` on a current-thread runtime (every
//!   task on the one thread that drives the runtime);
//! - `async-task-mt`: the same on a multi-thread runtime with one worker per core;
//! - `async-joined`: each unit is a future polled inside one task (`FuturesUnordered`, what
//!   `join_all` uses for more than 30 futures), never spawned: no task of its own, so no task
//!   header, no scheduler queue and no `JoinHandle`; a unit runs only when the task that holds it
//!   polls it.
//!
//! Round trips go through a pair of `tokio::sync::mpsc` channels of capacity 1, each reply the
//! next request. Memory is the change in this process's `VmRSS` / `VmSize` while the units wait
//! on a shared `tokio::sync::Notify`, with the object (`size_of` the handle plus the heap per unit:
//! the task's allocation, or the set's node) and `size_of` the unit's future beside it.
//! Creation spawns (or pushes) a unit that awaits a `oneshot`, lets it run to that first
//! suspension, resumes it with a value so that it completes, and awaits its end (completed, not
//! aborted: every row's unit is run to its end, the same work in all of them).

use super::{
    Body, HeldBy, MARK, MemReading, Style, cores, managed_sample, ns_since, preempt_sample,
    preempt_threaded, spin_for, tasks_now,
};
use crate::placement::{CpuCheck, Ends, Placement};
use crate::ring::{EMPTY, RingMeter, RingPlan, RingSample, STOP, UnitCount, Visits, rss};
use crate::samples::{ManagedSample, MemSample, PreemptSample, Scheduler};
use crate::sys::gettid;
use crate::timing::{Plan, Timer, TimingSample, mono_ns};
use crate::work::cpu_work;
use anyhow::{Context, Result, anyhow, bail};
use common::affinity;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::sync::{Notify, mpsc, oneshot};

/// Chunks a CPU-bound unit splits its work into, yielding between them.
pub const CHUNKS: u64 = 16;

/// Tasks spawned on tokio's current-thread runtime.
#[derive(Debug)]
pub struct AsyncTask;

/// Tasks spawned on tokio's multi-thread runtime, one worker per core.
#[derive(Debug)]
pub struct AsyncTaskMt;

/// Futures polled inside one task (`FuturesUnordered`), never spawned.
#[derive(Debug)]
pub struct AsyncJoined;

/// Which tokio runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `Builder::new_current_thread`.
    CurrentThread,
    /// `Builder::new_multi_thread`, one worker per core.
    MultiThread,
}

/// A tokio runtime that runs whatever is given to it, driven by its own thread (current-thread)
/// or its workers (multi-thread), while the calling thread waits for the results. Threads it
/// starts inherit the caller's CPU pin, unless `worker_cpus` pins each worker to its own CPU.
pub struct Running {
    rt: Option<Runtime>,
    handle: Handle,
    stop: Arc<Notify>,
    driver: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Starts a runtime of `flavor`; a multi-thread one has `workers` workers, worker `i` pinned to
    /// `worker_cpus[i % len]` when that is not empty.
    pub fn start(flavor: Flavor, workers: usize, worker_cpus: &[usize]) -> Result<Running> {
        let stop = Arc::new(Notify::new());
        let (rt, handle, driver) = match flavor {
            Flavor::CurrentThread => {
                let rt = Builder::new_current_thread()
                    .build()
                    .context("building a current-thread runtime")?;
                let handle = rt.handle().clone();
                let s = stop.clone();
                // only Runtime::block_on runs a current-thread runtime's tasks: its thread owns it
                let driver = std::thread::Builder::new()
                    .name("tokio-current".into())
                    .spawn(move || rt.block_on(s.notified()))
                    .context("starting the runtime's thread")?;
                (None, handle, Some(driver))
            }
            Flavor::MultiThread => {
                let cpus = worker_cpus.to_vec();
                let next = Arc::new(AtomicUsize::new(0));
                let rt = Builder::new_multi_thread()
                    .worker_threads(workers.max(1))
                    .on_thread_start(move || {
                        if !cpus.is_empty() {
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            // a worker that cannot be pinned stays where it is; the round trips
                            // check where their ends ran
                            let _ = affinity::set_current_thread_cpu(cpus[i % cpus.len()]);
                        }
                    })
                    .build()
                    .context("building a multi-thread runtime")?;
                let handle = rt.handle().clone();
                (Some(rt), handle, None)
            }
        };
        Ok(Running {
            rt,
            handle,
            stop,
            driver,
        })
    }

    /// Spawns `f` as a task; its output arrives on the returned channel (which closes without
    /// it if the task panicked).
    pub fn spawn<T: Send + 'static>(
        &self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> std_mpsc::Receiver<T> {
        let (tx, rx) = std_mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(f.await);
        });
        rx
    }

    /// Runs `f` as a task and waits for its output.
    pub fn run<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> Result<T> {
        self.spawn(f)
            .recv()
            .map_err(|_| anyhow!("a measured task panicked"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(d) = self.driver.take() {
            let _ = d.join();
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// Worker threads of the multi-thread runtime: one per core.
fn mt_workers() -> usize {
    cores()
}

fn start(flavor: Flavor) -> Result<Running> {
    Running::start(flavor, mt_workers(), &[])
}

/// A unit held for the memory and managed-by-OS experiments: registers with `release`, counts
/// itself in `polled` (its first poll is done), and waits to be released.
async fn held(release: Arc<Notify>, polled: Arc<AtomicUsize>, report: fn() -> i64) -> i64 {
    let notified = release.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    let r = report();
    polled.fetch_add(1, Ordering::SeqCst);
    notified.await;
    r
}

fn zero() -> i64 {
    0
}

/// `size_of` a held unit's future.
fn held_size() -> usize {
    std::mem::size_of_val(&held(
        Arc::new(Notify::new()),
        Arc::new(AtomicUsize::new(0)),
        zero,
    ))
}

/// Yields until `polled` reaches `count`: every unit ran to its first suspension.
async fn until_polled(polled: &AtomicUsize, count: usize) {
    while polled.load(Ordering::SeqCst) < count {
        tokio::task::yield_now().await;
    }
}

/// Inside a task: spawns `count` held units, takes the readings while all of them wait, releases
/// them; the units' reports and the readings.
async fn spawned_held<R>(
    count: usize,
    report: fn() -> i64,
    read: fn() -> Result<R>,
) -> Result<(R, R, Vec<i64>)> {
    let release = Arc::new(Notify::new());
    let polled = Arc::new(AtomicUsize::new(0));
    let mut hs: Vec<Option<tokio::task::JoinHandle<i64>>> = (0..count).map(|_| None).collect();
    let before = read()?;
    for slot in hs.iter_mut() {
        *slot = Some(tokio::spawn(held(release.clone(), polled.clone(), report)));
    }
    until_polled(&polled, count).await;
    let during = read();
    release.notify_waiters();
    let mut reports = Vec::with_capacity(count);
    for h in hs.into_iter().flatten() {
        reports.push(h.await.context("a held task panicked")?);
    }
    Ok((before, during?, reports))
}

/// Polls `set` once (each of its ready futures once), inside the task that holds it.
async fn poll_once<F: Future>(set: &mut FuturesUnordered<F>) -> Option<F::Output> {
    std::future::poll_fn(|cx| match set.poll_next_unpin(cx) {
        Poll::Ready(Some(out)) => Poll::Ready(Some(out)),
        _ => Poll::Ready(None),
    })
    .await
}

/// The same as [`spawned_held`] with the units as futures of one `FuturesUnordered`, polled by
/// the calling task.
async fn joined_held<R>(
    count: usize,
    report: fn() -> i64,
    read: fn() -> Result<R>,
) -> Result<(R, R, Vec<i64>)> {
    let release = Arc::new(Notify::new());
    let polled = Arc::new(AtomicUsize::new(0));
    let mut set = FuturesUnordered::new();
    let before = read()?;
    for _ in 0..count {
        set.push(held(release.clone(), polled.clone(), report));
    }
    while polled.load(Ordering::SeqCst) < count {
        if poll_once(&mut set).await.is_some() {
            bail!("a held unit ended before it was released");
        }
    }
    let during = read();
    release.notify_waiters();
    let mut reports = Vec::with_capacity(count);
    while let Some(r) = set.next().await {
        reports.push(r);
    }
    Ok((before, during?, reports))
}

/// A round trip's echo end: answers each value plus one, with the CPU it ran on.
async fn echo(mut to: mpsc::Receiver<u32>, back: mpsc::Sender<(u32, Option<usize>)>) {
    while let Some(v) = to.recv().await {
        if back
            .send((v.wrapping_add(1), affinity::current_cpu()))
            .await
            .is_err()
        {
            break;
        }
    }
}

/// A round trip's timing end: sends a value, awaits the answer, feeds it into the next request.
async fn ping(
    plan: Plan,
    to: mpsc::Sender<u32>,
    mut back: mpsc::Receiver<(u32, Option<usize>)>,
) -> Result<TimingSample> {
    let mut x = 0u32;
    let mut check = CpuCheck::default();
    let mut timer = Timer::new(&plan)?;
    while let Some(n) = timer.batch()? {
        for _ in 0..n {
            to.send(x).await.map_err(|e| anyhow!("ping: {e}"))?;
            let (y, there) = back.recv().await.context("pong: the echo ended")?;
            check.record(affinity::current_cpu(), there.map(|c| c as u32));
            x = y;
        }
    }
    drop(to);
    Ok(TimingSample {
        ends_on_different_cpus: check.share_apart(),
        ..timer.finish()?
    })
}

/// Round trips between two spawned tasks.
async fn spawned_round_trips(plan: Plan) -> Result<TimingSample> {
    let (to_tx, to_rx) = mpsc::channel(1);
    let (back_tx, back_rx) = mpsc::channel(1);
    let e = tokio::spawn(echo(to_rx, back_tx));
    let timed = tokio::spawn(ping(plan, to_tx, back_rx))
        .await
        .context("the timing task panicked")?;
    e.await.context("the echo task panicked")?;
    timed
}

/// Round trips between two futures joined in one task.
async fn joined_round_trips(plan: Plan) -> Result<TimingSample> {
    let (to_tx, to_rx) = mpsc::channel(1);
    let (back_tx, back_rx) = mpsc::channel(1);
    let (timed, ()) = tokio::join!(ping(plan, to_tx, back_rx), echo(to_rx, back_tx));
    timed
}

/// The unit of the creation figures: suspends awaiting a value (its first suspension) and
/// returns it.
async fn once(resume: oneshot::Receiver<u64>) -> u64 {
    resume.await.unwrap_or(0)
}

/// Spawns [`once`], lets it run to its first suspension, resumes it with `x + 1` and awaits its
/// end, `plan`'s number of times.
async fn spawned_create(plan: Plan) -> Result<TimingSample> {
    let mut x = 1u64;
    let mut timer = Timer::new(&plan)?;
    while let Some(n) = timer.batch()? {
        for _ in 0..n {
            let (tx, rx) = oneshot::channel();
            let h = tokio::spawn(once(rx));
            // lets the new task run to its first suspension
            tokio::task::yield_now().await;
            let _ = tx.send(x.wrapping_add(1));
            x = h.await.context("a created task panicked")?;
        }
    }
    timer.finish()
}

/// The same with each unit pushed into a set of futures the timing task polls.
async fn joined_create(plan: Plan) -> Result<TimingSample> {
    let mut x = 1u64;
    let mut set = FuturesUnordered::new();
    let mut timer = Timer::new(&plan)?;
    while let Some(n) = timer.batch()? {
        for _ in 0..n {
            let (tx, rx) = oneshot::channel();
            set.push(once(rx));
            // runs the new future to its first suspension
            if poll_once(&mut set).await.is_some() {
                bail!("the unit completed before suspending");
            }
            let _ = tx.send(x.wrapping_add(1));
            x = set.next().await.context("the unit vanished")?;
        }
    }
    timer.finish()
}

/// The managed-by-OS experiment: `units` held units on a fresh runtime, the process's kernel
/// tasks counted (after the runtime started) before and while they wait.
fn managed_of(flavor: Flavor, units: usize, joined: bool) -> Result<ManagedSample> {
    let rt = start(flavor)?;
    let (creator, (before, during, tids)) = rt.run(async move {
        let r = if joined {
            joined_held(units, gettid, tasks_now).await
        } else {
            spawned_held(units, gettid, tasks_now).await
        };
        r.map(|r| (gettid(), r))
    })??;
    Ok(managed_sample(&before, &during, creator, tids))
}

/// The address-space experiment: a task stores `written` in [`MARK`].
fn address_of(flavor: Flavor, written: u64) -> Result<u64> {
    let rt = start(flavor)?;
    MARK.store(0, Ordering::SeqCst);
    rt.run(async move { MARK.store(written, Ordering::SeqCst) })?;
    Ok(MARK.load(Ordering::SeqCst))
}

/// The pre-emption experiment with every unit a spawned task: one spinner per worker, then a
/// probe task made runnable from outside the runtime.
fn preempt_spawned(flavor: Flavor, spin: Duration) -> Result<PreemptSample> {
    let rt = start(flavor)?;
    let workers = match flavor {
        Flavor::CurrentThread => 1,
        Flavor::MultiThread => mt_workers(),
    };
    preempt_threaded(
        spin,
        workers,
        |_, body: Body| Ok(rt.spawn(async move { body() })),
        |rx| rx.recv().map_err(|_| anyhow!("a measured task panicked")),
    )
}

/// The parallelism experiment with every unit a spawned task.
fn cpu_spawned(flavor: Flavor, units: usize, iters: u64) -> Result<(f64, f64)> {
    let rt = start(flavor)?;
    let cpu = crate::work::process_cpu_ns();
    let t = Instant::now();
    let rxs: Vec<_> = (0..units)
        .map(|_| rt.spawn(async move { cpu_work(iters) }))
        .collect();
    for rx in rxs {
        rx.recv().map_err(|_| anyhow!("a measured task panicked"))?;
    }
    Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
}

/// Memory of `count` held units, in this process.
fn memory_of(flavor: Flavor, count: usize, joined: bool) -> Result<MemSample> {
    let rt = start(flavor)?;
    let (before, during, _) = rt.run(async move {
        if joined {
            joined_held(count, zero, MemReading::now).await
        } else {
            spawned_held(count, zero, MemReading::now).await
        }
    })??;
    let handle = if joined {
        0
    } else {
        std::mem::size_of::<tokio::task::JoinHandle<i64>>()
    };
    Ok(MemSample {
        size_of_bytes: Some(held_size() as f64),
        ..before.per_unit(&during, count, Some(handle), HeldBy::AnyThread)
    })
}

/// One place of an async ring: its token (or [`EMPTY`]) and the `Notify` its unit waits on.
struct AsyncSlot {
    token: AtomicU64,
    notify: Notify,
}

/// The places of an async ring of `n` units, plus one (the last) for the measuring end.
struct AsyncSlots(Vec<AsyncSlot>);

impl AsyncSlots {
    fn new(n: u64) -> AsyncSlots {
        AsyncSlots(
            (0..=n)
                .map(|_| AsyncSlot {
                    token: AtomicU64::new(EMPTY),
                    notify: Notify::new(),
                })
                .collect(),
        )
    }

    /// Puts `token` in `place` and wakes its unit (or leaves it a permit, if it is not waiting).
    fn pass(&self, place: u64, token: u64) {
        let s = &self.0[place as usize];
        s.token.store(token, Ordering::Release);
        s.notify.notify_one();
    }

    /// Waits until `place` holds a token, and takes it.
    async fn wait(&self, place: u64) -> u64 {
        let s = &self.0[place as usize];
        loop {
            let t = s.token.swap(EMPTY, Ordering::AcqRel);
            if t != EMPTY {
                return t;
            }
            s.notify.notified().await;
        }
    }

    /// The measuring end's lap.
    async fn lap(&self, token: u64, n: u64) -> u64 {
        self.pass(0, token);
        self.wait(n).await
    }
}

/// A unit of an async ring: takes each token, passes the next one on, and on [`STOP`] passes
/// that on and returns its counts.
async fn ring_unit(slots: Arc<AsyncSlots>, place: u64, n: u64) -> UnitCount {
    let mut c = UnitCount::default();
    loop {
        let t = slots.wait(place).await;
        if t == STOP {
            slots.pass(place + 1, STOP);
            return c;
        }
        slots.pass(place + 1, c.take(t, place, n));
    }
}

/// The measuring end's timed laps (see [`RingMeter::time_laps`]).
async fn time_async_laps(meter: &mut RingMeter, slots: &AsyncSlots, mut token: u64) -> Result<u64> {
    let n = meter.plan().n;
    for _ in 0..meter.plan().reps.max(1) {
        let mut rep = meter.rep();
        while rep.another() {
            token = slots.lap(token, n).await;
        }
        meter.rep_done(rep);
    }
    meter.timed_done()?;
    Ok(token)
}

/// The ring with every unit a spawned task, inside the measuring task.
async fn spawned_ring(plan: RingPlan) -> Result<RingSample> {
    let n = plan.n;
    let mut meter = RingMeter::start(&plan, rss()?)?;
    let slots = Arc::new(AsyncSlots::new(n));
    let mut hs = Vec::with_capacity(n as usize);
    for place in 0..n {
        hs.push(tokio::spawn(ring_unit(slots.clone(), place, n)));
        if let Err(why) = meter.check(place + 1) {
            slots.pass(0, STOP);
            for h in hs {
                h.await.context("a ring task panicked")?;
            }
            return Ok(meter.stopped(place + 1, why));
        }
    }
    let token = slots.lap(0, n).await;
    meter.made(rss()?)?;
    time_async_laps(&mut meter, &slots, token).await?;
    slots.lap(STOP, n).await;
    let mut visits = Visits::default();
    for h in hs {
        visits.add(h.await.context("a ring task panicked")?);
    }
    Ok(meter.finish(visits))
}

/// The ring with every unit a future of one `FuturesUnordered`, polled by the measuring task
/// alongside its own laps.
async fn joined_ring(plan: RingPlan) -> Result<RingSample> {
    let n = plan.n;
    let mut meter = RingMeter::start(&plan, rss()?)?;
    let slots = Arc::new(AsyncSlots::new(n));
    let mut set = FuturesUnordered::new();
    for place in 0..n {
        set.push(ring_unit(slots.clone(), place, n));
        if let Err(why) = meter.check(place + 1) {
            slots.pass(0, STOP);
            while set.next().await.is_some() {}
            return Ok(meter.stopped(place + 1, why));
        }
    }
    let driver = async {
        let token = slots.lap(0, n).await;
        meter.made(rss()?)?;
        time_async_laps(&mut meter, &slots, token).await?;
        slots.lap(STOP, n).await;
        Ok::<(), anyhow::Error>(())
    };
    let units = async {
        let mut visits = Visits::default();
        while let Some(c) = set.next().await {
            visits.add(c);
        }
        visits
    };
    let (driven, visits) = tokio::join!(driver, units);
    driven?;
    Ok(meter.finish(visits))
}

/// Where the round trips of a spawned row run: a runtime whose threads inherit the caller's pin
/// (one CPU, or none), or, across CPUs, a multi-thread runtime with worker `i` pinned to the
/// `i`-th of the two CPUs.
fn round_trip_runtime(flavor: Flavor, ends: Ends) -> Result<Running> {
    match (ends.caller, ends.other) {
        (Some(a), Some(b)) if a != b => Running::start(flavor, mt_workers(), &[a, b]),
        _ => start(flavor),
    }
}

/// The experiments every spawned-task row runs the same way, on a runtime of `$flavor`.
macro_rules! spawned_experiments {
    ($flavor:expr) => {
        fn scheduler() -> Scheduler {
            Scheduler::Runtime
        }

        fn memory(count: usize) -> Result<MemSample> {
            memory_of($flavor, count, false)
        }

        fn create(plan: &Plan) -> Result<TimingSample> {
            start($flavor)?.run(spawned_create(*plan))?
        }

        fn switch(plan: &Plan, ends: Ends) -> Result<TimingSample> {
            round_trip_runtime($flavor, ends)?.run(spawned_round_trips(*plan))?
        }

        fn ring(plan: &RingPlan) -> Result<RingSample> {
            start($flavor)?.run(spawned_ring(*plan))?
        }

        fn managed(units: usize) -> Result<ManagedSample> {
            managed_of($flavor, units, false)
        }

        fn address(written: u64) -> Result<u64> {
            address_of($flavor, written)
        }

        fn preempt(spin: Duration) -> Result<PreemptSample> {
            preempt_spawned($flavor, spin)
        }

        fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
            cpu_spawned($flavor, units, iters)
        }
    };
}

impl Style for AsyncTask {
    spawned_experiments!(Flavor::CurrentThread);

    fn workers() -> usize {
        1
    }

    fn unplaceable(placement: Placement) -> Option<&'static str> {
        (placement == Placement::CrossCpu).then_some(
            "a current-thread runtime runs every task on the one thread that drives it, so the two ends of a round trip are always on one CPU",
        )
    }
}

impl Style for AsyncTaskMt {
    spawned_experiments!(Flavor::MultiThread);

    fn workers() -> usize {
        mt_workers()
    }
}

/// A joined unit for the pre-emption and parallelism experiments.
type Joined<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs `units` to their ends, all in one set polled by one task.
async fn join_all<T>(units: Vec<Joined<T>>) -> Vec<T> {
    let mut set: FuturesUnordered<Joined<T>> = units.into_iter().collect();
    let mut out = Vec::new();
    while let Some(x) = set.next().await {
        out.push(x);
    }
    out
}

impl Style for AsyncJoined {
    fn scheduler() -> Scheduler {
        Scheduler::CallerThread
    }

    fn memory(count: usize) -> Result<MemSample> {
        memory_of(Flavor::CurrentThread, count, true)
    }

    fn create(plan: &Plan) -> Result<TimingSample> {
        let plan = *plan;
        start(Flavor::CurrentThread)?.run(joined_create(plan))?
    }

    fn switch(plan: &Plan, _ends: Ends) -> Result<TimingSample> {
        let plan = *plan;
        start(Flavor::CurrentThread)?.run(joined_round_trips(plan))?
    }

    fn ring(plan: &RingPlan) -> Result<RingSample> {
        start(Flavor::CurrentThread)?.run(joined_ring(*plan))?
    }

    fn managed(units: usize) -> Result<ManagedSample> {
        managed_of(Flavor::CurrentThread, units, true)
    }

    fn address(written: u64) -> Result<u64> {
        address_of(Flavor::CurrentThread, written)
    }

    fn preempt(spin: Duration) -> Result<PreemptSample> {
        // the spinner first, the probe queued behind it in the same set
        let times = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
        let (t1, t2) = (times.clone(), times.clone());
        let spinner: Joined<()> = Box::pin(async move {
            let mut start = 0;
            let end = spin_for(spin, |s| start = s);
            if let Ok(mut t) = t1.lock() {
                *t = (start, end, t.2);
            }
        });
        let probe: Joined<()> = Box::pin(async move {
            if let Ok(mut t) = t2.lock() {
                t.2 = mono_ns();
            }
        });
        start(Flavor::CurrentThread)?.run(join_all(vec![spinner, probe]))?;
        let (start, end, ran) = *times.lock().map_err(|_| anyhow!("a unit panicked"))?;
        preempt_sample(spin, 1, &[start], &[end], start, ran)
    }

    fn cpu_units(units: usize, iters: u64) -> Result<(f64, f64)> {
        let rt = start(Flavor::CurrentThread)?;
        let cpu = crate::work::process_cpu_ns();
        let t = Instant::now();
        let us: Vec<Joined<u64>> = (0..units)
            .map(|_| {
                Box::pin(async move {
                    let mut acc = 0u64;
                    for _ in 0..CHUNKS {
                        acc ^= cpu_work(iters / CHUNKS);
                        tokio::task::yield_now().await;
                    }
                    acc
                }) as Joined<u64>
            })
            .collect();
        rt.run(join_all(us))?;
        Ok((ns_since(t), crate::work::process_cpu_ns() - cpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_task_runs_to_its_first_suspension_before_it_is_resumed() {
        let rt = start(Flavor::CurrentThread).unwrap();
        let first_poll = rt
            .run(async {
                let polled = Arc::new(AtomicUsize::new(0));
                let p = polled.clone();
                let (tx, rx) = oneshot::channel::<u64>();
                let h = tokio::spawn(async move {
                    p.fetch_add(1, Ordering::SeqCst);
                    rx.await.unwrap_or(0)
                });
                tokio::task::yield_now().await;
                let seen = polled.load(Ordering::SeqCst);
                tx.send(7).unwrap();
                (seen, h.await.unwrap())
            })
            .unwrap();
        assert_eq!(first_poll, (1, 7));
    }
}
