//! `fib.py`: infinite Fibonacci `0 1 1 2 ...`; the demo prints the first ten on one line.
//!
//! Easy: `a, b` are plain locals of an ordinary function, kept on the coroutine's stack across
//! `suspend`. Hard: as for the counter, a whole stack ([`STACK_SIZE`]) per coroutine for two
//! integers of state. Values wrap on `u64` overflow, as in every `stackless` flavour.
//!
//! ```
//! let mut out = Vec::new();
//! stackful::fib::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "0 1 1 2 3 5 8 13 21 34 \n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::convert::Infallible;
use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// How many values the demo prints, as `fib.py` does.
const STEPS: usize = 10;

/// The stack [`coroutine`] maps: 16 KiB, as for `counter` (measured by the test
/// `stack_use_is_within_stack_size`).
pub const STACK_SIZE: usize = 16 << 10;

/// Fibonacci's body: yields `0, 1, 1, 2, ...` through `yielder`, never returns.
fn fib(yielder: &Yielder<(), u64>, (): ()) -> Infallible {
    let (mut a, mut b) = (0u64, 1u64);
    loop {
        yielder.suspend(a);
        (a, b) = (a.wrapping_add(b), a);
    }
}

/// Fibonacci on a fresh stack of [`STACK_SIZE`] bytes.
pub fn coroutine() -> io::Result<Coroutine<(), u64, Infallible, DefaultStack>> {
    Ok(coroutine_on(DefaultStack::new(STACK_SIZE)?))
}

/// Fibonacci on a stack of the caller's choice (a pooled one, say).
pub fn coroutine_on<S: Stack + 'static>(stack: S) -> Coroutine<(), u64, Infallible, S> {
    Coroutine::with_stack(stack, fib)
}

/// Writes `fib.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(coroutine()?, out)
}

/// Writes `fib.py`'s output with `co`, a Fibonacci coroutine on any stack.
pub fn run_with<S: Stack>(
    mut co: Coroutine<(), u64, Infallible, S>,
    out: &mut impl Write,
) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineResult::Yield(n) => write!(out, "{n} ")?,
            CoroutineResult::Return(never) => match never {},
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stack_use;
    use common::contracts::FIB;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, FIB);
    }

    #[test]
    fn agrees_with_stackless_far_out() -> io::Result<()> {
        let mut co = coroutine()?;
        for (i, want) in stackless::manual::Fib::new().take(200).enumerate() {
            assert_eq!(co.resume(()).as_yield(), Some(want), "value {i}");
        }
        Ok(())
    }

    #[test]
    fn stack_use_is_within_stack_size() {
        assert_stack_use(
            "fib",
            STACK_SIZE,
            coroutine_on,
            std::iter::repeat_n((), 1_000),
        );
    }
}
