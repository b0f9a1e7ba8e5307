//! The `create` group's `corosensei` subjects: create a coroutine on a fresh or a pooled stack
//! (`stackful::stacks`), run it, drop it or give its stack back.
//!
//! ```
//! use benches::create::{create_fresh, create_pooled};
//! use stackful::stacks::{SMALL_STACK_SIZE, StackPool};
//!
//! let mut pool = StackPool::new(SMALL_STACK_SIZE);
//! assert_eq!(create_fresh(SMALL_STACK_SIZE, 5)?, create_pooled(&mut pool, 5)?);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use stackful::stacks::StackPool;

/// The coroutine the `corosensei` creation benchmarks make: resumed with `input` it yields
/// `input + 1`, resumed again it returns `input + 2` (wrapping), as
/// [`native_once`](crate::identity::native_once) does.
pub fn bench_body(yielder: &Yielder<u64, u64>, input: u64) -> u64 {
    yielder.suspend(input.wrapping_add(1));
    input.wrapping_add(2)
}

/// Resumes a [`bench_body`] coroutine with `x` to its suspension and, if `finish`, with 0 to its
/// end; returns the sum of what came out (`2x + 3` when finished, as the `create` group's native
/// subjects return).
fn drive<S: Stack>(co: &mut Coroutine<u64, u64, u64, S>, x: u64, finish: bool) -> u64 {
    let value = |r| match r {
        CoroutineResult::Yield(v) | CoroutineResult::Return(v) => v,
    };
    let first = value(co.resume(x));
    if finish && !co.done() {
        first.wrapping_add(value(co.resume(0)))
    } else {
        first
    }
}

/// Benchmark: create a coroutine on a **fresh** stack of `size` bytes, resume it with `x` to its
/// suspension, run it to completion, drop it; returns `2x + 3` (the benchmark feeds it into the
/// next creation).
///
/// Cost: `mmap` + the guard page + the page faults of the first touch + two switches + `munmap`.
///
/// # Errors
///
/// The `mmap`/`mprotect` error if the stack cannot be mapped.
pub fn create_fresh(size: usize, x: u64) -> io::Result<u64> {
    let stack = DefaultStack::new(size)?;
    let mut co = Coroutine::with_stack(stack, bench_body);
    Ok(drive(&mut co, x, true))
}

/// Benchmark: as [`create_fresh`], but the stack comes from `pool` and goes back to it.
///
/// Cost once the pool is warm: two switches and a `Vec` pop and push; no system call.
///
/// # Errors
///
/// As [`StackPool::get`] (only possible while the pool is empty).
pub fn create_pooled(pool: &mut StackPool, x: u64) -> io::Result<u64> {
    let mut co = pool.coroutine(bench_body)?;
    let sum = drive(&mut co, x, true);
    pool.recycle(co);
    Ok(sum)
}

/// Benchmark: create a coroutine on a fresh stack of `size` bytes, resume it with `x` to its
/// first suspension, then drop it **while suspended**: `corosensei` unwinds its stack (a
/// panic-like unwind through `suspend`) before unmapping it. Returns the yielded value (`x + 1`).
///
/// # Errors
///
/// The `mmap`/`mprotect` error if the stack cannot be mapped.
pub fn create_fresh_drop_suspended(size: usize, x: u64) -> io::Result<u64> {
    let stack = DefaultStack::new(size)?;
    let mut co = Coroutine::with_stack(stack, bench_body);
    Ok(drive(&mut co, x, false))
}

/// Benchmark: as [`create_fresh_drop_suspended`], with the stack from `pool`: the suspended
/// coroutine is unwound by [`StackPool::recycle`] and its stack goes back to the pool. The
/// difference from [`create_pooled`] is the cost of the forced unwind.
///
/// # Errors
///
/// As [`StackPool::get`].
pub fn create_pooled_drop_suspended(pool: &mut StackPool, x: u64) -> io::Result<u64> {
    let mut co = pool.coroutine(bench_body)?;
    let sum = drive(&mut co, x, false);
    pool.recycle(co);
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackful::stacks::SMALL_STACK_SIZE;

    #[test]
    fn all_creation_paths_produce_their_values() -> io::Result<()> {
        let mut pool = StackPool::default();
        assert_eq!(create_fresh(SMALL_STACK_SIZE, 1)?, 5);
        assert_eq!(create_pooled(&mut pool, 1)?, 5);
        assert_eq!(create_fresh_drop_suspended(SMALL_STACK_SIZE, 1)?, 2);
        assert_eq!(create_pooled_drop_suspended(&mut pool, 1)?, 2);
        assert_eq!(pool.stacks_allocated(), 1);
        assert_eq!(pool.idle(), 1);
        Ok(())
    }

    #[test]
    fn a_warm_pool_maps_no_stack() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        for x in 0..100 {
            assert_eq!(create_pooled(&mut pool, x)?, 2 * x + 3);
            assert_eq!(create_pooled_drop_suspended(&mut pool, x)?, x + 1);
        }
        assert_eq!((pool.stacks_allocated(), pool.stacks_reused()), (1, 199));
        Ok(())
    }
}
