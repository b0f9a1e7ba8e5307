//! Stacks for stackful coroutines: sizes chosen on purpose, and a pool that reuses them.
//!
//! A `corosensei` coroutine runs on a stack of its own. `Coroutine::new` maps a fresh 1 MiB stack
//! with `mmap` (plus a guard page, made inaccessible with `mprotect`) and unmaps it with `munmap`
//! when the coroutine is dropped: several system calls and page faults per coroutine. This module
//! does two things about that:
//!
//! - **Sizes on purpose.** [`SMALL_STACK_SIZE`] for the shallow coroutines of the demos (a few
//!   frames, some formatting, perhaps a panic), [`DEEP_STACK_SIZE`] for coroutines that recurse
//!   (the tree walk). [`measure_stack_use`] measures how many bytes some code really touches on a
//!   coroutine stack ([`measure_coroutine`] and [`stack_high_water`] for a whole coroutine), so
//!   the sizes can be checked rather than guessed (`cargo run -p stackful --example stacks`, and
//!   the demos' tests).
//! - **Reuse.** A [`StackPool`] keeps the stacks of finished coroutines and hands them to new ones,
//!   so creating a coroutine from the pool costs no system call once the pool is warm.
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

use std::hint::black_box;
use std::io;

use corosensei::stack::{DefaultStack, MIN_STACK_SIZE, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// Stack size for shallow coroutines: 64 KiB.
///
/// The demos' coroutines (counter, fib, say, send, chain, scheduler tasks) are a few frames deep,
/// but they format text (`write!`), and a panic inside a coroutine runs the panic hook and the
/// unwinder on the coroutine's stack. `cargo run -p stackful --example stacks` measures these with
/// [`stack_high_water`]: the largest, a panic whose default hook prints a backtrace
/// (`RUST_BACKTRACE=1`), touched about 22 KiB when measured (debug and release builds alike), so
/// 64 KiB leaves about a factor of three of headroom; plain formatting and suspending touch 2-3 KiB. Only the pages a coroutine touches become resident, so the size bounds
/// the worst case (and the address space: 1,000 coroutines reserve 64 MiB, not 1 GiB) rather
/// than what a typical coroutine costs.
pub const SMALL_STACK_SIZE: usize = 64 * 1024;

/// Stack size for coroutines that recurse deeply: 8 MiB, the default main-thread stack on Linux.
///
/// Recursion on a stackful coroutine is ordinary recursion, so the stack size bounds the depth:
/// depth ≈ (size − fixed overhead) / bytes per frame. The stacks example measures bytes per level
/// of a sample recursion; a tree walk of depth 10,000 at a few hundred bytes per level (a debug
/// build) needs a few MiB, which 8 MiB covers with room to spare.
pub const DEEP_STACK_SIZE: usize = 8 * 1024 * 1024;

/// How many idle stacks a [`StackPool`] made by [`StackPool::new`] keeps: 64.
///
/// Enough that a scheduler which finishes and starts coroutines in bursts of that many reuses all
/// of them; few enough that an idle pool of small stacks holds at most 4 MiB of address space.
/// Stacks given back beyond this are unmapped.
pub const DEFAULT_MAX_IDLE: usize = 64;

/// The system's page size, in bytes.
fn page_size() -> usize {
    // SAFETY: `sysconf` reads a configuration value; it has no preconditions and touches no memory
    // of ours. Tested by `tests::page_size_is_sane`.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| s.is_power_of_two())
        .unwrap_or(4096)
}

/// The span (usable part plus guard page) of a `DefaultStack::new(size)` mapping.
fn mapped_span(size: usize) -> usize {
    let page = page_size();
    size.max(MIN_STACK_SIZE).div_ceil(page) * page + page
}

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

/// The coroutine the creation benchmarks make: it yields `input + 1`, then returns `input + 2`.
fn bench_body(yielder: &Yielder<u64, u64>, input: u64) -> u64 {
    yielder.suspend(input + 1);
    input + 2
}

/// Resumes a [`bench_body`] coroutine to its suspension and, if `finish`, to its end; returns
/// the sum of what came out.
fn drive(co: &mut Coroutine<u64, u64, u64, DefaultStack>, finish: bool) -> u64 {
    let mut sum = match co.resume(black_box(1)) {
        CoroutineResult::Yield(v) | CoroutineResult::Return(v) => v,
    };
    if finish && !co.done() {
        sum += match co.resume(black_box(0)) {
            CoroutineResult::Yield(v) | CoroutineResult::Return(v) => v,
        };
    }
    sum
}

/// Benchmark: create a coroutine on a **fresh** stack of `size` bytes, run it to its first
/// suspension, run it to completion, drop it.
///
/// Cost: `mmap` + `mprotect` (the guard page) + the page faults of the first touch + two switches
/// + `munmap`. Returns the values the coroutine produced (3) so nothing is optimised away.
///
/// # Errors
///
/// The `mmap`/`mprotect` error if the stack cannot be mapped.
pub fn create_fresh(size: usize) -> io::Result<u64> {
    let stack = DefaultStack::new(size)?;
    let mut co = Coroutine::with_stack(stack, bench_body);
    Ok(drive(&mut co, true))
}

/// Benchmark: as [`create_fresh`], but the stack comes from `pool` and goes back to it.
///
/// Cost once the pool is warm: two switches and a `Vec` pop and push; no system call.
///
/// # Errors
///
/// As [`StackPool::get`] (only possible while the pool is empty).
pub fn create_pooled(pool: &mut StackPool) -> io::Result<u64> {
    let mut co = pool.coroutine(bench_body)?;
    let sum = drive(&mut co, true);
    pool.recycle(co);
    Ok(sum)
}

/// Benchmark: create a coroutine on a fresh stack of `size` bytes, run it to its first
/// suspension, then drop it **while suspended**: `corosensei` unwinds its stack (a panic-like
/// unwind through `suspend`) before unmapping it. Returns the yielded value (2).
///
/// # Errors
///
/// The `mmap`/`mprotect` error if the stack cannot be mapped.
pub fn create_fresh_drop_suspended(size: usize) -> io::Result<u64> {
    let stack = DefaultStack::new(size)?;
    let mut co = Coroutine::with_stack(stack, bench_body);
    Ok(drive(&mut co, false))
}

/// Benchmark: as [`create_fresh_drop_suspended`], with the stack from `pool`: the suspended
/// coroutine is unwound by [`StackPool::recycle`] and its stack goes back to the pool. The
/// difference from [`create_pooled`] is the cost of the forced unwind.
///
/// # Errors
///
/// As [`StackPool::get`].
pub fn create_pooled_drop_suspended(pool: &mut StackPool) -> io::Result<u64> {
    let mut co = pool.coroutine(bench_body)?;
    let sum = drive(&mut co, false);
    pool.recycle(co);
    Ok(sum)
}

/// The byte every stack byte is painted with before a measurement.
const PAINT: u8 = 0xA5;

/// Measures how much of a `size`-byte stack some code touches: paints a fresh stack, hands it to
/// `run`, which runs the code on it and gives it back (a coroutine of any type built on
/// `&mut stack`, or one built on `stack` and finished or `force_unwind`ed, then `into_stack`; or
/// `corosensei::on_stack(&mut stack, f)` for plain code), then finds the deepest byte no longer
/// painted.
///
/// The figure is the stack's high-water mark in bytes, `corosensei`'s own start-up frame (a few
/// hundred bytes) included. A frame byte that happens to be written with the paint value would be
/// missed, so it may undercount by a few bytes. Code that needs more than `size` bytes hits the
/// guard page: the process dies with `SIGSEGV`, so start with a generous `size`.
/// [`measure_coroutine`] and [`stack_high_water`] are the common cases of `run`.
///
/// # Errors
///
/// The `mmap`/`mprotect` error if the stack cannot be mapped, or an error if `run` returns a
/// different stack.
pub fn measure_stack_use(
    size: usize,
    run: impl FnOnce(DefaultStack) -> DefaultStack,
) -> io::Result<usize> {
    let size = size.max(MIN_STACK_SIZE);
    let stack = DefaultStack::new(size)?;
    let base = stack.base().get();
    // `DefaultStack::new(size)` documents at least `size` usable bytes: `[base - size, base)` is
    // mapped read-write (the guard page lies below it), whatever the page size.
    let low = base - size;
    // SAFETY: `[low, base)` lies in the read-write part of the mapping that `stack` owns, which we
    // hold; no coroutine runs on it yet, so nothing else reads or writes it. Tested by
    // `tests::high_water_*` and the demos' stack tests.
    unsafe { std::ptr::write_bytes(low as *mut u8, PAINT, size) };
    let stack = run(stack);
    if stack.base().get() != base {
        return Err(io::Error::other(
            "measure_stack_use: `run` returned another stack",
        ));
    }
    // SAFETY: the same read-write range of the same mapping, which we own again (`stack` lives
    // until after the last use of `painted`); whatever ran on it is finished (`into_stack`
    // consumed the coroutine, or `on_stack` returned), so nothing writes to it; every bit pattern
    // is a valid `u8`.
    let painted = unsafe { std::slice::from_raw_parts(low as *const u8, size) };
    let untouched = painted.iter().take_while(|&&b| b == PAINT).count();
    drop(stack);
    Ok(size - untouched)
}

/// The stack a coroutine touches: [`measure_stack_use`] on a stack of `size` bytes, with the
/// coroutine `make` builds on it resumed once per item of `inputs` (fewer if it finishes), then
/// dropped the way `Drop` does it if unfinished (`force_unwind`, which runs on its stack, so the
/// unwinding counts too).
///
/// # Errors
///
/// As [`measure_stack_use`].
pub fn measure_coroutine<I, Y, R>(
    size: usize,
    make: impl FnOnce(DefaultStack) -> Coroutine<I, Y, R, DefaultStack>,
    inputs: impl IntoIterator<Item = I>,
) -> io::Result<usize> {
    measure_stack_use(size, |stack| {
        let mut co = make(stack);
        for input in inputs {
            if co.done() {
                break;
            }
            co.resume(input);
        }
        co.force_unwind(); // nothing to do if it finished
        co.into_stack()
    })
}

/// Runs `body` as a coroutine on a fresh stack of `size` usable bytes, resuming it until it
/// finishes, and returns how many bytes of the stack it touched (its high-water mark): the
/// simplest case of [`measure_coroutine`].
///
/// # Errors
///
/// As [`measure_stack_use`].
pub fn stack_high_water<F>(size: usize, body: F) -> io::Result<usize>
where
    F: FnOnce(&Yielder<(), ()>) + 'static,
{
    let make = |stack| Coroutine::with_stack(stack, move |y: &Yielder<(), ()>, ()| body(y));
    measure_coroutine(size, make, std::iter::repeat(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_sane() {
        let page = page_size();
        assert!(page >= 4096 && page.is_power_of_two(), "page size {page}");
    }

    #[test]
    fn sequential_coroutines_from_a_pool_map_one_stack() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        for _ in 0..100 {
            assert_eq!(create_pooled(&mut pool)?, 2 + 3);
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
            create_pooled(&mut pool)?;
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
            let mut co = pool.coroutine(bench_body)?;
            assert_eq!(co.resume(i), CoroutineResult::Yield(i + 1));
            live.push(co);
        }
        assert_eq!(pool.stacks_allocated(), 10);
        for co in live {
            pool.recycle(co); // suspended: unwound, then kept (up to max_idle)
        }
        assert_eq!(pool.idle(), 8);
        for _ in 0..8 {
            create_pooled(&mut pool)?;
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
        create_pooled(&mut pool)?;
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
        pool.put(DefaultStack::new(DEEP_STACK_SIZE)?);
        assert_eq!(pool.idle(), 0);
        pool.put(DefaultStack::new(SMALL_STACK_SIZE)?);
        assert_eq!(pool.idle(), 1);
        Ok(())
    }

    #[test]
    fn all_creation_paths_produce_their_values() -> io::Result<()> {
        let mut pool = StackPool::default();
        assert_eq!(create_fresh(SMALL_STACK_SIZE)?, 5);
        assert_eq!(create_pooled(&mut pool)?, 5);
        assert_eq!(create_fresh_drop_suspended(SMALL_STACK_SIZE)?, 2);
        assert_eq!(create_pooled_drop_suspended(&mut pool)?, 2);
        assert_eq!(pool.stacks_allocated(), 1);
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

    fn recurse(depth: u32) -> u64 {
        let frame = black_box([u64::from(depth); 32]);
        if depth == 0 {
            return frame[0];
        }
        recurse(depth - 1) + frame[(depth % 32) as usize]
    }

    #[test]
    fn high_water_grows_with_recursion_depth() -> io::Result<()> {
        let shallow = stack_high_water(DEEP_STACK_SIZE, |_| {
            black_box(recurse(10));
        })?;
        let deep = stack_high_water(DEEP_STACK_SIZE, |_| {
            black_box(recurse(1010));
        })?;
        // Each level holds a 256-byte array, so 1,000 more levels need at least 256,000 bytes.
        assert!(deep - shallow >= 256_000, "shallow {shallow}, deep {deep}");
        assert!(shallow < SMALL_STACK_SIZE, "shallow {shallow}");
        Ok(())
    }

    #[test]
    fn high_water_of_an_idle_coroutine_is_small_but_not_zero() -> io::Result<()> {
        let used = stack_high_water(SMALL_STACK_SIZE, |y| y.suspend(()))?;
        assert!(used > 0 && used < 16 * 1024, "used {used}");
        Ok(())
    }
}
