//! `counter.py`: an infinite counter; the demo prints its first three values.
//!
//! Easy here in every stackless flavour: the only state across a `yield` is one integer, so the
//! compiler's state machine is as small as the hand-written
//! [`manual::Counter`](crate::manual::Counter) and needs no allocation (`native`, `gen`); `genawaiter` boxes its future and shares an `Rc`.
//! Hard: nothing yet, apart from naming the type: a native coroutine that never returns has
//! `Return = Infallible`, and callers must still match the `Complete` case away.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::counter::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "0\n1\n2\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::convert::Infallible;
use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};

use crate::flavour::Resume;

/// How many values the demo prints, as `counter.py` does.
const STEPS: usize = 3;

/// The counter as a native `#[coroutine]` closure: yields `0, 1, 2, ...` and never completes.
pub fn native() -> impl Coroutine<Yield = u64, Return = Infallible> + Unpin {
    #[coroutine]
    || {
        let mut i = 0;
        loop {
            yield i;
            i += 1;
        }
    }
}

/// The counter as a `gen` block: an endless `Iterator`.
pub fn gen_block() -> impl Iterator<Item = u64> {
    gen {
        let mut i = 0;
        loop {
            yield i;
            i += 1;
        }
    }
}

/// The counter with `genawaiter` (an `async` block that yields through its `Co` handle).
pub fn genawaiter() -> genawaiter::rc::Gen<u64, (), impl Future<Output = Infallible>> {
    genawaiter::rc::Gen::new(|co| async move {
        let mut i = 0;
        loop {
            co.yield_(i).await;
            i += 1;
        }
    })
}

/// Writes `counter.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(native(), out)
}

/// Writes `counter.py`'s output with `co`, a counter of any flavour.
pub fn run_with(mut co: impl Resume<Yield = u64>, out: &mut impl Write) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineState::Yielded(i) => writeln!(out, "{i}")?,
            CoroutineState::Complete(_) => break, // an iterator could end; a counter does not
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manual;
    use common::contracts::COUNTER;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, COUNTER);
    }

    #[test]
    fn native_state_is_as_small_as_manual() {
        // Measured, not assumed: the compiler-built state machine vs the hand-written one.
        assert!(std::mem::size_of_val(&native()) <= std::mem::size_of::<manual::Counter>());
    }
}
