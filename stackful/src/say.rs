//! `say.py`: three words, then the coroutine is exhausted; the demo resumes it four times.
//!
//! Easy: the body is three calls to `suspend`; exhaustion is the function returning, which the
//! caller sees as `CoroutineResult::Return(())` and prints as `StopIteration`. Hard: as with a
//! native stackless coroutine, resuming again after `Return` panics, so the caller must remember
//! (`Coroutine::done` tells it).
//!
//! ```
//! let mut out = Vec::new();
//! stackful::say::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "C\nJava\nPython\nStopIteration\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// How many times the demo resumes the coroutine: one more than it has words.
const STEPS: usize = 4;

/// What the demo prints once the coroutine is exhausted (Python's exception name).
const EXHAUSTED: &str = "StopIteration";

/// The stack [`coroutine`] maps: 16 KiB, as for `counter` (measured by the test
/// `stack_use_is_within_stack_size`).
pub const STACK_SIZE: usize = 16 << 10;

/// `say`'s body: three words, then return.
fn say(yielder: &Yielder<(), &'static str>, (): ()) {
    yielder.suspend("C");
    yielder.suspend("Java");
    yielder.suspend("Python");
}

/// `say` on a fresh stack of [`STACK_SIZE`] bytes.
pub fn coroutine() -> io::Result<Coroutine<(), &'static str, (), DefaultStack>> {
    Ok(coroutine_on(DefaultStack::new(STACK_SIZE)?))
}

/// `say` on a stack of the caller's choice (a pooled one, say).
pub fn coroutine_on<S: Stack + 'static>(stack: S) -> Coroutine<(), &'static str, (), S> {
    Coroutine::with_stack(stack, say)
}

/// Writes `say.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(coroutine()?, out)
}

/// Writes `say.py`'s output with `co`, a `say` coroutine on any stack.
pub fn run_with<S: Stack>(
    mut co: Coroutine<(), &'static str, (), S>,
    out: &mut impl Write,
) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineResult::Yield(word) => writeln!(out, "{word}")?,
            CoroutineResult::Return(()) => writeln!(out, "{EXHAUSTED}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stack_use;
    use common::contracts::SAY;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SAY);
    }

    #[test]
    fn returns_after_three() -> io::Result<()> {
        let mut co = coroutine()?;
        let mut words = Vec::new();
        while let CoroutineResult::Yield(w) = co.resume(()) {
            words.push(w);
        }
        assert_eq!(words, ["C", "Java", "Python"]);
        assert!(co.done());
        Ok(())
    }

    #[test]
    #[should_panic(expected = "resume a completed coroutine")]
    fn resumed_after_return_panics() {
        let mut co = coroutine().unwrap();
        while let CoroutineResult::Yield(_) = co.resume(()) {}
        let _ = co.resume(());
    }

    #[test]
    fn stack_use_is_within_stack_size() {
        assert_stack_use("say", STACK_SIZE, coroutine_on, std::iter::repeat_n((), 4));
    }
}
