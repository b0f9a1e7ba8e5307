//! How much of its stack some code really touches: a stack is painted with a known byte before
//! the code runs on it, and the deepest byte no longer painted afterwards is the high-water mark.
//! The stack sizes of this crate are checked with it rather than guessed.
//!
//! ```
//! use stackful::stacks::{SMALL_STACK_SIZE, stack_high_water};
//!
//! let touched = stack_high_water(SMALL_STACK_SIZE, |yielder| yielder.suspend(()))?;
//! assert!(touched > 0 && touched < SMALL_STACK_SIZE);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;

use corosensei::stack::{DefaultStack, MIN_STACK_SIZE, Stack};
use corosensei::{Coroutine, Yielder};

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
    use crate::stacks::{DEEP_STACK_SIZE, SMALL_STACK_SIZE};
    use std::hint::black_box;

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
