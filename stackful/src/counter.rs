//! `counter.py`: an infinite counter; the demo prints its first three values.
//!
//! Easy: the body is an ordinary function with an ordinary `loop`; `i` lives in its stack frame,
//! and `suspend` switches stacks. Hard: the price is a whole stack per coroutine, mapped when the
//! coroutine is made (an `mmap` and an `mprotect` for the guard page, an `munmap` when dropped)
//! for what the stackless version keeps in 16 bytes; so the stack is chosen on purpose:
//! [`STACK_SIZE`], checked by a test that measures what the coroutine touches.
//!
//! ```
//! let mut out = Vec::new();
//! stackful::counter::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "0\n1\n2\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::convert::Infallible;
use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// How many values the demo prints, as `counter.py` does.
const STEPS: usize = 3;

/// The stack [`coroutine`] maps: 16 KiB. The coroutine touches under half of it (3 to 6 KiB in a
/// debug build) even when dropped while suspended, which unwinds on this stack (measured and
/// checked by the test `stack_use_is_within_stack_size`); the rest is room for a panic's hook.
pub const STACK_SIZE: usize = 16 << 10;

/// The counter's body: yields `0, 1, 2, ...` through `yielder`, never returns.
fn counter(yielder: &Yielder<(), u64>, (): ()) -> Infallible {
    let mut i = 0;
    loop {
        yielder.suspend(i);
        i += 1;
    }
}

/// The counter on a fresh stack of [`STACK_SIZE`] bytes.
pub fn coroutine() -> io::Result<Coroutine<(), u64, Infallible, DefaultStack>> {
    Ok(coroutine_on(DefaultStack::new(STACK_SIZE)?))
}

/// The counter on a stack of the caller's choice (a pooled one, say).
pub fn coroutine_on<S: Stack + 'static>(stack: S) -> Coroutine<(), u64, Infallible, S> {
    Coroutine::with_stack(stack, counter)
}

/// Writes `counter.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(coroutine()?, out)
}

/// Writes `counter.py`'s output with `co`, a counter on any stack.
pub fn run_with<S: Stack>(
    mut co: Coroutine<(), u64, Infallible, S>,
    out: &mut impl Write,
) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineResult::Yield(i) => writeln!(out, "{i}")?,
            CoroutineResult::Return(never) => match never {},
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stack_use;
    use common::contracts::COUNTER;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, COUNTER);
    }

    #[test]
    fn stack_use_is_within_stack_size() {
        assert_stack_use(
            "counter",
            STACK_SIZE,
            coroutine_on,
            std::iter::repeat_n((), 1_000),
        );
    }
}
