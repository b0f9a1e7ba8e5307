//! A pool of coroutine stacks that follows the load: it keeps as many idle stacks as were recently
//! alive at once, gives the memory of the ones that stay idle back to the kernel, and lets go of
//! them in halves; and the per-thread pools the scheduler's tasks and the pipeline's stages take
//! their stacks from.
//!
//! A [`StackPool`] hands out [`CoroutineStack`]s. A stack remembers its pool, and dropping it (or
//! the coroutine that owns it) gives it back: no `mmap`, `mprotect` or `munmap` once the pool is
//! warm. Stacks are mapped many at a time (one `mmap` for a chunk, [`mapping`](super::mapping)),
//! each with a guard page at its low end.
//!
//! # The policy
//!
//! - **Keep up to the high-water mark.** A stack given back is kept if the pool holds fewer idle
//!   stacks than the most that were alive at once since the last trim (and fewer than
//!   [`StackPool::max_idle`], unlimited unless set). A burst of 10,000 live coroutines leaves
//!   10,000 idle stacks, so running the burst again maps nothing.
//! - **Trim what stayed idle.** [`StackPool::trim`] looks at the idle stacks that no one took
//!   since the last trim (the pool is a stack of stacks, so they are the bottom ones): it unmaps
//!   half of them (rounded up) and gives the pages of the other half back to the kernel
//!   ([`PageRelease`], `MADV_DONTNEED` by default), so they hold address space, not memory. The
//!   high-water mark becomes what is left. The scheduler trims this thread's task pool when a
//!   `mainloop` ends, the pipeline its stage pool when a count ends: a pool is halved by every
//!   run that did not need it, and a stack idle through two runs holds no memory.
//! - Idle stacks that were taken during the period keep their pages: they are the ones the next
//!   run will use, and a page given back would cost a page fault (about 0.5 µs) on the next touch.
//!
//! # What happens to the stack of a coroutine dropped while suspended
//!
//! `corosensei`'s `Drop` for a suspended coroutine unwinds it ([`Coroutine::force_unwind`]: the
//! destructors of every frame on its stack run, innermost first) and then drops its stack, which
//! comes back to its pool here. So **a suspended coroutine's stack is recovered** whether the
//! coroutine is dropped or passed to [`StackPool::recycle`].
//!
//! - A coroutine passed to `std::mem::forget` keeps its stack and never runs its destructors: a
//!   leak (safe, but LeakSanitizer reports it; `scripts/asan.sh` checks that).
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
//!     drop(co); // the stack goes back to the pool
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
use std::collections::HashMap;
use std::io;
use std::rc::Rc;

use corosensei::stack::{Stack, StackPointer};
use corosensei::{Coroutine, Yielder};

use super::mapping::{PageRelease, Region, map_stacks};
use super::sizes::{SMALL_STACK_SIZE, page_size};

/// Most stacks mapped by one `mmap`: a pool maps 1, 2, 4, ... stacks at a time up to this many.
pub const MAX_STACKS_PER_MAPPING: usize = 64;

/// A coroutine stack: the usable part of a span of a mapping, with a guard page below it. Dropped,
/// it goes back to the [`StackPool`] it came from (a stack made by [`CoroutineStack::new`] comes
/// from a pool of its own that keeps nothing, so it is unmapped).
///
/// It is two words, the top of the stack and its pool, so a coroutine is created and dropped
/// without copying a larger record through memory; the mapping itself (its guard page, its
/// registration with Valgrind) belongs to the pool, which unmaps it only while no `CoroutineStack`
/// holds it.
///
/// ```
/// use corosensei::Coroutine;
/// use stackful::stacks::{CoroutineStack, SMALL_STACK_SIZE};
///
/// let stack = CoroutineStack::new(SMALL_STACK_SIZE)?; // a fresh stack, unmapped when dropped
/// let mut co = Coroutine::with_stack(stack, |_: &corosensei::Yielder<u32, ()>, x: u32| x + 1);
/// assert_eq!(co.resume(1).as_return(), Some(2));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CoroutineStack {
    /// One past the highest usable byte: the top of the stack, where its frames start.
    top: usize,
    /// The pool that owns the mapping and takes the stack back.
    pool: Rc<Pool>,
}

impl CoroutineStack {
    /// A fresh stack of at least `size` usable bytes, in a mapping of its own, unmapped when
    /// dropped.
    ///
    /// # Errors
    /// The `mmap` error, or the error installing the guard page.
    pub fn new(size: usize) -> io::Result<Self> {
        StackPool::with_max_idle(size, 0).get()
    }

    /// The lowest usable address: everything in `[usable_low, base)` may be written, the page
    /// below is the guard page.
    pub fn usable_low(&self) -> usize {
        self.low() + page_size()
    }

    /// The lowest address of the span, the start of its guard page (corosensei's `limit`).
    fn low(&self) -> usize {
        self.top - self.pool.span
    }
}

impl std::fmt::Debug for CoroutineStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoroutineStack")
            .field("low", &self.low())
            .field("top", &self.top)
            .finish()
    }
}

// SAFETY: `[limit, base)` is a span of a mapping that the stack's pool owns (`PoolState::regions`)
// and hands to one `CoroutineStack` at a time (a span is either idle in the pool or lent, never
// both); the pool unmaps only idle spans, and the `Rc` this stack holds keeps the pool, and so the
// mapping, alive until the stack is dropped. The span is read-write except its lowest page, a
// guard page (no access: `map_stacks`), so an overflow faults; it is at least one usable page
// plus the guard (`stack_span`), and both ends are page-aligned, so aligned to `STACK_ALIGNMENT`.
// Tested by `tests::every_stack_handed_out_has_its_guard_page` and `tests/overflow.rs`.
unsafe impl Stack for CoroutineStack {
    #[inline]
    fn base(&self) -> StackPointer {
        // A mapping never ends at address 0.
        StackPointer::new(self.top).unwrap_or(StackPointer::MAX)
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.low()).unwrap_or(StackPointer::MIN)
    }
}

impl Drop for CoroutineStack {
    #[inline]
    fn drop(&mut self) {
        let low = self.low();
        // The state is borrowed only inside the pool's own methods, which never drop a stack: if
        // it were, the span would stay mapped (it is still in `regions`) until the pool is gone.
        if let Ok(mut state) = self.pool.state.try_borrow_mut() {
            state.put(low);
        }
    }
}

/// The span (usable part plus guard page) of a stack of `size` usable bytes: `size` rounded up to
/// whole pages (at least one), plus one page. The same as `DefaultStack::new(size)` maps.
fn stack_span(size: usize) -> usize {
    super::sizes::mapped_span(size)
}

/// What a pool and every stack it lent share: the span of a stack, fixed when the pool is made
/// (read on the hot path without borrowing the state), and the state.
struct Pool {
    span: usize,
    state: RefCell<PoolState>,
}

/// The pool's state, shared by the pool and every stack it handed out.
#[derive(Debug)]
struct PoolState {
    span: usize,
    stack_size: usize,
    max_idle: usize,
    release: PageRelease,
    /// Every span the pool has mapped and not unmapped, idle or lent, by its low address: the
    /// owner of the mapping. Only the cold paths (mapping, unmapping, trimming) look in it.
    regions: HashMap<usize, Region>,
    /// The low addresses of the idle stacks, most recently given back last: the bottom ones are
    /// the coldest.
    idle: Vec<usize>,
    /// Stacks handed out and not given back.
    live: usize,
    /// The most stacks alive at once since the last trim (after a trim: the stacks left).
    high_water: usize,
    /// The fewest idle stacks since the last trim: `idle[..idle_floor]` were not taken since.
    idle_floor: usize,
    /// `idle[..released]` have had their pages given back.
    released: usize,
    /// Stacks the next `mmap` maps.
    next_chunk: usize,
    allocated: u64,
    reused: u64,
    unmapped: u64,
}

impl PoolState {
    /// A stack for a coroutine (its low address): the most recently given back idle one, or a
    /// freshly mapped one.
    #[inline]
    fn get(&mut self) -> io::Result<usize> {
        let Some(low) = self.idle.pop() else {
            return self.map_more();
        };
        self.live += 1;
        self.high_water = self.high_water.max(self.live);
        self.reused += 1;
        let idle = self.idle.len();
        if idle < self.idle_floor {
            self.idle_floor = idle;
        }
        if idle < self.released {
            self.released = idle;
        }
        Ok(low)
    }

    /// [`PoolState::get`] with no idle stack: maps a chunk of 1, 2, 4, ... stacks (up to
    /// [`MAX_STACKS_PER_MAPPING`], and at most one more than the pool keeps), hands out one and
    /// keeps the rest idle.
    #[cold]
    #[inline(never)]
    fn map_more(&mut self) -> io::Result<usize> {
        let count = self.next_chunk.min(self.max_idle.saturating_add(1)).max(1);
        let regions = map_stacks(self.span, count).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "mapping {count} coroutine stacks of {} bytes: {e}",
                    self.stack_size
                ),
            )
        })?;
        self.allocated += count as u64;
        self.next_chunk = (count * 2).min(MAX_STACKS_PER_MAPPING);
        self.live += 1;
        self.high_water = self.high_water.max(self.live);
        let lows: Vec<usize> = regions.iter().map(Region::low).collect();
        self.regions
            .extend(regions.into_iter().map(|region| (region.low(), region)));
        // The first is handed out; the spare ones are fresh and untouched (address space only),
        // and the pool had no idle stack: they are the idle ones now, and count as released.
        let (&first, spare) = lows
            .split_first()
            .ok_or_else(|| io::Error::other("no stack mapped"))?;
        self.released = spare.len();
        self.idle.extend(spare.iter().rev());
        Ok(first)
    }

    /// Takes a stack back: kept on top of the idle ones if the pool keeps fewer than its
    /// high-water mark (and its cap), unmapped otherwise.
    #[inline]
    fn put(&mut self, low: usize) {
        self.live = self.live.saturating_sub(1);
        if self.idle.len() < self.high_water.min(self.max_idle) {
            self.idle.push(low);
        } else {
            self.unmap(low);
        }
    }

    /// Unmaps the span at `low` (an idle or a just given back stack).
    #[cold]
    #[inline(never)]
    fn unmap(&mut self, low: usize) {
        self.unmapped += 1;
        drop(self.regions.remove(&low));
    }

    fn trim(&mut self) -> io::Result<Trimmed> {
        let cold = self.idle_floor.min(self.idle.len());
        let unmap = cold.div_ceil(2);
        let gone: Vec<usize> = self.idle.drain(..unmap).collect();
        for low in gone {
            self.unmap(low);
        }
        let already = self.released.saturating_sub(unmap);
        let keep_cold = cold - unmap;
        let mut result = Ok(());
        let mut released = 0;
        for low in &self.idle[already.min(keep_cold)..keep_cold] {
            let Some(region) = self.regions.get(low) else {
                continue; // every idle stack is in `regions`
            };
            if let Err(e) = region.release_pages(self.release) {
                result = Err(e);
                break;
            }
            released += 1;
        }
        // Both are prefixes of the idle stacks: the ones released before, and these.
        self.released = already.max(already.min(keep_cold) + released);
        self.high_water = self.live + self.idle.len();
        self.idle_floor = self.idle.len();
        result.map(|()| Trimmed {
            unmapped: unmap,
            pages_released: released,
        })
    }

    /// Unmaps every idle stack and forgets the high-water mark.
    fn release_idle(&mut self) {
        for low in std::mem::take(&mut self.idle) {
            self.unmap(low);
        }
        self.released = 0;
        self.idle_floor = 0;
        self.high_water = self.live;
    }
}

/// What one [`StackPool::trim`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed {
    /// Idle stacks unmapped (half of those that stayed idle since the last trim, rounded up).
    pub unmapped: usize,
    /// Idle stacks whose pages were given back to the kernel (the other half, less those already
    /// given back by an earlier trim).
    pub pages_released: usize,
}

/// A pool of equally sized coroutine stacks that follows the load (see the [module](self) for the
/// policy).
///
/// Take a coroutine with [`StackPool::coroutine`] (or a bare stack with [`StackPool::get`]); drop
/// it, or pass it to [`StackPool::recycle`], to give the stack back. A `StackPool` is a handle:
/// clones share one pool. It is single-threaded (`Rc`); a `Coroutine` is not `Send` anyway.
///
/// A reused stack keeps the pages its earlier coroutines touched until a trim gives them back:
/// reuse costs no page fault, and the pool's resident memory between trims is the high-water mark
/// of the coroutines that ran on its stacks.
#[derive(Clone)]
pub struct StackPool(Rc<Pool>);

impl StackPool {
    /// A pool of stacks of at least `stack_size` usable bytes each, keeping as many idle stacks as
    /// the high-water mark of live ones.
    pub fn new(stack_size: usize) -> Self {
        Self::with_max_idle(stack_size, usize::MAX)
    }

    /// As [`StackPool::new`], but never keeping more than `max_idle` idle stacks (0 makes a pool
    /// that never reuses: every stack is mapped afresh and unmapped when given back).
    pub fn with_max_idle(stack_size: usize, max_idle: usize) -> Self {
        let span = stack_span(stack_size);
        StackPool(Rc::new(Pool {
            span,
            state: RefCell::new(PoolState {
                span,
                stack_size,
                max_idle,
                release: PageRelease::default(),
                regions: HashMap::new(),
                idle: Vec::new(),
                live: 0,
                high_water: 0,
                idle_floor: 0,
                released: 0,
                next_chunk: 1,
                allocated: 0,
                reused: 0,
                unmapped: 0,
            }),
        }))
    }

    /// The pool's state, for one method of the pool.
    fn state(&self) -> std::cell::RefMut<'_, PoolState> {
        self.0.state.borrow_mut()
    }

    /// Sets how [`StackPool::trim`] gives idle stacks' pages back ([`PageRelease::DontNeed`]
    /// unless set).
    pub fn set_page_release(&mut self, release: PageRelease) {
        self.state().release = release;
    }

    /// The usable size asked for in [`StackPool::new`]; the stacks have at least this much.
    pub fn stack_size(&self) -> usize {
        self.state().stack_size
    }

    /// How many idle stacks the pool keeps at most, whatever its high-water mark.
    pub fn max_idle(&self) -> usize {
        self.state().max_idle
    }

    /// How many idle stacks the pool holds now.
    pub fn idle(&self) -> usize {
        self.state().idle.len()
    }

    /// How many of this pool's stacks are handed out now.
    pub fn live(&self) -> usize {
        self.state().live
    }

    /// The most stacks alive at once since the last trim (right after a trim: the stacks left):
    /// the number of idle stacks the pool keeps.
    pub fn high_water(&self) -> usize {
        self.state().high_water
    }

    /// How many stacks this pool has mapped since it was made (a `mmap` maps several at once).
    pub fn stacks_allocated(&self) -> u64 {
        self.state().allocated
    }

    /// How many times this pool has handed out an idle stack instead of mapping one.
    pub fn stacks_reused(&self) -> u64 {
        self.state().reused
    }

    /// How many stacks this pool has unmapped: given back beyond what it keeps, or trimmed.
    pub fn stacks_unmapped(&self) -> u64 {
        self.state().unmapped
    }

    /// The address ranges `[low, top)` (guard page included) of the idle stacks, coldest first.
    pub fn idle_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let span = self.0.span;
        self.state()
            .idle
            .iter()
            .map(|&low| low..low + span)
            .collect()
    }

    /// A stack from the pool, or a freshly mapped one (with a few more, kept idle) if the pool has
    /// no idle stack.
    ///
    /// # Errors
    /// The `mmap` error if fresh stacks cannot be mapped, or the error installing a guard page.
    #[inline]
    pub fn get(&mut self) -> io::Result<CoroutineStack> {
        let low = self.state().get()?;
        Ok(CoroutineStack {
            top: low + self.0.span,
            pool: Rc::clone(&self.0),
        })
    }

    /// Unmaps every idle stack, giving their resident pages and their address space back to the
    /// system (the pool maps new ones as needed), and forgets its high-water mark. For after a
    /// burst, when the pool holds far more than it will reuse and waiting for trims is too slow.
    pub fn release_idle(&mut self) {
        self.state().release_idle();
    }

    /// Gives a stack back: the same as dropping it (it goes back to the pool it came from).
    pub fn put(&mut self, stack: CoroutineStack) {
        drop(stack);
    }

    /// Makes a coroutine running `body` on a stack from the pool; dropping the coroutine gives
    /// the stack back.
    ///
    /// # Errors
    /// As [`StackPool::get`].
    #[inline]
    pub fn coroutine<Input, Yield, Return, F>(
        &mut self,
        body: F,
    ) -> io::Result<Coroutine<Input, Yield, Return, CoroutineStack>>
    where
        F: FnOnce(&Yielder<Input, Yield>, Input) -> Return + 'static,
        Input: 'static,
        Yield: 'static,
        Return: 'static,
    {
        Ok(Coroutine::with_stack(self.get()?, body))
    }

    /// Gives a coroutine's stack back, whatever its state: the same as dropping it. A suspended
    /// coroutine is first unwound ([`Coroutine::force_unwind`]): the destructors of everything on
    /// its stack run. One that never started has its closure dropped.
    pub fn recycle<Input, Yield, Return>(
        &mut self,
        coroutine: Coroutine<Input, Yield, Return, CoroutineStack>,
    ) {
        drop(coroutine);
    }

    /// Trims the pool (see the [module](self)): of the idle stacks no one took since the last
    /// trim, unmaps half (rounded up) and gives the pages of the rest back to the kernel.
    ///
    /// # Errors
    /// The `madvise` error; the pool stays usable.
    pub fn trim(&mut self) -> io::Result<Trimmed> {
        self.state().trim()
    }
}

impl std::fmt::Debug for StackPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("StackPool")
            .field("stack_size", &state.stack_size)
            .field("max_idle", &state.max_idle)
            .field("idle", &state.idle.len())
            .field("live", &state.live)
            .field("high_water", &state.high_water)
            .field("allocated", &state.allocated)
            .field("reused", &state.reused)
            .field("unmapped", &state.unmapped)
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

thread_local! {
    /// The stacks of this thread's tasks. A [`Task`](crate::scheduler::Task) is not `Send` (its
    /// coroutine is not), so it is made and dropped on one thread and its stack comes back to the
    /// pool it came from.
    static TASK_STACKS: RefCell<StackPool> = RefCell::new(StackPool::new(TASK_STACK_SIZE));
}

/// Runs `f` on this thread's pool of task stacks: to read its counters
/// ([`StackPool::stacks_allocated`], [`StackPool::stacks_reused`], [`StackPool::idle`]), to trim
/// it, or to replace it (say, by one with a [`StackPool::max_idle`]). Stacks handed out before a
/// replacement go back to the pool they came from; tasks made inside `f` get fresh stacks of their
/// own (unmapped when the task ends).
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
pub(crate) fn task_stack() -> io::Result<CoroutineStack> {
    from_thread_pool(&TASK_STACKS, TASK_STACK_SIZE)
}

/// A stack from the per-thread pool `pool` (of `stack_size` stacks), or a fresh one of that size
/// if the pool is busy (borrowed by the caller) or already gone (thread exit).
pub(crate) fn from_thread_pool(
    pool: &'static std::thread::LocalKey<RefCell<StackPool>>,
    stack_size: usize,
) -> io::Result<CoroutineStack> {
    match pool.try_with(|pool| pool.try_borrow_mut().map(|mut pool| pool.get())) {
        Ok(Ok(stack)) => stack,
        Ok(Err(_)) | Err(_) => CoroutineStack::new(stack_size),
    }
}

/// Trims this thread's task pool ([`StackPool::trim`]), if it is not busy or gone: the scheduler
/// calls it when a `mainloop` has run all its tasks.
pub(crate) fn trim_task_stacks() {
    let _ = TASK_STACKS.try_with(|pool| pool.try_borrow_mut().map(|mut pool| pool.trim()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::{Scheduler, Task, kill_task, new_task, run_workload};
    use crate::stacks::mapping::guard_is_inaccessible;
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

    /// `n` coroutines of `pool` alive at once, each suspended in [`body`].
    fn burst(
        pool: &mut StackPool,
        n: u64,
    ) -> io::Result<Vec<Coroutine<u64, u64, u64, CoroutineStack>>> {
        (0..n)
            .map(|i| {
                let mut co = pool.coroutine(body)?;
                assert_eq!(co.resume(i), CoroutineResult::Yield(i + 1));
                Ok(co)
            })
            .collect()
    }

    #[test]
    fn a_stack_is_two_words() {
        // Its top and its pool: a coroutine's stack is created, moved and dropped in registers,
        // never copied through memory as a larger record (see the type's documentation).
        assert_eq!(
            std::mem::size_of::<CoroutineStack>(),
            2 * std::mem::size_of::<usize>()
        );
        assert_eq!(
            std::mem::size_of::<io::Result<CoroutineStack>>(),
            2 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn sequential_coroutines_from_a_pool_map_one_stack() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        for _ in 0..100 {
            run_one(&mut pool)?;
        }
        assert_eq!(pool.stacks_allocated(), 1);
        assert_eq!(pool.stacks_reused(), 99);
        assert_eq!((pool.idle(), pool.live(), pool.high_water()), (1, 0, 1));
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
        assert_eq!(pool.stacks_unmapped(), 10);
        assert_eq!(pool.idle(), 0);
        Ok(())
    }

    #[test]
    fn the_pool_keeps_as_many_idle_stacks_as_were_alive_at_once() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        let live = burst(&mut pool, 300)?;
        assert_eq!((pool.live(), pool.high_water()), (300, 300));
        let mapped = pool.stacks_allocated();
        // Mapped in chunks of 1, 2, 4, ... up to MAX_STACKS_PER_MAPPING: a few spare ones at most.
        assert!((300..300 + MAX_STACKS_PER_MAPPING as u64).contains(&mapped));
        drop(live); // suspended: unwound, and every stack goes back
        assert_eq!(pool.live(), 0);
        assert_eq!(pool.idle(), 300, "kept up to the high-water mark");
        let again = burst(&mut pool, 300)?;
        assert_eq!(
            pool.stacks_allocated(),
            mapped,
            "the second burst maps nothing"
        );
        drop(again);
        Ok(())
    }

    #[test]
    fn a_capped_pool_keeps_no_more_than_its_cap() -> io::Result<()> {
        let mut pool = StackPool::with_max_idle(SMALL_STACK_SIZE, 8);
        let live = burst(&mut pool, 10)?;
        let mapped = pool.stacks_allocated();
        drop(live);
        assert_eq!(pool.idle(), 8);
        for _ in 0..8 {
            run_one(&mut pool)?;
        }
        assert_eq!(
            pool.stacks_allocated(),
            mapped,
            "the idle stacks are reused"
        );
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
        let mapped = pool.stacks_allocated();
        run_one(&mut pool)?;
        assert!(
            pool.stacks_allocated() > mapped,
            "a stack mapped afresh after the release"
        );
        Ok(())
    }

    #[test]
    fn trimming_halves_what_stayed_idle_and_releases_the_rest() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        drop(burst(&mut pool, 100)?);
        let idle = pool.idle();
        assert!(idle >= 100);
        // The burst took every stack since the pool was made: nothing stayed idle through it.
        let first = pool.trim()?;
        assert_eq!((first.unmapped, first.pages_released), (0, 0));
        assert_eq!(pool.high_water(), idle);
        // Nothing was taken since: half goes, the other half's pages go back to the kernel.
        let second = pool.trim()?;
        assert_eq!(second.unmapped, idle.div_ceil(2));
        assert_eq!(pool.idle(), idle - second.unmapped);
        assert!(second.pages_released <= pool.idle());
        // Halved again; the pages of those left were already given back.
        let before = pool.idle();
        let third = pool.trim()?;
        assert_eq!(third.unmapped, before.div_ceil(2));
        assert_eq!(third.pages_released, 0);
        let mut trims = 3;
        while pool.idle() > 0 {
            pool.trim()?;
            trims += 1;
        }
        assert!(trims <= 3 + 8, "{trims} trims to empty a pool of {idle}");
        // Stacks in use are not trimmed, only the spare ones mapped with them: a pool in use
        // keeps what it uses.
        let busy = burst(&mut pool, 10)?;
        let spare = pool.idle();
        pool.trim()?;
        drop(busy);
        assert_eq!(pool.trim()?.unmapped, spare.div_ceil(2));
        assert_eq!(
            pool.idle(),
            10 + spare / 2,
            "the ten stacks in use were kept"
        );
        Ok(())
    }

    #[test]
    fn a_stack_goes_back_to_its_own_pool() -> io::Result<()> {
        let (mut a, mut b) = (
            StackPool::new(SMALL_STACK_SIZE),
            StackPool::new(SMALL_STACK_SIZE),
        );
        let stack = a.get()?;
        b.put(stack);
        assert_eq!((a.idle(), b.idle()), (1, 0));
        // Dropping the last handle of a pool keeps its lent stacks valid until they come back.
        let stack = a.get()?;
        drop(a);
        let mut co = Coroutine::with_stack(stack, body);
        assert_eq!(co.resume(1), CoroutineResult::Yield(2));
        Ok(())
    }

    #[test]
    fn every_stack_handed_out_has_its_guard_page() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        let check = |stacks: &[CoroutineStack]| -> io::Result<()> {
            for stack in stacks {
                let (base, limit) = (stack.base().get(), stack.limit().get());
                assert!(base - stack.usable_low() >= SMALL_STACK_SIZE);
                assert!(guard_is_inaccessible(limit)?, "guard page at {limit:#x}");
                assert!(guard_is_inaccessible(stack.usable_low() - 1)?);
                assert!(!guard_is_inaccessible(stack.usable_low())?);
                assert!(!guard_is_inaccessible(base - 1)?);
            }
            Ok(())
        };
        let stacks = (0..200)
            .map(|_| pool.get())
            .collect::<io::Result<Vec<_>>>()?;
        check(&stacks)?;
        drop(stacks);
        pool.trim()?;
        pool.trim()?; // half unmapped, the rest released
        let stacks = (0..200)
            .map(|_| pool.get())
            .collect::<io::Result<Vec<_>>>()?;
        check(&stacks)?;
        check(&[CoroutineStack::new(SMALL_STACK_SIZE)?])
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
        pool.trim()?;
        pool.trim()?; // the stack's pages given back: the next coroutine faults in zeroed pages
        let mut second = pool.coroutine(|y: &Yielder<(), u32>, ()| {
            let local = [3_u32; 100];
            y.suspend(local.iter().sum());
            2
        })?;
        assert_eq!(second.resume(()), CoroutineResult::Yield(300));
        assert_eq!(second.resume(()), CoroutineResult::Return(2));
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
    /// stack back, so 1,001 tasks need two stacks (the parent's and one child's), mapped by two
    /// `mmap`s of one and two stacks (the pool maps 1, 2, 4, ... at a time): three at most.
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
            mapped_after - mapped <= 3,
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
    /// the pool keeps them all (its high-water mark), and the trim at the end of the run keeps
    /// them too (every one was taken during the run), so a second run maps none.
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
