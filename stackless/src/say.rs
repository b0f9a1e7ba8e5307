//! `say.py`: three words, then the coroutine is exhausted; the demo resumes it four times.
//!
//! Easy: exhaustion is part of the type. A native coroutine answers
//! `CoroutineState::Complete(())`, a `gen` block's iterator answers `None`, `genawaiter` answers
//! `GeneratorState::Complete`, the hand-written [`manual::Say`](crate::manual::Say) answers `None`;
//! the demo prints `StopIteration` for it, as `say.py` does. Hard: resuming a native coroutine
//! *again* after `Complete` panics ("coroutine resumed after completion"), so the caller must
//! remember it finished; `gen` iterators and `manual::Say` keep answering `None`.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::say::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "C\nJava\nPython\nStopIteration\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};

use crate::flavour::Resume;

/// How many times the demo resumes the coroutine: one more than it has words.
const STEPS: usize = 4;

/// What the demo prints once the coroutine is exhausted (Python's exception name).
const EXHAUSTED: &str = "StopIteration";

/// `say` as a native `#[coroutine]` closure: three words, then `Complete(())`.
pub fn native() -> impl Coroutine<Yield = &'static str, Return = ()> + Unpin {
    #[coroutine]
    || {
        yield "C";
        yield "Java";
        yield "Python";
    }
}

/// `say` as a `gen` block: an `Iterator` of three words.
pub fn gen_block() -> impl Iterator<Item = &'static str> {
    gen {
        yield "C";
        yield "Java";
        yield "Python";
    }
}

/// `say` with `genawaiter`.
pub fn genawaiter() -> genawaiter::rc::Gen<&'static str, (), impl Future<Output = ()>> {
    genawaiter::rc::Gen::new(|co| async move {
        co.yield_("C").await;
        co.yield_("Java").await;
        co.yield_("Python").await;
    })
}

/// Writes `say.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(native(), out)
}

/// Writes `say.py`'s output with `co`, a `say` coroutine of any flavour.
pub fn run_with(mut co: impl Resume<Yield = &'static str>, out: &mut impl Write) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineState::Yielded(word) => writeln!(out, "{word}")?,
            CoroutineState::Complete(_) => writeln!(out, "{EXHAUSTED}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::contracts::SAY;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SAY);
    }

    #[test]
    fn native_completes_after_three() {
        let mut co = native();
        let mut words = Vec::new();
        while let CoroutineState::Yielded(w) = co.resume(()) {
            words.push(w);
        }
        assert_eq!(words, ["C", "Java", "Python"]);
    }

    #[test]
    #[should_panic(expected = "after completion")]
    fn native_resumed_after_completion_panics() {
        let mut co = native();
        while let CoroutineState::Yielded(_) = co.resume(()) {}
        let _ = co.resume(());
    }
}
