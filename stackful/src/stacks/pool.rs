//! A pool of coroutine stacks, reused so that creating a coroutine from a warm pool costs no
//! `mmap`/`munmap`, and the per-thread pool the scheduler's tasks take their stacks from.
//!
//! A [`StackPool`] keeps the stacks of finished coroutines and hands them to new ones, so creating
//! a coroutine from the pool costs no system call once the pool is warm. Tasks of
//! [`crate::scheduler`] take theirs from this thread's pool of [`TASK_STACK_SIZE`] stacks
//! ([`with_task_stacks`]): a task that finishes, panics or is killed gives its stack back (after
//! unwinding it), and the next task made on that thread reuses it. Tasks alive at the same time
//! still need a stack each, so a burst of 10,000 live tasks maps 10,000 stacks once; the pool
//! keeps up to [`TASK_POOL_MAX_IDLE`] of them for the next tasks.
//!
//! # What happens to the stack of a coroutine dropped while suspended
//!
//! `corosensei` only gives a stack back ([`Coroutine::into_stack`]) once the coroutine has finished.
//! A suspended coroutine can still be made to finish: [`Coroutine::force_unwind`] resumes it with
//! a private panic payload, so `suspend` unwinds and the destructors of every frame on the
//! coroutine's stack run, innermost first, up to the coroutine's root, where the payload is caught.
//! After that the coroutine counts as finished and its stack can be taken back.
//! [`StackPool::recycle`] does exactly that, so **a suspended coroutine's stack is recovered**.
//!
//! - A coroutine simply dropped (not recycled) is unwound the same way by `corosensei`'s `Drop`,
//!   then its stack is unmapped: nothing leaks, but the pool does not get the stack back.
//! - A coroutine passed to `std::mem::forget` keeps its stack mapped and never runs its
//!   destructors: a leak (safe, but LeakSanitizer reports it; `scripts/asan.sh` checks that).
//! - `Coroutine::force_reset` would mark a suspended coroutine finished *without* running its
//!   destructors; it is `unsafe` and this crate does not use it.
//! - If a destructor panics during the forced unwind, that is a panic during unwinding and the
//!   process aborts, as anywhere in Rust.
//!
//! # Example
//!
//! ```
//! use corosensei::CoroutineResult;
//! use stackful::stacks::{SMALL_STACK_SIZE, StackPool};
//!
//! let mut pool = StackPool::new(SMALL_STACK_SIZE);
//! for round in 0..3_u32 {
//!     let mut co = pool.coroutine(|yielder, start: u32| {
//!         yielder.suspend(start);
//!         start * 10
//!     })?;
//!     let first = co.resume(round);
//!     let last = co.resume(0);
//!     println!("round {round}: {first:?} then {last:?}");
//!     pool.recycle(co);
//! }
//! println!("stacks mapped: {}, idle in pool: {}", pool.stacks_allocated(), pool.idle());
//! # assert_eq!(pool.stacks_allocated(), 1);
//! # assert_eq!(pool.idle(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! prints
//!
//! ```text
//! round 0: Yield(0) then Return(0)
//! round 1: Yield(1) then Return(10)
//! round 2: Yield(2) then Return(20)
//! stacks mapped: 1, idle in pool: 1
//! ```

use std::cell::RefCell;
use std::io;

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, Yielder};

use super::sizes::{SMALL_STACK_SIZE, mapped_span};

/// How many idle stacks a [`StackPool`] made by [`StackPool::new`] keeps: 64.
///
/// Enough that a scheduler which finishes and starts coroutines in bursts of that many reuses all
/// of them; few enough that an idle pool of small stacks holds at most 4 MiB of address space.
/// Stacks given back beyond this are unmapped.
pub const DEFAULT_MAX_IDLE: usize = 64;

/// A pool of equally sized coroutine stacks, reused so that creating a coroutine from a warm pool
/// costs no `mmap`/`munmap`.
///
/// Take a coroutine with [`StackPool::coroutine`] (or a bare stack with [`StackPool::get`]); give
/// it back with [`StackPool::recycle`] (or [`StackPool::put`]). The pool is single-threaded
/// (`&mut self`); a `Coroutine` is not `Send` anyway.
///
/// A reused stack keeps the pages its earlier coroutines touched: that is what makes reuse cheap
/// (no page faults), and it means the pool's resident memory is the high-water mark of the
/// coroutines that ran on its stacks, up to [`StackPool::max_idle`] stacks.
pub struct StackPool {
    stack_size: usize,
    span: usize,
    max_idle: usize,
    idle: Vec<DefaultStack>,
    allocated: u64,
    reused: u64,
}

impl StackPool {
    /// A pool of stacks of at least `stack_size` usable bytes each, keeping up to
    /// [`DEFAULT_MAX_IDLE`] idle stacks.
    pub fn new(stack_size: usize) -> Self {
        Self::with_max_idle(stack_size, DEFAULT_MAX_IDLE)
    }

    /// A pool of stacks of at least `stack_size` usable bytes each, keeping up to `max_idle` idle
    /// stacks (0 makes a pool that never reuses: every stack is mapped afresh).
    pub fn with_max_idle(stack_size: usize, max_idle: usize) -> Self {
        Self {
            stack_size,
            span: mapped_span(stack_size),
            max_idle,
            idle: Vec::new(),
            allocated: 0,
            reused: 0,
        }
    }

    /// The usable size of this pool's stacks, as asked for in [`StackPool::new`].
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    /// How many idle stacks the pool keeps at most.
    pub fn max_idle(&self) -> usize {
        self.max_idle
    }

    /// How many idle stacks the pool holds now.
    pub fn idle(&self) -> usize {
        self.idle.len()
    }

    /// How many stacks this pool has mapped (`mmap`) since it was made: one per [`StackPool::get`]
    /// that found no idle stack.
    pub fn stacks_allocated(&self) -> u64 {
        self.allocated
    }

    /// How many times this pool has handed out an idle stack instead of mapping one: one per
    /// [`StackPool::get`] that found an idle stack.
    pub fn stacks_reused(&self) -> u64 {
        self.reused
    }

    /// A stack from the pool, or a freshly mapped one if the pool is empty.
    ///
    /// # Errors
    ///
    /// The `mmap` or `mprotect` error if a fresh stack cannot be mapped.
    pub fn get(&mut self) -> io::Result<DefaultStack> {
        if let Some(stack) = self.idle.pop() {
            self.reused += 1;
            return Ok(stack);
        }
        let stack = DefaultStack::new(self.stack_size).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("mapping a {}-byte coroutine stack: {e}", self.stack_size),
            )
        })?;
        self.allocated += 1;
        Ok(stack)
    }

    /// Unmaps every idle stack, giving their resident pages back to the system (the pool maps
    /// new ones as needed). For after a burst, when the pool holds far more than it will reuse.
    pub fn release_idle(&mut self) {
        self.idle = Vec::new();
    }

    /// Gives a stack back to the pool. A stack of another size than this pool's, or one beyond
    /// [`StackPool::max_idle`], is dropped (unmapped) instead.
    pub fn put(&mut self, stack: DefaultStack) {
        let span = stack.base().get() - stack.limit().get();
        if span == self.span && self.idle.len() < self.max_idle {
            self.idle.push(stack);
        }
    }

    /// Makes a coroutine running `body` on a stack from the pool.
    ///
    /// # Errors
    ///
    /// As [`StackPool::get`].
    pub fn coroutine<Input, Yield, Return, F>(
        &mut self,
        body: F,
    ) -> io::Result<Coroutine<Input, Yield, Return, DefaultStack>>
    where
        F: FnOnce(&Yielder<Input, Yield>, Input) -> Return + 'static,
        Input: 'static,
        Yield: 'static,
        Return: 'static,
    {
        Ok(Coroutine::with_stack(self.get()?, body))
    }

    /// Takes the stack back from a coroutine, whatever its state, and puts it in the pool.
    ///
    /// A coroutine that is suspended is first unwound with [`Coroutine::force_unwind`]: the
    /// destructors of everything on its stack run, exactly as when it is dropped. One that never
    /// started has its closure dropped. One that finished (returned or panicked) is taken as is.
    pub fn recycle<Input, Yield, Return>(
        &mut self,
        mut coroutine: Coroutine<Input, Yield, Return, DefaultStack>,
    ) {
        coroutine.force_unwind();
        self.put(coroutine.into_stack());
    }
}

impl std::fmt::Debug for StackPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackPool")
            .field("stack_size", &self.stack_size)
            .field("max_idle", &self.max_idle)
            .field("idle", &self.idle.len())
            .field("allocated", &self.allocated)
            .field("reused", &self.reused)
            .finish()
    }
}

impl Default for StackPool {
    /// A pool of [`SMALL_STACK_SIZE`] stacks.
    fn default() -> Self {
        Self::new(SMALL_STACK_SIZE)
    }
}

/// The usable stack of each scheduler task ([`Task`](crate::scheduler::Task)): [`SMALL_STACK_SIZE`] (64 KiB), plus one guard page.
///
/// The tasks here are shallow (a loop and a `format_args!`), but a task that panics runs the panic
/// hook and the unwinder on its own stack, and with `RUST_BACKTRACE` set the hook captures and
/// symbolises a backtrace there. In a debug build that overflowed a 16 KiB stack (SIGSEGV on the
/// guard page) and fitted in 32 KiB; 64 KiB keeps a margin of two, and the test
/// `a_backtrace_fits_on_a_task_stack` checks it. 10,000 live tasks then reserve about 680 MiB of
/// address space, of which only the pages a task touches use memory. (The 1 MiB thread-like
/// default would reserve 10 GiB for 10,000 tasks.)
pub const TASK_STACK_SIZE: usize = SMALL_STACK_SIZE;

/// How many idle stacks each thread's pool of task stacks keeps: 1,024.
///
/// Enough that a scheduler of up to 1,024 tasks alive at once, run again (as a benchmark does),
/// maps no stack the second time; an idle pool then holds at most 1,024 × 68 KiB = 68 MiB of
/// address space, of which only the pages earlier tasks touched are resident. Stacks given back
/// beyond this are unmapped.
pub const TASK_POOL_MAX_IDLE: usize = 1024;

thread_local! {
    /// The stacks of this thread's tasks. A [`Task`](crate::scheduler::Task) is not `Send` (its coroutine is not), so it
    /// is made and dropped on one thread and its stack comes back to the pool it came from.
    static TASK_STACKS: RefCell<StackPool> =
        RefCell::new(StackPool::with_max_idle(TASK_STACK_SIZE, TASK_POOL_MAX_IDLE));
}

/// Runs `f` on this thread's pool of task stacks: to read its counters
/// ([`StackPool::stacks_allocated`], [`StackPool::stacks_reused`], [`StackPool::idle`]), or to
/// replace it (say, by one keeping more idle stacks before a workload of many live tasks). Stacks
/// of another size than [`TASK_STACK_SIZE`] are not taken back. Tasks made or dropped inside `f`
/// bypass the pool (they map and unmap stacks of their own).
///
/// # Panics
/// If called from inside `f`, or from a thread-local destructor after the pool was dropped.
///
/// ```
/// use stackful::scheduler::Task;
/// use stackful::stacks::pool::with_task_stacks;
///
/// let before = with_task_stacks(|pool| pool.stacks_allocated());
/// for _ in 0..100 {
///     drop(Task::new(|_, _| {})); // made, never run, dropped: its stack goes back to the pool
/// }
/// assert!(with_task_stacks(|pool| pool.stacks_allocated()) - before <= 1);
/// ```
pub fn with_task_stacks<R>(f: impl FnOnce(&mut StackPool) -> R) -> R {
    TASK_STACKS.with_borrow_mut(f)
}

/// A stack for a new task: from this thread's pool, or freshly mapped if the pool is busy (a task
/// made inside [`with_task_stacks`]) or already gone (thread exit).
pub(crate) fn task_stack() -> io::Result<DefaultStack> {
    let pooled = TASK_STACKS.try_with(|pool| pool.try_borrow_mut().map(|mut pool| pool.get()));
    match pooled {
        Ok(Ok(stack)) => stack,
        Ok(Err(_)) | Err(_) => DefaultStack::new(TASK_STACK_SIZE),
    }
}

/// Gives the stack of a finished, panicked or killed task back to this thread's pool: a suspended
/// coroutine is unwound first (the destructors of everything on its stack run), outside the
/// pool's borrow, since those destructors may drop (or make) other tasks. If the pool is busy
/// (inside [`with_task_stacks`]) the coroutine is dropped and its stack unmapped; if the pool is
/// already gone (at thread exit), likewise.
pub(crate) fn give_back_task_stack<I, Y, R>(mut co: Coroutine<I, Y, R, DefaultStack>) {
    co.force_unwind();
    // The pool already gone (`Err`): the closure is dropped unrun, and `co` with it.
    let _ = TASK_STACKS.try_with(move |pool| match pool.try_borrow_mut() {
        Ok(mut pool) => pool.recycle(co),
        Err(_) => drop(co),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::{Scheduler, Task, kill_task, new_task, run_workload};
    use corosensei::CoroutineResult;

    /// A coroutine that yields `input + 1`, then returns `input + 2`.
    fn body(yielder: &Yielder<u64, u64>, input: u64) -> u64 {
        yielder.suspend(input + 1);
        input + 2
    }

    /// Makes a [`body`] coroutine on a stack from `pool`, runs it to its end and gives it back.
    fn run_one(pool: &mut StackPool) -> io::Result<()> {
        let mut co = pool.coroutine(body)?;
        assert_eq!(co.resume(1), CoroutineResult::Yield(2));
        assert_eq!(co.resume(0), CoroutineResult::Return(3));
        pool.recycle(co);
        Ok(())
    }

    #[test]
    fn sequential_coroutines_from_a_pool_map_one_stack() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        for _ in 0..100 {
            run_one(&mut pool)?;
        }
        assert_eq!(pool.stacks_allocated(), 1);
        assert_eq!(pool.stacks_reused(), 99);
        assert_eq!(pool.idle(), 1);
        Ok(())
    }

    #[test]
    fn a_pool_that_keeps_nothing_maps_every_time() -> io::Result<()> {
        let mut pool = StackPool::with_max_idle(SMALL_STACK_SIZE, 0);
        for _ in 0..10 {
            run_one(&mut pool)?;
        }
        assert_eq!(pool.stacks_allocated(), 10);
        assert_eq!(pool.stacks_reused(), 0);
        assert_eq!(pool.idle(), 0);
        Ok(())
    }

    #[test]
    fn live_coroutines_each_get_their_own_stack_and_all_come_back() -> io::Result<()> {
        let mut pool = StackPool::with_max_idle(SMALL_STACK_SIZE, 8);
        let mut live = Vec::new();
        for i in 0..10_u64 {
            let mut co = pool.coroutine(body)?;
            assert_eq!(co.resume(i), CoroutineResult::Yield(i + 1));
            live.push(co);
        }
        assert_eq!(pool.stacks_allocated(), 10);
        for co in live {
            pool.recycle(co); // suspended: unwound, then kept (up to max_idle)
        }
        assert_eq!(pool.idle(), 8);
        for _ in 0..8 {
            run_one(&mut pool)?;
        }
        assert_eq!(pool.stacks_allocated(), 10, "all 8 idle stacks reused");
        Ok(())
    }

    #[test]
    fn releasing_the_idle_stacks_empties_the_pool() -> io::Result<()> {
        let mut pool = StackPool::with_max_idle(SMALL_STACK_SIZE, 8);
        let stacks = (0..5).map(|_| pool.get()).collect::<io::Result<Vec<_>>>()?;
        for stack in stacks {
            pool.put(stack);
        }
        assert_eq!(pool.idle(), 5);
        pool.release_idle();
        assert_eq!(pool.idle(), 0);
        run_one(&mut pool)?;
        assert_eq!(
            pool.stacks_allocated(),
            6,
            "a stack mapped afresh after the release"
        );
        Ok(())
    }

    #[test]
    fn a_stack_of_another_size_is_not_pooled() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        pool.put(DefaultStack::new(super::super::DEEP_STACK_SIZE)?);
        assert_eq!(pool.idle(), 0);
        pool.put(DefaultStack::new(SMALL_STACK_SIZE)?);
        assert_eq!(pool.idle(), 1);
        Ok(())
    }

    #[test]
    fn a_pooled_stack_runs_a_second_coroutine_correctly() -> io::Result<()> {
        let mut pool = StackPool::default();
        let mut first = pool.coroutine(|y: &Yielder<(), u32>, ()| {
            let local = [7_u32; 100];
            y.suspend(local.iter().sum());
            1
        })?;
        assert_eq!(first.resume(()), CoroutineResult::Yield(700));
        pool.recycle(first);
        let mut second = pool.coroutine(|y: &Yielder<(), u32>, ()| {
            let local = [3_u32; 100];
            y.suspend(local.iter().sum());
            2
        })?;
        assert_eq!(second.resume(()), CoroutineResult::Yield(300));
        assert_eq!(second.resume(()), CoroutineResult::Return(2));
        assert_eq!(pool.stacks_allocated(), 1);
        Ok(())
    }

    #[test]
    fn a_backtrace_fits_on_a_task_stack() -> io::Result<()> {
        // What the panic hook does with RUST_BACKTRACE set: capture and symbolise, on the task's
        // own stack. Too small a TASK_STACK_SIZE kills this test with SIGSEGV.
        let mut sched = Scheduler::new();
        let con = sched.console();
        sched.spawn(Task::new(move |_, _| {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            con.println(format_args!(
                "captured {} frames",
                trace.lines().count() > 1
            ));
        }));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "captured true frames\nTask 1 terminated\n"
        );
        Ok(())
    }

    /// This thread's task-stack pool counters: (stacks mapped, stacks reused, idle stacks).
    fn pool_counters() -> (u64, u64, usize) {
        with_task_stacks(|pool| (pool.stacks_allocated(), pool.stacks_reused(), pool.idle()))
    }

    /// One task spawns 1,000 short children one after another; each child ends before the next
    /// is made: by returning, by being killed while suspended, or by panicking. Each gives its
    /// stack back, so 1,001 tasks need at most two mapped stacks (the parent's and one child's).
    #[test]
    fn finished_killed_and_panicked_tasks_give_their_stacks_back() -> io::Result<()> {
        let (mapped, reused, _) = pool_counters();
        let mut sched = Scheduler::new();
        sched.spawn(Task::new(|y, _| {
            for i in 0..1_000_u32 {
                let child = new_task(
                    y,
                    Task::new(move |y, _| {
                        y.suspend(None);
                        if i == 500 {
                            panic!("child {i} panics");
                        }
                        if i % 2 == 1 {
                            loop {
                                y.suspend(None); // waits to be killed
                            }
                        }
                    }),
                );
                if i % 2 == 1 {
                    kill_task(y, child);
                } else {
                    y.suspend(None); // the child returns or panics meanwhile
                }
            }
        }));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.matches(" terminated\n").count(), 1_000);
        assert_eq!(sched.panics().len(), 1);
        let (mapped_after, reused_after, _) = pool_counters();
        println!(
            "1,001 sequential tasks: {} stacks mapped, {} reused",
            mapped_after - mapped,
            reused_after - reused
        );
        assert!(
            mapped_after - mapped <= 2,
            "1,001 tasks mapped {} stacks",
            mapped_after - mapped
        );
        assert!(
            reused_after - reused >= 999,
            "only {} of 1,001 tasks got a pooled stack",
            reused_after - reused
        );
        Ok(())
    }

    /// All 1,000 tasks of a workload are alive at once, so the first run maps a stack for each;
    /// the pool keeps them all ([`TASK_POOL_MAX_IDLE`]), so a second run maps none.
    #[test]
    fn a_rerun_workload_maps_no_stack() {
        let n: u64 = 1000 * 2;
        let (mapped_before, _, _) = pool_counters();
        assert_eq!(run_workload(1000, 2), n * (n + 1) / 2);
        let (mapped, reused, idle) = pool_counters();
        assert!(idle >= 1000, "{idle} stacks kept");
        assert_eq!(run_workload(1000, 2), n * (n + 1) / 2);
        let (mapped_again, reused_again, _) = pool_counters();
        println!(
            "1,000 live tasks: first run mapped {} stacks, rerun mapped {} and reused {}",
            mapped - mapped_before,
            mapped_again - mapped,
            reused_again - reused
        );
        assert_eq!(mapped_again, mapped, "the rerun mapped stacks");
        assert_eq!(reused_again - reused, 1000);
    }
}
