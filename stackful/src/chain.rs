//! `chain.py`: `g` runs `g1` then `g2` by delegation; the demo prints `list(g())`.
//!
//! Easy: delegation is a function call. `g1` and `g2` take the same [`Yielder`] and suspend the
//! whole coroutine from inside themselves; their return values come back as ordinary return
//! values (each returns how many values it yielded; `g` returns the total). No macro, nothing
//! boxed, and it would work just as well at any call depth. Hard: nothing here; the cost is the
//! coroutine's stack ([`STACK_SIZE`]).
//!
//! ```
//! let mut out = Vec::new();
//! stackful::chain::run(&mut out)?;
//! assert_eq!(
//!     String::from_utf8_lossy(&out),
//!     "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]\n"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// The stack [`coroutine`] maps: 16 KiB, as for `counter` (measured by the test
/// `stack_use_is_within_stack_size`).
pub const STACK_SIZE: usize = 16 << 10;

/// `g1`: yields `0..10` through the caller's yielder and returns how many values it yielded.
pub fn g1(yielder: &Yielder<(), u64>) -> u64 {
    for i in 0..10 {
        yielder.suspend(i);
    }
    10
}

/// `g2`: yields `10..20` through the caller's yielder and returns how many values it yielded.
pub fn g2(yielder: &Yielder<(), u64>) -> u64 {
    for i in 10..20 {
        yielder.suspend(i);
    }
    10
}

/// `g`: calls `g1`, then `g2`; returns the total count they returned (20).
fn g(yielder: &Yielder<(), u64>, (): ()) -> u64 {
    let first = g1(yielder);
    let second = g2(yielder);
    first + second
}

/// `g` on a fresh stack of [`STACK_SIZE`] bytes.
pub fn coroutine() -> io::Result<Coroutine<(), u64, u64, DefaultStack>> {
    Ok(coroutine_on(DefaultStack::new(STACK_SIZE)?))
}

/// `g` on a stack of the caller's choice (a pooled one, say).
pub fn coroutine_on<S: Stack + 'static>(stack: S) -> Coroutine<(), u64, u64, S> {
    Coroutine::with_stack(stack, g)
}

/// Writes `chain.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(coroutine()?, out)
}

/// Writes `chain.py`'s output with `co`, a `g` on any stack.
pub fn run_with<S: Stack>(
    mut co: Coroutine<(), u64, u64, S>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut list = Vec::new();
    while let CoroutineResult::Yield(i) = co.resume(()) {
        list.push(i);
    }
    // Rust's `Debug` for a list of integers is Python's `print(list)`.
    writeln!(out, "{list:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stack_use;
    use common::contracts::CHAIN;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, CHAIN);
    }

    /// How many values `co` yields, and what it returns.
    fn yields_and_return<R>(mut co: Coroutine<(), u64, R>) -> (u64, R) {
        let mut n = 0;
        loop {
            match co.resume(()) {
                CoroutineResult::Yield(_) => n += 1,
                CoroutineResult::Return(total) => return (n, total),
            }
        }
    }

    #[test]
    fn delegation_returns_the_sub_functions_results() -> io::Result<()> {
        assert_eq!(yields_and_return(coroutine()?), (20, 20));
        Ok(())
    }

    #[test]
    fn stack_use_is_within_stack_size() {
        assert_stack_use(
            "chain",
            STACK_SIZE,
            coroutine_on,
            std::iter::repeat_n((), 21),
        );
    }
}
