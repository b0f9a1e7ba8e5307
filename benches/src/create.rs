//! The `create` group's `corosensei` subjects: create a coroutine on a fresh or a pooled stack
//! (`stackful::stacks`), run it, drop it or give its stack back.
//!
//! ```
//! use benches::create::{create_fresh, create_pooled};
//! use stackful::stacks::{SMALL_STACK_SIZE, StackPool};
//!
//! let mut pool = StackPool::new(SMALL_STACK_SIZE);
//! assert_eq!(create_fresh(SMALL_STACK_SIZE)?, create_pooled(&mut pool)?);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::hint::black_box;
use std::io;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use stackful::stacks::StackPool;

/// The coroutine the `corosensei` creation benchmarks make: it yields `input + 1`, then returns `input + 2`.
pub fn bench_body(yielder: &Yielder<u64, u64>, input: u64) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use stackful::stacks::SMALL_STACK_SIZE;

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
    fn a_warm_pool_maps_no_stack() -> io::Result<()> {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        for _ in 0..100 {
            assert_eq!(create_pooled(&mut pool)?, 2 + 3);
            assert_eq!(create_pooled_drop_suspended(&mut pool)?, 2);
        }
        assert_eq!((pool.stacks_allocated(), pool.stacks_reused()), (1, 199));
        Ok(())
    }
}
